"""What every importer shares: the imported site's shape, the report, and the conversions.

A generator module (hugo, jekyll, eleventy) reads its own configuration and file layout into
`Page`s whose front matter is still the generator's, and supplies a body converter for its
template syntax. Everything that means the same in all three (front matter keys, dates,
URLs and aliases, MyST components, links to old URLs, the report, writing the site) lives
here, so that `draft`, `aliases` or a figure are mapped by one piece of code.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import posixpath
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from .. import frontmatter
from ..paths import UnsafePath, check_site_path, check_slug, slugify

# --- the report -----------------------------------------------------------------------------


@dataclass
class Note:
    """One thing the import could not convert faithfully, where it was and where it is now."""

    code: str
    message: str
    src: str
    src_line: int | None = None
    dest: str | None = None
    dest_line: int | None = None
    hint: str | None = None

    def where(self) -> str:
        src = f"{self.src}:{self.src_line}" if self.src_line else self.src
        if self.dest is None:
            return src
        if self.dest_line is None:
            return src if self.dest == self.src else f"{src} (now {self.dest})"
        dest = f"{self.dest}:{self.dest_line}"
        if dest == src or self.src_line is None and self.dest == self.src:
            return dest
        if self.dest == self.src:
            return f"{dest} (line {self.src_line} in the old site)"
        return f"{dest} (from {src})"

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "source": self.src,
            "source_line": self.src_line,
            "path": self.dest,
            "line": self.dest_line,
            "hint": self.hint,
        }


@dataclass
class Report:
    """What an import did: counted conversions and located leftovers."""

    generator: str
    files: Counter[str] = field(default_factory=Counter)
    keys: Counter[str] = field(default_factory=Counter)
    components: Counter[str] = field(default_factory=Counter)
    #: front matter that has no meaning in omnipub (a theme's `layout`, `menu`...)
    dropped: list[Note] = field(default_factory=list)
    #: what needs a person: unconverted constructs and values that could not be mapped
    attention: list[Note] = field(default_factory=list)
    build_ok: bool | None = None
    build_problems: list[dict[str, Any]] = field(default_factory=list)

    def need(self, note: Note) -> None:
        self.attention.append(note)

    def as_json(self) -> dict[str, Any]:
        return {
            "generator": self.generator,
            "files": dict(sorted(self.files.items())),
            "keys": dict(sorted(self.keys.items())),
            "components": dict(sorted(self.components.items())),
            "dropped": [n.as_json() for n in _sorted(self.dropped)],
            "attention": [n.as_json() for n in _sorted(self.attention)],
            "build": {"ok": self.build_ok, "problems": self.build_problems},
        }

    def format(self) -> str:
        lines = [f"imported the {self.generator} site"]
        lines.append(
            "  files: " + ", ".join(f"{n} {k}" for k, n in sorted(self.files.items()) if n)
        )
        if self.keys:
            lines.append("  front matter mapped:")
            lines += [f"    {k}: {n}" for k, n in sorted(self.keys.items())]
        if self.components:
            lines.append("  converted:")
            lines += [f"    {k}: {n}" for k, n in sorted(self.components.items())]
        if self.dropped:
            by_key: dict[str, list[Note]] = {}
            for note in _sorted(self.dropped):
                by_key.setdefault(note.message, []).append(note)
            lines.append("  dropped (no meaning in omnipub):")
            for message, notes in sorted(by_key.items()):
                more = f" and {len(notes) - 1} more" if len(notes) > 1 else ""
                lines.append(f"    {message}: {notes[0].where()}{more}")
        if self.attention:
            lines.append(f"  needs a person ({len(self.attention)}):")
            for note in _sorted(self.attention):
                lines.append(f"    {note.where()}: [{note.code}] {note.message}")
                if note.hint:
                    lines.append(f"      hint: {note.hint}")
        return "\n".join(lines)


def _sorted(notes: Iterable[Note]) -> list[Note]:
    return sorted(notes, key=lambda n: (n.dest or n.src, n.dest_line or n.src_line or 0, n.code))


# --- the imported site ----------------------------------------------------------------------


@dataclass
class Language:
    code: str
    name: str
    locale: str


@dataclass
class SiteInfo:
    """What goes into omnipub.toml."""

    title: str
    base_url: str = "https://example.com/"
    description: str = ""
    timezone: str = "UTC"
    languages: list[Language] = field(default_factory=list)
    copyright: str = ""
    author: str = ""
    #: the old site rendered raw HTML in Markdown (omnipub escapes it unless told)
    raw_html: bool = False

    @property
    def default_language(self) -> str:
        return self.languages[0].code if self.languages else "en"

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")


@dataclass
class Page:
    """One Markdown file on its way over: the generator's front matter, omnipub's path."""

    src: str  # path in the source site, for the report
    dest: str  # content/... path in the new site
    matter: dict[str, Any]  # front matter as the generator reads it (inherited keys merged)
    lines: dict[str, int]  # source line of each key
    body: str
    body_line: int
    kind: str = "item"  # item, section or home
    lang: str | None = None
    old_url: str | None = None
    #: omnipub front matter, filled by `map_fields`
    fields: dict[str, Any] = field(default_factory=dict)
    converted: str = ""
    notes: list[tuple[int, Note]] = field(default_factory=list)  # (offset in converted, note)

    def line(self, key: str) -> int | None:
        return self.lines.get(key) or self.lines.get(key.lower())

    def new_url(self, site: SiteInfo) -> str:
        """The page's URL on omnipub's web channel, which keeps folders as they are:
        `content/docs/guide/install.md` is /docs/guide/install/, a bundle's `index.md` is
        its folder's URL, a section's `_index.md` the section's, `slug:` the last part."""
        prefix = "" if self.lang in (None, site.default_language) else f"/{self.lang}"
        folders = self.dest.split("/")[1:-1]
        if self.kind == "home":
            return f"{prefix}/"
        if self.kind == "section":
            return f"{prefix}/{'/'.join(folders)}/"
        stem = _stem(self.dest, site)
        if stem == "index" and folders:  # a page bundle: the item is its folder
            stem = folders.pop()
        slug = self.fields.get("slug") or slugify(stem)
        return f"{prefix}/{'/'.join([*folders, str(slug)])}/"


