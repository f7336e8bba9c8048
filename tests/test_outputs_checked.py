"""Outputs are checked, not trusted: a published file deleted or edited by hand is found by
the next build, which writes it again with the bytes a clean build makes, and damaged bytes
shared with the cache are never published again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from conftest import FIXED_AT, copy_sample, tree_of
from omnipub.cli import cli


def build(root: Path, *args: str) -> dict:
    result = CliRunner().invoke(
        cli, ["build", str(root), "--json", "--quiet", "--at", FIXED_AT, *args]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def written(report: dict) -> int:
    return sum(channel["written"] for channel in report["channels"].values())


def clean(root: Path, tmp: Path) -> dict[str, bytes]:
    fresh = tmp / "fresh"
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(".omnipub", "public"))
    build(fresh, "--no-cache")
    return tree_of(fresh / "public")


def test_a_deleted_output_is_restored(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "site")
    build(root)
    page = root / "public/web/about/index.html"
    original = page.read_bytes()
    page.unlink()
    report = build(root)
    assert page.read_bytes() == original
    assert written(report) == 1
    assert written(build(root)) == 0  # and then it is up to date again


def test_an_output_edited_by_hand_is_written_again_and_never_poisons_the_cache(
    tmp_path: Path,
) -> None:
    root = copy_sample(tmp_path / "site")
    build(root)
    home, robots = root / "public/web/index.html", root / "public/web/robots.txt"
    original = home.read_bytes(), robots.read_bytes()
    with home.open("ab") as handle:
        handle.write(b"<!--T-->")
    with robots.open("ab") as handle:
        handle.write(b"Sitemap: x\n")
    build(root)
    assert (home.read_bytes(), robots.read_bytes()) == original
    # the same edit, then the output folder thrown away (a CI step, then a clean deploy)
    with robots.open("ab") as handle:
        handle.write(b"Sitemap: x\n")
    shutil.rmtree(root / "public")
    build(root)
    assert robots.read_bytes() == original[1]
    assert tree_of(root / "public") == clean(root, tmp_path)
