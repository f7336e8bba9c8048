"""Live rebuilds for `omnipub serve` and `omnipub build --watch`.

The last good build stays in memory: documents, the site model, the plan, every channel's
render context (with its shared indexes) and the dependencies each output recorded. When
only item files were edited, and the edits leave the site's shape alone (no item added,
moved, re-dated, re-tagged, hidden or shown), a rebuild re-parses those files with the
build's loader, makes their items with the build's item maker, and re-renders exactly the
outputs that read what changed, with the build's renderer, finisher and audits.

The site is a value: the edit makes a new site that shares every unchanged item, a new plan
and new render contexts. Nothing of the last good build is changed before the new one has
passed every check, so a failure leaves it exactly as it was (there is nothing to undo).
Any other change (config, templates, data, static files, new or deleted items, a shape
change, or an instant at which an item appears or disappears) runs a full build, which
still takes parsed documents from memory. Either way the outputs equal a clean build's,
byte for byte.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import itertools
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .audit import leak_marks, scan
from .build import (
    BuildOptions,
    BuildResult,
    BuildState,
    build,
    build_instant,
    document_variant,
    load_documents,
)
from .cache import DocumentCache
from .channel import Artifact, Route
from .checks import consistency
from .collector import collector_off
from .componentdata import check_components
from .depends import Digests, Key, item_digest, item_keys, memo_digest
from .diagnostics import Diagnostics
from .discover import SourceFile, is_ignored, markdown_stem
from .document import Document
from .incremental import Entry, Inputs, RenderCache, instant_parts
from .items import Item
from .jobs import Job, forget, register
from .links import AnchorLinks, check_links, check_site_links
from .model import Site, next_change, remake_items
from .publish import MemorySink
from .render import (
    ALL_OUTPUTS,
    ChannelOutput,
    finish_channel,
    render_chunk,
)
from .resolve import Plan

NOW = "now"
#: the diagnostic of a link to a heading that is not there
ANCHOR = "link.anchor"


@dataclasses.dataclass
class ChannelState:
    """One channel's outputs of the last good build, and who read what."""

    #: route path -> its route
    routes: dict[str, Route]
    #: dependency key (an item key, a body key, ("now", part)) -> route paths that read it
    readers: dict[tuple[str, ...], set[str]]
    finished: list[Artifact]
    finish_usage: Any
    assets: list[Artifact]
    #: route path -> the warnings its render reported (only routes that reported any)
    warned: dict[str, tuple[Any, ...]] = dataclasses.field(default_factory=dict)


