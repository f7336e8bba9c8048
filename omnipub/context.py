"""The RenderContext a channel renders with: URLs, Markdown, images, templates, diagnostics.

One context per channel per build. It records what each render used (templates, items
whose URLs or content it read) so that incremental rebuilds know what depends on what.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import jinja2

from . import blocks, markdown
from .channel import Artifact, Channel, Route
from .depends import RECORDER, Usage, merge_usage, paused, touch, touch_now
from .diagnostics import Diagnostic, Diagnostics, Location, Severity
from .document import Document
from .images import ImageInfo, Rendition, plan_renditions
from .items import Item, ItemView
from .links import image_source, source_link
from .paths import UnsafePath, split_url
from .templates import render_template

if TYPE_CHECKING:
    from .model import Site
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
        self.site = site
        self.channel = channel
        self.name = channel.name
        self.config = channel.config
        self.plan = plan
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
        self._memo: dict[Any, Any] = {}
        #: (item key, sanitized, widths, sizes) -> (prerendered, HTML, what it read, assets)
        self._filled: dict[tuple[Any, ...], tuple[Any, str, Usage, tuple[Artifact, ...]]] = {}
        #: href -> (its URL in this channel, the item key it points at): links that are
        #: site paths (not sources) resolve the same from every page
        self._site_links: dict[str, tuple[str, tuple[str, str] | None]] = {}
        self._memo_lock = threading.RLock()

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Compute a per-build index once (tag indexes, listings) and share it.

        Reading an index is a dependency on the site's shape, not on each item in it.
        """
        with paused():
            try:
                return self._memo[key]
            except KeyError:
                with self._memo_lock:
                    if key not in self._memo:
                        self._memo[key] = compute()
                return self._memo[key]

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
        if RECORDER.usage is None:
            RECORDER.usage = Usage()
        return RECORDER.usage

    def begin(self) -> None:
        RECORDER.usage = Usage()
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
            lambda: [
                i.view(self.name) for i in self.plan.selected[self.name] if lang in (None, i.lang)
            ],
        )

    def item(self, item_id: str, lang: str) -> ItemView | None:
        touch((item_id, lang))
        found = self.site.by_key.get((item_id, lang))
        return found.view(self.name) if found and found.visible else None

    def routes(self, output: str | None = None, lang: str | None = None) -> list[Route]:
        """This channel's routes, by output name and language (a shared list)."""
        return self.memo(
            ("routes", output, lang),
            lambda: [
                r
                for r in self.plan.routes_by_channel.get(self.name, [])
                if (output is None or r.output == output) and (lang is None or r.lang == lang)
            ],
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
        touch(key)
        route = self.plan.item_routes.get((channel or self.name, key[0], key[1]))
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
        full = base + url_path.lstrip("/")
        return full if absolute else self.path_of(full)

    # --- Markdown ---------------------------------------------------------------------------

    def _link_resolver(
        self, view: ItemView | None, rel: str, lang: str | None = None
    ) -> markdown.LinkResolver:
        lang = view.lang if view else (lang or self.site.config.default_language)

        def resolve(href: str, _line: int | None) -> str:
            link = source_link(rel, href)
            if link is not None:
                target = self.site.by_rel.get(link.target_rel)
                if target is None or not target.visible:
                    return "#"
                anchor = f"#{link.anchor}" if link.anchor else ""
                for want_lang in (lang, target.lang):
                    for channel in (self.name, "web"):
                        url = self.url_for((target.id, want_lang), channel, absolute=False)
                        if url:
                            return url + anchor
                return "#"
            return self._site_link(href)

        return resolve

    def _site_link(self, href: str) -> str:
        """A link that is not to a source: a site path becomes this channel's URL for it."""
        kept = self._site_links.get(href)
        if kept is None:
            url, key = href, None
            parts = split_url(href)
            if parts.path.startswith("/") and not parts.netloc:
                key = self.plan.web_paths.get(parts.path)
                if key:
                    with paused():
                        found = self.url_for(key, absolute=False) or self.url_for(key, "web")
                    if found:
                        url = found + (f"#{parts.fragment}" if parts.fragment else "")
            kept = self._site_links[href] = (url, key)
        if kept[1] is not None:
            touch(kept[1])
        return kept[0]

    def _image_resolver(
        self, rel: str, widths: tuple[int, ...], sizes: str
    ) -> markdown.ImageResolver:
        def resolve(src: str, alt: str, _line: int | None) -> dict[str, Any]:
            found = self.image_for(rel, src, widths, sizes)
            return found or {"src": src}

        return resolve

    def html(
        self,
        view: ItemView,
        *,
        sanitized: bool = False,
        widths: tuple[int, ...] = (480, 800, 1200),
        sizes: str = "(max-width: 800px) 100vw, 800px",
    ) -> str:
        """The item's body as HTML for this channel, links and images resolved.

        `sanitized` gives the nh3-cleaned form (what app and signage publish). An item's
        HTML appears in its page and in every feed page that lists it, so the filled HTML
        is kept for a while, with what filling it read, which is replayed on reuse."""
        pre = view.prerendered
        key = (view.item.key, sanitized, widths, sizes)
        kept = self._filled.get(key)
        usage = RECORDER.usage
        if kept is not None and kept[0] is pre:
            _pre, text, read, assets = kept
            if usage is not None:
                merge_usage(usage, read)
            self.route_assets.extend(assets)
            for artifact in assets:
                self._assets.setdefault(artifact.path, artifact)
            return text
        if RECORDER.paused:  # reads are not recorded here: nothing to replay later
            return self._fill(view, pre, sanitized, widths, sizes)
        start = len(self.route_assets)
        RECORDER.usage = read = Usage()
        try:
            text = self._fill(view, pre, sanitized, widths, sizes)
        finally:
            RECORDER.usage = usage
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
    ) -> str:
        return markdown.fill(
            pre.sanitized if sanitized else pre.html,
            pre,
            self._link_resolver(view, view.rel),
            self._image_resolver(view.rel, widths, sizes),
        )

    def html_of_document(
        self, document: Document, lang: str, widths: tuple[int, ...] = (480, 800, 1200)
    ) -> str:
        """HTML for a section or home page body (no item view)."""
        pre = document.pre
        resolve = self._link_resolver(None, document.rel, lang)
        return markdown.fill(
            pre.html, pre, resolve, self._image_resolver(document.rel, widths, "100vw")
        )

    def text(self, view: ItemView) -> str:
        return view.prerendered.text

    def blocks(self, view: ItemView, widths: tuple[int, ...] = (480, 800, 1200)) -> list[dict]:
        """The body as a block list a native app draws without a web view."""
        return blocks.fill(
            view.prerendered.packed_blocks,
            resolve_link=self._link_resolver(view, view.rel),
            link_target=self._link_target(view),
            resolve_image=self._image_resolver(view.rel, widths, "100vw"),
        )

    def _link_target(self, view: ItemView) -> Any:
        def target(href: str) -> str | None:
            link = source_link(view.rel, href)
            if link is not None:
                found = self.site.by_rel.get(link.target_rel)
                return found.id if found and found.visible else None
            key = self.plan.web_paths.get(split_url(href).path) if href.startswith("/") else None
            return key[0] if key else None

        return target

    # --- images -----------------------------------------------------------------------------

    def image_for(
        self,
        rel: str,
        src: str,
        widths: tuple[int, ...] = (480, 800, 1200),
        sizes: str = "100vw",
        aspect: tuple[int, int] | None = None,
    ) -> dict[str, Any] | None:
        """Plan renditions of an image referenced from `rel`; returns src/srcset/size info."""
        try:
            target = image_source(rel, src)
        except UnsafePath:
            return None
        info = self.images.get(target)
        if info is None:
            return None
        renditions = plan_renditions(info, widths, aspect=aspect)
        for rendition in renditions:
            self._add_rendition(rendition)
        largest = renditions[-1]
        return {
            "src": self.url_for_path(largest.path),
            "srcset": ", ".join(f"{self.url_for_path(r.path)} {r.width}w" for r in renditions),
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
    ) -> dict[str, Any] | None:
        image = view.fields.get("image")
        if not image:
            return None
        found = self.image_for(view.rel, str(image), widths, sizes, aspect)
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
        return render_template(self.env, tuple(names), values, rendering, self.usage.templates.add)

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


def _media_type(path: str) -> str:
    dot = path.rfind(".")
    return (
        _TYPES.get(path[dot:].lower(), "application/octet-stream")
        if dot >= 0
        else ("application/octet-stream")
    )
