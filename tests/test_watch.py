"""Watch mode: rebuilds after edits, ignores editor droppings, survives a bad edit."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from conftest import FIXED_AT, write_site
from omnipub.build import BuildOptions
from omnipub.watch import relevant, watch_and_build

SITE = """\
-- content/articles/_index.md --
---
cascade: {type: article}
---
-- content/articles/a.md --
---
title: Alpha
---
First.
"""


def _wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _settle(results: list[object], quiet: float = 0.75, timeout: float = 20.0) -> int:
    """Wait until no build has finished for `quiet` seconds: one save is several events
    (created, modified, closed), and on a loaded machine they may straddle two rebuilds."""
    deadline = time.monotonic() + timeout
    count, since = len(results), time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, "builds never settled"
        time.sleep(0.05)
        if len(results) != count:
            count, since = len(results), time.monotonic()
    return count


def _start_watching(root: Path) -> tuple[list[object], threading.Event, threading.Thread]:
    """Watch mode in a thread: (each build's result, None when it failed; stop; the thread)."""
    results: list[object] = []
    stop = threading.Event()
    options = BuildOptions(root=root, at=FIXED_AT, executor="serial")
    thread = threading.Thread(
        target=watch_and_build, args=(options, True, stop, results.append), daemon=True
    )
    thread.start()
    return results, stop, thread


def test_droppings_and_outputs_are_not_changes(tmp_path: Path) -> None:
    root = tmp_path
    assert relevant(root, str(root / "content/a.md"))
    assert relevant(root, str(root / "omnipub.toml"))
    for name in (
        "content/.a.md.swp",
        "content/a.md~",
        "content/.#a.md",
        "content/4913",
        "public/web/index.html",
        ".omnipub/cache/x",
        "content/.git/HEAD",
    ):
        assert not relevant(root, str(root / name)), name


def test_watch_rebuilds_recovers_from_a_bad_edit_and_stops(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    results, stop, thread = _start_watching(root)
    page = root / "public/web/articles/a/index.html"
    _wait_for(lambda: page.is_file())
    time.sleep(0.5)  # let the observer start
    source = root / "content/articles/a.md"
    source.write_text("---\ntitle: Alpha two\n---\nSecond.\n")
    _wait_for(lambda: "Alpha two" in page.read_text())
    source.write_text("---\ntitle: [broken\n---\n")
    _wait_for(lambda: results and results[-1] is None)
    assert "Alpha two" in page.read_text()  # the last good output stays
    source.write_text("---\ntitle: Alpha three\n---\nThird.\n")
    _wait_for(lambda: "Alpha three" in page.read_text())
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_a_source_folder_made_after_the_start_is_watched(tmp_path: Path) -> None:
    """Only the config and the source folders are watched (not the output or the cache),
    so a folder such as templates/ that appears later must be picked up."""
    root = write_site(tmp_path / "site", SITE)
    results, stop, thread = _start_watching(root)
    page = root / "public/web/404.html"
    _wait_for(lambda: page.is_file())
    time.sleep(0.5)
    count = len(results)
    (root / "templates").mkdir()
    time.sleep(0.3)  # the new folder is being watched once its own event is seen
    (root / "templates/web").mkdir()
    (root / "templates/web/404.html").write_text("<!doctype html><title>Custom</title>\n")
    _wait_for(lambda: "Custom" in page.read_text())
    _wait_for(lambda: len(results) > count)  # the page is written before the build returns
    settled = _settle(results)
    (root / "public/web/stray.txt").write_text("the output is not watched")
    time.sleep(1.0)
    assert len(results) == settled
    stop.set()
    thread.join(timeout=10)