def _stem(dest: str, site: SiteInfo) -> str:
    stem = posixpath.basename(dest)[:-3]
    head, _, tail = stem.rpartition(".")
    return head if head and tail in {lang.code for lang in site.languages} else stem


@dataclass
class Imported:
    """Everything an importer read, ready to be written as an omnipub site."""

    site: SiteInfo
    pages: list[Page] = field(default_factory=list)
    #: (source file, destination path in the new site) for static files and page resources
    copies: list[tuple[Path, str]] = field(default_factory=list)
    #: old URL -> page, for links written as URLs
    by_old: dict[str, Page] = field(default_factory=dict)
    #: the old site's folder, which report paths are relative to
    root: Path = Path(".")
    #: template tags the old site defines itself, with where (`.eleventy.js:12`)
    defined: dict[str, str] = field(default_factory=dict)


# --- reading front matter -------------------------------------------------------------------


class SkipFile(Exception):
    """A file that cannot be read; its note says why."""

    def __init__(self, note: Note) -> None:
        super().__init__(note.message)
        self.note = note


def read_matter(text: str, src: str) -> tuple[dict[str, Any], dict[str, int], str, int]:
    """(front matter, key lines, body, first body line) from YAML, TOML or JSON front matter.

    YAML and TOML go through omnipub's own reader (bounded, no tags, located errors); Hugo's
    JSON front matter is an object at the very start of the file."""
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    if text.startswith("{"):
        decoder = json.JSONDecoder()
        try:
            data, end = decoder.raw_decode(text)
        except json.JSONDecodeError as exc:
            raise SkipFile(
                Note(
                    "front-matter.syntax", f"invalid JSON front matter: {exc.msg}", src, exc.lineno
                )
            ) from None
        if not isinstance(data, dict):
            raise SkipFile(Note("front-matter.syntax", "front matter is not an object", src, 1))
        head = text[:end]
        lines: dict[str, int] = {}
        for number, raw in enumerate(head.split("\n"), start=1):
            key = re.match(r'\s*"([^"]+)"\s*:', raw)
            if key:
                lines.setdefault(key.group(1), number)
        rest = text[end:]
        skipped = len(rest) - len(rest.lstrip("\n"))
        return data, lines, rest.lstrip("\n"), head.count("\n") + 1 + skipped
    try:
        matter, body = frontmatter.read(text)
    except frontmatter.FrontMatterError as exc:
        raise SkipFile(
            Note("front-matter.syntax", str(exc), src, exc.line, hint=exc.hint)
        ) from None
    return plain(matter.data), matter.lines, body, matter.body_line


def has_front_matter(text: str) -> bool:
    first = text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    return first in ("---", "+++")


def plain(value: Any) -> Any:
    """omnipub's located YAML scalars as plain text (the mapping decides what they mean)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def read_data_file(path: Path) -> Any:
    """A YAML, TOML or JSON data file (a generator's config, `_data/`, directory data)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yml", ".yaml"):
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    if path.suffix == ".toml":
        import tomllib

        return tomllib.loads(text)
    return json.loads(text)


# --- values ---------------------------------------------------------------------------------

_DATE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_date(value: Any) -> dt.datetime | dt.date | None:
    """A date as generators write them: ISO 8601, YAML/TOML dates, and Jekyll's
    `2024-01-15 10:00:00 +0100`. Naive values stay naive (the site's zone applies)."""
    if isinstance(value, dt.datetime | dt.date):
        return value
    if not isinstance(value, str):
        return None
    match = _DATE.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        if hour is None:
            return dt.date(int(year), int(month), int(day))
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        tz: dt.tzinfo | None = None
        if offset == "Z":
            tz = dt.UTC
        elif offset:
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            tz = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        return dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
        )
    except ValueError:
        return None


