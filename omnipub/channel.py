"""The public Channel interface: data (outputs, options) plus a few hooks.

Built-in channels use exactly this interface, as a third-party package would. A channel
never touches the file system: `plan` returns routes, `render` returns artifacts, and the
core does the choreography (collision checks, link tables, writing, auditing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .diagnostics import Diagnostics, Location
from .schema import FieldSpec

if TYPE_CHECKING:
    from .componentdata import Component
    from .config import SiteConfig
    from .context import RenderContext
    from .items import Item, ItemView
    from .model import ChannelTraits, Site
    from .resolve import Plan


@dataclass(frozen=True)
class OutputSpec:
    """One kind of output a channel produces, declared as data."""

    name: str
    media_type: str
    #: "item": one per item (its primary page); "collection": listings, feeds; "asset"
    kind: str = "collection"
    #: templates the channel renders this output with (a channel's own business)
    templates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    """One planned output: where it goes, its URL, and what renders it."""

    channel: str
    output: str
    path: str
    url: str
    lang: str
    item_id: str | None = None
    params: tuple[tuple[str, Any], ...] = ()
    source: str | None = None

    def param(self, name: str, default: Any = None) -> Any:
        for key, value in self.params:
            if key == name:
                return value
        return default

    @property
    def key(self) -> tuple[str, str]:
        return (self.channel, self.path)


@dataclass(frozen=True)
class Artifact:
    """Bytes for one output path, or a recipe (copy, image rendition) the publisher runs."""

    path: str
    media_type: str
    data: bytes | None = None
    #: a file to copy (static files) or to derive from (image renditions), site-relative
    source: str | None = None
    #: ("rendition", width, height, format, quality) for images
    transform: tuple[Any, ...] | None = None
    sources: tuple[str, ...] = ()
    templates: tuple[str, ...] = ()
    #: sha256 of the bytes, when known (a reused render carries only this)
    digest: str | None = None
    #: ids of unpublished items this file names on purpose, to report them removed (delta
    #: sync tombstones); the leak audit allows their ids here, and nothing else of them
    tombstones: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stated:
    """What one channel published about an item, read back from its outputs, for the
    consistency audit (`checks.consistency`).

    `facts` are compared with every other channel's (keys: price, currency, availability,
    start, end; the core normalises the values); `presentation` (title, h1) only with the
    other channels that state presentation, such as a web/mobile pair; `problems` are
    disagreements the channel found itself (a slide shown after its item ends)."""

    where: str
    facts: Mapping[str, str] = field(default_factory=dict)
    presentation: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


#: reads one output file of a channel, by its path in the channel's folder
ReadOutput = Callable[[str], bytes]
#: what a channel stated about an item (see `Channel.fact_reader`)
FactReader = Callable[["Item"], Iterable[Stated]]


@dataclass(frozen=True)
class Preview:
    """One frame of the dev server's preview board: an output shown at its device's size.

    The board frames `url` in a box of `width` x `height` CSS pixels scaled down to a
    thumbnail, so a portrait screen is shown portrait and a phone page at a phone's width."""

    label: str
    url: str
    width: int
    height: int


@dataclass
class ChannelConfig:
    """Settings every channel has; a channel extends this with its own keys."""

    base_url: str = "/"
    page_size: int = 10
    #: URL prefix per language; the default language has none unless set
    language_prefixes: Mapping[str, str] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)


