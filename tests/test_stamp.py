"""A build with nothing to do is answered from the build stamp, and never when something
changed: every kind of input, the instant, the options and the published output itself."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXED_AT, copy_sample, tree_of
from omnipub import lockfile
from omnipub.cli import cli
from omnipub.stamp import STAMP_NAME

STAMP = Path(".omnipub/cache") / STAMP_NAME


def age(root: Path, seconds: int = 60) -> None:
    """Date every source a minute back, as a checkout is, so no stamp is 'racy'."""
    then = time.time_ns() - seconds * 1_000_000_000
    for path in root.rglob("*"):
        if path.is_file() and not {".omnipub", "public"} & set(path.relative_to(root).parts):
            os.utime(path, ns=(then, then))


def run(root: Path, *args: str) -> dict:
    result = CliRunner().invoke(cli, ["build", str(root), "--json", "--quiet", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def from_stamp(report: dict) -> bool:
    return "render" not in report["timings"]


def test_nothing_changed_is_answered_from_the_stamp_exactly_as_a_full_build(
    sample_copy: Path,
) -> None:
    age(sample_copy)
    first = run(sample_copy, "--at", FIXED_AT)
    assert not from_stamp(first)
    assert (sample_copy / STAMP).is_file()
    second = run(sample_copy, "--at", FIXED_AT)
    assert from_stamp(second)
    assert second["channels"]["web"]["written"] == 0
    assert second["channels"]["web"]["outputs"] == first["channels"]["web"]["outputs"]
    assert second["items"] == first["items"]
    answered = tree_of(sample_copy / "public")  # deploy manifests with empty diffs included
    assert from_stamp(run(sample_copy, "--at", FIXED_AT))
    assert tree_of(sample_copy / "public") == answered

    (sample_copy / STAMP).unlink()
    full = run(sample_copy, "--at", FIXED_AT)
    assert not from_stamp(full)
    assert tree_of(sample_copy / "public") == answered


def _edit_article(root: Path) -> None:
    path = root / "content/articles/wool-care.md"
    path.write_text(path.read_text() + "\nOne more line.\n")


def _add_template(root: Path) -> None:
    folder = root / "templates/web"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "404.html").write_text('{% extends "base.html" %}{% block main %}x{% endblock %}')


def _edit_config(root: Path) -> None:
    path = root / "omnipub.toml"
    path.write_text(path.read_text().replace('title = "', 'title = "The ', 1))


def _edit_lock(root: Path) -> None:
    path = root / "omnipub.lock"
    lock = lockfile.parse(path.read_bytes())
    lock.retired = {*lock.retired, "i0000000000"}
    path.write_text(lockfile.dumps(lock))


def _touch_static(root: Path) -> None:
    path = next(p for p in sorted((root / "static").rglob("*")) if p.is_file())
    path.write_bytes(path.read_bytes() + b"\n")


def _add_data_file(root: Path) -> None:
    (root / "data").mkdir(exist_ok=True)
    (root / "data/extra.yaml").write_text("note: hello\n")


def _remove_output_folder(root: Path) -> None:
    shutil.rmtree(root / "public/mobile")


def _touch_output_manifest(root: Path) -> None:
    path = root / "public/.omnipub/manifest.json"
    path.write_text(path.read_text())


def _delete_item(root: Path) -> None:
    (root / "content/articles/cabin-kitchen.md").unlink()


CHANGES: dict[str, Callable[[Path], None]] = {
    "content edit": _edit_article,
    "content delete": _delete_item,
    "template": _add_template,
    "config": _edit_config,
    "lock": _edit_lock,
    "static file": _touch_static,
    "data file": _add_data_file,
    "output folder removed": _remove_output_folder,
    "output manifest rewritten": _touch_output_manifest,
}


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample built once at `site`, and a copy of it all (sources, cache, output) in
    `pristine`: each change case starts from the same build without building again."""
    base = tmp_path_factory.mktemp("stamped")
    site, pristine = base / "site", base / "pristine"
    copy_sample(site)
    age(site)
    run(site, "--at", FIXED_AT)
    shutil.copytree(site, pristine, symlinks=True)
    return site, pristine


