"""The app channel: a static content API that native apps read from a CDN.

- JSON Feed 1.1 feeds (all items, per section, per tag; per language), paginated with
  `next_url`, carrying summaries (a feed named in `full_text` carries bodies);
- one JSON document per item and language: every published field typed (references by id
  and URL, money as decimal strings), sanitized HTML and a block list for native rendering
  with absolute URLs, links to other items by id (see `documents.py`);
- `manifest.json` (every item's path, content hash and modification date, and a build id)
  and `changes/<previous build id>.json` for delta sync, from the history kept in
  `omnipub.lock`;
- JSON Schemas for all of it under `schema/`.

Every document is produced by the JSON serializer, keys sorted, so the same content gives
the same bytes and the same build id.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from omnipub.channel import Artifact, Channel, FactReader, OutputSpec, ReadOutput, Route, Stated
from omnipub.components import ComponentSpec
from omnipub.context import RenderContext
from omnipub.diagnostics import Diagnostics, Location
from omnipub.items import Item, ItemView
from omnipub.model import Site
from omnipub.render import RecordedOutputs
from omnipub.resolve import Plan
from omnipub.taxonomy import tag_slug

from ..web import WebChannel
from .documents import (
    IMAGE_WIDTHS,
    extension_fields,
    fields_of,
    jsonable,
    links_of,
    media,
    summary_of,
)

SCHEMA_VERSION = 2
JSONFEED = "https://jsonfeed.org/version/1.1"
HERE = Path(__file__).resolve().parent
#: fact (as the consistency audit names it) -> the item document field that states it
FACT_NAMES = {"price": "price", "currency": "currency", "availability": "availability"}
WINDOW_NAMES = {
    "event": {"start": "start", "end": "end"},
    "promotion": {"start": "valid_from", "end": "valid_until"},
}
#: the feeds' own names in `[channels.app] full_text`: "all", "sections/<name>", "tags/<tag>"
ALL_FEED = "all"


def dumps(data: Any) -> bytes:
    """Compact JSON, as APIs serve it (and json's C encoder only runs without indent)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode()


class AppChannel(Channel):
    name = "app"
    version = "1"
    package_dir = HERE
    #: `content_html` draws components as the web does (sanitized: no script, no embed)
    template_fallbacks = ((WebChannel.package_dir or HERE) / "templates",)
    markdown = "blocks"
    default_types = None
    config_keys = frozenset({"history", "full_text"})
    #: an item document, read as text in a panel about as wide as a phone's
    preview_size = (480, 800)
    #: a client reads the manifest first, then the change file for its build
    entry_points = ("manifest.json", "changes/*.json")
    outputs = (
        OutputSpec("item", "application/json", "item"),
        OutputSpec("feed", "application/feed+json"),
        OutputSpec("manifest", "application/json", "asset"),
        OutputSpec("changes", "application/json", "asset"),
        OutputSpec("schema", "application/schema+json", "asset"),
    )

    def configure(self, raw: Mapping[str, Any], diagnostics: Diagnostics) -> None:
        history = raw.get("history", 20)
        if not isinstance(history, int) or isinstance(history, bool) or history < 1:
            diagnostics.error(
                "config.value",
                "channels.app.history must be a whole number of builds above 0",
                Location("omnipub.toml"),
            )
            history = 20
        self.history = history
        self.full_text = self._full_text(raw.get("full_text", False), diagnostics)
        if "page_size" not in raw:
            self.config.page_size = 20

    def _full_text(self, value: Any, diagnostics: Diagnostics) -> bool | frozenset[str]:
        """Which feeds carry each item's whole body: true for all, or a list of feed names
        ("all", "sections/<name>", "tags/<tag>"); the rest carry summaries."""
        if isinstance(value, bool):
            return value
        sections = set(self.site_config.sections)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            wrong = [
                v
                for v in value
                if not (
                    v == ALL_FEED
                    or (v.startswith("sections/") and v[len("sections/") :] in sections)
                    or (v.startswith("tags/") and len(v) > len("tags/"))
                )
            ]
            if not wrong:
                return frozenset(value)
            problem = f"channels.app.full_text names no feed: {', '.join(map(repr, wrong))}"
        else:
            problem = "channels.app.full_text must be true, false or a list of feed names"
        diagnostics.error(
            "config.value",
            problem,
            Location("omnipub.toml"),
            hint='write true, or a list such as ["all", "sections/articles", "tags/recipes"]'
            + (f" (sections: {', '.join(sorted(sections))})" if sections else ""),
        )
        return False

    def feed_name(self, section: str | None, tag: str | None) -> str:
        return f"sections/{section}" if section else f"tags/{tag}" if tag else ALL_FEED

    def is_full_text(self, section: str | None, tag: str | None) -> bool:
        if isinstance(self.full_text, bool):
            return self.full_text
        return self.feed_name(section, tag) in self.full_text

    # --- paths --------------------------------------------------------------------------------

    def prefix(self, lang: str) -> str:
        return self.language_prefix(lang).lstrip("/")

    def item_path(self, item_id: str, lang: str) -> str:
        default = lang == self.site_config.default_language
        return f"items/{item_id}.json" if default else f"items/{lang}/{item_id}.json"

    def _route(self, output: str, path: str, lang: str, **params: Any) -> Route:
        item_id = params.pop("item_id", None)
        source = params.pop("source", None)
        return Route(
            self.name,
            output,
            path,
            self.config.base_url + path,
            lang,
            item_id,
            tuple(sorted(params.items())),
            source,
        )

    def feed_path(self, lang: str, scope: str, page: int) -> str:
        tail = "feed.json" if page == 1 else f"feed-{page}.json"
        return f"{self.prefix(lang)}{scope}{tail}"

    # --- planning -------------------------------------------------------------------------------

    def plan(self, site: Site, items: list[ItemView]) -> Iterable[Route]:
        size = self.config.page_size
        for lang in site.languages:
            in_lang = [v for v in items if v.lang == lang]
            for view in in_lang:
                yield self._route(
                    "item", self.item_path(view.id, lang), lang, item_id=view.id, source=view.rel
                )
            scopes: list[tuple[str, str | None, str | None, int]] = [("", None, None, len(in_lang))]
            per_section = site.subtree_counts(Counter(v.section for v in in_lang))
            per_tag = Counter(t for v in in_lang for t in set(v.tags))
            for name in sorted(n for n, count in per_section.items() if count):
                scopes.append((f"sections/{name}/", name, None, per_section[name]))
            for name in sorted(per_tag):
                scopes.append((f"tags/{tag_slug(name)}/", None, name, per_tag[name]))
            for scope, section, tag, count in scopes:
                pages = max(1, math.ceil(count / size))
                for n in range(1, pages + 1):
                    yield self._route(
                        "feed",
                        self.feed_path(lang, scope, n),
                        lang,
                        scope=scope,
                        section=section,
                        tag=tag,
                        page=n,
                        pages=pages,
                    )

    # --- rendering ------------------------------------------------------------------------------

    def render(self, route: Route, ctx: RenderContext) -> list[Artifact]:
        if route.output == "item":
            view = ctx.item(route.item_id or "", route.lang)
            assert view is not None
            data = self.item_document(view, ctx)
            return [Artifact(route.path, "application/json", dumps(data))]
        return [Artifact(route.path, "application/feed+json", dumps(self.feed(route, ctx)))]

    def listing(self, route: Route) -> str | None:
        """A section's feed (its first page) is its listing here; the feed of every item is
        the home page's."""
        if route.output != "feed" or route.param("tag") or route.param("page") != 1:
            return None
        return str(route.param("section") or "")

    def resource_dir(self, route: Route) -> str:
        """`items/ID/`: item documents share one folder, so each item's files get their own."""
        return route.path[: -len(".json")]

    def item_document(self, view: ItemView, ctx: RenderContext) -> dict[str, Any]:
        """The whole item: facts, references by id, media and body with absolute URLs."""
        item = view.item
        ctx.publish_resources(view)
        translations = {
            lang: self.item_path(item.id, lang)
            for lang in ctx.site.languages
            if ctx.url_for((item.id, lang)) is not None
        }
        urls = {
            name: url
            for name in sorted(ctx.site.config.enabled_channels)
            if (url := ctx.url_for(view, name)) is not None
        }
        canonical = ctx.site.config.canonical_channel
        return {
            "schema_version": SCHEMA_VERSION,
            "id": item.id,
            "lang": item.lang,
            "type": item.type,
            "section": item.section,
            "title": view.title,
            "summary": view.summary or None,
            "url": urls.get(canonical),
            "urls": urls,
            "date_published": jsonable(view.date),
            "date_modified": jsonable(view.updated),
            "tags": view.tags,
            "fields": fields_of(view, ctx),
            "image": media(ctx.item_image(view, IMAGE_WIDTHS, absolute=True)),
            "content_html": self.body(view, ctx),
            "blocks": ctx.blocks(view, IMAGE_WIDTHS, absolute=True),
            "links": links_of(view, ctx),
            "translations": translations,
        }

    # --- reading outputs back -----------------------------------------------------------------

    def fact_reader(self, plan: Plan, read: ReadOutput) -> FactReader:
        """The facts an item document's `fields` state (event times, a promotion's window)."""

        def stated(item: Item) -> Iterable[Stated]:
            route = plan.item_routes.get((self.name, item.id, item.lang))
            if route is None:
                return
            fields = json.loads(read(route.path))["fields"]
            names = dict(FACT_NAMES)
            names.update(WINDOW_NAMES.get(item.type, {}))
            facts = {
                fact: str(fields[name])
                for fact, name in names.items()
                if fields.get(name) is not None
            }
            yield Stated(self.name, facts)

        return stated

    def links_in(self, path: str, data: bytes) -> Iterable[tuple[str, str]]:
        if not path.endswith(".json"):
            return
        document = json.loads(data)
        if not isinstance(document, dict) or "translations" not in document:
            return  # only item documents link to other items
        for link in document.get("links", []):
            if link.get("url"):
                yield link["url"], f"link to item {link['id']}"
        for lang, target in document.get("translations", {}).items():
            yield self.config.base_url + target, f"translation {lang}"

    def tombstones_in(self, path: str, data: bytes) -> tuple[str, ...]:
        if not path.startswith("changes/"):
            return ()
        return tuple(row["id"] for row in json.loads(data).get("removed", []))

    def body(self, view: ItemView, ctx: RenderContext) -> str:
        return ctx.html(view, sanitized=True, widths=IMAGE_WIDTHS, sizes="100vw", absolute=True)

    def feed(self, route: Route, ctx: RenderContext) -> dict[str, Any]:
        section, tag, page = route.param("section"), route.param("tag"), route.param("page", 1)
        # a shared index: reading it depends on the site's shape, not on every item in it
        members = self.feed_members(ctx, route.lang).get((section, tag), [])
        size = self.config.page_size
        chunk = members[(page - 1) * size : page * size]
        title = ctx.site.config.title
        if section:
            title += f": {ctx.site.section_page(section, route.lang).title}"
        if tag:
            title += f": #{tag}"
        feed: dict[str, Any] = {
            "version": JSONFEED,
            "title": title,
            "home_page_url": self.home_page_url(ctx, route.lang),
            "feed_url": route.url,
            "language": ctx.site.config.languages[route.lang].code,
            "items": [self.feed_item(v, ctx, self.is_full_text(section, tag)) for v in chunk],
        }
        if ctx.site.config.description:
            feed["description"] = ctx.site.config.description
        if ctx.site.config.author:
            feed["authors"] = [{"name": ctx.site.config.author}]
        if page < route.param("pages", 1):
            feed["next_url"] = self.config.base_url + self.feed_path(
                route.lang, route.param("scope"), page + 1
            )
        return feed

    def home_page_url(self, ctx: RenderContext, lang: str) -> str:
        """The canonical channel's home page in `lang` (the feed's site, for readers)."""
        canonical = ctx.site.config.canonical_channel
        homes = ctx.memo(
            ("homes", canonical),
            lambda: {
                r.lang: r.url
                for r in ctx.plan.routes_by_channel.get(canonical, [])
                if r.output == "home"
            },
        )
        return str(homes.get(lang) or self.config.base_url)

    def feed_members(
        self, ctx: RenderContext, lang: str
    ) -> dict[tuple[str | None, str | None], list[ItemView]]:
        """(section, tag) -> items of that feed, newest first; all feeds in one pass."""

        def group() -> dict[tuple[str | None, str | None], list[ItemView]]:
            groups: dict[tuple[str | None, str | None], list[ItemView]] = {}
            for v in ctx.items(lang):
                groups.setdefault((None, None), []).append(v)
                for section in ctx.site.section_chain(v.section):  # a section's whole subtree
                    groups.setdefault((section, None), []).append(v)
                for tag in dict.fromkeys(v.tags):
                    groups.setdefault((None, tag), []).append(v)
            return groups

        return ctx.memo(("app-feeds", lang), group)

    def feed_item(self, view: ItemView, ctx: RenderContext, full: bool) -> dict[str, Any]:
        """A JSON Feed item: the summary as its text (or, in a full-text feed, the body);
        what JSON Feed has no field for is under `_omnipub`."""
        canonical = ctx.site.config.canonical_channel
        entry: dict[str, Any] = {
            "id": view.id,
            "url": ctx.url_for(view, canonical) or ctx.url_for(view, absolute=True),
            "title": view.title,
            "language": view.lang,
            "tags": view.tags,
        }
        summary = summary_of(view, ctx)
        if full:
            entry["content_html"] = self.body(view, ctx)
            if summary:
                entry["summary"] = summary
        else:
            entry["content_text"] = summary
        if view.fields.get("external_url"):
            entry["external_url"] = view.fields["external_url"]
        if view.date:
            entry["date_published"] = jsonable(view.date)
        if view.updated:
            entry["date_modified"] = jsonable(view.updated)
        author = view.fields.get("author")
        if author:
            entry["authors"] = [{"name": author}]
        extension: dict[str, Any] = {
            "type": view.type,
            "document": ctx.url_for(view, absolute=True),
            **extension_fields(view, ctx),
        }
        image = media(ctx.item_image(view, IMAGE_WIDTHS, absolute=True))
        if image:
            entry["image"] = image["url"]
            extension["image"] = image
        entry["_omnipub"] = extension
        return entry

    # --- manifest, changes, schemas -------------------------------------------------------------

    def finish(self, site: Site, ctx: RenderContext) -> list[Artifact]:
        routes = ctx.routes("item")
        rows = ctx.memo(("app", "manifest"), _ManifestRows)
        outputs = ctx.outputs
        assert isinstance(outputs, RecordedOutputs)  # what the render leaves for finishing
        build_id, manifest_items = rows.update(site, routes, outputs.pick)
        current = rows.current
        now_hashes = {path: row["hash"] for path, row in current.items()}
        state = dict(ctx.state)
        history: list[dict[str, Any]] = list(state.get("history", []))
        last: dict[str, str] = dict(state.get("last", {}))
        if not history or history[-1]["id"] != build_id:
            differing = {p for p, _h in now_hashes.items() - last.items()}
            gone = sorted(last.keys() - now_hashes.keys())
            delta = {
                "id": build_id,
                "at": jsonable(ctx.now_untracked),  # made once, when the outputs change
                "added": sorted(differing - last.keys()),
                "changed": sorted(differing & last.keys()),
                "removed": gone,
                "removed_ids": {
                    p: [p.split("/")[-1][: -len(".json")], self._lang_of(p)] for p in gone
                },
            }
            history = [*history, delta][-(self.history + 1) :]
        ctx.new_state = {"history": history, "last": now_hashes}
        # a build id recurs when an edit is reverted (the id hashes the outputs): a client at
        # an older id syncs from its latest occurrence; one at the current id has nothing to do
        latest = {h["id"]: i for i, h in enumerate(history[:-1]) if h["id"] != build_id}
        older_ids = sorted(latest, key=latest.__getitem__)
        # the bytes of dumps(manifest), with the item rows serialized once per row
        head = dumps({"build_id": build_id, "changes": [f"changes/{i}.json" for i in older_ids]})[
            : -len(b"}\n")
        ]
        manifest = b"".join(
            (head, b',"items":[', manifest_items, b'],"schema_version":%d}\n' % SCHEMA_VERSION)
        )
        artifacts = [Artifact("manifest.json", "application/json", manifest)]
        for older_id in older_ids:
            later = history[latest[older_id] + 1 :]
            change = self.changes_since(older_id, later, current, build_id)
            artifacts.append(
                Artifact(
                    f"changes/{older_id}.json",
                    "application/json",
                    dumps(change),
                    tombstones=tuple(r["id"] for r in change["removed"]),
                )
            )
        for schema in sorted((HERE / "schemas").glob("*.json")):
            data = schema.read_bytes()
            if schema.name == "item.schema.json" and site.components.site_specs():
                data = with_site_blocks(data, site.components.site_specs())
            artifacts.append(Artifact(f"schema/{schema.name}", "application/schema+json", data))
        return artifacts

    def _lang_of(self, path: str) -> str:
        parts = path.split("/")
        return parts[1] if len(parts) == 3 else self.site_config.default_language

    def changes_since(
        self,
        since: str,
        later: list[dict[str, Any]],
        current: dict[str, dict[str, Any]],
        build_id: str,
    ) -> dict[str, Any]:
        """What a client at build `since` must fetch and delete to be at `build_id`."""
        existed: dict[str, bool] = {}
        touched: set[str] = set()
        removed_at: dict[str, str] = {}
        ids: dict[str, list[str]] = {}
        for delta in later:
            for path in delta["added"]:
                existed.setdefault(path, False)
                touched.add(path)
            for path in delta["changed"]:
                existed.setdefault(path, True)
                touched.add(path)
            for path in delta["removed"]:
                existed.setdefault(path, True)
                touched.add(path)
                removed_at[path] = delta["at"]
                ids[path] = delta.get("removed_ids", {}).get(path, [path, ""])
        added, changed, removed = [], [], []
        for path in sorted(touched):
            now = path in current
            if now and not existed[path]:
                added.append(current[path])
            elif now:
                changed.append(current[path])
            elif existed[path]:
                item_id, lang = ids[path]
                removed.append(
                    {"id": item_id, "lang": lang, "path": path, "removed_at": removed_at[path]}
                )
        return {
            "schema_version": SCHEMA_VERSION,
            "from": since,
            "to": build_id,
            "added": added,
            "changed": changed,
            "removed": removed,
        }


class _ManifestRows:
    """The manifest's item rows, kept between live rebuilds of one render context.

    A row is a function of the item document's bytes (the date is in the document), so
    after one edit one row is made and serialized again, not ten thousand; the build id
    and the rows' JSON are joined from per-row pieces, byte for byte what serializing the
    whole list would give. Everything is kept in path order, the manifest's order."""

    def __init__(self) -> None:
        self.reset([])

    def reset(self, routes: list[Route]) -> None:
        self.routes = routes
        #: the routes' output paths, in route order (what `ctx.outputs.pick` is asked)
        self.paths = [route.path for route in routes]
        #: route indexes in path order
        self.order = sorted(range(len(routes)), key=self.paths.__getitem__)
        self.sorted_routes = [routes[i] for i in self.order]
        self.hashes: list[str | None] = [None] * len(routes)
        self.row_json = [b""] * len(routes)
        self.pair_json = [b""] * len(routes)
        #: path -> row, in path order
        self.current: dict[str, dict[str, Any]] = {}

    def update(
        self, site: Site, routes: list[Route], pick: Callable[[list[str]], list[str]]
    ) -> tuple[str, bytes]:
        """The build id and the rows' JSON for `routes`, whose documents' digests `pick`
        gives (in route order); rows are made again only where a digest changed."""
        if routes is not self.routes:
            self.reset(routes)
        hashes = pick(self.paths)
        now = [hashes[i] for i in self.order]
        for index in [i for i, (a, b) in enumerate(zip(self.hashes, now, strict=True)) if a != b]:
            route, digest = self.sorted_routes[index], now[index]
            item = site.by_key[(route.item_id or "", route.lang)]
            row = {
                "id": item.id,
                "lang": item.lang,
                "path": route.path,
                "hash": digest,
                "date_modified": jsonable(item.updated),
            }
            self.current[route.path] = row
            self.row_json[index] = dumps(row)[:-1]
            self.pair_json[index] = json.dumps([route.path, digest]).encode()
        self.hashes = list(now)
        pairs_json = b"[" + b", ".join(self.pair_json) + b"]"
        return hashlib.sha256(pairs_json).hexdigest()[:16], b",".join(self.row_json)


#: a component argument's kind -> its JSON Schema
_ARG_SCHEMAS: dict[str, dict[str, Any]] = {
    "int": {"type": "integer"},
    "number": {"type": "number"},
    "bool": {"type": "boolean"},
    "list": {"type": "array", "items": {"type": "string"}},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
}


def with_site_blocks(schema: bytes, specs: list[ComponentSpec]) -> bytes:
    """The item schema with a block type for each of the site's own components, its
    arguments typed, so an app can draw a site's component natively as well."""
    data = json.loads(schema)
    for spec in specs:
        args: dict[str, Any] = {}
        for name, arg in sorted(spec.args.items()):
            args[name] = dict(_ARG_SCHEMAS.get(arg.kind, {"type": "string"}))
            if arg.choices:
                args[name]["enum"] = list(arg.choices)
        data["$defs"]["block"]["oneOf"].append(
            {
                "additionalProperties": False,
                "description": spec.description or f"the site's {spec.name} component",
                "properties": {
                    "type": {"const": spec.block_type},
                    "component": {"const": spec.name},
                    "args": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": args,
                        "required": sorted(n for n, a in spec.args.items() if a.required),
                    },
                    "blocks": {"type": "array", "items": {"$ref": "#/$defs/block"}},
                },
                "required": ["type", "component", "args", "blocks"],
                "type": "object",
            }
        )
    return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()
