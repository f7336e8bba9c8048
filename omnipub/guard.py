"""A build owns its output folder, and only it: which folders a build may replace, and one
build at a time per site and per output folder.

The output folder is the only thing a build deletes from. So a folder that is the site,
holds the site, lies inside a source folder, or holds files that no build wrote (it has no
omnipub output marker) is refused before anything is written.

Two builds of one site, or into one output folder, would interleave their writes (files
lost for good, stray temporary files). An OS lock (`flock`) on `.omnipub/build.lock` and on
the output folder itself makes the second build wait, or fail at once when asked not to.
The lock dies with its process, so a killed build never leaves a stale lock; the lock file
naming a holder when the next build gets it tells that one was killed, and its temporary
files in the cache are removed.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from .diagnostics import OmnipubError, UsageError
from .discover import SOURCE_FOLDERS as READ_FOLDERS
from .journal import STATE_FOLDER, recover
from .publish import MANIFEST_NAME, OUTPUT_MARKER

#: folders of a site that a build reads (and the state it keeps): never an output folder
SOURCE_FOLDERS = (*READ_FOLDERS, STATE_FOLDER, ".git")
LOCK_NAME = "build.lock"


class Busy(OmnipubError):
    """Another build holds the lock, and this one was asked not to wait."""

    exit_code = 75  # EX_TEMPFAIL: try again later


def check_output_folder(root: Path, out_dir: Path, given_as: str) -> None:
    """Refuse an output folder a build must not replace (a usage error, exit 2).

    `given_as` names where the folder was set (`--out x`, `output_dir = "x"`)."""
    site, out = root.resolve(), out_dir.resolve()
    hint = "use a folder of its own, such as public/ inside the site"
    if out == site:
        raise UsageError(f"{given_as} is the site folder itself: a build would replace it", hint)
    if out in site.parents:
        raise UsageError(f"{given_as} contains the site: a build would replace the site", hint)
    for name in SOURCE_FOLDERS:
        source = (site / name).resolve()
        if out == source or source in out.parents:
            raise UsageError(f"{given_as} lies inside the site's {name}/ folder", hint)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{given_as} is a file, not a folder", hint)
    if is_foreign(out):
        raise UsageError(
            f"{given_as} holds files that omnipub did not write, and a build replaces "
            "everything in its output folder",
            f"empty it or choose another folder; a folder omnipub built has {STATE_FOLDER}/"
            f"{OUTPUT_MARKER} in it",
        )


def is_foreign(out: Path) -> bool:
    """Is `out` a folder with files in it but no sign that a build wrote it?"""
    try:
        entries = os.listdir(out)
    except OSError:
        return False
    if not entries:
        return False
    state = out / STATE_FOLDER
    return not ((state / OUTPUT_MARKER).is_file() or (state / MANIFEST_NAME).is_file())


_held: dict[tuple[str, int], int] = {}
_held_lock = threading.Lock()


@contextlib.contextmanager
def exclusive(
    root: Path,
    out_dir: Path,
    given_as: str,
    wait: bool = True,
    report: Callable[[str], None] | None = None,
) -> Iterator[bool]:
    """Check the output folder, hold the site's and the output folder's build locks, then
    finish any interrupted publish (see `journal.recover`); `report` hears of waits and
    repairs. Yields whether it waited for another build. Re-entrant within a thread:
    `omnipub build` takes the lock before its no-op check, and the build inside again."""
    state_dir = root / STATE_FOLDER
    key = (str(state_dir.resolve()), threading.get_ident())
    with _held_lock:
        if key in _held:
            _held[key] += 1
            outer = False
        else:
            _held[key] = 1
            outer = True
    try:
        if not outer:
            yield False
            return
        check_output_folder(root, out_dir, given_as)
        with (
            _site_lock(state_dir, wait, report) as waited_site,
            _folder_lock(out_dir, wait, report) as waited_folder,
        ):
            done = recover(out_dir)
            if done and report:
                report(f"{out_dir}: {done}")
            yield waited_site or waited_folder
    finally:
        with _held_lock:
            _held[key] -= 1
            if not _held[key]:
                del _held[key]


@contextlib.contextmanager
def _site_lock(state_dir: Path, wait: bool, report: Callable[[str], None] | None) -> Iterator[bool]:
    if state_dir.exists() and not state_dir.is_dir():
        state_dir.unlink()  # cache damage: the state folder replaced by a file
    state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(state_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        waited = _acquire(fd, "this site", wait, report, lambda: _holder(fd))
        if _holder(fd):  # still named: the last holder was killed
            removed = clean_temporary(state_dir)
            if removed and report:
                report(f"removed {removed} temporary file(s) left by a build that was killed")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield waited
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


@contextlib.contextmanager
def _folder_lock(out_dir: Path, wait: bool, report: Callable[[str], None] | None) -> Iterator[bool]:
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(out_dir, os.O_RDONLY)
    try:
        yield _acquire(fd, f"the output folder {out_dir}", wait, report, lambda: "")
    finally:
        os.close(fd)
        if created:  # a first build that failed leaves no empty folder behind
            with contextlib.suppress(OSError):
                out_dir.rmdir()


def _acquire(
    fd: int,
    what: str,
    wait: bool,
    report: Callable[[str], None] | None,
    holder: Callable[[], str],
) -> bool:
    """Take the lock on `fd`; whether that meant waiting for another build."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock (Windows): builds are not serialised
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        pass
    who = holder()
    by = f" (process {who})" if who else ""
    if not wait:
        raise Busy(f"another build of {what} is running{by}; not waiting (--no-wait)")
    if report:
        report(f"waiting for another build of {what}{by} to finish...")
    fcntl.flock(fd, fcntl.LOCK_EX)
    return True


def _holder(fd: int) -> str:
    with contextlib.suppress(OSError):
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return ""


def clean_temporary(state_dir: Path) -> int:
    """Delete the temporary files (`*.tmp`, see `atomic.py`) of the cache and beside the
    lock file; only called under the lock, when the last build was killed."""
    removed = 0
    for folder, _dirs, files in os.walk(state_dir):
        for name in files:
            if name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, name))
                    removed += 1
    for stray in state_dir.parent.glob("omnipub.lock.*.tmp"):
        stray.unlink(missing_ok=True)
        removed += 1
    return removed