def date_text(value: dt.datetime | dt.date) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value.isoformat()


def as_instant(value: dt.datetime | dt.date, zone: ZoneInfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    return dt.datetime(value.year, value.month, value.day, tzinfo=zone)


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "off"):
        return False
    return None


def as_texts(value: Any, split_words: bool = False) -> list[str]:
    """A list of text from a list or a string (Jekyll splits `tags: a b` on spaces)."""
    if value is None:
        return []
    if isinstance(value, str):
        return value.split() if split_words else [value] if value.strip() else []
    if isinstance(value, list):
        return [str(v) for v in value if v is not None and not isinstance(v, dict | list)]
    return [str(value)]


def site_path(url: str) -> str | None:
    """`https://host/a/b/` or `/a/b/` -> `/a/b/`; None for anything that is not a site path."""
    parts = urlsplit(url.strip())
    path = parts.path
    if not path.startswith("/"):
        return None
    try:
        return check_site_path(path)
    except UnsafePath:
        return None


def slug_from_url(url: str) -> str | None:
    """The last segment of a permalink, as a slug: `/2024/01/hello-world.html` -> hello-world."""
    segment = [s for s in url.split("/") if s][-1:] or [""]
    name = re.sub(r"\.html?$", "", segment[0])
    if not name:
        return None
    try:
        return check_slug(name)
    except UnsafePath:
        return slugify(name)


# --- front matter mapping -------------------------------------------------------------------

#: generator keys with omnipub equivalents, and the omnipub field they become
FIELD_KEYS: dict[str, str] = {
    "title": "title",
    "description": "summary",
    "summary": "summary",
    "excerpt": "summary",
    "date": "date",
    "lastmod": "updated",
    "last_modified_at": "updated",
    "updated": "updated",
    "modified": "updated",
    "publishdate": "publish_at",
    "pubdate": "publish_at",
    "expirydate": "expire_at",
    "expiration_date": "expire_at",
    "unpublishdate": "expire_at",
    "draft": "draft",
    "published": "draft",
    "tags": "tags",
    "categories": "tags",
    "category": "tags",
    "aliases": "aliases",
    "redirect_from": "aliases",
    "slug": "slug",
    "weight": "weight",
    "author": "author",
    "authors": "author",
    "image": "image",
    "featured_image": "image",
    "image_alt": "image_alt",
}

#: keys that only told a theme or the old generator how to render: dropped, counted
LAYOUT_KEYS = frozenset(
    [
        "layout",
        "type",
        "menu",
        "menus",
        "sidebar",
        "toc",
        "comments",
        "share",
        "sharing",
        "keywords",
        "linktitle",
        "outputs",
        "markup",
        "eleventynavigation",
        "eleventyexcludefromcollections",
        "eleventycomputed",
        "nav_order",
        "parent",
        "grand_parent",
        "has_children",
        "permalink_pretty",
        "sitemap",
        "robots",
        "showtoc",
        "tocopen",
        "hidemeta",
        "disableshare",
        "searchhidden",
        "classes",
        "header_image",
        "render_with_liquid",
        "pagination",
    ]
)

FIELD_ORDER = (
    "title",
    "summary",
    "date",
    "updated",
    "publish_at",
    "expire_at",
    "draft",
    "slug",
    "tags",
    "aliases",
    "weight",
    "author",
    "image",
    "image_alt",
)


