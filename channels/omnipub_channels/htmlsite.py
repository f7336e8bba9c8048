"""What the web and mobile channels share: an HTML site with items, listings and feeds.

Both are plain `omnipub.channel.Channel` subclasses; this base only plans the common routes
(item pages, home, section and tag listings with pagination, Atom feeds, aliases, 404,
sitemap, robots.txt) and offers the template context. Each subclass names its templates
and its own page size, image widths and stylesheet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import lxml.html

from omnipub.channel import Artifact, Channel, FactReader, OutputSpec, ReadOutput, Route, Stated
from omnipub.context import RenderContext
from omnipub.diagnostics import Diagnostics
from omnipub.items import Item, ItemView
from omnipub.links import source_link
from omnipub.markdown import highlight_css
from omnipub.model import Site
from omnipub.paths import path_for_url_path, quote_path
from omnipub.resolve import Plan
from omnipub.schema import AVAILABILITY_LABELS
from omnipub.taxonomy import tag_slug
from omnipub.templates import translate

FEED_SIZE = 20
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: The web channel's rendition widths; structured data names the largest on every channel.
WEB_IMAGE_WIDTHS = (480, 800, 1200)
RELATED_COUNT = 3

SCHEMA_AVAILABILITY = {
    "in_stock": "https://schema.org/InStock",
    "out_of_stock": "https://schema.org/OutOfStock",
    "preorder": "https://schema.org/PreOrder",
    "backorder": "https://schema.org/BackOrder",
    "discontinued": "https://schema.org/Discontinued",
}


def html_outputs(prefix: str) -> tuple[OutputSpec, ...]:
    """The outputs of an HTML site channel; template names carry no channel prefix."""
    return (
        OutputSpec("item", "text/html", "item", ("{type}.html", "item.html")),
        OutputSpec("home", "text/html", "collection", ("home.html",)),
        OutputSpec("section", "text/html", "collection", ("section.html", "list.html")),
        OutputSpec("tag", "text/html", "collection", ("tag.html", "list.html")),
        OutputSpec("tags", "text/html", "collection", ("tags.html",)),
        OutputSpec("feed", "application/atom+xml", "collection", ("atom.xml",)),
        OutputSpec("alias", "text/html", "collection", ("alias.html",)),
        OutputSpec("404", "text/html", "collection", ("404.html",)),
    )


@dataclass(frozen=True)
class Page:
    number: int
    count: int
    items: list[ItemView]
    prev_url: str | None
    next_url: str | None


class HtmlSiteChannel(Channel):
    """A browsable HTML site. Subclasses set `name`, `package_dir` and the numbers below."""

    markdown = "html"
    image_widths: ClassVar[tuple[int, ...]] = WEB_IMAGE_WIDTHS
    image_sizes: ClassVar[str] = "(max-width: 760px) 100vw, 704px"
    feeds: ClassVar[bool] = True
    config_keys = frozenset({"feeds", "related", "headers"})

    def configure(self, raw: Mapping[str, Any], diagnostics: Diagnostics) -> None:
        self.css = self.stylesheet()
        self.css_path = f"assets/style-{hashlib.sha256(self.css.encode()).hexdigest()[:10]}.css"
        self.feeds_enabled = bool(raw.get("feeds", self.feeds))
        self.related_count = int(raw.get("related", RELATED_COUNT))

    def stylesheet(self) -> str:
        assert self.package_dir is not None
        own = (self.package_dir / "assets" / "style.css").read_text(encoding="utf-8")
        return own + "\n" + highlight_css()

    # --- URLs -------------------------------------------------------------------------------

    def url(self, url_path: str) -> str:
        return self.config.base_url + quote_path(url_path.lstrip("/"))

    def item_url_path(self, view: ItemView) -> str:
        return f"{self.language_prefix(view.lang)}{view.path}/"

    def _route(self, output: str, url_path: str, lang: str, **params: Any) -> Route:
        item_id = params.pop("item_id", None)
        source = params.pop("source", None)
        return Route(
            channel=self.name,
            output=output,
            path=path_for_url_path(url_path),
            url=self.url(url_path),
            lang=lang,
            item_id=item_id,
            params=tuple(sorted(params.items())),
            source=source,
        )

    # --- planning ---------------------------------------------------------------------------

    def plan(self, site: Site, items: list[ItemView]) -> Iterable[Route]:
        size = self.config.page_size
        for lang in site.languages:
            prefix = self.language_prefix(lang)
            in_lang = [v for v in items if v.lang == lang]
            yield self._route("home", prefix, lang)
            yield self._route("404", f"{prefix}404.html", lang)
            if self.feeds_enabled:
                yield self._route("feed", f"{prefix}feed.xml", lang)
            for view in in_lang:
                yield self._route(
                    "item", self.item_url_path(view), lang, item_id=view.id, source=view.rel
                )
                for alias in view.fields.get("aliases") or ():
                    yield self._route("alias", alias, lang, target=view.id, source=view.rel)
            per_section = Counter(v.section for v in in_lang)
            per_tag = Counter(t for v in in_lang for t in set(v.tags))
            in_tree = site.subtree_counts(per_section)
            for section in site.section_names():
                if not in_tree.get(section):
                    continue
                pages = max(1, math.ceil(per_section[section] / size))
                for n in range(1, pages + 1):
                    tail = f"page/{n}/" if n > 1 else ""
                    yield self._route(
                        "section",
                        f"{prefix}{section}/{tail}",
                        lang,
                        section=section,
                        page=n,
                        pages=pages,
                    )
                if self.feeds_enabled:
                    yield self._route("feed", f"{prefix}{section}/feed.xml", lang, section=section)
                page = site.sections.get((section, lang))
                for alias in page.aliases if page else ():
                    source = page.document.rel if page and page.document else None
                    yield self._route("alias", alias, lang, section=section, source=source)
            tags = sorted(per_tag)
            if tags:
                yield self._route("tags", f"{prefix}tags/", lang)
            for tag in tags:
                pages = max(1, math.ceil(per_tag[tag] / size))
                for n in range(1, pages + 1):
                    tail = f"page/{n}/" if n > 1 else ""
                    yield self._route(
                        "tag",
                        f"{prefix}tags/{tag_slug(tag)}/{tail}",
                        lang,
                        tag=tag,
                        page=n,
                        pages=pages,
                    )

    def listing(self, route: Route) -> str | None:
        """The home page and each section's first page are where links to `_index.md` lead."""
        if route.output == "home":
            return ""
        if route.output == "section" and route.param("page") == 1:
            return str(route.param("section"))
        return None

    # --- rendering --------------------------------------------------------------------------

    def render(self, route: Route, ctx: RenderContext) -> list[Artifact]:
        spec = self.output(route.output)
        handler = getattr(self, f"context_{route.output.replace('404', 'not_found')}")
        values = {**self.common(route, ctx), **handler(route, ctx)}
        names = values.pop("templates", spec.templates)
        text = ctx.template(names, route.source or route.path, **values)
        return [Artifact(route.path, spec.media_type, text.encode("utf-8"))]

    def common(self, route: Route, ctx: RenderContext) -> dict[str, Any]:
        lang = route.lang
        site = ctx.site
        language = site.config.languages[lang]
        sections = ctx.memo(
            ("nav", lang),
            lambda: [
                {
                    "name": s,
                    "title": site.section_page(s, lang).title,
                    "url": ctx.url_for_path(f"{self.language_prefix(lang)}{s}/"),
                }
                for s in sorted(
                    {r.param("section") for r in ctx.routes("section", lang)},
                    key=lambda s: (site.section_page(s, lang).weight, s),
                )
                if "/" not in s
            ],
        )
        here = route.param("section")
        if route.output == "item" and route.item_id is not None:
            shown = ctx.item(route.item_id, lang)
            here = shown.section if shown is not None else None
        pages = self.pages(ctx, lang)
        return {
            "route": route,
            "lang": lang,
            "locale": language.locale,
            "pages": pages,
            "menu_pages": [p for p in pages if p["menu"]],
            "channel": self.name,
            "css_url": ctx.url_for_path(self.css_path),
            "css": self.css,
            "home_url": ctx.url_for_path(self.language_prefix(lang)),
            "feed_url": ctx.url_for_path(f"{self.language_prefix(lang)}feed.xml")
            if self.feeds_enabled
            else None,
            "sections": sections,
            #: the top-level section the page is in, which the navigation marks
            "nav_section": here.split("/")[0] if here else None,
            "breadcrumbs": [],
            "languages": self.language_links(route, ctx),
            "availability_labels": AVAILABILITY_LABELS,
            "page_url": route.url,
            "alternate": None,
            "canonical": route.url,
            "tag_url": lambda tag: self.tag_url(tag, lang, ctx),
        }

    def tag_url(self, tag: str, lang: str, ctx: RenderContext) -> str:
        """The listing of one tag: addressed by its slug, never by its spelling."""
        return ctx.url_for_path(f"{self.language_prefix(lang)}tags/{tag_slug(tag)}/")

    def pages(self, ctx: RenderContext, lang: str) -> list[dict[str, Any]]:
        """The pages outside sections (About, Contact, Privacy) for the footer, and the header
        where they ask (`menu: true`), by weight and title: in `lang`, or the default
        language's where a page has no translation."""

        def find() -> list[dict[str, Any]]:
            default = ctx.site.config.default_language
            found: dict[str, ItemView] = {}
            for want in dict.fromkeys((lang, default)):
                for v in ctx.items(want):
                    if v.section is None and v.type == "page":
                        found.setdefault(v.id, v)
            ordered = sorted(found.values(), key=lambda v: (v.weight, v.title.lower()))
            return [
                {
                    "title": v.title,
                    "url": ctx.url_for(v, absolute=False),
                    "menu": bool(v.fields.get("menu")),
                    "id": v.id,
                }
                for v in ordered
            ]

        return ctx.memo(("pages", lang), find)

    def language_links(self, route: Route, ctx: RenderContext) -> list[dict[str, Any]]:
        """Where this page lives in each language (the same item, or the same listing).

        A listing has as many pages in a language as it has items there: page 3 of the
        English products has no Norwegian twin, so the switcher leads to the first page of
        the Norwegian listing; a page with no twin at all (an item or a tag in one language
        only) leads to that language's home page. Only true twins are `exact` (named by
        hreflang)."""
        links = []
        for lang in ctx.site.languages:
            exact = True
            if route.item_id is not None and route.output == "item":
                url = ctx.url_for((route.item_id, lang))
            else:
                pages = self.listing_pages(ctx, route.output, lang).get(_listing_key(route), {})
                url = pages.get(route.param("page", 1))
                if url is None and pages:
                    url, exact = pages[min(pages)], False
            if url is None:
                homes = ctx.routes("home", lang)
                url, exact = (homes[0].url if homes else None), False
            if url:
                language = ctx.site.config.languages[lang]
                links.append(
                    {
                        "lang": lang,
                        "name": language.name,
                        "url": url,
                        "current": lang == route.lang,
                        "exact": exact,
                    }
                )
        return links if len(links) > 1 else []

    def listing_pages(
        self, ctx: RenderContext, output: str, lang: str
    ) -> dict[tuple[Any, ...], dict[int, str]]:
        """(the listing's parameters but its page numbers) -> page number -> URL."""

        def group() -> dict[tuple[Any, ...], dict[int, str]]:
            found: dict[tuple[Any, ...], dict[int, str]] = {}
            for r in ctx.routes(output, lang):
                found.setdefault(_listing_key(r), {})[r.param("page", 1)] = r.url
            return found

        return ctx.memo(("listing-pages", output, lang), group)

    def members(self, ctx: RenderContext, lang: str, section: str | None) -> list[ItemView]:
        """Items of one section in one language, newest first (computed once per build)."""

        def by_section() -> dict[str | None, list[ItemView]]:
            grouped: dict[str | None, list[ItemView]] = {}
            for v in ctx.items(lang):
                grouped.setdefault(v.section, []).append(v)
            return grouped

        return ctx.memo(("sections", lang), by_section).get(section, [])

    def in_section(self, ctx: RenderContext, lang: str, section: str) -> list[ItemView]:
        """Items of a section and of the sections inside it, newest first (a section's feed
        carries its whole subtree)."""
        return ctx.memo(("subtree", lang), lambda: by_subtree(ctx, lang)).get(section, [])

    def tagged(self, ctx: RenderContext, lang: str) -> dict[str, list[ItemView]]:
        def by_tag() -> dict[str, list[ItemView]]:
            grouped: dict[str, list[ItemView]] = {}
            for v in ctx.items(lang):
                for tag in v.tags:
                    grouped.setdefault(tag, []).append(v)
            return grouped

        return ctx.memo(("tags", lang), by_tag)

    def neighbours(self, view: ItemView, ctx: RenderContext) -> tuple[ItemView | None, ...]:
        same = self.members(ctx, view.lang, view.section)
        positions = ctx.memo(
            ("positions", view.lang, view.section), lambda: {v.id: i for i, v in enumerate(same)}
        )
        index = positions[view.id]
        newer = same[index - 1] if index > 0 else None
        older = same[index + 1] if index + 1 < len(same) else None
        return newer, older

    def related(self, view: ItemView, ctx: RenderContext) -> list[ItemView]:
        """The items sharing most tags with this one, newest first among equals.

        A tag can hold thousands of items and every item page asks, so the work is done on
        positions in the newest-first list: shared tags are counted by `Counter` and each
        count's candidates ranked by `heapq` on plain integers."""
        tags = set(view.tags)
        if not tags:
            return []
        lang = view.lang
        everything = ctx.items(lang)
        order = ctx.memo(("order", lang), lambda: {v.id: i for i, v in enumerate(everything)})
        positions = ctx.memo(
            ("tag-positions", lang),
            lambda: {
                tag: [order[v.id] for v in views] for tag, views in self.tagged(ctx, lang).items()
            },
        )
        shared: Counter[int] = Counter()
        for tag in tags:
            shared.update(positions.get(tag, ()))
        shared.pop(order[view.id], None)
        want = self.related_count
        best: list[int] = []
        for count in range(max(shared.values(), default=0), 0, -1):
            if len(best) >= want:
                break
            bucket = [p for p, n in shared.items() if n == count]
            best.extend(heapq.nsmallest(want - len(best), bucket))
        return [everything[p] for p in best]

    def promotions_for(self, view: ItemView, ctx: RenderContext) -> list[ItemView]:
        """Visible promotions that name this product."""

        def index() -> dict[str, list[ItemView]]:
            found: dict[str, list[ItemView]] = {}
            for other in ctx.items(view.lang):
                if other.type == "promotion":
                    for linked in linked_items(other, ctx):
                        found.setdefault(linked.id, []).append(other)
            return found

        return ctx.memo(("promotions", view.lang), index).get(view.id, [])

    def context_item(self, route: Route, ctx: RenderContext) -> dict[str, Any]:
        view = ctx.item(route.item_id or "", route.lang)
        assert view is not None
        ctx.publish_resources(view)
        newer, older = self.neighbours(view, ctx)
        products = linked_items(view, ctx) if view.type == "promotion" else []
        return {
            "item": view,
            "heading": self.heading(view, ctx),
            "templates": (f"{view.type}.html", "item.html"),
            "body": ctx.html(view, widths=self.image_widths, sizes=self.image_sizes),
            "image": ctx.item_image(view, self.image_widths, self.image_sizes),
            "toc": [h for h in view.headings if h.level in (2, 3)],
            "newer": newer,
            "older": older,
            "related": self.related(view, ctx),
            "products": products,
            "promotions": self.promotions_for(view, ctx) if view.type == "product" else [],
            "stockists": stockists(view, ctx),
            "structured_data": self.structured_data(view, route, ctx),
            "breadcrumbs": self.breadcrumbs(route, ctx, view.section),
        }

    def section_url(self, ctx: RenderContext, lang: str, section: str) -> str:
        return ctx.url_for_path(f"{self.language_prefix(lang)}{section}/")

    def breadcrumbs(
        self, route: Route, ctx: RenderContext, section: str | None
    ) -> list[dict[str, Any]]:
        """Home, then each section enclosing the page, outermost first (the page itself
        is not one: the template shows its heading). Empty for a page outside sections."""
        chain = ctx.site.section_chain(section)
        if route.output == "section":
            chain = chain[:-1]
        if not chain and route.output != "section":
            return []
        lang = route.lang
        home = ctx.site.home.get(lang) or ctx.site.home.get(ctx.site.config.default_language)
        crumbs = [
            {
                "title": home.title if home and home.title else ctx.site.config.title,
                "url": ctx.url_for_path(self.language_prefix(lang)),
            }
        ]
        crumbs += [
            {
                "title": ctx.site.section_page(name, lang).title,
                "url": self.section_url(ctx, lang, name),
            }
            for name in chain
        ]
        return crumbs

    def heading(self, view: ItemView, ctx: RenderContext) -> str:
        """The page's <title> and <h1> text."""
        return view.title

    def _paged(self, route: Route, ctx: RenderContext, members: list[ItemView]) -> Page:
        n, pages = route.param("page", 1), route.param("pages", 1)
        size = self.config.page_size
        chunk = members[(n - 1) * size : n * size]

        def pages_of() -> dict[tuple[Any, Any], dict[int, str]]:
            grouped: dict[tuple[Any, Any], dict[int, str]] = {}
            for r in ctx.routes(route.output, route.lang):
                grouped.setdefault((r.param("section"), r.param("tag")), {})[r.param("page")] = (
                    r.url
                )
            return grouped

        siblings = ctx.memo(("pages", route.output, route.lang), pages_of)[
            (route.param("section"), route.param("tag"))
        ]
        return Page(n, pages, chunk, siblings.get(n - 1), siblings.get(n + 1))

    def summaries(self, views: list[ItemView], ctx: RenderContext) -> list[dict[str, Any]]:
        return [
            {
                "item": v,
                "url": ctx.url_for(v, absolute=False),
                "image": ctx.item_image(
                    v, self.image_widths[:2], "(max-width: 600px) 100vw, 400px"
                ),
            }
            for v in views
        ]

    def context_section(self, route: Route, ctx: RenderContext) -> dict[str, Any]:
        section = route.param("section")
        page = self._paged(route, ctx, self.members(ctx, route.lang, section))
        info = ctx.site.section_page(section, route.lang)
        body = ""
        if info.document is not None and page.number == 1:
            body = ctx.html_of_document(info.document, route.lang)
        listed = {r.param("section") for r in ctx.routes("section", route.lang)}
        subsections = [
            {
                "title": ctx.site.section_page(name, route.lang).title,
                "summary": ctx.site.section_page(name, route.lang).summary,
                "url": self.section_url(ctx, route.lang, name),
            }
            for name in sorted(
                ctx.site.subsections(section),
                key=lambda name: (ctx.site.section_page(name, route.lang).weight, name),
            )
            if name in listed
        ]
        return {
            "title": info.title,
            "summary": info.summary,
            "body": body,
            "page": page,
            "subsections": subsections if page.number == 1 else [],
            "breadcrumbs": self.breadcrumbs(route, ctx, section),
            "entries": self.summaries(page.items, ctx),
            "feed_url_section": ctx.url_for_path(
                f"{self.language_prefix(route.lang)}{section}/feed.xml"
            )
            if self.feeds_enabled
            else None,
        }

    def context_tag(self, route: Route, ctx: RenderContext) -> dict[str, Any]:
        tag = route.param("tag")
        page = self._paged(route, ctx, self.tagged(ctx, route.lang).get(tag, []))
        title = translate(ctx.env, "Tagged “{tag}”", route.lang, tag=tag)
        return {
            "title": title,
            "summary": "",
            "body": "",
            "page": page,
            "tag": tag,
            "entries": self.summaries(page.items, ctx),
        }

    def context_tags(self, route: Route, ctx: RenderContext) -> dict[str, Any]:
        counts = {tag: len(views) for tag, views in self.tagged(ctx, route.lang).items()}
        tags = [
            {
                "name": tag,
                "count": counts[tag],
                "url": self.tag_url(tag, route.lang, ctx),
            }
            for tag in sorted(counts)
        ]
        return {"tags": tags}

    def context_home(self, route: Route, ctx: RenderContext) -> dict[str, Any]:
        home = ctx.site.home.get(route.lang) or ctx.site.home.get(ctx.site.config.default_language)
        body = ""
        if home is not None and home.document is not None:
            body = ctx.html_of_document(home.document, route.lang)
        everything = ctx.items(route.lang)
        today = ctx.today
        offers = [
            v
            for v in everything
            if v.type == "promotion" and v.fields["valid_from"].date() <= today
        ]
        coming = sorted(
            (v for v in everything if v.type == "event" and v.fields["end"].date() >= today),
            key=lambda v: v.fields["start"],
        )
        leading = {v.id for v in offers[:3]} | {v.id for v in coming[:3]}
        latest = [v for v in everything if v.type != "page" and v.id not in leading]
        return {
            "title": home.title if home and home.title else ctx.site.config.title,
            "summary": home.summary if home else ctx.site.config.description,
            "body": body,
            "offers": self.summaries(offers[:3], ctx),
            "events": self.summaries(coming[:3], ctx),
            "entries": self.summaries(latest[: self.config.page_size], ctx),
        }

    def context_alias(self, route: Route, ctx: RenderContext) -> dict[str, Any]:
        section = route.param("section")
        if section is not None:  # an alias of a section's _index.md
            url = self.url(f"{self.language_prefix(route.lang)}{section}/")
            title = ctx.site.section_page(section, route.lang).title
            return {"item": {"title": title}, "target_url": url, "canonical": url}
        target = ctx.item(route.param("target"), route.lang)
        assert target is not None
        return {"item": target, "target_url": ctx.url_for(target), "canonical": ctx.url_for(target)}

    def context_not_found(self, route: Route, ctx: RenderContext) -> dict[str, Any]:
        return {"title": translate(ctx.env, "Page not found", route.lang)}

    def context_feed(self, route: Route, ctx: RenderContext) -> dict[str, Any]:
        section = route.param("section")
        members = (
            ctx.items(route.lang) if section is None else self.in_section(ctx, route.lang, section)
        )
        # undated items (about, privacy) are not news, and dating them by the build instant
        # would change the feed on every build; they sort last (the order is the site's shape)
        members = [v for v in members[:FEED_SIZE] if v.item.date is not None]
        entries = [
            {"item": v, "url": ctx.url_for(v), "html": ctx.html(v), "updated": v.updated}
            for v in members
        ]
        stamps = (u for v in members if (u := v.updated) is not None)
        # an empty feed is as old as the newest dated item of its language: the build
        # instant would change it, and every deploy would list it, on every build
        updated = max(stamps, default=None) or self.newest(ctx, route.lang)
        title = ctx.site.config.title
        if section:
            title = f"{title}: {ctx.site.section_page(section, route.lang).title}"
        home = ctx.url_for_path(self.language_prefix(route.lang), absolute=True)
        listing = ctx.url_for_path(
            f"{self.language_prefix(route.lang)}{section}/"
            if section
            else self.language_prefix(route.lang),
            absolute=True,
        )
        return {
            "title": title,
            "entries": entries,
            "updated": updated,
            "home": home,
            "listing_url": listing,
        }

    def newest(self, ctx: RenderContext, lang: str) -> dt.datetime:
        """When the newest dated item of `lang` was last updated (the epoch if none is)."""

        def find() -> dt.datetime:
            stamps = [u for v in ctx.items(lang) if v.item.date is not None and (u := v.updated)]
            return max(stamps, default=EPOCH)

        return ctx.memo(("newest", lang), find)

    # --- structured data ----------------------------------------------------------------------

    def structured_data(self, view: ItemView, route: Route, ctx: RenderContext) -> dict[str, Any]:
        """schema.org JSON-LD; facts only, so every channel can state the same."""
        return structured_data(view, route.url, ctx, self)

    # --- reading outputs back -----------------------------------------------------------------

    def fact_reader(self, plan: Plan, read: ReadOutput) -> FactReader:
        """The facts an item page's JSON-LD states, and its title and H1 (which every HTML
        site's page of an item shares, so a web/mobile pair never disagrees)."""

        def stated(item: Item) -> Iterable[Stated]:
            route = plan.item_routes.get((self.name, item.id, item.lang))
            if route is None:
                return
            page = lxml.html.fromstring(read(route.path))
            facts: dict[str, str] = {}
            for script in page.findall(".//script[@type='application/ld+json']"):
                data = json.loads(script.text or "")
                offer = data.get("offers") or {}
                for key, value in (
                    ("price", offer.get("price")),
                    ("currency", offer.get("priceCurrency")),
                    ("availability", str(offer.get("availability", "")).rsplit("/", 1)[-1]),
                    ("start", data.get("startDate")),
                    ("end", data.get("endDate")),
                ):
                    if value:
                        facts[key] = str(value)
            shown = {what: page.findtext(f".//{what}") or "" for what in ("title", "h1")}
            yield Stated(self.name, facts, shown)

        return stated

    # --- finishing ----------------------------------------------------------------------------

    def finish(self, site: Site, ctx: RenderContext) -> list[Artifact]:
        artifacts = [Artifact(self.css_path, "text/css", self.css.encode("utf-8"))]
        artifacts.extend(ctx.static_files())
        return artifacts


