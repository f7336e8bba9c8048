"""The build, top to bottom: discover → load → model → resolve → render → audit → publish."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gc
import hashlib
import itertools
import json
import multiprocessing
import os
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import registry
from .audit import audit_leaks, audit_paths
from .cache import DocumentCache, repair_layout, write_entry
from .channel import Channel
from .checks import consistency
from .collector import collector_paused
from .componentdata import check_components
from .components import load_components
from .config import SiteConfig, load_config
from .context import RenderContext
from .depends import Digests, Key
from .diagnostics import (
    Diagnostic,
    Diagnostics,
    Location,
    Severity,
    UsageError,
    relative_path,
)
from .discover import SourceFile, discover
from .document import Document, LoadError, parse_document
from .executors import cpu_count, executor_for
from .folders import check_folders, record_folders
from .guard import exclusive
from .ids import Lock
from .images import ImageInfo, index_images
from .incremental import Inputs, RenderCache, channel_digest, instant_parts
from .jobs import Job, forget, make_context, register
from .links import AnchorLinks, check_links, check_site_links
from .model import Site, build_site, next_change
from .outputs import Seen, damaged, record_path
from .publish import (
    DiskSink,
    Materializer,
    MemorySink,
    Published,
    manifest_damaged,
    read_manifest,
)
from .render import ChannelOutput, render_channel
from .resolve import Plan, resolve
from .schema import parse_datetime
from .snapshot import Snapshot, write_snapshot
from .stamp import inputs_key, write_stamp

#: told (stage, done, total): "load", "render <channel>", "images"
Progress = Callable[[str, int, int], None]


@dataclass
class BuildOptions:
    root: Path
    out_dir: Path | None = None
    channels: tuple[str, ...] = ()
    #: a what-if instant (see `what_if`); None builds at the clock's
    at: dt.datetime | str | None = None
    #: what the clock reads (None: the system clock); tests pin it, and unlike `at` it
    #: keeps the build a real one
    clock: dt.datetime | str | None = None
    drafts: bool = False
    strict: bool = False
    #: per-channel base_url overrides (the dev server serves every channel from one host)
    base_urls: dict[str, str] = field(default_factory=dict)
    use_cache: bool = True
    #: None (automatic), "serial", "process", "dask-local" or "dask://HOST:PORT"
    executor: str | None = None
    write_lock: bool = True
    #: told (stage, done, total) as files load, routes render and images are encoded
    progress: Progress | None = None
    #: wait for another build of the site or output folder (else fail: `--no-wait`)
    wait: bool = True
    #: hears of waits for another build and of repairs after an interrupted one
    report: Callable[[str], None] | None = None
    #: source folders the last build read that are gone on purpose (`--allow-removed`)
    allow_removed: tuple[str, ...] = ()
    #: a what-if into memory that must leave the cache as it is (the dev server's `?at=`
    #: previews, each a full build): the cache is read, but the blobs and renditions it
    #: would add go to this folder, which the caller deletes, and no render cache is kept
    scratch: Path | None = None


@dataclass
class ChannelReport:
    name: str
    outputs: int = 0
    bytes: int = 0
    #: rendering and publishing this channel (image encoding included)
    seconds: float = 0.0
    #: image renditions encoded (not found in the cache)
    images: int = 0
    rendered: int = 0
    reused: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass
class BuildState:
    """What a live rebuild (`omnipub serve`, `--watch`) keeps from the last good build."""

    config: SiteConfig
    sources: list[SourceFile]
    documents: dict[str, Document]
    images: dict[str, ImageInfo]
    lock: Lock
    traits: dict[str, Any]
    jobs: dict[str, Job]
    caches: dict[str, RenderCache]
    materializer: Materializer
    digests: Digests
    #: diagnostics of the stages before rendering (located in content files)
    model_diagnostics: list[Diagnostic]
    #: which files link to which items' headings
    anchor_links: AnchorLinks = field(default_factory=AnchorLinks)


@dataclass
class BuildSummary:
    """What a build reports: enough to print its summary without the site model."""

    at: dt.datetime
    items: int
    visible: int
    reports: dict[str, ChannelReport]
    warnings: list[Diagnostic]
    timings: dict[str, float]

    def unchanged(self, at: dt.datetime) -> BuildSummary:
        """The summary of a build that found every output already exact."""
        reports = {
            name: dataclasses.replace(
                r,
                seconds=0.0,
                images=0,
                rendered=0,
                reused=r.rendered + r.reused,
                written=0,
                unchanged=r.outputs,
                removed=0,
            )
            for name, r in self.reports.items()
        }
        return BuildSummary(at, self.items, self.visible, reports, self.warnings, {})


@dataclass
class Prepared:
    """The first steps of a build: enough to tell whether anything changed."""

    config: SiteConfig
    #: the channels this build renders and publishes
    channels: list[Channel]
    now: dt.datetime
    sources: list[SourceFile]
    diagnostics: Diagnostics
    #: wall clock (ns) before the sources were listed: files changed later are "racy"
    listed_at: int
    #: every enabled channel (the rendered ones among them): all are planned, so a build of
    #: some channels links to the others exactly as a build of all does
    planned: list[Channel] = field(default_factory=list)
    #: why this is a what-if build (see `what_if`); empty for a real build
    what_if: tuple[str, ...] = ()
    #: the source folders that held files when listed (recorded after a good build)
    folders: frozenset[str] = frozenset()

    @property
    def real(self) -> bool:
        return not self.what_if


@dataclass
class BuildResult:
    site: Site
    plan: Plan
    diagnostics: Diagnostics
    outputs: dict[str, ChannelOutput]
    published: Published | None
    reports: dict[str, ChannelReport]
    timings: dict[str, float]
    channels: list[Channel]
    contexts: dict[str, RenderContext] = field(default_factory=dict)
    state: BuildState | None = None

    def summary(self) -> BuildSummary:
        return BuildSummary(
            self.site.now,
            len(self.site.items),
            len(self.site.visible()),
            self.reports,
            list(self.diagnostics.warnings),
            self.timings,
        )


def build_instant(at: dt.datetime | str | None, config: SiteConfig) -> dt.datetime:
    if at is None:
        return dt.datetime.now(tz=config.timezone).replace(microsecond=0)
    if isinstance(at, dt.datetime):
        return at if at.tzinfo else at.replace(tzinfo=config.timezone)
    return parse_datetime(at, config.timezone)


def load_channels(config: SiteConfig, diagnostics: Diagnostics) -> list[Channel]:
    """Every enabled channel, in the configured order."""
    names = list(config.enabled_channels)
    return [registry.load(name)(config, diagnostics) for name in dict.fromkeys(names)]


def chosen(config: SiteConfig, wanted: tuple[str, ...]) -> tuple[str, ...]:
    """The channels `--channel` names (all enabled ones when none): only enabled channels,
    since the others' URLs are in no output and a real build would delete their folders."""
    for name in wanted:
        if name in config.enabled_channels:
            continue
        registry.load(name)  # an unknown name: "unknown channel", with the available ones
        raise UsageError(
            f"channel {name!r} is not enabled in omnipub.toml",
            f"add it to [build] channels (enabled: {', '.join(config.enabled_channels)})",
        )
    return tuple(dict.fromkeys(wanted or config.enabled_channels))


