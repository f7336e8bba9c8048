"""Watch mode: rebuild when sources change, survive any bad edit.

Events from watchdog are filtered (editor droppings, the output and state folders),
coalesced (a `git checkout` touching hundreds of files gives one rebuild), and held while
a file is still being written (where the platform reports closes, as inotify does), so a
large file being copied in is never read half-written. Every rebuild is incremental through
the render cache. A failed build prints its errors and leaves the last good output in place;
the next good save recovers. A symbolic link is judged by where it stands, not where it
points, so a link added to the site is rebuilt and reported like any other file.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import click
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from .build import BuildOptions, BuildResult, build
from .diagnostics import BuildFailed, OmnipubError
from .discover import SOURCE_FOLDERS, absent_folders, is_ignored
from .folders import expected_folders
from .journal import STATE_FOLDER

WATCHED = SOURCE_FOLDERS
#: event types that mean a file's bytes or name changed ("closed": after a write)
CHANGES = frozenset({"created", "modified", "moved", "deleted", "closed"})
#: editors save in bursts of a few milliseconds; `git checkout` keeps events coming
QUIET_PERIOD = 0.025
MAX_WAIT = 1.0
#: a file opened for writing that has shown no activity for this long is taken as written
#: (a writer that keeps a file open without writing would otherwise hold rebuilds forever)
STALLED = 10.0


def relevant(root: Path, path: str) -> bool:
    """Is a changed path one that a build reads?"""
    try:  # not resolved: a link's target may be anywhere, the link itself is what changed
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
    except ValueError:
        return False
    parts = rel.parts
    if not parts or any(is_ignored(part) for part in parts):
        return False
    return parts[0] in WATCHED or rel.as_posix() == "omnipub.toml"


class Coalescer(FileSystemEventHandler):
    """Collects changed paths; `wait` returns a batch once events have settled and the tree
    is whole: every source folder a build needs is in place (see `folders.check_folders`).

    `options` are the builds' (which source folders they may do without); `report` hears
    that a rebuild waits for a folder to come back."""

    def __init__(
        self,
        root: Path,
        options: BuildOptions | None = None,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.root = root
        self.allowed = options.allow_removed if options else ()
        self.cached = options.use_cache if options else True
        self.report = report
        self.changed: set[str] = set()
        self.first = 0.0
        self.last = 0.0
        self.condition = threading.Condition()
        #: files just created, not yet opened (a copy creates, then opens to write)
        self.fresh: set[str] = set()
        #: files being written -> when they last showed activity
        self.open: dict[str, float] = {}
        #: whether this platform reports closes (seen once the first build read its files)
        self.reports_closes = False

    #: set by `observe`, so that a source folder created later is watched too
    observer: BaseObserver | None = None

    def on_any_event(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self._track_writes(event)
        if event.event_type not in CHANGES:
            return  # "opened", "closed_no_write": the build itself reading its sources
        if event.is_directory and event.event_type == "modified":
            return  # a file in it changed: that file's own event says which
        if event.is_directory and event.event_type in ("created", "moved"):
            self._watch_new_folder(Path(str(getattr(event, "dest_path", "") or event.src_path)))
        paths = [str(event.src_path)]
        if getattr(event, "dest_path", None):
            paths.append(str(event.dest_path))  # atomic saves are renames
        hits = [p for p in paths if relevant(self.root, p)]
        if not hits:
            return
        with self.condition:
            now = time.monotonic()
            if not self.changed:
                self.first = now
            self.changed.update(hits)
            self.last = now
            self.condition.notify_all()

    def _track_writes(self, event: FileSystemEvent) -> None:
        """Note which files are being written: created then opened, or modified, and not
        closed since. Only where the platform reports closes (inotify): elsewhere a file
        would be held until it stalled. A reader (the build itself) opens without writing
        and holds nothing; its many events cost a set look-up each."""
        path, kind = str(event.src_path), event.event_type
        with self.condition:
            if kind in ("closed", "closed_no_write"):
                self.reports_closes = True
                if self.open.pop(path, None) is not None:
                    self.condition.notify_all()
                self.fresh.discard(path)
                return
            if kind == "opened":
                if path in self.fresh:
                    self.fresh.discard(path)
                    self.open[path] = time.monotonic()
                return
            if kind in ("deleted", "moved"):
                self.open.pop(path, None)
                self.fresh.discard(path)
                return
            if not self.reports_closes or not relevant(self.root, path):
                return
            if kind == "created":
                self.fresh.add(path)
            elif kind == "modified":
                self.open[path] = time.monotonic()

    def _writing(self, now: float) -> bool:
        """Is a source file still being written (and not stalled)?"""
        return any(now - last < STALLED for last in self.open.values())

    def _watch_new_folder(self, folder: Path) -> None:
        if self.observer is None or folder.parent != self.root or folder.name not in WATCHED:
            return
        with contextlib.suppress(OSError):  # gone again already: its events say so
            self.observer.schedule(self, str(folder), recursive=True)

    def _absent(self) -> dict[str, str]:
        """The source folders a build needs that are missing or emptied right now."""
        state_dir = self.root / STATE_FOLDER
        needed = expected_folders(state_dir, [], self.allowed, self.cached)
        return absent_folders(self.root, needed)

    def wait(self, stop: threading.Event) -> set[str] | None:
        """The next batch of changed paths, once quiet; None when `stop` is set.

        While a folder a build needs is gone (renamed, or mid `git checkout`), nothing is
        returned: a build then would fail, or in serve flash an error over the whole site.
        Once it is back, the batch waits for quiet again (MAX_WAIT counting from then), so
        one rebuild sees the whole tree."""
        told = False
        with self.condition:
            while not self.changed:
                if stop.is_set():
                    return None
                self.condition.wait(0.2)
            while True:
                now = time.monotonic()
                settled = now - self.last >= QUIET_PERIOD
                if (settled or now - self.first >= MAX_WAIT) and not self._writing(now):
                    absent = self._absent()
                    if not absent:
                        batch, self.changed = self.changed, set()
                        return batch
                    if not told and self.report is not None:
                        gone = ", ".join(f"{name}/ {what}" for name, what in sorted(absent.items()))
                        self.report(f"waiting: {gone} (a move or a checkout in progress?)")
                        told = True
                    self.first = now
                    if stop.is_set():
                        return None
                    self.condition.wait(0.1)
                    continue
                self.condition.wait(QUIET_PERIOD)


def observe(root: Path, handler: Coalescer) -> BaseObserver:
    """Watch what a build reads: the site folder itself (its config) and the source folders.

    Not the site recursively: that would watch the output and the cache too, whose thousands
    of writes per build overflow the kernel's event queue on a large site."""
    observer = Observer()
    handler.observer = observer
    observer.schedule(handler, str(root), recursive=False)
    for name in WATCHED:
        if (root / name).is_dir():
            observer.schedule(handler, str(root / name), recursive=True)
    observer.start()
    return observer


