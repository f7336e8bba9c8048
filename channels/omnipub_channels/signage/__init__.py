"""The signage channel: playlists, slides and an offline-capable player for in-store screens.

Stores and screens are declared in config. Promotions and events join signage by default
(events on their own store's screens); any item can join or be aimed at stores, zones or
screens with `channels: {signage: {...}}`. Each screen gets a playlist whose slides carry
their schedule (date window in the store's zone, days, daily hours) and a content version,
so a player shows and hides content at the right moments without a rebuild and takes up
every changed slide. Slides are rendered first; the playlists and players, which list the
slides' versions, are made in `finish`. Every address the channel writes is relative to
the file that holds it, so a screen plays from any host, any sub-path and from `file://`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from omnipub import i18n
from omnipub.channel import (
    Artifact,
    Channel,
    FactReader,
    OutputSpec,
    Preview,
    ReadOutput,
    Route,
    Stated,
)
from omnipub.config import parse_stores
from omnipub.context import RenderContext
from omnipub.diagnostics import Diagnostics, Location
from omnipub.items import Item, ItemView
from omnipub.model import Site
from omnipub.render import RecordedOutputs
from omnipub.resolve import Plan
from omnipub.schema import FieldSpec
from omnipub.templates import json_dumps, translate

from . import checks
from .qr import MIN_MODULE, QrCode, QrTooSmall, fit_qr

HERE = Path(__file__).resolve().parent
#: the player's own files, published under assets/ (the service worker at the root, so
#: that its scope covers every screen)
ASSETS = {"player.js": "text/javascript", "slide.css": "text/css"}
RESOLUTIONS = {"1920x1080": "landscape", "1080x1920": "portrait", "3840x2160": "landscape"}
#: Legibility limits per orientation: characters, words per line and lines of a headline,
#: and words in the supporting line (after common signage practice: about six words a line).
LIMITS = {
    "landscape": {"chars": 42, "words_per_line": 6, "lines": 2, "line_words": 10},
    "portrait": {"chars": 32, "words_per_line": 4, "lines": 3, "line_words": 8},
}


class Slide(TypedDict):
    """One entry of a screen's playlist."""

    id: str
    item: str
    lang: str
    title: str
    #: the slide's address relative to the playlist, carrying its version
    url: str
    #: a digest of the slide's bytes: any change to the slide changes the playlist
    version: str
    #: what the slide loads (stylesheet, image), relative to the playlist, for precaching
    assets: list[str]
    duration: int
    priority: int
    schedule: dict[str, Any]


@dataclass(frozen=True)
class Store:
    id: str
    name: str
    zone: ZoneInfo
    languages: tuple[str, ...]


@dataclass(frozen=True)
class Screen:
    id: str
    store: str
    zone: str
    width: int
    height: int
    orientation: str
    duration: int


def jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    return value


def relative(target: str, page: str) -> str:
    """The address of `target` from `page`, both paths inside the channel folder."""
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


def version_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def asset_version(name: str) -> str:
    return version_of((HERE / "assets" / name).read_bytes())


