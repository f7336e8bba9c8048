"""A content-addressed store of output bytes under `.omnipub/cache/blobs/`.

A build writes each distinct output once; a later build reuses unchanged outputs without
rendering them, and a CI job that restores `.omnipub/cache` gets the same benefit on a fresh
clone. Outputs are *copies* of their blobs (a reflink where the file system has them), never
hard links: editing a published file must never edit the cache.

Every blob is *sealed* when written: its mtime is set to a value derived from its name (its
content hash) and its size. Anything that writes to a blob (an append, a truncation, an
editor, `cp`) moves its mtime, so one `stat` tells an untouched blob from a suspect one. A
suspect blob is hashed: intact, it is sealed again; damaged, it is deleted and reported, so
whatever produced it renders it again instead of publishing damaged bytes. Seals survive
`tar`, `rsync -a` and CI cache restores, which keep mtimes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path

from .atomic import write_bytes


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: seals are whole, even seconds from 2001 on (FAT keeps 2-second mtimes), 17 years wide
_SEAL_BASE = 1_000_000_000
_SEAL_SPAN = 1 << 28


def seal_of(digest: str, size: int) -> int:
    """The mtime (ns) a blob with this name and size is given when it is written."""
    return (_SEAL_BASE + 2 * ((int(digest[:7], 16) + size) % _SEAL_SPAN)) * 1_000_000_000


#: FICLONE: share the source's extents (btrfs, XFS, APFS-like file systems); None: untried
_FICLONE = 0x40049409
_reflinks: bool | None = None


def copy_file(source: str, target: str) -> None:
    """Copy `source` to a new file `target`: a reflink where the file system offers one (no
    bytes copied, still a separate file), else an ordinary copy."""
    global _reflinks
    if _reflinks is not False:
        try:
            import fcntl

            with open(source, "rb") as src, open(target, "wb") as dst:
                fcntl.ioctl(dst.fileno(), _FICLONE, src.fileno())
            _reflinks = True
            return
        except (ImportError, OSError):
            _reflinks = False if _reflinks is None else _reflinks
    shutil.copyfile(source, target)


class BlobStore:
    """Blobs in `folder`; with `below`, a scratch store over the cache: blobs of `below` are
    read, new ones are written to `folder` only (a what-if build that must not grow the
    cache, see `BuildOptions.scratch`)."""

    def __init__(self, folder: Path | None, below: BlobStore | None = None) -> None:
        self.folder = folder
        self.below = below
        self._prefix = str(folder) if folder else ""
        #: shard folders known to exist (a build puts thousands of blobs into 256 of them)
        self._shards: set[str] = set()
        #: digests known to be stored and intact
        self._present: set[str] = set()
        #: digests found in the store below (not in this folder)
        self._beneath: set[str] = set()
        #: digests of blobs found damaged and deleted (the build reports them)
        self.damaged: list[str] = below.damaged if below else []

    def _where(self, digest: str) -> str:
        """The file of a stored blob: in this folder, else in the store below."""
        if self.below is not None and digest in self._beneath:
            return self.below._where(digest)
        return f"{self._prefix}/{digest[:2]}/{digest}"

    def path(self, digest: str) -> Path:
        assert self.folder is not None
        return Path(self._where(digest))

    def has(self, digest: str) -> bool:
        """Is the blob stored, with its seal intact (or its bytes checked)?

        Asked for every output twice a build (reusing a render, then publishing it): a blob
        once seen stays (nothing deletes blobs during a build), so each is stat'ed once."""
        if digest in self._present or digest in self._beneath:
            return True
        if not self._prefix:
            return False
        where = f"{self._prefix}/{digest[:2]}/{digest}"
        try:
            stat = os.stat(where)
        except OSError:
            if self.below is not None and self.below.has(digest):
                self._beneath.add(digest)
                return True
            return False
        if stat.st_mtime_ns != seal_of(digest, stat.st_size) and not self._verify(digest, where):
            return False
        self._present.add(digest)
        return True

    def _verify(self, digest: str, where: str) -> bool:
        """Hash a blob whose seal is broken: seal it again if intact, else delete it."""
        try:
            with open(where, "rb") as handle:
                actual = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError:
            return False
        if actual == digest:
            with contextlib.suppress(OSError):
                os.utime(where, ns=(seal_of(digest, os.stat(where).st_size),) * 2)
            return True
        with contextlib.suppress(OSError):
            os.unlink(where)
        self.damaged.append(digest)
        return False

    def forget(self) -> None:
        """Stat blobs again (a long-lived process: the cache may have changed meanwhile)."""
        self._present.clear()
        self._beneath.clear()
        if self.below is not None:
            self.below.forget()

    def put(self, data: bytes, digest: str | None = None) -> str:
        digest = digest or digest_of(data)
        if self.folder is None or self.has(digest):
            return digest
        shard = f"{self._prefix}/{digest[:2]}"
        target = f"{shard}/{digest}"
        if shard not in self._shards:
            _make_folder(shard)
            self._shards.add(shard)
        write_bytes(target, data)
        seal = seal_of(digest, len(data))
        os.utime(target, ns=(seal, seal))
        self._present.add(digest)
        return digest

    def size(self, digest: str) -> int:
        return os.stat(self._where(digest)).st_size

    def read(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def copy(self, digest: str, target: str | Path) -> None:
        """Put a copy of the blob at `target` (a new file: see `copy_file`)."""
        copy_file(self._where(digest), os.fspath(target))


def _make_folder(path: str) -> None:
    """A shard folder; a file in its way (cache damage) is removed first."""
    try:
        os.makedirs(path, exist_ok=True)
    except FileExistsError:
        os.unlink(path)
        os.makedirs(path, exist_ok=True)
