"""A build's render jobs: what a worker needs to render routes of one channel.

A forked worker inherits the running build's jobs from `register`; a worker that did not
fork (a Dask cluster) rebuilds them from a snapshot (`snapshot.load_job`) with the same
`make_context`, so both render with the very same context.
"""

from __future__ import annotations

from dataclasses import dataclass

from .blobs import BlobStore
from .channel import Channel
from .context import RenderContext
from .diagnostics import Diagnostics
from .i18n import CORE_CATALOGUES, Catalogue
from .ids import Lock
from .images import ImageInfo
from .incremental import Inputs
from .model import Site
from .resolve import Plan
from .templates import make_environment


@dataclass
class Job:
    """Everything a worker needs to render routes of one channel."""

    channel: Channel
    ctx: RenderContext
    inputs: Inputs
    blobs: BlobStore


#: Jobs of the running build, inherited by forked workers; others load a snapshot.
_JOBS: dict[str, Job] = {}


def register(job_key: str, jobs: dict[str, Job]) -> None:
    """Make every channel's job known before workers fork, so each worker has them all."""
    for name, job in jobs.items():
        _JOBS[f"{job_key}:{name}"] = job


def make_context(
    site: Site,
    channel: Channel,
    plan: Plan,
    images: dict[str, ImageInfo],
    diagnostics: Diagnostics,
    lock: Lock,
) -> RenderContext:
    """A channel's render context: its templates, words (core, channel, site) and lock
    state. The build and a snapshot worker both make it here, so they cannot differ."""
    config = site.config
    dirs = [CORE_CATALOGUES]
    if channel.package_dir:
        dirs.append(channel.package_dir / "i18n")
    catalogue = Catalogue([*dirs, config.root / "i18n"])
    env = make_environment(
        config, channel.name, channel.package_dir, catalogue, channel.template_fallbacks
    )
    state = lock.channels.get(channel.name, {})
    return RenderContext(site, channel, plan, env, images, diagnostics, state)


def registered(job_key: str, channel: str) -> Job | None:
    """The job of `channel` in the build `job_key`, if this process knows it."""
    return _JOBS.get(f"{job_key}:{channel}")


def forget(job_key: str) -> None:
    """Drop the jobs of the build `job_key` (it is over)."""
    for key in [k for k in _JOBS if k.startswith(f"{job_key}:")]:
        del _JOBS[key]
