"""Audits that read a build's outputs back, as a client would: `omnipub check --links
--leaks --consistency`.

- links: every internal link, image, canonical/alternate pair, app cross-reference and QR
  target resolves to a file that the build produced;
- leaks: no output of any channel carries the id, title or slug of a hidden item;
- consistency: every item states the same facts (price, currency, availability, validity
  window, event times) on every channel, and web/mobile pairs share title and H1.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import lxml.html

from .audit import leak_marks, scan
from .diagnostics import Diagnostic, Location, Severity

if TYPE_CHECKING:
    from .build import BuildResult
    from .model import Site
    from .publish import MemorySink
    from .resolve import Plan

_ATTRS = (("a", "href"), ("link", "href"), ("img", "src"), ("script", "src"), ("iframe", "src"))


def _error(
    code: str, message: str, where: str | None = None, hint: str | None = None
) -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, message, Location(where) if where else None, hint)


class Outputs:
    """The files of a build, addressable by absolute URL."""

    def __init__(self, result: BuildResult, sink: MemorySink) -> None:
        self.sink = sink
        self.bases = dict(result.plan.base_urls)

    def locate(self, url: str, channel: str, page: str) -> tuple[str, str] | None:
        """(channel, path) of a URL that points into this build, else None (external)."""
        parts = urlsplit(url)
        if parts.scheme in ("mailto", "tel", "data", "javascript"):
            return None
        if parts.scheme or parts.netloc:
            for name, base in self.bases.items():
                if url.startswith(base):
                    return name, unquote(urlsplit(url[len(base) :]).path)
            return None
        if not parts.path:
            return None
        base_path = urlsplit(self.bases.get(channel, "/")).path
        if parts.path.startswith("/"):
            rel = parts.path[len(base_path) :] if parts.path.startswith(base_path) else parts.path
        else:
            rel = posixpath.normpath(posixpath.join(posixpath.dirname(page), parts.path))
        return channel, unquote(rel.lstrip("/"))

    def exists(self, channel: str, path: str) -> bool:
        files = self.sink.files.get(channel, {})
        return (
            path in files
            or posixpath.join(path, "index.html") in files
            or (path in ("", ".") and "index.html" in files)
        )


def check_links(result: BuildResult, sink: MemorySink) -> list[Diagnostic]:
    outputs = Outputs(result, sink)
    found: list[Diagnostic] = []

    def verify(url: str, channel: str, page: str, what: str) -> None:
        target = outputs.locate(url, channel, page)
        if target is not None and not outputs.exists(*target):
            found.append(
                _error(
                    "check.link",
                    f"{channel}/{page}: {what} {url!r} leads nowhere",
                    None,
                    "the target file is not among the build's outputs",
                )
            )

    for channel, files in sorted(sink.files.items()):
        for path, data in sorted(files.items()):
            media = sink.media_types[channel][path]
            if media == "text/html":
                doc = lxml.html.fromstring(data)
                for tag, attr in _ATTRS:
                    for element in doc.iter(tag):
                        value = element.get(attr)
                        if value and not value.startswith("#"):
                            verify(value, channel, path, f"<{tag} {attr}>")
                for element in doc.iter("img"):
                    for candidate in (element.get("srcset") or "").split(","):
                        if candidate.strip():
                            verify(candidate.strip().split(" ")[0], channel, path, "srcset")
                for element in doc.xpath("//*[@data-url]"):
                    verify(element.get("data-url").split("?")[0], channel, path, "QR code")
            elif channel == "app" and path.startswith("items/"):
                document = json.loads(data)
                for link in document.get("links", []):
                    if link.get("url"):
                        verify(link["url"], channel, path, f"link to item {link['id']}")
                for lang, target in document.get("translations", {}).items():
                    if target not in files:
                        found.append(
                            _error(
                                "check.link",
                                f"app/{path}: translation {lang} ({target}) is missing",
                            )
                        )
    return found


def check_leaks(result: BuildResult, sink: MemorySink) -> list[Diagnostic]:
    marks = leak_marks(result.site)
    found: list[Diagnostic] = []
    for channel, files in sorted(sink.files.items()):
        for path, data in sorted(files.items()):
            tombstones = ()
            if channel == "app" and path.startswith("changes/"):
                tombstones = tuple(r["id"] for r in json.loads(data).get("removed", []))
            found.extend(scan(marks, channel, path, data, tombstones))
    return found


def _json_ld(doc: lxml.html.HtmlElement) -> list[dict]:
    return [json.loads(s.text or "") for s in doc.findall(".//script[@type='application/ld+json']")]


def check_consistency(result: BuildResult, sink: MemorySink) -> list[Diagnostic]:
    """Each item's facts, read back from every channel, must agree with each other."""
    playlists = [
        json.loads(data)
        for path, data in sorted(sink.files.get("signage", {}).items())
        if path.startswith("playlists/")
    ]
    return consistency(result.site, result.plan, lambda c, p: sink.files[c][p], playlists)


