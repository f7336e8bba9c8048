"""The parsed-document cache under `.omnipub/cache/`, keyed by content hash.

Entries carry the parser version and the Python version; an entry that fails to load, or
that was written by another version, is rebuilt, never trusted. Writes go through a
temporary file and a rename so a build killed half-way never leaves a torn entry.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

from .document import Document
from .markdown import PARSER_VERSION

CACHE_VERSION = f"doc-{PARSER_VERSION}-py{sys.version_info[0]}.{sys.version_info[1]}-1"


class DocumentCache:
    def __init__(self, state_dir: Path | None) -> None:
        self.folder = state_dir / "cache" / "documents" if state_dir else None
        self.hits = 0
        self.misses = 0

    def _path(self, content_hash: str, rel: str) -> Path | None:
        if self.folder is None:
            return None
        # The path is part of the key: documents remember where they came from.
        key = hashlib.sha256(f"{CACHE_VERSION}\0{rel}\0{content_hash}".encode()).hexdigest()
        return self.folder / key[:2] / f"{key}.pickle"

    def get(self, content_hash: str, rel: str) -> Document | None:
        path = self._path(content_hash, rel)
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

    def put(self, document: Document) -> None:
        path = self._path(document.content_hash, document.rel)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump((CACHE_VERSION, document), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
