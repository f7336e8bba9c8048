"""Dependencies: what each plan and render read, and digests to tell whether that changed.

Whatever a channel reads while it selects, plans or renders is recorded as a *key*, and a
later build reuses a plan or an output only when every key it recorded still has the same
digest. Nothing is guessed: there is no list of "fields that matter". The keys:

- `(id, lang)`: the item's identity (source, type, section, slug, visibility);
- `(id, lang, "body")`: its body (HTML, text, headings, links, the images it shows);
- `(id, lang, "f", name)`: one field, with every channel's override of it;
- `(id, lang, "c", channel)`: whether it is in a channel, and its options there;
- `("sel", channel, lang)`: which items a channel publishes, in order;
- `("routes", channel, output, lang)`: a channel's planned outputs;
- `("url", channel, id, lang)`: an item's URL in a channel (None: no page there);
- `("webpath", path)`: which item's web page is at a root-relative path;
- `("plan",)`: the whole plan (twins, base URLs, static files: what is read directly);
- `("rel", path)`: which item a source path is, and whether it is visible;
- `("site", "pages")`: section and home pages, languages and data files;
- `("site", "sections")`: the names of all sections;
- `("site", "items")`: which items the site has (keys), for indexes over all of them;
- `("image", path)`: an image file, by its site path (what a component shows);
- `("memo", channel, name)`: a shared index (see `RenderContext.memo`): its digest is made
  from the digests of what computing it read, so reading an index costs one key.

Recording goes to the `Usage` in a context variable, so each thread of a build records its
own reads and two builds in one process never mix them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .paths import UnsafePath, image_source

if TYPE_CHECKING:
    from .items import Item
    from .model import Site
    from .resolve import Plan

Key = tuple[Any, ...]


@dataclass
class Usage:
    """What one plan or render read."""

    items: set[Key] = field(default_factory=set)
    #: which parts of the build instant the render showed: "instant", "date" or "year"
    now: set[str] = field(default_factory=set)
    templates: set[str] = field(default_factory=set)
    #: outputs of other routes whose digests the render read (`ctx.outputs`)
    outputs: set[str] = field(default_factory=set)


def merge_usage(into: Usage, other: Usage) -> None:
    """Add what `other` recorded to `into` (a read replayed from a kept result)."""
    into.items |= other.items
    into.now |= other.now
    into.templates |= other.templates
    into.outputs |= other.outputs


#: the usage being recorded in this thread (None: nothing records)
CURRENT: ContextVar[Usage | None] = ContextVar("omnipub_usage", default=None)


def current() -> Usage | None:
    return CURRENT.get()


@contextmanager
def recording(usage: Usage | None) -> Iterator[Usage | None]:
    """Record reads into `usage` (None: record nothing) inside the block."""
    token = CURRENT.set(usage)
    try:
        yield usage
    finally:
        CURRENT.reset(token)


def touch(key: Key) -> None:
    usage = CURRENT.get()
    if usage is not None:
        usage.items.add(key)


def touch_field(key: tuple[str, str], name: str) -> None:
    usage = CURRENT.get()
    if usage is not None:
        usage.items.add((key[0], key[1], "f", name))


def touch_body(key: tuple[str, str]) -> None:
    """The render read the item's body (its HTML, text, headings or links)."""
    usage = CURRENT.get()
    if usage is not None:
        usage.items.add(body_key(key))


def body_key(key: tuple[str, str]) -> Key:
    return (key[0], key[1], "body")


def touch_now(part: str = "instant") -> None:
    usage = CURRENT.get()
    if usage is not None:
        usage.now.add(part)


def _h(*parts: Any) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def _image_digest(item: Item, src: str, images: dict[str, Any]) -> str | None:
    try:
        info = images.get(image_source(item.rel, src))
    except UnsafePath:
        return None
    return info.digest if info else None


def item_keys(item: Item) -> list[Key]:
    """Every key under which something about `item` is recorded."""
    key = item.key
    names = set(item.fields)
    for view in item.channels.values():
        names |= set(view.overrides)
    return [
        key,
        body_key(key),
        *((key[0], key[1], "f", name) for name in sorted(names)),
        *((key[0], key[1], "c", channel) for channel in sorted(item.channels)),
    ]


def item_digest(item: Item, key: Key, images: dict[str, Any]) -> str:
    """Today's digest of one key of `item` (see the module docstring)."""
    if len(key) == 2:
        return _h(
            item.id,
            item.lang,
            item.rel,
            item.type,
            item.slug,
            item.section,
            item.translation_key,
            item.is_original,
            item.visible,
            item.hidden_reason,
            item.folder,
            item.permalink,
            item.resources,
        )
    kind = key[2]
    if kind == "body":
        doc = item.document
        refs = sorted(
            (r.target, _image_digest(item, r.target, images)) for r in doc.links if r.image
        )
        return _h(doc.content_hash, refs)
    if kind == "f" and key[3] == "*":
        return _h(
            sorted((k, repr(v)) for k, v in item.fields.items()),
            sorted((c, repr(sorted(v.overrides.items()))) for c, v in item.channels.items()),
        )
    if kind == "f":
        name = key[3]
        value = item.fields.get(name)
        overrides = sorted(
            (channel, repr(view.overrides[name]))
            for channel, view in item.channels.items()
            if name in view.overrides
        )
        image = _image_digest(item, str(value), images) if name == "image" and value else None
        return _h(repr(value), overrides, image)
    if kind == "c":
        view = item.channels.get(key[3])
        if view is None:
            return _h(None)
        return _h(
            view.enabled,
            sorted((k, repr(v)) for k, v in view.options.items()),
        )
    return "-"


