"""Eleventy: the config file's input folder, passthrough copies and shortcode names (read
from the JavaScript, not run), global and directory data, Markdown pages with their
Liquid or Nunjucks shortcodes."""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
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
    parse_date,
    read_data_file,
    read_matter,
    site_path,
    slug_from_url,
)
from .files import walk
from .liquid import Dialect, LiquidConverter

CONFIG_NAMES = (
    "eleventy.config.js",
    "eleventy.config.mjs",
    "eleventy.config.cjs",
    ".eleventy.js",
)
TEMPLATES = (".njk", ".liquid", ".html", ".11ty.js", ".hbs", ".pug", ".ejs", ".haml", ".mustache")
DATA = (".json", ".yaml", ".yml", ".toml")
_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)$")
_SHORTCODE = re.compile(
    r"add(?:Paired|Async|AsyncPaired|Nunjucks|Liquid|NunjucksAsync|PairedNunjucks|"
    r"PairedLiquid)?Shortcode\(\s*[\"'](\w+)[\"']"
)


def detect(src: Path) -> bool:
    if any((src / name).is_file() for name in CONFIG_NAMES):
        return True
    package = src / "package.json"
    return package.is_file() and "@11ty/eleventy" in package.read_text(encoding="utf-8")


def _config(src: Path, report: Report) -> tuple[str, str, dict[str, str], list[tuple[str, str]]]:
    """(input dir, includes/layouts/data dirs, shortcodes defined, passthrough copies)."""
    for name in CONFIG_NAMES:
        path = src / name
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            report.files["config files read"] += 1
            break
    else:
        return ".", "_includes", {}, []
    dirs = {}
    block = re.search(r"\bdir\s*:\s*\{([^}]*)\}", text)
    if block:
        for key, value in re.findall(r"(\w+)\s*:\s*[\"']([^\"']+)[\"']", block.group(1)):
            dirs[key] = value
    shortcodes: dict[str, str] = {}
    for match in _SHORTCODE.finditer(text):
        shortcodes.setdefault(match.group(1), f"{name}:{text.count(chr(10), 0, match.start()) + 1}")
    copies: list[tuple[str, str]] = []
    for match in re.finditer(r"addPassthroughCopy\(\s*(\{[^}]*\}|[\"'][^\"']+[\"'])", text):
        arg = match.group(1)
        if arg.startswith("{"):
            for source, target in re.findall(r"[\"']([^\"']+)[\"']\s*:\s*[\"']([^\"']*)[\"']", arg):
                copies.append((source, target))
        else:
            copies.append((arg.strip("\"'"), ""))
    return (
        dirs.get("input", "."),
        dirs.get("includes", "_includes"),
        shortcodes,
        copies
        + [
            ("__data__", dirs.get("data", "_data")),
            ("__output__", dirs.get("output", "_site")),
            ("__layouts__", dirs.get("layouts", "")),
        ],
    )


