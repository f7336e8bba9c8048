"""Model: documents become a `Site` — items, sections, translations, taxonomies, visibility.

Pure: no file I/O and no channel code. What the model needs to know of channels (which item
types join a channel by default, which per-channel options it accepts) arrives as data.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .components import Registry
from .config import SiteConfig
from .diagnostics import Diagnostics, Location
from .discover import markdown_stem
from .document import Document, split_language
from .foreign import what_and_hint
from .frontmatter import unknown_key_hint
from .ids import Lock, assign_ids
from .items import ChannelView, Item
from .paths import ID_HINT, UnsafePath, check_site_path, check_slug, id_problem, slugify
from .permalinks import uses_date
from .schema import PRESENTATION_FIELDS, CoercionError, FieldSpec, coerce
from .taxonomy import check_tags


@dataclass(frozen=True)
class ChannelTraits:
    """What the model must know of a channel, as data."""

    name: str
    default_types: frozenset[str] | None = None  # None: every type joins
    option_fields: Mapping[str, FieldSpec] = field(default_factory=dict)


@dataclass
class SectionPage:
    """A folder's `_index.md`: its title, summary and body per language. `name` is the
    section's path below content/ (`docs/guides`)."""

    name: str
    lang: str
    title: str
    summary: str
    document: Document | None
    aliases: list[str] = field(default_factory=list)
    weight: int = 0


#: what an `_index.md` may say (the rest of its front matter is reported)
SECTION_FIELDS: dict[str, FieldSpec] = {
    "title": FieldSpec("string"),
    "summary": FieldSpec("text"),
    "aliases": FieldSpec("list"),
    "weight": FieldSpec("int"),
    "cascade": FieldSpec("mapping"),
    "lang": FieldSpec("string"),
    "translation_of": FieldSpec("path"),
}


