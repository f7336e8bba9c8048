"""Render: each channel turns its routes into artifacts, in memory, reusing what it can.

A route whose recorded inputs are unchanged is taken from the render cache. The rest are
rendered in chunks through a `concurrent.futures.Executor`: in this process, in a pool of
forked processes (which inherit the build state), or on a Dask cluster (which loads it from
a snapshot file). A render failure in one output is recorded and rendering goes on, so one
build reports every broken output at once.
"""

from __future__ import annotations

import dataclasses
from _collections_abc import dict_items, dict_keys, dict_values
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field

from .audit import leak_marks, scan
from .blobs import digest_of
from .channel import Artifact, Route
from .depends import Key, Usage, current, recording
from .diagnostics import Diagnostic, Diagnostics, Location
from .executors import PARALLEL_THRESHOLD
from .incremental import Entry, RenderCache, make_entry, still_valid
from .jobs import Job, register, registered
from .paths import UnsafePath, check_output_path
from .templates import TemplateProblem

#: routes a serial render does between progress reports
SERIAL_SLICE = 64


@dataclass
class ChannelOutput:
    #: every output (empty after a live rebuild, whose outputs are its sink's files)
    artifacts: list[Artifact] = field(default_factory=list)
    rendered: int = 0
    reused: int = 0
    #: output paths of the routes rendered (not reused) in this build
    rendered_paths: list[str] = field(default_factory=list)
    #: what `finish` returned and what it read (a live rebuild reuses it when that holds)
    finished: list[Artifact] = field(default_factory=list)
    finish_usage: Usage | None = None
    #: image renditions the routes asked for
    assets: list[Artifact] = field(default_factory=list)


@dataclass
class ChunkResult:
    artifacts: list[Artifact]
    entries: dict[str, Entry]
    assets: list[Artifact]
    diagnostics: list[Diagnostic]
    #: shared indexes computed here -> the keys they read (see `RenderContext.memo`)
    memos: dict[Key, tuple[Key, ...]] = field(default_factory=dict)


def _located(problem: TemplateProblem, route: Route) -> Diagnostic:
    diagnostic = problem.diagnostic
    if diagnostic.location is None and route.source:
        return dataclasses.replace(diagnostic, location=Location(route.source))
    return diagnostic


def _job(key: str, channel: str) -> Job:
    job = registered(key, channel)
    if job is None:  # a worker that did not fork from the build: the key is a snapshot
        from .snapshot import load_job

        job = load_job(key, channel)
        register(key, {channel: job})
    return job


def render_chunk(key: str, channel_name: str, routes: list[Route], keep_data: bool) -> ChunkResult:
    """Render some routes of one channel; runs in any worker of any executor."""
    job = _job(key, channel_name)
    ctx, channel = job.ctx, job.channel
    local = Diagnostics(strict=ctx.diagnostics.strict, silenced=ctx.diagnostics.silenced)
    shared, ctx.diagnostics = ctx.diagnostics, local
    artifacts: list[Artifact] = []
    entries: dict[str, Entry] = {}
    assets: dict[str, Artifact] = {}
    marks = ctx.memo("leak-marks", lambda: leak_marks(ctx.site))
    try:
        for route in routes:
            ctx.begin()
            mark = len(local.items)
            usage = Usage()
            try:
                with recording(usage):
                    made = channel.render(route, ctx)
            except TemplateProblem as problem:
                local.add(_located(problem, route))
                continue
            stored = []
            for artifact in made:
                digest = artifact.digest
                if artifact.data is not None and not keep_data:
                    local.extend(scan(marks, channel_name, artifact.path, artifact.data))
                if artifact.data is not None:
                    digest = job.blobs.put(artifact.data, digest_of(artifact.data))
                data = artifact.data if keep_data else None
                stored.append(dataclasses.replace(artifact, digest=digest, data=data))
            artifacts.extend(stored)
            for asset in ctx.route_assets:
                assets.setdefault(asset.path, asset)
            entries[route.path] = make_entry(
                job.inputs, route, usage, stored, ctx.route_assets, local.items[mark:]
            )
    finally:
        ctx.diagnostics = shared
    return ChunkResult(artifacts, entries, list(assets.values()), local.items, ctx.memo_reads)