def map_fields(
    page: Page,
    site: SiteInfo,
    report: Report,
    handled: Iterable[str] = (),
    split_words: bool = False,
    now: dt.datetime | None = None,
    future_hidden: bool = True,
) -> None:
    """Turn the generator's front matter into omnipub fields on `page.fields`.

    `handled` names keys the generator already mapped itself (`url`, `permalink`, `lang`).
    `future_hidden`: the old generator did not publish pages dated in the future (Hugo's
    and Jekyll's default), so such a page gets `publish_at` and appears when its day comes.
    """
    fields = page.fields
    zone = site.zone()
    done = {k.lower() for k in handled}
    tags: list[str] = []
    aliases: list[str] = []

    def note(code: str, message: str, key: str, hint: str | None = None) -> None:
        report.need(Note(code, message, page.src, page.line(key), hint=hint))

    for key, value in page.matter.items():
        lower = key.lower()
        if lower in done:
            continue
        target = FIELD_KEYS.get(lower)
        if target is None:
            reason = "layout" if lower in LAYOUT_KEYS else "no omnipub field"
            report.dropped.append(
                Note("front-matter.dropped", f"{key} ({reason})", page.src, page.line(key))
            )
            continue
        if value is None or value == "" or value == []:
            continue
        mapped = f"{key} → {target}" if key != target else key
        if target in ("date", "updated", "publish_at", "expire_at"):
            when = parse_date(value)
            if when is None:
                note(
                    "front-matter.date",
                    f"{key}: {value!r} is not a date omnipub reads; dropped",
                    key,
                    "write it as 2024-01-15 or 2024-01-15T10:00:00+01:00",
                )
                continue
            if target == "publish_at" and lower in ("date", "published"):
                continue
            fields[target] = when
        elif target == "draft":
            flag = as_bool(value)
            if flag is None:
                if lower == "published" and parse_date(value) is not None:
                    fields.setdefault("date", parse_date(value))
                    mapped = f"{key} → date"
                else:
                    note("front-matter.value", f"{key}: {value!r} is not true or false", key)
                    continue
            elif lower == "published":
                if flag:
                    continue
                fields["draft"] = True
                mapped = f"{key}: false → draft: true"
            elif flag:
                fields["draft"] = True
            else:
                continue
        elif target == "tags":
            tags += as_texts(value, split_words)
        elif target == "aliases":
            for alias in as_texts(value):
                path = alias if alias.startswith(("/", "http")) else _relative_alias(page, alias)
                clean = site_path(path) if path else None
                if clean is None:
                    note(
                        "front-matter.alias",
                        f"{key}: {alias!r} is not a path on this site; dropped",
                        key,
                        "aliases are site paths such as /old/path/",
                    )
                else:
                    aliases.append(clean)
        elif target == "slug":
            text = str(value)
            try:
                fields["slug"] = check_slug(text)
            except UnsafePath:
                fields["slug"] = slugify(text)
                mapped = f"{key} → slug (made URL-safe)"
        elif target == "weight":
            try:
                fields["weight"] = int(str(value))
            except ValueError:
                note("front-matter.value", f"{key}: {value!r} is not a whole number", key)
                continue
        elif target == "author":
            if isinstance(value, dict):
                name = value.get("name") or value.get("display_name")
                if not name:
                    note("front-matter.value", f"{key}: a mapping without a name", key)
                    continue
                fields["author"] = str(name)
            else:
                fields["author"] = ", ".join(as_texts(value))
        elif target == "image":
            first = as_texts(value)[:1]
            if isinstance(value, dict):
                first = as_texts(value.get("src") or value.get("image") or value.get("url"))[:1]
            if first:
                fields["image"] = first[0]
        elif target == "summary":
            if not isinstance(value, str):
                note("front-matter.value", f"{key}: not text; dropped", key)
                continue
            fields.setdefault("summary", value.strip())
        else:
            fields[target] = value if isinstance(value, str) else str(value)
        report.keys[mapped] += 1

    if tags:
        fields["tags"] = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    if aliases:
        fields.setdefault("aliases", [])
        fields["aliases"] += [a for a in aliases if a not in fields["aliases"]]
    date = fields.get("date")
    if (
        future_hidden
        and isinstance(date, dt.date)
        and "publish_at" not in fields
        and now is not None
        and as_instant(date, zone) > now
    ):
        fields["publish_at"] = date
        report.keys["date in the future → publish_at"] += 1
    start, end = fields.get("publish_at"), fields.get("expire_at")
    if start is not None and end is not None and as_instant(start, zone) >= as_instant(end, zone):
        del fields["publish_at"]
        fields["draft"] = True
        report.need(
            Note(
                "front-matter.window",
                "published on or after it expires, so the old site never showed it: "
                "imported as a draft",
                page.src,
                page.line("expirydate") or page.line("expiryDate"),
            )
        )


def _relative_alias(page: Page, alias: str) -> str | None:
    """Hugo reads an alias without a leading slash relative to the page's folder URL."""
    if not page.old_url:
        return None
    base = page.old_url if page.old_url.endswith("/") else posixpath.dirname(page.old_url) + "/"
    parent = posixpath.dirname(base.rstrip("/"))
    return posixpath.join(parent if parent.endswith("/") else parent + "/", alias)


