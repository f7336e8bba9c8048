"""A content-addressed store of output bytes under `.omnipub/cache/blobs/`.

Every published file is a hard link to its blob, so a build writes each distinct output
once, a later build reuses unchanged outputs without rendering or writing them, and a CI
job that restores `.omnipub/cache` gets the same benefit on a fresh clone.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from pathlib import Path

from .atomic import replacing, write_bytes


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._prefix = str(folder) if folder else ""
        #: shard folders known to exist (a build puts thousands of blobs into 256 of them)
        self._shards: set[str] = set()
        #: digests known to be stored
        self._present: set[str] = set()
        #: digest -> the spare copy with room for more links (see `place`)
        self._spares: dict[str, str] = {}

    def path(self, digest: str) -> Path:
        assert self.folder is not None
        return self.folder / digest[:2] / digest

    def has(self, digest: str) -> bool:
        # asked for every output twice a build (reusing a render, then publishing it): a blob
        # once seen stays (nothing deletes blobs during a build), so each is stat'ed once
        if digest in self._present:
            return True
        found = bool(self._prefix) and os.path.isfile(f"{self._prefix}/{digest[:2]}/{digest}")
        if found:
            self._present.add(digest)
        return found

    def forget(self) -> None:
        """Stat blobs again: some were deleted (see `outputs.verify_blobs`)."""
        self._present.clear()
        self._spares.clear()

    def put(self, data: bytes, digest: str | None = None) -> str:
        digest = digest or digest_of(data)
        if self.folder is None:
            return digest
        shard = f"{self._prefix}/{digest[:2]}"
        target = f"{shard}/{digest}"
        if not os.path.isfile(target):
            if shard not in self._shards:
                os.makedirs(shard, exist_ok=True)
                self._shards.add(shard)
            write_bytes(target, data)
        self._present.add(digest)
        return digest

    def size(self, digest: str) -> int:
        return os.stat(f"{self._prefix}/{digest[:2]}/{digest}").st_size

    def read(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def place(self, digest: str, target: str | Path) -> None:
        """Put the blob at `target`: a hard link where possible, else a copy.

        A file system caps the links to one file (65,000 on ext4): an image or script shared
        by every page of a large site reaches it. Past the cap, outputs link to a spare copy
        (`<digest>.<n>` beside the blob) instead of each becoming a copy of its own, which
        costs a new file and its bytes per output."""
        source = self._spares.get(digest) or f"{self._prefix}/{digest[:2]}/{digest}"
        try:
            os.link(source, target)
            return
        except OSError as exc:
            if exc.errno != errno.EMLINK:
                _copy(source, target)  # another device, or links not supported
                return
        spare = 1
        while True:
            candidate = f"{self._prefix}/{digest[:2]}/{digest}.{spare}"
            if not os.path.isfile(candidate):
                write_bytes(candidate, self.read(digest))
            try:
                os.link(candidate, target)
            except OSError as exc:
                if exc.errno != errno.EMLINK:
                    _copy(candidate, target)
                    return
                spare += 1
                continue
            self._spares[digest] = candidate
            return


def _copy(source: str, target: str | Path) -> None:
    """Copy beside the target, then rename over it: copying onto an existing output would
    write through its hard link into the blob every other output shares."""
    with replacing(target) as handle, open(source, "rb") as original:
        shutil.copyfileobj(original, handle)
