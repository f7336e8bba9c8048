"""Publish: turn artifacts into files of the output folder, as one transaction.

A failed build never reaches this stage, so the previous output stays untouched. With a
cache, each output's bytes are a blob in `.omnipub/cache/blobs/`, written once; an output is
a copy of its blob (never a hard link: editing an output must not edit the cache). When the
whole manifest equals the published one, nothing is touched at all; otherwise only changed
files are written, through the journal of `journal.py`, so an interrupted build is finished
by the next one.

`.omnipub/manifest.json` indexes what the output folder holds, whoever wrote it. The
deploy manifests (`.omnipub/<channel>.deploy-manifest.json`) record real builds only: each
one's diff is against the previous real build, so what a what-if build (`--at`, `--drafts`,
`--channel`, ...) wrote in between is never mistaken for something deployed.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard

from .atomic import write_bytes
from .blobs import BlobStore, digest_of
from .cache import load_table
from .channel import Artifact
from .diagnostics import BuildFailed, Diagnostic, Location, Severity
from .images import encode
from .journal import MANIFEST_NAME, STATE_FOLDER, Transaction, checkpoint
from .outputs import Seen, save_record

DEPLOY_FOLDER = STATE_FOLDER
#: the file that marks a folder as an omnipub output (see `guard.check_output_folder`)
OUTPUT_MARKER = "omnipub-output"
MARKER_TEXT = (
    "This folder is written by `omnipub build`: each build replaces or deletes every file\n"
    "in it. Keep nothing else here.\n"
)
DEPLOY_SUFFIX = ".deploy-manifest.json"


@dataclass
class ChannelStats:
    files: int = 0
    bytes: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    #: seconds spent producing the channel's bytes (image encoding, mostly), and how many
    #: image renditions were encoded rather than found in the cache
    seconds: float = 0.0
    images: int = 0


@dataclass
class Published:
    manifest: dict[str, dict[str, dict[str, object]]]
    stats: dict[str, ChannelStats] = field(default_factory=dict)
    #: whether the deploy manifests' diffs are empty (or were left alone by a what-if)
    settled: bool = True


class Materializer:
    """Turns artifacts (bytes, blob digests, copies, rendition recipes) into blobs or bytes.

    Copies and renditions are keyed by the source file's stamp, so an unchanged static file
    or image is neither read nor re-encoded on the next build.
    """

    def __init__(
        self, site_root: Path, state_dir: Path | None, scratch: Path | None = None
    ) -> None:
        """`scratch`: the cache is read, and what this build adds to it is written there
        instead (a what-if that must not grow the cache: see `BuildOptions.scratch`)."""
        self.site_root = site_root
        self.root_text = str(site_root)
        cache = state_dir / "cache" if state_dir else None
        self.blobs = BlobStore(cache / "blobs" if cache else None)
        #: read in order; a new rendition is kept in the first
        self.rendition_dirs = [cache / "renditions"] if cache else []
        if cache and scratch:
            self.blobs = BlobStore(scratch / "blobs", below=self.blobs)
            self.rendition_dirs.insert(0, scratch / "renditions")
        self.index_path = cache / "derived.json" if cache else None
        #: the index is written back unless this is a scratch build
        self.keep_index = scratch is None
        #: the cache files found damaged (and dropped), for a warning each
        self.problems: list[str] = []
        self.index: dict[str, str] = {}
        if self.index_path:  # a damaged table: copies and renditions are made again
            valid = lambda value: isinstance(value, str)  # noqa: E731
            self.index = load_table(self.index_path, self.problems, valid) or {}
        self.used: dict[str, str] = {}
        #: source -> "size|mtime_ns", looked at once per publishing
        self._stamps: dict[str, str] = {}
        #: renditions encoded so far (found in the cache ones are not counted)
        self.encoded = 0
        #: told of every rendition asked for, encoded or found (the build's progress bar)
        self.on_rendition: Callable[[], None] | None = None

    def _recipe(self, artifact: Artifact) -> str:
        source = artifact.source
        assert source is not None
        stamp = self._stamps.get(source)
        if stamp is None:  # an image has a rendition per width, format and channel
            try:
                stat = os.stat(f"{self.root_text}/{source}")
            except FileNotFoundError:
                raise _vanished(source) from None
            stamp = self._stamps[source] = f"{stat.st_size}|{stat.st_mtime_ns}"
        return f"{source}|{stamp}|{artifact.transform}"

    def _produce(self, artifact: Artifact) -> bytes:
        if artifact.data is not None:
            return artifact.data
        if artifact.digest is not None:
            return self.blobs.read(artifact.digest)
        assert artifact.source is not None, artifact.path
        source = self.site_root / artifact.source
        try:
            if artifact.transform:
                self.encoded += 1
                return encode(source, artifact.transform, self.rendition_dirs)
            return source.read_bytes()
        except FileNotFoundError:
            raise _vanished(artifact.source) from None
        except (OSError, SyntaxError, ValueError) as exc:  # Pillow's ways to say "damaged"
            if not artifact.transform:
                raise
            raise _undecodable(artifact.source, exc) from None

    def digest(self, artifact: Artifact) -> str:
        """The artifact's digest, with its bytes stored as a blob (cache on)."""
        if artifact.transform and self.on_rendition is not None:
            self.on_rendition()
        if artifact.digest is not None and (
            self.blobs.folder is None or self.blobs.has(artifact.digest)
        ):
            return artifact.digest
        if artifact.data is not None:
            return self.blobs.put(artifact.data)
        recipe = self._recipe(artifact)
        known = self.index.get(recipe)
        if known and self.blobs.has(known):
            self.used[recipe] = known
            return known
        digest = self.blobs.put(self._produce(artifact))
        self.used[recipe] = digest
        return digest

    def data(self, artifact: Artifact) -> bytes:
        if artifact.transform and self.on_rendition is not None:
            self.on_rendition()
        return self._produce(artifact)

    def save(self) -> None:
        self._stamps = {}  # the next publishing (a live rebuild's) looks at the sources again
        if self.index_path is None or not self.keep_index:
            return
        text = json.dumps(dict(sorted(self.used.items())), separators=(",", ":"))
        self.index_path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(self.index_path, text.encode())