class _Date(str):
    """A date written as ISO 8601 text, unquoted."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Date, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:timestamp", value)
)


def front_matter_text(fields: Mapping[str, Any]) -> str:
    """YAML front matter in a stable order; dates as ISO 8601 text."""
    ordered: dict[str, Any] = {}
    for name in [*FIELD_ORDER, *sorted(set(fields) - set(FIELD_ORDER))]:
        if name not in fields:
            continue
        value = fields[name]
        if isinstance(value, dt.date):
            value = _Date(date_text(value))
        ordered[name] = value
    if not ordered:
        return ""
    dumped = yaml.dump(
        ordered,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1000,
    )
    return f"---\n{dumped}---\n"


# --- converting bodies ----------------------------------------------------------------------


class Body:
    """Text being converted, with the source line each of its lines came from."""

    def __init__(self, lines: list[tuple[str, int]]) -> None:
        self.lines = lines
        self.text = "".join(text for text, _ in lines)
        self.starts: list[int] = []
        offset = 0
        for text, _ in lines:
            self.starts.append(offset)
            offset += len(text)

    @classmethod
    def of(cls, text: str, first_line: int) -> Body:
        return cls([(t, first_line + i) for i, t in enumerate(text.splitlines(keepends=True))])

    def line_at(self, offset: int) -> int | None:
        if not self.lines:
            return None
        index = max(0, bisect.bisect_right(self.starts, offset) - 1)
        return self.lines[index][1]


class Writer:
    """Converted text, built piece by piece, with notes pinned to their output offset."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.notes: list[tuple[int, Note]] = []
        self._newline_due = False

    def write(self, text: str) -> None:
        if not text:
            return
        if self._newline_due:
            # the block ended its line: a newline that follows in the source ends it again
            self._newline_due = False
            text = text[1:] if text.startswith("\n") else "\n" + text.lstrip(" \t")
            if not text:
                return
        self.parts.append(text)
        self.size += len(text)

    def note(self, note: Note, offset: int | None = None) -> None:
        self.notes.append((self.size if offset is None else offset, note))

    def block(self, text: str) -> None:
        """A block construct (a fence) on lines of its own, however it was written inline."""
        tail = "".join(self.parts[-2:])
        if tail and not tail.endswith("\n"):
            self.write("\n\n")
        elif tail and not tail.endswith("\n\n") and tail.strip("\n"):
            last_line = tail.rstrip("\n").rsplit("\n", 1)[-1]
            if last_line.strip() and not re.match(r"\s*(?:[-*+]|\d+[.)])\s", last_line):
                self.write("\n")
        self._newline_due = False
        self.write(text.rstrip("\n") + "\n")
        self._newline_due = True

    def embed(self, other: Writer) -> None:
        """Another writer's text and notes (a paired shortcode's converted body)."""
        base = self.size
        self.write("".join(other.parts))
        self.notes += [(base + offset, note) for offset, note in other.notes]

    def text(self) -> str:
        return "".join(self.parts)


def fence_for(body: str, char: str = "`") -> str:
    longest = max((len(m) for m in re.findall(re.escape(char) + "+", body)), default=0)
    return char * max(3, longest + 1)


def code_block(code: str, lang: str = "") -> str:
    code = code.strip("\n")
    fence = fence_for(code)
    return f"{fence}{lang}\n{code}\n{fence}\n"


def video_title(url: str) -> str:
    """A name for a video whose source gave none (the player's label and the app's title)."""
    host = urlsplit(url).netloc.lower()
    if "youtu" in host:
        return "YouTube video"
    if "vimeo" in host:
        return "Vimeo video"
    name = posixpath.basename(urlsplit(url).path)
    return f"Video: {name}" if name else "Video"


def directive(
    name: str,
    argument: str = "",
    options: Mapping[str, Any] = {},
    body: str = "",
    colon: bool = False,
) -> str:
    """A MyST directive: ```` ```{name} argument ```` with `:key: value` options and a
    Markdown body; `colon` writes the `:::{name}` form, whose body may hold code fences."""
    opts = "".join(
        f":{key}: {_one_line(str(value))}\n"
        for key, value in options.items()
        if value not in (None, "")
    )
    body = body.strip("\n")
    fence = fence_for(body, ":" if colon else "`")
    head = f"{fence}{{{name}}}" + (f" {_one_line(argument)}" if argument else "")
    inner = opts + ("\n" if opts and body else "") + (body + "\n" if body else "")
    return f"{head}\n{inner}{fence}\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


#: admonition kinds of the old themes and the callout kind (note, tip, warning) they become
CALLOUT_KINDS = {
    "note": "note",
    "info": "note",
    "information": "note",
    "primary": "note",
    "secondary": "note",
    "abstract": "note",
    "summary": "note",
    "quote": "note",
    "example": "note",
    "question": "note",
    "todo": "note",
    "tip": "tip",
    "hint": "tip",
    "success": "tip",
    "check": "tip",
    "done": "tip",
    "important": "warning",
    "warning": "warning",
    "caution": "warning",
    "attention": "warning",
    "danger": "warning",
    "error": "warning",
    "failure": "warning",
    "bug": "warning",
}

