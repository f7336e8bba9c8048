"""Dependencies: what each render read, and digests to tell whether that changed.

While a route renders, every item it touches (through an `ItemView`, `url_for`, `item`) is
recorded, its fields and its body apart (a listing that shows titles does not depend on the
text, so editing the text re-renders only what shows it), and so is any use of the site's
*shape* (membership and order of collections, sections, routes: everything listings and
indexes are computed from) and of the build
instant. A later build re-renders a route only when one of those inputs has a different
digest; everything else is reused byte for byte. Recording is per process and per route:
renders are sequential within one process.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .items import Item
    from .model import Site


@dataclass
class Usage:
    """What one render read."""

    items: set[tuple[str, str]] = field(default_factory=set)
    shape: bool = False
    #: which parts of the build instant the render showed: "instant", "date" or "year"
    now: set[str] = field(default_factory=set)
    templates: set[str] = field(default_factory=set)
    #: outputs of other routes whose digests the render read (`ctx.outputs`)
    outputs: set[str] = field(default_factory=set)


def merge_usage(into: Usage, other: Usage) -> None:
    """Add what `other` recorded to `into` (a read replayed from a kept result)."""
    into.items |= other.items
    into.shape |= other.shape
    into.now |= other.now
    into.templates |= other.templates
    into.outputs |= other.outputs


class _Recorder:
    __slots__ = ("usage", "paused")

    def __init__(self) -> None:
        self.usage: Usage | None = None
        self.paused = 0


RECORDER = _Recorder()


def touch(key: tuple[str, str]) -> None:
    usage = RECORDER.usage
    if usage is not None and not RECORDER.paused:
        usage.items.add(key)


def touch_body(key: tuple[str, str]) -> None:
    """The render read the item's body (its HTML, text, headings or links)."""
    usage = RECORDER.usage
    if usage is not None and not RECORDER.paused:
        usage.items.add(body_key(key))


def body_key(key: tuple[str, str]) -> tuple[str, str, str]:
    return (key[0], key[1], "body")


def touch_shape() -> None:
    usage = RECORDER.usage
    if usage is not None:
        usage.shape = True


def touch_now(part: str = "instant") -> None:
    usage = RECORDER.usage
    if usage is not None:
        usage.now.add(part)


class paused:
    """Reads inside (shared indexes) count as shape, not as reads of each item."""

    def __enter__(self) -> None:
        touch_shape()
        RECORDER.paused += 1

    def __exit__(self, *exc: object) -> None:
        RECORDER.paused -= 1


def _h(*parts: Any) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def item_digests(item: Item, images: dict[str, Any]) -> tuple[str, str]:
    """Digests of everything about one item a render could show: its fields, its body."""
    from .links import image_source
    from .paths import UnsafePath

    def image_digest(src: str) -> str | None:
        try:
            info = images.get(image_source(item.rel, src))
        except UnsafePath:
            return None
        return info.digest if info else None

    doc = item.document
    refs = sorted((r.target, image_digest(r.target)) for r in doc.links if r.image)
    hero = item.fields.get("image")
    fields = _h(
        item.id,
        item.lang,
        item.rel,
        item.type,
        item.slug,
        item.section,
        sorted((k, repr(v)) for k, v in item.fields.items()),
        sorted((k, repr(v)) for k, v in item.channels.items()),
        item.hidden_reason,
        image_digest(str(hero)) if hero else None,
    )
    return fields, _h(doc.content_hash, refs)


def shape_of(item: Item) -> tuple[Any, ...]:
    """What listings, indexes and plans are computed from: membership, order, URLs."""
    enabled = tuple(sorted(n for n, v in item.channels.items() if v.enabled))
    return (
        item.key,
        item.rel,
        item.section,
        item.type,
        item.slug,
        item.visible,
        item.sort_key(),
        tuple(item.tags),
        enabled,
        tuple(item.fields.get("products") or ()),
        repr(item.fields.get("aliases")),
        repr(item.fields.get("store")),
    )


def site_digests(site: Site, images: dict[str, Any]) -> tuple[dict[tuple[str, ...], str], str]:
    """Per-item digests (fields under the item's key, body under `body_key`), and the shape
    digest of the whole site."""
    digests: dict[tuple[str, ...], str] = {}
    for item in site.items:
        digests[item.key], digests[body_key(item.key)] = item_digests(item, images)
    shape = [shape_of(item) for item in sorted(site.items, key=lambda i: i.key)]
    return digests, shape_digest(site, shape)


def shape_digest(site: Site, shape: list[tuple[Any, ...]]) -> str:
    pages = sorted(
        repr((key, page.document.content_hash if page.document else None, page.title))
        for key, page in list(site.sections.items()) + list(site.home.items())
    )
    return _h(shape, pages, site.languages, sorted(site.data.items(), key=repr))
