"""The build stamp: a build with nothing to do finishes in a fraction of a second.

After a successful build to disk, the stamp records a key over everything the outputs were
made from (code, templates, words, config, options, the size and mtime of every source file,
the lock), the parts of the build instant that some output showed, the next instant at which
an item appears or disappears, and the state of the published output's manifest. A later
build whose key matches, whose instant shows the same, and whose output folder is the one
recorded has nothing to render: it replays the warnings and stops. Anything else (no stamp,
a foreign or torn one, a touched output manifest) runs the normal build, whose render cache
then decides what to re-render.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .atomic import replacing
from .discover import RACY_NS
from .incremental import CACHE_VERSION, channel_digest, instant_parts
from .outputs import IntactCheck, record_path
from .publish import DEPLOY_FOLDER, MANIFEST_NAME, DiskSink, read_manifest

if TYPE_CHECKING:
    from .build import BuildOptions, BuildSummary, Prepared
    from .config import SiteConfig

STAMP_VERSION = f"stamp-2-{CACHE_VERSION}"
STAMP_NAME = "build-stamp.pickle"


@dataclass(frozen=True)
class Stamp:
    version: str
    #: the inputs' key (see `inputs_key`) with the lock's digest as written after the build
    key: str
    #: instant part -> the value some output showed ("date" -> "2026-12-02", ...)
    shown: dict[str, str]
    #: the first instant at which an item appears or disappears (None: never)
    next_change: dt.datetime | None
    #: (size, mtime_ns) of the published manifest, and whether its deploy diffs are empty
    manifest: tuple[int, int]
    settled: bool
    summary: BuildSummary


def inputs_key(options: BuildOptions, prepared: Prepared) -> str:
    """A digest of every input of the build except the lock and the instant."""
    config = prepared.config
    h = hashlib.sha256()
    h.update(
        repr(
            (
                STAMP_VERSION,
                sys.version,
                [c.name for c in prepared.channels],
                # a real build records itself (lock, deploy manifests): a what-if's stamp
                # must never stand in for it
                prepared.what_if,
                options.drafts,
                options.strict,
                sorted(options.base_urls.items()),
                str(output_folder(options, prepared)),
            )
        ).encode()
    )
    planned = prepared.planned or prepared.channels
    for channel in prepared.channels:
        h.update(channel_digest(config, channel, options.drafts, planned).encode())
    for source in prepared.sources:
        h.update(f"{source.rel}\0{source.kind}\0{source.size}\0{source.mtime_ns}\n".encode())
    return h.hexdigest()


def output_folder(options: BuildOptions, prepared: Prepared) -> Path:
    return (options.out_dir or prepared.config.root / prepared.config.output_dir).resolve()


def _lock_digest(root: Path) -> str:
    from .ids import LOCK_NAME

    try:
        return hashlib.sha256((root / LOCK_NAME).read_bytes()).hexdigest()
    except OSError:
        return "-"


def _manifest_stat(out_dir: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(out_dir / DEPLOY_FOLDER / MANIFEST_NAME)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _path(prepared: Prepared) -> Path:
    return prepared.config.state_dir / "cache" / STAMP_NAME


def write_stamp(
    options: BuildOptions,
    prepared: Prepared,
    key: str,
    shown_parts: set[str],
    next_change: dt.datetime | None,
    settled: bool,
    summary: BuildSummary,
) -> None:
    """Record a successful build to disk (call after the lock and outputs are written)."""
    out_dir = output_folder(options, prepared)
    manifest = _manifest_stat(out_dir)
    path = _path(prepared)
    racy = prepared.listed_at - RACY_NS
    # a build that repaired the cache says so once: its warnings are not replayed
    repaired = any(warning.code == "cache.damaged" for warning in summary.warnings)
    if manifest is None or repaired or any(s.mtime_ns >= racy for s in prepared.sources):
        path.unlink(missing_ok=True)
        return
    parts = instant_parts(prepared.now)
    stamp = Stamp(
        STAMP_VERSION,
        _full_key(key, prepared.config.root),
        {part: parts[part] for part in sorted(shown_parts)},
        next_change,
        manifest,
        settled,
        summary,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as handle:
        pickle.dump(stamp, handle, protocol=pickle.HIGHEST_PROTOCOL)


def _full_key(key: str, root: Path) -> str:
    return hashlib.sha256(f"{key}\0{_lock_digest(root)}".encode()).hexdigest()


def output_check(options: BuildOptions, config: SiteConfig) -> IntactCheck:
    """The check that the last build's outputs are intact, started now (see `IntactCheck`)."""
    out_dir = (options.out_dir or config.root / config.output_dir).resolve()
    return IntactCheck(out_dir, record_path(config.state_dir, out_dir))


def unchanged(
    options: BuildOptions, prepared: Prepared, check: IntactCheck | None = None
) -> BuildSummary | None:
    """The last build's summary when it is still exact for `options`, else None.

    `check` is `output_check(options, prepared.config)` when the caller started it before
    listing the sources."""
    try:
        return _unchanged(options, prepared, check)
    finally:
        if check is not None:
            check.close()  # not asked for when something else had changed


def _unchanged(
    options: BuildOptions, prepared: Prepared, check: IntactCheck | None
) -> BuildSummary | None:
    if not options.use_cache:
        return None
    path = _path(prepared)
    try:
        with path.open("rb") as handle:
            stamp = pickle.load(handle)
    except Exception:  # missing, torn or foreign: build
        return None
    if not isinstance(stamp, Stamp) or stamp.version != STAMP_VERSION:
        return None
    now = prepared.now
    if stamp.next_change is not None and now >= stamp.next_change:
        return None
    parts = instant_parts(now)
    if any(parts.get(part) != value for part, value in stamp.shown.items()):
        return None
    out_dir = output_folder(options, prepared)
    if _manifest_stat(out_dir) != stamp.manifest:
        return None
    if not all((out_dir / channel).is_dir() for channel in stamp.summary.reports):
        return None
    key = inputs_key(options, prepared)
    if stamp.key != _full_key(key, prepared.config.root):
        return None
    # last, as it reads every output's status: an edit is found without it
    check = check or IntactCheck(out_dir, record_path(prepared.config.state_dir, out_dir))
    if not check.result():
        return None  # an output was deleted or altered: the build writes it again
    if not stamp.settled and prepared.real:
        # a build with changes leaves diffs in the deploy manifests; with nothing changed
        # they are empty, exactly as a full build would leave them (a what-if build leaves
        # the deploy manifests alone)
        manifest = read_manifest(out_dir)
        if manifest is None:
            return None
        DiskSink(out_dir).settle(manifest)
        write_stamp(
            options, prepared, key, set(stamp.shown), stamp.next_change, True, stamp.summary
        )
    return stamp.summary.unchanged(now)
