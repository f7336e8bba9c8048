"""Build state for workers that did not fork from the build (a Dask cluster).

The parent pickles what rendering needs into one file under `.omnipub/`; a worker loads it
once per build and rebuilds each channel's context from it, so local and distributed
rendering run the very same `render.render_chunk`.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .blobs import BlobStore
from .depends import Digests, Key
from .diagnostics import Diagnostics
from .ids import Lock
from .incremental import Inputs
from .model import Site
from .resolve import Plan


@dataclass
class Snapshot:
    site: Site
    plan: Plan
    images: dict[str, Any]
    lock: Lock
    #: shared index -> the keys computing it read (see `depends.Digests`)
    memos: dict[Key, tuple[Key, ...]]
    now: dict[str, str]
    blobs: Path | None
    strict: bool
    base_urls: dict[str, str]


_LOADED: dict[str, Snapshot] = {}


def write_snapshot(folder: Path, snapshot: Snapshot) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(dir=folder, prefix="snapshot-", suffix=".pickle")
    with os.fdopen(fd, "wb") as handle:
        pickle.dump(snapshot, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def load_job(path: str, channel_name: str) -> Any:
    """Rebuild one channel's render job from a snapshot file (in a worker)."""
    from . import registry
    from .build import make_context
    from .render import Job

    snapshot = _LOADED.get(path)
    if snapshot is None:
        with open(path, "rb") as handle:
            snapshot = pickle.load(handle)
        _LOADED.clear()
        _LOADED[path] = snapshot
    diagnostics = Diagnostics(strict=snapshot.strict)
    config = snapshot.site.config
    channel = registry.load(channel_name)(config, diagnostics)
    lock = Lock() if snapshot.base_urls else snapshot.lock  # as in `build`: dev URLs
    ctx = make_context(snapshot.site, channel, snapshot.plan, snapshot.images, diagnostics, lock)
    digests = Digests(snapshot.site, snapshot.plan, snapshot.images, snapshot.memos)
    ctx.digests = digests
    inputs = Inputs(channel_name, digests, snapshot.now)
    return Job(channel, ctx, inputs, BlobStore(snapshot.blobs))