def read(src: Path, report: Report, now: dt.datetime, exclude: Path | None) -> Imported:
    input_name, includes, shortcodes, copies = _config(src, report)
    specials = {k: v for k, v in copies if k.startswith("__")}
    copies = [(k, v) for k, v in copies if not k.startswith("__")]
    root = (src / input_name).resolve()
    input_rel = "" if input_name in (".", "./", "") else input_name.strip("./") + "/"
    data_dir = root / specials["__data__"]
    metadata: dict[str, Any] = {}
    data_copies: list[tuple[Path, str]] = []
    for path in walk(data_dir, exclude):
        rel = path.relative_to(data_dir).as_posix()
        if path.suffix in DATA:
            report.files["data files"] += 1
            try:
                value = read_data_file(path)
            except (ValueError, OSError) as exc:
                report.need(Note("data.syntax", f"cannot read: {exc}", f"{input_rel}_data/{rel}"))
                continue
            if path.stem in ("metadata", "site") and isinstance(value, dict):
                metadata = {**value, **metadata}
            data_copies.append((path, f"data/{rel}"))
        else:
            report.need(
                Note(
                    "eleventy.data",
                    f"{path.suffix} data is computed by JavaScript: not imported",
                    path.relative_to(src).as_posix(),
                    hint="write its result as a JSON or YAML file in data/",
                )
            )
    url = str(metadata.get("url") or metadata.get("baseUrl") or "https://example.com/")
    lang = str(metadata.get("language") or metadata.get("lang") or "en")
    code = lang.split("-")[0].lower()
    author = metadata.get("author") or ""
    if isinstance(author, dict):
        author = author.get("name", "")
    site = SiteInfo(
        title=str(metadata.get("title") or src.resolve().name),
        base_url=url if url.endswith("/") else url + "/",
        description=str(metadata.get("description") or ""),
        languages=[Language(code, code, lang.replace("-", "_"))],
        author=str(author) if isinstance(author, str) else "",
        raw_html=True,  # Eleventy's markdown-it renders raw HTML
    )
    imported = Imported(site, copies=data_copies, defined=shortcodes)
    ignores = _ignores(src)
    skip = {includes, specials["__data__"], specials["__output__"], specials["__layouts__"]}
    skip.discard("")
    passthrough = [(posixpath.normpath(s), t) for s, t in copies]
    for path in walk(root, exclude, skip=("node_modules",)):
        rel = path.relative_to(root).as_posix()
        project_rel = (input_rel + rel) if input_rel else rel
        if rel.split("/")[0] in skip or any(fnmatch.fnmatch(project_rel, i) for i in ignores):
            continue
        target = _passthrough(project_rel, input_rel, passthrough)
        if target is not None and target == rel and any(path.parent.glob("*.md")):
            # beside its pages: a page resource, which omnipub resolves relative to the page
            imported.copies.append((path, f"content/{rel}"))
            report.files["page resources"] += 1
            continue
        if target is not None:
            imported.copies.append((path, f"static/{target}"))
            report.files["static files"] += 1
            continue
        if rel.endswith(".md"):
            _page(path, rel, project_rel, root, imported, report)
        elif rel.endswith(TEMPLATES):
            report.need(
                Note(
                    "content.format",
                    f"a {posixpath.splitext(rel)[1]} template is not converted (omnipub "
                    "reads Markdown; it builds lists and feeds itself)",
                    project_rel,
                    1,
                )
            )
        elif rel.endswith(".11tydata.js") or rel.endswith(".11tydata.json") or _is_dir_data(rel):
            continue
        else:
            report.files["files not published by Eleventy (skipped)"] += 1
    return imported


def _ignores(src: Path) -> list[str]:
    path = src / ".eleventyignore"
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            line = line.removeprefix("./").rstrip("/")
            out += [line, f"{line}/*"]
    return out


def _passthrough(project_rel: str, input_rel: str, copies: list[tuple[str, str]]) -> str | None:
    """Where a passthrough copy put a file in the old site's output, or None."""
    for source, target in copies:
        source = source.removeprefix("./")
        if project_rel == source or project_rel.startswith(source.rstrip("/") + "/"):
            tail = project_rel[len(source) :].lstrip("/")
            if target:
                return posixpath.join(target.strip("/"), tail) if tail else target.strip("/")
            kept = project_rel.removeprefix(input_rel)
            return kept
        if any(c in source for c in "*?[") and fnmatch.fnmatch(project_rel, source):
            return project_rel.removeprefix(input_rel)
    return None


def _is_dir_data(rel: str) -> bool:
    folder = posixpath.dirname(rel)
    stem, ext = posixpath.splitext(posixpath.basename(rel))
    return bool(folder) and ext == ".json" and stem == posixpath.basename(folder)


