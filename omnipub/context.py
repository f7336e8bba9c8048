"""The RenderContext a channel renders with: URLs, Markdown, images, templates, diagnostics.

One context per channel per build. It records what each render used (templates, items
whose URLs or content it read) so that incremental rebuilds know what depends on what.
"""

from __future__ import annotations

import copy
import datetime as dt
import html as html_escaping
import posixpath
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin

import jinja2
from markupsafe import Markup

from . import blocks, componentdata, markdown
from .channel import Artifact, Channel, Route
from .componentdata import Component
from .components import arguments
from .depends import Digests, Key, Usage, current, merge_usage, recording, touch, touch_now
from .diagnostics import Diagnostic, Diagnostics, Location, Severity
from .document import Document
from .images import IMAGE_SUFFIXES, ImageInfo, Rendition, plan_renditions
from .items import Item, ItemView
from .links import SectionLink, resource_link, section_link, source_link
from .model import Site
from .paths import UnsafePath, image_source, quote_path, split_url
from .recorded import RecordedSite
from .templates import render_template, translate

if TYPE_CHECKING:
    from .resolve import Plan

#: filled item bodies kept per channel (a feed page shows the same items as its neighbours)
FILLED_KEPT = 2000


class RenderContext:
    def __init__(
        self,
        site: Site,
        channel: Channel,
        plan: Plan,
        env: jinja2.Environment,
        images: dict[str, ImageInfo],
        diagnostics: Diagnostics,
        state: dict[str, Any] | None = None,
    ) -> None:
        self.site: Site = RecordedSite(site)
        self.channel = channel
        self.name = channel.name
        self.config = channel.config
        self._plan = plan
        #: today's digests (set by the build): a shared index computed here makes its own
        self.digests: Digests | None = None
        #: memo key -> the keys computing it read, for the next build (see `memo`)
        self.memo_reads: dict[Key, tuple[Key, ...]] = {}
        self.env = env
        self.images = images
        self.diagnostics = diagnostics
        self._now = site.now
        #: this channel's state from the previous build (read-only; see `new_state`)
        self.state: dict[str, Any] = dict(state or {})
        self.new_state: dict[str, Any] | None = None
        self._assets: dict[str, Artifact] = {}
        #: renditions each route asked for, so a reused render still publishes its images
        self.route_assets: list[Artifact] = []
        #: path -> sha256 of every output this channel's routes produced (set before
        #: `finish`, which may list them: manifests, indexes)
        self.outputs: dict[str, str] = {}
        #: key -> (value, its dependency key, the instant's parts it showed, the items it holds)
        self._memo: dict[Any, tuple[Any, Key, frozenset[str], frozenset[tuple[str, str]]]] = {}
        #: (item key, sanitized, widths, sizes) -> (prerendered, HTML, what it read, assets)
        self._filled: dict[tuple[Any, ...], tuple[Any, str, Usage, tuple[Artifact, ...]]] = {}
        #: href -> (its URL in this channel, the item key it points at): links that are
        #: site paths (not sources) resolve the same from every page
        self._site_links: dict[str, tuple[str | None, frozenset[Key]]] = {}
        self._memo_lock = threading.RLock()
        #: component name -> the template that draws it in this channel (None: none does)
        self._component_templates: dict[str, str | None] = {}

    @property
    def plan(self) -> Plan:
        """The whole plan: reading it directly depends on all of it (prefer `routes`,
        `items` and `url_for`, which record only what they look at)."""
        touch(("plan",))
        return self._plan

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Compute a per-build index once (tag indexes, listings) and share it.

        Computing it records what it read; reading it records one key for the whole index,
        whose digest is made from the digests of those reads (`depends.Digests`). So a page
        showing the tag index depends on every item's tags, not on their titles or text.
        """
        found = self._memo.get(key)
        if found is None:
            with self._memo_lock:
                found = self._memo.get(key)
                if found is None:
                    memo_key: Key = ("memo", self.name, repr(key))
                    with recording(Usage()) as read:
                        value = compute()
                    assert read is not None
                    keys = tuple(sorted(read.items, key=repr))
                    self.memo_reads[memo_key] = keys
                    if self.digests is not None:
                        self.digests.learn(memo_key, keys)
                    held = held_items(value)
                    found = self._memo[key] = (value, memo_key, frozenset(read.now), held)
        value, memo_key, now, _held = found
        usage = current()
        if usage is not None:
            usage.items.add(memo_key)
            usage.now |= now
        return value

    def derived(
        self,
        site: Site,
        plan: Plan,
        digests: Digests,
        changed: set[Key],
        remade: Mapping[tuple[str, str], Item],
    ) -> RenderContext:
        """This context for a new site value (a live rebuild's) in which the items `remade`
        are new objects; this one is left as it is. What it kept comes along unless it read
        one of the `changed` keys: resolved links, filled bodies, and the shared indexes,
        with the remade items (and their views) in place of the old ones. An index that
        holds an old item inside an object it cannot look into is computed again."""
        new = copy.copy(self)
        new.site = RecordedSite(site)
        new._plan, new.digests, new._now = plan, digests, site.now
        new.memo_reads = dict(self.memo_reads)
        new._assets = dict(self._assets)
        new.route_assets = []
        new.outputs = type(self.outputs)(dict.items(self.outputs))
        new._memo = {}
        swap: dict[int, Any] = dict(self.site.replaced_by(remade))  # also each old view:
        for key, item in remade.items():
            old = dict.get(self.site.by_key, key)
            for channel, view in old._views.items() if old is not None else ():
                swap[id(view)] = item.view(channel)
        for key, found in self._memo.items():
            value, memo_key, now, held = found
            if memo_key in changed:
                continue
            if held.isdisjoint(remade):
                new._memo[key] = found
                continue
            try:
                new._memo[key] = (_remapped(value, swap), memo_key, now, held)
            except _Opaque:
                continue
        new._memo_lock = threading.RLock()
        new._site_links = {k: v for k, v in self._site_links.items() if changed.isdisjoint(v[1])}
        new._filled = {k: v for k, v in self._filled.items() if changed.isdisjoint(v[2].items)}
        new._component_templates = dict(self._component_templates)
        return new

    @property
    def now(self) -> Any:
        """The build instant; output that shows it is re-rendered when it changes.

        Use `today` or `year` when that is all a page shows, so it is re-rendered less."""
        touch_now("instant")
        return self._now

    @property
    def now_untracked(self) -> Any:
        """The build instant, read without making it a dependency.

        Only for a record made once and then kept, such as the time of a change set that is
        written only when the outputs changed: building again at another instant would not
        change it, so it must not make the output look stale."""
        return self._now

    @property
    def today(self) -> Any:
        touch_now("date")
        return self._now.date()

    @property
    def year(self) -> int:
        touch_now("year")
        return int(self._now.year)

    # --- dependency recording ---------------------------------------------------------------

    @property
    def usage(self) -> Usage:
        """What the render under way has read so far (see `begin`)."""
        usage = current()
        return usage if usage is not None else Usage()

    def begin(self) -> None:
        self.route_assets = []

    def uses(self, item: Item | ItemView) -> None:
        base = item.item if isinstance(item, ItemView) else item
        touch(base.key)

    # --- items and URLs ---------------------------------------------------------------------

    def view(self, item: Item) -> ItemView:
        return item.view(self.name)

    def items(self, lang: str | None = None) -> list[ItemView]:
        """The visible items of this channel, newest first (a shared list: do not modify)."""
        return self.memo(
            ("items", lang),
            lambda: _read(
                ("sel", self.name, lang),
                [
                    i.view(self.name)
                    for i in self._plan.selected[self.name]
                    if lang in (None, i.lang)
                ],
            ),
        )

    def item(self, item_id: str, lang: str) -> ItemView | None:
        found = self.site.by_key.get((item_id, lang))
        return found.view(self.name) if found and found.visible else None

    def routes(self, output: str | None = None, lang: str | None = None) -> list[Route]:
        """This channel's routes, by output name and language (a shared list)."""
        return self.memo(
            ("routes", output, lang),
            lambda: _read(
                ("routes", self.name, output, lang),
                [
                    r
                    for r in self._plan.routes_by_channel.get(self.name, [])
                    if (output is None or r.output == output) and (lang is None or r.lang == lang)
                ],
            ),
        )

    def url_for(
        self,
        item: Item | ItemView | tuple[str, str],
        channel: str | None = None,
        lang: str | None = None,
        absolute: bool = True,
    ) -> str | None:
        """An item's URL in a channel (this one by default); None where it has no page."""
        if isinstance(item, ItemView):
            key = item.item.key
        elif isinstance(item, Item):
            key = item.key
        else:
            key = item
        if lang is not None:
            key = (key[0], lang)
        touch(("url", channel or self.name, key[0], key[1]))
        route = self._plan.item_routes.get((channel or self.name, key[0], key[1]))
        if route is None:
            return None
        if absolute or (channel and channel != self.name):
            return route.url
        return self.path_of(route.url)

    def path_of(self, url: str) -> str:
        """The site-relative form of an absolute URL of this channel (for in-page links)."""
        return split_url(url).path or "/"

    def url_for_path(self, url_path: str, absolute: bool = False) -> str:
        """A URL for a path inside this channel's root, such as `/feed.xml`."""
        base = self.config.base_url
        full = base + quote_path(url_path.lstrip("/"))
        return full if absolute else self.path_of(full)

    # --- Markdown ---------------------------------------------------------------------------

    def _link_resolver(
        self, view: ItemView | None, rel: str, lang: str | None = None, absolute: bool = False
    ) -> markdown.LinkResolver:
        """Links of a body: to this channel's pages, or with `absolute`, to the pages people
        read (the canonical channel's first) by absolute URL, for HTML read elsewhere."""
        lang = view.lang if view else (lang or self.site.config.default_language)
        canonical = self.site.config.canonical_channel
        order = (canonical, self.name) if absolute else (self.name, canonical)
        base = (self.url_for(view, canonical) or self.url_for(view)) if view and absolute else None

        def resolve(href: str, _line: int | None) -> str | None:
            link = source_link(rel, href)
            if link is not None:
                target = self.site.by_rel.get(link.target_rel)
                if target is None:
                    section = section_link(self.site, link)
                    if section is None:
                        return "#"  # reported as link.broken: the build fails
                    return self._section_url(section, (lang, section.lang), order, absolute)
                if not target.visible:
                    return None  # expired or not yet published: plain text (link.unpublished)
                anchor = f"#{link.anchor}" if link.anchor else ""
                for want_lang in (lang, target.lang):
                    for channel in order:
                        url = self.url_for((target.id, want_lang), channel, absolute=absolute)
                        if url:
                            return url + anchor
                return "#"
            bundled = resource_link(self.site, rel, href)
            if bundled is not None:
                owner, resource = bundled
                if not resource:
                    return "#"  # reported as link.broken
                if not owner.visible:
                    return None  # as a link to the page itself
                if posixpath.splitext(resource)[1].lower() in IMAGE_SUFFIXES:
                    # bundle images are published as renditions: the link opens the largest
                    shown = self.image_for(rel, href, (1200,), absolute=absolute)
                    if shown is not None:
                        return str(shown["src"])
                fragment = split_url(href).fragment
                # a file is the same file anywhere: this channel's copy first
                for want_lang in (lang, owner.lang):
                    for channel in dict.fromkeys((self.name, canonical)):
                        url = self.resource_url((owner.id, want_lang), resource, channel, absolute)
                        if url:
                            return url + (f"#{fragment}" if fragment else "")
                return "#"
            if absolute:
                return self._absolute_link(href, base)
            return self._site_link(href)

        return resolve

    def _section_url(
        self,
        section: SectionLink,
        langs: Sequence[str | None],
        order: Sequence[str],
        absolute: bool,
    ) -> str | None:
        """A section's listing page: in the first of `order`'s channels that has one, in the
        first of `langs` it has; None (plain text) where no channel lists it in this build."""
        anchor = f"#{section.anchor}" if section.anchor else ""
        default = self.site.config.default_language
        for lang in dict.fromkeys(lang or default for lang in [*langs, default]):
            for channel in order:
                touch(("section-url", channel, section.name, lang))
                route = self._plan.section_routes.get((channel, section.name, lang))
                if route is not None:
                    same = channel == self.name and not absolute
                    return (self.path_of(route.url) if same else route.url) + anchor
        return None

    def _absolute_link(self, href: str, base: str | None) -> str | None:
        """A link that is not to a source, made absolute: a root-relative path is a path of
        the canonical channel's site (to its item's page where it names one; None, plain
        text, where it names a hidden item's), anything else is read against the page the
        item has there (`base`)."""
        parts = split_url(href)
        if parts.path.startswith("/") and not parts.netloc:
            canonical = self.site.config.canonical_channel
            key = self._web_path(parts.path)
            listed = self._web_section(parts.path, parts.fragment) if not key else None
            if listed is not None:
                return self._section_url(listed, [listed.lang], (canonical, self.name), True)
            if key is None and self._is_hidden_page(parts.path):
                return None
            found = self.url_for(key, canonical) if key else None
            if found:
                return found + (f"#{parts.fragment}" if parts.fragment else "")
            root = self._plan.base_urls.get(canonical) or self.config.base_url
            return urljoin(root, href)
        return urljoin(base or self.config.base_url, href)

    def resource_url(
        self, key: tuple[str, str], rel: str, channel: str | None = None, absolute: bool = False
    ) -> str | None:
        """Where a channel (this one by default) publishes one of the item's page bundle
        files (see `publish_resources`); None when the item has no page there."""
        channel = channel or self.name
        touch(("url", channel, key[0], key[1]))
        folder = self._plan.resource_dirs.get((channel, key[0], key[1]))
        item = self.site.by_key.get(key)
        if folder is None or item is None or rel not in item.resources:
            return None
        name = rel[len(item.translation_key) + 1 :]
        url = self._plan.base_urls[channel] + quote_path(f"{folder}/{name}" if folder else name)
        return url if absolute or channel != self.name else self.path_of(url)

    def publish_resources(self, view: ItemView) -> None:
        """Publish the item's bundle files beside its page in this channel (images are
        published as renditions where a page shows them)."""
        item = view.item
        route = self._plan.item_routes.get((self.name, item.id, item.lang))
        if route is None:
            return
        folder = self.channel.resource_dir(route)
        for rel in view.resources:
            if posixpath.splitext(rel)[1].lower() in IMAGE_SUFFIXES:
                continue
            name = rel[len(item.translation_key) + 1 :]
            path = f"{folder}/{name}" if folder else name
            artifact = Artifact(path, _media_type(rel), source=rel, sources=(rel,))
            self.route_assets.append(artifact)
            self._assets.setdefault(path, artifact)

    def _site_link(self, href: str) -> str | None:
        """A link that is not to a source: a site path becomes this channel's URL for it.

        The same href resolves the same on every page: the answer is kept with what finding
        it read, which each later use records again."""
        kept = self._site_links.get(href)
        if kept is None:
            url: str | None = href
            with recording(Usage()) as read:
                parts = split_url(href)
                if parts.path.startswith("/") and not parts.netloc:
                    key = self._web_path(parts.path)
                    listed = self._web_section(parts.path, parts.fragment) if not key else None
                    canonical = self.site.config.canonical_channel
                    if listed is not None:
                        url = self._section_url(
                            listed, [listed.lang], (self.name, canonical), False
                        )
                    elif key is None and self._is_hidden_page(parts.path):
                        url = None  # expired or not yet published: plain text
                    elif key:
                        found = self.url_for(key, absolute=False) or self.url_for(key, canonical)
                        if found:
                            url = found + (f"#{parts.fragment}" if parts.fragment else "")
            assert read is not None
            kept = self._site_links[href] = (url, frozenset(read.items))
        usage = current()
        if usage is not None:
            usage.items |= kept[1]
        return kept[0]

    def _is_hidden_page(self, path: str) -> bool:
        """Is `path` where a hidden (expired, future) item's page would be? Its links are
        plain text in this build. Which items are hidden is part of the plan."""
        return bool(self._plan.hidden_paths.get(_page_path(path)))

    def _web_path(self, path: str) -> tuple[str, str] | None:
        """The item whose web page is at `path` (root-relative links in content; the
        trailing slash and `index.html` may be left out)."""
        path = _page_path(path)
        touch(("webpath", path))
        return self._plan.web_paths.get(path)

    def _web_section(self, path: str, anchor: str) -> SectionLink | None:
        """The section whose web listing page is at `path` (in that page's language)."""
        path = _page_path(path)
        touch(("webpath", path))
        found = self._plan.web_sections.get(path)
        return SectionLink(found[0], found[1], anchor) if found else None

    def _image_resolver(
        self, rel: str, widths: tuple[int, ...], sizes: str, absolute: bool = False
    ) -> markdown.ImageResolver:
        def resolve(src: str, alt: str, _line: int | None) -> dict[str, Any]:
            found = self.image_for(rel, src, widths, sizes, absolute=absolute)
            if found is None and absolute:
                return {"src": self._absolute_link(src, None)}
            return found or {"src": src}

        return resolve

    def html(
        self,
        view: ItemView,
        *,
        sanitized: bool = False,
        widths: tuple[int, ...] = (480, 800, 1200),
        sizes: str = "(max-width: 800px) 100vw, 800px",
        absolute: bool = False,
    ) -> str:
        """The item's body as HTML for this channel, links and images resolved.

        `sanitized` gives the nh3-cleaned form (what app and signage publish); `absolute`
        gives HTML to be read away from this channel's site (a feed reader, an app's web
        view): every URL absolute, links to the canonical channel's pages. An item's
        HTML appears in its page and in every feed page that lists it, so the filled HTML
        is kept for a while, with what filling it read, which is replayed on reuse."""
        pre = view.prerendered
        key = (view.item.key, sanitized, widths, sizes, absolute)
        kept = self._filled.get(key)
        usage = current()
        if kept is not None and kept[0] is pre:
            _pre, text, kept_read, assets = kept
            if usage is not None:
                merge_usage(usage, kept_read)
            self.route_assets.extend(assets)
            for artifact in assets:
                self._assets.setdefault(artifact.path, artifact)
            return text
        start = len(self.route_assets)
        with recording(Usage()) as read:
            text = self._fill(view, pre, sanitized, widths, sizes, absolute)
        assert read is not None
        if usage is not None:
            merge_usage(usage, read)
        self._filled[key] = (pre, text, read, tuple(self.route_assets[start:]))
        if len(self._filled) > FILLED_KEPT:
            self._filled.pop(next(iter(self._filled)))
        return text

    def _fill(
        self,
        view: ItemView,
        pre: markdown.Prerendered,
        sanitized: bool,
        widths: tuple[int, ...],
        sizes: str,
        absolute: bool,
    ) -> str:
        text = pre.sanitized if sanitized else pre.html
        if self._repeats_title(view):
            text = text[text.index("</h1>") + len("</h1>") :].lstrip("\n")
        filled = markdown.fill(
            text,
            pre,
            self._link_resolver(view, view.rel, absolute=absolute),
            self._image_resolver(view.rel, widths, sizes, absolute),
        )
        return markdown.fill_components(
            filled,
            pre,
            self._component_html(
                pre, view, view.rel, view.lang, sanitized, widths, sizes, absolute
            ),
        )

    def _repeats_title(self, view: ItemView) -> bool:
        """Does the body open with a level-1 heading saying the title (which the page
        shows already)? Compared without case and spacing, to the title the channel shows
        and the item's own."""
        document = view.item.document
        lead = document.lead_heading
        if lead is None or self.name in document.channel_pre:
            return False
        said = " ".join(lead.split()).casefold()
        titles = (view.title, str(view.item.fields.get("title", "")))
        return any(" ".join(t.split()).casefold() == said for t in titles)

    def html_of_document(
        self, document: Document, lang: str, widths: tuple[int, ...] = (480, 800, 1200)
    ) -> str:
        """HTML for a section or home page body (no item view)."""
        pre = document.pre
        resolve = self._link_resolver(None, document.rel, lang)
        filled = markdown.fill(
            pre.html, pre, resolve, self._image_resolver(document.rel, widths, "100vw")
        )
        return markdown.fill_components(
            filled,
            pre,
            self._component_html(pre, None, document.rel, lang, False, widths, "100vw"),
        )

    def text(self, view: ItemView) -> str:
        """The body as plain text, each component as its text."""
        pre = view.prerendered
        text = pre.text
        if pre.components:

            def render(index: int, body: str) -> str:
                found = self._resolve(pre, index, view, view.rel, view.lang, body, (480,), "100vw")
                return componentdata.text_of(found, body) if found else ""

            text = _BLANK_LINES.sub("\n\n", markdown.fill_components(text, pre, render)).strip()
        if self._repeats_title(view):
            text = text.split("\n\n", 1)[1] if "\n\n" in text else ""
        return text

    def blocks(
        self, view: ItemView, widths: tuple[int, ...] = (480, 800, 1200), absolute: bool = False
    ) -> list[dict]:
        """The body as a block list a native app draws without a web view; components are
        typed blocks (see `componentdata.blocks_of`). `absolute` as for `html`; links carry
        the target's id, so an app opens an item itself."""
        pre = view.prerendered

        def component(index: int, inner: list[dict], _inline: bool) -> list[Any]:
            found = self._resolve(
                pre, index, view, view.rel, view.lang, "", widths, "100vw", absolute
            )
            return componentdata.blocks_of(found, inner) if found else []

        found = blocks.fill(
            pre.packed_blocks,
            resolve_link=self._link_resolver(view, view.rel, absolute=absolute),
            link_target=self._link_target(view),
            resolve_image=self._image_resolver(view.rel, widths, "100vw", absolute),
            component=component,
        )
        if found and found[0].get("type") == "heading" and self._repeats_title(view):
            return found[1:]
        return found

    def _link_target(self, view: ItemView) -> Any:
        return lambda href: self.target_of(view, href)

    def target_of(self, source: ItemView | str, href: str) -> str | None:
        """The id of the visible item a link leads to (a source path, or a path of the
        canonical channel's site), or None. `source` is the item the link is written in, or
        the path of its file (a section's `_index.md`)."""
        rel = source if isinstance(source, str) else source.rel
        link = source_link(rel, href)
        if link is not None:
            found = self.site.by_rel.get(link.target_rel)
            return found.id if found and found.visible else None
        key = self._web_path(split_url(href).path) if href.startswith("/") else None
        return key[0] if key else None

    def link_for(
        self,
        rel: str,
        href: str,
        lang: str,
        view: ItemView | None = None,
        absolute: bool = False,
    ) -> str | None:
        """A link written in `rel` (in `view`'s body, where there is one) as a body's links
        become (`absolute` as for `html`); None where its target is not published in this
        build, so it shows as text."""
        if not markdown.is_allowed_url(href, self.site.config.markdown.allowed_schemes):
            return "#"
        if not markdown.is_internal(href):
            return href
        return self._link_resolver(view, rel, lang, absolute)(href, None)

    # --- components -------------------------------------------------------------------------

    def components(self, view: ItemView) -> list[Component]:
        """Every component of the item's body as data, in order, for channels that draw
        them their own way (a screen's visual, a plug-in's format)."""
        pre = view.prerendered
        found = (
            self._resolve(
                pre, use.index, view, view.rel, view.lang, use.body_text, (480, 800, 1200), "100vw"
            )
            for use in pre.components
        )
        return [component for component in found if component is not None]

    def component_args(self, view: ItemView) -> list[tuple[str, dict[str, Any]]]:
        """The components of the item's body as written: (name, typed arguments), nothing
        they name looked up, for a channel that only picks from them (a screen's poster)."""
        found = []
        for use in view.prerendered.components:
            spec = self.site.components.get(use.name)
            if spec is not None:
                args, problems = arguments(use, spec, self.site.config.timezone)
                if not any(not p.warning for p in problems):
                    found.append((use.name, args))
        return found

    def _resolve(
        self,
        pre: markdown.Prerendered,
        index: int,
        view: ItemView | None,
        rel: str,
        lang: str,
        body: str,
        widths: tuple[int, ...],
        sizes: str,
        absolute: bool = False,
    ) -> Component | None:
        return componentdata.resolve(
            self,
            pre.components[index],
            componentdata.Placement(view, rel, lang, widths, sizes, absolute),
            body,
        )

    def _component_html(
        self,
        pre: markdown.Prerendered,
        view: ItemView | None,
        rel: str,
        lang: str,
        sanitized: bool,
        widths: tuple[int, ...],
        sizes: str,
        absolute: bool = False,
    ) -> markdown.ComponentFiller:
        def render(index: int, body: str) -> str:
            component = self._resolve(pre, index, view, rel, lang, body, widths, sizes, absolute)
            if component is None:
                return ""
            markup = self.channel.render_component(component, self)
            if sanitized:
                return markdown.sanitize(markup, self.site.config.markdown.allowed_schemes)
            return markup

        return render

    def component_html(self, component: Component) -> str:
        """A component drawn by its template in this channel, else as its text (see
        `Channel.render_component`)."""
        template = self._component_template(component.name)
        if template is None:
            text = html_escaping.escape(component.text)
            url = component.data.get("url") or component.data.get("href")
            if url and text:
                text = f'<a href="{html_escaping.escape(str(url))}">{text}</a>'
            return text if component.inline or not text else f"<p>{text}</p>\n"
        locale = self.site.config.languages[component.lang].locale
        return self.template(
            (template,),
            f"{{{component.name}}} in {component.rel}",
            component=component,
            args=component.args,
            data=component.data,
            body=Markup(component.body),
            lang=component.lang,
            locale=locale,
            channel=self.name,
        )

    def _component_template(self, name: str) -> str | None:
        if name not in self._component_templates:
            found = None
            for wanted in (f"components/{name}.{self.name}.html", f"components/{name}.html"):
                try:
                    self.env.get_template(wanted)
                except jinja2.TemplateNotFound:
                    continue
                except jinja2.TemplateSyntaxError:
                    pass  # rendering it reports the error where it is
                found = wanted
                break
            self._component_templates[name] = found
        return self._component_templates[name]

    def translate(self, text: str, lang: str, **values: object) -> str:
        """`t(text, lang)` of the templates, from code."""
        return translate(self.env, text, lang, **values)

    def canonical_url_for_path(self, url_path: str) -> str:
        """The absolute URL of a root-relative path of the canonical channel's site (a
        static file such as a video), which every channel can load."""
        return self._absolute_link(url_path, None) or "#"

    # --- images -----------------------------------------------------------------------------

    def image_for(
        self,
        rel: str,
        src: str,
        widths: tuple[int, ...] = (480, 800, 1200),
        sizes: str = "100vw",
        aspect: tuple[int, int] | None = None,
        absolute: bool = False,
    ) -> dict[str, Any] | None:
        """Plan renditions of an image referenced from `rel`; returns src/srcset/size info
        (with `absolute`, absolute URLs in src and srcset too)."""
        try:
            target = image_source(rel, src)
        except UnsafePath:
            return None
        touch(("image", target))  # the renditions follow the file
        info = self.images.get(target)
        if info is None:
            return None
        renditions = plan_renditions(info, widths, aspect=aspect)
        for rendition in renditions:
            self._add_rendition(rendition)
        largest = renditions[-1]
        return {
            "src": self.url_for_path(largest.path, absolute),
            "srcset": ", ".join(
                f"{self.url_for_path(r.path, absolute)} {r.width}w" for r in renditions
            ),
            "sizes": sizes,
            "width": largest.width,
            "height": largest.height,
            "renditions": [
                {
                    "url": self.url_for_path(r.path, absolute=True),
                    "width": r.width,
                    "height": r.height,
                    "media_type": r.media_type,
                }
                for r in renditions
            ],
        }

    def image_url_in(self, channel: str, rel: str, src: str, widths: tuple[int, ...]) -> str | None:
        """The absolute URL of an image's largest rendition as `channel` publishes it.

        Pure: it plans, it registers nothing (that channel publishes its own renditions)."""
        try:
            info = self.images.get(image_source(rel, src))
        except UnsafePath:
            return None
        base = self.plan.base_urls.get(channel)
        if info is None or base is None:
            return None
        return base + plan_renditions(info, widths)[-1].path

    def item_image(
        self,
        view: ItemView,
        widths: tuple[int, ...] = (480, 800, 1200),
        sizes: str = "100vw",
        aspect: tuple[int, int] | None = None,
        absolute: bool = False,
    ) -> dict[str, Any] | None:
        image = view.fields.get("image")
        if not image:
            return None
        found = self.image_for(view.rel, str(image), widths, sizes, aspect, absolute)
        if found is not None:
            found["alt"] = view.fields.get("image_alt") or ""
        return found

    def _add_rendition(self, rendition: Rendition) -> None:
        artifact = Artifact(
            rendition.path,
            rendition.media_type,
            source=rendition.source,
            transform=rendition.transform,
            sources=(rendition.source,),
        )
        self.route_assets.append(artifact)
        self._assets.setdefault(rendition.path, artifact)

    def add_assets(self, artifacts: Iterable[Artifact]) -> None:
        """Assets of a render reused from the cache."""
        for artifact in artifacts:
            self._assets.setdefault(artifact.path, artifact)

    def assets(self) -> list[Artifact]:
        """Image renditions requested by any render of this channel, in path order."""
        return [self._assets[p] for p in sorted(self._assets)]

    def static_files(self, folder: str = "static") -> Iterable[Artifact]:
        """Copy artifacts for the site's static files (for channels that serve them)."""
        prefix = folder.rstrip("/") + "/"
        for rel in self.plan.static_files:
            if rel.startswith(prefix):
                yield Artifact(rel[len(prefix) :], _media_type(rel), source=rel, sources=(rel,))

    # --- templates and diagnostics -----------------------------------------------------------

    def template(self, names: Sequence[str], rendering: str, **values: Any) -> str:
        values.setdefault("ctx", self)
        usage = current()
        noted = usage.templates.add if usage is not None else _ignore
        return render_template(self.env, tuple(names), values, rendering, noted)

    def warn(
        self,
        code: str,
        message: str,
        view: ItemView | None,
        field_name: str | None = None,
        hint: str | None = None,
    ) -> None:
        """A warning at the line of `field_name` in the view's source (an error if strict)."""
        self._report(Severity.WARNING, code, message, view, field_name, hint)

    def error(
        self,
        code: str,
        message: str,
        view: ItemView | None,
        field_name: str | None = None,
        hint: str | None = None,
    ) -> None:
        self._report(Severity.ERROR, code, message, view, field_name, hint)

    def _report(
        self,
        severity: Severity,
        code: str,
        message: str,
        view: ItemView | None,
        field_name: str | None,
        hint: str | None,
    ) -> None:
        where = None
        if view is not None:
            where = Location(view.rel, view.line_of(field_name) if field_name else None)
        self.diagnostics.add(Diagnostic(severity, code, message, where, hint))


_TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".json": "application/json",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".txt": "text/plain",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
}