@pytest.fixture
def stamped_site(built_once: tuple[Path, Path]) -> Path:
    """The built sample, put back where it was built (the stamp names the output folder).
    Its copied outputs are new files, which the stamp does not trust: one build from the
    cache checks them, and then the stamp answers."""
    site, pristine = built_once
    shutil.rmtree(site)
    shutil.copytree(pristine, site, symlinks=True)
    run(site, "--at", FIXED_AT)
    assert from_stamp(run(site, "--at", FIXED_AT))
    return site


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_any_change_runs_a_build_that_equals_a_clean_one(
    stamped_site: Path, tmp_path: Path, change: str
) -> None:
    sample_copy = stamped_site
    CHANGES[change](sample_copy)
    age(sample_copy)
    report = run(sample_copy, "--at", FIXED_AT)
    assert not from_stamp(report), change
    clean = tmp_path / "clean"
    shutil.copytree(sample_copy, clean, ignore=shutil.ignore_patterns(".omnipub", "public"))
    shutil.copy2(sample_copy / "omnipub.lock", clean / "omnipub.lock")
    run(clean, "--at", FIXED_AT, "--no-cache")
    built, expected = tree_of(sample_copy / "public"), tree_of(clean / "public")
    # deploy diffs differ by history (the clean build added everything); the files do not
    assert {p: b for p, b in built.items() if not p.startswith(".omnipub/")} == {
        p: b for p, b in expected.items() if not p.startswith(".omnipub/")
    }


@pytest.mark.parametrize(
    "args",
    [
        ("--at", "2026-12-01T18:00:00+01:00"),  # the same day: nothing shows the hour
        ("--at", "2026-12-30T12:00:00+01:00"),  # after an item's start or end
        ("--at", "2027-01-05T12:00:00+01:00"),  # another year (footers show it)
        ("--at", FIXED_AT, "--drafts"),
        ("--at", FIXED_AT, "--channel", "web"),
        ("--at", FIXED_AT, "--out", "elsewhere"),
    ],
)
def test_the_instant_and_the_options_are_part_of_the_stamp(
    stamped_site: Path, args: tuple[str, ...]
) -> None:
    sample_copy = stamped_site  # its build recorded a change set, which shows the instant
    if "--out" in args:
        args = (*args[:-1], str(sample_copy / args[-1]))
    report = run(sample_copy, *args)
    same_day = args[1].startswith("2026-12-01") and len(args) == 2
    assert from_stamp(report) == same_day, args


TWO_ITEMS = """\
-- omnipub.toml --
[site]
title = "Small"
[channels.web]
base_url = "https://www.example.com/"
-- content/a.md --
---
title: A
date: 2026-01-01
---
{a}
-- content/b.md --
---
title: B
date: 2026-01-02
---
# Somewhere
"""


def test_a_racy_edit_is_never_missed(site) -> None:
    root = site(TWO_ITEMS.format(a="Version one."))
    run(root, "--at", FIXED_AT, "--channel", "web")  # sources written just now: no stamp
    assert not (root / STAMP).exists()
    path = root / "content/a.md"
    stat = path.stat()
    path.write_text(path.read_text().replace("one", "two"))  # same size, same tick
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    report = run(root, "--at", FIXED_AT, "--channel", "web")
    assert not from_stamp(report)
    assert "Version two." in (root / "public/web/a/index.html").read_text()


def test_warnings_are_replayed_and_strict_still_fails(site) -> None:
    root = site(TWO_ITEMS.format(a="See [b](b.md#nowhere)."))
    age(root)
    args = ("--at", FIXED_AT, "--channel", "web")
    first = run(root, *args)
    second = run(root, *args)
    assert from_stamp(second)
    assert [w["code"] for w in second["warnings"]] == ["link.anchor"]
    assert second["warnings"] == first["warnings"]
    strict = CliRunner().invoke(cli, ["build", str(root), *args, "--strict"])
    assert strict.exit_code == 1
    assert "link.anchor" in strict.output
