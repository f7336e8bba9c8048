"""Nothing poisoned: outputs share no file with the cache, a damaged blob is rendered again
and never published, and cache damage of any shape is a warning and a rebuild of that part,
never a crash and never wrong output."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import FIXED_AT, tree_of, write_site
from omnipub.build import BuildOptions, build
from omnipub.cli import cli
from omnipub.diagnostics import BuildFailed

SITE = """
-- omnipub.toml --
[site]
title = "Shop"
timezone = "Europe/Oslo"
default_language = "en"

[languages.en]
name = "English"
locale = "en_GB"

[channels.web]
base_url = "https://www.example.com/"

[channels.app]
base_url = "https://api.example.com/"
-- content/index.md --
---
title: Home
---
Welcome. ![A tile](/tile.png)
-- content/news/one.md --
---
title: One
date: 2026-11-01
---
First.
-- content/news/two.md --
---
title: Two
date: 2026-11-02
---
Second.
-- static/notes.txt --
Plain notes.
"""


def make_site(root: Path) -> Path:
    write_site(root, SITE)
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 40, 40)).save(buffer, "PNG")
    (root / "static/tile.png").write_bytes(buffer.getvalue())
    return root


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["build", str(root), "--at", FIXED_AT, *args])
    return result.exit_code, result.stderr


def clean(root: Path, tmp: Path) -> dict[str, bytes]:
    fresh = tmp / "fresh"
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(".omnipub", "public"))
    assert run(fresh, "--no-cache")[0] == 0
    return tree_of(fresh / "public")


def blob_of(root: Path, output: str) -> Path:
    manifest = json.loads((root / "public/.omnipub/manifest.json").read_text())
    channel, _, path = output.partition("/")
    digest = manifest["channels"][channel][path]["sha256"]
    return root / ".omnipub/cache/blobs" / digest[:2] / digest


def test_outputs_share_no_file_with_the_cache(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    assert run(root)[0] == 0
    for path in (root / "public").rglob("*"):
        if path.is_file():
            assert path.stat().st_nlink == 1, path


def test_an_output_edited_then_thrown_away_comes_back_as_built(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    assert run(root)[0] == 0
    robots = root / "public/web/robots.txt"
    original = robots.read_bytes()
    for _ in range(2):  # a CI step that appends, run after run
        with robots.open("ab") as handle:
            handle.write(b"Sitemap: x\n")
        shutil.rmtree(root / "public")
        assert run(root)[0] == 0
        assert robots.read_bytes() == original


def test_an_output_edited_in_place_is_repaired_and_never_leaks_elsewhere(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site")
    assert run(root)[0] == 0
    home = root / "public/web/index.html"
    original = home.read_bytes()
    with home.open("ab") as handle:
        handle.write(b"<!--T-->")
    code, err = run(root)
    assert code == 0 and "up to date" not in err
    assert home.read_bytes() == original
    assert run(root, "--out", str(tmp_path / "elsewhere"))[0] == 0
    assert b"<!--T-->" not in (tmp_path / "elsewhere/web/index.html").read_bytes()
    manifest = json.loads((root / "public/.omnipub/manifest.json").read_text())
    assert manifest["channels"]["web"]["index.html"]["size"] == len(original)


def _append(blob: Path) -> None:
    with blob.open("ab") as handle:
        handle.write(b"<!--junk-->")


def _truncate(blob: Path) -> None:
    with blob.open("r+b") as handle:
        handle.truncate(10)


def _garble(blob: Path) -> None:
    data = bytearray(blob.read_bytes())
    data[5] ^= 0xFF  # same size
    blob.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_append, _truncate, _garble])
@pytest.mark.parametrize("output", ["web/index.html", "web/tile.png", "app/feed.json"])
def test_a_damaged_blob_is_rendered_again_never_published(
    tmp_path: Path, damage: Callable[[Path], None], output: str
) -> None:
    root = make_site(tmp_path / "site")
    assert run(root)[0] == 0
    damage(blob_of(root, output))
    shutil.rmtree(root / "public")  # every output is copied from the cache again
    code, err = run(root)
    assert code == 0, err
    assert "warning[cache.damaged]" in err and "rendered again" in err
    assert tree_of(root / "public") == clean(root, tmp_path)
    assert run(root, "--out", str(tmp_path / "elsewhere"))[0] == 0
    assert outputs(tmp_path / "elsewhere") == outputs(root / "public")


def outputs(folder: Path) -> dict[str, bytes]:
    """The channel folders' files (the index differs between real and what-if builds)."""
    return {k: v for k, v in tree_of(folder).items() if not k.startswith(".omnipub/")}


