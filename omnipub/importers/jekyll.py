"""Jekyll: _config.yml (with front matter `defaults`), _posts/ and _drafts/ with dates in
their file names, collections, pages, _data/, static files, Liquid tags and includes."""

from __future__ import annotations

import datetime as dt
import fnmatch
import posixpath
import re
from pathlib import Path
from typing import Any

from ..paths import slugify
from .common import (
    Body,
    Imported,
    Language,
    Note,
    Page,
    Report,
    SiteInfo,
    SkipFile,
    Writer,
    as_texts,
    has_front_matter,
    parse_date,
    prepass,
    read_data_file,
    read_matter,
    site_path,
    slug_from_url,
)
from .files import walk
from .liquid import Dialect, LiquidConverter

CONFIG_NAMES = ("_config.yml", "_config.yaml", "_config.toml")
MARKDOWN = (".md", ".markdown", ".mkdown", ".mkdn", ".mkd")
_POST_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
#: what Jekyll never reads as site content
_SKIP = ("_site", "_layouts", "_includes", "_sass", "_plugins", "node_modules", "vendor")
_SKIP_FILES = ("Gemfile", "Gemfile.lock", *CONFIG_NAMES)

PERMALINK_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}


def detect(src: Path) -> bool:
    return any((src / name).is_file() for name in CONFIG_NAMES) or (src / "_posts").is_dir()


def read(src: Path, report: Report, now: dt.datetime, exclude: Path | None) -> Imported:
    config: dict[str, Any] = {}
    for name in CONFIG_NAMES:
        if (src / name).is_file():
            try:
                loaded = read_data_file(src / name)
            except (ValueError, OSError) as exc:
                report.need(Note("config.syntax", f"cannot read: {exc}", name))
                loaded = {}
            config = loaded if isinstance(loaded, dict) else {}
            report.files["config files read"] += 1
            break
    url = str(config.get("url") or "https://example.com").rstrip("/")
    baseurl = str(config.get("baseurl") or "").strip("/")
    lang = str(config.get("lang") or config.get("locale") or "en").replace("_", "-")
    code = lang.split("-")[0].lower()
    author = config.get("author") or ""
    if isinstance(author, dict):
        author = author.get("name", "")
    site = SiteInfo(
        title=str(config.get("title") or src.resolve().name),
        base_url=f"{url}/{baseurl}/" if baseurl else f"{url}/",
        description=str(config.get("description") or ""),
        timezone=str(config.get("timezone") or "UTC"),
        languages=[Language(code, _name(code), lang.replace("-", "_"))],
        author=str(author) if isinstance(author, str) else "",
        raw_html=True,  # kramdown passes raw HTML through
    )
    imported = Imported(site)
    style = str(config.get("permalink") or "date")
    permalink = PERMALINK_STYLES.get(style, style)
    pretty = style == "pretty" or permalink.endswith("/")
    collections = config.get("collections") or {}
    if isinstance(collections, list):
        collections = {str(name): {} for name in collections}
    excluded = [str(e) for e in config.get("exclude") or []]
    defaults = [d for d in config.get("defaults") or [] if isinstance(d, dict)]
    reader = _Reader(src, site, imported, report, permalink, pretty, defaults, exclude)
    for path in walk(src, exclude, skip=_SKIP):
        rel = path.relative_to(src).as_posix()
        parts = rel.split("/")
        if rel in _SKIP_FILES or any(
            fnmatch.fnmatch(rel, e) or parts[0] == e.strip("/") for e in excluded
        ):
            continue
        if "_posts" in parts or "_drafts" in parts:
            reader.post(path, rel, draft="_drafts" in parts)
        elif parts[0] == "_data":
            imported.copies.append((path, "data/" + "/".join(parts[1:])))
            report.files["data files"] += 1
        elif parts[0].startswith("_"):
            name = parts[0][1:]
            options = collections.get(name)
            if options is None:
                report.files[f"{parts[0]}/ skipped"] += 1
            elif not (options or {}).get("output"):
                report.need(
                    Note(
                        "jekyll.collection",
                        f"collection {name!r} has no pages (output is false): not imported",
                        rel,
                    )
                )
            else:
                reader.page(path, rel, collection=name, options=options)
        else:
            reader.page(path, rel)
    return imported


def _name(code: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(code).get_display_name() or code)
    except (UnknownLocaleError, ValueError):
        return code


