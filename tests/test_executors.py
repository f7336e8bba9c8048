"""Local processes and a Dask cluster render through the same code path, byte-identically."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXED_AT, tree_of, write_site
from omnipub.build import BuildOptions, build


def _site(root: Path) -> Path:
    files = [
        "-- omnipub.toml --\n"
        '[site]\ntitle = "Exec"\ntimezone = "UTC"\n[languages.en]\nname = "English"\n'
        '[channels.web]\nbase_url = "https://example.com/"\npage_size = 3\n',
        "-- content/articles/_index.md --\n---\ntitle: Articles\ncascade: {type: article}\n---\n",
    ]
    for n in range(48):
        files.append(
            f"-- content/articles/post-{n:02d}.md --\n---\ntitle: Post {n}\n"
            f"date: 2026-01-{n % 28 + 1:02d}\ntags: [t{n % 5}]\n---\n"
            f"Body {n} links to [the next](post-{(n + 1) % 48:02d}.md).\n"
        )
    return write_site(root, "".join(files))


def _build(root: Path, out: Path, executor: str) -> dict[str, bytes]:
    result = build(
        BuildOptions(root=root, out_dir=out, at=FIXED_AT, executor=executor, use_cache=False)
    )
    assert result.reports["web"].rendered >= 64  # enough to be split across workers
    return tree_of(out)


def test_process_pool_equals_serial(tmp_path: Path) -> None:
    root = _site(tmp_path / "site")
    assert _build(root, tmp_path / "a", "serial") == _build(root, tmp_path / "b", "process")


def test_dask_local_cluster_equals_serial(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="install omnipub[dask]")
    root = _site(tmp_path / "site")
    assert _build(root, tmp_path / "a", "serial") == _build(root, tmp_path / "b", "dask-local")
