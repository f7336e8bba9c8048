"""A content-addressed store of output bytes under `.omnipub/cache/blobs/`.

Every published file is a hard link to its blob, so a build writes each distinct output
once, a later build reuses unchanged outputs without rendering or writing them, and a CI
job that restores `.omnipub/cache` gets the same benefit on a fresh clone.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from pathlib import Path


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._prefix = str(folder) if folder else ""
        #: shard folders known to exist (a build puts thousands of blobs into 256 of them)
        self._shards: set[str] = set()

    def path(self, digest: str) -> Path:
        assert self.folder is not None
        return self.folder / digest[:2] / digest

    def has(self, digest: str) -> bool:
        # string paths: this runs for every output of every build
        return bool(self._prefix) and os.path.isfile(f"{self._prefix}/{digest[:2]}/{digest}")

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
            # a name no other live writer uses; written whole, then renamed into place
            tmp = f"{target}.{os.getpid()}-{threading.get_ident()}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        return digest

    def read(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def place(self, digest: str, target: Path) -> None:
        """Put the blob at `target`: a hard link where possible, else a copy."""
        source = self.path(digest)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
