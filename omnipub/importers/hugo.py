"""Hugo: config (hugo.toml, config.*, config/_default/), content/ with bundles and
translations, static/ and data/, and shortcodes (`{{< figure >}}`, `{{% notice %}}`...)."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError

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
    parse_args,
    parse_date,
    read_data_file,
    read_matter,
    relative_link,
    site_path,
    slug_from_url,
    standard_component,
)
from .files import copy_tree, walk

CONFIG_NAMES = ("hugo", "config")
CONFIG_SUFFIXES = (".toml", ".yaml", ".yml", ".json")
MARKDOWN = (".md", ".markdown")
#: content formats Hugo renders through external tools; omnipub reads Markdown only
OTHER_FORMATS = (".html", ".htm", ".org", ".adoc", ".asciidoc", ".rst", ".pandoc", ".pdc")


def detect(src: Path) -> bool:
    return (
        any((src / f"{n}{s}").is_file() for n in CONFIG_NAMES for s in CONFIG_SUFFIXES)
        or (src / "config" / "_default").is_dir()
    )


def _lower(value: Any) -> Any:
    """Hugo's configuration keys are case-insensitive."""
    if isinstance(value, dict):
        return {str(k).lower(): _lower(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower(v) for v in value]
    return value


def load_config(src: Path, report: Report) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for name in CONFIG_NAMES:
        for suffix in CONFIG_SUFFIXES:
            path = src / f"{name}{suffix}"
            if path.is_file():
                config = _read_config(path, report)
                report.files["config files read"] += 1
                break
        if config:
            break
    folder = src / "config" / "_default"
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.suffix not in CONFIG_SUFFIXES:
                continue
            data = _read_config(path, report)
            report.files["config files read"] += 1
            if path.stem in CONFIG_NAMES:
                config = {**data, **config}
            else:
                config.setdefault(path.stem.lower(), data)
    return _lower(config)


def _read_config(path: Path, report: Report) -> dict[str, Any]:
    try:
        data = read_data_file(path)
    except (ValueError, OSError) as exc:
        report.need(Note("config.syntax", f"cannot read: {exc}", path.name))
        return {}
    return data if isinstance(data, dict) else {}


def _locale(code: str) -> str:
    """Hugo's `languageCode` (`en-us`) as a Babel locale (`en_US`), when Babel knows it."""
    try:
        return str(Locale.parse(code.replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        return code.split("-")[0]


def _language_name(code: str, given: Any) -> str:
    if isinstance(given, str) and given:
        return given
    try:
        return str(Locale.parse(code.replace("-", "_")).get_display_name() or code)
    except (UnknownLocaleError, ValueError, TypeError):
        return code


@dataclass
class HugoSite:
    config: dict[str, Any]
    permalinks: dict[str, str]
    ugly: bool
    lower_paths: bool
    taxonomies: set[str]


def read(src: Path, report: Report, now: dt.datetime, exclude: Path | None) -> Imported:
    config = load_config(src, report)
    params = config.get("params") if isinstance(config.get("params"), dict) else {}
    assert isinstance(params, dict)
    default = str(config.get("defaultcontentlanguage") or "").lower()
    declared = config.get("languages") if isinstance(config.get("languages"), dict) else {}
    assert isinstance(declared, dict)
    if not default:
        default = str(config.get("languagecode") or "en").split("-")[0].lower()
    codes = sorted(declared, key=lambda c: (c != default, declared[c].get("weight", 0), c))
    if default not in codes:
        codes.insert(0, default)
    languages = []
    for code in codes:
        table = declared.get(code) or {}
        locale_code = table.get("languagecode") or (
            config.get("languagecode") if code == default else None
        )
        languages.append(
            Language(
                code,
                _language_name(code, table.get("languagename") or table.get("label")),
                _locale(str(locale_code or code)),
            )
        )
    markup = config.get("markup") or {}
    unsafe = bool(markup.get("goldmark", {}).get("renderer", {}).get("unsafe", False))
    base = str(config.get("baseurl") or "https://example.com/")
    author = params.get("author") or config.get("author") or ""
    if isinstance(author, dict):
        author = author.get("name", "")
    site = SiteInfo(
        title=str(config.get("title") or src.resolve().name),
        base_url=base if base.endswith("/") else base + "/",
        description=str(params.get("description") or config.get("description") or ""),
        timezone=str(config.get("timezone") or "UTC"),
        languages=languages,
        copyright=str(config.get("copyright") or ""),
        author=str(author) if isinstance(author, str) else "",
        raw_html=unsafe,
    )
    permalinks = {
        str(k): str(v)
        for k, v in {
            **(config.get("permalinks") or {}),
            **((config.get("permalinks") or {}).get("page") or {}),
        }.items()
        if isinstance(v, str)
    }
    taxonomies = set(
        (config.get("taxonomies") or {"tag": "tags", "category": "categories"}).values()
    )
    hugo = HugoSite(
        config,
        permalinks,
        bool(config.get("uglyurls")),
        not config.get("disablepathtolower"),
        {str(t).lower() for t in taxonomies},
    )
    imported = Imported(site)
    content_dirs = [(src / str(config.get("contentdir") or "content"), None)]
    for code in codes:
        folder = (declared.get(code) or {}).get("contentdir")
        if folder:
            content_dirs.append((src / str(folder), code))
    for folder, forced_lang in content_dirs:
        _read_content(src, folder, forced_lang, hugo, imported, report, exclude)
    static = config.get("staticdir") or "static"
    for folder in static if isinstance(static, list) else [static]:
        copy_tree(src / str(folder), "static", imported, report, "static files", exclude)
    copy_tree(src / "data", "data", imported, report, "data files", exclude)
    if (src / "assets").is_dir():
        count = sum(1 for _ in walk(src / "assets", exclude))
        if count:
            report.need(
                Note(
                    "hugo.assets",
                    f"{count} files in assets/ (Hugo Pipes) are not copied: templates "
                    "processed them",
                    "assets",
                    hint="copy the images your content shows into static/",
                )
            )
    for name in ("layouts", "themes", "archetypes", "i18n"):
        if (src / name).is_dir() and any(walk(src / name, exclude)):
            report.files[f"{name}/ skipped (templates)"] += 1
    return imported


def _split_lang(stem: str, codes: set[str]) -> tuple[str, str | None]:
    head, _, tail = stem.rpartition(".")
    if head and tail.lower() in codes:
        return head, tail.lower()
    return stem, None


def _read_content(
    src: Path,
    folder: Path,
    forced_lang: str | None,
    hugo: HugoSite,
    imported: Imported,
    report: Report,
    exclude: Path | None,
) -> None:
    if not folder.is_dir():
        return
    site = imported.site
    codes = {lang.code for lang in site.languages}
    files = sorted(walk(folder, exclude))
    rels = [path.relative_to(folder).as_posix() for path in files]
    bundles = {
        posixpath.dirname(rel)
        for rel in rels
        if _split_lang(posixpath.splitext(posixpath.basename(rel))[0], codes)[0] == "index"
        and rel.endswith(MARKDOWN)
        and "/" in rel
    }
    cascades: dict[str, tuple[dict[str, Any], str]] = {}
    src_prefix = folder.relative_to(src).as_posix()
    for path, rel in zip(files, rels, strict=True):
        src_rel = f"{src_prefix}/{rel}"
        parent = posixpath.dirname(rel)
        owner = _bundle_of(rel, bundles)
        stem_full, suffix = posixpath.splitext(posixpath.basename(rel))
        stem, lang = _split_lang(stem_full, codes)
        lang = forced_lang or lang
        dest_rel = rel
        if forced_lang and forced_lang != site.default_language and suffix in MARKDOWN:
            dest_rel = posixpath.join(parent, f"{stem}.{forced_lang}.md")
        if suffix not in MARKDOWN:
            if suffix.lower() in OTHER_FORMATS and owner is None:
                report.need(
                    Note(
                        "content.format",
                        f"{suffix} content is not converted (omnipub reads Markdown)",
                        src_rel,
                        hint="convert it to Markdown by hand, or with pandoc",
                    )
                )
                continue
            imported.copies.append((path, f"content/{dest_rel}"))
            report.files["page resources"] += 1
            continue
        if owner is not None and owner != parent or (owner == parent and stem != "index"):
            report.need(
                Note(
                    "hugo.bundle-markdown",
                    "a Markdown file inside a leaf bundle is a page resource in Hugo, not a "
                    "page: not imported",
                    src_rel,
                    hint="move it out of the bundle to make it a page",
                )
            )
            continue
        try:
            matter, lines, body, body_line = read_matter(path.read_text(encoding="utf-8"), src_rel)
        except SkipFile as skipped:
            report.need(skipped.note)
            continue
        except UnicodeDecodeError:
            report.need(Note("content.encoding", "not UTF-8 text: not imported", src_rel, 1))
            continue
        if suffix == ".markdown":
            report.files[".markdown renamed to .md"] += 1
        dest_rel = dest_rel[: -len(suffix)] + ".md" if dest_rel.endswith(suffix) else dest_rel
        own_keys = {k.lower() for k in matter}
        inherited = _cascade_for(parent, cascades)
        for key, value in inherited.items():
            if key not in own_keys:
                matter[key] = value
        if stem == "_index":
            cascade = matter.pop("cascade", None)
            if isinstance(cascade, dict):
                cascades[parent] = (
                    {str(k).lower(): v for k, v in cascade.items() if not str(k).startswith("_")},
                    src_rel,
                )
                report.keys["cascade → copied into each page below"] += 1
            elif cascade is not None:
                report.need(
                    Note(
                        "hugo.cascade",
                        "a cascade with targets (_target) is not applied",
                        src_rel,
                        lines.get("cascade"),
                        hint="copy the keys into the pages it was meant for",
                    )
                )
        depth = rel.count("/")
        if stem == "_index" and depth == 0:
            kind, dest = "home", f"content/{dest_rel}"
        elif stem == "_index":  # a list page at any depth is a section, as in Hugo
            kind, dest = "section", f"content/{dest_rel}"
        else:
            kind, dest = "item", f"content/{dest_rel}"
        page = Page(
            src=src_rel,
            dest=dest,
            matter=matter,
            lines=lines,
            body=body,
            body_line=body_line,
            kind=kind,
            lang=lang or site.default_language,
        )
        lowered = {k.lower(): v for k, v in matter.items()}
        if lowered.get("headless") in (True, "true"):
            report.need(
                Note(
                    "hugo.headless",
                    "a headless bundle has no page in Hugo: its resources are copied, the "
                    "page is not imported",
                    src_rel,
                    page.line("headless"),
                )
            )
            continue
        build = lowered.get("build") or lowered.get("_build")
        if isinstance(build, dict) and str(build.get("render", "")).lower() in ("never", "false"):
            page.fields["draft"] = True
            report.need(
                Note(
                    "hugo.build",
                    "build.render is never: Hugo made no page for it; imported as a draft",
                    src_rel,
                    page.line("build") or page.line("_build"),
                )
            )
        bundle_name = posixpath.basename(parent) if stem in ("index", "_index") else None
        page.old_url = _old_url(page, rel, stem, bundle_name, hugo, site, report)
        _fields_from_url(page, lowered, bundle_name, kind)
        imported.pages.append(page)
        report.files["bundles" if stem == "index" else "pages"] += 1


def _bundle_of(rel: str, bundles: set[str]) -> str | None:
    folder = posixpath.dirname(rel)
    while folder:
        if folder in bundles:
            return folder
        folder = posixpath.dirname(folder)
    return None


def _cascade_for(folder: str, cascades: dict[str, tuple[dict[str, Any], str]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    chain = []
    while True:
        if folder in cascades:
            chain.append(cascades[folder][0])
        if not folder:
            break
        folder = posixpath.dirname(folder)
    for cascade in reversed(chain):
        merged.update(cascade)
    return merged


def _fields_from_url(page: Page, lowered: dict[str, Any], bundle: str | None, kind: str) -> None:
    """`url` sets the whole old URL: its last segment is the new slug. A bundle's slug is
    its folder's name, as in Hugo."""
    if kind != "item":
        return
    url = lowered.get("url")
    if isinstance(url, str) and url.strip():
        slug = slug_from_url(url)
        if slug:
            page.fields["slug"] = slug
    elif bundle and not lowered.get("slug"):
        page.fields["slug"] = slugify(bundle)


def _old_url(
    page: Page,
    rel: str,
    stem: str,
    bundle: str | None,
    hugo: HugoSite,
    site: SiteInfo,
    report: Report,
) -> str | None:
    lowered = {k.lower(): v for k, v in page.matter.items()}
    prefix = "" if page.lang == site.default_language else f"/{page.lang}"
    url = lowered.get("url")
    if isinstance(url, str) and url.strip():
        return site_path("/" + url.strip().lstrip("/"))
    folders = posixpath.dirname(rel)
    if stem == "_index":
        path = f"/{folders}/" if folders else "/"
        return site_path(prefix + path)
    if stem == "index":
        folders = posixpath.dirname(folders)
    section = rel.split("/")[0] if "/" in rel else ""
    name = str(lowered.get("slug") or bundle or stem)
    pattern = hugo.permalinks.get(section)
    if pattern:
        expanded = _expand(pattern, page, lowered, section, folders, bundle or stem, name)
        if expanded is None:
            report.need(
                Note(
                    "hugo.permalink",
                    f"permalink pattern {pattern!r} could not be followed: the old URL "
                    "gets no redirect",
                    page.src,
                    hint="add the old URL to the page's aliases",
                )
            )
            return None
        path = expanded
    else:
        path = f"/{folders}/{name}/" if folders else f"/{name}/"
    if hugo.ugly:
        path = path.rstrip("/") + ".html"
    if hugo.lower_paths:
        path = path.lower()
    return site_path(prefix + path)


def _expand(
    pattern: str,
    page: Page,
    lowered: dict[str, Any],
    section: str,
    folders: str,
    filename: str,
    name: str,
) -> str | None:
    date = parse_date(lowered.get("date"))
    title = str(lowered.get("title") or filename)
    slug = str(lowered.get("slug") or "")
    values = {
        "section": section,
        "sections": folders,
        "filename": filename,
        "contentbasename": filename,
        "slug": slug or slugify(title),
        "slugorfilename": slug or filename,
        "slugorcontentbasename": slug or filename,
        "title": slugify(title),
    }
    if date is not None:
        values.update(
            year=f"{date.year:04d}",
            month=f"{date.month:02d}",
            monthname=date.strftime("%B").lower(),
            day=f"{date.day:02d}",
            weekday=str(date.isoweekday() % 7),
            weekdayname=date.strftime("%A").lower(),
            yearday=f"{date.timetuple().tm_yday:03d}",
        )
    failed = False

    def token(match: re.Match[str]) -> str:
        nonlocal failed
        value = values.get(match.group(1))
        if value is None:
            failed = True
            return ""
        return value

    path = re.sub(r":(\w+)", token, pattern)
    if failed:
        return None
    path = "/" + path.lstrip("/")
    return path if "." in path.rsplit("/", 1)[-1] or path.endswith("/") else path + "/"


# --- shortcodes -----------------------------------------------------------------------------

_OPEN = re.compile(r"\{\{([<%])")


@dataclass
class Tag:
    start: int
    end: int
    delim: str
    name: str
    args: str
    closing: bool
    self_closing: bool
    comment: str | None  # the text of `{{</* x */>}}`, which Hugo shows literally


def _parse_tag(text: str, start: int) -> Tag | None:
    delim = text[start + 2]
    close = ">}}" if delim == "<" else "%}}"
    pos = start + 3
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    if text.startswith("/*", pos):
        end = text.find("*/", pos + 2)
        after = re.compile(r"\s*" + re.escape(close)).match(text, end + 2) if end >= 0 else None
        if after is None:
            return None
        return Tag(start, after.end(), delim, "", "", False, False, text[pos + 2 : end].strip())
    quote = None
    scan = pos
    while scan < len(text):
        char = text[scan]
        if quote:
            if char == "\\" and quote == '"':
                scan += 2
                continue
            if char == quote:
                quote = None
        elif char in '"`':
            quote = char
        elif text.startswith(close, scan):
            break
        elif char == "\n" and text.startswith("{{", scan + 1):
            return None
        scan += 1
    else:
        return None
    inner = text[pos:scan].strip()
    closing = inner.startswith("/")
    inner = inner.lstrip("/").strip()
    self_closing = inner.endswith("/")
    inner = inner.rstrip("/").strip()
    name, _, args = inner.partition(" ")
    if not re.fullmatch(r"[\w./-]+", name or ""):
        return None
    return Tag(start, scan + 3, delim, name, args.strip(), closing, self_closing, None)


def _find_close(text: str, tag: Tag, end: int) -> Tag | None:
    """The `{{< /name >}}` that closes `tag`, counting nested pairs of the same name."""
    depth = 0
    pos = tag.end
    pattern = re.compile(r"\{\{[<%]\s*/?\s*" + re.escape(tag.name) + r"[\s/>%]")
    while True:
        match = pattern.search(text, pos, end)
        if not match:
            return None
        other = _parse_tag(text, match.start())
        if other is None or other.name != tag.name:
            pos = match.end()
            continue
        if other.closing:
            if depth == 0:
                return other
            depth -= 1
        elif not other.self_closing:
            depth += 1
        pos = other.end


class Converter:
    """Shortcodes of one page to components, links and code; the rest to the report."""

    def __init__(self, page: Page, body: Body, imported: Imported, report: Report) -> None:
        self.page = page
        self.body = body
        self.imported = imported
        self.report = report
        self.text = body.text

    def note(
        self, w: Writer, offset: int, code: str, message: str, hint: str | None = None
    ) -> None:
        w.note(Note(code, message, self.page.src, self.body.line_at(offset), hint=hint))

    def convert(self, start: int, end: int) -> Writer:
        w = Writer()
        pos = start
        text = self.text
        while True:
            match = _OPEN.search(text, pos, end)
            if not match:
                w.write(text[pos:end])
                return w
            w.write(text[pos : match.start()])
            tag = _parse_tag(text, match.start())
            if tag is None or tag.end > end:
                w.write(match.group(0))
                pos = match.end()
                continue
            pos = tag.end
            if tag.comment is not None:
                w.write(f"{{{{{tag.delim} {tag.comment} {'>' if tag.delim == '<' else '%'}}}}}")
                self.report.components["escaped shortcode → literal text"] += 1
                continue
            if tag.closing:
                self.note(
                    w,
                    tag.start,
                    "hugo.shortcode",
                    f"closing tag of {tag.name!r} without an opening one",
                )
                w.write(text[tag.start : tag.end])
                continue
            close = None if tag.self_closing else _find_close(text, tag, end)
            if close is not None:
                pos = close.end
            self.shortcode(w, tag, close)

    def shortcode(self, w: Writer, tag: Tag, close: Tag | None) -> None:
        positional, named = parse_args(tag.args)
        label = f"{{{{< {tag.name} >}}}}"
        name = tag.name.lower()
        if name in ("ref", "relref"):
            self.ref(w, tag, positional, named)
            return
        if name == "param" and positional:
            value = self._param(positional[0])
            if value is not None:
                w.write(value)
                self.report.components[f"{label} → its value"] += 1
                return
        inner = None
        raw_inner = None
        if close is not None:
            raw_inner = self.text[tag.end : close.start]
            inner = self.convert(tag.end, close.start)
        if standard_component(name, positional, named, inner, raw_inner, w, self.report, label):
            return
        self.note(
            w,
            tag.start,
            "hugo.shortcode",
            f"shortcode {tag.name!r} is not converted and shows as text",
            "replace it with Markdown or a component (see docs/import.md)",
        )
        w.write(self.text[tag.start : tag.end])
        if close is not None and inner is not None:
            w.embed(inner)
            w.write(self.text[close.start : close.end])

    def _param(self, key: str) -> str | None:
        value: Any = {k.lower(): v for k, v in self.page.matter.items()}
        for part in key.lower().split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return str(value) if isinstance(value, str | int | float) else None

    def ref(self, w: Writer, tag: Tag, positional: list[str], named: dict[str, str]) -> None:
        wanted = named.get("path") or (positional[0] if positional else "")
        path, _, anchor = wanted.partition("#")
        target = self.resolve(path) if path else self.page
        if target is None:
            self.note(
                w,
                tag.start,
                "hugo.ref",
                f"{tag.name} {wanted!r} names no page of this site",
                "link to the page's file, e.g. [text](../posts/page.md)",
            )
            w.write(self.text[tag.start : tag.end])
            return
        self.report.components[f"{{{{< {tag.name} >}}}} → link to the file"] += 1
        link = (
            relative_link(self.page.dest, target.dest, anchor)
            if target is not self.page
            else (f"#{anchor}" if anchor else posixpath.basename(self.page.dest))
        )
        before = "".join(w.parts[-3:])
        if re.search(r"\]\(\s*<?$|href=[\"']?$", before):
            w.write(link)
        else:
            title = target.fields.get("title") or posixpath.basename(target.dest)[:-3]
            w.write(f"[{title}]({link})")

    def resolve(self, ref: str) -> Page | None:
        """A page by the path Hugo's ref takes: from content/, from this page's folder, or
        a unique file or bundle name."""
        pages = [p for p in self.imported.pages if p.lang == self.page.lang] + [
            p for p in self.imported.pages if p.lang != self.page.lang
        ]
        clean = ref.strip()
        if clean.endswith((".md", ".markdown")):
            clean = clean.rsplit(".", 1)[0]
        candidates = []
        here = posixpath.dirname(self.page.src)
        content = self.page.src.split("/")[0]
        if clean.startswith("/"):
            candidates.append(posixpath.normpath(content + clean))
        else:
            candidates += [
                posixpath.normpath(posixpath.join(here, clean)),
                posixpath.normpath(posixpath.join(content, clean)),
            ]
        for candidate in candidates:
            for page in pages:
                base = page.src.rsplit(".", 1)[0]
                stem_free = base
                for suffix in [f".{lang.code}" for lang in self.imported.site.languages]:
                    if stem_free.endswith(suffix):
                        stem_free = stem_free[: -len(suffix)]
                if candidate in (stem_free, f"{stem_free}".removesuffix("/index")) or (
                    stem_free.endswith(("/_index", "/index"))
                    and candidate == posixpath.dirname(stem_free)
                ):
                    return page
        name = posixpath.basename(clean)
        matches = [
            p
            for p in pages
            if posixpath.basename(p.src.rsplit(".", 1)[0]).split(".")[0] == name
            or posixpath.basename(posixpath.dirname(p.src)) == name
            and posixpath.basename(p.src).startswith("index")
        ]
        langs = {p.lang for p in matches}
        if matches and (len(matches) == 1 or len(langs) == len(matches)):
            return matches[0]
        return None


def convert(page: Page, body: Body, imported: Imported, report: Report) -> Writer:
    converter = Converter(page, body, imported, report)
    return converter.convert(0, len(body.text))
