"""Translation coverage: how much of each channel exists in each language, and which
translations fell behind their original.

A translation is stale when its original was updated after it: the original's `updated`
(or `date`) is later than the translation's own `updated` (or `date`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .model import Site


@dataclass(frozen=True)
class Coverage:
    channel: str
    lang: str
    translated: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0


@dataclass(frozen=True)
class Stale:
    rel: str
    original: str
    lang: str
    translated_at: dt.datetime | None
    original_updated: dt.datetime


def _own_stamp(fields: dict[str, object], raw: dict[str, object]) -> dt.datetime | None:
    for name in ("updated", "date"):
        if name in raw and isinstance(fields.get(name), dt.datetime):
            return fields[name]  # type: ignore[return-value]
    return None


def coverage(site: Site, channels: list[str]) -> list[Coverage]:
    default = site.config.default_language
    rows = []
    for channel in channels:
        originals = [i for i in site.visible(channel, default)]
        for lang in site.languages:
            if lang == default:
                continue
            done = sum(
                1
                for i in originals
                if (i.id, lang) in site.by_key and site.by_key[(i.id, lang)].visible
            )
            rows.append(Coverage(channel, lang, done, len(originals)))
    return rows


def stale_translations(site: Site) -> list[Stale]:
    found = []
    for item in site.items:
        if item.is_original:
            continue
        original = site.by_key.get((item.id, site.config.default_language))
        if original is None:
            continue
        # only an explicit `updated` says the original changed after it was translated
        changed = original.fields.get("updated") if "updated" in original.document.data else None
        if not isinstance(changed, dt.datetime):
            continue
        own = _own_stamp(item.fields, item.document.data)
        if own is None or own < changed:
            found.append(Stale(item.rel, original.rel, item.lang, own, changed))
    return sorted(found, key=lambda s: s.rel)


def report(site: Site, channels: list[str]) -> str:
    lines = []
    rows = coverage(site, channels)
    if rows:
        lines.append("translation coverage (visible items of the default language):")
        for row in rows:
            lines.append(
                f"  {row.channel:<8} {row.lang:<6} {row.translated:>4}/{row.total:<4} "
                f"{row.percent:5.1f}%"
            )
    for stale in stale_translations(site):
        when = stale.translated_at.isoformat() if stale.translated_at else "never dated"
        lines.append(
            f"{stale.rel}: translation older than its original ({when} < "
            f"{stale.original_updated.isoformat()} in {stale.original})"
        )
    return "\n".join(lines)
