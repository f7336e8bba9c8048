"""Discover: walk a site into `SourceFile` records, in a stable order.

The walk never follows a link out of the site, survives link loops, and skips the files
editors and version control leave behind, so an editor's swap file never becomes a page. A
missing or empty content folder is an error, not an empty site.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .config import SiteConfig
from .diagnostics import Diagnostics, Location

KINDS = {"content": "content", "static": "static", "templates": "template", "data": "data"}

#: a file whose mtime is this close to the moment it was listed may be written again within
#: the same clock tick and keep its size and mtime: its stamp is not trusted ("racy git")
RACY_NS = 100_000_000

_IGNORED_NAMES = ("4913", ".DS_Store", "Thumbs.db", "__pycache__", "node_modules")
_IGNORED_PATTERNS = ("*~", "*.swp", "*.swx", "*.swo", ".#*", "#*#", "*.tmp", "*.bak", ".*")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    rel: str
    kind: str
    size: int
    mtime_ns: int


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

    if top.is_dir():
        visit(str(top), os.path.relpath(top, root_text).replace(os.sep, "/"))
    return found


def discover(config: SiteConfig, diagnostics: Diagnostics) -> list[SourceFile]:
    """Every file of the site that a build reads, with a stamp for incremental rebuilds."""
    root = config.root
    files: list[SourceFile] = []
    for folder, kind in KINDS.items():
        for rel, stat in _walk(root / folder, root, diagnostics):
            kind_here = "asset" if kind == "content" and not rel.endswith(".md") else kind
            files.append(SourceFile(root / rel, rel, kind_here, stat.st_size, stat.st_mtime_ns))
    _check_content(config, files, diagnostics)
    return files


def _check_content(config: SiteConfig, files: list[SourceFile], diagnostics: Diagnostics) -> None:
    """A site without content is an error, never an empty site: a folder moved away or
    emptied for a moment (a rename, a `git checkout`) must not publish nothing and retire
    every id. A site that really has no items yet says so with one Markdown file."""
    hint = (
        "restore it (a move or a checkout in progress?); publishing nothing would delete "
        "every page and retire every item id"
    )
    where = Location(f"{config.content_dir.name}/")
    if not config.content_dir.is_dir():
        diagnostics.error("discover.no-content", "the content folder is missing", where, hint)
    elif not any(source.kind == "content" for source in files):
        diagnostics.error(
            "discover.no-content", "the content folder holds no Markdown file", where, hint
        )