def _dir_data(root: Path, rel: str, report: Report) -> dict[str, Any]:
    """Eleventy's data cascade for one file: directory data files, outer first, then the
    file's own data file; tags add up."""
    merged: dict[str, Any] = {}
    tags: list[Any] = []
    parts = rel.split("/")
    candidates = []
    for depth in range(1, len(parts)):
        folder = "/".join(parts[:depth])
        name = parts[depth - 1]
        candidates += [f"{folder}/{name}.11tydata.json", f"{folder}/{name}.json"]
        if (root / f"{folder}/{name}.11tydata.js").is_file():
            report.need(
                Note(
                    "eleventy.data",
                    "directory data computed by JavaScript is not applied",
                    f"{folder}/{name}.11tydata.js",
                    hint="copy its values into the pages' front matter",
                )
            )
    stem = posixpath.splitext(rel)[0]
    candidates += [f"{stem}.11tydata.json", f"{stem}.json"]
    for candidate in candidates:
        path = root / candidate
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            report.need(Note("data.syntax", f"cannot read: {exc}", candidate))
            continue
        if isinstance(data, dict):
            tags += (
                data.get("tags", [])
                if isinstance(data.get("tags"), list)
                else [data["tags"]]
                if data.get("tags")
                else []
            )
            merged.update(data)
    if tags:
        merged["tags"] = tags
    return merged


def _page(
    path: Path, rel: str, project_rel: str, root: Path, imported: Imported, report: Report
) -> None:
    site = imported.site
    try:
        text = path.read_text(encoding="utf-8")
        matter, lines, body, body_line = read_matter(text, project_rel)
    except SkipFile as skipped:
        report.need(skipped.note)
        return
    inherited = _dir_data(root, rel, report)
    if inherited:
        own_tags = matter.get("tags")
        for key, value in inherited.items():
            if key == "tags" and own_tags is not None:
                own = own_tags if isinstance(own_tags, list) else [own_tags]
                matter["tags"] = [*value, *own]
            else:
                matter.setdefault(key, value)
        report.keys["directory data → copied into each page"] += 1
    folder = posixpath.dirname(rel)
    name = posixpath.splitext(posixpath.basename(rel))[0]
    dated = _DATED.match(name)
    if dated and "date" not in matter:
        matter["date"] = parse_date(dated.group(1))
        report.keys["file name date → date"] += 1
    stem = dated.group(2) if dated else name
    kind = "item"
    same_as_folder = bool(folder) and name == posixpath.basename(folder)
    if name == "index" and not folder:
        dest, kind = "content/_index.md", "home"
    elif (name == "index" or same_as_folder) and "/" not in folder:
        others = [p for p in (root / folder).glob("*.md") if p.stem not in ("index", name)]
        if others:
            dest, kind = f"content/{folder}/_index.md", "section"
        else:
            dest = f"content/{folder}.md"
    elif name == "index" or same_as_folder:
        dest = f"content/{folder}/index.md"
    else:
        dest = f"content/{posixpath.join(folder, slugify(stem))}.md"
    page = Page(project_rel, dest, matter, lines, body, body_line, kind, site.default_language)
    if dest.endswith("/index.md"):
        page.fields["slug"] = slugify(posixpath.basename(folder))
    permalink = matter.get("permalink")
    if permalink is False or str(permalink).lower() == "false":
        report.need(
            Note(
                "eleventy.permalink",
                "permalink: false writes no page in Eleventy: not imported",
                project_rel,
                lines.get("permalink"),
            )
        )
        return
    if isinstance(permalink, str) and "{" in permalink:
        report.need(
            Note(
                "eleventy.permalink",
                f"permalink {permalink!r} is a template: the old URL gets no redirect",
                project_rel,
                lines.get("permalink"),
                hint="add the old URL to the page's aliases",
            )
        )
    elif isinstance(permalink, str) and permalink.strip():
        page.old_url = site_path("/" + permalink.lstrip("/").removesuffix("index.html"))
        if kind == "item":
            slug = slug_from_url(permalink.removesuffix("index.html"))
            if slug:
                page.fields["slug"] = slug
        report.keys["permalink → slug (old URL → aliases)"] += 1
    else:
        url_folder = folder if name == "index" or same_as_folder else posixpath.join(folder, name)
        page.old_url = site_path(f"/{url_folder}/" if url_folder else "/")
    imported.pages.append(page)
    report.files["pages"] += 1


def convert(page: Page, body: Body, imported: Imported, report: Report) -> Writer:
    dialect = Dialect("eleventy", {}, imported.defined)
    return LiquidConverter(page, body, imported, report, dialect).convert(0, len(body.text))
