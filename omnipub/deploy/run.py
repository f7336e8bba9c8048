"""`omnipub deploy`: put the last real build's channel folders on their targets.

1. Read the build's deploy manifests (`public/.omnipub/<channel>.deploy-manifest.json`) and
   each target's recorded state (or, with `--verify`, a listing of the target).
2. Plan: upload the files whose bytes or headers differ, delete what the build removed —
   refusing up front when that is more than `--max-deletes` without `--force`.
3. Upload in stages (see `order.py`), each file's references before it and entry points
   last, recording progress at the target after each stage; then delete; then record the
   deployed state (files, the channel's lock state, published ids).

A deploy that fails part-way has changed only files no entry point yet leads to, or
finished stages; running it again uploads what is still missing and converges.
"""

from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..build import load_channels
from ..config import load_config
from ..diagnostics import Diagnostics, OmnipubError, UsageError
from ..ids import Lock
from ..publish import DEPLOY_FOLDER, DEPLOY_SUFFIX, MANIFEST_NAME
from .headers import Headers, encoded, headers_for
from .order import Files, Key, Pending, is_entry, is_text, references, stages
from .settings import DeployConfigError, DeploySettings, read_settings
from .state import Row, TargetState, ids_in, merge, record_ids
from .targets import DeployFailed, FolderTarget, Target, targets_for

#: how often a long deploy records its progress at the targets
CHECKPOINT_SECONDS = 10.0


@dataclass
class DeployOptions:
    root: Path
    channels: tuple[str, ...] = ()
    dry_run: bool = False
    #: None: the configured default
    max_deletes: int | None = None
    force: bool = False
    verify: bool = False


class DeployRefused(OmnipubError):
    """A deploy that would delete more than allowed: nothing is changed."""

    def __init__(self, message: str, hint: str) -> None:
        self.hint = hint
        super().__init__(message)


@dataclass
class ChannelPlan:
    channel: str
    url: str
    #: path -> (sha256, size, media type) of every file of the build
    files: dict[str, tuple[str, int, str]]
    headers: dict[str, Headers]
    upload: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    unchanged: int = 0
    uploaded_bytes: int = 0


@dataclass
class DeployReport:
    channels: dict[str, ChannelPlan]
    stages: list[list[Key]]
    dry_run: bool
    verify: bool
    seconds: float = 0.0
    #: channels without a target, left alone
    skipped: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": True,
            "dry_run": self.dry_run,
            "verify": self.verify,
            "seconds": round(self.seconds, 3),
            "skipped": self.skipped,
            "channels": {
                name: {
                    "target": plan.url,
                    "uploaded": plan.upload,
                    "deleted": plan.delete,
                    "unchanged": plan.unchanged,
                    "bytes": plan.uploaded_bytes,
                }
                for name, plan in self.channels.items()
            },
            "stages": [[f"{c}/{p}" for c, p in stage] for stage in self.stages],
        }


@dataclass
class _Site:
    root: Path
    out_dir: Path
    settings: DeploySettings
    bases: dict[str, str]
    entry_points: dict[str, tuple[str, ...]]
    enabled: tuple[str, ...]


def _site(root: Path) -> _Site:
    root = root.resolve()
    diagnostics = Diagnostics()
    config = load_config(root, diagnostics)
    if diagnostics.errors:  # an omnipub.toml the build would refuse is deployed nowhere
        raise DeployConfigError(diagnostics.errors)
    settings = read_settings(config)
    channels = load_channels(config, diagnostics)
    return _Site(
        root,
        root / config.output_dir,
        settings,
        {c.name: c.config.base_url for c in channels},
        {c.name: type(c).entry_points for c in channels},
        config.enabled_channels,
    )


