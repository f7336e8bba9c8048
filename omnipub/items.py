"""The item model: validated, typed items with their per-channel views.

An `Item` is one language version of one piece of content. Translations share the `id`
(and therefore every fact); each channel sees an `ItemView`, the item with that channel's
presentation overrides merged in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markdown_it.token import Token

from .depends import touch, touch_body, touch_field
from .document import Document
from .markdown import Heading, LinkRef, Prerendered
from .permalinks import fill, uses_date


@dataclass(frozen=True)
class ChannelView:
    enabled: bool
    overrides: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class Item:
    id: str
    lang: str
    rel: str
    translation_key: str
    section: str | None
    type: str
    slug: str
    fields: dict[str, Any]
    document: Document
    channels: dict[str, ChannelView]
    visible: bool = True
    hidden_reason: str | None = None
    is_original: bool = True
    #: the folder the item lives in, below content/ (a page bundle's is its parent's)
    folder: str = ""
    #: its section's `[permalinks]` pattern, None for the folder's path
    permalink: str | None = None
    #: a page bundle's other files (site-relative paths), published beside its page
    resources: tuple[str, ...] = ()
    #: one view per channel, made on first use (a view merges fields and overrides)
    _views: dict[str, ItemView] = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**vars(self), "_views": {}}  # views are rebuilt where the item is unpickled

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.lang)

    @property
    def title(self) -> str:
        touch_field(self.key, "title")
        return str(self.fields.get("title", ""))

    @property
    def summary(self) -> str:
        touch_field(self.key, "summary")
        return str(self.fields.get("summary") or "")

    @property
    def date(self) -> dt.datetime | None:
        touch_field(self.key, "date")
        return self.fields.get("date")

    @property
    def updated(self) -> dt.datetime | None:
        touch_field(self.key, "updated")
        touch_field(self.key, "date")
        return self.fields.get("updated") or self.fields.get("date")

    @property
    def tags(self) -> list[str]:
        touch_field(self.key, "tags")
        return list(self.fields.get("tags") or [])

    @property
    def weight(self) -> int:
        touch_field(self.key, "weight")
        return int(self.fields.get("weight") or 0)

    def line_of(self, name: str) -> int | None:
        return self.document.line_of(name)

    def path_with(self, slug: str) -> str:
        """The item's path below a language prefix with this slug (see `ItemView.path`)."""
        if self.permalink is None:
            return f"{self.folder}/{slug}" if self.folder else slug
        filename = self.translation_key.rsplit("/", 1)[-1]
        date = self.date if uses_date(self.permalink) else None
        return fill(self.permalink, slug=slug, filename=filename, section=self.section, date=date)

    def in_channel(self, channel: str) -> bool:
        view = self.channels.get(channel)
        return bool(view and view.enabled)

    def view(self, channel: str) -> ItemView:
        found = self._views.get(channel)
        if found is None:
            view = ItemView(self, channel, self.channels.get(channel, ChannelView(False)))
            found = self._views.setdefault(channel, view)
        return found

    def sort_key(self) -> tuple[Any, ...]:
        """Newest first, then weight, then title, then source: a total, stable order."""
        stamp = self.date.timestamp() if self.date else 0.0
        return (-stamp, self.weight, self.title.lower(), self.rel)


class ItemView:
    """An item as one channel sees it; templates read fields as attributes."""

    __slots__ = ("item", "channel", "_view", "_merged")

    def __init__(self, item: Item, channel: str, channel_view: ChannelView) -> None:
        self.item = item
        self.channel = channel
        self._view = channel_view
        overrides = {k: v for k, v in channel_view.overrides.items() if k != "body"}
        self._merged = {**item.fields, **overrides}

    @property
    def channel_view(self) -> ChannelView:
        touch((*self.item.key, "c", self.channel))
        return self._view

    @property
    def _fields(self) -> dict[str, Any]:
        return self._merged

    @property
    def fields(self) -> Mapping[str, Any]:
        """The merged fields; each field read is recorded on its own."""
        return RecordedFields(self.item.key, self._fields)

    @property
    def options(self) -> Mapping[str, Any]:
        return self.channel_view.options

    @property
    def tokens(self) -> Sequence[Token]:
        """Parsed on demand (see Document.tokens); prefer `prerendered`."""
        touch_body(self.item.key)
        return self.item.document.tokens_for(self.channel)

    @property
    def prerendered(self) -> Prerendered:
        touch_body(self.item.key)
        doc = self.item.document
        return doc.channel_pre.get(self.channel, doc.pre)

    @property
    def headings(self) -> Sequence[Heading]:
        touch_body(self.item.key)
        return self.item.document.headings

    @property
    def links(self) -> Sequence[LinkRef]:
        touch_body(self.item.key)
        return self.item.document.links

    @property
    def id(self) -> str:
        return self.item.id

    @property
    def resources(self) -> tuple[str, ...]:
        """The files of the item's page bundle besides its Markdown (site-relative)."""
        touch(self.item.key)
        return self.item.resources

    @property
    def path(self) -> str:
        """Where the item lives below a channel's language prefix, without outer slashes:
        its folder and slug (`docs/guides/filters`), or its section's permalink pattern
        filled in. The slug is this channel's (`channels.web.slug` applies)."""
        item = self.item
        touch(item.key)
        touch_field(item.key, "slug")
        return item.path_with(str(self._fields.get("slug") or item.slug))

    @property
    def lang(self) -> str:
        return self.item.lang

    @property
    def type(self) -> str:
        touch(self.item.key)
        return self.item.type

    @property
    def section(self) -> str | None:
        touch(self.item.key)
        return self.item.section

    @property
    def rel(self) -> str:
        touch(self.item.key)
        return self.item.rel

    @property
    def title(self) -> str:
        touch_field(self.item.key, "title")
        return str(self._fields.get("title", ""))

    @property
    def summary(self) -> str:
        touch_field(self.item.key, "summary")
        return str(self._fields.get("summary") or "")

    @property
    def tags(self) -> list[str]:
        touch_field(self.item.key, "tags")
        return self.item.tags

    @property
    def date(self) -> dt.datetime | None:
        touch_field(self.item.key, "date")
        return self.item.date

    @property
    def updated(self) -> dt.datetime | None:
        touch_field(self.item.key, "updated")
        touch_field(self.item.key, "date")
        return self.item.updated

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        touch_field(self.item.key, name)
        return self._fields.get(name)

    def line_of(self, name: str) -> int | None:
        line = self.item.document.line_of(f"channels.{self.channel}.{name}")
        return line or self.item.line_of(name)


class RecordedFields(Mapping[str, Any]):
    """An item's fields as a render reads them: each look-up is a dependency on that field
    alone, a walk over all of them a dependency on every field (key `"*"`)."""

    __slots__ = ("_key", "_fields")

    def __init__(self, key: tuple[str, str], fields: Mapping[str, Any]) -> None:
        self._key, self._fields = key, fields

    def __getitem__(self, name: str) -> Any:
        touch_field(self._key, name)
        return self._fields[name]

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            touch_field(self._key, name)
        return name in self._fields

    def __iter__(self) -> Iterator[str]:
        touch_field(self._key, "*")
        return iter(self._fields)

    def __len__(self) -> int:
        touch_field(self._key, "*")
        return len(self._fields)
