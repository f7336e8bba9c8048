"""What a component use shows: typed data made at render time, the same for every channel.

A product card reads the product's facts through the render context, so the read is
recorded like any other (`depends.py`): editing the product's price re-renders every page
that embeds its card, in every channel. Each channel then draws the data its own way
(`Channel.render_component`: HTML from templates, or the component's text), the app as a
typed block (`blocks_of`), and every channel can fall back to `Component.text`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from . import i18n
from .components import BUILTINS, ComponentSpec, Problem, arguments
from .depends import touch, touch_field
from .diagnostics import Diagnostic, Diagnostics, Location, Severity
from .directives import ComponentUse
from .images import ImageInfo, unreadable
from .links import source_link
from .paths import UnsafePath, image_source
from .schema import AVAILABILITY_LABELS

if TYPE_CHECKING:
    from .context import RenderContext
    from .items import Item, ItemView
    from .model import Site

Block = dict[str, Any]
BUILT_IN_NAMES = frozenset(BUILTINS)
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
VIDEO_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".mov": "video/quicktime",
}


@dataclass(frozen=True)
class Component:
    """One component as a channel renders it: its typed arguments and what they resolve
    to (`data`), its body as this rendering has it, and a plain-text form."""

    name: str
    args: Mapping[str, Any]
    inline: bool
    lang: str
    #: the body, rendered as the caller renders (HTML, or text), links filled in
    body: str
    #: the component as plain text, the form every channel can show
    text: str
    data: Mapping[str, Any] = field(default_factory=dict)
    block_type: str = ""
    #: where it is written, for messages
    rel: str = ""
    line: int | None = None


# --- finding what a component names ----------------------------------------------------------


def video_source(src: str) -> dict[str, Any] | None:
    """Where a video lives: YouTube or Vimeo (with the privacy-friendly embed URL), or a
    file; None when the URL is neither."""
    parts = urlsplit(src.strip())
    host = parts.netloc.lower().split(":")[0]
    for prefix in ("www.", "m."):
        host = host.removeprefix(prefix)
    segments = [s for s in parts.path.split("/") if s]
    if host in ("youtube.com", "youtube-nocookie.com", "youtu.be"):
        video_id = None
        if host == "youtu.be" and segments:
            video_id = segments[0]
        elif segments[:1] == ["watch"]:
            video_id = (parse_qs(parts.query).get("v") or [""])[0]
        elif len(segments) >= 2 and segments[0] in ("embed", "shorts", "live", "v"):
            video_id = segments[1]
        if video_id and _YOUTUBE_ID.match(video_id):
            return {
                "provider": "youtube",
                "id": video_id,
                "url": f"https://www.youtube.com/watch?v={video_id}",
                "embed_url": f"https://www.youtube-nocookie.com/embed/{video_id}?autoplay=1",
            }
        return None
    if host in ("vimeo.com", "player.vimeo.com"):
        numbers = [s for s in segments if s.isdigit()]
        if numbers:
            return {
                "provider": "vimeo",
                "id": numbers[0],
                "url": f"https://vimeo.com/{numbers[0]}",
                "embed_url": f"https://player.vimeo.com/video/{numbers[0]}?dnt=1&autoplay=1",
            }
        return None
    suffix = posixpath.splitext(parts.path)[1].lower()
    if suffix in VIDEO_TYPES and (parts.scheme in ("http", "https") or src.startswith("/")):
        return {"provider": "file", "path": src.strip(), "media_type": VIDEO_TYPES[suffix]}
    return None


class _Finder:
    """Finds the item a product reference names: a content path, an id or a SKU."""

    def __init__(self, site: Site, skus: Callable[[], Mapping[str, tuple[str, str]]]) -> None:
        self.site, self.skus = site, skus

    def find(self, rel: str, ref: str, lang: str) -> Item | None:
        if ref.endswith(".md") or "/" in ref:
            link = source_link(rel, ref)
            return self.site.by_rel.get(link.target_rel) if link else None
        default = self.site.config.default_language
        for want in (lang, default):
            found = self.site.by_key.get((ref, want))
            if found is not None:
                return found
        key = self.skus().get(ref)
        return self.site.by_key.get(key) if key else None


def sku_index(site: Site) -> dict[str, tuple[str, str]]:
    """SKU -> the key of the product (in the default language) that has it."""
    touch(("site", "items"))
    default = site.config.default_language
    found: dict[str, tuple[str, str]] = {}
    for item in site.items:
        if item.lang != default:
            continue
        known = site.by_key.get(item.key)  # records the item's type and visibility
        if known is not None and known.type == "product":
            touch_field(known.key, "sku")
            sku = known.fields.get("sku")
            if sku is not None:
                found.setdefault(str(sku), known.key)
    return found


# --- the content check -----------------------------------------------------------------------


def check_use(
    site: Site,
    images: Mapping[str, ImageInfo],
    rel: str,
    use: ComponentUse,
    spec: ComponentSpec,
    args: Mapping[str, Any],
    skus: Callable[[], Mapping[str, tuple[str, str]]],
) -> list[Problem]:
    """What a well-formed use names must exist and be published (run before rendering)."""
    line, column = use.line, use.column
    if use.name == "product":
        return product_problems(site, rel, use, str(args["ref"]), skus)
    found: list[Problem] = []
    for key in ("src", "poster") if use.name in ("figure", "video") else ():
        value = args.get(key)
        if value is None or (use.name == "video" and key == "src"):
            continue
        why = _image_problem(site, images, rel, str(value))
        if why:
            found.append(
                Problem("component.image", f"{{{use.name}}} {key}: {why[0]}", line, column, why[1])
            )
    if use.name == "video":
        source = video_source(str(args["src"]))
        if source is None:
            found.append(
                Problem(
                    "component.video",
                    f"{{video}} {args['src']!r} is not a YouTube or Vimeo URL or a video file",
                    line,
                    column,
                    f"use a youtube.com/vimeo.com link, or a file ({', '.join(VIDEO_TYPES)}) "
                    "in static/ written as /videos/clip.mp4",
                )
            )
        elif source["provider"] == "file" and source["path"].startswith("/"):
            path = source["path"].split("?")[0]
            if not (site.config.root / "static" / path.lstrip("/")).is_file():
                found.append(
                    Problem(
                        "component.video",
                        f"{{video}} file {path!r} not found (static{path})",
                        line,
                        column,
                        "/path means static/path",
                    )
                )
    if use.name == "button":
        link = source_link(rel, str(args["href"]))
        target = site.by_rel.get(link.target_rel) if link else None
        if link is not None and target is None:
            found.append(
                Problem(
                    "component.link",
                    f"{{button}} leads to {args['href']!r}: no such item",
                    line,
                    column,
                    "check the path; it is relative to this file",
                )
            )
        elif target is not None and target.hidden_reason in ("expired", "future"):
            # hidden by the calendar alone: a date passing must not fail a build (as links)
            when = "has expired" if target.hidden_reason == "expired" else "is not published yet"
            found.append(
                Problem(
                    "link.unpublished",
                    f"{{button}} leads to {args['href']!r}, which {when}: its label shows "
                    "as plain text in this build",
                    line,
                    column,
                    "the button returns by itself while the item is visible; remove it to stop "
                    "this warning",
                    warning=True,
                )
            )
        elif target is not None and not target.visible:
            found.append(
                Problem(
                    "component.link",
                    f"{{button}} leads to {args['href']!r}: a {target.hidden_reason}, not "
                    "published",
                    line,
                    column,
                    "remove the button, or publish the target (drafts are built with --drafts)",
                )
            )
        if not args.get("label") and not use.body_text:
            found.append(
                Problem(
                    "component.required",
                    "{button} needs a label",
                    line,
                    column,
                    "write the label as its body, or :label: ...",
                )
            )
    return found


def product_problems(
    site: Site,
    rel: str,
    use: ComponentUse,
    ref: str,
    skus: Callable[[], Mapping[str, tuple[str, str]]],
) -> list[Problem]:
    """A card must name a published product; an expired one is a warning (it drops out)."""
    line, column = use.line, use.column
    item = _Finder(site, skus).find(rel, ref, site.config.default_language)
    if item is None:
        return [
            Problem(
                "component.product-missing",
                f"{{product}} {ref!r}: no such product",
                line,
                column,
                "name a product by its id, its SKU or its file (../products/coat.md)",
            )
        ]
    if item.type != "product":
        return [
            Problem(
                "component.product-type",
                f"{{product}} {ref!r} is {item.rel}, a {item.type}, not a product",
                line,
                column,
                "link to it instead: [text](path.md)",
            )
        ]
    if not item.visible:
        expired = item.hidden_reason == "expired"
        return [
            Problem(
                "component.product-expired" if expired else "component.product-hidden",
                f"{{product}} {ref!r} ({item.rel}) is {item.hidden_reason} and not published"
                + ("; its card is left out" if expired else ""),
                line,
                column,
                "remove the card, or publish the product",
                warning=expired,
            )
        ]
    return []


def _image_problem(
    site: Site, images: Mapping[str, ImageInfo], rel: str, src: str
) -> tuple[str, str] | None:
    try:
        target = image_source(rel, src)
    except UnsafePath as exc:
        return str(exc), "keep images inside content/ or static/"
    if target in images:
        return None
    problem = unreadable(site.config.root / target)
    if problem:
        return f"{src!r} ({target}): {problem[0]}", problem[1]
    return f"{src!r} not found ({target})", "paths are relative to the Markdown file"


# --- resolving a use for one render ----------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """Where a use is rendered: the item (None for a section page) and file it is written
    in, the language, image sizes, and whether every URL must be absolute (HTML or blocks
    read away from the channel's site: an app, a feed reader)."""

    view: ItemView | None
    rel: str
    lang: str
    widths: tuple[int, ...]
    sizes: str
    absolute: bool = False


def resolve(ctx: RenderContext, use: ComponentUse, place: Placement, body: str) -> Component | None:
    """The component as this channel renders it; None when it shows nothing (an unknown
    or invalid use the content check reported, a product that has since expired)."""
    rel, lang, widths, sizes = place.rel, place.lang, place.widths, place.sizes
    absolute = place.absolute
    spec = ctx.site.components.get(use.name)
    if spec is None:
        return None
    args, problems = arguments(use, spec, ctx.site.config.timezone)
    if any(not p.warning for p in problems):
        return None
    data: dict[str, Any] = {}
    text = use.body_text
    if use.name == "product":
        product = find_product(ctx, rel, str(args["ref"]), lang)
        if product is None:
            # the content check found it; a later edit of another file (a SKU) may not
            # have been checked against this page: say so here, as a clean build would
            for problem in product_problems(ctx.site, rel, use, str(args["ref"]), ctx_skus(ctx)):
                severity = Severity.WARNING if problem.warning else Severity.ERROR
                where = Location(rel, problem.line, problem.column)
                ctx.diagnostics.add(
                    Diagnostic(severity, problem.code, problem.message, where, problem.hint)
                )
            return None
        data = product_data(ctx, product, widths, sizes, absolute)
        text = str(args.get("label") or product_text(ctx, data))
    elif use.name == "callout":
        kind = str(args["kind"])
        title = args.get("title") or ctx.translate(kind.title(), lang)
        data = {"kind": kind, "title": title}
        text = f"{title}: {use.body_text}" if use.body_text else str(title)
    elif use.name == "figure":
        alt = str(args["alt"])
        data = {"image": _image(ctx, rel, str(args["src"]), alt, widths, sizes, absolute)}
        text = use.body_text or str(args["alt"])
    elif use.name == "gallery":
        shown = [
            _image(ctx, rel, src, alt, widths[:2], "(max-width: 600px) 50vw, 400px", absolute)
            for src, alt in use.images
        ]
        data = {"images": [image for image in shown if image], "caption": args.get("caption")}
        text = str(args.get("caption") or "")
    elif use.name == "video":
        source = video_source(str(args["src"])) or {}
        if source.get("provider") == "file":
            path = str(source["path"])
            source["url"] = path if "://" in path else ctx.canonical_url_for_path(path)
        poster = args.get("poster")
        data = {
            **source,
            "title": args["title"],
            "poster": _image(ctx, rel, str(poster), str(args["title"]), widths, sizes, absolute)
            if poster
            else None,
        }
        text = f"{args['title']}: {source.get('url', '')}"
    elif use.name == "button":
        label = str(args.get("label") or use.body_text)
        href = str(args["href"])
        data = {
            "href": ctx.link_for(rel, href, lang, place.view, absolute),
            "label": label,
            "style": args["style"],
            "item_id": ctx.target_of(place.view or rel, href),
        }
        text = label
    return Component(
        use.name,
        args,
        use.inline,
        lang,
        body,
        text,
        data,
        spec.block_type,
        rel,
        use.line,
    )


def find_product(ctx: RenderContext, rel: str, ref: str, lang: str) -> ItemView | None:
    """The product's view in this channel and language (its original's when it has no
    visible translation); None when it is not a visible product."""
    finder = _Finder(ctx.site, ctx_skus(ctx))
    item = finder.find(rel, ref, lang)
    if item is None or not item.visible or item.type != "product":
        return None
    return ctx.item(item.id, lang) or ctx.item(item.id, item.lang)


def ctx_skus(ctx: RenderContext) -> Callable[[], Mapping[str, tuple[str, str]]]:
    """The SKU index, made once per render context and read as one recorded key."""
    return lambda: ctx.memo(("component-skus",), lambda: sku_index(ctx.site))


def product_data(
    ctx: RenderContext,
    view: ItemView,
    widths: tuple[int, ...],
    sizes: str,
    absolute: bool = False,
) -> dict[str, Any]:
    """A card's facts; `url` is the product's page in this channel, or with `absolute`
    (as a body's links) the canonical channel's page first."""
    f = view.fields
    locale = ctx.site.config.languages[view.lang].locale
    availability = str(f["availability"])
    canonical = ctx.site.config.canonical_channel
    if absolute:
        url = ctx.url_for(view, canonical) or ctx.url_for(view)
    else:
        url = ctx.url_for(view, absolute=False) or ctx.url_for(view, canonical)
    return {
        "id": view.id,
        "lang": view.lang,
        "title": view.title,
        "sku": f["sku"],
        "price": f["price"],
        # a decimal string with the currency's minor units ("1299.00"), as the app API has
        "amount": i18n.money(f["price"], f["currency"]),
        "currency": f["currency"],
        "price_text": i18n.price(f["price"], f["currency"], locale),
        "availability": availability,
        "availability_text": ctx.translate(AVAILABILITY_LABELS[availability], view.lang),
        "url": url,
        "canonical_url": ctx.url_for(view, canonical),
        "image": ctx.item_image(view, widths, sizes, absolute=absolute),
        "item": view,
    }


def product_text(ctx: RenderContext, data: Mapping[str, Any]) -> str:
    return f"{data['title']} – {data['price_text']} ({data['availability_text']})"


def _image(
    ctx: RenderContext,
    rel: str,
    src: str,
    alt: str,
    widths: tuple[int, ...],
    sizes: str,
    absolute: bool = False,
) -> dict[str, Any] | None:
    found = ctx.image_for(rel, src, widths, sizes, absolute=absolute)
    if found is not None:
        found["alt"] = alt
    return found


def text_of(component: Component, body: str) -> str:
    """The component in a plain-text rendering; `body` is its body as text, with the
    components inside it filled in."""
    if component.name == "callout":
        return f"{component.data['title']}\n\n{body}".strip()
    if component.name == "figure":
        return body.strip() or component.text
    if component.block_type and component.name not in BUILT_IN_NAMES:
        return body.strip() or component.text
    return component.text


# --- the app's blocks ------------------------------------------------------------------------


def blocks_of(component: Component, inner: list[Block]) -> list[Any]:
    """The typed block (or, inline, the spans) a native app draws for a component."""
    data, args = component.data, component.args
    name = component.name
    if name == "product":
        if component.inline:
            return [_link_span(data["url"], component.text, data["id"])]
        return [
            {
                "type": "product",
                "id": data["id"],
                "lang": data["lang"],
                "title": data["title"],
                "sku": str(data["sku"]),
                "price": data["amount"],
                "currency": data["currency"],
                "price_text": data["price_text"],
                "availability": data["availability"],
                "availability_text": data["availability_text"],
                "url": data["canonical_url"],
                "image": _image_block(data["image"]),
            }
        ]
    if name == "button":
        if data["href"] is None:  # its target is not published in this build: its label
            label = data["label"]  # plain text, as a span without marks is written
            return [label] if component.inline else [{"type": "paragraph", "content": [label]}]
        if component.inline:
            return [_link_span(data["href"], data["label"], data["item_id"])]
        block = {
            "type": "button",
            "href": data["href"],
            "label": data["label"],
            "style": data["style"],
        }
        if data["item_id"]:
            block["item_id"] = data["item_id"]
        return [block]
    if name == "callout":
        return [{"type": "callout", "kind": data["kind"], "title": data["title"], "blocks": inner}]
    if name == "figure":
        return [{"type": "figure", "image": _image_block(data["image"]), "caption": inner}]
    if name == "gallery":
        images = [_image_block(image) for image in data["images"]]
        return [{"type": "gallery", "images": images, "caption": data["caption"]}]
    if name == "video":
        block = {
            "type": "video",
            "provider": data.get("provider", "file"),
            "url": data.get("url", ""),
            "title": data["title"],
            "poster": _image_block(data["poster"]),
        }
        if data.get("embed_url"):
            block["embed_url"] = data["embed_url"]
        if data.get("media_type"):
            block["media_type"] = data["media_type"]
        return [block]
    if component.inline:
        return [component.text] if component.text else []
    return [
        {
            "type": component.block_type,
            "component": name,
            "args": {key: _jsonable(value) for key, value in sorted(args.items())},
            "blocks": inner,
        }
    ]


def _link_span(href: str | None, text: str, item_id: str | None) -> Block:
    span: Block = {"type": "link", "href": href or "#", "content": [text]}
    if item_id:
        span["item_id"] = item_id
    return span


def _image_block(image: Mapping[str, Any] | None) -> Block | None:
    if not image:
        return None
    return {
        "type": "image",
        "src": image["renditions"][-1]["url"],
        "alt": image.get("alt", ""),
        "width": image["width"],
        "height": image["height"],
        "renditions": image["renditions"],
    }


def _number(value: Any) -> int | float:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _number(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# --- the content check ----------------------------------------------------------------------


def check_components(
    site: Site,
    images: Mapping[str, ImageInfo],
    diagnostics: Diagnostics,
    only: set[str] | None = None,
) -> None:
    """Every component in visible content names a known component, with valid arguments,
    and what it shows exists: a product that is published (an expired one is a warning:
    it drops out of the page on its own), images that are there.

    `only` limits the check to some item files (a live rebuild)."""
    registry = site.components
    skus: dict[str, tuple[str, str]] | None = None

    def sku_lookup() -> dict[str, tuple[str, str]]:
        nonlocal skus
        if skus is None:
            skus = sku_index(site)
        return skus

    for rel, pre in _bodies(site, only):
        for use in pre.components:
            where = Location(rel, use.line, use.column)
            spec = registry.get(use.name)
            if spec is None:
                diagnostics.error(
                    "component.unknown",
                    f"unknown component {{{use.name}}}",
                    where,
                    registry.suggest(use.name),
                )
                continue
            args, problems = arguments(use, spec, site.config.timezone)
            if not problems:
                problems = check_use(site, images, rel, use, spec, args, sku_lookup)
            for problem in problems:
                diagnostics.add(
                    Diagnostic(
                        Severity.WARNING if problem.warning else Severity.ERROR,
                        problem.code,
                        problem.message,
                        Location(rel, problem.line, problem.column),
                        problem.hint,
                    )
                )


def _bodies(site: Site, only: set[str] | None) -> Iterable[tuple[str, Any]]:
    if only is None:
        docs = [item.document for item in site.items if item.visible]
        docs += [p.document for p in site.sections.values() if p.document]
        docs += [p.document for p in site.home.values() if p.document]
    else:
        picked = (site.by_rel.get(rel) for rel in sorted(only))
        docs = [item.document for item in picked if item is not None and item.visible]
    for doc in docs:
        yield doc.rel, doc.pre
        for pre in doc.channel_pre.values():
            yield doc.rel, pre