class Digests(dict[Key, str]):
    """Today's digest of every dependency key, each made on first use.

    A build checks thousands of recorded keys but never needs most of the site's: making
    them lazily keeps a one-edit build from hashing every field of every item."""

    def __init__(
        self,
        site: Site,
        plan: Plan,
        images: dict[str, Any],
        memos: dict[Key, tuple[Key, ...]] | None = None,
    ) -> None:
        super().__init__()
        self.site, self.plan, self.images = site, plan, images
        #: memo key -> the keys computing it read (its last computation, this build's or an
        #: earlier one's)
        self.memos: dict[Key, tuple[Key, ...]] = dict(memos or {})
        #: each key's piece of a fingerprint, shared by every channel's fingerprints
        self.pieces = Pieces(self)

    def __missing__(self, key: Key) -> str:
        with recording(None):  # making a digest reads items: that is no render's read
            digest = self[key] = self._make(key)
        return digest

    def _make(self, key: Key) -> str:
        site, plan = self.site, self.plan
        head = key[0]
        if head == "sel":
            _sel, channel, lang = key
            chosen = plan.selected.get(channel, [])
            return _h([i.key for i in chosen if lang is None or i.lang == lang])
        if head == "routes":
            _routes, channel, output, lang = key
            return _h(
                [
                    r
                    for r in plan.routes_by_channel.get(channel, [])
                    if (output is None or r.output == output) and (lang is None or r.lang == lang)
                ]
            )
        if head == "plan":
            return _h(plan.routes, sorted(plan.base_urls.items()), plan.static_files)
        if head == "rel":
            found = site.by_rel.get(key[1])
            return _h(found.key if found else None, found.visible if found else None)
        if head == "site" and key[1] == "sections":
            return _h(site.section_names())
        if head == "site" and key[1] == "items":
            return _h([item.key for item in site.items])
        if head == "image":
            info = self.images.get(key[1])
            return _h(info.digest if info else None)
        if head == "site":
            return site_pages_digest(site)
        if head == "webpath":
            return _h(plan.web_paths.get(key[1]), plan.web_sections.get(key[1]))
        if head == "section-url":
            _url, channel, section, lang = key
            listed = plan.section_routes.get((channel, section, lang))
            return _h(listed.url if listed else None)
        if head == "bundle":
            owner = site.bundle_at(key[1])
            return _h(owner.key if owner else None)
        if head == "url":
            _url, channel, item_id, lang = key
            route = plan.item_routes.get((channel, item_id, lang))
            return _h(route.url if route else None)
        if head == "memo":
            keys = self.memos.get(key)
            if keys is None:
                return "unknown"  # never computed: whatever read it is stale
            return memo_digest(keys, self)
        item = site.by_key.get((key[0], key[1])) if len(key) >= 2 else None
        if item is None:
            return "-"
        return item_digest(item, key, self.images)

    def learn(self, key: Key, keys: tuple[Key, ...]) -> None:
        """A memo was computed in this build: its digest is that of what it read now."""
        self.memos[key] = keys
        self[key] = memo_digest(keys, self)
        self.pieces.pop(key, None)  # made from the digest it had before


def memo_digest(keys: tuple[Key, ...], digests: Mapping[Key, str]) -> str:
    """An index's digest: made from the digests of what computing it read (the same
    pieces a fingerprint sums, so a build hashes each key once)."""
    pieces = digests.pieces if isinstance(digests, Digests) else Pieces(digests)
    return f"{pieces.total(keys):032x}"


#: fingerprints and index digests are sums of 128-bit pieces, modulo 2**128
PIECE_MASK = (1 << 128) - 1


class Pieces(dict[Key, int]):
    """`key -> a 128-bit hash of the key and its digest`, made on first use.

    Fingerprints and index digests sum the pieces of the keys they read: one addition per
    key where hashing their text cost a join of ~90 bytes per key (a listing reads
    hundreds of keys; 3 million per build at 10,000 items)."""

    def __init__(self, digests: Mapping[Key, str]) -> None:
        super().__init__()
        self.digests = digests

    def __missing__(self, key: Key) -> int:
        text = repr(key) + "\x1d" + self.digests[key]
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16)
        piece = self[key] = int.from_bytes(digest.digest(), "big")
        return piece

    def total(self, keys: Iterable[Key]) -> int:
        """The sum of the pieces of `keys` (a set: the order does not count)."""
        return sum(map(self.__getitem__, keys)) & PIECE_MASK


def site_pages_digest(site: Site) -> str:
    pages = sorted(
        repr((key, page.document.content_hash if page.document else None, page.title))
        for key, page in list(site.sections.items()) + list(site.home.items())
    )
    return _h(pages, site.languages, sorted(site.data.items(), key=repr))