def what_if(options: BuildOptions, config: SiteConfig) -> tuple[str, ...]:
    """Why a build is a what-if; empty for a real build.

    The one place that decides it. Only a real build (at the clock's instant, of every
    enabled channel, with the configured base URLs, without drafts, into the configured
    output folder) may advance what the next builds start from: the channel state in
    `omnipub.lock` (the app's build history) and the deploy manifests' record of what was
    published. A what-if reads both and leaves them alone (see docs/configuration.md).
    """
    reasons = []
    if options.at is not None:
        reasons.append("--at")
    if options.drafts:
        reasons.append("--drafts")
    if options.channels and set(options.channels) != set(config.enabled_channels):
        reasons.append("--channel")
    if options.base_urls:  # the dev server's
        reasons.append("base URLs")
    configured = (config.root / config.output_dir).resolve()
    if options.out_dir is not None and options.out_dir.resolve() != configured:
        reasons.append("--out")
    return tuple(reasons)


def document_variant(config: SiteConfig) -> str:
    """The settings a parse depends on, part of every parsed document's cache key."""
    return repr((config.markdown.allow_html, config.markdown.allowed_schemes))


def load_documents(
    sources: list[SourceFile],
    config: SiteConfig,
    cache: DocumentCache,
    diagnostics: Diagnostics,
    progress: Progress | None = None,
) -> dict[str, Document]:
    """Read and parse every content file once; unchanged files come from the cache.

    A file whose size and mtime match the last build is not even read. Parsing of the rest
    runs on every core for large batches.
    """
    documents: dict[str, Document] = {}
    misses: list[tuple[SourceFile, bytes, str]] = []
    with collector_paused():  # unpickling cached documents makes no garbage
        for source in sources:
            if source.kind != "content":
                continue
            if source.size > config.max_file_bytes:  # never read a huge file into memory
                diagnostics.add(too_large(source, config.max_file_bytes))
                continue
            known = cache.known_hash(source.rel, source.size, source.mtime_ns)
            cached = cache.get(known, source.rel) if known else None
            if cached is not None:
                documents[source.rel] = cached
                cache.stamp(source.rel, source.size, source.mtime_ns, cached.content_hash)
                continue
            raw = source.path.read_bytes()
            content_hash = hashlib.sha256(raw).hexdigest()
            cached = cache.get(content_hash, source.rel)
            if cached is not None:
                documents[source.rel] = cached
                cache.stamp(source.rel, source.size, source.mtime_ns, content_hash)
                continue
            misses.append((source, raw, content_hash))
    settings = (config.max_file_bytes, config.markdown.allow_html, config.markdown.allowed_schemes)
    jobs = [
        (source, raw, settings, cache.path_for(content_hash, source.rel))
        for source, raw, content_hash in misses
    ]
    total, found = len(jobs) + len(documents), len(documents)
    if len(jobs) >= 64 and cpu_count() > 1 and "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=cpu_count(), mp_context=context) as pool:
            parsed = pool.map(_parse_one, jobs, chunksize=16)
            results = _counted(parsed, progress, "load", found, total)
    else:
        results = _counted(map(_parse_one, jobs), progress, "load", found, total)
    for (source, _raw, content_hash), (document, problem) in zip(misses, results, strict=True):
        if problem is not None:
            diagnostics.add(problem)
            continue
        assert document is not None
        cache.remember(document)  # its worker wrote the cache entry
        cache.stamp(source.rel, source.size, source.mtime_ns, content_hash)
        documents[source.rel] = document
    cache.save_stamps()
    return documents


