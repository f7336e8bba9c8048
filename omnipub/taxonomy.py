"""Tags: one URL slug per tag, and spellings that would share one reported where written.

A tag is shown as written (`Sale`, `C#`) but addressed by its slug (`sale`, `c`), so
`tags/<slug>/` is a valid URL path on every channel and every file system: no `#` or `?`
cutting the URL short, no `%` or space to encode, no `..` climbing out. Two spellings with
one slug in one language (`Sale` beside `sale`) would be one page claimed twice; that is an
error at the line where the second spelling is written, naming the first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from slugify import slugify

from .diagnostics import Diagnostics, Location
from .items import Item


def tag_slug(tag: str) -> str:
    """The URL segment of a tag (`Winter sale` -> `winter-sale`, ASCII like item slugs);
    empty when it has no letter or digit."""
    return str(slugify(tag, allow_unicode=False))


def _where(item: Item, position: int) -> Location:
    """Where the `position`-th tag of `item` is written in its file."""
    doc = item.document
    raw: Any = doc.data.get("tags")
    entry = raw[position] if isinstance(raw, list) and position < len(raw) else raw
    line = getattr(entry, "line", None) or doc.line_of("tags") or 1
    return Location(item.rel, line, getattr(entry, "column", None))


def check_tags(items: Iterable[Item], diagnostics: Diagnostics) -> None:
    """Report tags without a slug, and spellings that share a slug in one language.

    Only tags an item states itself are judged; a translation inheriting its original's
    tags is judged there."""
    claimed: dict[tuple[str, str], tuple[str, Location]] = {}
    reported: set[tuple[str, str, str]] = set()
    for item in sorted(items, key=lambda i: i.rel):
        if "tags" not in item.document.data:
            continue
        for position, tag in enumerate(item.fields.get("tags") or ()):
            slug = tag_slug(tag)
            if not slug:
                diagnostics.error(
                    "tag.url",
                    f"tag {tag!r} has no letter or digit to make its URL from",
                    _where(item, position),
                    "write the tag as a word, such as sale or winter-wear",
                )
                continue
            first = claimed.setdefault((item.lang, slug), (tag, _where(item, position)))
            if first[0] == tag or (item.lang, slug, tag) in reported:
                continue
            reported.add((item.lang, slug, tag))
            diagnostics.error(
                "tag.collision",
                f"tag {tag!r} has the same URL (tags/{slug}/) as tag {first[0]!r} at {first[1]}",
                _where(item, position),
                f"spell the tag as {first[0]!r} here, or rename one of them",
            )
