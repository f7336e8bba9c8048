"""Links between sources: resolve them once, report broken ones at their line.

Authors link to source files (`../products/coat.md#sizes`); each channel turns such a link
into its own URL at render time. Images resolve relative to the Markdown file, or to
`static/` for root-relative paths, and may never point outside the site.
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from .diagnostics import Diagnostics, Location
from .discover import UNREAD_FORMATS, markdown_stem
from .document import Document, split_language
from .images import ImageInfo, unreadable
from .markdown import is_allowed_url, is_internal
from .paths import UnsafePath, image_source, split_url

if TYPE_CHECKING:
    from .items import Item
    from .model import Site
    from .resolve import Plan


@dataclass(frozen=True)
class SourceLink:
    target_rel: str
    anchor: str


def source_link(from_rel: str, href: str) -> SourceLink | None:
    """A link to another Markdown source, or None for a site path or external URL."""
    if not is_internal(href):
        return None
    parts = split_url(href)
    path = unquote(parts.path)
    if markdown_stem(path) is None:
        return None
    if path.startswith("/"):
        target = posixpath.normpath("content" + path)
    else:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(from_rel), path))
    return SourceLink(target, parts.fragment)


@dataclass(frozen=True)
class SectionLink:
    """A link to a folder's `_index.md`: the section's listing page. `name` is the section's
    path below content/ (`docs/guides`), '' for the home page; `lang` is the language the
    file name gives (`_index.nb.md`), None for the default file."""

    name: str
    lang: str | None
    anchor: str


def section_link(site: Site, link: SourceLink) -> SectionLink | None:
    """The section a link to an `_index.md` names, or None when there is no such section
    (a folder that is no section, or a file that is no `_index.md`)."""
    folder, name = posixpath.split(link.target_rel)
    stem, lang = split_language(markdown_stem(name) or name, set(site.config.languages))
    if stem != "_index" or not (folder == "content" or folder.startswith("content/")):
        return None
    section = folder[len("content/") :]
    if section and section not in site.section_names():
        return None
    return SectionLink(section, lang, link.anchor)


def section_document(site: Site, section: SectionLink) -> Document | None:
    """The `_index.md` behind a section's page (the linked language's, else the default's)."""
    default = site.config.default_language
    for lang in (section.lang or default, default):
        page = site.sections.get((section.name, lang)) if section.name else site.home.get(lang)
        if page is not None and page.document is not None:
            return page.document
    return None


def relative_file(from_rel: str, href: str) -> str | None:
    """The site path of the file a relative link written in `from_rel` names (not a
    Markdown source), or None for any other link."""
    if not is_internal(href) or href.startswith(("/", "#")):
        return None
    path = unquote(split_url(href).path)
    if not path or markdown_stem(path) is not None:
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(from_rel), path))


def resource_link(site: Site, from_rel: str, href: str) -> tuple[Item, str] | None:
    """(the page bundle, its file) a relative link written in `from_rel` names, or None
    for a link that leads into no bundle. A file a bundle does not have is `(bundle, "")`."""
    target = relative_file(from_rel, href)
    if target is None:
        return None
    owner = site.bundle_at(target)
    if owner is None:
        return None
    return owner, target if target in owner.resources else ""


def referenced_files(site: Site) -> set[str]:
    """Site-relative paths of every file some source points at: links and images in any
    body (hidden items too: they will be published one day), and image fields."""
    found: set[str] = set()
    documents = [*_documents(site)]
    for doc in documents:
        for ref in doc.links:
            if not is_internal(ref.target):
                continue
            try:
                found.add(image_source(doc.rel, ref.target))
            except UnsafePath:
                continue
    for item in site.items:
        values = [item.fields.get("image")]
        values += [view.overrides.get("image") for view in item.channels.values()]
        for value in values:
            if value:
                try:
                    found.add(image_source(item.rel, str(value)))
                except UnsafePath:
                    continue
    return found


def unreferenced_assets(site: Site, assets: Iterable[str], diagnostics: Diagnostics) -> None:
    """Files in content/ that no source links to or shows: left over, or a broken link's
    intended target under another name (`omnipub check` lists them)."""
    used = referenced_files(site)
    for rel in sorted(assets):
        if rel in used or posixpath.splitext(rel)[1].lower() in UNREAD_FORMATS:
            continue
        folder = posixpath.dirname(rel)
        diagnostics.warning(
            "asset.unreferenced",
            "nothing links to or shows this file",
            Location(rel),
            "link to it from a page (relative to the page's file), or delete it",
            group=("asset.unreferenced", folder),
            group_message=f"nothing links to or shows these files in {folder}/",
        )


