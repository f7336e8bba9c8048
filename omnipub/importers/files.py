"""Walking the old site's folders: hidden files, the new site's own folder (when DEST lies
inside SRC) and editor droppings are never imported."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from ..discover import is_ignored
from .common import Imported, Report


def walk(folder: Path, exclude: Path | None, skip: tuple[str, ...] = ()) -> Iterator[Path]:
    """Every file under `folder`, in name order, without following links out of it."""
    if not folder.is_dir():
        return
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if not is_ignored(d)
            and d not in skip
            and (exclude is None or (here / d).resolve() != exclude)
        )
        for name in sorted(files):
            path = here / name
            if (
                is_ignored(name)
                or path.is_symlink()
                and not path.resolve().is_relative_to(folder.resolve())
            ):
                continue
            yield path


def copy_tree(
    folder: Path,
    dest_prefix: str,
    imported: Imported,
    report: Report,
    label: str,
    exclude: Path | None,
) -> None:
    for path in walk(folder, exclude):
        rel = path.relative_to(folder).as_posix()
        imported.copies.append((path, f"{dest_prefix}/{rel}"))
        report.files[label] += 1
