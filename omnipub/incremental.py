"""The render cache: reuse a route's output when nothing it read has changed.

Each entry remembers, per channel and output path, the fingerprint of the inputs the last
render recorded (see `depends.py`) and the digests of the bytes it produced. A build
recomputes the fingerprint over the same recorded inputs with today's digests; equal means
the stored bytes are still exact. The cache is versioned; a bad entry is ignored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import replacing
from .channel import Artifact, Channel, Route
from .collector import collector_paused
from .config import SiteConfig
from .depends import Digests, Key, Pieces, Usage
from .diagnostics import Diagnostic

CACHE_VERSION = "routes-8"
#: render caches kept per channel, one per set of fixed inputs (build, serve, ...)
KEEP_VARIANTS = 3


@dataclass(frozen=True)
class Entry:
    fingerprint: str
    output: str
    items: tuple[Key, ...]
    now: tuple[str, ...]
    #: (path, media type, digest) of each artifact the render produced
    artifacts: tuple[tuple[str, str, str], ...]
    assets: tuple[Artifact, ...]
    templates: tuple[str, ...]
    #: warnings the render reported, replayed when the render is reused
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass
class Inputs:
    """Today's digests, against which recorded dependencies are checked."""

    channel: str
    #: today's digest of each dependency key (lazy: see `depends.Digests`)
    items: dict[Key, str]
    #: the build instant by part: "instant", "date", "year"
    now: dict[str, str]
    #: key -> its piece of a fingerprint (see `depends.Pieces`), made once per build and
    #: shared by the channels when `items` are the build's digests
    _pieces: Pieces = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        items = self.items
        self._pieces = items.pieces if isinstance(items, Digests) else Pieces(items)

    def fingerprint(
        self,
        route: Route,
        items: Iterable[Key],
        now: Iterable[str],
    ) -> str:
        h = hashlib.sha256()
        h.update(self.channel.encode())
        h.update(
            repr(
                (route.output, route.path, route.url, route.lang, route.item_id, route.params)
            ).encode()
        )
        # the recorded keys are a set: their pieces are summed (see `depends.Pieces`)
        h.update(self._pieces.total(items).to_bytes(16, "big"))
        for part in sorted(now):
            h.update(f"now:{part}:{self.now[part]}".encode())
        return h.hexdigest()


def instant_parts(now: dt.datetime) -> dict[str, str]:
    return {"instant": now.isoformat(), "date": now.date().isoformat(), "year": str(now.year)}


def make_entry(
    inputs: Inputs,
    route: Route,
    usage: Usage,
    artifacts: list[Artifact],
    assets: list[Artifact],
    diagnostics: list[Diagnostic] | None = None,
) -> Entry:
    keys = tuple(sorted(usage.items, key=repr))
    return Entry(
        fingerprint=inputs.fingerprint(route, keys, usage.now),
        output=route.output,
        items=keys,
        now=tuple(sorted(usage.now)),
        artifacts=tuple((a.path, a.media_type, a.digest or "") for a in artifacts),
        assets=tuple(assets),
        templates=tuple(sorted(usage.templates)),
        diagnostics=tuple(diagnostics or ()),
    )


def still_valid(entry: Entry, inputs: Inputs, route: Route) -> bool:
    return entry.output == route.output and entry.fingerprint == inputs.fingerprint(
        route, entry.items, entry.now
    )


class RenderCache:
    """Entries of one channel, read at the start of a build and written after success."""

    def __init__(self, folder: Path | None, channel: str, static_digest: str) -> None:
        # one file per set of fixed inputs, so that `omnipub serve` (its own base URLs) and
        # `omnipub build` do not throw away each other's entries; the newest few are kept
        self.folder, self.channel = folder, channel
        name = f"routes-{channel}-{static_digest[:16]}.pickle"
        self.path = folder / name if folder else None
        self.static_digest = static_digest
        self.entries: dict[str, Entry] = {}
        self.fresh: dict[str, Entry] = {}
        #: shared index -> the keys computing it read (see `RenderContext.memo`)
        self.memos: dict[Key, tuple[Key, ...]] = {}
        if self.path is None:
            return
        try:
            with self.path.open("rb") as handle, collector_paused():
                version, digest, entries, memos = pickle.load(handle)
        except Exception:  # missing, torn or foreign: start empty
            return
        if (
            version == CACHE_VERSION
            and digest == static_digest
            and isinstance(entries, dict)
            and isinstance(memos, dict)
        ):
            self.entries, self.memos = entries, memos

    def get(self, path: str) -> Entry | None:
        return self.entries.get(path)

    def keep(self, path: str, entry: Entry) -> None:
        self.fresh[path] = entry

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(self.path) as handle:
            pickle.dump(
                (CACHE_VERSION, self.static_digest, self.fresh, self.memos),
                handle,
                protocol=pickle.HIGHEST_PROTOCOL,
            )
        self._prune()

    def _prune(self) -> None:
        assert self.folder is not None
        others = sorted(
            (
                p
                for p in self.folder.glob(f"routes-{self.channel}-{'?' * 16}.pickle")
                if p != self.path
            ),
            key=lambda p: p.stat().st_mtime_ns,
            reverse=True,
        )
        for stale in others[KEEP_VARIANTS - 1 :]:
            stale.unlink(missing_ok=True)


def static_digest(*parts: object, folders: Iterable[Path] = ()) -> str:
    """Digest of a channel's fixed inputs: its version, config, templates and catalogues."""
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode())
        h.update(b"\x1f")
    for folder in folders:
        if not folder.is_dir():
            continue
        files = (
            p
            for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        )
        for path in sorted(files):
            h.update(path.relative_to(folder).as_posix().encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def channel_digest(config: SiteConfig, channel: Channel, drafts: bool, built: list[Channel]) -> str:
    """The fixed inputs of a channel's renders: code, config, templates, words, and the
    channels `built` beside it, whose URLs its pages show (dev URLs included: the dev
    server's base URLs are set in the channels' config)."""
    folders = [
        Path(__file__).parent,
        config.templates_dir / channel.name,
        config.root / "i18n",
        config.root / "components",
    ]
    if channel.package_dir:
        folders.append(channel.package_dir.parent)
    return static_digest(
        channel.name,
        channel.version,
        config.digest,
        drafts,
        sorted((other.name, other.config.base_url) for other in built),
        folders=folders,
    )
