"""Outputs are checked, not trusted: a published file deleted or altered since it was
written is found by the next build, which writes it again from verified bytes.

After publishing, the size, mtime and inode of every file of every channel folder are
recorded under `.omnipub/cache/` (per output folder). A later build compares them with the
files as they are. A file that differs is *damaged*: publishing writes it again even when
its manifest row is unchanged, and since published files can share bytes with the blob
store, a blob whose bytes no longer hash to its name is deleted, so whatever produced it
renders it again instead of publishing damaged bytes.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from .atomic import replacing
from .blobs import BlobStore, digest_of
from .collector import collector_paused

RECORD_VERSION = "outputs-2"

#: (size, mtime_ns, inode) of one published file
Seen = tuple[int, int, int]
#: channel -> path -> (size, mtime_ns, inode, sha256) of each file as it was published
Record = dict[str, dict[str, tuple[int, int, int, str]]]


def record_path(state_dir: Path, out_dir: Path) -> Path:
    name = hashlib.sha256(str(out_dir.resolve()).encode()).hexdigest()[:16]
    return state_dir / "cache" / f"outputs-{name}.pickle"


def _stat(path: str) -> Seen | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def load_record(path: Path | None) -> Record | None:
    """channel -> path -> how the file was left; None when there is no usable record."""
    if path is None:
        return None
    try:
        with path.open("rb") as handle, collector_paused():
            version, record = pickle.load(handle)
    except Exception:  # missing, torn or foreign: every output is distrusted
        return None
    return record if version == RECORD_VERSION and isinstance(record, dict) else None


def damaged(
    out_dir: Path,
    manifest: dict[str, dict[str, dict[str, object]]] | None,
    record_file: Path | None,
    blobs: BlobStore,
) -> set[tuple[str, str]]:
    """(channel, path) of every published file that is missing or not as it was left; the
    blobs whose bytes such a file shared and changed are deleted on the way.

    Without a record (none yet, a torn one) a file counts as damaged when it is missing or
    its size differs from the manifest's. A file edited in place edited the blob it was
    linked to: that blob's stat no longer matches the record either, even after the output
    folder is gone."""
    record = load_record(record_file) or {}
    found: set[tuple[str, str]] = set()
    suspects: set[str] = set()
    base = str(out_dir)
    for channel, files in record.items():
        for path, (size, mtime, ino, digest) in files.items():
            now = _stat(f"{base}/{channel}/{path}")
            if now == (size, mtime, ino):
                continue
            found.add((channel, path))
            if now is not None or _blob_changed(blobs, digest, (size, mtime, ino)):
                suspects.add(digest)
    for channel, rows in (manifest or {}).items():
        if channel in record:
            continue
        for path, row in rows.items():
            now = _stat(f"{base}/{channel}/{path}")
            if now is None or now[0] != row.get("size"):
                found.add((channel, path))
                suspects.add(str(row.get("sha256", "")))
    _drop_damaged_blobs(blobs, suspects)
    return found


def _blob_changed(blobs: BlobStore, digest: str, seen: Seen) -> bool:
    if blobs.folder is None:
        return False
    for candidate in blobs.folder.glob(f"{digest[:2]}/{digest}*"):
        now = _stat(str(candidate))
        if now is not None and now[2] == seen[2]:
            return now != seen
    return False


def _drop_damaged_blobs(blobs: BlobStore, digests: set[str]) -> None:
    """Delete the blobs among `digests` whose bytes no longer hash to their name."""
    if blobs.folder is None:
        return
    for digest in sorted(d for d in digests if d):
        for candidate in sorted(blobs.folder.glob(f"{digest[:2]}/{digest}*")):
            try:
                data = candidate.read_bytes()
            except OSError:
                continue
            if digest_of(data) != digest:
                candidate.unlink(missing_ok=True)
    blobs.forget()


def intact(out_dir: Path, record_file: Path | None) -> bool:
    """Is every recorded output still exactly as the last build left it?"""
    record = load_record(record_file)
    if record is None:
        return False
    base = str(out_dir)
    return all(
        _stat(f"{base}/{channel}/{path}") == row[:3]
        for channel, files in record.items()
        for path, row in files.items()
    )


def save_record(
    record_file: Path | None, out_dir: Path, manifest: dict[str, dict[str, dict[str, object]]]
) -> None:
    """Record how every published file is left, for the next build's check."""
    if record_file is None:
        return
    base = str(out_dir)
    record: Record = {}
    for channel, files in manifest.items():
        seen = record[channel] = {}
        for path, row in files.items():
            now = _stat(f"{base}/{channel}/{path}")
            if now is not None:
                seen[path] = (*now, str(row.get("sha256", "")))
    record_file.parent.mkdir(parents=True, exist_ok=True)
    with replacing(record_file) as handle:
        pickle.dump((RECORD_VERSION, record), handle, protocol=pickle.HIGHEST_PROTOCOL)