def _undecodable(source: str, problem: Exception) -> BuildFailed:
    """An image whose header reads but whose pixels do not (a truncated upload, a file cut
    short by a copy): a located error, never a crash or a half-made rendition."""
    return BuildFailed(
        [
            Diagnostic(
                Severity.ERROR,
                "image.damaged",
                f"cannot read this image's pixels ({problem}); nothing was published",
                Location(source),
                "export the image again (it may be cut short), or replace it",
            )
        ]
    )


def _vanished(source: str) -> BuildFailed:
    """A source file removed while the site was building (an editor, a checkout): nothing
    is published, the next build sees the site as it is now."""
    return BuildFailed(
        [
            Diagnostic(
                Severity.ERROR,
                "publish.source-vanished",
                "file was removed while the site was building; nothing was published",
                Location(source),
                "build again once the files are in place",
            )
        ]
    )


def _describe(digest: str, size: int, media_type: str) -> dict[str, object]:
    return {"sha256": digest, "size": size, "type": media_type}


class MemorySink:
    """Keeps outputs in memory: for tests and the dev server.

    Given the sink of the previous build, unchanged outputs are taken from it by digest
    instead of being read again.
    """

    def __init__(self, previous: MemorySink | None = None) -> None:
        self.files: dict[str, dict[str, bytes]] = {}
        self.media_types: dict[str, dict[str, str]] = {}
        self.by_digest: dict[str, bytes] = {}
        self._previous = previous.by_digest if previous else {}
        self.published = Published({})

    def publish(self, outputs: dict[str, list[Artifact]], materializer: Materializer) -> Published:
        manifest: dict[str, dict[str, dict[str, object]]] = {}
        stats: dict[str, ChannelStats] = {}
        cached = materializer.blobs.folder is not None
        for channel, artifacts in sorted(outputs.items()):
            files: dict[str, bytes] = {}
            types: dict[str, str] = {}
            entry: dict[str, dict[str, object]] = {}
            started, encoded = time.perf_counter(), materializer.encoded
            for artifact in artifacts:
                digest = materializer.digest(artifact) if cached else artifact.digest
                data = self._previous.get(digest) if digest else None
                if data is None or not digest:
                    data = materializer.data(artifact)
                    digest = digest_of(data)
                self.by_digest[digest] = data
                files[artifact.path] = data
                types[artifact.path] = artifact.media_type
                entry[artifact.path] = _describe(digest, len(data), artifact.media_type)
            self.files[channel] = files
            self.media_types[channel] = types
            manifest[channel] = dict(sorted(entry.items()))
            stats[channel] = ChannelStats(len(files), sum(len(d) for d in files.values()))
            stats[channel].seconds = time.perf_counter() - started
            stats[channel].images = materializer.encoded - encoded
        self._previous = {}
        materializer.save()
        self.published = Published(manifest, stats)
        return self.published

    def resolve(
        self, changes: dict[str, dict[str, Artifact | None]], materializer: Materializer
    ) -> dict[str, dict[str, tuple[bytes, str] | None]]:
        """The bytes and type of each changed output (None: removed); this sink is untouched."""
        resolved: dict[str, dict[str, tuple[bytes, str] | None]] = {}
        for channel, changed in changes.items():
            rows = resolved[channel] = {}
            for path, artifact in changed.items():
                if artifact is None:
                    rows[path] = None
                    continue
                data = self.by_digest.get(artifact.digest) if artifact.digest else None
                if data is None:
                    data = materializer.data(artifact)
                rows[path] = (data, artifact.media_type)
        return resolved

    def apply(self, resolved: dict[str, dict[str, tuple[bytes, str] | None]]) -> None:
        """Put resolved changes in place, one file at a time: a server reading meanwhile
        sees each file either as it was or as it is now."""
        manifest, all_stats = self.published.manifest, self.published.stats
        for channel, rows in resolved.items():
            if not rows:
                continue
            files = self.files.setdefault(channel, {})
            types = self.media_types.setdefault(channel, {})
            entry = manifest.setdefault(channel, {})
            stats = all_stats.setdefault(channel, ChannelStats())
            added = False
            for path, row in rows.items():
                stats.bytes -= len(files.get(path, b""))
                if row is None:
                    files.pop(path, None)
                    types.pop(path, None)
                    entry.pop(path, None)
                    continue
                data, media_type = row
                digest = digest_of(data)
                self.by_digest[digest] = data
                added |= path not in entry
                files[path], types[path] = data, media_type
                entry[path] = _describe(digest, len(data), media_type)
                stats.bytes += len(data)
            if added:
                manifest[channel] = dict(sorted(entry.items()))
            stats.files = len(files)


