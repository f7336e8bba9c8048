"""The site as channels see it while planning and rendering: every look-up is recorded.

Channels read items by key or source path, section pages and data through `ctx.site` (and
the `site` handed to `plan`); each read becomes a dependency key (see `depends.py`), so a
plan or an output is reused only while what it looked up is unchanged.
"""

from __future__ import annotations

from typing import Any

from .depends import Key, touch
from .items import Item
from .model import Site

SITE_PAGES: Key = ("site", "pages")


class RecordedSite(Site):
    """The site as channels see it while planning and rendering: look-ups of items, source
    paths and section pages are recorded as dependencies."""

    def __init__(self, site: Site) -> None:  # noqa: D107 - shares the site's fields
        vars(self).update(vars(site))
        self.by_key = _RecordedItems(site.by_key)
        self.by_rel = _RecordedRels(site.by_rel)
        self.sections = _RecordedPages(site.sections)
        self.home = _RecordedPages(site.home)
        self.data = _RecordedPages(site.data)

    def __reduce__(self) -> Any:
        raise TypeError("pickle the Site, not a RecordedSite")

    @property
    def languages(self) -> list[str]:
        touch(SITE_PAGES)
        return super().languages

    def section_names(self) -> list[str]:
        touch(("site", "sections"))
        return Site.section_names(self)

    def bundle_at(self, rel: str) -> Item | None:
        touch(("bundle", rel))
        return Site.bundle_at(self, rel)


class _RecordedItems(dict[tuple[str, str], Item]):
    def __getitem__(self, key: tuple[str, str]) -> Item:
        touch(key)
        return dict.__getitem__(self, key)

    def get(self, key: tuple[str, str], default: Any = None) -> Any:
        touch(key)
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, tuple):
            touch(key)
        return dict.__contains__(self, key)


class _RecordedRels(dict[str, Item]):
    def __getitem__(self, rel: str) -> Item:
        touch(("rel", rel))
        return dict.__getitem__(self, rel)

    def get(self, rel: str, default: Any = None) -> Any:
        touch(("rel", rel))
        return dict.get(self, rel, default)

    def __contains__(self, rel: object) -> bool:
        touch(("rel", rel))
        return dict.__contains__(self, rel)


class _RecordedPages(dict[Any, Any]):
    """Section and home pages and data files: any read depends on them all."""

    def __getitem__(self, key: Any) -> Any:
        touch(SITE_PAGES)
        return dict.__getitem__(self, key)

    def get(self, key: Any, default: Any = None) -> Any:
        touch(SITE_PAGES)
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        touch(SITE_PAGES)
        return dict.__contains__(self, key)

    def __iter__(self) -> Any:
        touch(SITE_PAGES)
        return dict.__iter__(self)

    def items(self) -> Any:
        touch(SITE_PAGES)
        return dict.items(self)

    def keys(self) -> Any:
        touch(SITE_PAGES)
        return dict.keys(self)

    def values(self) -> Any:
        touch(SITE_PAGES)
        return dict.values(self)