def _counted(
    results: Iterable[Any], progress: Progress | None, stage: str, done: int, total: int
) -> list[Any]:
    """The results, in order, telling `progress` of each as it arrives."""
    out = []
    for result in results:
        out.append(result)
        if progress is not None:
            progress(stage, done + len(out), total)
    return out


def _parse_one(
    job: tuple[SourceFile, bytes, tuple[int, bool, tuple[str, ...]], Path | None],
) -> tuple[Document | None, Diagnostic | None]:
    """Parse one source, and write its cache entry here, in the worker."""
    source, raw, (max_bytes, allow_html, schemes), entry = job
    try:
        document = parse_document(source, raw, max_bytes, allow_html, schemes)
    except LoadError as exc:
        return None, exc.diagnostic
    if entry is not None:
        write_entry(entry, document)
    return document, None


def too_large(source: SourceFile, limit: int) -> Diagnostic:
    return Diagnostic(
        Severity.ERROR,
        "load.too-large",
        f"file is {source.size / 1048576:.1f} MB, over the {limit / 1048576:.0f} MB limit",
        Location(source.rel),
        "split it into several items, or raise site.max_file_mb in omnipub.toml",
    )


def load_data(sources: list[SourceFile], diagnostics: Diagnostics) -> dict[str, Any]:
    """`data/stores.yaml` becomes `site.data.stores` in templates."""
    data: dict[str, Any] = {}
    for source in sources:
        if source.kind != "data":
            continue
        name = Path(source.rel).stem
        try:
            text = source.path.read_text(encoding="utf-8")
            if source.rel.endswith((".yaml", ".yml")):
                data[name] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            elif source.rel.endswith(".json"):
                data[name] = json.loads(text)
            elif source.rel.endswith(".toml"):
                data[name] = tomllib.loads(text)
        except (ValueError, yaml.YAMLError, UnicodeDecodeError) as exc:
            diagnostics.error(
                "data.syntax", f"cannot read data file: {exc}", Location(source.rel), None
            )
    return data