def render_channel(
    job_key: str,
    job: Job,
    cache: RenderCache,
    executor: Executor | None,
    workers: int,
    progress: Callable[[int], None] | None = None,
) -> ChannelOutput:
    """Check, reuse or render every route, then the channel's finishing outputs;
    `progress` is told how many more routes are done, as they are."""
    told = progress or (lambda _count: None)
    channel, ctx = job.channel, job.ctx
    register(job_key, {channel.name: job})
    channel.check(ctx.site, ctx)
    out = ChannelOutput()
    todo: list[Route] = []
    for route in ctx.routes():
        entry = cache.get(route.path)
        if (
            entry is not None
            and still_valid(entry, job.inputs, route)
            and all(job.blobs.has(d) for _p, _m, d in entry.artifacts)
        ):
            out.artifacts.extend(Artifact(p, m, digest=d) for p, m, d in entry.artifacts)
            ctx.add_assets(entry.assets)
            ctx.diagnostics.extend(list(entry.diagnostics))
            cache.keep(route.path, entry)
            out.reused += 1
        else:
            todo.append(route)
    told(out.reused)
    keep_data = job.blobs.folder is None
    results = []
    if executor is None or len(todo) < PARALLEL_THRESHOLD:
        # in slices, so that progress shows; one slice renders as the whole would
        for start in range(0, max(len(todo), 1), SERIAL_SLICE):  # one, though empty
            chunk = todo[start : start + SERIAL_SLICE]
            results.append(render_chunk(job_key, channel.name, chunk, keep_data))
            told(len(chunk))
    else:
        size = max(16, len(todo) // (workers * 4) + 1)
        chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
        futures = [
            executor.submit(render_chunk, job_key, channel.name, chunk, keep_data)
            for chunk in chunks
        ]
        for future, chunk in zip(futures, chunks, strict=True):
            results.append(future.result())
            told(len(chunk))
    for result in results:
        cache.memos.update(result.memos)
        out.artifacts.extend(result.artifacts)
        ctx.add_assets(result.assets)
        ctx.diagnostics.extend(result.diagnostics)
        for path, entry in result.entries.items():
            cache.keep(path, entry)
    out.rendered = len(todo)
    out.rendered_paths = [route.path for route in todo]
    ctx.outputs = RecordedOutputs(
        (a.path, a.digest or digest_of(a.data or b"")) for a in out.artifacts if a.digest or a.data
    )
    out.finished, out.finish_usage = finish_channel(job)
    out.assets = ctx.assets()
    out.artifacts.extend(out.finished)
    out.artifacts.extend(out.assets)
    return out


def finish_channel(job: Job) -> tuple[list[Artifact], Usage | None]:
    """The channel's finishing outputs (sitemaps, manifests, copies), and what they read."""
    channel, ctx = job.channel, job.ctx
    ctx.begin()
    usage = Usage()
    try:
        with recording(usage):
            finished = list(channel.finish(ctx.site, ctx))
    except TemplateProblem as problem:
        ctx.diagnostics.add(problem.diagnostic)
        return [], None
    return _unclaimed(job, finished), usage


def _unclaimed(job: Job, finished: list[Artifact]) -> list[Artifact]:
    """The finishing outputs that stay inside the channel folder and take no page's path.

    A static file at a page's path (`static/news/a/index.html` against the page of
    `content/news/a.md`) would overwrite it: it is reported at its source, naming the page,
    and left out. (Two finishing outputs at one path are caught with every other output by
    `audit.audit_paths`.)"""
    ctx, name = job.ctx, job.channel.name
    kept: list[Artifact] = []
    for artifact in finished:
        where = Location(artifact.source) if artifact.source else None
        try:
            check_output_path(artifact.path)
        except UnsafePath as exc:
            ctx.diagnostics.error(
                "url.escape", f"{name}: {exc}", where, "output paths stay inside the channel folder"
            )
            continue
        if dict.__contains__(ctx.outputs, artifact.path):
            routes = ctx.plan.routes_by_channel.get(name, [])
            owner = next((r.source for r in routes if r.path == artifact.path), None)
            claimant = artifact.source or f"the {name} channel's {artifact.path}"
            ctx.diagnostics.error(
                "url.collision",
                f"{name}: {claimant} claims {artifact.path}, the output of {owner or 'a page'}",
                where,
                "rename or move one of them: a page and a file cannot share a URL",
            )
            continue
        kept.append(artifact)
    return kept


class RecordedOutputs(dict[str, str]):
    """`ctx.outputs`: output path -> sha256; reading an entry is recorded as a dependency."""

    def __getitem__(self, path: str) -> str:
        usage = current()
        if usage is not None:
            usage.outputs.add(path)
        return super().__getitem__(path)

    def pick(self, paths: list[str]) -> list[str]:
        """The digests of `paths` (all must exist), recorded in one go: for long lists."""
        usage = current()
        if usage is not None:
            usage.outputs.update(paths)
        return [dict.__getitem__(self, path) for path in paths]

    def get(self, path: str, default: str | None = None) -> str | None:  # type: ignore[override]
        if path not in self:
            return default
        return self[path]

    def _all(self) -> None:
        usage = current()
        if usage is not None:
            usage.outputs.add(ALL_OUTPUTS)

    def __iter__(self) -> Iterator[str]:
        self._all()
        return super().__iter__()

    def items(self) -> dict_items[str, str]:
        self._all()
        return super().items()

    def values(self) -> dict_values[str, str]:
        self._all()
        return super().values()

    def keys(self) -> dict_keys[str, str]:
        self._all()
        return super().keys()


#: recorded when a render lists every output rather than reading some
ALL_OUTPUTS = "*"
