"""Discover: walk a site into `SourceFile` records, in a stable order.

The walk never follows a link out of the site, survives link loops, and skips the files
editors and version control leave behind, so an editor's swap file never becomes a page.
Whether a source folder is there at all is `absent_folders`; which ones a build needs is
`folders.py`'s.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .config import SiteConfig
from .diagnostics import Diagnostics, Location

KINDS = {
    "content": "content",
    "static": "static",
    "templates": "template",
    "data": "data",
    "components": "component",
}
#: every folder of a site that a build reads: checked for presence (`check_folders`),
#: watched (`watch.py`), never an output folder (`guard.py`)
SOURCE_FOLDERS = (*KINDS, "i18n")

#: a file whose mtime is this close to the moment it was listed may be written again within
#: the same clock tick and keep its size and mtime: its stamp is not trusted ("racy git")
RACY_NS = 100_000_000

_IGNORED_NAMES = ("4913", ".DS_Store", "Thumbs.db", "__pycache__", "node_modules")
_IGNORED_PATTERNS = ("*~", "*.swp", "*.swx", "*.swo", ".#*", "#*#", "*.tmp", "*.bak", ".*")


#: the suffixes of the Markdown sources omnipub reads, as Hugo, Jekyll and MkDocs name them
MARKDOWN_SUFFIXES = (".md", ".markdown")

#: text formats found in other tools' content folders that omnipub does not read, with what
#: to do about each: left alone, such a file is content that silently never appears
UNREAD_FORMATS = {
    ".mdx": "MDX is Markdown with JSX, which omnipub does not run: rename it to .md and "
    "replace its import lines and components with Markdown or HTML",
    **{
        suffix: "it is Markdown under another name: rename it to .md"
        for suffix in (".mdown", ".mkd", ".mkdn", ".mdwn", ".mdtxt", ".mdtext")
    },
    **{
        suffix: "omnipub reads Markdown: convert it (pandoc -t gfm -o page.md page"
        f"{suffix} keeps headings, links and tables), or move it out of content/"
        for suffix in (".rst", ".adoc", ".asciidoc", ".org", ".textile", ".ipynb", ".wiki")
    },
}


def markdown_stem(name: str) -> str | None:
    """`coat.nb.md` -> `coat.nb`; None for a file that is not Markdown."""
    lower = name.lower()
    for suffix in MARKDOWN_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return None


@dataclass(frozen=True)
class SourceFile:
    #: the site folder (text: a listing of 10,000 files makes no `Path` it does not read)
    root: str
    rel: str
    kind: str
    size: int
    mtime_ns: int

    @property
    def path(self) -> Path:
        return Path(self.root, self.rel)


_IGNORED = re.compile("|".join(fnmatch.translate(p) for p in _IGNORED_PATTERNS))


def is_ignored(name: str) -> bool:
    """True for editor droppings, VCS folders and hidden files."""
    return name in _IGNORED_NAMES or _IGNORED.match(name) is not None


def _walk(top: Path, root: Path, diagnostics: Diagnostics) -> list[tuple[str, os.stat_result]]:
    """(path relative to root, stat) of every file under top, in name order."""
    found: list[tuple[str, os.stat_result]] = []
    seen_dirs: set[str] = set()
    root_text = str(root)
    real_root = os.path.realpath(root)

    def visit(folder: str, rel_folder: str) -> None:
        real = os.path.realpath(folder)
        if real in seen_dirs:
            diagnostics.error(
                "discover.symlink-loop",
                "folder is reached twice through symbolic links (a link loop)",
                Location(rel_folder),
                "remove the link that points back into its own parent",
            )
            return
        seen_dirs.add(real)
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            diagnostics.error(
                "discover.unreadable",
                f"cannot read folder: {exc.strerror}",
                Location(rel_folder),
            )
            return
        for entry in entries:
            if is_ignored(entry.name):
                continue
            rel = f"{rel_folder}/{entry.name}"
            if entry.is_symlink():
                target = os.path.realpath(entry.path)
                if not os.path.exists(target):
                    diagnostics.error(
                        "discover.symlink-broken",
                        "symbolic link points to nothing (or loops)",
                        Location(rel),
                        "remove the link or restore its target",
                    )
                    continue
                if os.path.commonpath([real_root, target]) != real_root:
                    diagnostics.error(
                        "discover.symlink-outside",
                        "symbolic link points outside the site folder",
                        Location(rel),
                        "copy the file into the site instead of linking to it",
                    )
                    continue
            if entry.is_dir():
                visit(entry.path, rel)
            elif entry.is_file():
                found.append((rel, entry.stat()))

    rel_top = os.path.relpath(top, root_text).replace(os.sep, "/")
    real_top = os.path.realpath(top)
    if top.is_dir() and os.path.commonpath([real_root, real_top]) != real_root:
        # a source folder that is itself a link out of the site would publish whatever it
        # points at (a home folder, /etc): refused like any link that leaves the site
        diagnostics.error(
            "discover.symlink-outside",
            f"the source folder {rel_top}/ is a symbolic link to {real_top}, outside the site",
            Location(rel_top),
            "move the folder into the site instead of linking to it",
        )
        return found
    if top.is_dir():
        visit(str(top), rel_top)
    return found


def discover(config: SiteConfig, diagnostics: Diagnostics) -> list[SourceFile]:
    """Every file of the site that a build reads, with a stamp for incremental rebuilds."""
    root = config.root
    root_text = str(root)
    files: list[SourceFile] = []
    for folder, kind in KINDS.items():
        for rel, stat in _walk(root / folder, root, diagnostics):
            kind_here = kind
            if kind == "content" and markdown_stem(rel) is None:
                kind_here = "asset"
                _report_unread(rel, diagnostics)
            files.append(SourceFile(root_text, rel, kind_here, stat.st_size, stat.st_mtime_ns))
    return files


def _report_unread(rel: str, diagnostics: Diagnostics) -> None:
    """A text format omnipub does not read, in content/: say so, and what to do."""
    suffix = os.path.splitext(rel)[1].lower()
    what = UNREAD_FORMATS.get(suffix)
    if what is None:
        return
    diagnostics.warning(
        "content.unread",
        f"{suffix} files are not read: this file is not published",
        Location(rel, 1),
        what,
        group=("content.unread", suffix),
        group_hint=what,
    )


def absent_folders(root: Path, names: Iterable[str]) -> dict[str, str]:
    """Which of the source folders `names` are missing or hold nothing a build reads, with
    what is wrong ("is missing", "holds no Markdown file", "holds no file").

    The one test of a source folder's presence: a build refuses to run without one the last
    build read (see `check_folders`), and watch mode waits for it to come back. It stops at
    the first file found, so it costs a few directory listings, not a walk of the site."""
    found: dict[str, str] = {}
    for name in names:
        folder = root / name
        if not folder.is_dir():
            found[name] = "is missing"
            continue
        wanted = (lambda n: markdown_stem(n) is not None) if name == "content" else None
        if not _holds(str(folder), wanted):
            found[name] = "holds no Markdown file" if wanted else "holds no file"
    return found


def _holds(folder: str, wanted: Callable[[str], bool] | None) -> bool:
    """Does `folder` hold a file (one `wanted` accepts) that the walk would read?"""
    for _top, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not is_ignored(d)]
        if any(not is_ignored(f) and (wanted is None or wanted(f)) for f in files):
            return True
    return False