@dataclass
class Site:
    config: SiteConfig
    now: dt.datetime
    items: list[Item]
    sections: dict[tuple[str, str], SectionPage]
    home: dict[str, SectionPage]
    data: dict[str, Any]
    lock: Lock
    include_drafts: bool = False
    #: the components content may use: built-ins and the site's own
    components: Registry = field(default_factory=Registry)
    #: every section's path (`docs`, `docs/guides`): top-level folders with items and
    #: folders with an `_index.md`, at any depth
    section_paths: list[str] = field(default_factory=list)
    by_key: dict[tuple[str, str], Item] = field(default_factory=dict)
    by_rel: dict[str, Item] = field(default_factory=dict)
    #: section -> its parent, made on first use (sections never change within a site)
    _parents: dict[str, str | None] = field(default_factory=dict, repr=False)
    #: page bundle folder -> its original item's key, made on first use
    _bundles: dict[str, tuple[str, str]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.items.sort(key=lambda i: (i.rel, i.lang))
        self.by_key = {item.key: item for item in self.items}
        self.by_rel = {item.rel: item for item in self.items}

    def with_items(self, made: Mapping[tuple[str, str], Item], now: dt.datetime) -> Site:
        """This site at `now` with `made` in place of the items of the same keys: a new value
        that shares every other item and leaves this one as it is (a live rebuild's)."""
        new = copy.copy(self)  # the same keys in the same order: no sorting again
        swap = self.replaced_by(made)
        new.items = [swap.get(id(item), item) for item in self.items]
        new.by_key = {**self.by_key, **made}
        new.by_rel = {**self.by_rel, **{item.rel: item for item in made.values()}}
        new.now = now
        return new

    def replaced_by(self, made: Mapping[tuple[str, str], Item]) -> dict[int, Item]:
        """id of each of this site's items that `made` replaces -> its new item: what a
        live rebuild swaps, by identity, wherever the old items are held."""
        return {id(self.by_key[key]): item for key, item in made.items() if key in self.by_key}

    @property
    def languages(self) -> list[str]:
        """Default language first, then the others in name order."""
        default = self.config.default_language
        return [default] + sorted(c for c in self.config.languages if c != default)

    def visible(self, channel: str | None = None, lang: str | None = None) -> list[Item]:
        found = [
            i
            for i in self.items
            if i.visible
            and (channel is None or i.in_channel(channel))
            and (lang is None or i.lang == lang)
        ]
        found.sort(key=Item.sort_key)
        return found

    def hidden(self) -> list[Item]:
        return [i for i in self.items if not i.visible]

    def translations(self, item: Item) -> dict[str, Item]:
        return {
            lang: self.by_key[(item.id, lang)]
            for lang in self.languages
            if (item.id, lang) in self.by_key
        }

    def section_names(self) -> list[str]:
        """Every section's path, at any depth, in path order (parents before children)."""
        if self.section_paths:
            return list(self.section_paths)
        names = {i.section for i in self.items if i.section}
        names |= {name for name, _lang in self.sections}
        return sorted(names)

    def parent_section(self, name: str) -> str | None:
        """The nearest enclosing section (None for a top-level one)."""
        names = self.section_names()  # (recorded: the answer depends on every section)
        if not self._parents:
            known = set(names)
            for section in names:
                probe = posixpath.dirname(section)
                while probe and probe not in known:
                    probe = posixpath.dirname(probe)
                self._parents[section] = probe or None
        return self._parents.get(name)

    def subsections(self, name: str | None) -> list[str]:
        """The sections whose nearest enclosing section is `name` (None: the top level)."""
        return [s for s in self.section_names() if self.parent_section(s) == name]

    def subtree_counts(self, direct: Mapping[str | None, int]) -> dict[str, int]:
        """Section -> how many items it and the sections inside it hold, from the count
        directly in each (a section with items only in its subsections still lists them)."""
        counts: dict[str, int] = dict.fromkeys(self.section_names(), 0)
        for section, count in direct.items():
            for name in self.section_chain(section):
                counts[name] = counts.get(name, 0) + count
        return counts

    def section_chain(self, name: str | None) -> list[str]:
        """`name` and the sections enclosing it, outermost first (for breadcrumbs)."""
        chain: list[str] = []
        while name:
            chain.insert(0, name)
            name = self.parent_section(name)
        return chain

    def bundle_at(self, rel: str) -> Item | None:
        """The page bundle (its original) whose folder holds the file `rel`, hidden or not:
        links to a bundle's files lead to where its pages publish them."""
        if self._bundles is None:
            self._bundles = {
                i.translation_key: i.key
                for i in self.items
                if i.is_original and posixpath.dirname(i.rel) == i.translation_key
            }
        folder = posixpath.dirname(rel)
        while folder.startswith("content/"):
            key = self._bundles.get(folder)
            if key is not None:
                return self.by_key[key]
            folder = posixpath.dirname(folder)
        return None

    def section_page(self, name: str, lang: str) -> SectionPage:
        return (
            self.sections.get((name, lang))
            or self.sections.get((name, self.config.default_language))
            or SectionPage(name, lang, self.config.section_title(name), "", None)
        )


def _cascades(
    docs: Mapping[str, Document], config: SiteConfig, diagnostics: Diagnostics
) -> dict[str, dict[str, Any]]:
    """Folder -> merged cascade defaults, from `_index.md` files, outer folders first."""
    own: dict[str, dict[str, Any]] = {}
    for rel, doc in docs.items():
        name = posixpath.basename(rel)
        stem, lang = split_language(markdown_stem(name) or name, set(config.languages))
        if stem != "_index" or lang:
            continue
        cascade = doc.data.get("cascade", {})
        if not isinstance(cascade, dict):
            diagnostics.error(
                "front-matter.type",
                "'cascade' must be a mapping of default fields",
                Location(rel, doc.line_of("cascade")),
                "write cascade: {type: product, currency: NOK}",
            )
            continue
        own[posixpath.dirname(rel)] = _checked_cascade(doc, cascade, config, diagnostics)
    merged: dict[str, dict[str, Any]] = {}
    for folder in sorted(own, key=lambda f: f.count("/")):
        parent: dict[str, Any] = {}
        probe = folder
        while probe and probe != "content":
            probe = posixpath.dirname(probe)
            if probe in merged:
                parent = merged[probe]
                break
        merged[folder] = {**parent, **own[folder]}
    return merged


def _checked_cascade(
    doc: Document, cascade: dict[str, Any], config: SiteConfig, diagnostics: Diagnostics
) -> dict[str, Any]:
    """The cascade without the values its fields cannot take, each reported where it is
    written: passed down, one bad default would be reported once per item below it, at a
    line of the item that does not hold it."""
    types = config.types
    declared = str(cascade.get("type") or "")
    kept: dict[str, Any] = {}
    known = (
        set(types.fields_for(declared))
        if declared in types.types
        else {name for type_name in types.types for name in types.fields_for(type_name)}
    )
    for key, value in cascade.items():
        if key not in known:
            line = doc.line_of(f"cascade.{key}") or doc.line_of("cascade")
            what = f"type {declared!r}" if declared in types.types else "any type"
            diagnostics.warning(
                "front-matter.unknown",
                f"unknown field 'cascade.{key}' (no field of {what}): it is passed to no item",
                Location(doc.rel, line),
                unknown_key_hint(
                    key, sorted(known), "declare it under [types.NAME.fields] in omnipub.toml"
                ),
            )
            continue
        if declared:
            spec = types.fields_for(declared).get(key) if declared in types.types else None
        else:  # the items' types decide; check only what every type reads the same way
            specs = {types.fields_for(name).get(key) for name in types.types}
            spec = specs.pop() if len(specs) == 1 else None
        if spec is None or value is None or key in ("channels", "cascade"):
            kept[key] = value
            continue
        try:
            coerce(spec, value, config.timezone)
        except CoercionError as exc:
            line = doc.line_of(f"cascade.{key}") or doc.line_of("cascade")
            diagnostics.error(
                "front-matter.type",
                f"'cascade.{key}' {exc}",
                Location(doc.rel, line, getattr(value, "column", None) if line else None),
                exc.hint,
            )
            continue
        kept[key] = value
    return kept


def _cascade_for(rel: str, cascades: dict[str, dict[str, Any]]) -> dict[str, Any]:
    folder = posixpath.dirname(rel)
    while folder:
        if folder in cascades:
            return cascades[folder]
        if folder == "content":
            break
        folder = posixpath.dirname(folder)
    return {}


def _stem(rel: str) -> str:
    """The file name without its Markdown suffix."""
    name = posixpath.basename(rel)
    return markdown_stem(name) or name


def _content_path(folder: str) -> str:
    """`content/docs/guides` -> `docs/guides`; content/ itself is ``."""
    return folder[len("content/") :] if folder.startswith("content/") else ""


def _item_key(folder: str, stem: str, index_folders: set[str]) -> str:
    """A page bundle (`post/index.md`, `post/index.nb.md`) is the item `post`; a folder with
    an `_index.md` is a section, so its `index.md` is not a bundle (it is reported)."""
    if stem == "index" and folder != "content" and folder not in index_folders:
        return folder
    return posixpath.join(folder, stem)


def _section_of(key: str, sections: set[str]) -> str | None:
    """The nearest section enclosing the item `key` (`content/docs/guides/filters`)."""
    probe = _content_path(posixpath.dirname(key))
    while probe:
        if probe in sections:
            return probe
        probe = posixpath.dirname(probe)
    return None


def find_sections(documents: Mapping[str, Document], languages: set[str]) -> set[str]:
    """Section paths: every folder with an `_index.md`, and every top-level folder that
    holds an item (a bundle at the top, `content/about/index.md`, is an item, not a
    section)."""
    index_folders = _index_folders(documents, languages)
    found = {_content_path(f) for f in index_folders if f != "content"}
    for rel in documents:
        stem, _lang = split_language(_stem(rel), languages)
        if stem == "_index":
            continue
        parts = _item_key(posixpath.dirname(rel), stem, index_folders).split("/")
        if len(parts) > 2:
            found.add(parts[1])
    return found


def _index_folders(documents: Mapping[str, Document], languages: set[str]) -> set[str]:
    return {
        posixpath.dirname(rel)
        for rel in documents
        if split_language(_stem(rel), languages)[0] == "_index"
    }


def permalink_for(section: str | None, permalinks: Mapping[str, str]) -> str | None:
    """The `[permalinks]` pattern of the nearest section that sets one."""
    probe = section
    while probe:
        if probe in permalinks:
            return permalinks[probe]
        probe = posixpath.dirname(probe)
    return None


class _ItemBuilder:
    def __init__(
        self,
        config: SiteConfig,
        traits: Mapping[str, ChannelTraits],
        diagnostics: Diagnostics,
    ) -> None:
        self.config = config
        self.traits = traits
        self.diagnostics = diagnostics
        self.zone = config.timezone
        #: section paths, and the folders holding an `_index.md` (see `find_sections`)
        self.sections: set[str] = set()
        self.index_folders: set[str] = set()

    def error(
        self,
        doc: Document,
        code: str,
        message: str,
        key: str | None,
        hint: str | None = None,
        value: Any = None,
        group: tuple[str, ...] | None = None,
        group_hint: str | None = None,
    ) -> None:
        """Report at `key`'s line, and at the column of `value` when it was read from there;
        `group` names the problem when many files may share it (see `diagnostics.collapsed`)."""
        line = doc.line_of(key) if key else None
        column = getattr(value, "column", None) if line else None
        where = Location(doc.rel, line or 1, column)
        self.diagnostics.error(
            code, message, where, hint, group=group, group_hint=group_hint or hint
        )

    def warning(
        self,
        doc: Document,
        code: str,
        message: str,
        key: str | None,
        hint: str | None = None,
        group: tuple[str, ...] | None = None,
        group_hint: str | None = None,
    ) -> None:
        line = doc.line_of(key) if key else None
        where = Location(doc.rel, line or 1)
        self.diagnostics.warning(
            code, message, where, hint, group=group, group_hint=group_hint or hint
        )

    def section_page(self, doc: Document, name: str, lang: str) -> SectionPage:
        """An `_index.md`, its front matter checked like an item's: a typo in it (`sumary:`)
        is reported, not silently dropped."""
        values: dict[str, Any] = {}
        for key, value in doc.data.items():
            spec = SECTION_FIELDS.get(key)
            if spec is None:
                self.warning(
                    doc,
                    "front-matter.unknown",
                    f"unknown field {key!r} for a section's _index.md",
                    key,
                    unknown_key_hint(
                        key,
                        sorted(SECTION_FIELDS),
                        f"an _index.md reads: {', '.join(sorted(SECTION_FIELDS))}; defaults "
                        "for the section's items go under cascade:",
                    ),
                )
                continue
            if value is None or key in ("cascade", "lang", "translation_of"):
                continue
            try:
                values[key] = coerce(spec, value, self.zone)
            except CoercionError as exc:
                self.error(doc, "front-matter.type", f"{key!r} {exc}", key, exc.hint, value)
        aliases = []
        for alias in values.get("aliases") or []:
            try:
                aliases.append(check_site_path(str(alias)))
            except UnsafePath as exc:
                self.error(doc, "url.unsafe", f"alias {exc}", "aliases", "write /old/path/")
        title = str(values.get("title") or "")
        return SectionPage(
            name=name,
            lang=lang,
            title=title or (self.config.section_title(name) if name else ""),
            summary=str(values.get("summary") or ""),
            document=doc,
            aliases=aliases,
            weight=int(values.get("weight") or 0),
        )

    def validate(
        self, doc: Document, raw: Mapping[str, Any], type_name: str, is_translation: bool
    ) -> dict[str, Any]:
        specs = self.config.types.fields_for(type_name)
        fields: dict[str, Any] = {}
        for name, value in raw.items():
            spec = specs.get(name)
            if spec is None:
                if name not in doc.data:
                    continue  # a cascade's key for other types (checked at its _index.md)
                declare = (
                    f"declare it under [types.{type_name}.fields] in omnipub.toml, or check "
                    "its spelling"
                )
                self.warning(
                    doc,
                    "front-matter.unknown",
                    f"unknown field {name!r} for type {type_name!r}",
                    name,
                    unknown_key_hint(name, sorted(specs), declare),
                    group=("unknown-field", type_name, name),
                    group_hint=unknown_key_hint(name, sorted(specs), declare),
                )
                continue
            if name in ("channels", "cascade") or value is None:
                continue
            try:
                fields[name] = coerce(spec, value, self.zone)
            except CoercionError as exc:
                self.error(doc, "front-matter.type", f"{name!r} {exc}", name, exc.hint, value)
                continue
            if spec.kind == "stores":
                fields[name] = self.known_stores(doc, name, value)
            elif spec.kind == "store" and self.config.stores:
                self.known_stores(doc, name, value)  # one id, reported where written
        if not is_translation:
            for name, spec in specs.items():
                if spec.required and name not in fields and name not in raw:
                    folder = posixpath.dirname(doc.rel)
                    self.error(
                        doc,
                        "front-matter.required",
                        f"{type_name} items need {name!r}",
                        None,
                        f"add '{name}: ...' to the front matter",
                        group=("required", type_name, name, folder),
                        group_hint=f"when they share one value, set it once for the folder: in "
                        f"{folder}/_index.md write 'cascade: {{{name}: ...}}'; else add "
                        f"'{name}: ...' to each file",
                    )
        return fields

    def known_stores(self, doc: Document, name: str, value: Any) -> list[str]:
        """The store ids of a `stores` (or `store`) field, each one of the site's [[stores]];
        an unknown one is an error where it is written (a typo would hide the store from
        the page, or an event from its store's screens)."""
        known = self.config.stores
        entries = value if isinstance(value, list) else [value]
        found: list[str] = []
        for entry in entries:
            store_id = str(entry)
            if store_id in known:
                if store_id not in found:
                    found.append(store_id)
                continue
            line = getattr(entry, "line", None) or doc.line_of(name) or 1
            self.diagnostics.error(
                "front-matter.store",
                f"{name!r} names store {store_id!r}, which is not one of the site's stores",
                Location(doc.rel, line, getattr(entry, "column", None)),
                _store_hint(store_id, sorted(known)),
            )
        return found

    def channel_views(
        self, doc: Document, item_type: str, raw_channels: Any, fields: dict[str, Any]
    ) -> dict[str, ChannelView]:
        known = self.traits
        facts = self.config.types.facts_for(item_type)
        views: dict[str, ChannelView] = {}
        default_on = {
            name: (t.default_types is None or item_type in t.default_types)
            for name, t in known.items()
        }
        if raw_channels is None:
            return {name: ChannelView(on) for name, on in default_on.items()}
        if isinstance(raw_channels, list):
            wanted = [str(n) for n in raw_channels]
            for name in wanted:
                if name not in known:
                    self._unknown_channel(doc, name)
            return {name: ChannelView(name in wanted) for name in known}
        if not isinstance(raw_channels, dict):
            self.error(
                doc,
                "front-matter.type",
                "'channels' must be a list of channel names or a mapping of overrides",
                "channels",
                "write channels: [web, app] or channels: {signage: {title: ...}}",
            )
            return {name: ChannelView(on) for name, on in default_on.items()}
        for name in raw_channels:
            if name not in known:
                self._unknown_channel(doc, str(name))
        for name, traits in known.items():
            entry = raw_channels.get(name)
            if entry is None:
                views[name] = ChannelView(default_on[name])
                continue
            if isinstance(entry, str) and entry.lower() in ("false", "no", "off", "true", "yes"):
                entry = entry.lower() in ("true", "yes")
            if isinstance(entry, bool):
                views[name] = ChannelView(entry)
                continue
            if not isinstance(entry, dict):
                self.error(
                    doc,
                    "front-matter.type",
                    f"'channels.{name}' must be true, false or a mapping of overrides",
                    f"channels.{name}",
                )
                continue
            views[name] = self._overrides(doc, name, traits, entry, item_type, facts)
        return views

    def _unknown_channel(self, doc: Document, name: str) -> None:
        self.error(
            doc,
            "channel.unknown",
            f"unknown channel {name!r}",
            f"channels.{name}" if doc.line_of(f"channels.{name}") else "channels",
            f"available channels: {', '.join(sorted(self.traits))}",
        )

    def _overrides(
        self,
        doc: Document,
        name: str,
        traits: ChannelTraits,
        entry: dict[str, Any],
        item_type: str,
        facts: frozenset[str],
    ) -> ChannelView:
        specs = self.config.types.fields_for(item_type)
        overrides: dict[str, Any] = {}
        options: dict[str, Any] = {}
        enabled = True
        for key, value in entry.items():
            where = f"channels.{name}.{key}"
            if key == "enabled":
                enabled = str(value).lower() in ("true", "yes", "on")
            elif key in facts:
                self.error(
                    doc,
                    "front-matter.fact-override",
                    f"{key!r} states a fact and cannot be overridden for the {name} channel",
                    where,
                    f"facts are one value on every channel; set {key!r} once at the top level",
                )
            elif key in PRESENTATION_FIELDS:
                if key == "body":
                    overrides["body"] = True
                    continue
                try:
                    overrides[key] = coerce(specs[key], value, self.zone)
                except CoercionError as exc:
                    message = f"{where!r} {exc}"
                    self.error(doc, "front-matter.type", message, where, exc.hint, value)
            elif key in traits.option_fields:
                try:
                    options[key] = coerce(traits.option_fields[key], value, self.zone)
                except CoercionError as exc:
                    message = f"{where!r} {exc}"
                    self.error(doc, "front-matter.type", message, where, exc.hint, value)
            else:
                allowed = sorted(PRESENTATION_FIELDS | set(traits.option_fields))
                self.warning(
                    doc,
                    "front-matter.unknown",
                    f"unknown override {key!r} for the {name} channel",
                    where,
                    f"the {name} channel accepts: {', '.join(allowed)}",
                )
        if "slug" in overrides:
            try:
                overrides["slug"] = check_slug(str(overrides["slug"]))
            except UnsafePath as exc:
                self.error(doc, "url.unsafe", str(exc), f"channels.{name}.slug")
                del overrides["slug"]
        return ChannelView(enabled, overrides, options)


def _store_hint(store_id: str, known: list[str]) -> str:
    if not known:
        return 'list the site\'s stores in omnipub.toml: [[stores]] id = "oslo", name = "..."'
    close = difflib.get_close_matches(store_id, known, n=1, cutoff=0.6)
    return (f"did you mean {close[0]!r}? " if close else "") + f"stores: {', '.join(known)}"


def _visibility(item: Item, now: dt.datetime, include_drafts: bool) -> str | None:
    fields = item.fields
    if fields.get("draft") and not include_drafts:
        return "draft"
    publish_at = fields.get("publish_at")
    if publish_at and publish_at > now:
        return "future"
    expire_at = fields.get("expire_at")
    if item.type == "promotion" and fields.get("valid_until"):
        until = fields["valid_until"]
        expire_at = min(expire_at, until) if expire_at else until
    if expire_at and expire_at <= now:
        return "expired"
    return None


def _apply_visibility(
    item: Item, original: Item | None, now: dt.datetime, include_drafts: bool
) -> None:
    """A translation is hidden when its original is."""
    reason = _visibility(item, now, include_drafts)
    if original is not None:
        reason = reason or _visibility(original, now, include_drafts)
    if reason:
        item.visible = False
        item.hidden_reason = reason


def next_change(site: Site, items: Iterable[Item] | None = None) -> dt.datetime | None:
    """The first instant after the build's at which some item (of `items`, else of the
    site) appears or disappears."""
    later = []
    for item in site.items if items is None else items:
        for name in ("publish_at", "expire_at", "valid_until"):
            value = item.fields.get(name)
            if isinstance(value, dt.datetime) and value > site.now:
                later.append(value)
    return min(later, default=None)


def remake_items(
    site: Site,
    changed: Mapping[str, Document],
    documents: Mapping[str, Document],
    traits: Mapping[str, ChannelTraits],
    diagnostics: Diagnostics,
) -> dict[tuple[str, str], Item] | None:
    """New items for edited documents (and the translations that inherit from them).

    None when an edit changes what the site is made of (an item's id, language, original or
    a section's defaults): the caller then builds the whole model again."""
    config = site.config
    languages = set(config.languages)
    todo: dict[tuple[str, str], Document] = {}
    for rel, doc in changed.items():
        old = site.by_rel.get(rel)
        stem, lang = split_language(_stem(rel), languages)
        if old is None or stem == "_index":
            return None
        previous = old.document
        for name in ("id", "lang", "translation_of"):
            if doc.data.get(name) != previous.data.get(name):
                return None
        todo[old.key] = doc
        if old.is_original:  # translations inherit the original's facts
            for other in site.translations(old).values():
                todo.setdefault(other.key, other.document)
    builder = _ItemBuilder(config, traits, diagnostics)
    builder.sections = set(site.section_paths)
    builder.index_folders = _index_folders(documents, languages)
    index_docs = {
        rel: doc
        for rel, doc in documents.items()
        if "_index" in rel and posixpath.basename(rel).startswith("_index")
    }
    cascades = _cascades(index_docs, config, diagnostics)
    made: dict[tuple[str, str], Item] = {}
    for key in sorted(todo, key=lambda k: (k[1] != config.default_language, k)):
        old = site.by_key[key]
        original = None
        if not old.is_original:
            original_key = (old.id, config.default_language)
            original = made.get(original_key) or site.by_key.get(original_key)
            if original is None:
                return None
        report_foreign(todo[key], diagnostics)
        item = _make_item(
            builder, todo[key], old.translation_key, old.id, old.lang, cascades, original
        )
        if item is None:
            return made  # the error is reported; the build fails
        item.resources = old.resources  # a new file in a bundle is not an edit of its page
        _apply_visibility(item, original, site.now, site.include_drafts)
        made[key] = item
    return made


def build_site(
    config: SiteConfig,
    documents: Mapping[str, Document],
    traits: Mapping[str, ChannelTraits],
    lock: Lock,
    now: dt.datetime,
    diagnostics: Diagnostics,
    include_drafts: bool = False,
    data: dict[str, Any] | None = None,
    components: Registry | None = None,
    assets: Sequence[str] = (),
) -> Site:
    """Turn parsed documents into the site model (no I/O); `assets` are the other files in
    content/, of which those in a page bundle's folder become its resources."""
    languages = set(config.languages)
    builder = _ItemBuilder(config, traits, diagnostics)
    builder.index_folders = _index_folders(documents, languages)
    builder.sections = find_sections(documents, languages)
    _check_permalinks(config, builder.sections, diagnostics)
    _check_store_pages(config, documents, diagnostics)
    cascades = _cascades(documents, config, diagnostics)
    sections: dict[tuple[str, str], SectionPage] = {}
    home: dict[str, SectionPage] = {}
    originals: dict[str, Document] = {}
    translations: list[tuple[str, str, Document]] = []

    for rel in sorted(documents):
        doc = documents[rel]
        report_foreign(doc, diagnostics)
        stem, lang = split_language(_stem(rel), languages)
        declared_lang = doc.data.get("lang")
        if declared_lang is not None and lang is None:
            lang = str(declared_lang)
            if lang not in languages:
                builder.error(
                    doc,
                    "front-matter.lang",
                    f"language {lang!r} is not configured",
                    "lang",
                    f"configure [languages.{lang}] in omnipub.toml, or use one of "
                    f"{', '.join(sorted(languages))}",
                )
                continue
        lang = lang or config.default_language
        folder = posixpath.dirname(rel)
        if stem == "_index":
            page = builder.section_page(doc, _content_path(folder), lang)
            if folder == "content":
                home[lang] = page
            else:
                sections[(page.name, lang)] = page
            continue
        if stem == "index" and folder in builder.index_folders and folder != "content":
            builder.error(
                doc,
                "bundle.conflict",
                f"{folder}/ has both an _index.md (a section) and an index.md (a page bundle)",
                None,
                "a folder is a section or one page: rename index.md to the page's name, or "
                "delete the _index.md",
            )
            continue
        key = _item_key(folder, stem, builder.index_folders)
        target = doc.data.get("translation_of")
        if target is not None:
            original_rel = posixpath.normpath(posixpath.join(folder, str(target)))
            original_stem = split_language(_stem(original_rel), languages)[0]
            key = _item_key(posixpath.dirname(original_rel), original_stem, builder.index_folders)
            if lang == config.default_language:
                builder.error(
                    doc,
                    "translation.lang",
                    "a translation needs a language other than the default",
                    "translation_of",
                    "add 'lang: nb' (or name the file like item.nb.md)",
                )
                continue
        if lang != config.default_language:
            translations.append((key, lang, doc))
        elif key in originals:
            bundle = next((d.rel for d in (originals[key], doc) if _stem(d.rel) == "index"), None)
            if bundle is not None:
                builder.error(
                    doc,
                    "url.collision",
                    f"{originals[key].rel} and this file are both the page {_content_path(key)}",
                    None,
                    f"{bundle} is a page bundle: its folder is the page; keep one of the two "
                    "(move the other file's text into it)",
                )
            else:
                builder.error(doc, "translation.duplicate", f"two originals for {key}", None)
        else:
            originals[key] = doc

    for key, _lang, doc in translations:
        if key not in originals:
            builder.error(
                doc,
                "translation.orphan",
                f"translation has no original ({key}.md in the default language "
                f"{config.default_language!r})",
                "translation_of" if doc.data.get("translation_of") else None,
                "create the original, or fix translation_of",
            )

    explicit_ids: dict[str, tuple[str | None, str]] = {}
    seen_ids: dict[str, str] = {}
    for key, doc in originals.items():
        given = doc.data.get("id")
        given_text = str(given) if given is not None else None
        problem = id_problem(given_text) if given_text is not None else None
        if problem:
            builder.error(doc, "id.invalid", problem, "id", ID_HINT, given)
            given_text = None  # reported; a derived id keeps the rest of the build going
        if given_text is not None:
            if given_text in seen_ids:
                builder.error(
                    doc,
                    "id.duplicate",
                    f"id {given_text!r} is already used by {seen_ids[given_text]}",
                    "id",
                    "ids are unique; give this item another one",
                )
            seen_ids[given_text] = doc.rel
        explicit_ids[key] = (given_text, doc.content_hash)
    ids, new_lock = assign_ids(explicit_ids, lock)

    items: list[Item] = []
    original_items: dict[str, Item] = {}
    bundles = {key for key, doc in originals.items() if posixpath.dirname(doc.rel) == key}
    resources = _resources(bundles, assets)
    for key, doc in sorted(originals.items()):
        item = _make_item(builder, doc, key, ids[key], config.default_language, cascades, None)
        if item:
            item.resources = resources.get(key, ())
            items.append(item)
            original_items[key] = item
    for key, lang, doc in translations:
        original = original_items.get(key)
        if original is None:
            continue
        item = _make_item(builder, doc, key, original.id, lang, cascades, original)
        if item:
            item.resources = original.resources
            items.append(item)

    seen_lang: dict[tuple[str, str], str] = {}
    for item in items:
        original = None if item.is_original else original_items[item.translation_key]
        _apply_visibility(item, original, now, include_drafts)
        if item.key in seen_lang:
            builder.error(
                item.document,
                "translation.duplicate",
                f"{seen_lang[item.key]} is already the {item.lang!r} version of this item",
                None,
            )
        seen_lang[item.key] = item.rel
    check_tags(items, diagnostics)
    return Site(
        config=config,
        now=now,
        items=[i for i in items if (i.id, i.lang) in seen_lang],
        sections=sections,
        home=home,
        data=data or {},
        lock=new_lock,
        include_drafts=include_drafts,
        components=components or Registry(),
        section_paths=sorted(builder.sections),
    )


def report_foreign(doc: Document, diagnostics: Diagnostics) -> None:
    """Other tools' template code in a body: it would show as literal text."""
    for found in doc.foreign:
        what, hint = what_and_hint(found.kind)
        diagnostics.warning(
            "content.foreign-syntax",
            f"{what} ({found.text}) is not run here: it shows as literal text",
            Location(doc.rel, found.line, found.column),
            hint,
            group=("foreign", found.kind),
            group_message=f"{what} is not run here: it shows as literal text",
        )


def _resources(bundles: set[str], assets: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Bundle key (its folder) -> the files below that folder, in path order."""
    found: dict[str, list[str]] = {}
    for rel in sorted(assets):
        folder = posixpath.dirname(rel)
        while folder.startswith("content/"):
            if folder in bundles:
                found.setdefault(folder, []).append(rel)
                break
            folder = posixpath.dirname(folder)
    return {key: tuple(files) for key, files in found.items()}


def _check_permalinks(config: SiteConfig, sections: set[str], diagnostics: Diagnostics) -> None:
    """A `[permalinks]` entry for a section that does not exist is a typo until proven
    otherwise: nothing would use it."""
    for name in sorted(set(config.permalinks) - sections):
        close = difflib.get_close_matches(name, sorted(sections), n=1)
        diagnostics.warning(
            "config.permalink",
            f"[permalinks] names section {name!r}, which does not exist",
            Location("omnipub.toml"),
            f"did you mean {close[0]!r}?"
            if close
            else f"sections: {', '.join(sorted(sections)) or 'none'}",
        )


def _check_store_pages(
    config: SiteConfig, documents: Mapping[str, Document], diagnostics: Diagnostics
) -> None:
    """A store's `page` names a content file: one that is not there would leave the store
    unlinked on every product page that names it."""
    pages = sorted(rel.removeprefix("content/") for rel in documents)
    for store in config.stores.values():
        if store.page and f"content/{store.page}" not in documents:
            close = difflib.get_close_matches(store.page, pages, n=1)
            diagnostics.error(
                "config.value",
                f"store {store.id!r}: page {store.page!r} is not a file in content/",
                Location("omnipub.toml", store.line),
                f"did you mean {close[0]!r}?"
                if close
                else "write the file's path inside content/, such as stores/oslo.md",
            )


def _make_item(
    builder: _ItemBuilder,
    doc: Document,
    key: str,
    item_id: str,
    lang: str,
    cascades: dict[str, dict[str, Any]],
    original: Item | None,
) -> Item | None:
    config = builder.config
    cascade = _cascade_for(doc.rel, cascades)
    raw = {**cascade, **doc.data}
    section = _section_of(key, builder.sections)
    type_name = str(raw.get("type") or (original.type if original else None) or "")
    if not type_name:
        type_name = "article" if section else "page"
    if type_name not in config.types.types:
        builder.error(
            doc,
            "front-matter.type",
            f"unknown type {type_name!r}",
            "type",
            f"types: {', '.join(sorted(config.types.types))}; declare new ones under [types]",
        )
        return None
    if "title" not in raw and doc.headings and doc.headings[0].level == 1:
        raw["title"] = doc.headings[0].text
    fields = builder.validate(doc, raw, type_name, original is not None)
    if original is not None:
        facts = config.types.facts_for(type_name)
        for name in sorted(facts):
            if name in fields and name in original.fields and fields[name] != original.fields[name]:
                builder.error(
                    doc,
                    "translation.fact",
                    f"{name!r} is {fields[name]} here but {original.fields[name]} in "
                    f"{original.rel}: a translation cannot change a fact",
                    name,
                    f"remove {name!r} from the translation; it inherits the original's value",
                )
        inherited = {k: v for k, v in original.fields.items() if k not in fields}
        inherited.pop("slug", None)
        inherited.pop("aliases", None)
        fields = {**inherited, **fields}
    publish_at, expire_at = fields.get("publish_at"), fields.get("expire_at")
    if publish_at and expire_at and publish_at >= expire_at:
        builder.error(
            doc,
            "front-matter.window",
            "'publish_at' is not before 'expire_at': the item would never be visible",
            "publish_at",
            "check both dates",
        )
    for start, end in (("valid_from", "valid_until"), ("start", "end")):
        if fields.get(start) and fields.get(end) and fields[start] > fields[end]:
            builder.error(
                doc,
                "front-matter.window",
                f"{start!r} is after {end!r}",
                start,
                "check both dates",
            )
    slug_text = fields.get("slug")
    if slug_text is not None:
        try:
            slug = check_slug(str(slug_text))
        except UnsafePath as exc:
            builder.error(
                doc,
                "url.unsafe",
                str(exc),
                "slug",
                "a slug is one segment of letters, digits and '-', such as winter-coat",
            )
            return None
    else:
        stem = posixpath.basename(key)
        slug = slugify(stem)
    aliases = []
    for alias in fields.get("aliases") or []:
        try:
            aliases.append(check_site_path(alias))
        except UnsafePath as exc:
            builder.error(
                doc, "url.unsafe", f"alias {exc}", "aliases", "write aliases as /old/path/"
            )
    fields["aliases"] = aliases
    permalink = permalink_for(section, config.permalinks)
    if permalink and uses_date(permalink) and not fields.get("date"):
        builder.error(
            doc,
            "front-matter.required",
            f"section {section!r} has the dated permalink {permalink!r}, and this item has no date",
            None,
            "add 'date: 2026-05-01' to the front matter, or drop the date tokens from the "
            "section's [permalinks] pattern",
            group=("permalink-date", str(section)),
        )
        return None
    channels = builder.channel_views(doc, type_name, raw.get("channels"), fields)
    if original is not None:
        channels = _translated_views(original.channels, channels, raw.get("channels"))
    return Item(
        id=item_id,
        lang=lang,
        rel=doc.rel,
        translation_key=key,
        section=section,
        type=type_name,
        slug=slug,
        fields=fields,
        document=doc,
        channels=channels,
        is_original=original is None,
        folder=_content_path(posixpath.dirname(key)),
        permalink=permalink,
    )


def _translated_views(
    original: Mapping[str, ChannelView], own: Mapping[str, ChannelView], stated: Any
) -> dict[str, ChannelView]:
    """A translation's channel views: what it states replaces, the rest is the original's.

    A translation that shortens the signage title must not drop the slide's hours and days:
    options (targeting, schedules) and the on/off switch hold unless the translation states
    them. Presentation overrides are written in the original's language, so only the
    translation's own apply."""
    entries = stated if isinstance(stated, dict) else {}
    views: dict[str, ChannelView] = {}
    for name, base in original.items():
        mine, entry = own.get(name), entries.get(name)
        if mine is None or (entry is None and not isinstance(stated, list)):
            views[name] = ChannelView(base.enabled, {}, base.options)
            continue
        switched = not isinstance(entry, dict) or "enabled" in entry
        views[name] = ChannelView(
            mine.enabled if switched else base.enabled,
            dict(mine.overrides),
            {**base.options, **mine.options},
        )
    return views