def structured_data(
    view: ItemView, url: str, ctx: RenderContext, channel: HtmlSiteChannel
) -> dict[str, Any]:
    """schema.org JSON-LD for an item page, stated once for web and mobile alike: the name,
    URL and image are the web page's where the item has one, so a web/mobile pair carries
    identical structured data."""
    web = ctx.url_for(view, "web")
    if web is not None and ctx.name != "web":
        view, url = view.item.view("web"), web
    f = view.fields
    image_field = f.get("image")
    image_url = None
    if image_field:
        shown_in = "web" if "web" in ctx.plan.base_urls else ctx.name
        image_url = ctx.image_url_in(shown_in, view.rel, str(image_field), WEB_IMAGE_WIDTHS)
    images = [image_url] if image_url else []
    data: dict[str, Any] = {"@context": "https://schema.org", "name": view.title, "url": url}
    if view.summary:
        data["description"] = view.summary
    if images:
        data["image"] = images
    if view.type == "product":
        valid = [
            p.fields["valid_until"]
            for p in channel.promotions_for(view, ctx)
            if p.fields.get("valid_until")
        ]
        until = min(valid).date().isoformat() if valid else f"{ctx.year + 1}-12-31"
        data.update(
            {
                "@type": "Product",
                "sku": f["sku"],
                "offers": {
                    "@type": "Offer",
                    "price": f"{f['price']:.2f}",
                    "priceCurrency": f["currency"],
                    "availability": SCHEMA_AVAILABILITY[f["availability"]],
                    "priceValidUntil": until,
                    "url": url,
                },
            }
        )
        if f.get("brand"):
            data["brand"] = {"@type": "Brand", "name": f["brand"]}
        if f.get("gtin"):
            data["gtin"] = f["gtin"]
    elif view.type == "event":
        data.update(
            {
                "@type": "Event",
                "startDate": f["start"].isoformat(timespec="seconds"),
                "endDate": f["end"].isoformat(timespec="seconds"),
                "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
                "eventStatus": "https://schema.org/EventScheduled",
                "location": {
                    "@type": "Place",
                    "name": f.get("location") or f["store"],
                    "identifier": f["store"],
                },
            }
        )
    elif view.type == "promotion":
        data.update(
            {
                "@type": "SaleEvent",
                "startDate": f["valid_from"].isoformat(timespec="seconds"),
                "endDate": f["valid_until"].isoformat(timespec="seconds"),
                "eventAttendanceMode": "https://schema.org/MixedEventAttendanceMode",
                "location": {"@type": "VirtualLocation", "url": url},
            }
        )
    elif view.type == "article":
        data["@type"] = "Article"
        data["headline"] = view.title
        if view.date:
            data["datePublished"] = view.date.isoformat(timespec="seconds")
        if view.updated:
            data["dateModified"] = view.updated.isoformat(timespec="seconds")
        author = f.get("author") or ctx.site.config.author
        if author:
            data["author"] = {
                "@type": "Person" if f.get("author") else "Organization",
                "name": author,
            }
    else:
        data["@type"] = "WebPage"
    data["inLanguage"] = view.lang
    return data


