"""Permalinks: where an item lives when its section's `[permalinks]` pattern says so.

By default an item lives where its file is (`content/docs/guides/filters.md` is
`docs/guides/filters`). A section that wants another shape sets a pattern with the tokens
Hugo and Jekyll users know, so a site moving here keeps its URLs:

- `:year`, `:month`, `:day`: the item's date (two digits for month and day);
- `:slug`: the item's slug (as each channel sees it: `channels.web.slug` applies);
- `:section`: the top-level section (`docs`), `:sections`: the whole section path
  (`docs/guides`);
- `:filename`: the file's name without its suffix (a page bundle's folder name).
"""

from __future__ import annotations

import datetime as dt
import re

TOKENS = ("year", "month", "day", "slug", "section", "sections", "filename")
DATE_TOKENS = frozenset({"year", "month", "day"})
_TOKEN = re.compile(r":([A-Za-z_]+)")
_SEGMENT = re.compile(r"[A-Za-z0-9._~:-]+")


class PatternError(ValueError):
    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def check_pattern(pattern: str) -> str:
    """The pattern without its outer slashes; raises PatternError for one that cannot
    work (an unknown token, no slug, a segment that is not a URL path segment)."""
    text = pattern.strip().strip("/")
    unknown = [t for t in _TOKEN.findall(text) if t not in TOKENS]
    if unknown:
        raise PatternError(
            f"permalink {pattern!r}: unknown token ':{unknown[0]}'",
            f"tokens: {', '.join(':' + t for t in TOKENS)}",
        )
    tokens = set(_TOKEN.findall(text))
    if not tokens & {"slug", "filename"}:
        raise PatternError(
            f"permalink {pattern!r} has no :slug or :filename: every item of the section "
            "would get the same URL",
            "end it with :slug, as in /:section/:year/:month/:slug/",
        )
    for segment in text.split("/"):
        if not segment or segment in (".", "..") or not _SEGMENT.fullmatch(segment):
            raise PatternError(
                f"permalink {pattern!r}: {segment!r} is not a URL path segment",
                "use letters, digits, '-', '_' and tokens, separated by single '/'",
            )
    return text


def uses_date(pattern: str) -> bool:
    return not DATE_TOKENS.isdisjoint(_TOKEN.findall(pattern))


def fill(
    pattern: str, *, slug: str, filename: str, section: str | None, date: dt.datetime | None
) -> str:
    """The path a pattern gives one item (no outer slashes). The model checks, before
    anything is planned, that an item under a dated pattern has a date."""
    values = {
        "slug": slug,
        "filename": filename,
        "section": (section or "").split("/")[0],
        "sections": section or "",
        "year": f"{date.year:04d}" if date else "",
        "month": f"{date.month:02d}" if date else "",
        "day": f"{date.day:02d}" if date else "",
    }
    text = _TOKEN.sub(lambda m: values[m.group(1)], pattern)
    return "/".join(part for part in text.split("/") if part)
