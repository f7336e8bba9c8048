"""Resolve: every channel plans its outputs; the core checks them before anything renders.

Builds the link table `(channel, item id, language) -> route`, and rejects two outputs
claiming one path (also when they differ only in letter case, which collides on macOS and
Windows file systems) and any path that would leave its channel's folder.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Mapping
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
    #: (channel, section, lang) -> the section's listing page there ('' is the home page)
    section_routes: dict[tuple[str, str, str], Route] = field(default_factory=dict)
    #: web URL path of a listing page -> (section, lang), as `web_paths` for items
    web_sections: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: (channel, item id, lang) -> the folder a page bundle's files are published in there
    resource_dirs: dict[tuple[str, str, str], str] = field(default_factory=dict)
    #: canonical URL path a hidden (expired, future, draft) item would have -> its key, so
    #: a root-relative link to it is reported as such and shown as plain text
    hidden_paths: dict[str, tuple[str, str]] = field(default_factory=dict)
    static_files: list[str] = field(default_factory=list)
    #: each channel's base URL, for links across channels
    base_urls: dict[str, str] = field(default_factory=dict)
    #: what each channel's `select` and `plan` read: the plan holds while none of it changes
    reads: dict[str, Usage] = field(default_factory=dict)
    _twins: dict[tuple[Any, ...], Route] | None = None
    _paths: dict[str, frozenset[str]] = field(default_factory=dict)

    def with_items(self, made: Mapping[tuple[str, str], Item], old: Site) -> Plan:
        """This plan with `made` in place of `old`'s items of the same keys, in the same
        order (a live rebuild's, when the edits left the plan as it was)."""
        swap = old.replaced_by(made)
        selected = {
            name: [swap.get(id(item), item) for item in chosen]
            for name, chosen in self.selected.items()
        }
        return dataclasses.replace(self, selected=selected)

    def url_paths(self, channel: str) -> frozenset[str]:
        """The URL path of every output and static file of `channel` (made once per plan:
        every live rebuild checks root-relative links against them)."""
        found = self._paths.get(channel)
        if found is None:
            paths = {urlsplit(route.url).path for route in self.routes_by_channel.get(channel, [])}
            base = urlsplit(self.base_urls.get(channel, "/")).path
            paths |= {base + rel[len("static/") :] for rel in self.static_files}
            found = self._paths[channel] = frozenset(paths)
        return found

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
        _check(channel, routes, site, diagnostics)
        plan.routes_by_channel[channel.name] = routes
        plan.routes.extend(routes)
        canonical = channel.name == site.config.canonical_channel
        for route in routes:
            if route.item_id is not None and channel.output(route.output).kind == "item":
                plan.item_routes[(channel.name, route.item_id, route.lang)] = route
                item = site.by_key.get((route.item_id, route.lang))
                if item is not None and item.resources:
                    key = (channel.name, route.item_id, route.lang)
                    plan.resource_dirs[key] = channel.resource_dir(route)
                if canonical:
                    path = unquote(urlsplit(route.url).path)  # as links in content write it
                    plan.web_paths[path] = (route.item_id, route.lang)
                continue
            listed = channel.listing(route)
            if listed is not None:
                plan.section_routes.setdefault((channel.name, listed, route.lang), route)
                if canonical:
                    path = unquote(urlsplit(route.url).path)
                    plan.web_sections.setdefault(path, (listed, route.lang))
        if canonical:
            plan.hidden_paths = _hidden_paths(channel, seen, site)
    return plan


def _hidden_paths(channel: Channel, seen: Site, site: Site) -> dict[str, tuple[str, str]]:
    """Where each hidden (expired, future) item's page would be in the canonical channel,
    as links in content write it. The channel plans them itself, so the paths follow its
    URL shape (permalinks, a plug-in's own) rather than one the core assumes."""
    hidden = [item.view(channel.name) for item in site.hidden()]
    if not hidden:
        return {}
    with recording(None):  # what would be there is no read of this build's plan
        routes = sorted(channel.plan(seen, hidden), key=lambda r: (r.path, r.output))
    paths: dict[str, tuple[str, str]] = {}
    for route in routes:
        if route.item_id is not None and channel.output(route.output).kind == "item":
            paths.setdefault(unquote(urlsplit(route.url).path), (route.item_id, route.lang))
    return paths


def _check(channel: Channel, routes: list[Route], site: Site, diagnostics: Diagnostics) -> None:
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
            _collision(other, route, site, diagnostics)
            continue
        claimed[folded] = route


def _collision(first: Route, second: Route, site: Site, diagnostics: Diagnostics) -> None:
    """One error for two outputs at one path, at the line that gave the second its path,
    naming the first at its own, with the fix for how they came to collide. It does not
    name the channel: web and mobile share URLs, and one mistake is one error."""
    same_case = first.path == second.path
    what = "the same URL" if same_case else "URLs that differ only in letter case"
    hint, key = _collision_hint(first, second, site)
    here = _place(second, key, site)
    there = _place(first, key, site)
    diagnostics.error(
        "url.collision",
        f"{there or first.output} and this file claim {what} ({second.path})",
        Location(here.path, here.line) if here else None,
        hint,
    )


def _place(route: Route, key: str | None, site: Site) -> Location | None:
    """Where a route's path comes from: the slug or aliases line of its source."""
    if route.source is None:
        return None
    item = site.by_rel.get(route.source)
    document = item.document if item is not None else _section_document(site, route.source)
    line = None
    if document is not None:
        for name in (key, "slug", "aliases"):
            if name and (line := document.line_of(name)):
                break
    return Location(route.source, line)


def _section_document(site: Site, rel: str) -> Any:
    for page in site.sections.values():
        if page.document is not None and page.document.rel == rel:
            return page.document
    return None


def _collision_hint(first: Route, second: Route, site: Site) -> tuple[str, str | None]:
    """The fix that fits: an alias, a page bundle beside a file of its name, a file beside a
    section folder of its name, or two slugs."""
    outputs = {first.output, second.output}
    if "alias" in outputs:
        if outputs == {"alias"}:
            return (
                "two pages name the same old URL in 'aliases': an old URL can lead to one "
                "page only; remove it from one of them",
                "aliases",
            )
        return (
            "an alias names a URL where a page is published: remove it from 'aliases' (the "
            "page it names exists)",
            "aliases",
        )
    sources = sorted(s for s in (first.source, second.source) if s)
    bundle = [s for s in sources if posixpath.basename(s).startswith("index.")]
    if len(sources) == 2 and bundle:
        return (
            f"{bundle[0]} is a page bundle: its folder is the page; keep one of the two "
            "(move the other file's text into it, or give it another slug)",
            None,
        )
    if any(posixpath.basename(s).startswith("_index.") for s in sources):
        return (
            "a file and a section folder of the same name share one URL: rename the file, "
            "or give it another slug",
            "slug",
        )
    return (
        "give one of them another slug (slug: ... in its front matter)",
        "slug",
    )