class SignageChannel(Channel):
    name = "signage"
    version = "2"
    package_dir = HERE
    markdown = "text"
    default_types = frozenset({"promotion", "event"})
    option_fields = {
        "stores": FieldSpec("list"),
        "zones": FieldSpec("list"),
        "screens": FieldSpec("list"),
        "duration": FieldSpec("int"),
        "priority": FieldSpec("int"),
        "days": FieldSpec("list"),
        "hours": FieldSpec("string"),
    }
    config_keys = frozenset(
        {
            "stores",
            "screens",
            "limits",
            "min_duration",
            "max_duration",
            "poll",
            "qr_channels",
            "qr_min_module",
        }
    )
    #: a player polls its playlist (and carries a copy): the slides it names must be up first
    entry_points = ("playlists/*.json", "screens/*/index.html")
    outputs = (
        OutputSpec("slide", "text/html", "collection", ("slide.html",)),
        # made in `finish`: they list the versions of the slides rendered before them
        OutputSpec("playlist", "application/json", "asset"),
        OutputSpec("player", "text/html", "asset", ("player.html",)),
    )

    def configure(self, raw: Mapping[str, Any], diagnostics: Diagnostics) -> None:
        where = Location("omnipub.toml")
        self.min_duration = int(raw.get("min_duration", 3))
        self.max_duration = int(raw.get("max_duration", 300))
        self.poll = int(raw.get("poll", 60))
        self.qr_min_module = int(raw.get("qr_min_module", MIN_MODULE))
        if self.qr_min_module < 1:
            diagnostics.error(
                "config.value",
                "channels.signage.qr_min_module must be a whole number of pixels above 0",
                where,
                f"the default, {MIN_MODULE}, reads from about 1.5-2 m on a 55-inch 1080p screen",
            )
            self.qr_min_module = MIN_MODULE
        #: where QR codes lead, first channel with a page for the item wins: the shopper
        #: scans with a phone, so the mobile page comes before the canonical one
        canonical = self.site_config.canonical_channel
        qr_channels = raw.get("qr_channels", ["mobile", canonical])
        if not isinstance(qr_channels, list) or not all(isinstance(c, str) for c in qr_channels):
            diagnostics.error(
                "config.value",
                "channels.signage.qr_channels must be a list of channel names",
                where,
                f'write qr_channels = ["mobile", "{canonical}"]',
            )
            qr_channels = [canonical]
        self.qr_channels = tuple(qr_channels)
        self.limits = {
            k: {**v, **dict(raw.get("limits", {}).get(k, {}))} for k, v in LIMITS.items()
        }
        #: the site's [[stores]], and stores only screens know ([[channels.signage.stores]],
        #: which came first: it still works, and a store listed in both takes its table here)
        self.stores: dict[str, Store] = {
            s.id: Store(s.id, s.name, s.timezone, s.languages)
            for s in self.site_config.stores.values()
        }
        legacy = parse_stores(
            raw.get("stores", []),
            lambda _key: where,
            diagnostics,
            self.site_config.timezone,
            self.site_config.languages,
            self.site_config.default_language,
        )
        for s in legacy.values():
            self.stores[s.id] = Store(s.id, s.name, s.timezone, s.languages)
        self.screens: dict[str, Screen] = {}
        for table in raw.get("screens", []):
            screen_id = str(table.get("id", ""))
            resolution = str(table.get("resolution", "1920x1080"))
            if resolution not in RESOLUTIONS or not re.fullmatch(r"[\w-]+", screen_id):
                diagnostics.error(
                    "config.value",
                    f"screen {screen_id!r}: needs a simple id and a resolution of "
                    f"{', '.join(RESOLUTIONS)}",
                    where,
                )
                continue
            width, height = (int(n) for n in resolution.split("x"))
            orientation = str(table.get("orientation", RESOLUTIONS[resolution]))
            if orientation != RESOLUTIONS[resolution]:
                diagnostics.error(
                    "config.value",
                    f"screen {screen_id!r}: {resolution} is {RESOLUTIONS[resolution]}, "
                    f"not {orientation}",
                    where,
                )
            store = str(table.get("store", ""))
            if store not in self.stores:
                diagnostics.error(
                    "config.value",
                    f"screen {screen_id!r}: unknown store {store!r}",
                    where,
                    f"stores: {', '.join(sorted(self.stores))}",
                )
                continue
            duration = int(table.get("duration", 10))
            self.screens[screen_id] = Screen(
                screen_id,
                store,
                str(table.get("zone", "")),
                width,
                height,
                RESOLUTIONS[resolution],
                duration,
            )

    def previews(self, item_id: str, lang: str, routes: Sequence[Route]) -> list[Preview]:
        """The item's slide on every screen that plays it, at that screen's size and
        orientation; a slide is in its store's language, whichever language is previewed."""
        found = []
        for route in routes:
            if route.output == "slide" and route.item_id == item_id:
                screen = self.screens[route.param("screen")]
                found.append(
                    Preview(f"{self.name} · {screen.id}", route.url, screen.width, screen.height)
                )
        return found

    # --- which slides go where -------------------------------------------------------------------

    def targets(self, view: ItemView) -> list[Screen]:
        options = view.options
        stores = options.get("stores") or ([view.fields["store"]] if view.type == "event" else None)
        zones, screens = options.get("zones"), options.get("screens")
        return [
            s
            for s in self.screens.values()
            if (not stores or s.store in stores)
            and (not zones or s.zone in zones)
            and (not screens or s.id in screens)
        ]

    def language_for(self, site: Site, item_id: str, store: Store) -> tuple[str, bool]:
        """The store's first language with a published translation; else the default."""
        for lang in store.languages:
            found = site.by_key.get((item_id, lang))
            if found is not None and found.visible and found.in_channel(self.name):
                return lang, False
        return site.config.default_language, True

    def plan(self, site: Site, items: list[ItemView]) -> Iterable[Route]:
        """A slide per screen and item aimed at it (playlists and players come in `finish`)."""
        originals = [v for v in items if v.lang == site.config.default_language]
        base = self.config.base_url
        for screen in sorted(self.screens.values(), key=lambda s: s.id):
            store = self.stores[screen.store]
            for view in originals:
                if screen not in self.targets(view):
                    continue
                lang, _fallback = self.language_for(site, view.id, store)
                yield Route(
                    self.name,
                    "slide",
                    f"slides/{screen.id}/{view.id}.html",
                    f"{base}slides/{screen.id}/{view.id}.html",
                    lang,
                    view.id,
                    (("screen", screen.id),),
                    view.rel,
                )

    # --- checks -----------------------------------------------------------------------------

    def check(self, site: Site, ctx: RenderContext) -> None:
        checks.check(self, site, ctx)

    def advise(self, site: Site, ctx: RenderContext) -> None:
        checks.idle_screens(self, ctx)

    # --- rendering --------------------------------------------------------------------------

    def schedule(self, view: ItemView, store: Store) -> dict[str, Any]:
        """When the slide is on the air (from/until as datetimes; `jsonable` for playlists)."""
        f = view.fields
        start = f.get("valid_from") if view.type == "promotion" else f.get("publish_at")
        end = f.get("expire_at")
        if view.type == "promotion":
            end = min(end, f["valid_until"]) if end else f["valid_until"]
        if view.type == "event":
            end = min(end, f["end"]) if end else f["end"]
        return {
            "timezone": store.zone.key,
            "from": start,
            "until": end,
            "days": list(view.options.get("days") or []),
            "hours": view.options.get("hours"),
        }

    def qr_for(
        self, view: ItemView, screen: Screen, store: Store, ctx: RenderContext
    ) -> QrCode | None:
        """The code to the item's page on the first of `qr_channels` that has one, with
        the store and screen in its UTM parameters; None (and a located error) when it
        cannot be drawn readably on this screen."""
        page = next((u for c in self.qr_channels if (u := ctx.url_for(view, c))), None)
        if page is None:
            return None
        utm = urlencode(
            {
                "utm_source": "signage",
                "utm_medium": "screen",
                "utm_campaign": store.id,
                "utm_content": screen.id,
            }
        )
        url = f"{page}{'&' if '?' in page else '?'}{utm}"
        try:
            return fit_qr(url, screen.width, screen.height, screen.orientation, self.qr_min_module)
        except QrTooSmall as problem:
            ctx.error(
                "signage.qr-too-small",
                f"screen {screen.id!r} ({screen.width}x{screen.height}), item {view.id!r}: "
                f"{problem}",
                view,
                "slug" if view.line_of("slug") else None,
                f"shorten the page's address ({url}): a shorter slug or base_url, or set "
                "[channels.signage] qr_min_module lower if the screen is read up close",
            )
            return None

    def visual(self, view: ItemView, screen: Screen, ctx: RenderContext) -> dict[str, Any] | None:
        """The item's image (else its body's first component picture) cropped to the
        screen, one rendition at the screen's width, with `path` (inside the channel folder)
        for relative addresses."""
        aspect = (16, 9) if screen.orientation == "landscape" else (9, 16)
        widths = (screen.width,)
        image = ctx.item_image(view, widths, "100vw", aspect) or self.component_visual(
            view, ctx, widths, aspect
        )
        if image is None:
            return None
        largest = image["renditions"][-1]
        base = self.config.base_url
        assert largest["url"].startswith(base)
        return {**image, "path": largest["url"][len(base) :]}

    def facts(self, view: ItemView, store: Store, ctx: RenderContext) -> str:
        locale = ctx.site.config.languages[view.lang].locale
        f = view.fields
        if view.type == "product":
            return i18n.price(f["price"], f["currency"], locale)
        if view.type == "promotion":
            until = f["valid_until"].astimezone(store.zone)
            return translate(
                ctx.env, "Valid until {date}", view.lang, date=i18n.date(until, locale, "long")
            )
        if view.type == "event":
            start = f["start"].astimezone(store.zone)
            return f"{i18n.date(start, locale, 'medium')} {i18n.time(start, locale)}"
        return ""

    def render(self, route: Route, ctx: RenderContext) -> list[Artifact]:
        screen = self.screens[route.param("screen")]
        view = ctx.item(route.item_id or "", route.lang)
        assert view is not None
        store = self.stores[screen.store]
        image = self.visual(view, screen, ctx)
        if image is not None:
            image["src"] = relative(image["path"], route.path)
        discount = view.fields.get("discount")
        html = ctx.template(
            ("slide.html",),
            view.rel,
            item=view,
            screen=screen,
            store=store,
            image=image,
            qr=self.qr_for(view, screen, store, ctx),
            facts=self.facts(view, store, ctx),
            lang=view.lang,
            discount=translate(ctx.env, str(discount), view.lang) if discount else None,
            stylesheet=self.asset_url("slide.css", route.path),
        )
        return [Artifact(route.path, "text/html", html.encode())]

    def component_visual(
        self, view: ItemView, ctx: RenderContext, widths: tuple[int, ...], aspect: tuple[int, int]
    ) -> dict[str, Any] | None:
        """A slide shows no body; an item without an image of its own shows the first
        picture its body's components have (a video's poster, a figure), or none."""
        for name, args in ctx.component_args(view):
            src = {"video": "poster", "figure": "src"}.get(name)
            if src and args.get(src):
                found = ctx.image_for(view.rel, str(args[src]), widths, "100vw", aspect)
                if found is not None:
                    found["alt"] = str(args.get("alt") or args.get("title"))
                    return found
        return None

    def asset_url(self, name: str, page: str) -> str:
        """A player asset's address from `page`, versioned so caches never serve an old one."""
        return f"{relative(f'assets/{name}', page)}?v={asset_version(name)}"

    # --- playlists and players (after the slides) ---------------------------------------------

    def playlist(self, screen: Screen, ctx: RenderContext) -> dict[str, Any]:
        """The screen's playlist: each slide with its version, what it loads, its schedule."""
        store = self.stores[screen.store]
        here = f"playlists/{screen.id}.json"
        routes = [r for r in ctx.routes("slide") if r.param("screen") == screen.id]
        outputs = ctx.outputs
        assert isinstance(outputs, RecordedOutputs)  # what the render leaves for finishing
        digests = outputs.pick([r.path for r in routes])
        slides: list[Slide] = []
        for route, digest in zip(routes, digests, strict=True):
            view = ctx.item(route.item_id or "", route.lang)
            assert view is not None
            options = view.options
            version = digest[:16]
            assets = [self.asset_url("slide.css", here)]
            image = self.visual(view, screen, ctx)
            if image is not None:
                assets.append(relative(image["path"], here))
            slides.append(
                {
                    "id": f"{screen.id}/{view.id}",
                    "item": view.id,
                    "lang": view.lang,
                    "title": view.title,
                    "url": f"{relative(route.path, here)}?v={version}",
                    "version": version,
                    "assets": assets,
                    "duration": int(options.get("duration") or screen.duration),
                    "priority": int(options.get("priority") or 0),
                    "schedule": {k: jsonable(v) for k, v in self.schedule(view, store).items()},
                }
            )
        slides.sort(key=lambda s: (-s["priority"], s["item"]))
        return {
            "schema_version": 2,
            "screen": {
                "id": screen.id,
                "store": store.id,
                "zone": screen.zone,
                "width": screen.width,
                "height": screen.height,
                "orientation": screen.orientation,
            },
            "store": {"id": store.id, "name": store.name, "timezone": store.zone.key},
            "poll_seconds": self.poll,
            "slides": slides,
        }

    def player(self, screen: Screen, playlist: dict[str, Any], ctx: RenderContext) -> bytes:
        """The screen's page: it carries its playlist (a screen started from `file://` cannot
        fetch one) and an idle slide in the store's first language."""
        here = f"screens/{screen.id}/index.html"
        store = self.stores[screen.store]
        lang = store.languages[0] if store.languages else ctx.site.config.default_language
        html = ctx.template(
            ("player.html",),
            here,
            screen=screen,
            store=store,
            lang=lang,
            locale=ctx.site.config.languages[lang].locale.replace("_", "-"),
            poll=self.poll,
            playlist_url=relative(f"playlists/{screen.id}.json", here),
            playlist_json=json_dumps(playlist),
            script=self.asset_url("player.js", here),
            service_worker=relative("sw.js", here),
        )
        return html.encode()

    # --- reading outputs back -----------------------------------------------------------------

    def fact_reader(self, plan: Plan, read: ReadOutput) -> FactReader:
        """Every slide of an item, in every playlist, must stop when the item does: a
        promotion's window (or its expiry, if earlier) and an event's end."""
        slides: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {}
        for screen in sorted(self.screens):
            where = f"{self.name} playlist {screen}"
            for slide in json.loads(read(f"playlists/{screen}.json"))["slides"]:
                slides.setdefault((slide["item"], slide["lang"]), []).append(
                    (where, slide["schedule"])
                )

        def stated(item: Item) -> Iterable[Stated]:
            f = item.fields
            ends = [f.get("expire_at"), f.get("valid_until") if item.type == "promotion" else None]
            ends.append(f.get("end") if item.type == "event" else None)
            known = [end for end in ends if end is not None]
            for where, schedule in slides.get((item.id, item.lang), []):
                until = schedule.get("until")
                if not until or not known:
                    continue
                end = min(known)
                if dt.datetime.fromisoformat(until) != end:
                    problem = f"{where} stops at {until}, the item at {end.isoformat()}"
                    yield Stated(where, problems=(problem,))

        return stated

    def finish(self, site: Site, ctx: RenderContext) -> list[Artifact]:
        made = [
            Artifact(f"assets/{name}", media, (HERE / "assets" / name).read_bytes())
            for name, media in ASSETS.items()
        ]
        made.append(Artifact("sw.js", "text/javascript", (HERE / "assets" / "sw.js").read_bytes()))
        for screen in sorted(self.screens.values(), key=lambda s: s.id):
            playlist = self.playlist(screen, ctx)
            text = json.dumps(playlist, sort_keys=True, ensure_ascii=False, indent=1) + "\n"
            made.append(Artifact(f"playlists/{screen.id}.json", "application/json", text.encode()))
            made.append(
                Artifact(
                    f"screens/{screen.id}/index.html",
                    "text/html",
                    self.player(screen, playlist, ctx),
                )
            )
        return made