def prepare(
    options: BuildOptions, on_config: Callable[[SiteConfig], object] | None = None
) -> Prepared:
    """Config, channels, the build instant and the source files (raises on bad config).

    `on_config` hears the config before the sources are listed (to start work beside it)."""
    root = options.root.resolve()
    diagnostics = Diagnostics(strict=options.strict)
    config = load_config(root, diagnostics)
    if on_config is not None:
        on_config(config)
    diagnostics.silenced = config.silence
    reasons = what_if(options, config)
    if options.base_urls:
        channels_cfg = {k: dict(v) for k, v in config.channels.items()}
        for name, url in options.base_urls.items():
            channels_cfg.setdefault(name, {})["base_url"] = url
        object.__setattr__(config, "channels", channels_cfg)
    wanted = chosen(config, options.channels)
    planned = load_channels(config, diagnostics)
    channels = [channel for channel in planned if channel.name in wanted]
    now = build_instant(options.at if options.at is not None else options.clock, config)
    listed_at = time.time_ns()
    sources = discover(config, diagnostics)
    folders = check_folders(config, diagnostics, options.allow_removed, options.use_cache)
    return Prepared(
        config, channels, now, sources, diagnostics, listed_at, planned, reasons, folders
    )


def build(
    options: BuildOptions,
    sink: DiskSink | MemorySink | None = None,
    memory: dict[tuple[str, str], Document] | None = None,
    prepared: Prepared | None = None,
) -> BuildResult:
    """Run one full build; raises BuildFailed (with every problem) before writing anything.

    `memory` keeps parsed documents between builds of one process (see `live.py`);
    `prepared` is `prepare(options)` when the caller already ran it. A build to disk holds
    the build lock (see `guard.py`)."""
    try:
        if sink is not None:
            return _build(options, sink, memory, prepared)
        prepared = prepared or prepare(options)
        with owned(options, prepared.config) as waited:
            if waited:  # the build we waited for may have changed what we listed
                prepared = prepare(options)
            return _build(options, sink, memory, prepared)
    finally:
        gc.unfreeze()  # what the stages froze (see `lap`) can be collected again


def owned(options: BuildOptions, config: SiteConfig) -> AbstractContextManager[bool]:
    """The output folder checked and both build locks held (see `guard.exclusive`)."""
    if options.out_dir is not None:
        out_dir, given_as = options.out_dir, f"--out {options.out_dir}"
    else:
        out_dir = config.root / config.output_dir
        given_as = f"output_dir = {config.output_dir!r} in omnipub.toml"
    return exclusive(config.root, out_dir.resolve(), given_as, options.wait, options.report)


