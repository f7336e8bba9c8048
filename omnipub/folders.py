"""Source folders a build needs: content/ always, and every other source folder the last
successful build read. A folder moved away or emptied for a moment (a rename, a `git
checkout`) is an error for a build and a pause for watch mode, never a smaller site.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from .atomic import write_bytes
from .cache import load_table
from .config import SiteConfig
from .diagnostics import Diagnostics, Location
from .discover import SOURCE_FOLDERS, absent_folders

#: which source folders the last successful build read, under `.omnipub/cache/`
FOLDERS_RECORD = "source-folders.json"


def recorded_folders(state_dir: Path, problems: list[str]) -> set[str]:
    """The source folders that held files at the last successful build (damage is noted in
    `problems` and counts as no record)."""
    table = load_table(state_dir / "cache" / FOLDERS_RECORD, problems)
    return {name for name in table or {} if name in SOURCE_FOLDERS}


def record_folders(config: SiteConfig, present: Iterable[str]) -> None:
    """Remember which source folders a successful build read (see `check_folders`)."""
    path = config.state_dir / "cache" / FOLDERS_RECORD
    table = dict.fromkeys(sorted(present), True)
    if load_table(path, []) == table:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(path, json.dumps(table).encode())


def expected_folders(
    state_dir: Path, problems: list[str], allowed: Iterable[str] = (), cached: bool = True
) -> set[str]:
    """The folders a build needs: content/ always, and every source folder the last build
    read (when it reads the cache: `cached`), except those `allowed` to be gone
    (`--allow-removed`)."""
    recorded = recorded_folders(state_dir, problems) if cached else set()
    return ({"content"} | recorded) - set(allowed)


def check_folders(
    config: SiteConfig, diagnostics: Diagnostics, allowed: Iterable[str] = (), cached: bool = True
) -> frozenset[str]:
    """A site without content, or without a source folder the last build read, is an error,
    never a smaller site: a folder moved away or emptied for a moment (a rename, a `git
    checkout`) must not publish nothing, retire every id or drop every style sheet. A site
    that never had static/ builds as before. Returns the source folders present now, which a
    successful build records (`cached`: the cache is read and written)."""
    problems: list[str] = []
    expected = expected_folders(config.state_dir, problems, allowed, cached)
    for problem in problems:
        diagnostics.warning(
            "cache.damaged", f"{problem}; it is made again", Location(".omnipub/cache")
        )
    absent = absent_folders(config.root, SOURCE_FOLDERS)
    for name in sorted(expected & set(absent)):
        restore = "restore it (a move or a checkout in progress?)"
        if name == "content":
            code, hint = (
                "discover.no-content",
                f"{restore}; publishing nothing would delete every page and retire every item id",
            )
        else:
            code, hint = (
                "discover.folder-gone",
                f"{restore}; if it is gone on purpose, build once with --allow-removed {name}",
            )
            absent[name] += ", and the last build read files from it"
        diagnostics.error(code, f"the {name} folder {absent[name]}", Location(f"{name}/"), hint)
    return frozenset(name for name in SOURCE_FOLDERS if name not in absent)
