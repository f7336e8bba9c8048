"""Publishing is a transaction: a build killed at any publishing step (the test hook
`OMNIPUB_TEST_KILL_AT` ends the process there, as a kill would) leaves the old output or a
journal, and the next build ends byte-identical to a clean build with no stray file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXED_AT, REPO, tree_of, write_site

PAGES = "".join(
    f"""
-- content/news/n{i}.md --
---
title: News {i}
date: 2026-11-{i + 1:02d}
---
Item {i}.
"""
    for i in range(6)
)
SITE = (
    """
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
-- static/notes.txt --
User-agent: *
"""
    + PAGES
)
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "channels")]),
}


def build(root: Path, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(ENV)
    if kill_at:
        env["OMNIPUB_TEST_KILL_AT"] = kill_at
    return subprocess.run(
        [sys.executable, "-m", "omnipub", "build", str(root), "--quiet", "--at", FIXED_AT],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def edit(root: Path) -> None:
    """Changes an update publishes: changed, added and removed pages, a changed file."""
    page = root / "content/news/n1.md"
    page.write_text(page.read_text().replace("Item 1.", "Item 1, edited."))
    (root / "content/news/n9.md").write_text("---\ntitle: Added\ndate: 2026-11-20\n---\nNew.\n")
    (root / "content/news/n2.md").unlink()
    (root / "static/notes.txt").write_text("User-agent: *\nDisallow: /x\n")


_clean: dict[str, dict[str, bytes]] = {}


def clean_tree(root: Path, tmp: Path, edited: bool) -> dict[str, bytes]:
    """The output of a clean build of the same sources (made once per state of them)."""
    key = "edited" if edited else "original"
    if key not in _clean:
        fresh = tmp / "fresh"
        shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(".omnipub", "public"))
        assert build(fresh).returncode == 0
        _clean[key] = tree_of(fresh / "public")
    return _clean[key]


def strays(root: Path) -> list[str]:
    """Temporary or staged files anywhere in the site, its cache or its output."""
    found = []
    for path in root.rglob("*"):
        name = path.name
        if (
            name.endswith((".tmp", ".omnipub-new", ".staging", ".previous"))
            or name in ("journal.json", "next", "old")
            and path.parent.name == ".omnipub"
        ):
            found.append(str(path.relative_to(root)))
    for beside in root.parent.iterdir():
        if beside.name.startswith("."):
            found.append(beside.name)
    return found


@pytest.mark.parametrize(
    ("prepare", "kill_at"),
    [
        ("first", "stage:3"),  # the first build, while staging
        ("first", "commit"),  # the first build, its journal just written
        ("update", "stage:2"),  # an update, before its commit: the old output stays
        ("update", "commit"),
        ("update", "replace:1"),  # an update, after the first replaced file
        ("update", "replace:3"),
        ("update", "index:1"),  # outputs in place, manifests half written
        ("rewrite", "swap:1"),  # between the two renames of a channel folder's swap
        ("rewrite", "swap:2"),
    ],
)
def test_a_build_killed_at_each_publishing_step_is_finished_by_the_next(
    tmp_path: Path, prepare: str, kill_at: str
) -> None:
    root = write_site(tmp_path / "site", SITE)
    if prepare != "first":
        assert build(root).returncode == 0
        old = tree_of(root / "public")
        edit(root)
    if prepare == "rewrite":  # what the output holds is unknown: channels are written whole
        (root / "public/.omnipub/manifest.json").unlink()
    killed = build(root, kill_at)
    assert killed.returncode == 137, killed.stderr
    if kill_at.startswith("stage") and prepare == "update":
        # nothing committed, nothing changed (beside what was staged, deleted next time)
        now = tree_of(root / "public")
        assert {k: v for k, v in now.items() if not k.startswith(".omnipub/next/")} == old
    if kill_at.startswith("swap"):
        # killed with a channel folder moved away: the journal knows where it is
        assert (root / "public/.omnipub/journal.json").is_file()
    done = build(root)
    assert done.returncode == 0, done.stderr
    assert tree_of(root / "public") == clean_tree(root, tmp_path, prepare != "first")
    assert strays(root) == []
    again = build(root)  # and it is settled: nothing more to do
    assert again.returncode == 0 and not (root / "public/.omnipub/journal.json").exists()


def test_temporary_files_of_a_killed_build_are_removed_from_the_cache(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    assert build(root, "stage:2").returncode == 137
    # what a build killed while writing a cache entry or a blob leaves behind
    shard = root / ".omnipub/cache/blobs/ab"
    shard.mkdir(parents=True, exist_ok=True)
    (shard / "ab12.4242-1.tmp").write_bytes(b"half")
    (root / ".omnipub/cache/derived.json.4242-1.tmp").write_bytes(b"{")
    done = build(root)
    assert done.returncode == 0, done.stderr
    assert "temporary file(s) left by a build that was killed" in done.stderr
    assert strays(root) == []