def _replace_with_file(rel: str) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        target = root / rel
        if rel.endswith("SHARD"):  # the first blob shard
            target = sorted((root / ".omnipub/cache/blobs").iterdir())[0]
        shutil.rmtree(target, ignore_errors=True)
        target.write_text("not a folder")

    return damage


def _write(rel: str, text: str) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        (root / rel).write_text(text)

    return damage


def _garble_renditions(root: Path) -> None:
    for path in (root / ".omnipub/cache/renditions").rglob("*"):
        if path.is_file():
            _garble(path)


SHAPES = {
    "documents/ is a file": _replace_with_file(".omnipub/cache/documents"),
    "cache/ is a file": _replace_with_file(".omnipub/cache"),
    "blobs/ is a file": _replace_with_file(".omnipub/cache/blobs"),
    "a blob shard is a file": _replace_with_file(".omnipub/cache/blobs/SHARD"),
    "renditions/ is a file": _replace_with_file(".omnipub/cache/renditions"),
    "stamps.json is a list": _write(".omnipub/cache/stamps.json", "[1, 2]"),
    "stamps.json rows are numbers": _write(".omnipub/cache/stamps.json", '{"content/index.md": 5}'),
    "images.json is a list": _write(".omnipub/cache/images.json", "[]"),
    "images.json rows are strings": _write(
        ".omnipub/cache/images.json", '{"static/tile.png": "x"}'
    ),
    "derived.json is a list": _write(".omnipub/cache/derived.json", "[]"),
    "derived.json rows are numbers": _write(".omnipub/cache/derived.json", '{"a": 1}'),
    "derived.json is not JSON": _write(".omnipub/cache/derived.json", "{"),
    "manifest channels are a list": _write(
        "public/.omnipub/manifest.json", '{"version": 1, "channels": []}'
    ),
    "manifest rows are numbers": _write(
        "public/.omnipub/manifest.json", '{"version": 1, "channels": {"web": {"index.html": 5}}}'
    ),
    "renditions garbled": _garble_renditions,
    "outputs record garbled": lambda root: [
        p.write_bytes(b"\x80\x05junk") for p in (root / ".omnipub/cache").glob("outputs-*")
    ],
    "render records garbled": lambda root: [
        p.write_bytes(b"\x80\x05junk") for p in (root / ".omnipub/cache").glob("routes-*")
    ],
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_cache_damage_of_any_shape_is_a_warning_and_a_rebuild(tmp_path: Path, shape: str) -> None:
    root = make_site(tmp_path / "site")
    assert run(root)[0] == 0
    page = root / "content/news/one.md"  # an edit, so the build cannot stop at its stamp
    page.write_text(page.read_text().replace("First.", "First, edited."))
    SHAPES[shape](root)
    code, err = run(root)
    assert code == 0, err
    assert "Traceback" not in err and "crashed" not in err
    assert tree_of(root / "public") == clean(root, tmp_path)
    code, err = run(root)  # repaired for good: the next build finds nothing to do
    assert code == 0 and "up to date" in err and "cache.damaged" not in err, err


def test_a_source_file_removed_mid_build_is_an_error_and_nothing_is_published(
    tmp_path: Path,
) -> None:
    root = make_site(tmp_path / "site")
    assert run(root)[0] == 0
    before = tree_of(root / "public")
    (root / "static/extra.txt").write_text("added")

    def remove(_channel: str, _done: int, _total: int) -> None:
        (root / "static/extra.txt").unlink(missing_ok=True)  # between render and publish

    options = BuildOptions(root=root, at=FIXED_AT, progress=remove)
    with pytest.raises(BuildFailed) as failed:
        build(options)
    (problem,) = failed.value.diagnostics
    assert problem.code == "publish.source-vanished"
    assert problem.location is not None and problem.location.path == "static/extra.txt"
    assert tree_of(root / "public") == before
    assert run(root)[0] == 0
    assert tree_of(root / "public") == clean(root, tmp_path)