class LiveBuild:
    """Rebuilds a site again and again in one process, as fast as each change allows."""

    def __init__(self, options: BuildOptions) -> None:
        self.options = options
        self.root = options.root.resolve()
        self.memory: dict[tuple[str, str], Document] = {}
        self.result: BuildResult | None = None
        self.sink: MemorySink | None = None
        #: files changed since the last good build (kept across failed rebuilds)
        self.pending: set[str] = set()
        self.channels: dict[str, ChannelState] = {}
        self.next_change: Any = None
        #: the jobs of the session's current build are registered under this key
        self._keys = (f"live-{id(self)}-{n}" for n in itertools.count())
        self.job_key = next(self._keys)
        #: "full" or "fast": how the last rebuild ran
        self.mode = ""
        #: the leak audit's marks of hidden items, while they hold
        self._marks: dict[str, list[tuple[str, str]]] | None = None

    # --- entry points ----------------------------------------------------------------------

    def rebuild(self, changed: Iterable[str | Path] = ()) -> BuildResult:
        """Build again after `changed` (paths of changed files); raises BuildFailed."""
        for path in changed:
            rel = self._rel(path)
            if rel is not None and not (self.root / rel).is_dir():  # its files say what changed
                self.pending.add(rel)
        result = None
        if self.result is not None and self.pending:
            # a fast rebuild makes few objects and no cycles: a collection in the middle of
            # it would scan the session's young objects for nothing
            with collector_off():
                result = self._fast()
        if result is None:
            result = self._full()
        self.pending.clear()
        return result

    def _rel(self, path: str | Path) -> str | None:
        try:
            # not resolved: a symbolic link is the file that changed, not its target
            rel = Path(os.path.abspath(path)).relative_to(self.root)
        except ValueError:
            return None
        return rel.as_posix()

    # --- full builds ----------------------------------------------------------------------

    def _full(self) -> BuildResult:
        self.mode = "full"
        sink = MemorySink(previous=self.sink)
        result = build(self.options, sink=sink, memory=self.memory)
        assert result.state is not None
        documents = result.state.documents
        self.memory = {(rel, doc.content_hash): doc for rel, doc in documents.items()}
        self._adopt(result, sink)
        # The model lives for the session. The build kept it from the collector until it
        # returned; collect now, at the end of a build the editor is waiting for anyway, not
        # during their first save (a full scan of a 10,000-item model takes a second), and
        # keep what is left out of later collections (the next full build unfreezes it).
        gc.collect()
        gc.freeze()
        return result

    def _adopt(self, result: BuildResult, sink: MemorySink) -> None:
        state = result.state
        assert state is not None
        self.result, self.sink = result, sink
        self._marks = None
        self.next_change = next_change(result.site)
        forget(self.job_key)
        self.job_key = next(self._keys)
        register(self.job_key, state.jobs)
        self.channels = {}
        for name, out in result.outputs.items():
            readers: dict[tuple[str, ...], set[str]] = {}
            for path, entry in state.caches[name].fresh.items():
                _index(readers, path, entry)
            self.channels[name] = ChannelState(
                {r.path: r for r in result.plan.routes_by_channel.get(name, [])},
                readers,
                out.finished,
                out.finish_usage,
                out.assets,
                {p: e.diagnostics for p, e in state.caches[name].fresh.items() if e.diagnostics},
            )

    # --- the fast path --------------------------------------------------------------------

    def _fast(self) -> BuildResult | None:
        """Re-render what the edited items feed; None when a full build is needed."""
        result, state = self.result, self.result.state if self.result else None
        if result is None or state is None or self.sink is None:
            return None
        if any(not _is_item_file(rel) for rel in self.pending):
            return None
        laps = _Laps()
        config, site = state.config, result.site
        now = build_instant(
            self.options.at if self.options.at is not None else self.options.clock, config
        )
        if self.next_change is not None and now >= self.next_change:
            return None  # an item appears or disappears: the shape changes
        diagnostics = Diagnostics(strict=self.options.strict, silenced=config.silence)
        changed_docs = self._load(sorted(self.pending), state, diagnostics)
        if changed_docs is None:
            return None
        documents = {**state.documents, **changed_docs}
        made = remake_items(site, changed_docs, documents, state.traits, diagnostics)
        if made is None:
            return None
        diagnostics.raise_if_errors()
        changed = self._changed_keys(state, made)
        if changed is None:
            return None  # the plan read something that changed: plan again, in full
        laps("load")

        self.mode = "fast"
        marks = self._marks
        if any(not i.visible or site.by_key[k].title != i.title for k, i in made.items()):
            marks = None  # titles of hidden items are marks unless a visible one has it
        # the edited site is a new value sharing the unchanged items: the last good build's
        # stays as it was, and a failure below simply leaves it in place
        return self._render(
            state,
            site.with_items(made, now),
            result.plan.with_items(made, site),
            documents,
            made,
            changed,
            diagnostics,
            laps,
            marks,
        )

    def _changed_keys(
        self, state: BuildState, made: dict[tuple[str, str], Item]
    ) -> dict[Key, str] | None:
        """The dependency keys the remade items change, with their new digests (shared
        indexes included); None when a change reaches what a channel's plan read, or the
        order items are listed in, which only planning again in full can follow."""
        assert self.result is not None
        site, plan, old = self.result.site, self.result.plan, state.digests
        changed: dict[Key, str] = {}
        for key, new in made.items():
            before = site.by_key[key]
            for dep in dict.fromkeys([*item_keys(before), *item_keys(new)]):
                digest = item_digest(new, dep, state.images)
                if old[dep] != digest:
                    changed[dep] = digest
            if not _keeps_order(plan, before, new):
                return None
        if any(dep in read.items for read in plan.reads.values() for dep in changed):
            return None
        if any(len(dep) == 2 for dep in changed):
            return None  # identity or visibility: the link table and selections follow it
        # shared indexes whose reads changed get new digests, and so on for indexes that
        # read those (an index built from another one reads that one's key), until nothing
        # more changes
        probe = _Overlay(old, changed)
        todo = True
        while todo:
            todo = False
            for memo, keys in old.memos.items():
                if memo not in changed and not changed.keys().isdisjoint(keys):
                    now_digest = memo_digest(keys, probe)
                    if now_digest != old[memo]:
                        changed[memo] = now_digest
                        todo = True
        return changed

    def _load(
        self, rels: list[str], state: BuildState, diagnostics: Diagnostics
    ) -> dict[str, Document] | None:
        """The edited item files, loaded by the build's own loader (documents already
        parsed this session come from memory); None when one is new or gone."""
        sources = []
        for rel in rels:
            path = self.root / rel
            if rel not in state.documents or not path.is_file():
                return None
            stat = path.stat()
            sources.append(
                SourceFile(str(self.root), rel, "content", stat.st_size, stat.st_mtime_ns)
            )
        cache = DocumentCache(None, document_variant(state.config), self.memory)
        loaded = load_documents(sources, state.config, cache, diagnostics)
        return {
            rel: doc
            for rel, doc in loaded.items()
            if doc.content_hash != state.documents[rel].content_hash
        }

    def _render(
        self,
        state: BuildState,
        site: Site,
        plan: Plan,
        documents: dict[str, Document],
        made: dict[tuple[str, str], Item],
        changed: dict[Key, str],
        diagnostics: Diagnostics,
        laps: _Laps,
        marks: dict[str, list[tuple[str, str]]] | None,
    ) -> BuildResult:
        assert self.result is not None and self.sink is not None
        remade_rels = {item.rel for item in made.values()}
        anchors = state.anchor_links.copy()
        for rel in remade_rels:
            anchors.forget(rel)
        check_links(site, state.images, diagnostics, only=remade_rels, anchors=anchors)
        check_site_links(site, plan, diagnostics, only=remade_rels, anchors=anchors)
        check_components(site, state.images, diagnostics, only=remade_rels)
        # files linking to headings of the edited ones: only their anchor warnings can change
        # (anything else a link depends on changes the site's shape: a full build)
        linkers = anchors.linking_to(remade_rels) - remade_rels
        if linkers:
            again = Diagnostics(strict=diagnostics.strict, silenced=diagnostics.silenced)
            check_links(site, state.images, again, only=linkers)
            check_site_links(site, plan, again, only=linkers)
            diagnostics.extend([d for d in again.items if d.code == ANCHOR])
        model = [
            d
            for d in state.model_diagnostics
            if d.location is None
            or not (
                d.location.path in remade_rels or (d.code == ANCHOR and d.location.path in linkers)
            )
        ] + list(diagnostics.items)

        old = state.digests
        digests = Digests(site, plan, old.images, old.memos)
        dict.update(digests, old)  # then the changed ones over them (C speed: 200,000 keys)
        digests.update(changed)
        parts = instant_parts(site.now)
        before = next(iter(state.jobs.values())).inputs.now if state.jobs else parts
        dirty = set(changed) | {
            (NOW, part) for part, value in parts.items() if before.get(part) != value
        }

        # every channel's job for the new site (the last build's jobs stay as they were)
        marks = leak_marks(site) if marks is None else marks
        jobs: dict[str, Job] = {}
        for name, job in state.jobs.items():
            ctx = job.ctx.derived(site, plan, digests, dirty, made)
            leaks = ("memo", name, repr("leak-marks"))
            ctx._memo["leak-marks"] = (marks, leaks, frozenset(), frozenset())
            jobs[name] = Job(job.channel, ctx, Inputs(name, digests, parts), job.blobs)
        job_key = next(self._keys)
        register(job_key, jobs)
        try:
            new = self._render_jobs(
                state,
                jobs,
                job_key,
                _Edit(site, plan, anchors, documents, made, dirty, model, digests, marks),
                diagnostics,
                laps,
            )
        except BaseException:
            forget(job_key)
            raise
        forget(self.job_key)
        self.job_key, self._marks = job_key, marks
        return new

    def _render_jobs(
        self,
        state: BuildState,
        jobs: dict[str, Job],
        job_key: str,
        edit: _Edit,
        diagnostics: Diagnostics,
        laps: _Laps,
    ) -> BuildResult:
        """Render what read a changed input, in this process (an edit touches few outputs)."""
        checks = Diagnostics(strict=diagnostics.strict, silenced=diagnostics.silenced)
        rendered: dict[str, tuple[list[Route], dict[str, Entry]]] = {}
        for name, job in jobs.items():
            live, ctx = self.channels[name], job.ctx
            shared, ctx.diagnostics = ctx.diagnostics, checks
            try:
                job.channel.check(edit.site, ctx)
            finally:
                ctx.diagnostics = shared
            paths = set().union(*(live.readers.get(dep, set()) for dep in edit.dirty))
            routes = [live.routes[p] for p in sorted(paths) if p in live.routes]
            keep_data = job.blobs.folder is None
            chunk = render_chunk(job_key, name, routes, keep_data)
            diagnostics.extend(chunk.diagnostics)
            if keep_data:
                for artifact in chunk.artifacts:
                    if artifact.data is not None:
                        diagnostics.extend(scan(edit.marks, name, artifact.path, artifact.data))
            rendered[name] = (routes, chunk.entries)
            laps(f"render {name}")
        diagnostics.extend(checks.items)
        diagnostics.raise_if_errors()
        return self._adopt_renders(state, jobs, edit, rendered, diagnostics, checks, laps)

    def _adopt_renders(
        self,
        state: BuildState,
        jobs: dict[str, Job],
        edit: _Edit,
        rendered: dict[str, tuple[list[Route], dict[str, Entry]]],
        diagnostics: Diagnostics,
        checks: Diagnostics,
        laps: _Laps,
    ) -> BuildResult:
        """Finish, audit and publish the new renders, then take the new state as the
        session's. Everything up to publishing makes new values; nothing of the last good
        build changes unless all of it succeeded."""
        assert self.result is not None and self.sink is not None
        result, site, plan = self.result, edit.site, edit.plan
        finishing = Diagnostics(strict=diagnostics.strict, silenced=diagnostics.silenced)
        written: dict[str, dict[str, Artifact | None]] = {}
        channels: dict[str, ChannelState] = {}
        caches: dict[str, RenderCache] = {}
        for name, job in jobs.items():
            live, ctx = self.channels[name], job.ctx
            routes, entries = rendered[name]
            before = state.caches[name].fresh
            cache = caches[name] = copy.copy(state.caches[name])
            cache.fresh = {**before, **entries}
            changes: dict[str, Artifact | None] = {}
            assets_changed = False
            for route in routes:
                old, new = before.get(route.path), entries[route.path]
                before_files = {p: (m, d) for p, m, d in old.artifacts} if old else {}
                for p, m, d in new.artifacts:
                    if before_files.pop(p, None) != (m, d):
                        changes[p] = Artifact(p, m, digest=d)
                for p in before_files:
                    changes[p] = None
                assets_changed |= (old.assets if old else ()) != new.assets
            outputs = ctx.outputs  # this job's own copy
            for path, artifact in changes.items():
                if artifact is None:
                    dict.pop(outputs, path, None)
                else:
                    dict.__setitem__(outputs, path, artifact.digest or "")
            finished, usage, assets = live.finished, live.finish_usage, live.assets
            if _finish_stale(usage, edit.dirty, changes):
                ctx.diagnostics = finishing
                now_finished, usage = finish_channel(job)
                _diff(finished, now_finished, changes)
                finished = now_finished
            if assets_changed:
                by_path = {a.path: a for e in cache.fresh.values() for a in e.assets}
                now_assets = [by_path[p] for p in sorted(by_path)]
                _diff(assets, now_assets, changes)
                assets = now_assets
            channels[name] = ChannelState(
                live.routes, live.readers, finished, usage, assets, dict(live.warned)
            )
            written[name] = changes
            laps(f"finish {name}")
        diagnostics.extend(finishing.items)
        diagnostics.raise_if_errors()

        # the consistency audit over the re-rendered items, on the outputs as they now stand
        sink = self.sink
        resolved = sink.resolve(written, state.materializer)
        keys = {key for key in edit.made if site.by_key[key].visible}
        if keys:

            def read(channel: str, path: str) -> bytes:
                row = resolved.get(channel, {}).get(path, False)
                if isinstance(row, bool):
                    return sink.files[channel][path]
                if row is None:
                    raise KeyError(path)
                return row[0]

            built = [job.channel for job in jobs.values()]
            diagnostics.extend(consistency(site, plan, built, read, keys))
            diagnostics.raise_if_errors()
        laps("audit")

        # publish, and take the new state (nothing fails from here on)
        sink.apply(resolved)
        every = Diagnostics(strict=diagnostics.strict, silenced=diagnostics.silenced)
        every.items = edit.model + checks.items + finishing.items
        channel_outputs: dict[str, ChannelOutput] = {}
        reports = {}
        for name, live in channels.items():
            routes, entries = rendered[name]
            before, fresh = state.caches[name].fresh, caches[name].fresh
            for path in entries:
                if before.get(path) is not None:
                    _unindex(live.readers, path, before[path])
                _index(live.readers, path, fresh[path])
                if fresh[path].diagnostics:
                    live.warned[path] = fresh[path].diagnostics
                else:
                    live.warned.pop(path, None)
            for path in sorted(live.warned):
                every.items.extend(live.warned[path])
            out = ChannelOutput(
                rendered=len(routes),
                reused=len(fresh) - len(routes),
                rendered_paths=[r.path for r in routes],
                finished=live.finished,
                finish_usage=live.finish_usage,
                assets=live.assets,
            )
            channel_outputs[name] = out
            report = dataclasses.replace(result.reports[name])
            report.rendered, report.reused = out.rendered, out.reused
            report.written = sum(1 for a in written[name].values() if a is not None)
            report.removed = sum(1 for a in written[name].values() if a is None)
            report.unchanged = len(sink.files.get(name, {})) - report.written
            reports[name] = report
        self.channels = channels
        self.next_change = min(
            (when for when in (self.next_change, next_change(site, edit.made.values())) if when),
            default=None,
        )
        new_result = dataclasses.replace(
            result,
            site=site,
            plan=plan,
            diagnostics=every,
            outputs=channel_outputs,
            published=sink.published,
            reports=reports,
            timings=laps("adopt"),
            contexts={name: job.ctx for name, job in jobs.items()},
            state=dataclasses.replace(
                state,
                documents=edit.documents,
                digests=edit.digests,
                model_diagnostics=edit.model,
                jobs=jobs,
                caches=caches,
                anchor_links=edit.anchors,
            ),
        )
        self.result = new_result
        return new_result


