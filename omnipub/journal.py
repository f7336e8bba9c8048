"""Publishing as a transaction: stage, write a journal, apply, clean up.

Everything a build publishes is first written under `<out>/.omnipub/next/`: a channel
written whole as a complete folder, an update as the changed files only, and the new
manifests. Nothing in the output changes until the journal (`<out>/.omnipub/journal.json`)
is written, atomically: that is the commit. Applying it is renames only (a whole channel
folder swapped in, or one file at a time), then the manifests, then the journal is deleted.

A build killed before the commit leaves the output as it was; one killed after it leaves a
journal that the next build (`recover`, under the build lock) applies to the end before
anything else. Either way no staged file is left behind: `next/` and `old/` are deleted.

`OMNIPUB_TEST_KILL_AT=STEP:N` stops the process at the Nth time a step is reached (see
`checkpoint`), so tests can kill a build at each publishing step.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

from .atomic import write_bytes

STATE_FOLDER = ".omnipub"
#: the output's record of what each channel published (see `publish.py`)
MANIFEST_NAME = "manifest.json"
JOURNAL_NAME = "journal.json"
STAGING = "next"
RETIRED = "old"
#: the staged manifests, beside the staged channel folders
INDEX_FOLDER = ".index"

_KILL = os.environ.get("OMNIPUB_TEST_KILL_AT", "")
_counts: dict[str, int] = {}


def checkpoint(step: str) -> None:
    """A test hook: `OMNIPUB_TEST_KILL_AT=replace:3` ends the process, as a kill would, at
    the third file replaced. Steps: `stage` (a file staged), `commit` (the journal just
    written), `replace` (a file renamed into the output), `swap` (between the two renames
    that swap a channel folder), `index` (a manifest put in place)."""
    if not _KILL:
        return
    count = _counts[step] = _counts.get(step, 0) + 1
    name, _, nth = _KILL.partition(":")
    if name == step and count == int(nth or 1):
        os._exit(137)


class Transaction:
    """One build's changes to one output folder."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.state = out_dir / STATE_FOLDER
        self.staging = self.state / STAGING
        self.steps: list[list[str]] = []
        if self.staging.exists():  # a build killed before its commit
            shutil.rmtree(self.staging)
        self.staging.mkdir(parents=True)

    def folder(self, channel: str) -> Path:
        """The staging folder of a channel written whole."""
        self.steps.append(["folder", channel])
        return self.staging / channel

    def file(self, channel: str, path: str) -> str:
        """Where to stage one changed file of a channel updated in place."""
        self.steps.append(["file", channel, path])
        target = f"{self.staging}/{channel}/{path}"
        os.makedirs(target.rpartition("/")[0], exist_ok=True)
        return target

    def remove(self, channel: str, path: str) -> None:
        self.steps.append(["remove", channel, path])

    def drop(self, name: str) -> None:
        """Remove a whole top-level entry of the output folder (a channel no longer built)."""
        self.steps.append(["drop", name])

    def index(self, name: str, data: bytes) -> None:
        """Stage a file of `<out>/.omnipub/` (a manifest), put in place after the outputs."""
        folder = self.staging / INDEX_FOLDER
        folder.mkdir(exist_ok=True)
        write_bytes(folder / name, data)
        self.steps.append(["index", name])

    def commit(self) -> None:
        """Write the journal (the point of no return), then apply it."""
        # removals first: a file may become a folder of the same name, or the reverse
        order = {"remove": 0, "drop": 0, "folder": 1, "file": 1, "index": 2}
        steps = sorted(self.steps, key=lambda s: order[s[0]])
        text = json.dumps({"version": 1, "steps": steps}, separators=(",", ":"))
        write_bytes(self.state / JOURNAL_NAME, text.encode())
        checkpoint("commit")
        _apply(self.out_dir, steps)

    def abandon(self) -> None:
        """Forget what was staged (an error before the commit): the output is untouched."""
        shutil.rmtree(self.staging, ignore_errors=True)


def recover(out_dir: Path) -> str | None:
    """Finish or undo an interrupted publish; what was done, or None when nothing was.

    With a journal, the build that wrote it had committed: it is applied to the end. Without
    one, whatever was staged is deleted. A journal that cannot be read (damaged by hand)
    cannot be finished: the output's manifest is deleted, so the next build writes every
    channel whole."""
    state = out_dir / STATE_FOLDER
    journal = state / JOURNAL_NAME
    if not state.is_dir():
        return None
    done = None
    if journal.exists():
        try:
            data = json.loads(journal.read_text(encoding="utf-8"))
            steps = data["steps"]
            if not all(isinstance(s, list) and all(isinstance(p, str) for p in s) for s in steps):
                raise ValueError
        except (OSError, ValueError, KeyError, TypeError):
            (state / MANIFEST_NAME).unlink(missing_ok=True)
            journal.unlink(missing_ok=True)
            done = "an interrupted build's journal was unreadable: every channel is written again"
        else:
            _apply(out_dir, steps)
            done = "completed the publishing of a build that was interrupted"
    for leftover in (STAGING, RETIRED):
        if (state / leftover).exists():
            shutil.rmtree(state / leftover, ignore_errors=True)
            done = done or "removed what an interrupted build had staged"
    for temporary in state.glob("*.tmp"):
        temporary.unlink(missing_ok=True)
    return done


def _apply(out_dir: Path, steps: list[list[str]]) -> None:
    """Apply a journal's steps. Each is idempotent, so a journal applied half-way (killed
    again) is simply applied again."""
    state = out_dir / STATE_FOLDER
    staging, retired = state / STAGING, state / RETIRED
    for step in steps:
        kind, name = step[0], step[1]
        if kind == "remove":
            _remove(out_dir / name, step[2])
        elif kind == "drop":
            _retire(out_dir / name, retired / name)
        elif kind == "folder":
            source = staging / name
            if source.is_dir():
                _retire(out_dir / name, retired / name)
                checkpoint("swap")
                os.replace(source, out_dir / name)
        elif kind == "file":
            source_path = f"{staging}/{name}/{step[2]}"
            if os.path.lexists(source_path):
                target = f"{out_dir}/{name}/{step[2]}"
                _make_parent(out_dir / name, target)
                os.replace(source_path, target)
                checkpoint("replace")
        elif kind == "index":
            source = staging / INDEX_FOLDER / name
            if source.exists():
                os.replace(source, state / name)
                checkpoint("index")
    (state / JOURNAL_NAME).unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(retired, ignore_errors=True)


def _retire(path: Path, place: Path) -> None:
    """Move an output folder out of the way (deleted with the journal)."""
    if not os.path.lexists(path):
        return
    if os.path.lexists(place):
        shutil.rmtree(place, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            place.unlink()
    place.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, place)


def _remove(folder: Path, rel: str) -> None:
    """Delete one output, then the folders it leaves empty (up to its channel folder)."""
    path = folder / rel
    with contextlib.suppress(FileNotFoundError, NotADirectoryError, IsADirectoryError):
        path.unlink()
    parent = path.parent
    while parent != folder and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def _make_parent(folder: Path, target: str) -> None:
    """The folders above `target`; a stale file in the way (an output that became a
    folder) is removed."""
    parent = target.rpartition("/")[0]
    try:
        os.makedirs(parent, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        here = Path(parent)
        while here != folder and here != here.parent:
            if os.path.lexists(here) and not here.is_dir():
                here.unlink()
                break
            here = here.parent
        os.makedirs(parent, exist_ok=True)