_BLANK_LINES = re.compile(r"\n{3,}")


def _page_path(path: str) -> str:
    """`/a/b`, `/a/b/index.html` -> `/a/b/`: the forms of one page's path."""
    path = unquote(path)
    if path.endswith("/index.html"):
        return path[: -len("index.html")]
    return path if path.endswith("/") or "." in path.rsplit("/", 1)[-1] else path + "/"


def _read(key: Key, value: Any) -> Any:
    """Record that `value` was read, under `key` (whose digest is made from the plan)."""
    touch(key)
    return value


def _ignore(_name: str) -> None:
    pass


def _media_type(path: str) -> str:
    dot = path.rfind(".")
    return (
        _TYPES.get(path[dot:].lower(), "application/octet-stream")
        if dot >= 0
        else ("application/octet-stream")
    )


#: values that hold no item, however many of them an index has
_LEAVES: frozenset[type] = frozenset(
    {str, int, float, bool, bytes, type(None), Markup, Route, Decimal, dt.date, dt.datetime}
)


#: what `_remapped` swaps or keeps as it is, without looking inside
_FLAT: frozenset[type] = _LEAVES | {Item, ItemView}


def _reachable(value: Any) -> Iterator[Any]:
    """Every object inside `value` (containers, objects' attributes), each once."""
    seen: set[int] = set()
    stack = [value]
    while stack:
        obj = stack.pop()
        kind = type(obj)
        if kind in _LEAVES or id(obj) in seen:
            continue
        seen.add(id(obj))
        yield obj
        if kind is ItemView or isinstance(obj, Item):
            continue
        if isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())
        else:
            stack.extend(getattr(obj, name, None) for name in getattr(kind, "__slots__", ()))


