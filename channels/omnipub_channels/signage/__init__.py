"""The signage channel: playlists, slides and an offline-capable player for in-store screens.

Stores and screens are declared in config. Promotions and events join signage by default
(events on their own store's screens); any item can join or be aimed at stores, zones or
screens with `channels: {signage: {...}}`. Each screen gets a playlist whose slides carry
their schedule (date window in the store's zone, days, daily hours), so a player shows and
hides content at the right moments without a rebuild.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import segno

from omnipub import i18n
from omnipub.channel import Artifact, Channel, OutputSpec, Route
from omnipub.context import RenderContext
from omnipub.diagnostics import Diagnostics, Location
from omnipub.items import ItemView
from omnipub.model import Site
from omnipub.schema import FieldSpec
from omnipub.templates import translate

HERE = Path(__file__).resolve().parent
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RESOLUTIONS = {"1920x1080": "landscape", "1080x1920": "portrait", "3840x2160": "landscape"}
#: Legibility limits per orientation: characters, words per line and lines of a headline,
#: and words in the supporting line (after common signage practice: about six words a line).
LIMITS = {
    "landscape": {"chars": 42, "words_per_line": 6, "lines": 2, "line_words": 10},
    "portrait": {"chars": 32, "words_per_line": 4, "lines": 3, "line_words": 8},
}
HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")


class Slide(TypedDict):
    """One entry of a screen's playlist."""

    id: str
    item: str
    lang: str
    title: str
    url: str
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


