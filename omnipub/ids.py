"""Stable item ids and the `omnipub.lock` file that remembers them.

An item's id is its `id` front matter field when given. Otherwise the first build derives
one from the source path (so a fresh clone without the lock still gets the same ids) and
records it in the lock with the file's content hash. On a later build a source path the lock
does not know is matched to a vanished path with the same content: that is a rename or a
move, and the id follows it. Ids that were ever used are kept, so none is ever reused.
The lock also carries small per-channel state (the app channel's build history). Its
format, and how it survives git merges, are in `lockfile.py`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .atomic import write_bytes
from .lockfile import LOCK_NAME, LockData, dumps, parse

__all__ = ["LOCK_NAME", "Lock", "assign_ids", "derived_id"]


@dataclass
class Lock(LockData):
    """The lock as a build reads and writes it (its text: see `lockfile.py`)."""

    @classmethod
    def read(cls, root: Path) -> Lock:
        """The site's lock; none yet is an empty one, a damaged one a `LockProblem`."""
        try:
            raw = (root / LOCK_NAME).read_bytes()
        except FileNotFoundError:
            return cls()
        data = parse(raw)
        return cls(data.ids, data.retired, data.channels)

    def dumps(self) -> str:
        return dumps(self)

    def write(self, root: Path) -> None:
        text = self.dumps()
        path = root / LOCK_NAME
        try:
            if path.read_text(encoding="utf-8") == text:
                return
        except (OSError, ValueError):
            pass
        write_bytes(path, text.encode("utf-8"))


def derived_id(translation_key: str, taken: set[str]) -> str:
    digest = hashlib.sha256(translation_key.encode()).hexdigest()
    for length in range(10, 64):
        candidate = f"i{digest[:length]}"
        if candidate not in taken:
            return candidate
    raise RuntimeError("no free id")  # pragma: no cover


def assign_ids(
    originals: dict[str, tuple[str | None, str]], lock: Lock
) -> tuple[dict[str, str], Lock]:
    """Give every original (translation key -> (explicit id, content hash)) its id.

    Returns the ids and the updated lock. Explicit ids always win; the lock follows renames
    by content hash; a new item gets an id derived from its path.
    """
    by_path = {entry["path"]: item_id for item_id, entry in lock.ids.items()}
    present = set(originals)
    vanished_by_hash: dict[str, list[str]] = {}
    for item_id, entry in sorted(lock.ids.items()):
        if entry["path"] not in present:
            vanished_by_hash.setdefault(entry["hash"], []).append(item_id)

    result: dict[str, str] = {}
    explicit = {key: given for key, (given, _h) in originals.items() if given}
    taken = set(explicit.values()) | lock.retired
    for key in sorted(originals):
        given, content_hash = originals[key]
        if given:
            result[key] = given
            continue
        known = by_path.get(key)
        if known and known not in explicit.values():
            result[key] = known
        elif vanished_by_hash.get(content_hash):
            result[key] = vanished_by_hash[content_hash].pop(0)
        else:
            result[key] = derived_id(key, taken | set(lock.ids) | set(result.values()))
        taken.add(result[key])

    new_lock = Lock(ids={}, retired=set(lock.retired), channels=dict(lock.channels))
    for key, item_id in result.items():
        new_lock.ids[item_id] = {"path": key, "hash": originals[key][1]}
    new_lock.retired |= set(lock.ids) - set(new_lock.ids)
    return result, new_lock
