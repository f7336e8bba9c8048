"""Files replaced whole: a reader, a concurrent build or an interrupted one sees the old
bytes or the new, never a torn file.

Every cache entry, blob, manifest, stamp and the lock is written this way: to a temporary
name beside the target that no other live writer uses (process and thread), then renamed
over it. The target's folder must exist.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import BinaryIO


@contextlib.contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A file to write; it replaces `path` when the block ends without an error."""
    tmp = f"{os.fspath(path)}.{os.getpid()}-{threading.get_ident()}.tmp"
    try:
        with open(tmp, "wb") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    with replacing(path) as handle:
        handle.write(data)
