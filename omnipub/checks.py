"""Audits that read a build's outputs back, as a client would: `omnipub check --links
--leaks --consistency`.

- links: every internal link, image, canonical/alternate pair, app cross-reference and QR
  target resolves to a file that the build produced;
- leaks: no output of any channel carries the id, title or slug of a hidden item;
- consistency: every item states the same facts (price, currency, availability, validity
  window, event times) on every channel, and web/mobile pairs share title and H1.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import lxml.html

from .audit import leak_marks, scan
from .diagnostics import Diagnostic, Location, Severity

if TYPE_CHECKING:
    from .build import BuildResult
    from .channel import Channel, Stated
    from .items import Item
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
    channels = {channel.name: channel for channel in result.channels}
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
            else:
                for url, what in channels[channel].links_in(path, data):
                    verify(url, channel, path, what)
    return found


def check_leaks(result: BuildResult, sink: MemorySink) -> list[Diagnostic]:
    marks = leak_marks(result.site)
    channels = {channel.name: channel for channel in result.channels}
    found: list[Diagnostic] = []
    for channel, files in sorted(sink.files.items()):
        for path, data in sorted(files.items()):
            tombstones = channels[channel].tombstones_in(path, data)
            found.extend(scan(marks, channel, path, data, tombstones))
    return found


def check_consistency(result: BuildResult, sink: MemorySink) -> list[Diagnostic]:
    """Each item's facts, read back from every channel, must agree with each other."""
    return consistency(result.site, result.plan, result.channels, lambda c, p: sink.files[c][p])


def consistency(
    site: Site,
    plan: Plan,
    channels: Iterable[Channel],
    read: Callable[[str, str], bytes],
    only: set[tuple[str, str]] | None = None,
) -> list[Diagnostic]:
    """The consistency audit over any store of outputs; `only` limits it to some items (a
    build audits the items it re-rendered). Each channel reads back what it stated through
    its `fact_reader` hook; the audit compares them."""
    readers = []
    for channel in channels:
        reader = channel.fact_reader(plan, partial(read, channel.name))
        if reader is not None:
            readers.append(reader)
    found: list[Diagnostic] = []
    if only is None:
        items = site.visible()
    else:
        items = [site.by_key[k] for k in sorted(only) if k in site.by_key]
        items = [item for item in items if item.visible]
    for item in items:
        stated: list[Stated] = [s for reader in readers for s in reader(item)]
        for statement in stated:
            found.extend(
                _error("check.consistency", f"{item.rel}: {problem}", item.rel)
                for problem in statement.problems
            )
        for index, first in enumerate(stated):
            for second in stated[index + 1 :]:
                found.extend(_disagreements(item, first, second))
    return found


def _disagreements(item: Item, first: Stated, second: Stated) -> Iterable[Diagnostic]:
    for key in sorted(set(first.facts) & set(second.facts)):
        a, b = _normal(key, first.facts[key]), _normal(key, second.facts[key])
        if a != b:
            yield _error(
                "check.consistency",
                f"{key} of {item.id} ({item.lang}) is {a!r} on {first.where} but {b!r} on "
                f"{second.where}",
                item.rel,
            )
    for key in sorted(set(first.presentation) & set(second.presentation)):
        a, b = first.presentation[key], second.presentation[key]
        if a != b:
            yield _error(
                "check.consistency",
                f"{first.where} and {second.where} {key} of {item.id} differ: {a!r} / {b!r}",
                item.rel,
            )


def _normal(key: str, value: str) -> str:
    if key == "price":
        try:
            return f"{Decimal(value):.2f}"
        except ArithmeticError:
            return value
    if key == "availability":  # schema.org InStock and our in_stock name one fact
        return value.replace("_", "").lower()
    return value
