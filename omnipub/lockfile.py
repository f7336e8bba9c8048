"""The text of `omnipub.lock`: a format git merges line by line, read strictly, merged
by meaning.

One entry per line, each a JSON array, sorted, between a fixed first and last line:

    # omnipub.lock 2: one entry per line, sorted; on a git conflict run `omnipub lock merge`
    ["id","i3f2a9c01bd","news/launch","5e1c...hash"]
    ["retired","i77aa01c2e4"]
    ["state","app","history",[...]]
    # end

Two branches that add items add different lines, which git merges without a conflict. The
channel state (the app's build history) changes on every real build, so two branches that
both built and committed conflict there: `omnipub lock merge` (or the merge driver, see
docs/configuration.md) merges the two sides by meaning.

Reading never discards history silently: conflict markers, a truncated file (no last line),
bytes that are not UTF-8 or a line that is not an entry are a located error. The first
format (one JSON document) is still read; the next build writes this one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .diagnostics import BuildFailed, Diagnostic, Location, Severity

LOCK_NAME = "omnipub.lock"
HEADER = "# omnipub.lock 2: one entry per line, sorted; on a git conflict run `omnipub lock merge`"
FOOTER = "# end"
MARKERS = ("<<<<<<<", "|||||||", "=======", ">>>>>>>")
RESTORE = (
    "restore it from version control (git checkout -- omnipub.lock); ids in it are "
    "published and must not change"
)


@dataclass
class LockData:
    #: id -> {"path": translation key, "hash": content hash of the original}
    ids: dict[str, dict[str, str]] = field(default_factory=dict)
    #: ids no longer in use; never handed out again
    retired: set[str] = field(default_factory=set)
    #: channel -> its state (a table)
    channels: dict[str, Any] = field(default_factory=dict)


class LockProblem(BuildFailed):
    """`omnipub.lock` cannot be read: a located error, never an empty lock."""

    def __init__(self, message: str, line: int, column: int, hint: str, code: str) -> None:
        where = Location(LOCK_NAME, line, column)
        super().__init__([Diagnostic(Severity.ERROR, code, message, where, hint)])


def dumps(lock: LockData) -> str:
    lines = [_line(["id", i, e["path"], e["hash"]]) for i, e in lock.ids.items()]
    lines += [_line(["retired", i]) for i in lock.retired]
    for channel, state in lock.channels.items():
        lines += [_line(["state", channel, key, value]) for key, value in state.items()]
    return "\n".join([HEADER, *sorted(lines), FOOTER, ""])


def _line(entry: list[Any]) -> str:
    return json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def parse(raw: bytes) -> LockData:
    """The lock in `raw` (either format); a `LockProblem` when it is damaged."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        row, column = _position(raw, exc.start)
        raise LockProblem(
            "the lock is not valid UTF-8 text", row, column, RESTORE, "lock.encoding"
        ) from None
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if line.startswith(MARKERS):
            raise LockProblem(
                "unresolved merge conflict in the lock",
                number,
                1,
                "run `omnipub lock merge` (it merges both sides, keeping every id), or set up "
                "the merge driver described in docs/configuration.md",
                "lock.conflict",
            )
    if text.lstrip().startswith("{"):
        return _parse_first_format(text)
    if not text.strip():
        raise LockProblem("the lock is empty", 1, 1, RESTORE, "lock.damaged")
    if lines[0] != HEADER:
        raise LockProblem("this is not an omnipub lock", 1, 1, RESTORE, "lock.damaged")
    while lines and lines[-1] == "":
        lines.pop()
    if lines[-1] != FOOTER:
        raise LockProblem(
            f"the lock is cut short: its last line is not {FOOTER!r}",
            len(lines),
            1,
            RESTORE,
            "lock.damaged",
        )
    lock = LockData()
    for number, entry in enumerate(lines[1:-1], start=2):
        _entry(lock, entry, number)
    return lock


def _entry(lock: LockData, line: str, number: int) -> None:
    try:
        entry = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LockProblem(
            f"damaged entry: {exc.msg}", number, exc.colno, RESTORE, "lock.damaged"
        ) from None
    kind = entry[0] if isinstance(entry, list) and entry else None
    if kind == "id" and len(entry) == 4 and all(isinstance(v, str) for v in entry):
        if entry[1] in lock.ids:
            raise LockProblem(
                f"id {entry[1]!r} is listed twice",
                number,
                1,
                "run `omnipub lock merge` to resolve it",
                "lock.damaged",
            )
        lock.ids[entry[1]] = {"path": entry[2], "hash": entry[3]}
    elif kind == "retired" and len(entry) == 2 and isinstance(entry[1], str):
        lock.retired.add(entry[1])
    elif kind == "state" and len(entry) == 4 and isinstance(entry[1], str):
        lock.channels.setdefault(entry[1], {})[str(entry[2])] = entry[3]
    else:
        raise LockProblem(
            "not a lock entry (an id, a retired id or a channel's state)",
            number,
            1,
            RESTORE,
            "lock.damaged",
        )


