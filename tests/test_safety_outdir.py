"""The output folder is the only thing a build may delete: a folder that is the site, holds
it, lies inside a source folder or holds files no build wrote is refused (exit 2) before
anything is written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXED_AT, tree_of, write_site
from omnipub.cli import cli

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
-- static/notes.txt --
User-agent: *
"""


def run(*args: str, cwd: Path | None = None) -> tuple[int, str]:
    previous = Path.cwd()
    if cwd:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, ["build", *args, "--quiet", "--at", FIXED_AT])
    finally:
        os.chdir(previous)
    return result.exit_code, result.stderr


def sources(root: Path) -> dict[str, bytes]:
    return {k: v for k, v in tree_of(root).items() if not k.startswith((".omnipub", "public"))}


@pytest.mark.parametrize(
    ("out", "says"),
    [
        (".", "is the site folder itself"),
        ("..", "contains the site"),
        ("content", "inside the site's content/ folder"),
        ("content/news", "inside the site's content/ folder"),
        ("static/x", "inside the site's static/ folder"),
        (".omnipub/out", "inside the site's .omnipub/ folder"),
    ],
)
def test_an_output_folder_that_would_delete_the_site_is_refused(
    tmp_path: Path, out: str, says: str
) -> None:
    root = write_site(tmp_path / "site", SITE)
    before = tree_of(tmp_path)
    code, err = run(str(root), "--out", str(root / out))
    assert code == 2, err
    assert says in err and "Traceback" not in err
    assert tree_of(tmp_path) == before  # nothing written, nothing deleted


@pytest.mark.parametrize("value", [".", "content", ".."])
def test_output_dir_in_the_config_is_checked_the_same_way(tmp_path: Path, value: str) -> None:
    root = write_site(tmp_path / "site", SITE)
    config = root / "omnipub.toml"
    config.write_text(config.read_text().replace("[site]", f'[site]\noutput_dir = "{value}"'))
    before = sources(root)
    code, err = run(str(root))
    assert code == 2 and f"output_dir = {value!r} in omnipub.toml" in err, err
    assert sources(root) == before


def test_a_folder_of_someone_elses_files_is_refused_until_emptied(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    mine = tmp_path / "docs"
    (mine / "notes.txt").parent.mkdir()
    (mine / "notes.txt").write_text("mine")
    code, err = run(str(root), "--out", str(mine))
    assert code == 2 and "holds files that omnipub did not write" in err
    assert (mine / "notes.txt").read_text() == "mine"
    (mine / "notes.txt").unlink()
    assert run(str(root), "--out", str(mine))[0] == 0
    assert (mine / ".omnipub/omnipub-output").is_file()
    assert (mine / "web/index.html").is_file()
    assert run(str(root), "--out", str(mine))[0] == 0  # its own output: accepted again


def test_out_dot_from_an_empty_folder_builds_there_and_leaves_nothing_beside_it(
    tmp_path: Path,
) -> None:
    root = write_site(tmp_path / "site", SITE)
    target = tmp_path / "deploy"
    target.mkdir()
    code, err = run(str(root), "--out", ".", cwd=target)
    assert code == 0, err
    assert (target / "web/index.html").is_file()
    assert sorted(os.listdir(tmp_path)) == ["deploy", "site"]  # no `..staging`, no `.previous`
    # a what-if build (--at, --out): the index and the marker, no journal or staging left
    assert sorted(os.listdir(target / ".omnipub")) == ["manifest.json", "omnipub-output"]
    code, err = run(str(root), "--out", ".", cwd=target)  # again, into its own output
    assert code == 0, err


def test_out_dot_inside_the_site_is_refused(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    code, err = run("--out", ".", cwd=root)
    assert code == 2 and "is the site folder itself" in err
    assert (root / "content/index.md").is_file()


def test_a_failed_first_build_leaves_no_empty_output_folder(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    (root / "content/index.md").write_text("---\ntitle: [\n---\n")
    code, _err = run(str(root))
    assert code == 1
    assert not (root / "public").exists()
