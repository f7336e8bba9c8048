"""The preview board of `omnipub serve`: every item with filters, and one item in every channel.

Pages are rendered by Jinja with autoescaping and query strings are built by `urlencode`, so
a title, id, tag or instant is escaped for the place it lands in (text, attribute, URL). No
value is ever written into a script: the board's scripts are static files, and the server
sends the board with a Content-Security-Policy that allows no inline script, so even a value
that slipped through could not run. What each channel shows of an item, and at which device
size, is the channel's own `previews` hook: the board knows no channel by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .build import BuildResult
from .channel import Route
from .items import Item

ASSETS = Path(__file__).resolve().parent / "devserver"
#: the board's filters: query parameter -> label
FILTERS = {"type": "Type", "lang": "Language", "visibility": "Visibility", "channel": "Channel"}

_env = Environment(
    loader=FileSystemLoader(ASSETS), autoescape=True, undefined=StrictUndefined, trim_blocks=True
)


def query(**params: str | None) -> str:
    """`?a=1&b=2` of the parameters that have a value; empty when none has."""
    given = {k: v for k, v in params.items() if v}
    return "?" + urlencode(given) if given else ""


def _local(url: str) -> str:
    """The path of a URL the dev server serves (every channel shares its host)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _state(item: Item) -> str:
    return "visible" if item.visible else str(item.hidden_reason or "hidden")


class Board:
    """One build seen through the board; `at` is the instant asked for (None: now)."""

    def __init__(self, result: BuildResult, at: str | None) -> None:
        self.result = result
        self.at = at
        canonical = result.site.config.canonical_channel
        #: the canonical channel first, then the others as configured
        self.channels = sorted(result.channels, key=lambda c: c.name != canonical)
        self.by_item: dict[tuple[str, str], list[Route]] = {}
        for route in result.plan.routes:
            if route.item_id is not None:
                self.by_item.setdefault((route.channel, route.item_id), []).append(route)

    def previews(self, item: Item) -> list[dict[str, Any]]:
        """What every channel shows of `item`, as the board frames it."""
        shown = []
        for channel in self.channels:
            routes = self.by_item.get((channel.name, item.id), [])
            for preview in channel.previews(item.id, item.lang, routes):
                shown.append(
                    {
                        "channel": channel.name,
                        "label": preview.label,
                        "href": _local(preview.url),
                        "width": preview.width,
                        "height": preview.height,
                    }
                )
        return shown

    def _common(self, form_action: str, keep: list[tuple[str, str]]) -> dict[str, Any]:
        config = self.result.site.config
        now = self.result.site.now.astimezone(config.timezone)
        return {
            "site_title": config.title,
            "at": self.at,
            "clock": now.strftime("%Y-%m-%dT%H:%M"),
            "form_action": form_action,
            "keep": keep,
            "now_href": form_action + query(**dict(keep)),
            "query": query,
        }

    def item_href(self, item: Item, lang: str | None = None) -> str:
        return f"/_preview/{quote(item.id, safe='')}" + query(lang=lang or item.lang, at=self.at)

    def index(self, chosen: Mapping[str, str]) -> str:
        """Every item as a card, narrowed by the filters in `chosen`."""
        site = self.result.site
        cards = []
        for item in site.items:
            previews = self.previews(item)
            in_channels = sorted(
                {p["channel"] for p in previews} | {n for n in item.channels if item.in_channel(n)}
            )
            first = {p["channel"]: p["href"] for p in reversed(previews)}
            card = {
                "id": item.id,
                "rel": item.rel,
                "title": item.title,
                "type": item.type,
                "lang": item.lang,
                "state": _state(item),
                "state_class": "visible" if item.visible else "hidden",
                "href": self.item_href(item),
                "channels": [{"name": n, "url": first.get(n)} for n in in_channels],
                "published": set(first),
            }
            cards.append(card)
        options = {
            "type": sorted({c["type"] for c in cards}),
            "lang": sorted({c["lang"] for c in cards}),
            "visibility": sorted({c["state"] for c in cards}, key=lambda s: (s != "visible", s)),
            "channel": [c.name for c in self.channels],
        }
        shown = [
            c
            for c in cards
            if all(
                not chosen.get(name)
                or (chosen[name] in c["published"] if name == "channel" else c[key] == chosen[name])
                for name, key in (
                    ("type", "type"),
                    ("lang", "lang"),
                    ("visibility", "state"),
                    ("channel", ""),
                )
            )
        ]
        filters = [
            {"name": n, "label": label, "options": options[n], "chosen": chosen.get(n, "")}
            for n, label in FILTERS.items()
        ]
        keep = [(n, chosen[n]) for n in FILTERS if chosen.get(n)]
        return _env.get_template("index.html").render(
            cards=shown,
            total=len(cards),
            filters=filters,
            **self._common("/_preview/", keep),
        )

    def item(self, item_id: str, lang: str) -> str | None:
        """One item in every channel, each at its device's size; None when there is none."""
        site = self.result.site
        item = site.by_key.get((item_id, lang))
        if item is None:
            return None
        languages = [
            {"lang": code, "href": self.item_href(other, code), "current": code == lang}
            for code, other in sorted(site.translations(item).items())
        ]
        warnings = [
            d.format()
            for d in self.result.diagnostics.warnings
            if d.location and d.location.path == item.rel
        ]
        return _env.get_template("item.html").render(
            title=item.title,
            type=item.type,
            lang=lang,
            rel=item.rel,
            state=_state(item),
            state_class="visible" if item.visible else "hidden",
            languages=languages if len(languages) > 1 else [],
            warnings=warnings,
            previews=self.previews(item),
            **self._common(f"/_preview/{quote(item_id, safe='')}", [("lang", lang)]),
        )


def failed_page(problems: list[str], at: str | None) -> str:
    """The board for an instant whose build fails: its errors, escaped."""
    return _env.get_template("failed.html").render(
        problems=problems,
        site_title="",
        at=at,
        clock="",
        form_action="/_preview/",
        keep=[],
        now_href="/_preview/",
        query=query,
    )
