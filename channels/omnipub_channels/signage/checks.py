"""The signage channel's checks: what a build refuses or warns about, and the advice only
`omnipub check` gives (screens about to go idle)."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from omnipub.context import RenderContext
from omnipub.diagnostics import Location
from omnipub.items import ItemView
from omnipub.model import Site
from omnipub.templates import translate

from .schedule import DAYS, HOURS, airs_between

if TYPE_CHECKING:
    from . import SignageChannel, Store

#: how far ahead `omnipub check` looks for something to show on each screen
LOOKAHEAD = dt.timedelta(days=7)


def check(channel: SignageChannel, site: Site, ctx: RenderContext) -> None:
    """Durations, hours, days, languages, words and text fit of every item on the screens."""
    for view in ctx.items(site.config.default_language):
        targeted(channel, view, ctx)
        screens = channel.targets(view)
        options = view.options
        duration = options.get("duration")
        if duration is not None and not channel.min_duration <= duration <= channel.max_duration:
            ctx.error(
                "signage.duration",
                f"slide duration {duration}s is outside {channel.min_duration}-"
                f"{channel.max_duration}s",
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
        for store_id in sorted({s.store for s in screens}):
            store = channel.stores[store_id]
            lang, fallback = channel.language_for(site, view.id, store)
            if fallback and store.languages and lang not in store.languages:
                ctx.warn(
                    "signage.language-fallback",
                    f"no {'/'.join(store.languages)} version for store {store.id}; showing {lang}",
                    view,
                    "title",
                    f"add a translation ({Path(view.rel).stem}.{store.languages[0]}.md)",
                )
            discount_words(view, lang, store, ctx)
        for orientation in sorted({s.orientation for s in screens}):
            text_fit(channel, view, orientation, ctx)


def targeted(channel: SignageChannel, view: ItemView, ctx: RenderContext) -> None:
    """Every screen, zone and store an item is aimed at (and an event's store) exists: a
    misspelt one would take the slide off screens without a word."""
    screens = channel.screens.values()
    known = {
        "screens": sorted(channel.screens),
        "zones": sorted({screen.zone for screen in screens}),
        "stores": sorted(channel.stores),
    }
    options = view.options
    wanted = [(name, str(value), "channels") for name in known for value in options.get(name) or ()]
    if view.type == "event" and not options.get("stores"):
        wanted.append(("stores", str(view.fields.get("store", "")), "store"))
    for name, value, field_name in wanted:
        if value in known[name]:
            continue
        close = difflib.get_close_matches(value, known[name], n=1, cutoff=0.6)
        ctx.error(
            "signage.target",
            f"{value!r} is not one of the signage {name}: no screen would show this slide for it",
            view,
            field_name,
            (f"did you mean {close[0]!r}? " if close else "")
            + f"{name}: {', '.join(known[name]) or 'none'} (omnipub.toml)",
        )


def discount_words(view: ItemView, lang: str, store: Store, ctx: RenderContext) -> None:
    """A worded discount ("Free") is a fact written in the default language: the slides
    of other languages show the catalogue's wording, so a missing one is reported."""
    discount = view.fields.get("discount")
    if (
        not discount
        or lang == ctx.site.config.default_language
        or not re.search(r"[^\W\d_]", str(discount))
        or translate(ctx.env, str(discount), lang) != discount
    ):
        return
    ctx.warn(
        "signage.untranslated",
        f"discount {discount!r} has no {lang} wording: store {store.id}'s screens would "
        "show it untranslated",
        view,
        "discount",
        f'add "{discount}" = "..." to i18n/{lang}.toml',
    )


def idle_screens(channel: SignageChannel, ctx: RenderContext) -> None:
    """Warn about screens that would show only the idle slide for the next days."""
    start = ctx.now
    end = start + LOOKAHEAD
    slides = ctx.routes("slide")
    for screen in sorted(channel.screens.values(), key=lambda s: s.id):
        store = channel.stores[screen.store]
        views = [
            ctx.item(r.item_id or "", r.lang) for r in slides if r.param("screen") == screen.id
        ]
        schedules = [channel.schedule(v, store) for v in views if v is not None]
        if any(s["hours"] is not None and not HOURS.match(str(s["hours"])) for s in schedules):
            continue  # reported above; the build fails
        if any(airs_between(s, start, end) for s in schedules):
            continue
        local = start.astimezone(store.zone)
        ctx.diagnostics.warning(
            "signage.idle",
            f"screen {screen.id!r} ({store.name}) has nothing scheduled from "
            f"{local:%Y-%m-%d %H:%M} to {end.astimezone(store.zone):%Y-%m-%d %H:%M} "
            f"({store.zone.key}): it will show only the idle slide",
            Location("omnipub.toml"),
            f"aim a promotion or event at it: channels: {{signage: {{screens: [{screen.id}]}}}}",
        )


def text_fit(channel: SignageChannel, view: ItemView, orientation: str, ctx: RenderContext) -> None:
    limit = channel.limits[orientation]
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
            f"headline {title!r} is too long for a {orientation} screen: " + ", ".join(problems),
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