class _Reader:
    def __init__(
        self,
        src: Path,
        site: SiteInfo,
        imported: Imported,
        report: Report,
        permalink: str,
        pretty: bool,
        defaults: list[dict[str, Any]],
        exclude: Path | None,
    ) -> None:
        self.src = src
        self.site = site
        self.imported = imported
        self.report = report
        self.permalink = permalink
        self.pretty = pretty
        self.defaults = defaults
        self.used: dict[str, str] = {}

    def _read(
        self, path: Path, rel: str, kind: str
    ) -> tuple[dict[str, Any], dict[str, int], str, int] | None:
        try:
            matter, lines, body, body_line = read_matter(path.read_text(encoding="utf-8"), rel)
        except SkipFile as skipped:
            self.report.need(skipped.note)
            return None
        for default in self.defaults:
            scope = default.get("scope") or {}
            values = default.get("values") or {}
            where = str(scope.get("path") or "")
            if where and not (rel.startswith(where) or fnmatch.fnmatch(rel, where)):
                continue
            if scope.get("type") and scope.get("type") != kind:
                continue
            for key, value in values.items():
                matter.setdefault(str(key), value)
        return matter, lines, body, body_line

    def _claim(self, dest: str, rel: str) -> str:
        if dest in self.used:
            stem, ext = posixpath.splitext(dest)
            fallback = f"{stem}-{len(self.used)}{ext}"
            self.report.need(
                Note(
                    "import.name-taken",
                    f"{dest} is taken by {self.used[dest]}: written as {fallback}",
                    rel,
                )
            )
            dest = fallback
        self.used[dest] = rel
        return dest

    def post(self, path: Path, rel: str, draft: bool) -> None:
        name, suffix = posixpath.splitext(posixpath.basename(rel))
        if suffix not in MARKDOWN:
            if suffix in (".html", ".htm"):
                self.report.need(
                    Note(
                        "content.format",
                        "an HTML post is not converted",
                        rel,
                        1,
                        hint="convert it to Markdown by hand",
                    )
                )
            return
        match = _POST_NAME.match(name)
        if match is None and not draft:
            self.report.need(
                Note(
                    "jekyll.post-name",
                    "a post's file name must start with its date: Jekyll skips it",
                    rel,
                )
            )
            return
        read = self._read(path, rel, "drafts" if draft else "posts")
        if read is None:
            return
        matter, lines, body, body_line = read
        slug_name = match.group(4) if match else name
        file_date = parse_date("-".join(match.groups()[:3])) if match else None
        if file_date is not None and "date" not in {k.lower() for k in matter}:
            matter["date"] = file_date
            self.report.keys["file name date → date"] += 1
        if draft:
            matter["draft"] = True
            self.report.keys["_drafts/ → draft"] += 1
        if suffix != ".md":
            self.report.files[f"{suffix} renamed to .md"] += 1
        parts = rel.split("/")
        folder_categories = [
            p for p in parts[: parts.index("_posts" if "_posts" in parts else "_drafts")]
        ]
        categories = (
            folder_categories
            + as_texts(matter.get("categories"), True)
            + as_texts(matter.get("category"), True)
        )
        if folder_categories:
            matter["categories"] = categories
        dest = self._claim(f"content/posts/{slugify(slug_name)}.md", rel)
        page = Page(rel, dest, matter, lines, body, body_line, lang=self.site.default_language)
        if slugify(slug_name) != slug_name:
            page.fields["slug"] = slugify(slug_name)
        date = parse_date(matter.get("date"))
        if not draft:  # a draft never had a URL
            page.old_url = self._post_url(page, matter, slug_name, categories, date)
        self._permalink_slug(page, matter)
        self.imported.pages.append(page)
        self.report.files["drafts" if draft else "posts"] += 1

    def _post_url(
        self,
        page: Page,
        matter: dict[str, Any],
        slug: str,
        categories: list[str],
        date: dt.datetime | dt.date | None,
    ) -> str | None:
        given = matter.get("permalink")
        if isinstance(given, str) and given.strip():
            return site_path(given)
        values = {
            "categories": "/".join(slugify(c) for c in categories),
            "title": str(matter.get("slug") or slug),
            "slug": str(matter.get("slug") or slug),
            "name": slug,
            "output_ext": ".html",
        }
        if date is not None:
            values.update(
                year=f"{date.year:04d}",
                month=f"{date.month:02d}",
                i_month=str(date.month),
                day=f"{date.day:02d}",
                i_day=str(date.day),
                y_day=f"{date.timetuple().tm_yday:03d}",
                short_year=f"{date.year % 100:02d}",
            )
        return self._expand(self.permalink, values, page)

    def _expand(self, pattern: str, values: dict[str, str], page: Page) -> str | None:
        missing: list[str] = []

        def token(match: re.Match[str]) -> str:
            if match.group(1) not in values:
                missing.append(match.group(1))
                return ""
            return values[match.group(1)]

        path = re.sub(r":(\w+)", token, pattern)
        if missing:
            self.report.need(
                Note(
                    "jekyll.permalink",
                    f"permalink {pattern!r} uses {', '.join(missing)}: the old URL gets no "
                    "redirect",
                    page.src,
                    hint="add the old URL to the page's aliases",
                )
            )
            return None
        return site_path(re.sub(r"/+", "/", "/" + path))

    def _permalink_slug(self, page: Page, matter: dict[str, Any]) -> None:
        given = matter.get("permalink")
        if isinstance(given, str) and given.strip():
            slug = slug_from_url(given)
            if slug:
                page.fields["slug"] = slug
            self.report.keys["permalink → slug (old URL → aliases)"] += 1

    def page(
        self, path: Path, rel: str, collection: str | None = None, options: Any = None
    ) -> None:
        name, suffix = posixpath.splitext(posixpath.basename(rel))
        try:
            with path.open("rb") as handle:
                head = handle.read(4).decode("utf-8", "replace")
        except OSError:
            return
        front = has_front_matter(head + "\n")
        if suffix not in MARKDOWN or not front:
            if front:
                self.report.need(
                    Note(
                        "content.format",
                        f"a {suffix or 'file'} with front matter is a template in Jekyll: not "
                        "converted",
                        rel,
                        1,
                        hint="omnipub builds lists, feeds and styles itself; copy what you "
                        "need into templates/",
                    )
                )
            elif collection is None:
                self.imported.copies.append((path, f"static/{rel}"))
                self.report.files["static files"] += 1
            return
        read = self._read(path, rel, collection or "pages")
        if read is None:
            return
        matter, lines, body, body_line = read
        if suffix != ".md":
            self.report.files[f"{suffix} renamed to .md"] += 1
        base = rel[len(collection) + 2 :] if collection else rel
        folder = posixpath.dirname(base)
        if collection:
            folder = posixpath.join(collection, folder) if folder else collection
        kind = "item"
        if name == "index" and not folder:
            dest, kind = "content/_index.md", "home"
        elif name == "index" and "/" not in folder:
            siblings = [
                p
                for p in (self.src / folder).glob("*")
                if p.suffix in MARKDOWN and p.stem != "index"
            ]
            if siblings:
                dest, kind = f"content/{folder}/_index.md", "section"
            else:
                dest = f"content/{folder}.md"
        elif name == "index":
            dest = f"content/{folder}/index.md"
        else:
            dest = f"content/{posixpath.join(folder, name)}.md"
        dest = self._claim(dest, rel)
        page = Page(rel, dest, matter, lines, body, body_line, kind, self.site.default_language)
        if name == "index" and dest.endswith("/index.md"):
            page.fields["slug"] = slugify(posixpath.basename(folder))
        given = matter.get("permalink")
        if isinstance(given, str) and given.strip():
            page.old_url = site_path(given)
            if kind == "item":
                self._permalink_slug(page, matter)
        elif collection:
            pattern = str((options or {}).get("permalink") or "/:collection/:path:output_ext")
            stem = posixpath.splitext(base)[0]
            values = {
                "collection": collection,
                "path": stem,
                "name": name,
                "title": name,
                "slug": name,
                "output_ext": "/" if self.pretty else ".html",
            }
            page.old_url = self._expand(PERMALINK_STYLES.get(pattern, pattern), values, page)
        elif name == "index":
            page.old_url = site_path(f"/{folder}/" if folder else "/")
        else:
            stem = posixpath.join(posixpath.dirname(rel), name)
            page.old_url = site_path(f"/{stem}/" if self.pretty else f"/{stem}.html")
        self.imported.pages.append(page)
        self.report.files["pages"] += 1


