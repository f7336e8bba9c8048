"""A vanished or emptied content folder is an error, not an empty site that renumbers every
item: ids are retired only by a real build whose sources are really gone."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from conftest import FIXED_AT, tree_of, write_site
from omnipub.build import BuildOptions, build
from omnipub.cli import cli
from omnipub.ids import Lock

SITE = """
-- content/index.md --
---
title: Home
---
Welcome.
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
"""


def real_build(root: Path) -> None:
    """A real build (the clock pinned, not `--at`): the one kind that writes the lock."""
    build(BuildOptions(root=root, clock=FIXED_AT))


def test_a_content_folder_moved_away_and_back_keeps_every_id(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    real_build(root)
    lock_before = (root / "omnipub.lock").read_bytes()
    output_before = tree_of(root / "public")
    ids = set(Lock.read(root).ids)
    assert len(ids) == 3
    (root / "content").rename(tmp_path / "away")
    result = CliRunner().invoke(cli, ["build", str(root)])
    assert result.exit_code == 1
    assert "content/: error[discover.no-content]: the content folder is missing" in result.stderr
    assert (root / "omnipub.lock").read_bytes() == lock_before
    assert tree_of(root / "public") == output_before
    (tmp_path / "away").rename(root / "content")
    real_build(root)
    assert set(Lock.read(root).ids) == ids and not Lock.read(root).retired


def test_an_emptied_content_folder_is_an_error(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    real_build(root)
    for page in (root / "content").rglob("*.md"):
        page.unlink()
    result = CliRunner().invoke(cli, ["build", str(root), "--at", FIXED_AT])
    assert result.exit_code == 1
    assert "the content folder holds no Markdown file" in result.stderr


def test_an_id_is_retired_when_its_source_is_really_deleted(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    real_build(root)
    gone = next(i for i, e in Lock.read(root).ids.items() if e["path"].endswith("two"))
    (root / "content/news/two.md").unlink()
    real_build(root)
    assert gone in Lock.read(root).retired and gone not in Lock.read(root).ids
