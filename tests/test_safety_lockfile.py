"""A lock that survives git: one entry per line so branches merge, `omnipub lock merge` (or
its merge driver) for real conflicts, and a located error, never silent loss, for a lock
with conflict markers, cut short or not UTF-8. The first format is still read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXED_AT, REPO, write_site
from omnipub.build import BuildOptions, build
from omnipub.cli import cli
from omnipub.ids import Lock
from omnipub.lockfile import FOOTER, HEADER

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
Welcome.
-- content/news/one.md --
---
title: One
date: 2026-11-01
---
First.
"""


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        capture_output=True,
        text=True,
    )


def real_build(root: Path, clock: str = FIXED_AT) -> None:
    build(BuildOptions(root=root, clock=clock))


def add_page(root: Path, name: str) -> None:
    (root / f"content/news/{name}.md").write_text(
        f"---\ntitle: {name}\ndate: 2026-11-03\n---\nText.\n"
    )


def branches(tmp_path: Path, app_state: bool) -> Path:
    """A repository whose two branches each added a page and committed a real build."""
    root = write_site(tmp_path / "site", SITE)
    if not app_state:
        config = root / "omnipub.toml"
        config.write_text(config.read_text() + '\n[build]\nchannels = ["web"]\n')
    (root / ".gitignore").write_text("public/\n.omnipub/\n")
    real_build(root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "start")
    for branch, page, clock in (("a", "alpha", "2026-12-02T12:00"), ("b", "beta", FIXED_AT)):
        git(root, "checkout", "-qb", branch, "main")
        add_page(root, page)
        real_build(root, clock)
        git(root, "add", "-A")
        git(root, "commit", "-qm", page)
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "a")
    return root


def ids_by_path(root: Path) -> dict[str, str]:
    return {entry["path"]: item_id for item_id, entry in Lock.read(root).ids.items()}


def test_the_lock_is_one_sorted_entry_per_line(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    real_build(root)
    lines = (root / "omnipub.lock").read_text().splitlines()
    assert lines[0] == HEADER and lines[-1] == FOOTER
    assert lines[1:-1] == sorted(lines[1:-1])
    assert all(isinstance(json.loads(line), list) for line in lines[1:-1])


def test_two_branches_adding_items_merge_without_a_conflict(tmp_path: Path) -> None:
    root = branches(tmp_path, app_state=False)
    merged = git(root, "merge", "-q", "b")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    paths = ids_by_path(root)
    assert {"content/news/alpha", "content/news/beta"} <= set(paths)
    real_build(root)
    assert ids_by_path(root) == paths  # the merge result is what a build keeps


def test_a_conflicted_lock_is_a_located_error_then_merged_by_omnipub(tmp_path: Path) -> None:
    root = branches(tmp_path, app_state=True)
    assert git(root, "merge", "-q", "b").returncode != 0  # both built: the app state conflicts
    lock = root / "omnipub.lock"
    conflicted = lock.read_bytes()
    marker = next(n for n, line in enumerate(conflicted.splitlines(), 1) if line.startswith(b"<<<"))
    result = CliRunner().invoke(cli, ["build", str(root)])
    assert result.exit_code == 1
    assert f"omnipub.lock:{marker}:1: error[lock.conflict]" in result.stderr
    assert "omnipub lock merge" in result.stderr
    assert lock.read_bytes() == conflicted  # never overwritten, no history lost
    merged = CliRunner().invoke(cli, ["lock", "merge", str(root)])
    assert merged.exit_code == 0, merged.stderr
    assert "the app channel's 'history' changed on both sides; kept this side's" in merged.stderr
    paths = ids_by_path(root)
    assert {"content/news/alpha", "content/news/beta", "content/news/one"} <= set(paths)
    history = Lock.read(root).channels["app"]["history"]
    assert len(history) == 2  # main's history (start, then alpha), not emptied
    real_build(root)
    assert {p: i for p, i in ids_by_path(root).items()} == paths


def test_the_merge_driver_merges_without_markers(tmp_path: Path) -> None:
    root = branches(tmp_path, app_state=True)
    (root / ".gitattributes").write_text("omnipub.lock merge=omnipub\n")
    command = f"{sys.executable} -m omnipub lock merge %O %A %B"
    git(root, "config", "merge.omnipub.driver", command)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "channels")])}
    merged = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", "merge", "-q", "b"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
    )
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert {"content/news/alpha", "content/news/beta"} <= set(ids_by_path(root))


@pytest.mark.parametrize(
    ("damage", "where", "code"),
    [
        (lambda text: text[: text.rindex("\n", 0, len(text) - 1) + 1], ":", "lock.damaged"),
        (lambda text: text.replace('"id"', '"id', 1), ":2:", "lock.damaged"),
        (lambda text: text.replace("news/one", "news/\udcffone"), ":", "lock.encoding"),
        (lambda text: "", ":1:1:", "lock.damaged"),
    ],
    ids=["cut short", "garbled line", "not UTF-8", "empty"],
)
def test_a_damaged_lock_is_a_located_error_and_left_alone(
    tmp_path: Path, damage, where: str, code: str
) -> None:
    root = write_site(tmp_path / "site", SITE)
    real_build(root)
    lock = root / "omnipub.lock"
    damaged = damage(lock.read_text()).encode("utf-8", "surrogateescape")
    lock.write_bytes(damaged)
    result = CliRunner().invoke(cli, ["build", str(root)])
    assert result.exit_code == 1, result.stderr
    assert f"omnipub.lock{where}" in result.stderr and f"error[{code}]" in result.stderr
    assert "Traceback" not in result.stderr
    assert lock.read_bytes() == damaged


def test_the_first_format_is_read_and_written_anew(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    real_build(root)
    lock = Lock.read(root)
    first = {
        "version": 1,
        "ids": lock.ids,
        "retired": sorted(lock.retired),
        "channels": lock.channels,
    }
    (root / "omnipub.lock").write_text(json.dumps(first, indent=1, sort_keys=True))
    assert Lock.read(root) == lock
    real_build(root, "2026-12-03T12:00")
    assert (root / "omnipub.lock").read_text().startswith(HEADER)
    assert Lock.read(root).ids == lock.ids