class SignageChannel(Channel):
    name = "signage"
    version = "1"
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
    config_keys = frozenset({"stores", "screens", "limits", "min_duration", "max_duration", "poll"})
    #: a player polls its playlist; the slides it names must be up before it
    entry_points = ("playlists/*.json",)
    outputs = (
        OutputSpec("playlist", "application/json", "collection", (), "playlists/{screen}.json"),
        OutputSpec(
            "slide", "text/html", "collection", ("slide.html",), "slides/{screen}/{id}.html"
        ),
        OutputSpec(
            "player", "text/html", "collection", ("player.html",), "screens/{screen}/index.html"
        ),
    )

    def configure(self, raw: Mapping[str, Any], diagnostics: Diagnostics) -> None:
        where = Location("omnipub.toml")
        self.min_duration = int(raw.get("min_duration", 3))
        self.max_duration = int(raw.get("max_duration", 300))
        self.poll = int(raw.get("poll", 60))
        self.limits = {
            k: {**v, **dict(raw.get("limits", {}).get(k, {}))} for k, v in LIMITS.items()
        }
        self.stores: dict[str, Store] = {}
        for table in raw.get("stores", []):
            try:
                zone = ZoneInfo(str(table.get("timezone", self.site_config.timezone.key)))
            except (ZoneInfoNotFoundError, ValueError):
                diagnostics.error(
                    "config.timezone",
                    f"store {table.get('id')!r}: unknown time zone",
                    where,
                    "use an IANA name such as Europe/Oslo",
                )
                zone = self.site_config.timezone
            store_id = str(table.get("id", ""))
            languages = tuple(table.get("languages", [self.site_config.default_language]))
            for lang in languages:
                if lang not in self.site_config.languages:
                    diagnostics.error(
                        "config.language",
                        f"store {store_id!r}: language {lang!r} is not configured",
                        where,
                        "add it under [languages]",
                    )
            self.stores[store_id] = Store(
                store_id, str(table.get("name", store_id)), zone, languages
            )
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
        originals = [v for v in items if v.lang == site.config.default_language]
        for screen in sorted(self.screens.values(), key=lambda s: s.id):
            base = self.config.base_url
            yield Route(
                self.name,
                "player",
                f"screens/{screen.id}/index.html",
                f"{base}screens/{screen.id}/",
                site.config.default_language,
                params=(("screen", screen.id),),
            )
            yield Route(
                self.name,
                "playlist",
                f"playlists/{screen.id}.json",
                f"{base}playlists/{screen.id}.json",
                site.config.default_language,
                params=(("screen", screen.id),),
            )
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
        for view in ctx.items(site.config.default_language):
            screens = self.targets(view)
            options = view.options
            duration = options.get("duration")
            if duration is not None and not self.min_duration <= duration <= self.max_duration:
                ctx.error(
                    "signage.duration",
                    f"slide duration {duration}s is outside {self.min_duration}-"
                    f"{self.max_duration}s",
                    view,
                    "duration",
                    "a slide shows for seconds, not minutes: try 8 to 15",
                )
            hours = options.get("hours")
            if hours is not None and not HOURS.match(str(hours)):
                ctx.error(
                    "signage.hours",
                    f"hours {hours!r} is not HH:MM-HH:MM",
                    view,
                    "hours",
                    'write hours: "07:00-10:00"; a window may pass midnight (22:00-02:00)',
                )
            for day in options.get("days") or ():
                if day not in DAYS:
                    ctx.error(
                        "signage.days",
                        f"unknown day {day!r}",
                        view,
                        "days",
                        f"days: {', '.join(DAYS)}",
                    )
            for store in {self.stores[s.store] for s in screens}:
                lang, fallback = self.language_for(site, view.id, store)
                if fallback and store.languages and lang not in store.languages:
                    ctx.warn(
                        "signage.language-fallback",
                        f"no {'/'.join(store.languages)} version for store {store.id}; "
                        f"showing {lang}",
                        view,
                        "title",
                        f"add a translation ({Path(view.rel).stem}.{store.languages[0]}.md)",
                    )
            for orientation in sorted({s.orientation for s in screens}):
                self._text_fit(view, orientation, ctx)

    def _text_fit(self, view: ItemView, orientation: str, ctx: RenderContext) -> None:
        limit = self.limits[orientation]
        title = view.title
        words = title.split()
        lines = -(-len(words) // limit["words_per_line"])
        problems = []
        if len(title) > limit["chars"]:
            problems.append(f"{len(title)} characters (limit {limit['chars']})")
        if lines > limit["lines"]:
            problems.append(
                f"{lines} lines of {limit['words_per_line']} words (limit {limit['lines']} lines)"
            )
        if problems:
            ctx.warn(
                "signage.text-too-long",
                f"headline {title!r} is too long for a {orientation} screen: "
                + ", ".join(problems),
                view,
                "title",
                'give signage a short headline: channels: {signage: {title: "..."}}',
            )
        line_words = len(view.summary.split())
        if line_words > limit["line_words"]:
            ctx.warn(
                "signage.text-too-long",
                f"line {view.summary!r} has {line_words} words, over {limit['line_words']} "
                f"for a {orientation} screen",
                view,
                "summary",
                'give signage a short line: channels: {signage: {summary: "..."}}',
            )

    # --- rendering --------------------------------------------------------------------------

    def schedule(self, view: ItemView, store: Store) -> dict[str, Any]:
        f = view.fields
        start = f.get("valid_from") if view.type == "promotion" else f.get("publish_at")
        end = f.get("expire_at")
        if view.type == "promotion":
            end = min(end, f["valid_until"]) if end else f["valid_until"]
        if view.type == "event":
            end = min(end, f["end"]) if end else f["end"]
        hours = view.options.get("hours")
        return {
            "timezone": store.zone.key,
            "from": jsonable(start),
            "until": jsonable(end),
            "days": list(view.options.get("days") or []),
            "hours": hours,
        }

    def render(self, route: Route, ctx: RenderContext) -> list[Artifact]:
        screen = self.screens[route.param("screen")]
        if route.output == "playlist":
            return [Artifact(route.path, "application/json", self.playlist(screen, ctx))]
        if route.output == "player":
            html = ctx.template(
                ("player.html",),
                route.path,
                screen=screen,
                poll=self.poll,
                playlist=f"../../playlists/{screen.id}.json",
            )
            return [Artifact(route.path, "text/html", html.encode())]
        view = ctx.item(route.item_id or "", route.lang)
        assert view is not None
        store = self.stores[screen.store]
        web = ctx.url_for(view, "web")
        qr_url = None
        qr_svg = None
        if web:
            qr_url = (
                web
                + "?"
                + urlencode(
                    {
                        "utm_source": "signage",
                        "utm_medium": "screen",
                        "utm_campaign": store.id,
                        "utm_content": screen.id,
                    }
                )
            )
            qr_svg = segno.make(qr_url, error="m").svg_inline(
                scale=4, border=2, dark="#111", light="#fff"
            )
        aspect = (16, 9) if screen.orientation == "landscape" else (9, 16)
        widths = (screen.width // 2, screen.width)
        image = ctx.item_image(view, widths, "100vw", aspect)
        locale = ctx.site.config.languages[view.lang].locale
        f = view.fields
        facts = ""
        if view.type == "product":
            facts = i18n.price(f["price"], f["currency"], locale)
        elif view.type == "promotion":
            until = f["valid_until"].astimezone(store.zone)
            facts = translate(
                ctx.env, "Valid until {date}", view.lang, date=i18n.date(until, locale, "long")
            )
        elif view.type == "event":
            start = f["start"].astimezone(store.zone)
            facts = f"{i18n.date(start, locale, 'medium')} {i18n.time(start, locale)}"
        html = ctx.template(
            ("slide.html",),
            view.rel,
            item=view,
            screen=screen,
            store=store,
            image=image,
            qr_svg=qr_svg,
            qr_url=qr_url,
            facts=facts,
            lang=view.lang,
            discount=f.get("discount"),
        )
        return [Artifact(route.path, "text/html", html.encode())]

    def playlist(self, screen: Screen, ctx: RenderContext) -> bytes:
        store = self.stores[screen.store]
        slides: list[Slide] = []
        for route in ctx.routes("slide"):
            if route.param("screen") != screen.id:
                continue
            view = ctx.item(route.item_id or "", route.lang)
            assert view is not None
            options = view.options
            slides.append(
                {
                    "id": f"{screen.id}/{view.id}",
                    "item": view.id,
                    "lang": view.lang,
                    "title": view.title,
                    "url": f"../../{route.path}",
                    "duration": int(options.get("duration") or screen.duration),
                    "priority": int(options.get("priority") or 0),
                    "schedule": self.schedule(view, store),
                }
            )
        slides.sort(key=lambda s: (-s["priority"], s["item"]))
        data = {
            "schema_version": 1,
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
        return (json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1) + "\n").encode()

    def finish(self, site: Site, ctx: RenderContext) -> list[Artifact]:
        assets = []
        for name, media in (("player.js", "text/javascript"), ("slide.css", "text/css")):
            assets.append(Artifact(f"assets/{name}", media, (HERE / "assets" / name).read_bytes()))
        assets.append(
            Artifact("sw.js", "text/javascript", (HERE / "assets" / "sw.js").read_bytes())
        )
        return assets