def _documents(site: Site) -> Iterable[Document]:
    yield from (item.document for item in site.items)
    yield from _page_documents(site)


def _page_documents(site: Site) -> Iterable[Document]:
    """The `_index.md` files: section intros and the home page's."""
    yield from (page.document for page in site.sections.values() if page.document)
    yield from (page.document for page in site.home.values() if page.document)


def _checked(site: Site, only: set[str] | None) -> tuple[list[Item], list[Document]]:
    """The visible items, and the documents of visible content, whose links a check reads:
    every one, or those of the files `only` names (a live rebuild)."""
    if only is None:
        hidden_rels = {item.rel for item in site.items if not item.visible}
        items = [item for item in site.items if item.visible]
        return items, [doc for doc in _documents(site) if doc.rel not in hidden_rels]
    picked = (site.by_rel.get(rel) for rel in sorted(only))
    items = [item for item in picked if item is not None and item.visible]
    pages = [doc for doc in _page_documents(site) if doc.rel in only]
    return items, [item.document for item in items] + pages


class AnchorLinks:
    """Which files link to headings of which items: a heading edited in one file can make a
    link in another right or wrong, and a live rebuild checks those files again (and only
    those) when the first changes."""

    def __init__(self) -> None:
        #: target item file -> the files whose links carry an anchor into it
        self.into: dict[str, set[str]] = {}
        self._out: dict[str, set[str]] = {}

    def add(self, source: str, target: str) -> None:
        if source != target:
            self.into.setdefault(target, set()).add(source)
            self._out.setdefault(source, set()).add(target)

    def copy(self) -> AnchorLinks:
        """An independent copy (a live rebuild's, which leaves the last build's as it is)."""
        new = AnchorLinks()
        new.into = {target: set(sources) for target, sources in self.into.items()}
        new._out = {source: set(targets) for source, targets in self._out.items()}
        return new

    def forget(self, source: str) -> None:
        """`source` changed: its links are recorded again as they are checked."""
        for target in self._out.pop(source, ()):
            self.into[target].discard(source)

    def linking_to(self, targets: Iterable[str]) -> set[str]:
        return set().union(*(self.into.get(rel, set()) for rel in targets))


def check_links(
    site: Site,
    images: dict[str, ImageInfo],
    diagnostics: Diagnostics,
    only: set[str] | None = None,
    anchors: AnchorLinks | None = None,
) -> None:
    """Every link and image in visible content must resolve to something published.

    `only` limits the check to the links written in those files (a live rebuild);
    `anchors` records the links into other items' headings."""
    items, documents = _checked(site, only)
    schemes = site.config.markdown.allowed_schemes
    root = site.config.root
    for doc in documents:
        for ref in doc.links:
            where = Location(doc.rel, ref.line, ref.column)
            if not is_allowed_url(ref.target, schemes, image=ref.image):
                diagnostics.error(
                    "link.scheme",
                    f"URL scheme of {ref.target[:60]!r} is not allowed",
                    where,
                    f"allowed schemes: {', '.join(schemes)} (set markdown.allowed_schemes)",
                )
                continue
            if ref.image:
                if is_internal(ref.target):
                    check_image(doc.rel, ref.target, images, diagnostics, where, root)
                continue
            link = source_link(doc.rel, ref.target)
            if link is None:
                _check_resource(site, doc.rel, ref.target, where, diagnostics)
                continue
            target = site.by_rel.get(link.target_rel)
            if target is None:
                if section_link(site, link) is not None:
                    continue  # a section's page: known once planned (check_site_links)
                diagnostics.error(
                    "link.broken",
                    f"link to {ref.target!r}: no such item or section ({link.target_rel})",
                    where,
                    "check the path; links to items and to a folder's _index.md are relative "
                    "to this file",
                )
            elif not target.visible:
                report_hidden(target, f"link to {ref.target!r}", where, diagnostics)
            elif link.anchor:
                if anchors is not None:
                    anchors.add(doc.rel, target.rel)
                _check_anchor(
                    target.document, link.anchor, ref.target, where, diagnostics, target.rel
                )
    for item in items:
        specs = site.config.types.fields_for(item.type)
        for name, spec in specs.items():
            if spec.kind != "links":
                continue
            for target in item.fields.get(name) or []:
                link = source_link(item.rel, target)
                found = site.by_rel.get(link.target_rel) if link else None
                where = Location(item.rel, item.line_of(name))
                if found is None:
                    diagnostics.error(
                        "link.broken",
                        f"{name!r} names {target!r}, which is no item",
                        where,
                        "write a path to an item's Markdown file, relative to this file",
                    )
                elif not found.visible:
                    report_hidden(found, f"{name!r} names {target!r}", where, diagnostics)
        image = item.fields.get("image")
        if image:
            check_image(
                item.rel,
                str(image),
                images,
                diagnostics,
                Location(item.rel, item.line_of("image")),
                root,
            )


