"""Diagnostics: every user-facing problem is a located, coded message with a hint.

Problems are collected during a build rather than raised one at a time, so an author sees
every mistake of a build at once. Only at the end of a stage does the build stop, by raising
`BuildFailed` carrying the whole list.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
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


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    location: Location | None = None
    hint: str | None = None
    source_line: str | None = None

    def format(self) -> str:
        where = f"{self.location}: " if self.location else ""
        text = f"{where}{self.severity.value}[{self.code}]: {self.message}"
        if self.source_line is not None and self.location and self.location.line:
            shown = self.source_line.rstrip("\n")
            text += f"\n    {shown}"
            if self.location.column:
                text += "\n    " + " " * (self.location.column - 1) + "^"
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
        }


@dataclass
class Diagnostics:
    """A thread-safe sink; `strict` turns warnings into errors, `silenced` drops codes."""

    strict: bool = False
    silenced: frozenset[str] = frozenset()
    items: list[Diagnostic] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, diagnostic: Diagnostic) -> None:
        if diagnostic.code in self.silenced:
            return
        if self.strict and diagnostic.severity is Severity.WARNING:
            diagnostic = Diagnostic(
                Severity.ERROR,
                diagnostic.code,
                diagnostic.message,
                diagnostic.location,
                diagnostic.hint,
                diagnostic.source_line,
            )
        with self._lock:
            if diagnostic not in self.items:
                self.items.append(diagnostic)

    def error(
        self,
        code: str,
        message: str,
        location: Location | None = None,
        hint: str | None = None,
        source_line: str | None = None,
    ) -> None:
        self.add(Diagnostic(Severity.ERROR, code, message, location, hint, source_line))

    def warning(
        self,
        code: str,
        message: str,
        location: Location | None = None,
        hint: str | None = None,
        source_line: str | None = None,
    ) -> None:
        self.add(Diagnostic(Severity.WARNING, code, message, location, hint, source_line))

    def extend(self, diagnostics: list[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            self.add(diagnostic)

    @property
    def errors(self) -> list[Diagnostic]:
        return sorted(
            (d for d in self.items if d.severity is Severity.ERROR), key=Diagnostic.sort_key
        )

    @property
    def warnings(self) -> list[Diagnostic]:
        return sorted(
            (d for d in self.items if d.severity is Severity.WARNING), key=Diagnostic.sort_key
        )

    def raise_if_errors(self) -> None:
        """Stop the build if anything is wrong, carrying its warnings too: an author who
        fixes every error should not then meet a wall of warnings nobody showed."""
        if self.errors:
            raise BuildFailed(self.errors, self.warnings)


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
