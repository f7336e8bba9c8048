"""What the app API says about an item: typed fields, references, media and money as JSON.

An app reads these documents without the site's sources, so nothing here names a source
path: a reference to another item is its id with its URL in every channel, an image is its
absolute URL with its renditions, money is a decimal string beside its currency, and the
body's URLs are absolute (a feed reader or a web view resolves them against nothing).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from omnipub.context import RenderContext
from omnipub.i18n import money
from omnipub.items import ItemView
from omnipub.links import source_link
from omnipub.schema import FieldSpec

IMAGE_WIDTHS = (320, 640, 1024)
#: front matter that only tells omnipub how to publish: where old URLs were, the URL's
#: last part, the source it translates, per-channel overrides, what sections pass down
AUTHORING_FIELDS = frozenset(
    {"aliases", "slug", "translation_of", "channels", "cascade", "draft", "image_alt", "lang"}
)
#: how long a summary made from the body may be (a sentence or two, as JSON Feed asks)
SUMMARY_CHARS = 280


def jsonable(value: Any) -> Any:
    """Typed values as JSON: numbers as numbers, times as RFC 3339."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def currency_of(view: ItemView, specs: Mapping[str, FieldSpec]) -> str | None:
    """The item's currency: the value of its type's `currency` kind field."""
    for name, spec in specs.items():
        if spec.kind == "currency" and view.fields.get(name):
            return str(view.fields[name])
    return None


def reference(ctx: RenderContext, item_id: str, lang: str) -> dict[str, Any]:
    """Another item as the API names it: its id and its URL in each channel that has it."""
    key = (item_id, lang)
    urls = {
        name: url
        for name in sorted(ctx.site.config.enabled_channels)
        if (url := ctx.url_for(key, name)) is not None
    }
    canonical = ctx.site.config.canonical_channel
    return {"id": item_id, "lang": lang, "url": urls.get(canonical), "urls": urls}


def referenced(ctx: RenderContext, view: ItemView, target: str) -> dict[str, Any] | None:
    """A `links` field entry (a source path) as a reference, in the view's language where
    the target has it; None when the target is not published."""
    link = source_link(view.rel, target)
    found = ctx.site.by_rel.get(link.target_rel) if link else None
    if found is None or not found.visible:
        return None
    shown = ctx.item(found.id, view.lang) or ctx.item(found.id, found.lang)
    if shown is None:
        return None
    return reference(ctx, shown.id, shown.lang)


def media(image: dict[str, Any] | None) -> dict[str, Any] | None:
    """An image: the largest rendition's absolute URL, its size, alt text and renditions."""
    if image is None:
        return None
    return {
        "alt": image.get("alt", ""),
        "width": image["width"],
        "height": image["height"],
        "url": image["renditions"][-1]["url"],
        "renditions": image["renditions"],
    }


def fields_of(view: ItemView, ctx: RenderContext) -> dict[str, Any]:
    """Every published field, typed; references and images resolved, authoring left out."""
    specs = ctx.site.config.types.fields_for(view.type)
    currency = currency_of(view, specs)
    out: dict[str, Any] = {}
    for name, value in sorted(view.fields.items()):
        spec = specs.get(name)
        kind = spec.kind if spec else None
        if name in AUTHORING_FIELDS or value is None:
            continue
        if kind == "links":
            refs = (referenced(ctx, view, str(target)) for target in value)
            out[name] = [r for r in refs if r is not None]
        elif kind == "path":
            if name == "image":
                continue  # the document's `image`
            found = media(ctx.image_for(view.rel, str(value), IMAGE_WIDTHS, absolute=True))
            if found is not None:  # an image; other files are not published by the app
                out[name] = found
        elif kind == "money" and isinstance(value, Decimal):
            out[name] = money(value, currency)
        else:
            out[name] = jsonable(value)
    return out


#: fields a JSON Feed item states in its own members (or the document's top level)
FEED_MEMBERS = frozenset(
    {"id", "type", "title", "summary", "tags", "date", "updated", "author", "external_url"}
)


def extension_fields(view: ItemView, ctx: RenderContext) -> dict[str, Any]:
    """The fields a JSON Feed item has no member for (price, dates, store, products), as
    `fields_of` writes them: a list in an app shows them without fetching the document."""
    return {k: v for k, v in fields_of(view, ctx).items() if k not in FEED_MEMBERS}


def link_to(ctx: RenderContext, item_id: str, lang: str) -> dict[str, Any]:
    """A link in `links`: the target's id, language and canonical page (its URL in each
    channel is in its own document: a body links to many items, and repeating every
    channel's URL for each made a tenth of an item document)."""
    url = ctx.url_for((item_id, lang), ctx.site.config.canonical_channel)
    return {"id": item_id, "lang": lang, "url": url}


def links_of(view: ItemView, ctx: RenderContext) -> list[dict[str, Any]]:
    """Every published item the body links to or a `links` field names, once each."""
    specs = ctx.site.config.types.fields_for(view.type)
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for ref in view.links:
        if ref.image:
            continue
        target = ctx.target_of(view, ref.target)
        shown = (ctx.item(target, view.lang) or _any_language(ctx, target)) if target else None
        if shown is not None:
            seen.setdefault(shown.item.key, link_to(ctx, shown.id, shown.lang))
    for name, spec in specs.items():
        if spec.kind == "links":
            for target in view.fields.get(name) or ():
                found = referenced(ctx, view, str(target))
                if found is not None:
                    key = (found["id"], found["lang"])
                    seen.setdefault(key, link_to(ctx, *key))
    return list(seen.values())


def _any_language(ctx: RenderContext, item_id: str) -> ItemView | None:
    for lang in ctx.site.languages:
        found = ctx.item(item_id, lang)
        if found is not None:
            return found
    return None


def summary_of(view: ItemView, ctx: RenderContext) -> str:
    """The summary, or the body's first paragraph (not a heading or a table; the whole text
    if it has none) cut at a word near `SUMMARY_CHARS`."""
    if view.summary:
        return view.summary
    first = next((b for b in ctx.blocks(view) if b["type"] == "paragraph"), None)
    text = " ".join((_span_text(first["content"]) if first else ctx.text(view)).split())
    if len(text) <= SUMMARY_CHARS:
        return text
    cut = re.sub(r"\s+\S*$", "", text[:SUMMARY_CHARS]) or text[:SUMMARY_CHARS]
    return cut.rstrip(" ,;:.") + "…"


def _span_text(spans: list[Any]) -> str:
    """The text of a list of spans (plain text is a string, the rest are objects)."""
    return "".join(
        s
        if isinstance(s, str)
        else _span_text(s["content"])
        if s["type"] == "link"
        else s.get("text", "")
        for s in spans
    )
