"""Publish: write artifacts into a staging folder, swap it in, record the manifest.

A failed build never reaches this stage, so the previous output stays untouched. Files
whose bytes did not change are hard-linked from the previous output instead of written,
which keeps the swap atomic while writing only what changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .channel import Artifact
from .images import encode

MANIFEST_NAME = "manifest.json"
DEPLOY_FOLDER = ".omnipub"


@dataclass
class ChannelStats:
    files: int = 0
    bytes: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass
class Published:
    manifest: dict[str, dict[str, dict[str, object]]]
    stats: dict[str, ChannelStats] = field(default_factory=dict)


def artifact_bytes(artifact: Artifact, site_root: Path, cache_dir: Path | None) -> bytes:
    if artifact.data is not None:
        return artifact.data
    assert artifact.source is not None, artifact.path
    source = site_root / artifact.source
    if artifact.transform:
        return encode(source, artifact.transform, cache_dir)
    return source.read_bytes()


class MemorySink:
    """Keeps outputs in memory: for tests and the dev server."""

    def __init__(self) -> None:
        self.files: dict[str, dict[str, bytes]] = {}
        self.media_types: dict[str, dict[str, str]] = {}

    def publish(
        self, outputs: dict[str, list[Artifact]], site_root: Path, cache_dir: Path | None
    ) -> Published:
        manifest: dict[str, dict[str, dict[str, object]]] = {}
        stats: dict[str, ChannelStats] = {}
        for channel, artifacts in sorted(outputs.items()):
            files: dict[str, bytes] = {}
            types: dict[str, str] = {}
            entry: dict[str, dict[str, object]] = {}
            for artifact in artifacts:
                data = artifact_bytes(artifact, site_root, cache_dir)
                files[artifact.path] = data
                types[artifact.path] = artifact.media_type
                entry[artifact.path] = _describe(data, artifact.media_type)
            self.files[channel] = files
            self.media_types[channel] = types
            manifest[channel] = dict(sorted(entry.items()))
            stats[channel] = ChannelStats(len(files), sum(len(d) for d in files.values()))
        return Published(manifest, stats)


def _describe(data: bytes, media_type: str) -> dict[str, object]:
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "type": media_type}


class DiskSink:
    """Builds into `.<out>.staging` beside the output folder, then swaps it in."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir

    def _previous_manifest(self) -> dict[str, dict[str, dict[str, object]]]:
        path = self.out_dir / DEPLOY_FOLDER / MANIFEST_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return data.get("channels", {}) if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def publish(
        self, outputs: dict[str, list[Artifact]], site_root: Path, cache_dir: Path | None
    ) -> Published:
        out = self.out_dir
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = out.parent / f".{out.name}.staging"
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir()
        previous = self._previous_manifest()
        manifest: dict[str, dict[str, dict[str, object]]] = {}
        stats: dict[str, ChannelStats] = {}
        try:
            for channel, artifacts in sorted(outputs.items()):
                manifest[channel], stats[channel] = self._write_channel(
                    channel, artifacts, staging, previous.get(channel, {}), site_root, cache_dir
                )
            self._write_deploy_manifests(staging, manifest, previous)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._swap(staging)
        return Published(manifest, stats)

    def _write_channel(
        self,
        channel: str,
        artifacts: list[Artifact],
        staging: Path,
        before: dict[str, dict[str, object]],
        site_root: Path,
        cache_dir: Path | None,
    ) -> tuple[dict[str, dict[str, object]], ChannelStats]:
        entry: dict[str, dict[str, object]] = {}
        stats = ChannelStats()
        made: set[Path] = set()
        for artifact in sorted(artifacts, key=lambda a: a.path):
            target = staging / channel / artifact.path
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            data = artifact_bytes(artifact, site_root, cache_dir)
            described = _describe(data, artifact.media_type)
            old = self.out_dir / channel / artifact.path
            old_entry = before.get(artifact.path)
            if old_entry and old_entry.get("sha256") == described["sha256"] and old.is_file():
                try:
                    os.link(old, target)
                    stats.unchanged += 1
                except OSError:
                    target.write_bytes(data)
                    stats.unchanged += 1
            else:
                target.write_bytes(data)
                stats.written += 1
            entry[artifact.path] = described
            stats.files += 1
            stats.bytes += len(data)
        stats.removed = len(set(before) - set(entry))
        return dict(sorted(entry.items())), stats

    def _write_deploy_manifests(
        self,
        staging: Path,
        manifest: dict[str, dict[str, dict[str, object]]],
        previous: dict[str, dict[str, dict[str, object]]],
    ) -> None:
        folder = staging / DEPLOY_FOLDER
        folder.mkdir(exist_ok=True)
        whole = {"version": 1, "channels": manifest}
        (folder / MANIFEST_NAME).write_text(
            json.dumps(whole, indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )
        for channel, files in manifest.items():
            before = previous.get(channel, {})
            diff = {
                "added": sorted(set(files) - set(before)),
                "changed": sorted(
                    p for p in set(files) & set(before) if files[p]["sha256"] != before[p].get("sha256")
                ),
                "removed": sorted(set(before) - set(files)),
            }
            deploy = {"version": 1, "channel": channel, "files": files, "diff": diff}
            (folder / f"{channel}.deploy-manifest.json").write_text(
                json.dumps(deploy, indent=1, sort_keys=True) + "\n", encoding="utf-8"
            )

    def _swap(self, staging: Path) -> None:
        out = self.out_dir
        old = out.parent / f".{out.name}.previous"
        if old.exists():
            shutil.rmtree(old)
        if out.exists():
            os.replace(out, old)
        os.replace(staging, out)
        shutil.rmtree(old, ignore_errors=True)