#: names a theme gives to its admonition shortcode or include
CALLOUT_NAMES = frozenset(
    {"notice", "alert", "hint", "callout", "admonition", "note", "tip", "warning", "info"}
    | {"important", "caution", "danger", "attention", "success", "error"}
)


def callout_kind(wanted: str | None, name: str) -> tuple[str, bool]:
    """(callout kind, whether it was recognised): the theme's word, or the shortcode's name."""
    for word in (wanted, name):
        if word and word.lower() in CALLOUT_KINDS:
            return CALLOUT_KINDS[word.lower()], True
    return "note", False


def youtube_url(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"


def vimeo_url(video_id: str) -> str:
    return f"https://vimeo.com/{video_id}"


_ALERT = re.compile(r"^>\s*\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*$", re.IGNORECASE)
_MORE = re.compile(r"^\s*<!--\s*more\s*-->\s*$", re.IGNORECASE)


def prepass(body: Body, report: Report, extra: Callable[[str], str] | None = None) -> Body:
    """Line-level conversions, outside code: GitHub alerts become callouts and summary
    dividers (`<!--more-->`) go (omnipub takes the summary from front matter)."""
    out: list[tuple[str, int]] = []
    fence: str | None = None
    lines = body.lines
    index = 0
    while index < len(lines):
        text, line = lines[index]
        stripped = text.strip()
        opener = re.match(r"^\s{0,3}(`{3,}|~{3,})", text)
        if fence is None and opener:
            fence = opener.group(1)
        elif (
            fence is not None
            and stripped.startswith(fence[0] * len(fence))
            and not stripped.strip(fence[0])
        ):
            fence = None
        elif fence is None:
            alert = _ALERT.match(stripped)
            if alert:
                kind = CALLOUT_KINDS[alert.group(1).lower()]
                out.append((f":::{{callout}} {kind}\n", line))
                index += 1
                while index < len(lines) and lines[index][0].lstrip().startswith(">"):
                    quoted, at = lines[index]
                    out.append((re.sub(r"^\s*>\s?", "", quoted), at))
                    index += 1
                out.append((":::\n", lines[index - 1][1]))
                report.components["GitHub alert → {callout}"] += 1
                continue
            if _MORE.match(text):
                report.components["<!--more--> divider removed"] += 1
                out.append(("\n", line))
                index += 1
                continue
            if extra is not None:
                text = extra(text)
        out.append((text, line))
        index += 1
    return Body(out)


# --- links to old URLs ----------------------------------------------------------------------

_LINK = re.compile(r"(\]\(\s*<?)([^)\s>]+)(>?(?:\s+\"[^\"]*\")?\s*\))")
_REF_DEF = re.compile(r"^(\s{0,3}\[[^\]]+\]:\s*<?)(\S+?)(>?(?:\s.*)?)$")


def relative_link(from_dest: str, to_dest: str, anchor: str = "") -> str:
    rel = posixpath.relpath(to_dest, posixpath.dirname(from_dest))
    return rel + (f"#{anchor}" if anchor else "")


def old_url_rewriter(
    page: Page, urls: Mapping[str, Page], hosts: set[str], report: Report
) -> Callable[[str], str]:
    """A line rewriter: Markdown links to the old site's page URLs become links to the
    converted files, which every channel resolves (and a moved page keeps its links)."""

    def target(href: str) -> str | None:
        parts = urlsplit(href)
        if parts.scheme and (parts.scheme not in ("http", "https") or parts.netloc not in hosts):
            return None
        if not parts.path.startswith("/"):
            return None
        path = parts.path
        for candidate in (path, path + "/", re.sub(r"index\.html?$", "", path)):
            found = urls.get(candidate)
            if found is not None and found is not page or (found is page and parts.fragment):
                assert found is not None
                report.components["link to an old URL → link to the file"] += 1
                return relative_link(page.dest, found.dest, parts.fragment)
        return None

    def rewrite(line: str) -> str:
        def inline(match: re.Match[str]) -> str:
            new = target(match.group(2))
            return match.group(0) if new is None else match.group(1) + new + match.group(3)

        line = _LINK.sub(inline, line)
        definition = _REF_DEF.match(line.rstrip("\n"))
        if definition:
            new = target(definition.group(2))
            if new is not None:
                line = definition.group(1) + new + definition.group(3) + "\n"
        return line

    return rewrite


# --- writing the site -----------------------------------------------------------------------


def assign_urls(imported: Imported, report: Report) -> dict[str, Page]:
    """Old URL -> page, and each moved page's old URL as an alias of its new one.

    An alias is added only where the old URL is not the new URL of some page, and only
    once: two pages claiming one old URL would make the build fail."""
    site = imported.site
    new_urls = {p.new_url(site): p for p in imported.pages}
    by_old: dict[str, Page] = {}
    claimed: dict[str, Page] = {}
    for page in imported.pages:
        for alias in page.fields.get("aliases", []):
            claimed.setdefault(alias, page)
    for page in imported.pages:
        if not page.old_url:
            continue
        by_old.setdefault(page.old_url, page)
        new = page.new_url(site)
        if page.kind != "item" or page.old_url == new or page.old_url in new_urls:
            continue
        owner = claimed.get(page.old_url)
        if owner is not None and owner is not page:
            report.need(
                Note(
                    "url.alias-taken",
                    f"old URL {page.old_url} is also an alias of {owner.src}: not redirected",
                    page.src,
                )
            )
            continue
        claimed[page.old_url] = page
        aliases = page.fields.setdefault("aliases", [])
        if page.old_url not in aliases:
            aliases.append(page.old_url)
            report.keys["old URL → aliases"] += 1
    for page in imported.pages:
        kept = []
        for alias in page.fields.get("aliases", []):
            if alias in new_urls:
                report.need(
                    Note(
                        "url.alias-taken",
                        f"alias {alias} is the URL of {new_urls[alias].src} now: dropped",
                        page.src,
                        page.line("aliases") or page.line("redirect_from"),
                    )
                )
            elif claimed.get(alias, page) is page:
                kept.append(alias)
        if kept:
            page.fields["aliases"] = kept
        else:
            page.fields.pop("aliases", None)
    seen: dict[str, Page] = {}
    for page in imported.pages:
        url = page.new_url(site)
        if url in seen:
            report.need(
                Note(
                    "url.collision",
                    f"{page.dest} and {seen[url].dest} would both be {url}",
                    page.src,
                    hint="give one of them another slug",
                )
            )
        seen.setdefault(url, page)
    return by_old


def config_text(site: SiteInfo, sections: Iterable[str]) -> str:
    """omnipub.toml for the imported site: the web channel at the old site's address."""
    out = ["[site]", f"title = {_toml(site.title)}"]
    if site.description:
        out.append(f"description = {_toml(site.description)}")
    out.append(f"timezone = {_toml(site.timezone)}")
    out.append(f"default_language = {_toml(site.default_language)}")
    if site.copyright:
        out.append(f"copyright = {_toml(site.copyright)}")
    if site.author:
        out.append(f"author = {_toml(site.author)}")
    languages = site.languages or [Language("en", "English", "en")]
    for lang in languages:
        out += ["", f"[languages.{lang.code}]", f"name = {_toml(lang.name)}"]
        out.append(f"locale = {_toml(lang.locale)}")
    for name in sorted(set(sections)):
        title = name.replace("-", " ").replace("_", " ").title()
        out += ["", f"[sections.{name}]", f"title = {_toml(title)}"]
    if site.raw_html:
        out += [
            "",
            "[markdown]",
            "# the old site rendered raw HTML in Markdown",
            "allow_html = true",
        ]
    out += ["", "[channels.web]", f"base_url = {_toml(site.base_url)}"]
    return "\n".join(out) + "\n"


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


#: files at the root of the old site's static folder that the new site writes itself
GENERATED = frozenset(
    f"static/{name}" for name in ("robots.txt", "sitemap.xml", "404.html", "index.html", "feed.xml")
)


def write_site(imported: Imported, dest: Path, report: Report) -> None:
    """Write omnipub.toml, content/ and static/; pin every note to its place in DEST."""
    site = imported.site
    sections = set()
    for page in imported.pages:
        parts = page.dest.split("/")
        if len(parts) > 2:
            sections.add(parts[1])
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "omnipub.toml").write_text(config_text(site, sections), encoding="utf-8")
    gitignore = dest / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("public/\n.omnipub/\n", encoding="utf-8")
    for source, rel in imported.copies:
        if rel in GENERATED:
            report.need(
                Note(
                    "static.generated",
                    f"omnipub writes its own {rel.split('/', 1)[1]}: the old one is not copied",
                    source.relative_to(imported.root).as_posix(),
                    hint="put what it said into omnipub.toml or a template",
                )
            )
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    for page in imported.pages:
        header = front_matter_text(page.fields)
        text = header + ("\n" if header and page.converted.strip() else "") + page.converted
        if not text.endswith("\n"):
            text += "\n"
        target = dest / page.dest
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        offset_lines = header.count("\n") + (1 if header and page.converted.strip() else 0)
        for offset, note in page.notes:
            note.dest = page.dest
            note.dest_line = offset_lines + page.converted.count("\n", 0, offset) + 1
            report.need(note)
    for note in report.attention + report.dropped:
        if note.dest is None:
            for page in imported.pages:
                if page.src == note.src and note.src_line is not None:
                    note.dest = page.dest