class Channel:
    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    outputs: ClassVar[tuple[OutputSpec, ...]] = ()
    #: which Markdown rendering the channel wants: html, sanitized, blocks or text
    markdown: ClassVar[str] = "html"
    #: item types that join this channel without being asked; None means every type
    default_types: ClassVar[frozenset[str] | None] = None
    #: per-item options accepted under `channels: {name: {...}}` besides presentation fields
    option_fields: ClassVar[Mapping[str, FieldSpec]] = {}
    #: config keys this channel reads (besides base_url, page_size, language_prefixes)
    config_keys: ClassVar[frozenset[str]] = frozenset()
    #: the folder holding the channel's built-in templates and static assets
    package_dir: ClassVar[Path | None] = None
    #: further template folders searched after the channel's own (a channel that shares
    #: most templates with another names that channel's `templates/` here)
    template_fallbacks: ClassVar[tuple[Path, ...]] = ()
    #: the viewport (CSS pixels) the preview board shows this channel's item outputs in
    preview_size: ClassVar[tuple[int, int]] = (1280, 800)
    #: the files clients start from, as patterns of channel-relative paths (`fnmatch`): an
    #: app's manifest, a screen's playlist. `omnipub deploy` uploads them after everything
    #: else, so a deploy stopped half-way leaves the previous ones in place.
    entry_points: ClassVar[tuple[str, ...]] = ()

    def __init__(self, site_config: SiteConfig, diagnostics: Diagnostics) -> None:
        self.site_config = site_config
        raw = dict(site_config.channels.get(self.name, {}))
        known = {"base_url", "page_size", "language_prefixes"} | set(self.config_keys)
        for key in sorted(set(raw) - known):
            diagnostics.warning(
                "config.unknown",
                f"unknown key 'channels.{self.name}.{key}'",
                Location("omnipub.toml"),
                f"the {self.name} channel reads: {', '.join(sorted(known))}",
            )
        page_size = raw.get("page_size", 10)
        if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
            diagnostics.error(
                "config.value",
                f"channels.{self.name}.page_size must be a whole number above 0",
                Location("omnipub.toml"),
            )
            page_size = 10
        base_url = str(raw.get("base_url", "/"))
        if not base_url.endswith("/"):
            base_url += "/"
        self.config = ChannelConfig(
            base_url=base_url,
            page_size=page_size,
            language_prefixes=dict(raw.get("language_prefixes", {})),
            raw=raw,
        )
        self.configure(raw, diagnostics)

    # --- declared data ----------------------------------------------------------------------

    @classmethod
    def traits(cls) -> ChannelTraits:
        from .model import ChannelTraits

        return ChannelTraits(cls.name, cls.default_types, dict(cls.option_fields))

    def output(self, name: str) -> OutputSpec:
        for spec in self.outputs:
            if spec.name == name:
                return spec
        raise KeyError(name)

    # --- hooks ------------------------------------------------------------------------------

    def configure(self, raw: Mapping[str, Any], diagnostics: Diagnostics) -> None:
        """Read channel-specific settings from `raw`; report problems to `diagnostics`."""

    def select(self, item: ItemView) -> bool:
        """Is this (visible) item published on this channel?

        Whatever it reads is recorded (`depends`): a change to any of it plans again."""
        return item.channel_view.enabled

    def language_prefix(self, lang: str) -> str:
        """`/nb/` for a non-default language, `/` for the default one."""
        if lang in self.config.language_prefixes:
            prefix = str(self.config.language_prefixes[lang]).strip("/")
            return f"/{prefix}/" if prefix else "/"
        return "/" if lang == self.site_config.default_language else f"/{lang}/"

    def plan(self, site: Site, items: list[ItemView]) -> Iterable[Route]:
        """Every output this channel will write: `items` are the selected, visible items.

        What it reads is recorded, as for `select`: planning from few fields keeps most
        edits on the fast path."""
        raise NotImplementedError

    def listing(self, route: Route) -> str | None:
        """The section whose listing page `route` is, the page a link to the section's
        `_index.md` leads to: `docs/guides`, or '' for the site's home page. None for any
        other route (later pages of a listing, feeds of a site that has pages). A channel
        without listings keeps the default: links to sections lead to the canonical
        channel's page."""
        return None

    def resource_dir(self, route: Route) -> str:
        """The folder (in this channel's output) where an item's page bundle resources are
        published, beside the item's page: by default the folder of its primary output.
        A channel whose item outputs share one folder names one per item."""
        return route.path.rsplit("/", 1)[0] if "/" in route.path else ""

    def check(self, site: Site, ctx: RenderContext) -> None:
        """Validate what this channel needs (text fit, budgets) before rendering."""

    def advise(self, site: Site, ctx: RenderContext) -> None:
        """Warnings for `omnipub check` only, about how the site will behave rather than
        whether it builds (a screen with nothing scheduled next week): a build, strict or
        not, never reports them. Report with `ctx.warn` or `ctx.diagnostics`."""

    def render(self, route: Route, ctx: RenderContext) -> list[Artifact]:
        raise NotImplementedError

    def finish(self, site: Site, ctx: RenderContext) -> list[Artifact]:
        """Outputs that depend on everything else: static assets, sitemaps."""
        return []

    def render_component(self, component: Component, ctx: RenderContext) -> str:
        """HTML for a component (a product card, a callout, a site's own) where it stands in
        a body this channel renders as HTML (`ctx.html`).

        The default draws it with the first template of `components/<name>.<channel>.html`
        and `components/<name>.html` (the site's, then the channel's own), and otherwise
        shows its text: a channel without templates for a component still says what it
        is. Override it to draw components from their data (`component.data`) in code."""
        return ctx.component_html(component)

    # --- reading outputs back (audits, `omnipub check`) ----------------------------------------

    def fact_reader(self, plan: Plan, read: ReadOutput) -> FactReader | None:
        """How the consistency audit reads back the facts this channel published about an
        item; None for a channel that states no facts. Called once per audit, so a reader
        may parse shared files (a playlist) once for every item."""
        return None

    def links_in(self, path: str, data: bytes) -> Iterable[tuple[str, str]]:
        """(URL, what it is) of every reference in a non-HTML output, for `check --links`
        (HTML pages are read by the core)."""
        return ()

    def tombstones_in(self, path: str, data: bytes) -> tuple[str, ...]:
        """Ids of unpublished items an output names on purpose (delta-sync removals), which
        the leak check allows there; see `Artifact.tombstones`."""
        return ()

    def previews(self, item_id: str, lang: str, routes: Sequence[Route]) -> list[Preview]:
        """What the preview board shows of one item here; `routes` are this channel's.

        By default the item's own outputs in that language at `preview_size`; a channel whose
        outputs are made for several devices (screens of different shapes) says so here."""
        width, height = self.preview_size
        return [
            Preview(self.name, route.url, width, height)
            for route in routes
            if route.item_id == item_id
            and route.lang == lang
            and self.output(route.output).kind == "item"
        ]
