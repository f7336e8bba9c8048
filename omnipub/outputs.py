"""Outputs are checked, not trusted: a published file deleted or altered since it was
written is found by the next build, which writes it again from verified bytes.

After publishing, the size, mtime and inode of every file of every channel folder are
recorded under `.omnipub/cache/` (per output folder). A later build compares them with the
files as they are. A file that differs is *damaged*: publishing writes it again, from its
blob, even when its manifest row is unchanged. Outputs are copies, so damage to one never
reaches the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import signal
import sys
import threading
from pathlib import Path
from typing import TypeGuard

from .atomic import replacing
from .collector import collector_paused

RECORD_VERSION = "outputs-3"

#: channel -> path -> (size, mtime_ns, inode, sha256) of each file as it was published
Record = dict[str, dict[str, tuple[int, int, int, str]]]
#: channel -> path -> (size, mtime_ns, inode, links) of each file as `damaged` found it
Seen = dict[str, dict[str, tuple[int, int, int, int] | None]]


def record_path(state_dir: Path, out_dir: Path) -> Path:
    name = hashlib.sha256(str(out_dir.resolve()).encode()).hexdigest()[:16]
    return state_dir / "cache" / f"outputs-{name}.pickle"


def _stat(path: str) -> tuple[int, int, int, int] | None:
    """(size, mtime_ns, inode, links) of a file."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_nlink


def load_record(path: Path | None) -> Record | None:
    """channel -> path -> how the file was left; None when there is no usable record."""
    if path is None:
        return None
    try:
        with path.open("rb") as handle, collector_paused():
            version, record = pickle.load(handle)
    except Exception:  # missing, torn or foreign: every output is distrusted
        return None
    if version != RECORD_VERSION or not _well_formed(record):
        return None
    return record


def _well_formed(record: object) -> TypeGuard[Record]:
    return isinstance(record, dict) and all(
        isinstance(files, dict)
        and all(isinstance(row, tuple) and len(row) == 4 for row in files.values())
        for files in record.values()
    )


def damaged(
    out_dir: Path,
    manifest: dict[str, dict[str, dict[str, object]]] | None,
    record_file: Path | None,
    seen: Seen | None = None,
) -> set[tuple[str, str]]:
    """(channel, path) of every published file that is missing or not as it was left.

    Without a record (none yet, a torn one) a file counts as damaged when it is missing or
    its size differs from the manifest's. A file with other hard links is damaged too: an
    output of an older omnipub linked into the cache is replaced by a copy of its own.
    `seen` receives each file's status, so that recording the files publishing leaves
    alone needs no second look at them (see `save_record`)."""
    record = load_record(record_file) or {}
    found: set[tuple[str, str]] = set()
    base = str(out_dir)
    seen = {} if seen is None else seen
    for channel, files in record.items():
        statuses = seen.setdefault(channel, {})
        for path, row in files.items():
            now = statuses[path] = _stat(f"{base}/{channel}/{path}")
            if now is None or now[:3] != row[:3] or now[3] > 1:
                found.add((channel, path))
    for channel, rows in (manifest or {}).items():
        if channel in record:
            continue
        statuses = seen.setdefault(channel, {})
        for path, entry in rows.items():
            now = statuses[path] = _stat(f"{base}/{channel}/{path}")
            if now is None or now[0] != entry.get("size") or now[3] > 1:
                found.add((channel, path))
    return found


def intact(out_dir: Path, record_file: Path | None) -> bool:
    """Is every recorded output still exactly as the last build left it?"""
    record = load_record(record_file)
    if record is None:
        return False
    stat = os.stat  # the no-op build's one pass over every output: kept lean
    for channel, files in record.items():
        prefix = f"{out_dir}/{channel}/"
        for path, (size, mtime_ns, inode, _sha) in files.items():
            try:
                now = stat(prefix + path)
            except OSError:
                return False
            if now.st_size != size or now.st_mtime_ns != mtime_ns or now.st_ino != inode:
                return False
    return True


class IntactCheck:
    """`intact(out_dir, record_file)`, started early so that it runs beside the listing of
    the sources.

    Where the platform forks and the process runs no other thread, the check runs in a
    child process that answers by its exit status: a no-op build at 10,000 items spends
    0.4 s in these `stat` calls, and each is too short for a thread to win anything but a
    fight for the interpreter. Elsewhere the check runs when its answer is asked for."""

    def __init__(self, out_dir: Path, record_file: Path | None) -> None:
        self.out_dir, self.record_file = out_dir, record_file
        self._pid: int | None = None
        forks = hasattr(os, "fork") and threading.active_count() == 1
        if not forks or record_file is None or not record_file.is_file():
            return
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: check, answer, and run nothing of the parent's at exit
            ok = False
            try:
                ok = intact(out_dir, record_file)
            finally:
                os._exit(0 if ok else 1)
        self._pid = pid

    def result(self) -> bool:
        """Is every recorded output still as the last build left it?"""
        if self._pid is None:
            return intact(self.out_dir, self.record_file)
        pid, self._pid = self._pid, None
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status) == 0

    def close(self) -> None:
        """Stop a check whose answer is no longer wanted."""
        if self._pid is None:
            return
        pid, self._pid = self._pid, None
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def save_record(
    record_file: Path | None,
    out_dir: Path,
    manifest: dict[str, dict[str, dict[str, object]]],
    seen: Seen | None = None,
) -> None:
    """Record how every published file is left, for the next build's check.

    `seen` holds the status `damaged` found of the files this build did not write (the
    publisher drops the ones it writes, removes or finds damaged): those are not looked at
    again (a one-edit build at 10,000 items leaves 160,000 files alone)."""
    if record_file is None:
        return
    base = str(out_dir)
    record: Record = {}
    seen = seen or {}
    for channel, files in manifest.items():
        kept: dict[str, tuple[int, int, int, str]] = {}
        record[channel], statuses = kept, seen.get(channel, {})
        for path, row in files.items():
            now = statuses.get(path) or _stat(f"{base}/{channel}/{path}")
            if now is not None:
                kept[path] = (*now[:3], str(row.get("sha256", "")))
    record_file.parent.mkdir(parents=True, exist_ok=True)
    with replacing(record_file) as handle:
        pickle.dump((RECORD_VERSION, record), handle, protocol=pickle.HIGHEST_PROTOCOL)