def _parse_first_format(text: str) -> LockData:
    """The first format: one JSON document, version 1."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockProblem(
            f"damaged lock: {exc.msg}", exc.lineno, exc.colno, RESTORE, "lock.damaged"
        ) from None
    if not isinstance(data, dict):
        data = {}
    ids, retired = data.get("ids", {}), data.get("retired", [])
    channels = data.get("channels", {})
    if (
        data.get("version") != 1
        or not isinstance(ids, dict)
        or not all(_is_entry(v) for v in ids.values())
        or not isinstance(retired, list)
        or not isinstance(channels, dict)
        or not all(isinstance(v, dict) for v in channels.values())
    ):
        problem = "the lock's content is not as omnipub wrote it"
        raise LockProblem(problem, 1, 1, RESTORE, "lock.damaged")
    return LockData(
        {k: {"path": v["path"], "hash": v["hash"]} for k, v in ids.items()},
        {str(r) for r in retired},
        {k: dict(v) for k, v in channels.items()},
    )


def _is_entry(value: object) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("path"), str)
        and isinstance(value.get("hash"), str)
    )


def _position(raw: bytes, offset: int) -> tuple[int, int]:
    """The line and column (1-based, in bytes) of a byte offset."""
    line = raw.count(b"\n", 0, offset) + 1
    return line, offset - (raw.rfind(b"\n", 0, offset) + 1) + 1


def sides(text: str) -> tuple[str, str, str | None]:
    """Ours, theirs and (with `merge.conflictStyle = diff3`) the base of a file with
    conflict markers: the common lines plus each side's lines of every conflict."""
    ours: list[str] = []
    theirs: list[str] = []
    base: list[str] = []
    has_base = False
    part = None
    for line in text.split("\n"):
        if line.startswith("<<<<<<<"):
            part = "ours"
        elif line.startswith("|||||||") and part == "ours":
            part, has_base = "base", True
        elif line.startswith("=======") and part in ("ours", "base"):
            part = "theirs"
        elif line.startswith(">>>>>>>") and part == "theirs":
            part = None
        elif part is None:
            ours.append(line)
            theirs.append(line)
            base.append(line)
        else:
            {"ours": ours, "theirs": theirs, "base": base}[part].append(line)
    return "\n".join(ours), "\n".join(theirs), "\n".join(base) if has_base else None


def merge(base: LockData | None, ours: LockData, theirs: LockData) -> tuple[LockData, list[str]]:
    """Both sides' ids, retirements and channel state, and a note for each choice made.

    A change made on one side only wins. Where both sides changed the same entry, ours (the
    branch being merged into) is kept and the choice noted. Retired ids stay retired, unless
    one side still uses the id: the next build retires it again if its source is gone."""
    notes: list[str] = []
    merged = LockData()
    for item_id in sorted(ours.ids.keys() | theirs.ids.keys()):
        mine, other = ours.ids.get(item_id), theirs.ids.get(item_id)
        was = base.ids.get(item_id) if base else None
        chosen = _pick(mine, other, was)
        if chosen is None:
            assert mine is not None and other is not None
            notes.append(
                f"id {item_id}: {mine['path']} here, {other['path']} on the other side; "
                f"kept {mine['path']}"
            )
            chosen = mine
        merged.ids[item_id] = dict(chosen)
    # one path, two ids (both sides added the same file with different ids): keep ours
    by_path: dict[str, str] = {}
    for item_id in sorted(merged.ids, key=lambda i: (i not in ours.ids, i)):
        path = merged.ids[item_id]["path"]
        if path in by_path:
            notes.append(f"{path}: ids {by_path[path]} and {item_id}; kept {by_path[path]}")
            del merged.ids[item_id]
            merged.retired.add(item_id)
        else:
            by_path[path] = item_id
    merged.retired |= (ours.retired | theirs.retired) - set(merged.ids)
    for channel in sorted(ours.channels.keys() | theirs.channels.keys()):
        mine_state, other_state = ours.channels.get(channel, {}), theirs.channels.get(channel, {})
        was_state = base.channels.get(channel, {}) if base else {}
        state = merged.channels[channel] = {}
        for key in sorted(mine_state.keys() | other_state.keys()):
            value = _pick(mine_state.get(key), other_state.get(key), was_state.get(key))
            if value is None:
                notes.append(
                    f"the {channel} channel's {key!r} changed on both sides; kept this "
                    "side's (the branch merged into)"
                )
                value = mine_state[key]
            state[key] = value
    return merged, notes


def _pick(mine: Any, other: Any, was: Any) -> Any:
    """The merged value of one entry; None when both sides changed it differently."""
    if mine == other or other is None:
        return mine
    if mine is None or mine == was:
        return other
    if other == was:
        return mine
    return None