@dataclasses.dataclass
class _Edit:
    """What a fast rebuild makes before it renders: the new site value and its plan, and
    what the render and the new state are made from."""

    site: Site
    plan: Plan
    anchors: AnchorLinks
    documents: dict[str, Document]
    made: dict[tuple[str, str], Item]
    #: the dependency keys whose digests changed, the instant's parts included
    dirty: set[Key]
    #: diagnostics of the stages before rendering
    model: list[Any]
    digests: Digests
    #: the leak audit's marks of hidden items
    marks: dict[str, list[tuple[str, str]]]


class _Laps:
    """Seconds per stage of a live rebuild, for the summary and the benchmark."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.timings: dict[str, float] = {}

    def __call__(self, stage: str) -> dict[str, float]:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self.last
        self.last = now
        return self.timings


def _is_item_file(rel: str) -> bool:
    parts = rel.split("/")
    return (
        len(parts) > 1
        and parts[0] == "content"
        and markdown_stem(parts[-1]) is not None
        and not parts[-1].startswith("_index")
        and not any(is_ignored(p) for p in parts)
    )


class _Overlay(Mapping[Key, str]):
    """Digests as they are after an edit: the changed ones (as they grow), else the last
    build's."""

    def __init__(self, base: Digests, changed: dict[Key, str]) -> None:
        self.base, self.changed = base, changed

    def __getitem__(self, key: Key) -> str:
        found = self.changed.get(key)
        return self.base[key] if found is None else found

    def __iter__(self) -> Iterator[Key]:
        return iter({**self.base, **self.changed})

    def __len__(self) -> int:
        return len(self.base.keys() | self.changed.keys())