# --- Liquid ---------------------------------------------------------------------------------

_IAL = re.compile(r"^\s*\{:\s*[^}]*\}\s*$")
_TOC = re.compile(r"^\s*(?:[*-]|1\.)\s+TOC\s*$")
_INLINE_IAL = re.compile(r"\s*\{:\s*[.#][^}]*\}\s*$")


def _kramdown(report: Report) -> Any:
    """kramdown's attribute lists (`{: .note}`, `{:toc}`) style a block; omnipub has no
    such syntax, so they go (they would otherwise show as text)."""

    def strip(line: str) -> str:
        if _IAL.match(line) or _TOC.match(line):
            report.components["kramdown attribute list removed"] += 1
            return "\n" if line.endswith("\n") else ""
        if _INLINE_IAL.search(line):
            report.components["kramdown attribute list removed"] += 1
            return _INLINE_IAL.sub("", line.rstrip("\n")) + ("\n" if line.endswith("\n") else "")
        return line

    return strip


def convert(page: Page, body: Body, imported: Imported, report: Report) -> Writer:
    body = prepass(body, report, _kramdown(report))
    by_src = {p.src: p for p in imported.pages}

    def link(wanted: str, here: Page) -> Page | None:
        return by_src.get(wanted.lstrip("/"))

    def post_url(wanted: str, here: Page) -> Page | None:
        name = wanted.strip().lstrip("/")
        for candidate in imported.pages:
            stem = posixpath.splitext(candidate.src)[0]
            if "/_posts/" in f"/{stem}" and (stem.endswith("/" + name) or stem.endswith(name)):
                return candidate
        return None

    dialect = Dialect("jekyll", {"link": link, "post_url": post_url})
    return LiquidConverter(page, body, imported, report, dialect).convert(0, len(body.text))
