"""Publish: write artifacts into a staging folder, swap it in, record the manifest.

A failed build never reaches this stage, so the previous output stays untouched. With a
cache, every output file is a hard link to its blob in `.omnipub/cache/blobs/`, so only
new bytes are ever written; when the whole manifest equals the published one, nothing is
touched at all.

`.omnipub/manifest.json` indexes what the output folder holds, whoever wrote it. The
deploy manifests (`.omnipub/<channel>.deploy-manifest.json`) record real builds only: each
one's diff is against the previous real build, so what a what-if build (`--at`, `--drafts`,
`--channel`, ...) wrote in between is never mistaken for something deployed.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import write_bytes
from .blobs import BlobStore, digest_of
from .channel import Artifact
from .images import encode
from .outputs import save_record

MANIFEST_NAME = "manifest.json"
DEPLOY_FOLDER = ".omnipub"
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

    def __init__(self, site_root: Path, state_dir: Path | None) -> None:
        self.site_root = site_root
        self.root_text = str(site_root)
        cache = state_dir / "cache" if state_dir else None
        self.blobs = BlobStore(cache / "blobs" if cache else None)
        self.rendition_cache = cache / "renditions" if cache else None
        self.index_path = cache / "derived.json" if cache else None
        self.index: dict[str, str] = {}
        if self.index_path and self.index_path.is_file():
            try:
                self.index = json.loads(self.index_path.read_text())
            except ValueError:
                self.index = {}
        self.used: dict[str, str] = {}
        #: renditions encoded so far (found in the cache ones are not counted)
        self.encoded = 0
        #: told of every rendition asked for, encoded or found (the build's progress bar)
        self.on_rendition: Callable[[], None] | None = None

    def _recipe(self, artifact: Artifact) -> str:
        assert artifact.source is not None
        stat = os.stat(f"{self.root_text}/{artifact.source}")
        return f"{artifact.source}|{stat.st_size}|{stat.st_mtime_ns}|{artifact.transform}"

    def _produce(self, artifact: Artifact) -> bytes:
        if artifact.data is not None:
            return artifact.data
        if artifact.digest is not None:
            return self.blobs.read(artifact.digest)
        assert artifact.source is not None, artifact.path
        source = self.site_root / artifact.source
        if artifact.transform:
            self.encoded += 1
            return encode(source, artifact.transform, self.rendition_cache)
        return source.read_bytes()

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
        if self.index_path is None:
            return
        text = json.dumps(dict(sorted(self.used.items())), indent=0)
        self.index_path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(self.index_path, text.encode())


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
    """Builds into `.<out>.staging` beside the output folder, then swaps it in.

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
    ) -> None:
        self.out_dir = out_dir
        #: where how each published file was left is recorded (see `outputs.py`)
        self.record = record
        #: (channel, path) of files deleted or altered since they were published
        self.damaged = damaged or set()
        self.real = real
        self.partial = partial

    def publish(self, outputs: dict[str, list[Artifact]], materializer: Materializer) -> Published:
        published = self._publish(outputs, materializer)
        save_record(self.record, self.out_dir, published.manifest)
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
                    if (
                        isinstance(known, dict)
                        and known.get("sha256") == digest
                        and isinstance(known_size := known.get("size"), int)
                    ):
                        size = known_size
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
        if manifest == present and self._complete(manifest):
            for item in stats.values():
                item.unchanged, item.written, item.removed = item.files, 0, 0
            if self.real:  # empties the deploy diffs, unless a what-if came between
                self._write_index(self.out_dir, manifest, deployed)
            materializer.save()
            return Published(manifest, stats, settled)
        if previous and self._complete(previous) and materializer.blobs.folder is not None:
            self._update_in_place(planned, present, materializer)
            self._write_index(self.out_dir, manifest, deployed)
            materializer.save()
            return Published(manifest, stats, settled)
        staging = self.out_dir.parent / f".{self.out_dir.name}.staging"
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        try:
            for channel, rows in planned.items():
                self._write(staging / channel, rows, materializer)
            self._carry_over(staging, set(planned))
            self._write_index(staging, manifest, deployed)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._swap(staging)
        materializer.save()
        return Published(manifest, stats, settled)

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
            if isinstance(data, dict) and isinstance(data.get("files"), dict):
                found[str(data.get("channel"))] = data["files"]
        return found

    def _carry_over(self, staging: Path, built: set[str]) -> None:
        """Into a staging folder, link what this build leaves alone: a partial build's other
        folders, and a what-if build's deploy manifests."""
        if self.partial and self.out_dir.is_dir():
            for entry in sorted(self.out_dir.iterdir()):
                if entry.name not in built and entry.name != DEPLOY_FOLDER:
                    _link_tree(entry, staging / entry.name)
        if not self.real:
            (staging / DEPLOY_FOLDER).mkdir(exist_ok=True)
            for path in sorted((self.out_dir / DEPLOY_FOLDER).glob(f"*{DEPLOY_SUFFIX}")):
                _link_tree(path, staging / DEPLOY_FOLDER / path.name)

    def _update_in_place(
        self,
        planned: dict[str, list[tuple[Artifact, str, int]]],
        previous: dict[str, dict[str, dict[str, object]]],
        materializer: Materializer,
    ) -> None:
        """Replace only changed files, each atomically, and delete what is gone.

        The manifest is written last, so an interrupted update is redone by the next build.
        A channel folder appearing for the first time is written whole.
        """
        for channel, rows in planned.items():
            before = previous.get(channel, {})
            folder = self.out_dir / channel
            for artifact, digest, _size in rows:
                if before.get(artifact.path, {}).get("sha256") == digest:
                    continue
                target = folder / artifact.path
                target.parent.mkdir(parents=True, exist_ok=True)
                temporary = target.with_name(f".{target.name}.omnipub-new")
                temporary.unlink(missing_ok=True)
                materializer.blobs.place(digest, temporary)
                os.replace(temporary, target)
            kept = {a.path for a, _d, _s in rows}
            for gone in sorted(set(before) - kept):
                path = folder / gone
                path.unlink(missing_ok=True)
                parent = path.parent
                while parent != folder and parent.is_dir() and not any(parent.iterdir()):
                    parent.rmdir()
                    parent = parent.parent
        if not self.partial:
            for channel in set(previous) - set(planned):
                shutil.rmtree(self.out_dir / channel, ignore_errors=True)

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
        place = materializer.blobs.place if materializer.blobs.folder is not None else None
        for artifact, digest, _size in rows:
            target = f"{base}/{artifact.path}"
            parent = target.rpartition("/")[0]
            if parent not in made:
                os.makedirs(parent, exist_ok=True)
                made.add(parent)
            if place is not None:
                place(digest, target)
            else:
                assert artifact.data is not None
                with open(target, "wb") as handle:
                    handle.write(artifact.data)

    def _write_index(
        self,
        target: Path,
        manifest: dict[str, dict[str, dict[str, object]]],
        deployed: dict[str, dict[str, dict[str, object]]],
    ) -> None:
        """A real build's deploy manifests, then the index of the output folder (last: a
        build interrupted before it redoes the work). A what-if writes the index alone,
        marked as such, so the next real build diffs against the deploy manifests."""
        folder = target / DEPLOY_FOLDER
        folder.mkdir(exist_ok=True)
        if self.real:
            self._write_deploy_manifests(folder, manifest, deployed)
        index: dict[str, object] = {"version": 1, "channels": manifest}
        if not self.real:
            index["what_if"] = True
        _write_json(folder / MANIFEST_NAME, index)

    def _write_deploy_manifests(
        self,
        folder: Path,
        manifest: dict[str, dict[str, dict[str, object]]],
        previous: dict[str, dict[str, dict[str, object]]],
    ) -> None:
        """Per channel: every file with its hash, size and type, and the diff to the previous
        real build, for deploy steps that upload only changes."""
        for channel, files in manifest.items():
            before = previous.get(channel, {})
            diff = {
                "added": sorted(set(files) - set(before)),
                "changed": sorted(
                    p
                    for p in set(files) & set(before)
                    if files[p]["sha256"] != before[p].get("sha256")
                ),
                "removed": sorted(set(before) - set(files)),
            }
            deploy = {"version": 1, "channel": channel, "files": files, "diff": diff}
            _write_json(folder / f"{channel}{DEPLOY_SUFFIX}", deploy)

    def _swap(self, staging: Path) -> None:
        out = self.out_dir
        old = out.parent / f".{out.name}.previous"
        if old.exists():
            shutil.rmtree(old)
        if out.exists():
            os.replace(out, old)
        os.replace(staging, out)
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(out_dir: Path) -> dict[str, dict[str, dict[str, object]]] | None:
    """The published manifest (channel -> path -> hash, size, type), None when unreadable."""
    return _read_index(out_dir)[0]


def _read_index(out_dir: Path) -> tuple[dict[str, dict[str, dict[str, object]]] | None, bool]:
    """The output folder's manifest, and whether a real build wrote it."""
    try:
        data = json.loads((out_dir / DEPLOY_FOLDER / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, False
    channels = data.get("channels") if isinstance(data, dict) else None
    if not isinstance(channels, dict):
        return None, False
    return channels, not data.get("what_if", False)


def _link_tree(source: Path, target: Path) -> None:
    """Hard-link a file or folder's files to `target` (copies where links fail): the
    original stays in place until the staging folder is swapped in."""
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, target, symlinks=True, copy_function=_link_or_copy)
    else:
        _link_or_copy(str(source), str(target))


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def _write_json(path: Path, data: object) -> None:
    # compact: the C encoder is several times faster than the indenting one on big manifests
    write_bytes(path, (json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n").encode())