def _check_resource(
    site: Site, rel: str, href: str, where: Location, diagnostics: Diagnostics
) -> None:
    """A relative link into a page bundle's folder must name one of its files; a relative
    link to any other file (`guide.pdf` beside a page that is no bundle) leads nowhere: a
    page is published at its own URL, and only a bundle's files are published beside it."""
    found = resource_link(site, rel, href)
    if found is None:
        _check_loose_file(site, rel, href, where, diagnostics)
        return
    owner, resource = found
    if not resource:
        folder = posixpath.dirname(owner.rel)
        names = [r[len(folder) + 1 :] for r in owner.resources]
        wanted = posixpath.normpath(
            posixpath.join(posixpath.dirname(rel), unquote(split_url(href).path))
        )[len(folder) + 1 :]
        close = difflib.get_close_matches(wanted, names, n=1)
        diagnostics.error(
            "link.broken",
            f"link to {href!r}: the page bundle {folder}/ has no file {wanted}",
            where,
            f"did you mean {close[0]}?"
            if close
            else "links to a bundle's files are relative to this file",
        )
    elif not owner.visible:
        report_hidden(owner, f"link to {href!r}", where, diagnostics)


def _check_loose_file(
    site: Site, rel: str, href: str, where: Location, diagnostics: Diagnostics
) -> None:
    """A relative link to a file (a name with a suffix: `guide.pdf`, `../files/a.zip`) that
    is in no page bundle: the browser would look for it beside the page's URL, where
    nothing is published. Paths without a suffix (`../`, `../other/`) are URLs, left as
    written."""
    target = relative_file(rel, href)
    name = posixpath.basename(target or "")
    if target is None or not posixpath.splitext(name)[1]:
        return
    if target.startswith("static/"):
        what = f"{target} is a static file, published at /{target[len('static/') :]}"
        hint = f"link it from the site root: /{target[len('static/') :]}"
    elif (site.config.root / target).is_file():
        stem = posixpath.splitext(rel)[0]
        what = f"{target} is not published: only a page bundle's files are published beside it"
        hint = (
            f"make this page a bundle ({stem}/index.md, with {name} beside it), or move the "
            f"file to static/ and link /{name}"
        )
    else:
        what = f"no such file ({target})"
        hint = "check the path: links to files are relative to this Markdown file"
    diagnostics.error("link.broken", f"link to {href!r}: {what}", where, hint)


def report_hidden(target: Item, what: str, where: Location, diagnostics: Diagnostics) -> None:
    """A link to an item this build does not publish.

    A draft is an author's unfinished work: linking to it is a mistake (an error). An item
    that expired or is not yet published is hidden by the calendar alone, so a link to it
    is a warning and shows as plain text until the item is visible again: a date passing
    must not fail a site's build."""
    if target.hidden_reason in ("expired", "future"):
        when = "has expired" if target.hidden_reason == "expired" else "is not published yet"
        diagnostics.warning(
            "link.unpublished",
            f"{what}, which {when}: the link shows as plain text in this build",
            where,
            "the link returns by itself while the item is visible; remove it to stop this warning",
        )
        return
    diagnostics.error(
        "link.hidden",
        f"{what}, which is a {target.hidden_reason} and not published",
        where,
        "remove the link, or publish the target (drafts are built with --drafts)",
    )