# --- shortcodes and includes that become components -----------------------------------------

FIGURE_NAMES = frozenset({"figure", "image", "img", "picture", "fig", "responsive-image"})
VIDEO_NAMES = frozenset({"youtube", "vimeo", "video", "youtube-embed", "youtube_embed"})
CODE_NAMES = frozenset({"highlight", "code", "syntax", "codeblock"})

_ARG = re.compile(
    r"""\s*,?\s*(?:([A-Za-z_][\w-]*)\s*[=:]\s*)?("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`|[^\s,"'`=]+)"""
)


def parse_args(text: str) -> tuple[list[str], dict[str, str]]:
    """Arguments as Hugo, Liquid and Nunjucks write them: quoted or bare, positional or
    `key=value` (`key: value` in Liquid), separated by spaces or commas."""
    positional: list[str] = []
    named: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        match = _ARG.match(text, pos)
        if not match or match.end() == pos:
            break
        pos = match.end()
        key, raw = match.groups()
        value = _unquote(raw)
        if key:
            named[key.lower()] = value
        else:
            positional.append(value)
    return positional, named


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    if len(raw) >= 2 and raw[0] == raw[-1] == "`":
        return raw[1:-1]
    return raw


def _first(named: Mapping[str, str], *keys: str) -> str:
    for key in keys:
        if named.get(key):
            return named[key]
    return ""