def _build(
    options: BuildOptions,
    sink: DiskSink | MemorySink | None,
    memory: dict[tuple[str, str], Document] | None,
    prepared: Prepared | None,
) -> BuildResult:
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal started
        # What the stages so far made (documents, the site, the plan) lives until the build
        # ends: the collector stops scanning it again and again (at 30,000 items its full
        # collections took a third of the model, render and audit stages).
        gc.freeze()
        now = time.perf_counter()
        timings[stage] = now - started
        started = now

    prepared = prepared or prepare(options)
    config, channels, now, sources = (
        prepared.config,
        prepared.channels,
        prepared.now,
        prepared.sources,
    )
    root, diagnostics = config.root, prepared.diagnostics
    planned = prepared.planned or channels
    # the one place a build is found real (see `what_if`); a build into memory never is
    real = prepared.real and sink is None
    to_disk = sink is None and options.use_cache
    stamp_key = inputs_key(options, prepared) if to_disk else ""
    lap("config")

    # load (a cache whose folders were replaced by files is put right first)
    if options.use_cache:
        for repaired in repair_layout(config.state_dir):
            diagnostics.warning(
                "cache.damaged",
                f"{repaired}; that part of the cache is made again",
                Location(".omnipub/cache"),
            )
    cache = DocumentCache(
        config.state_dir if options.use_cache else None,
        document_variant(config),
        memory,
        prepared.listed_at,
    )
    documents = load_documents(sources, config, cache, diagnostics, options.progress)
    images: dict[str, ImageInfo] = index_images(
        sources, config.state_dir if options.use_cache else None, cache.problems
    )
    data = load_data(sources, diagnostics)
    components = load_components(sources, diagnostics)
    lap("load")

    # model
    lock = Lock.read(root)
    traits = {c.name: c.traits() for c in _all_traits(planned)}
    assets = [s.rel for s in sources if s.kind == "asset"]
    site = build_site(
        config,
        documents,
        traits,
        lock,
        now,
        diagnostics,
        options.drafts,
        data,
        components=components,
        assets=assets,
    )
    anchor_links = AnchorLinks()
    check_links(site, images, diagnostics, anchors=anchor_links)
    check_components(site, images, diagnostics)
    lap("model")

    # resolve
    static = [s.rel for s in sources if s.kind == "static"]
    plan = resolve(site, planned, static, diagnostics)
    check_site_links(site, plan, diagnostics, anchors=anchor_links)
    diagnostics.raise_if_errors()
    model_diagnostics = list(diagnostics.items)
    lap("resolve")

    # check what the last build published: a file deleted or altered since is written
    # again, and a blob it shares damaged bytes with is rendered again (see `outputs.py`)
    state_dir = config.state_dir if options.use_cache else None
    out_dir = (options.out_dir or (root / config.output_dir)).resolve()
    materializer = Materializer(root, state_dir, options.scratch)
    for problem in [*cache.problems, *materializer.problems]:
        diagnostics.warning(
            "cache.damaged", f"{problem}; it is made again", Location(".omnipub/cache")
        )
    if sink is None:
        record = record_path(state_dir, out_dir) if state_dir else None
        previous = read_manifest(out_dir)
        if previous is None and manifest_damaged(out_dir):
            diagnostics.warning(
                "cache.damaged",
                "the output's manifest is damaged; every channel is written again",
                Location(relative_path(out_dir / ".omnipub/manifest.json", root)),
            )
        seen: Seen = {}
        broken = damaged(out_dir, previous, record, seen)
        partial = len(channels) < len(planned)
        sink = DiskSink(out_dir, record, broken, real=real, partial=partial, seen=seen)
    lap("check")

    # render
    dev = bool(options.base_urls)
    job_key = f"build-{os.getpid()}-{id(site)}"
    jobs: dict[str, Job] = {}
    caches = {
        channel.name: RenderCache(
            state_dir / "cache" if state_dir and not options.scratch else None,
            channel.name,
            channel_digest(config, channel, options.drafts, planned),
        )
        for channel in channels
    }
    memos: dict[Key, tuple[Key, ...]] = {}
    for render_cache in caches.values():
        memos.update(render_cache.memos)
    digests = Digests(site, plan, images, memos)
    for channel in channels:
        # the lock's channel state (the app's published builds) belongs to the real base
        # URLs: a build with others (the dev server) starts from none and never keeps its own
        ctx = make_context(site, channel, plan, images, diagnostics, Lock() if dev else lock)
        ctx.digests = digests
        inputs = Inputs(channel.name, digests, instant_parts(now))
        jobs[channel.name] = Job(channel, ctx, inputs, materializer.blobs)
    outputs: dict[str, ChannelOutput] = {}
    reports: dict[str, ChannelReport] = {}
    register(job_key, jobs)
    to_render = sum(len(plan.routes_by_channel[c.name]) for c in channels)
    with executor_for(options.executor, to_render) as (executor, workers):
        if executor is not None and not isinstance(executor, ProcessPoolExecutor):
            forget(job_key)  # rendered under the snapshot's key (which `render_channel` sets)
            job_key = write_snapshot(
                (state_dir or Path(tempfile.gettempdir())) / "snapshots",
                Snapshot.of(site, plan, images, jobs),
            )
        done = 0

        def rendered(count: int, name: str) -> None:
            nonlocal done
            done += count
            if options.progress is not None:
                options.progress(f"render {name}", done, to_render)

        for channel in channels:
            t0 = time.perf_counter()
            outputs[channel.name] = render_channel(
                job_key,
                jobs[channel.name],
                caches[channel.name],
                executor,
                workers,
                functools.partial(rendered, name=channel.name),
            )
            reports[channel.name] = ChannelReport(
                channel.name,
                seconds=time.perf_counter() - t0,
                rendered=outputs[channel.name].rendered,
                reused=outputs[channel.name].reused,
            )
            gc.freeze()  # this channel's outputs live until the build ends (see `lap`)
    forget(job_key)
    if os.path.isfile(job_key):
        os.unlink(job_key)
    lap("render")

    # audit
    artifacts = {name: out.artifacts for name, out in outputs.items()}
    audit_paths(artifacts, diagnostics)
    audit_leaks(site, artifacts, diagnostics)
    if not diagnostics.errors:  # outputs that failed to render cannot be read back
        audit_consistency(site, plan, channels, outputs, materializer, diagnostics)
    diagnostics.raise_if_errors()
    lap("audit")

    # publish
    if options.progress is not None:
        asked = itertools.count(1)
        renditions = sum(1 for arts in artifacts.values() for a in arts if a.transform)
        progress = options.progress
        materializer.on_rendition = lambda: progress("images", next(asked), renditions)
    published = sink.publish(artifacts, materializer)
    materializer.on_rendition = None
    if materializer.blobs.damaged:  # found while reusing renders, or copies at publishing
        diagnostics.warning(
            "cache.damaged",
            f"{len(materializer.blobs.damaged)} cached output(s) no longer matched their "
            "content hash; they were deleted and rendered again",
            Location(".omnipub/cache/blobs"),
        )
    for name, stats in published.stats.items():
        report = reports[name]
        report.outputs, report.bytes = stats.files, stats.bytes
        report.seconds += stats.seconds  # its images were encoded while publishing
        report.images = stats.images
        report.written, report.unchanged, report.removed = (
            stats.written,
            stats.unchanged,
            stats.removed,
        )
    for render_cache in caches.values():
        render_cache.save()
    if options.use_cache and not options.scratch:
        record_folders(config, prepared.folders)
    if options.write_lock and real:
        # a what-if's new ids live in memory only: derived from paths against the same lock,
        # the real build that follows assigns the very same ones and records them
        new_lock = site.lock
        for name, job in jobs.items():
            if job.ctx.new_state is not None:
                new_lock.channels[name] = job.ctx.new_state
        new_lock.write(root)
    lap("publish")
    contexts = {name: job.ctx for name, job in jobs.items()}
    state = BuildState(
        config,
        sources,
        documents,
        images,
        lock,
        traits,
        jobs,
        caches,
        materializer,
        digests,
        model_diagnostics,
        anchor_links,
    )
    result = BuildResult(
        site, plan, diagnostics, outputs, published, reports, timings, channels, contexts, state
    )
    if to_disk:
        shown = {p for cache in caches.values() for e in cache.fresh.values() for p in e.now}
        shown |= {p for out in outputs.values() if out.finish_usage for p in out.finish_usage.now}
        settled = published.settled and all(not (r.written or r.removed) for r in reports.values())
        summary = result.summary()
        write_stamp(options, prepared, stamp_key, shown, next_change(site), settled, summary)
    return result


