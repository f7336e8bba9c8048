"""`omnipub import`: bring a Hugo, Jekyll or Eleventy site over as an omnipub site.

Each generator module reads its own layout into `Page`s; this module runs the steps they
share, in order: map front matter, give moved pages their old URLs as aliases, convert
bodies (shortcodes and includes to components, links to old URLs to links to files), write
the site, and build it in memory to say whether it builds as it is.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import OmnipubError, UsageError
from ..markdown import parse
from . import eleventy, hugo, jekyll
from .common import (
    Body,
    Imported,
    Note,
    Page,
    Report,
    Writer,
    assign_urls,
    map_fields,
    old_url_rewriter,
    prepass,
    write_site,
)


@dataclass(frozen=True)
class Generator:
    name: str
    detect: Callable[[Path], bool]
    read: Callable[[Path, Report, dt.datetime, Path | None], Imported]
    convert: Callable[[Page, Body, Imported, Report], Writer]
    #: front matter keys the generator maps itself
    handled: tuple[str, ...]
    #: `tags: a b` is two tags (Jekyll)
    split_words: bool
    #: pages dated in the future were not published
    future_hidden: bool
    looks_like: str


GENERATORS = {
    "hugo": Generator(
        "hugo",
        hugo.detect,
        hugo.read,
        hugo.convert,
        (
            "url",
            "lang",
            "headless",
            "build",
            "_build",
            "cascade",
            "translationkey",
            "isCJKLanguage",
        ),
        False,
        True,
        "a hugo.toml, config.toml (or .yaml, .json) or config/_default/",
    ),
    "jekyll": Generator(
        "jekyll",
        jekyll.detect,
        jekyll.read,
        jekyll.convert,
        ("permalink", "lang"),
        True,
        True,
        "a _config.yml, or _posts/",
    ),
    "eleventy": Generator(
        "eleventy",
        eleventy.detect,
        eleventy.read,
        eleventy.convert,
        ("permalink", "lang"),
        False,
        False,
        "an eleventy.config.js, .eleventy.js or a package.json naming @11ty/eleventy",
    ),
}


def check_destination(dest: Path, src: Path, force: bool) -> None:
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"{dest} is a file", "give a folder to write the new site into")
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise UsageError(
            f"{dest} exists and is not empty",
            "choose a new folder, or pass --force to write over the files the import writes",
        )
    if dest.resolve() == src.resolve() or src.resolve().is_relative_to(dest.resolve()):
        raise UsageError(
            f"{dest} holds the site being imported", "write the new site into another folder"
        )


def run_import(
    generator_name: str, src: Path, dest: Path, force: bool = False, now: dt.datetime | None = None
) -> Report:
    """Import SRC into DEST and build the result in memory; the report says what happened."""
    generator = GENERATORS[generator_name]
    if not src.is_dir():
        raise UsageError(f"{src} is not a folder", f"give the {generator_name} site's folder")
    if not generator.detect(src):
        raise UsageError(
            f"{src} does not look like a {generator_name} site",
            f"a {generator_name} site has {generator.looks_like}",
        )
    check_destination(dest, src, force)
    now = now or dt.datetime.now(dt.UTC)
    report = Report(generator_name)
    exclude = dest.resolve() if dest.resolve().is_relative_to(src.resolve()) else None
    imported = generator.read(src.resolve(), report, now, exclude)
    imported.root = src.resolve()
    for page in imported.pages:
        map_fields(
            page,
            imported.site,
            report,
            handled=generator.handled,
            split_words=generator.split_words,
            now=now,
            future_hidden=generator.future_hidden,
        )
    by_old = imported.by_old = assign_urls(imported, report)
    hosts = {re.sub(r"^https?://", "", imported.site.base_url).split("/")[0]}
    for page in imported.pages:
        body = Body.of(page.body, page.body_line)
        body = prepass(body, report, old_url_rewriter(page, by_old, hosts, report))
        writer = generator.convert(page, body, imported, report)
        page.converted = writer.text()
        page.notes += writer.notes
        _check_html(page, imported, report)
        _title(page, report)
    _unpublished_links(imported, report)
    write_site(imported, dest, report)
    report.files["content files written"] = len(imported.pages)
    _verify(dest, report)
    return report


def _title(page: Page, report: Report) -> None:
    """omnipub needs a title (or a first-level heading); Jekyll and Hugo fall back on the
    file name, and so does the import."""
    if page.kind != "item" or page.fields.get("title"):
        return
    if re.match(r"\s*# ", page.converted):
        return
    stem = posixpath.basename(page.dest)[:-3].split(".")[0]
    if stem == "index":
        stem = posixpath.basename(posixpath.dirname(page.dest))
    page.fields["title"] = stem.replace("-", " ").replace("_", " ").strip().capitalize()
    report.keys["file name → title"] += 1


def _check_html(page: Page, imported: Imported, report: Report) -> None:
    """Raw HTML: allowed when the old site rendered it; reported where the old site dropped
    it (Hugo without `unsafe`), since omnipub would show it as text."""
    tokens = parse(page.converted, 1)
    for token in tokens:
        children = token.children or []
        if token.type == "html_block" or any(c.type == "html_inline" for c in children):
            if imported.site.raw_html:
                report.files["pages with raw HTML (allowed)"] += 1
                return
            line = token.map[0] if token.map else 0
            offset = sum(len(x) for x in page.converted.splitlines(keepends=True)[:line])
            page.notes.append(
                (
                    offset,
                    Note(
                        "content.html",
                        "raw HTML: the old site did not render it, omnipub shows it as text",
                        page.src,
                        None,
                        hint="remove it, or set [markdown] allow_html = true in omnipub.toml",
                    ),
                )
            )
            return


_MD_LINK = re.compile(
    r"(?<!!)\[((?:[^\[\]\n]|\[[^\]\n]*\])*)\]\(\s*<?([^)\s>#]+\.md)(#[^)\s>]*)?>?"
    r"(?:\s+\"[^\"\n]*\")?\s*\)"
)


def _unpublished_links(imported: Imported, report: Report) -> None:
    """A link to a draft is an error in omnipub (the old site left it dangling): it
    becomes its text, and the report says where."""
    drafts = {p.dest for p in imported.pages if p.fields.get("draft")}
    if not drafts:
        return
    for page in imported.pages:
        if page.fields.get("draft"):
            continue
        found: list[int] = []

        def unlink(match: re.Match[str], page: Page = page, found: list[int] = found) -> str:
            folder = posixpath.dirname(page.dest)
            if posixpath.normpath(posixpath.join(folder, match.group(2))) not in drafts:
                return match.group(0)
            found.append(page.converted.count("\n", 0, match.start()))
            return match.group(1)

        lines = [(page.converted.count("\n", 0, offset), note) for offset, note in page.notes]
        text = _MD_LINK.sub(unlink, page.converted)
        if not found:
            continue
        page.converted = text
        starts = [0] + [m.end() for m in re.finditer("\n", text)]
        page.notes = [(starts[min(line, len(starts) - 1)], note) for line, note in lines]
        for line in found:
            page.notes.append(
                (
                    starts[min(line, len(starts) - 1)],
                    Note(
                        "link.draft",
                        "link to a draft: kept as plain text",
                        page.src,
                        None,
                        hint="link it again when the draft is published",
                    ),
                )
            )


def _verify(dest: Path, report: Report) -> None:
    """Build the new site in memory, as `omnipub check` does: it builds, or it says why."""
    from ..build import BuildOptions, build
    from ..diagnostics import BuildFailed
    from ..publish import MemorySink

    try:
        result = build(
            BuildOptions(root=dest, write_lock=False, use_cache=False), sink=MemorySink()
        )
    except BuildFailed as failed:
        report.build_ok = False
        report.build_problems = [d.as_json() for d in [*failed.diagnostics, *failed.warnings]]
        return
    except OmnipubError as exc:
        report.build_ok = False
        report.build_problems = [{"severity": "error", "message": str(exc)}]
        return
    report.build_ok = True
    report.build_problems = [d.as_json() for d in result.diagnostics.warnings]


__all__ = ["GENERATORS", "run_import", "Report"]