def consistency(
    site: Site,
    plan: Plan,
    read: Callable[[str, str], bytes],
    playlists: list[dict],
    only: set[tuple[str, str]] | None = None,
) -> list[Diagnostic]:
    """The consistency audit over any store of outputs; `only` limits it to some items (a
    build audits the items it re-rendered)."""
    found: list[Diagnostic] = []
    if only is None:
        items = site.visible()
    else:
        items = [site.by_key[k] for k in sorted(only) if k in site.by_key]
        items = [item for item in items if item.visible]
    for item in items:
        stated: dict[str, dict[str, str]] = {}
        pages: dict[str, lxml.html.HtmlElement] = {}  # each page is parsed once
        for channel in ("web", "mobile"):
            route = plan.item_routes.get((channel, item.id, item.lang))
            if route is None:
                continue
            pages[channel] = lxml.html.fromstring(read(channel, route.path))
            for data in _json_ld(pages[channel]):
                facts = {}
                offer = data.get("offers") or {}
                for key, value in (
                    ("price", offer.get("price")),
                    ("currency", offer.get("priceCurrency")),
                    ("availability", str(offer.get("availability", "")).rsplit("/", 1)[-1]),
                    ("start", data.get("startDate")),
                    ("end", data.get("endDate")),
                ):
                    if value:
                        facts[key] = _normal(key, str(value))
                stated[channel] = facts
        route = plan.item_routes.get(("app", item.id, item.lang))
        if route is not None:
            fields = json.loads(read("app", route.path))["fields"]
            facts = {}
            mapping = {"price": "price", "currency": "currency", "availability": "availability"}
            if item.type == "event":
                mapping.update({"start": "start", "end": "end"})
            if item.type == "promotion":
                mapping.update({"start": "valid_from", "end": "valid_until"})
            for key, field in mapping.items():
                if fields.get(field) is not None:
                    facts[key] = _normal(key, str(fields[field]))
            stated["app"] = facts
        for slide in _slides(playlists, item.id, item.lang):
            if item.type == "promotion" and slide.get("until"):
                expire = item.fields.get("expire_at")
                until = (
                    min(item.fields["valid_until"], expire)
                    if expire
                    else item.fields["valid_until"]
                )
                if _normal("end", slide["until"]) != _normal("end", until.isoformat()):
                    found.append(
                        _error(
                            "check.consistency",
                            f"{item.rel}: signage stops at {slide['until']}, the web at "
                            f"{until.isoformat()}",
                            item.rel,
                        )
                    )
        names = sorted(stated)
        for index, first in enumerate(names):
            for second in names[index + 1 :]:
                for key in sorted(set(stated[first]) & set(stated[second])):
                    if stated[first][key] != stated[second][key]:
                        found.append(
                            _error(
                                "check.consistency",
                                f"{key} of {item.id} ({item.lang}) is {stated[first][key]!r} on "
                                f"{first} but {stated[second][key]!r} on {second}",
                                item.rel,
                            )
                        )
        if "web" in pages and "mobile" in pages:
            a, b = pages["web"], pages["mobile"]
            for what in ("title", "h1"):
                left, right = a.findtext(f".//{what}"), b.findtext(f".//{what}")
                if left != right:
                    found.append(
                        _error(
                            "check.consistency",
                            f"web and mobile {what} of {item.id} differ: {left!r} / {right!r}",
                            item.rel,
                        )
                    )
    return found


def _normal(key: str, value: str) -> str:
    if key == "price":
        return f"{float(value):.2f}"
    if key == "availability":  # schema.org InStock and our in_stock name one fact
        return value.replace("_", "").lower()
    return value


def _slides(playlists: list[dict], item_id: str, lang: str) -> Iterable[dict]:
    for playlist in playlists:
        for slide in playlist["slides"]:
            if slide["item"] == item_id and slide["lang"] == lang:
                yield slide["schedule"]