def _all_traits(enabled: list[Channel]) -> list[type[Channel] | Channel]:
    """Traits of every installed channel, so `channels:` may name any of them."""
    found: dict[str, Any] = {c.name: c for c in enabled}
    for name, registered in registry.available().items():
        if name not in found:
            try:
                found[name] = registered.load()
            except (ImportError, AttributeError, UsageError):
                continue
    return [found[n] for n in sorted(found)]


def audit_consistency(
    site: Site,
    plan: Plan,
    channels: list[Channel],
    outputs: dict[str, ChannelOutput],
    materializer: Materializer,
    diagnostics: Diagnostics,
) -> None:
    """Every build checks that the items it re-rendered state the same facts everywhere."""
    rendered = {name: set(out.rendered_paths) for name, out in outputs.items()}
    if set(plan.routes_by_channel) - set(outputs):  # `--channel`: audit what was built
        routes = {k: r for k, r in plan.item_routes.items() if k[0] in outputs}
        plan = dataclasses.replace(plan, item_routes=routes, _twins=None)
    keys = {
        (route.item_id, route.lang)
        for name, routes in plan.routes_by_channel.items()
        for route in routes
        if route.item_id is not None and route.path in rendered.get(name, set())
    }
    if not keys:
        return
    index = {(name, a.path): a for name, out in outputs.items() for a in out.artifacts}

    def read(channel: str, path: str) -> bytes:
        artifact = index[(channel, path)]
        if artifact.data is not None:
            return artifact.data
        return materializer.blobs.read(artifact.digest or "")

    built = [channel for channel in channels if channel.name in outputs]
    diagnostics.extend(consistency(site, plan, built, read, {k for k in keys if k[0]}))