def emit_callout(w: Writer, kind: str, title: str, inner: Writer) -> None:
    """`:::{callout} kind` around an already converted body (its notes keep their place)."""
    body = inner.text()
    lead = len(body) - len(body.lstrip("\n"))
    fence = fence_for(body, ":")
    head = f"{fence}{{callout}} {kind}\n" + (f":title: {_one_line(title)}\n" if title else "")
    w.block(head)
    w._newline_due = False
    base = w.size - lead
    w.write(body.strip("\n") + "\n" if body.strip() else "")
    w.notes += [(max(base + offset, base + lead), note) for offset, note in inner.notes]
    w.write(f"{fence}\n")
    w._newline_due = True


def standard_component(
    name: str,
    positional: list[str],
    named: dict[str, str],
    inner: Writer | None,
    raw_inner: str | None,
    w: Writer,
    report: Report,
    label: str,
) -> bool:
    """Write the component a common shortcode or include stands for; False if unknown.

    `label` names the construct in the report (`{{< figure >}}`, `{% include note.html %}`).
    """
    lower = name.lower()
    if lower in FIGURE_NAMES:
        src = _first(named, "src", "image", "image_path", "file", "url", "path") or (
            positional[0] if positional else ""
        )
        if not src:
            return False
        alt = _first(named, "alt", "alt_text") or (positional[1] if len(positional) > 1 else "")
        caption = _first(named, "caption", "figcaption")
        title = _first(named, "title")
        body = "\n\n".join(part for part in (f"**{title}**" if title else "", caption) if part)
        options = {
            "alt": alt or title or caption,
            "width": _first(named, "width"),
            "link": _first(named, "link", "href"),
        }
        w.block(directive("figure", src, options, body))
        report.components[f"{label} → {{figure}}"] += 1
        return True
    if lower in VIDEO_NAMES:
        ident = _first(named, "id", "src", "url", "video_id") or (
            positional[0] if positional else ""
        )
        if not ident:
            return False
        provider = _first(named, "provider", "service").lower() or lower
        if re.match(r"https?://", ident):
            url = ident
        elif "vimeo" in provider:
            url = vimeo_url(ident)
        elif "youtube" in provider or lower == "video" and re.fullmatch(r"[\w-]{11}", ident):
            url = youtube_url(ident)
        else:
            url = ident
        # a video needs an accessible name: the shortcode's, else one saying what it is
        title = _first(named, "title", "caption", "alt") or video_title(url)
        w.block(directive("video", url, {"title": title}))
        report.components[f"{label} → {{video}}"] += 1
        return True
    if lower in CODE_NAMES and raw_inner is not None:
        lang = (positional[0] if positional else _first(named, "lang", "language")).split()
        w.block(code_block(raw_inner, lang[0] if lang else ""))
        report.components[f"{label} → fenced code"] += 1
        return True
    if lower in CALLOUT_NAMES:
        wanted = _first(named, "type", "kind", "color", "style", "level", "class") or (
            positional[0] if positional else ""
        )
        kind, known = callout_kind(wanted, lower)
        title = _first(named, "title", "header", "heading")
        if not known and positional and not named.get("title") and lower not in CALLOUT_KINDS:
            title = title or positional[0]
        if inner is None:
            content = _first(named, "content", "text", "body", "message")
            if not content:
                return False
            inner = Writer()
            inner.write(content)
        emit_callout(w, kind, title, inner)
        report.components[f"{label} → {{callout}}"] += 1
        return True
    return False