def _chosen(site: _Site, wanted: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The channels to deploy, and the enabled ones skipped for want of a target."""
    targets = site.settings.targets
    if not targets:
        raise UsageError(
            "omnipub.toml names no deploy target",
            'add [deploy.web] with url = "s3://bucket/prefix" (or a folder); see docs/deploy.md',
        )
    for name in wanted:
        if name not in targets:
            raise UsageError(
                f"channel {name!r} has no deploy target",
                f"add [deploy.{name}] to omnipub.toml (targets: {', '.join(sorted(targets))})",
            )
    chosen = [name for name in site.enabled if name in targets and (not wanted or name in wanted)]
    skipped = [] if wanted else [name for name in site.enabled if name not in targets]
    return chosen, skipped


def _build_files(site: _Site, channel: str) -> dict[str, tuple[str, int, str]]:
    """The last real build's files of `channel`, from its deploy manifest."""
    folder = site.out_dir / DEPLOY_FOLDER
    try:
        index = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
        data = json.loads((folder / f"{channel}{DEPLOY_SUFFIX}").read_text(encoding="utf-8"))
        files = data["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(
            f"no build of the {channel} channel to deploy in {site.out_dir}",
            "run 'omnipub build' first (a real build: no --at, --drafts, --channel or --out)",
        ) from exc
    if isinstance(index, dict) and index.get("what_if"):
        raise UsageError(
            f"{site.out_dir} holds a what-if build (--at, --drafts, --channel or another "
            "base URL), which is never deployed",
            "run 'omnipub build' to build it as of now, then deploy",
        )
    return {p: (str(r["sha256"]), int(r["size"]), str(r["type"])) for p, r in files.items()}


def _read(site: _Site, channel: str, path: str, sha256: str) -> bytes:
    """A built file's bytes, which must be the ones the build recorded."""
    where = site.out_dir / channel / path
    try:
        data = where.read_bytes()
    except OSError as exc:
        raise DeployFailed(
            f"{where}: missing ({exc.strerror}); run 'omnipub build' before deploying"
        ) from exc
    if hashlib.sha256(data).hexdigest() != sha256:
        raise DeployFailed(
            f"{where} is not the file the last build wrote (edited since?); run 'omnipub "
            "build', which writes it again, then deploy"
        )
    return data


def _plan(
    site: _Site,
    channel: str,
    target: Target,
    state: TargetState,
    verify: bool,
) -> ChannelPlan:
    files = _build_files(site, channel)
    rules = site.settings.targets[channel].rules
    plan = ChannelPlan(
        channel,
        target.url,
        files,
        {p: headers_for(p, t, rules, site.settings) for p, (_s, _n, t) in files.items()},
    )
    listed = target.listing() if verify else None
    for path, (sha256, _size, _type) in sorted(files.items()):
        headers = plan.headers[path]
        recorded = state.files.get(path)
        if listed is not None:
            stored = encoded(_read(site, channel, path, sha256), headers)
            md5 = hashlib.md5(stored, usedforsecurity=False).hexdigest()
            same = listed.get(path) == md5 and (
                recorded is None or recorded.headers == headers.row()
            )
            if same:  # the listing is the truth: record what it shows
                state.files[path] = Row(sha256, md5, len(stored), headers.row())
            elif path not in listed:  # gone: it goes up as a new file, ordered as one
                state.files.pop(path, None)
        else:
            same = (
                recorded is not None
                and recorded.sha256 == sha256
                and recorded.headers == headers.row()
            )
        if same:
            plan.unchanged += 1
        else:
            plan.upload.append(path)
    there = set(state.files) | state.pending | set(listed or ())
    plan.delete = sorted(there - set(files))
    return plan


def _pending(
    site: _Site, plans: dict[str, ChannelPlan], states: dict[str, TargetState]
) -> tuple[dict[Key, Pending], dict[str, set[str]]]:
    """What each upload references, and the item ids each channel's uploads carry."""
    files = Files({name: set(plan.files) for name, plan in plans.items()}, site.bases)
    pending: dict[Key, Pending] = {}
    carried: dict[str, set[str]] = {}
    for name, plan in plans.items():
        found = carried.setdefault(name, set())
        state = states[name]
        for path in plan.upload:
            sha256, _size, media_type = plan.files[path]
            refs: set[Key] = set()
            if is_text(media_type):
                data = _read(site, name, path, sha256)
                refs = references(data, media_type, name, path, files)
                found |= ids_in(data)
            added = path not in state.files and path not in state.pending
            entry = is_entry(path, site.entry_points.get(name, ()))
            pending[(name, path)] = Pending((name, path), added, entry, frozenset(refs))
        if not state.found:  # no record of what went up before: every file tells
            for path in sorted(set(plan.files) - set(plan.upload)):
                sha256, _size, media_type = plan.files[path]
                if is_text(media_type):
                    found |= ids_in(_read(site, name, path, sha256))
    return pending, carried


def deploy(options: DeployOptions) -> DeployReport:
    started = time.perf_counter()
    site = _site(options.root)
    chosen, skipped = _chosen(site, options.channels)
    workers = site.settings.workers
    targets = targets_for([site.settings.targets[name] for name in chosen], workers)
    states: dict[str, TargetState] = {}
    recorded: dict[str, bytes | None] = {}
    for name, target in targets.items():
        recorded[name] = target.read_state()
        try:
            states[name] = TargetState.parse(recorded[name], name, target.url)
        except DeployFailed:
            if not options.verify:
                raise
            states[name] = TargetState(name)
    plans = {
        name: _plan(site, name, targets[name], states[name], options.verify) for name in chosen
    }
    limit = site.settings.max_deletes if options.max_deletes is None else options.max_deletes
    too_many = {n: len(p.delete) for n, p in plans.items() if len(p.delete) > limit}
    if too_many and not options.force:
        counts = ", ".join(f"{n} {c}" for n, c in sorted(too_many.items()))
        raise DeployRefused(
            f"the deploy would delete more than {limit} file(s) per target ({counts}); "
            "nothing was changed",
            "check that the build is complete ('omnipub deploy --dry-run' lists the files), "
            "then pass --force or a higher --max-deletes",
        )
    pending, carried = _pending(site, plans, states)
    order = stages(pending)
    report = DeployReport(plans, order, options.dry_run, options.verify, skipped=skipped)
    for plan in plans.values():
        plan.uploaded_bytes = sum(plan.files[p][1] for p in plan.upload)
    if options.dry_run:
        report.seconds = time.perf_counter() - started
        return report
    try:
        _execute(site, targets, states, plans, order, workers)
    except DeployFailed as exc:
        raise DeployFailed(
            f"the deploy stopped part-way: {exc}\n  what went up is only reachable from files "
            "already up, and entry points go last; run 'omnipub deploy' again to complete it"
        ) from exc
    lock = Lock.read(site.root)
    for name, plan in plans.items():
        state = states[name]
        state.pending = set()
        state.files = {p: r for p, r in state.files.items() if p in plan.files}
        state.state = lock.channels.get(name)
        record_ids(state, lock, carried[name])
        if state.dumps() != recorded[name]:
            targets[name].write_state(state.dumps())
    report.seconds = time.perf_counter() - started
    return report


def _execute(
    site: _Site,
    targets: dict[str, Target],
    states: dict[str, TargetState],
    plans: dict[str, ChannelPlan],
    order: list[list[Key]],
    workers: int,
) -> None:
    for name, plan in plans.items():
        target = targets[name]
        if isinstance(target, FolderTarget):
            target.clear_incoming()
        added = {p for p in plan.upload if p not in states[name].files}
        if added - states[name].pending:
            # what may go up is known before it does: a later deploy can delete it
            states[name].pending |= added
            targets[name].write_state(states[name].dumps())

    def upload(key: Key) -> tuple[Key, Row]:
        name, path = key
        sha256 = plans[name].files[path][0]
        headers = plans[name].headers[path]
        stored = encoded(_read(site, name, path, sha256), headers)
        targets[name].put(path, stored, headers)
        md5 = hashlib.md5(stored, usedforsecurity=False).hexdigest()
        return key, Row(sha256, md5, len(stored), headers.row())

    last = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        unrecorded: list[Future[tuple[Key, Row]]] = []
        for stage in order:
            futures = [pool.submit(upload, key) for key in stage]
            done, not_done = wait(futures, return_when=FIRST_EXCEPTION)
            failed = next((f for f in done if f.exception() is not None), None)
            if failed is not None:
                for future in not_done:
                    future.cancel()
                wait(not_done)
                unrecorded += [
                    f for f in futures if f.done() and not f.cancelled() and f.exception() is None
                ]
                _checkpoint(targets, states, unrecorded)
                exc = failed.exception()
                assert exc is not None
                raise exc
            unrecorded += futures
            if time.monotonic() - last > CHECKPOINT_SECONDS:
                _checkpoint(targets, states, unrecorded)
                unrecorded, last = [], time.monotonic()
        _checkpoint(targets, states, unrecorded)
    for name, plan in plans.items():
        if plan.delete:
            targets[name].delete(plan.delete)
            for path in plan.delete:
                states[name].files.pop(path, None)
                states[name].pending.discard(path)


def _checkpoint(
    targets: dict[str, Target],
    states: dict[str, TargetState],
    futures: list[Future[tuple[Key, Row]]],
) -> None:
    """Record the files a stage put up, so a rerun after a failure does not redo them."""
    touched: set[str] = set()
    for future in futures:
        (name, path), row = future.result()
        states[name].files[path] = row
        touched.add(name)
    for name in sorted(touched):
        targets[name].write_state(states[name].dumps())


def pull_state(root: Path, channels: tuple[str, ...] = ()) -> list[str]:
    """Merge what the targets recorded into omnipub.lock; returns lines to show."""
    site = _site(root)
    chosen, _skipped = _chosen(site, channels)
    states = []
    lines = []
    targets = targets_for([site.settings.targets[n] for n in chosen], site.settings.workers)
    for name, target in targets.items():
        state = TargetState.parse(target.read_state(), name, target.url)
        if state.found:
            states.append(state)
            lines.append(
                f"{name}: read the state of {target.url} ({len(state.ids)} published id(s))"
            )
        else:
            lines.append(f"{name}: no deploy recorded at {target.url} yet")
    lock = Lock.read(site.root)
    merged, notes = merge(lock, states)
    if merged.dumps() != lock.dumps():
        merged.write(site.root)
        lines.append("omnipub.lock: merged the deployed state")
    else:
        lines.append("omnipub.lock: already up to date with the deployed state")
    return [*notes, *lines]