def _keeps_order(plan: Any, before: Item, after: Item) -> bool:
    """Does `after` take `before`'s place in every channel's list of items?"""
    if before.sort_key() == after.sort_key():
        return True
    new = after.sort_key()
    for chosen in plan.selected.values():
        for index, item in enumerate(chosen):
            if item is not before:
                continue
            if index > 0 and not chosen[index - 1].sort_key() < new:
                return False
            if index + 1 < len(chosen) and not new < chosen[index + 1].sort_key():
                return False
    return True


def _index(readers: dict[tuple[str, ...], set[str]], path: str, entry: Entry) -> None:
    for key in entry.items:
        readers.setdefault(key, set()).add(path)
    for part in entry.now:
        readers.setdefault((NOW, part), set()).add(path)


def _unindex(readers: dict[tuple[str, ...], set[str]], path: str, entry: Entry) -> None:
    for key in entry.items:
        readers.get(key, set()).discard(path)
    for part in entry.now:
        readers.get((NOW, part), set()).discard(path)


def _finish_stale(
    usage: Any, changed: set[tuple[str, ...]], changes: dict[str, Artifact | None]
) -> bool:
    if usage is None:
        return True
    if any(key in usage.items for key in changed if key[0] != NOW):
        return True
    if any(key[1] in usage.now for key in changed if key[0] == NOW):
        return True
    read = usage.outputs
    return bool(changes) and (ALL_OUTPUTS in read or any(p in read for p in changes))


def _diff(old: list[Artifact], new: list[Artifact], changes: dict[str, Artifact | None]) -> None:
    before = {a.path: a for a in old}
    for artifact in new:
        if before.pop(artifact.path, None) != artifact:
            changes[artifact.path] = artifact
    for path in before:
        changes.setdefault(path, None)
