"""A vanished or emptied content folder is an error, not an empty site that renumbers every
item: ids are retired only by a real build whose sources are really gone. So is any other
source folder the last build read (static/, templates/, ...): not a site without styles."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
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


FOLDERS = (
    SITE
    + """
-- static/files/notice.txt --
Opening hours change on Monday.
-- templates/web/404.html --
{% extends "base.html" %}{% block main %}Lost.{% endblock %}
"""
)


def _build_cli(root: Path, *extra: str) -> object:
    return CliRunner().invoke(cli, ["build", str(root), "--at", FIXED_AT, *extra])


@pytest.mark.parametrize("folder", ["static", "templates"])
@pytest.mark.parametrize("how", ["moved", "emptied"])
def test_a_source_folder_the_last_build_read_cannot_vanish(
    tmp_path: Path, folder: str, how: str
) -> None:
    root = write_site(tmp_path / "site", FOLDERS)
    real_build(root)
    lock_before = (root / "omnipub.lock").read_bytes()
    output_before = tree_of(root / "public")
    if how == "moved":
        (root / folder).rename(tmp_path / "away")
    else:
        for path in sorted((root / folder).rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    result = _build_cli(root)
    assert result.exit_code == 1, result.output
    problem = "is missing" if how == "moved" else "holds no file"
    assert (
        f"{folder}/: error[discover.folder-gone]: the {folder} folder {problem}, and the last "
        "build read files from it" in result.stderr
    )
    assert f"--allow-removed {folder}" in result.stderr  # the hint says how to mean it
    assert "Traceback" not in result.output
    assert (root / "omnipub.lock").read_bytes() == lock_before
    assert tree_of(root / "public") == output_before
    if how == "moved":
        (tmp_path / "away").rename(root / folder)
        assert _build_cli(root).exit_code == 0
        assert tree_of(root / "public") == output_before


def test_a_folder_removed_on_purpose_is_said_once(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", FOLDERS)
    real_build(root)
    assert (root / "public/web/files/notice.txt").is_file()
    shutil.rmtree(root / "static")
    assert _build_cli(root).exit_code == 1
    result = _build_cli(root, "--allow-removed", "static")
    assert result.exit_code == 0, result.output
    assert not (root / "public/web/files/notice.txt").exists()
    assert _build_cli(root).exit_code == 0  # the record now has no static/
    assert _build_cli(root, "--allow-removed", "content").exit_code == 2  # never optional


def test_a_site_that_never_had_static_still_builds(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    assert _build_cli(root).exit_code == 0
    assert _build_cli(root).exit_code == 0
    assert not (root / "static").exists()
    (root / "static").mkdir()  # an empty folder that no build ever read files from
    assert _build_cli(root).exit_code == 0


def test_a_damaged_folder_record_is_a_warning(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", FOLDERS)
    real_build(root)
    (root / ".omnipub/cache/source-folders.json").write_text("[1, 2")
    result = _build_cli(root)
    assert result.exit_code == 0, result.output
    assert "source-folders.json is damaged" in result.stderr
