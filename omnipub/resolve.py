"""Resolve: every channel plans its outputs; the core checks them before anything renders.

Builds the link table `(channel, item id, language) -> route`, and rejects two outputs
claiming one path (also when they differ only in letter case, which collides on macOS and
Windows file systems) and any path that would leave its channel's folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from .channel import Channel, Route
from .depends import Usage, recording
from .diagnostics import Diagnostics, Location
from .items import Item
from .model import Site
from .paths import UnsafePath, check_output_path
from .recorded import RecordedSite


@dataclass
class Plan:
    routes: list[Route] = field(default_factory=list)
    routes_by_channel: dict[str, list[Route]] = field(default_factory=dict)
    #: (channel, item id, lang) -> the item's primary route in that channel
    item_routes: dict[tuple[str, str, str], Route] = field(default_factory=dict)
    #: visible items each channel publishes, newest first
    selected: dict[str, list[Item]] = field(default_factory=dict)
    #: web URL path -> (item id, lang), to resolve root-relative links in content
    web_paths: dict[str, tuple[str, str]] = field(default_factory=dict)
    static_files: list[str] = field(default_factory=list)
    #: each channel's base URL, for links across channels
    base_urls: dict[str, str] = field(default_factory=dict)
    #: what each channel's `select` and `plan` read: the plan holds while none of it changes
    reads: dict[str, Usage] = field(default_factory=dict)
    _twins: dict[tuple[Any, ...], Route] | None = None

    def twin(self, route: Route, channel: str) -> Route | None:
        """The same page in another channel: same output, language and parameters
        (pagination counts aside), or for items the item's page there."""
        if route.item_id is not None and route.output == "item":
            return self.item_routes.get((channel, route.item_id, route.lang))
        if self._twins is None:
            self._twins = {_twin_key(r.channel, r): r for r in self.routes}
        return self._twins.get(_twin_key(channel, route))


def _twin_key(channel: str, route: Route) -> tuple[Any, ...]:
    params = tuple(p for p in route.params if p[0] != "pages")
    return (channel, route.output, route.lang, params)


def resolve(
    site: Site, channels: list[Channel], static_files: list[str], diagnostics: Diagnostics
) -> Plan:
    plan = Plan(static_files=sorted(static_files))
    seen = RecordedSite(site)
    visible = site.visible()
    for channel in channels:
        with recording(Usage()) as read:
            selected = [item for item in visible if channel.select(item.view(channel.name))]
            views = [item.view(channel.name) for item in selected]
            routes = sorted(channel.plan(seen, views), key=lambda r: (r.path, r.output))
        assert read is not None
        plan.reads[channel.name] = read
        plan.selected[channel.name] = selected
        plan.base_urls[channel.name] = channel.config.base_url
        _check(channel, routes, diagnostics)
        plan.routes_by_channel[channel.name] = routes
        plan.routes.extend(routes)
        for route in routes:
            if route.item_id is not None and channel.output(route.output).kind == "item":
                plan.item_routes[(channel.name, route.item_id, route.lang)] = route
                if channel.name == site.config.canonical_channel:
                    path = unquote(urlsplit(route.url).path)  # as links in content write it
                    plan.web_paths[path] = (route.item_id, route.lang)
    return plan


def _check(channel: Channel, routes: list[Route], diagnostics: Diagnostics) -> None:
    claimed: dict[str, Route] = {}
    for route in routes:
        where = Location(route.source) if route.source else None
        try:
            check_output_path(route.path)
        except UnsafePath as exc:
            diagnostics.error(
                "url.escape",
                f"{channel.name}: {exc}",
                where,
                "slugs and aliases may not contain '..', '/', '\\' or absolute paths",
            )
            continue
        folded = route.path.casefold()
        other = claimed.get(folded)
        if other is not None:
            same_case = other.path == route.path
            what = "the same" if same_case else "a case-insensitively equal"
            diagnostics.error(
                "url.collision",
                f"{channel.name}: {route.source or route.output} and "
                f"{other.source or other.output} claim {what} output path "
                f"({other.path} / {route.path})"
                if not same_case
                else f"{channel.name}: {route.source or route.output} and "
                f"{other.source or other.output} both claim {route.path}",
                where,
                "give one of them another slug",
            )
            continue
        claimed[folded] = route
