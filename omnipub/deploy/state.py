"""What a target remembers of its deploys, and how the next build reads it back.

Each target keeps `.omnipub/deploy-state.json`:

- `files`: every deployed file's SHA-256 (of the build's bytes), MD5 (of the bytes as
  stored, for `--verify` against a listing) and headers, so the next deploy uploads only
  what differs;
- `pending`: files a deploy that has not finished may have put up, so a later deploy can
  still delete them if its build does not have them;
- `state`: the channel's own state from `omnipub.lock` as of the deployed build (the app's
  published builds, which its change files are computed from);
- `ids`, `retired`: the lock's entries of the item ids this channel's files published.

Continuity without committing from CI: `omnipub deploy --pull-state` merges these into
`omnipub.lock` before the build, so change files follow the builds clients really have,
and an item that got its id in CI keeps it across runs and renames until someone commits
a lock. Only ids that some deployed file carries are recorded: a draft's or a hidden
item's id, slug and source path never reach a target.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..ids import Lock
from .targets import DeployFailed

STATE_VERSION = 1
#: how a derived item id looks in an output (see `ids.derived_id`)
_DERIVED_ID = re.compile(rb"(?<![0-9A-Za-z_-])i[0-9a-f]{10,63}(?![0-9A-Za-z_-])")


@dataclass
class Row:
    """One deployed file."""

    sha256: str
    md5: str
    size: int
    headers: list[str | None]

    def as_json(self) -> list[object]:
        return [self.sha256, self.md5, self.size, self.headers]


@dataclass
class TargetState:
    channel: str
    files: dict[str, Row] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)
    #: the channel's lock state as deployed; None when no deploy recorded one
    state: Any = None
    ids: dict[str, dict[str, str]] = field(default_factory=dict)
    retired: set[str] = field(default_factory=set)
    #: whether a state object was found at the target
    found: bool = False

    @classmethod
    def parse(cls, data: bytes | None, channel: str, where: str) -> TargetState:
        if data is None:
            return cls(channel)
        try:
            raw = json.loads(data)
            if raw.get("version") != STATE_VERSION:
                raise ValueError(f"version {raw.get('version')!r}, not {STATE_VERSION}")
            if raw.get("channel") != channel:
                raise ValueError(f"it belongs to the {raw.get('channel')!r} channel")
            files = {
                str(path): Row(str(r[0]), str(r[1]), int(r[2]), list(r[3]))
                for path, r in raw["files"].items()
            }
            return cls(
                channel,
                files,
                set(raw.get("pending", [])),
                raw.get("state"),
                {str(k): dict(v) for k, v in raw.get("ids", {}).items()},
                set(raw.get("retired", [])),
                found=True,
            )
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            raise DeployFailed(
                f"{where}: the deploy state is damaged ({exc}); run 'omnipub deploy --verify', "
                "which compares the build with a listing of the target and records it anew"
            ) from exc

    def dumps(self) -> bytes:
        data = {
            "version": STATE_VERSION,
            "channel": self.channel,
            "files": {p: self.files[p].as_json() for p in sorted(self.files)},
            "pending": sorted(self.pending),
            "state": self.state,
            "ids": {k: self.ids[k] for k in sorted(self.ids)},
            "retired": sorted(self.retired),
        }
        return (json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n").encode()


def ids_in(data: bytes) -> set[str]:
    """Item ids of the derived form that a file carries."""
    return {match.decode() for match in _DERIVED_ID.findall(data)}


def record_ids(state: TargetState, lock: Lock, carried: Iterable[str]) -> None:
    """Add to `state` the lock's entries of ids the channel's files published (`carried`
    holds the candidates found in the files uploaded now; earlier ones are kept)."""
    known = set(lock.ids) | lock.retired
    published = (set(state.ids) | state.retired | set(carried)) & (known | set(state.ids))
    ids: dict[str, dict[str, str]] = {}
    retired: set[str] = set()
    for item_id in published:
        if item_id in lock.ids:
            ids[item_id] = dict(lock.ids[item_id])
        else:  # gone from the lock's live ids: never to be handed out again
            retired.add(item_id)
    state.ids, state.retired = ids, retired


def merge(lock: Lock, states: Iterable[TargetState]) -> tuple[Lock, list[str]]:
    """The lock with what the targets recorded: each channel's deployed state (the truth
    of what clients have), and the published ids the lock does not know. The lock wins
    where both name an id or a source path differently. Returns notes for the user."""
    notes: list[str] = []
    merged = Lock(
        ids={k: dict(v) for k, v in lock.ids.items()},
        retired=set(lock.retired),
        channels=dict(lock.channels),
    )
    by_path = {entry["path"]: item_id for item_id, entry in merged.ids.items()}
    for state in sorted(states, key=lambda s: s.channel):
        if state.state is not None:
            merged.channels[state.channel] = state.state
        for item_id, entry in sorted(state.ids.items()):
            if item_id in merged.ids:
                continue
            path = entry.get("path", "")
            if item_id in merged.retired:
                continue
            owner = by_path.get(path)
            if owner is not None and owner != item_id:
                notes.append(
                    f"{path}: deployed as {item_id}, {owner} in omnipub.lock; the lock's id wins"
                )
                merged.retired.add(item_id)
                continue
            merged.ids[item_id] = dict(entry)
            by_path[path] = item_id
        merged.retired |= state.retired - set(merged.ids)
    return merged, notes