def check_site_links(
    site: Site,
    plan: Plan,
    diagnostics: Diagnostics,
    only: set[str] | None = None,
    anchors: AnchorLinks | None = None,
) -> None:
    """Root-relative links (`/docs/guides/filters/#setting-up`) and same-page anchors
    (`#usage`), checked where they are written against the site's own URLs (those of the
    canonical channel, which root-relative links name) and headings.

    Runs once the plan is made: only then are the site's URLs known."""
    known = plan.url_paths(site.config.canonical_channel)
    _items, documents = _checked(site, only)
    for doc in documents:
        for ref in doc.links:
            if ref.image or not is_internal(ref.target):
                continue
            where = Location(doc.rel, ref.line, ref.column)
            parts = split_url(ref.target)
            if not parts.path and parts.fragment:
                _check_anchor(doc, parts.fragment, ref.target, where, diagnostics, "this page")
                continue
            link = source_link(doc.rel, ref.target)
            if link is not None:
                section = None if link.target_rel in site.by_rel else section_link(site, link)
                if section is not None:
                    _check_section(site, plan, section, ref.target, where, diagnostics)
                continue
            if not parts.path.startswith("/"):
                continue
            path = unquote(parts.path)
            candidates = [path, path + "/"] if not path.endswith("/") else [path]
            if path.endswith("/index.html"):
                candidates.append(path[: -len("index.html")])
            found = next((c for c in candidates if c in plan.web_paths), None)
            if found is not None:
                target = site.by_key[plan.web_paths[found]]
                if parts.fragment:
                    if anchors is not None:
                        anchors.add(doc.rel, target.rel)
                    _check_anchor(
                        target.document, parts.fragment, ref.target, where, diagnostics, target.rel
                    )
                continue
            listed = next(
                (plan.web_sections[c] for c in candidates if c in plan.web_sections), None
            )
            if listed is not None:
                if parts.fragment:
                    section = SectionLink(listed[0], listed[1], parts.fragment)
                    _check_section_anchor(site, section, ref.target, where, diagnostics)
                continue
            if any(c in known for c in candidates):
                continue
            hidden = next(
                (plan.hidden_paths[c] for c in candidates if c in plan.hidden_paths), None
            )
            if hidden is not None:
                report_hidden(site.by_key[hidden], f"link to {ref.target!r}", where, diagnostics)
                continue
            close = difflib.get_close_matches(path, sorted(known), n=1, cutoff=0.7)
            diagnostics.error(
                "link.broken",
                f"link to {ref.target!r}: no page of this site is at {path}",
                where,
                f"did you mean {close[0]}?"
                if close
                else "root-relative links name the site's URLs, such as /products/winter-coat/; "
                "or link to the Markdown file (../products/winter-coat.md)",
            )


def _check_section(
    site: Site,
    plan: Plan,
    section: SectionLink,
    href: str,
    where: Location,
    diagnostics: Diagnostics,
) -> None:
    """A link to a section's `_index.md` leads to its listing page: one some channel has in
    this build, or the link shows as plain text (a section whose items are all hidden by
    the calendar lists nothing today, and may tomorrow)."""
    lang = section.lang or site.config.default_language
    if not any((channel, section.name, lang) in plan.section_routes for channel in plan.base_urls):
        what = f"section {section.name}/" if section.name else "the home page"
        diagnostics.warning(
            "link.unpublished",
            f"link to {href!r}: {what} has no page in this build (it lists no published "
            "item): the link shows as plain text",
            where,
            "the link returns by itself once the section lists a visible item; remove it to "
            "stop this warning",
        )
    elif section.anchor:
        _check_section_anchor(site, section, href, where, diagnostics)


def _check_section_anchor(
    site: Site, section: SectionLink, href: str, where: Location, diagnostics: Diagnostics
) -> None:
    """Anchors on a section's page are the headings of its `_index.md` body."""
    doc = section_document(site, section)
    what = doc.rel if doc else f"section {section.name}/ (it has no _index.md)"
    _check_anchor(doc, section.anchor, href, where, diagnostics, what)


def _check_anchor(
    doc: Document | None,
    anchor: str,
    href: str,
    where: Location,
    diagnostics: Diagnostics,
    what: str,
) -> None:
    anchors = {h.anchor for h in doc.headings} if doc else set()
    if unquote(anchor) in anchors:
        return
    close = difflib.get_close_matches(unquote(anchor), sorted(anchors), n=1)
    diagnostics.warning(
        "link.anchor",
        f"link to {href!r}: {what} has no heading '#{anchor}'",
        where,
        f"did you mean #{close[0]}?"
        if close
        else "anchors are the heading text in lower case with '-' for spaces",
    )


def check_image(
    rel: str,
    src: str,
    images: dict[str, ImageInfo],
    diagnostics: Diagnostics,
    where: Location,
    root: Path,
) -> None:
    try:
        target = image_source(rel, src)
    except UnsafePath as exc:
        diagnostics.error("image.unsafe", str(exc), where, "keep images inside content/ or static/")
        return
    if target not in images:
        problem = unreadable(root / target)
        if problem:
            what, hint = problem
            diagnostics.error("image.unreadable", f"image {src!r} ({target}): {what}", where, hint)
            return
        diagnostics.error(
            "image.missing",
            f"image {src!r} not found ({target})",
            where,
            "paths are relative to the Markdown file; /path means static/path",
        )