def rebuild(options: BuildOptions, report: Callable[[str], None]) -> BuildResult | None:
    """One build that never raises: errors are reported, the loop goes on."""
    started = time.perf_counter()
    try:
        result = build(options)
    except BuildFailed as failed:
        for diagnostic in [*failed.warnings, *failed.diagnostics]:
            report(diagnostic.format())
        report(f"build failed: {failed}; the last good output stays")
        return None
    except OmnipubError as exc:
        report(f"error: {exc}")
        return None
    except Exception:  # a bug: say so, keep watching
        report("omnipub crashed while rebuilding (a bug):\n" + traceback.format_exc())
        return None
    rendered = sum(r.rendered for r in result.reports.values())
    written = sum(r.written for r in result.reports.values())
    report(
        f"rebuilt in {time.perf_counter() - started:.2f}s: {rendered} rendered, {written} written"
    )
    return result


def watch_and_build(
    options: BuildOptions,
    quiet: bool = False,
    stop: threading.Event | None = None,
    on_build: Callable[[BuildResult | None], None] | None = None,
) -> None:
    """Build, then rebuild on every change until interrupted (or `stop` is set)."""
    root = options.root.resolve()
    stop = stop or threading.Event()

    def report(text: str) -> None:
        if not quiet or "error" in text or "failed" in text:
            click.echo(text, err=True)

    handler = Coalescer(root, options, report)
    observer = observe(root, handler)  # before the first build: edits during it count
    result = rebuild(options, report)
    if on_build:
        on_build(result)
    report(f"watching {root} for changes (Ctrl+C to stop)")
    try:
        while not stop.is_set():
            batch = handler.wait(stop)
            if batch is None:
                break
            names = sorted(Path(p).name for p in batch)
            report(f"changed: {', '.join(names[:5])}{' …' if len(names) > 5 else ''}")
            result = rebuild(options, report)
            if on_build:
                on_build(result)
    except KeyboardInterrupt:
        pass
    finally:
        observer.stop()
        observer.join(timeout=5)