def held_items(value: Any) -> frozenset[tuple[str, str]]:
    """The keys of the items a shared index holds (items or their views, in containers or
    in objects' attributes). A live rebuild keeps an index only while none of them was
    made again: an index holding an old item would show its old content.

    An index is what its computation returned: one that gains items later (by being
    changed in place) must hold none to begin with, or say so by holding one."""
    found: set[tuple[str, str]] = set()
    for obj in _reachable(value):
        if type(obj) is ItemView:
            found.add(obj.item.key)
        elif isinstance(obj, Item):
            found.add(obj.key)
    return frozenset(found)


class _Opaque(Exception):
    """An index holds an item inside an object `_remapped` cannot rebuild."""


def _remapped(value: Any, swap: dict[int, Any]) -> Any:
    """`value` with each old item or view that `swap` names (by id) replaced by the new
    one, in new containers; raises _Opaque where an old one sits in an object other than
    a list, tuple, dict or set. (The old objects are alive: their ids are theirs.)"""
    kind = type(value)
    if kind in _FLAT:
        return swap.get(id(value), value)
    if kind is list or kind is tuple:
        out = [
            swap.get(id(entry), entry) if type(entry) in _FLAT else _remapped(entry, swap)
            for entry in value
        ]
        return out if kind is list else tuple(out)
    if kind is dict:
        return {
            (swap.get(id(k), k) if type(k) in _FLAT else _remapped(k, swap)): (
                swap.get(id(v), v) if type(v) in _FLAT else _remapped(v, swap)
            )
            for k, v in value.items()
        }
    if kind is set or kind is frozenset:
        return kind(_remapped(entry, swap) for entry in value)
    if not any(id(obj) in swap for obj in _reachable(value)):
        return value
    raise _Opaque(kind.__name__)
