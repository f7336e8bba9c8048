"""Build state for workers that did not fork from the build (a Dask cluster).

The parent pickles what rendering needs into one file under `.omnipub/`; a worker loads it
once per build and rebuilds each channel's context from it, so local and distributed
rendering run the very same `render.render_chunk`. What a channel's job holds is read off
the parent's own jobs (`Snapshot.of`), never worked out again from the build options: a
worker that decided the lock, the build instant or the strictness by itself would drift
from the in-process job as soon as the build changes how it makes them.
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
from .diagnostics import Diagnostics, UsageError
from .ids import Lock
from .incremental import Inputs
from .jobs import Job, forget, make_context
from .model import Site
from .resolve import Plan


@dataclass
class ChannelJob:
    """One channel's part of a job beyond the shared site: what the worker cannot rebuild."""

    #: shared index -> the keys computing it read (the worker's `Digests` start from them),
    #: and the instant by part
    memos: dict[Key, tuple[Key, ...]]
    now: dict[str, str]
    #: the channel's state from the lock as the parent's context holds it (none for a build
    #: with dev base URLs)
    state: dict[str, Any]
    #: how the parent's diagnostics treat warnings: a worker reports them the same way
    strict: bool
    silenced: frozenset[str]
    blobs: Path | None


@dataclass
class Snapshot:
    site: Site
    plan: Plan
    images: dict[str, Any]
    channels: dict[str, ChannelJob]

    @classmethod
    def of(cls, site: Site, plan: Plan, images: dict[str, Any], jobs: dict[str, Job]) -> Snapshot:
        """The snapshot of a build's in-process jobs (the digests are shared, stored once)."""
        return cls(
            site,
            plan,
            images,
            {
                name: ChannelJob(
                    _memos(job.inputs.items),
                    dict(job.inputs.now),
                    dict(job.ctx.state),
                    job.ctx.diagnostics.strict,
                    frozenset(job.ctx.diagnostics.silenced),
                    job.blobs.folder,
                )
                for name, job in jobs.items()
            },
        )


def _memos(digests: dict[Key, str]) -> dict[Key, tuple[Key, ...]]:
    return dict(digests.memos) if isinstance(digests, Digests) else {}


#: the snapshot this worker process last loaded (path -> snapshot): one build at a time
_LOADED: dict[str, Snapshot] = {}


def write_snapshot(folder: Path, snapshot: Snapshot) -> str:
    """Pickle `snapshot` into a new file in `folder`; returns its path (the job key)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(dir=folder, prefix="snapshot-", suffix=".pickle")
    with os.fdopen(fd, "wb") as handle:
        pickle.dump(snapshot, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def load_job(path: str, channel_name: str) -> Job:
    """Rebuild one channel's render job from a snapshot file (in a worker)."""
    from . import registry

    snapshot = _LOADED.get(path)
    if snapshot is None:
        try:
            with open(path, "rb") as handle:
                snapshot = pickle.load(handle)
        except FileNotFoundError as exc:
            raise UsageError(
                f"this worker cannot read the build's snapshot {path}",
                "Dask workers render from the build's folder: run them where it is reachable"
                " at the same path",
            ) from exc
        for old in list(_LOADED):  # a long-lived worker keeps one build's jobs, not all
            forget(old)
        _LOADED.clear()
        _LOADED[path] = snapshot
    part = snapshot.channels[channel_name]
    diagnostics = Diagnostics(strict=part.strict, silenced=part.silenced)
    channel = registry.load(channel_name)(snapshot.site.config, diagnostics)
    lock = Lock(channels={channel_name: part.state})
    ctx = make_context(snapshot.site, channel, snapshot.plan, snapshot.images, diagnostics, lock)
    digests = Digests(snapshot.site, snapshot.plan, snapshot.images, part.memos)
    ctx.digests = digests
    inputs = Inputs(channel_name, digests, part.now)
    return Job(channel, ctx, inputs, BlobStore(part.blobs))
