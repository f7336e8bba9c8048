"""Watch mode: rebuilds after edits, ignores editor droppings, survives a bad edit."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from conftest import FIXED_AT, tree_of, write_site
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


def _published(root: Path) -> dict[str, object]:
    """The output folder's files, with each deploy manifest's files but not its diff (a
    build that changed nothing empties the diff of the one before)."""
    files: dict[str, object] = {}
    for rel, data in tree_of(root / "public").items():
        files[rel] = json.loads(data)["files"] if rel.endswith(".deploy-manifest.json") else data
    return files


def test_a_source_folder_moved_away_and_back_is_waited_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rename or `git checkout` takes content/ (or static/) away for a moment: no build
    runs against the gap (it would fail, or retire every id), one runs once it is back."""
    root = write_site(tmp_path / "site", SITE + "-- static/notice.txt --\nOpen.\n")
    results: list[object] = []
    stop = threading.Event()
    options = BuildOptions(root=root, clock=FIXED_AT, executor="serial")  # a real build
    thread = threading.Thread(
        target=watch_and_build, args=(options, False, stop, results.append), daemon=True
    )
    thread.start()
    _wait_for(lambda: len(results) == 1)
    assert results[0] is not None
    time.sleep(0.5)  # let the observer start
    lock, output = (root / "omnipub.lock").read_bytes(), _published(root)
    for folder in ("content", "static"):
        before = len(results)
        (root / folder).rename(tmp_path / "away")
        time.sleep(1.5)  # longer than MAX_WAIT: a watcher that does not wait has built
        assert len(results) == before, "a build ran while the folder was away"
        (tmp_path / "away").rename(root / folder)
        _wait_for(lambda count=before: len(results) > count)
        _settle(results)
        # good builds only (on a loaded machine, the moved folder's late events may add a
        # second, no-op one; never a failed one)
        assert results[before:] and all(r is not None for r in results[before:])
        assert (root / "omnipub.lock").read_bytes() == lock
        assert _published(root) == output
    err = capsys.readouterr().err
    assert "waiting: content/ is missing" in err and "waiting: static/ is missing" in err
    assert "failed" not in err and "error" not in err
    # the folders came back under watch: an edit is still seen
    (root / "content/articles/a.md").write_text("---\ntitle: Alpha two\n---\nSecond.\n")
    page = root / "public/web/articles/a/index.html"
    _wait_for(lambda: "Alpha two" in page.read_text())
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