class DiskSink:
    """Publishes into an output folder as one transaction (see `journal.py`).

    A channel folder that is new, or whose previous manifest is unknown, is written whole
    and swapped in; otherwise only changed files are replaced and gone ones removed. The
    output never shares a file with the cache: each file is a copy of its blob.

    `real`: the build is recorded in the deploy manifests (see `build.what_if`); a what-if
    build leaves them as they are. `partial`: the build publishes some channels only, and
    leaves every other folder in the output folder as it is.
    """

    def __init__(
        self,
        out_dir: Path,
        record: Path | None = None,
        damaged: set[tuple[str, str]] | None = None,
        real: bool = True,
        partial: bool = False,
        seen: Seen | None = None,
    ) -> None:
        self.out_dir = out_dir
        #: where how each published file was left is recorded (see `outputs.py`)
        self.record = record
        #: (channel, path) of files deleted or altered since they were published
        self.damaged = damaged or set()
        #: each published file's status as the check before rendering found it; publishing
        #: drops the files it touches, and the record reuses the rest (see `save_record`)
        self.seen: Seen = seen or {}
        for channel, path in self.damaged:
            self.seen.get(channel, {}).pop(path, None)
        self.real = real
        self.partial = partial

    def publish(self, outputs: dict[str, list[Artifact]], materializer: Materializer) -> Published:
        published = self._publish(outputs, materializer)
        save_record(self.record, self.out_dir, published.manifest, self.seen)
        return published

    def _publish(self, outputs: dict[str, list[Artifact]], materializer: Materializer) -> Published:
        previous, previous_real = _read_index(self.out_dir)
        previous = previous or {}
        # a damaged file is written again: it counts as not published
        present = {
            channel: {p: row for p, row in files.items() if (channel, p) not in self.damaged}
            for channel, files in previous.items()
        }
        kept = {
            channel: files
            for channel, files in previous.items()
            if self.partial and channel not in outputs and (self.out_dir / channel).is_dir()
        }
        planned: dict[str, list[tuple[Artifact, str, int]]] = {}
        manifest: dict[str, dict[str, dict[str, object]]] = {}
        spent: dict[str, tuple[float, int]] = {}
        for channel, artifacts in sorted(outputs.items()):
            started, encoded = time.perf_counter(), materializer.encoded
            rows = []
            entry: dict[str, dict[str, object]] = {}
            before = previous.get(channel, {})
            for artifact in sorted(artifacts, key=lambda a: a.path):
                if materializer.blobs.folder is None:
                    data = materializer.data(artifact)
                    digest, size = digest_of(data), len(data)
                    artifact = Artifact(artifact.path, artifact.media_type, data=data)
                else:
                    digest = materializer.digest(artifact)
                    # the size of bytes the last build published is in its manifest
                    known = before.get(artifact.path)
                    if known is not None and known["sha256"] == digest:
                        size = int(known["size"])  # type: ignore[call-overload]
                    else:
                        size = materializer.blobs.size(digest)
                rows.append((artifact, digest, size))
                entry[artifact.path] = _describe(digest, size, artifact.media_type)
            planned[channel] = rows
            manifest[channel] = entry
            spent[channel] = (time.perf_counter() - started, materializer.encoded - encoded)
        stats = {name: self._stats(rows, present.get(name, {})) for name, rows in planned.items()}
        for name, (seconds, images) in spent.items():
            stats[name].seconds, stats[name].images = seconds, images
        built = manifest
        manifest = dict(sorted({**kept, **built}.items()))
        # what the last real build published: the deploy diffs are against it
        deployed = previous if previous_real or not self.real else self._deployed()
        settled = not self.real or all(built[c] == deployed.get(c) for c in built)
        if manifest == present and self._complete(manifest) and not self._strays(manifest):
            for item in stats.values():
                item.unchanged, item.written, item.removed = item.files, 0, 0
            if self.real:  # empties the deploy diffs, unless a what-if came between
                self._write_index(self.out_dir, manifest, deployed)
            materializer.save()
            return Published(manifest, stats, settled)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        mark_output(self.out_dir)
        transaction = Transaction(self.out_dir)
        try:
            for channel, rows in planned.items():
                self._stage(transaction, channel, rows, present, materializer)
            for name in self._strays(manifest):
                transaction.drop(name)
            for name, data in self._index_files(manifest, deployed).items():
                transaction.index(name, data)
        except BaseException:
            transaction.abandon()
            raise
        transaction.commit()
        materializer.save()
        return Published(manifest, stats, settled)

    def _stage(
        self,
        transaction: Transaction,
        channel: str,
        rows: list[tuple[Artifact, str, int]],
        present: dict[str, dict[str, dict[str, object]]],
        materializer: Materializer,
    ) -> None:
        """Stage a channel's changes: the whole folder when what it holds is unknown, else
        the changed files, and the removal of gone ones."""
        before = present.get(channel)
        seen = self.seen.get(channel, {})
        if before is None or not (self.out_dir / channel).is_dir():
            self.seen.pop(channel, None)
            self._write(transaction.folder(channel), rows, materializer)
            return
        for artifact, digest, _size in rows:
            if before.get(artifact.path, {}).get("sha256") != digest:
                seen.pop(artifact.path, None)
                self._put(transaction.file(channel, artifact.path), artifact, digest, materializer)
        for gone in sorted(set(before) - {a.path for a, _d, _s in rows}):
            seen.pop(gone, None)
            transaction.remove(channel, gone)

    def _strays(self, manifest: dict[str, dict[str, dict[str, object]]]) -> list[str]:
        """Top-level entries of the output folder that a clean build would not make (a
        channel no longer enabled); a partial build leaves every other folder alone."""
        if self.partial or not self.out_dir.is_dir():
            return []
        keep = {*manifest, STATE_FOLDER}
        return sorted(name for name in os.listdir(self.out_dir) if name not in keep)

    def settle(self, manifest: dict[str, dict[str, dict[str, object]]]) -> None:
        """Empty the deploy diffs: a real build found the output exactly the previous real
        build's."""
        self._write_index(self.out_dir, manifest, manifest)

    def _deployed(self) -> dict[str, dict[str, dict[str, object]]]:
        """What the last real build published, per channel, from the deploy manifests
        (read only when a what-if build wrote the output folder since)."""
        found: dict[str, dict[str, dict[str, object]]] = {}
        for path in sorted((self.out_dir / DEPLOY_FOLDER).glob(f"*{DEPLOY_SUFFIX}")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            files = data.get("files") if isinstance(data, dict) else None
            if _valid_rows(files):
                found[str(data.get("channel"))] = files
        return found

    def _complete(self, manifest: dict[str, dict[str, dict[str, object]]]) -> bool:
        return all((self.out_dir / channel).is_dir() for channel in manifest)

    def _stats(
        self, rows: list[tuple[Artifact, str, int]], before: dict[str, dict[str, object]]
    ) -> ChannelStats:
        stats = ChannelStats(files=len(rows), bytes=sum(size for _a, _d, size in rows))
        for artifact, digest, _size in rows:
            if before.get(artifact.path, {}).get("sha256") == digest:
                stats.unchanged += 1
            else:
                stats.written += 1
        stats.removed = len(set(before) - {a.path for a, _d, _s in rows})
        return stats

    def _write(
        self, folder: Path, rows: list[tuple[Artifact, str, int]], materializer: Materializer
    ) -> None:
        # string paths: this runs for each of a large site's hundreds of thousands of files
        base = str(folder)
        made: set[str] = set()
        for artifact, digest, _size in rows:
            target = f"{base}/{artifact.path}"
            parent = target.rpartition("/")[0]
            if parent not in made:
                os.makedirs(parent, exist_ok=True)
                made.add(parent)
            self._put(target, artifact, digest, materializer)

    @staticmethod
    def _put(target: str, artifact: Artifact, digest: str, materializer: Materializer) -> None:
        if materializer.blobs.folder is not None:
            materializer.blobs.copy(digest, target)
        else:
            assert artifact.data is not None
            with open(target, "wb") as handle:
                handle.write(artifact.data)
        checkpoint("stage")

    def _index_files(
        self,
        manifest: dict[str, dict[str, dict[str, object]]],
        deployed: dict[str, dict[str, dict[str, object]]],
    ) -> dict[str, bytes]:
        """A real build's deploy manifests, then the index of the output folder (last: a
        build interrupted before it redoes the work). A what-if writes the index alone,
        marked as such, so the next real build diffs against the deploy manifests."""
        files: dict[str, bytes] = {}
        if self.real:
            for channel, deploy in _deploy_manifests(manifest, deployed).items():
                files[f"{channel}{DEPLOY_SUFFIX}"] = _json_bytes(deploy)
        index: dict[str, object] = {"version": 1, "channels": manifest}
        if not self.real:
            index["what_if"] = True
        files[MANIFEST_NAME] = _json_bytes(index)
        return files

    def _write_index(
        self,
        target: Path,
        manifest: dict[str, dict[str, dict[str, object]]],
        deployed: dict[str, dict[str, dict[str, object]]],
    ) -> None:
        """The index files written in place, each atomically (nothing else changes)."""
        folder = target / DEPLOY_FOLDER
        folder.mkdir(exist_ok=True)
        for name, data in self._index_files(manifest, deployed).items():
            write_bytes(folder / name, data)


def _deploy_manifests(
    manifest: dict[str, dict[str, dict[str, object]]],
    previous: dict[str, dict[str, dict[str, object]]],
) -> dict[str, dict[str, object]]:
    """Per channel: every file with its hash, size and type, and the diff to the previous
    real build, for deploy steps that upload only changes."""
    found: dict[str, dict[str, object]] = {}
    for channel, files in manifest.items():
        before = previous.get(channel, {})
        diff = {
            "added": sorted(set(files) - set(before)),
            "changed": sorted(
                p for p in set(files) & set(before) if files[p]["sha256"] != before[p]["sha256"]
            ),
            "removed": sorted(set(before) - set(files)),
        }
        found[channel] = {"version": 1, "channel": channel, "files": files, "diff": diff}
    return found


def mark_output(out_dir: Path) -> None:
    """Mark a folder as an omnipub output: only such a folder may be replaced by a build
    (see `guard.check_output_folder`)."""
    marker = out_dir / DEPLOY_FOLDER / OUTPUT_MARKER
    if not marker.exists():
        marker.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(marker, MARKER_TEXT.encode())


def read_manifest(out_dir: Path) -> dict[str, dict[str, dict[str, object]]] | None:
    """The published manifest (channel -> path -> hash, size, type), None when unreadable."""
    return _read_index(out_dir)[0]


def manifest_damaged(out_dir: Path) -> bool:
    """Is there a manifest that `read_manifest` cannot use (damaged)?"""
    return (out_dir / DEPLOY_FOLDER / MANIFEST_NAME).exists() and read_manifest(out_dir) is None


def _read_index(out_dir: Path) -> tuple[dict[str, dict[str, dict[str, object]]] | None, bool]:
    """The output folder's manifest, and whether a real build wrote it. A manifest of the
    wrong shape (damaged by hand) counts as none: every channel is written whole."""
    try:
        data = json.loads((out_dir / DEPLOY_FOLDER / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, False
    channels = data.get("channels") if isinstance(data, dict) else None
    if not isinstance(channels, dict) or not all(_valid_rows(f) for f in channels.values()):
        return None, False
    return channels, not data.get("what_if", False)


def _valid_rows(files: object) -> TypeGuard[dict[str, dict[str, object]]]:
    """Is this a manifest's path -> {sha256, size, type} table?"""
    return isinstance(files, dict) and all(
        isinstance(row, dict)
        and isinstance(row.get("sha256"), str)
        and isinstance(row.get("size"), int)
        for row in files.values()
    )


def _json_bytes(data: object) -> bytes:
    # compact: the C encoder is several times faster than the indenting one on big manifests
    return (json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n").encode()
