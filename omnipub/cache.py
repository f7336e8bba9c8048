"""The parsed-document cache under `.omnipub/cache/`, keyed by content hash.

Entries carry the parser version and the Python version; an entry that fails to load, or
that was written by another version, is rebuilt, never trusted. Writes go through a
temporary file and a rename so a build killed half-way never leaves a torn entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .atomic import replacing, write_bytes
from .discover import RACY_NS
from .document import Document
from .markdown import PARSER_VERSION

CACHE_VERSION = f"doc-{PARSER_VERSION}-py{sys.version_info[0]}.{sys.version_info[1]}-1"


class DocumentCache:
    """Parsed documents by content hash, plus file stamps so unchanged files are not read.

    `variant` names the settings a parse depends on (raw HTML policy, URL schemes).
    """

    def __init__(
        self,
        state_dir: Path | None,
        variant: str = "",
        memory: dict[tuple[str, str], Document] | None = None,
        listed_at: int = 0,
    ) -> None:
        self.folder = state_dir / "cache" / "documents" if state_dir else None
        #: documents kept in memory between builds of one process (serve, watch)
        self.memory = memory
        self.variant = variant
        self.hits = 0
        self.misses = 0
        self.stamps: dict[str, list[object]] = {}
        self._stamps_path = state_dir / "cache" / "stamps.json" if state_dir else None
        #: the cache files found damaged (and dropped), for a warning each
        self.problems: list[str] = []
        if self._stamps_path:  # rows of the wrong shape are dropped in `known_hash`
            self.stamps = load_table(self._stamps_path, self.problems) or {}
        self.new_stamps: dict[str, list[object]] = {}
        #: stamps of files changed this close to their listing are not kept (see RACY_NS)
        self._racy_from = listed_at - RACY_NS if listed_at else None

    def known_hash(self, rel: str, size: int, mtime_ns: int) -> str | None:
        """The content hash of a file whose size and mtime are unchanged."""
        entry = self.stamps.get(rel)
        if (
            isinstance(entry, list)
            and len(entry) == 3
            and entry[0] == size
            and entry[1] == mtime_ns
            and isinstance(entry[2], str)
        ):
            return entry[2]
        return None

    def stamp(self, rel: str, size: int, mtime_ns: int, content_hash: str) -> None:
        if self._racy_from is not None and mtime_ns >= self._racy_from:
            return
        self.new_stamps[rel] = [size, mtime_ns, content_hash]

    def save_stamps(self) -> None:
        if self._stamps_path is None or self.new_stamps == self.stamps:
            return
        self._stamps_path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(self._stamps_path, json.dumps(self.new_stamps, sort_keys=True).encode())

    def path_for(self, content_hash: str, rel: str) -> Path | None:
        """Where the entry for this content goes (None without a cache folder)."""
        if self.folder is None:
            return None
        # The path is part of the key: documents remember where they came from.
        text = f"{CACHE_VERSION}\0{self.variant}\0{rel}\0{content_hash}"
        key = hashlib.sha256(text.encode()).hexdigest()
        return self.folder / key[:2] / f"{key}.pickle"

    def get(self, content_hash: str, rel: str) -> Document | None:
        if self.memory is not None:
            kept = self.memory.get((rel, content_hash))
            if kept is not None:
                self.hits += 1
                return kept
        document = self._load(content_hash, rel)
        if document is not None and self.memory is not None:
            self.memory[(rel, content_hash)] = document
        return document

    def _load(self, content_hash: str, rel: str) -> Document | None:
        path = self.path_for(content_hash, rel)
        if path is None:
            return None
        try:
            with path.open("rb") as handle:
                version, document = pickle.load(handle)
        except FileNotFoundError:
            self.misses += 1
            return None
        except Exception:  # a torn or foreign entry: rebuild it
            self.misses += 1
            return None
        if (
            version != CACHE_VERSION
            or not isinstance(document, Document)
            or document.content_hash != content_hash
        ):
            self.misses += 1
            return None
        self.hits += 1
        return document

    def remember(self, document: Document) -> None:
        """Keep a parsed document in memory for this process's next builds; its entry on
        disk is written where it was parsed (`write_entry`, in the parsing workers, so a
        large cold build creates its cache files in parallel)."""
        if self.memory is not None:
            self.memory[(document.rel, document.content_hash)] = document


def write_entry(path: Path, document: Document) -> None:
    """Write one entry (a cache that cannot be written only costs a parse next time)."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path) as handle:
            pickle.dump((CACHE_VERSION, document), handle, protocol=pickle.HIGHEST_PROTOCOL)


def load_table(
    path: Path, problems: list[str], valid: Callable[[Any], bool] = lambda _v: True
) -> dict[str, Any] | None:
    """A JSON table of the cache (None when there is none). One that cannot be read or has
    the wrong shape (damaged by hand or by a tool) is noted in `problems` and dropped: the
    build makes it again instead of crashing or trusting it."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        problems.append(f"{path.parent.name}/{path.name} cannot be read ({exc.strerror})")
        return None
    try:
        found = json.loads(text)
    except ValueError:
        found = None
    if isinstance(found, dict) and all(valid(v) for v in found.values()):
        return found
    problems.append(f"{path.parent.name}/{path.name} is damaged")
    return None


#: the folders of `.omnipub/cache/`, each with 256 shard folders named by hash prefix
SHARDED = ("documents", "blobs", "renditions")


def repair_layout(state_dir: Path) -> list[str]:
    """Put back the folders of the cache where something else took their place (a file
    named `cache`, `documents` or a blob shard); the cache files that were there are
    simply made again. Returns what was repaired, for a warning each.

    Costs one listing of each sharded folder, so it runs on every build that renders."""
    repaired: list[str] = []
    cache = state_dir / "cache"
    folders = [state_dir, cache, *(cache / name for name in SHARDED)]
    for folder in folders:
        if os.path.lexists(folder) and not folder.is_dir():
            folder.unlink()
            repaired.append(f"{folder.relative_to(state_dir.parent)} was not a folder")
    for name in SHARDED:
        try:
            entries = list(os.scandir(cache / name))
        except OSError:
            continue
        for entry in entries:
            if len(entry.name) == 2 and not entry.is_dir():
                os.unlink(entry.path)
                rel = f"{state_dir.name}/cache/{name}/{entry.name}"
                repaired.append(f"{rel} was not a folder")
    return repaired
