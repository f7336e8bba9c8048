"""Diagnostics: every user-facing problem is a located, coded message with a hint.

Problems are collected during a build rather than raised one at a time, so an author sees
every mistake of a build at once. Only at the end of a stage does the build stop, by raising
`BuildFailed` carrying the whole list.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


EXIT_OK = 0
EXIT_CONTENT = 1
EXIT_USAGE = 2


@dataclass(frozen=True, order=True)
class Location:
    """A place in a source file; `path` is shown relative to the site root."""

    path: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        text = self.path
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text


#: this many diagnostics of one group (the same problem in many files) print as one
COLLAPSE_AT = 4
#: how many further places a collapsed diagnostic names
EXAMPLES = 3


@dataclass(frozen=True)
class Group:
    """The same problem in many files: reported once, with `message` and the fix that holds
    for all of them (`hint`, such as one `cascade:` in the section's `_index.md`)."""

    key: tuple[str, ...]
    message: str
    hint: str | None = None


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    location: Location | None = None
    hint: str | None = None
    source_line: str | None = None
    group: Group | None = None
    #: how many diagnostics this one stands for (see `Diagnostics.collapsed`)
    count: int = 1
    #: further places of a collapsed diagnostic, after `location`
    examples: tuple[Location, ...] = ()

    def format(self) -> str:
        where = f"{self.location}: " if self.location else ""
        text = f"{where}{self.severity.value}[{self.code}]: {self.message}"
        if self.source_line is not None and self.location and self.location.line:
            shown = self.source_line.rstrip("\n")
            text += f"\n    {shown}"
            if self.location.column:
                text += "\n    " + " " * (self.location.column - 1) + "^"
        if self.examples:
            more = self.count - 1 - len(self.examples)
            text += "\n    also " + ", ".join(str(e) for e in self.examples)
            text += f" and {more} more" if more else ""
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location or Location("")
        return (loc.path, loc.line or 0, loc.column or 0, self.code, self.message)

    def as_json(self) -> dict[str, object]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "path": self.location.path if self.location else None,
            "line": self.location.line if self.location else None,
            "column": self.location.column if self.location else None,
            "hint": self.hint,
            "count": self.count,
            "examples": [str(e) for e in self.examples],
        }


@dataclass
class Diagnostics:
    """A thread-safe sink; `strict` turns warnings into errors, `silenced` drops codes."""

    strict: bool = False
    silenced: frozenset[str] = frozenset()
    items: list[Diagnostic] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _seen: set[Diagnostic] = field(default_factory=set, repr=False)

    def add(self, diagnostic: Diagnostic) -> None:
        if diagnostic.code in self.silenced:
            return
        if self.strict and diagnostic.severity is Severity.WARNING:
            diagnostic = dataclasses.replace(diagnostic, severity=Severity.ERROR)
        with self._lock:
            if diagnostic not in self._seen:
                self._seen.add(diagnostic)
                self.items.append(diagnostic)

    def error(
        self,
        code: str,
        message: str,
        location: Location | None = None,
        hint: str | None = None,
        source_line: str | None = None,
        group: tuple[str, ...] | None = None,
        group_message: str | None = None,
        group_hint: str | None = None,
    ) -> None:
        """Report an error; `group` names the problem when many files may share it (see
        `collapsed`), with the message and fix that hold for all of them."""
        found = Group(group, group_message or message, group_hint or hint) if group else None
        self.add(Diagnostic(Severity.ERROR, code, message, location, hint, source_line, found))

    def warning(
        self,
        code: str,
        message: str,
        location: Location | None = None,
        hint: str | None = None,
        source_line: str | None = None,
        group: tuple[str, ...] | None = None,
        group_message: str | None = None,
        group_hint: str | None = None,
    ) -> None:
        found = Group(group, group_message or message, group_hint or hint) if group else None
        self.add(Diagnostic(Severity.WARNING, code, message, location, hint, source_line, found))

    def extend(self, diagnostics: list[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            self.add(diagnostic)

    @property
    def errors(self) -> list[Diagnostic]:
        return collapsed(d for d in self.items if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> list[Diagnostic]:
        return collapsed(d for d in self.items if d.severity is Severity.WARNING)

    def raise_if_errors(self) -> None:
        """Stop the build if anything is wrong, carrying its warnings too: an author who
        fixes every error should not then meet a wall of warnings nobody showed."""
        if self.errors:
            raise BuildFailed(self.errors, self.warnings)


def collapsed(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted, with the same problem in many files (one group in `COLLAPSE_AT` files or
    more) made one diagnostic: its count, its first places and the fix for all of them. A
    site of thousands of files with one missing default is one message, not a thousand."""
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    members: dict[tuple[str, tuple[str, ...]], list[Diagnostic]] = {}
    for diagnostic in ordered:
        if diagnostic.group is not None and diagnostic.count == 1:
            members.setdefault((diagnostic.code, diagnostic.group.key), []).append(diagnostic)
    result = []
    for diagnostic in ordered:
        group = diagnostic.group
        found = members.get((diagnostic.code, group.key)) if group else None
        files = {d.location.path for d in found if d.location} if found else set()
        if group is None or found is None or diagnostic.count != 1 or len(files) < COLLAPSE_AT:
            result.append(diagnostic)
        elif found[0] is diagnostic:
            places = list(dict.fromkeys(d.location for d in found if d.location is not None))
            size = f"{len(files)} files"
            if len(found) > len(files):
                size = f"{len(found)} places in {size}"
            result.append(
                dataclasses.replace(
                    diagnostic,
                    message=f"{group.message} ({size})",
                    hint=group.hint,
                    source_line=None,
                    count=len(found),
                    examples=tuple(places[1 : 1 + EXAMPLES]),
                )
            )
    return result


class OmnipubError(Exception):
    """The one family of user-facing errors; `exit_code` maps to the CLI's exit status."""

    exit_code = EXIT_CONTENT


class BuildFailed(OmnipubError):
    """A build that stopped: `diagnostics` holds its errors, `warnings` what else it found."""

    def __init__(self, diagnostics: list[Diagnostic], warnings: Sequence[Diagnostic] = ()) -> None:
        self.diagnostics = diagnostics
        self.warnings = list(warnings)
        super().__init__(count(len(diagnostics), len(self.warnings)))


def count(errors: int, warnings: int) -> str:
    """'1 error', '2 errors, 3 warnings': warnings are named only when there are some."""
    text = f"{errors} error{'' if errors == 1 else 's'}"
    if warnings:
        text += f", {warnings} warning{'' if warnings == 1 else 's'}"
    return text


class UsageError(OmnipubError):
    exit_code = EXIT_USAGE

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.hint = hint
        super().__init__(message)


def relative_path(path: Path, root: Path) -> str:
    """Show paths relative to the site, in POSIX form, whatever the platform."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