def _listing_key(route: Route) -> tuple[Any, ...]:
    return tuple(p for p in route.params if p[0] not in ("page", "pages"))


def linked_items(view: ItemView, ctx: RenderContext) -> list[ItemView]:
    """The visible items a promotion's `products` field names, in the view's language."""
    found = []
    for target in view.fields.get("products") or []:
        link = source_link(view.rel, target)
        linked = ctx.site.by_rel.get(link.target_rel) if link else None
        if linked is not None and linked.visible:
            shown = ctx.item(linked.id, view.lang) or ctx.item(linked.id, linked.lang)
            if shown is not None and shown.item.visible:
                found.append(shown)
    return found


def stockists(view: ItemView, ctx: RenderContext) -> list[dict[str, str]]:
    """The stores that stock a product (its `stocked_at`), each with where it leads: its
    page in this channel (in the view's language when translated), else its `url`."""
    found = []
    for store_id in view.fields.get("stocked_at") or []:
        store = ctx.site.config.stores[store_id]
        url = store.url
        page = ctx.site.by_rel.get(f"content/{store.page}") if store.page else None
        if page is not None:
            url = (
                ctx.url_for(page, lang=view.lang, absolute=False)
                or ctx.url_for(page, absolute=False)
                or url
            )
        found.append({"id": store.id, "name": store.name, "address": store.address, "url": url})
    return found


def by_subtree(ctx: RenderContext, lang: str) -> dict[str, list[ItemView]]:
    """Section -> the items of its subtree, in the channel's order (newest first)."""
    grouped: dict[str, list[ItemView]] = {}
    for view in ctx.items(lang):
        for name in ctx.site.section_chain(view.section):
            grouped.setdefault(name, []).append(view)
    return grouped


def package_dir(module_file: str) -> Path:
    return Path(module_file).resolve().parent
