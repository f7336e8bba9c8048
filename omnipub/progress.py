"""The progress line a long build draws on a terminal: one line, redrawn in place.

A build tells it (stage, done, total) as files load, routes render and images are
encoded (`BuildOptions.progress`); it draws at most ten times a second, and only when
asked to (the CLI asks when stderr is a terminal and not in CI, so logs stay clean).
"""

from __future__ import annotations

import shutil
import time
from typing import TextIO

LABELS = {"load": "loading files", "images": "encoding images"}
BAR = 24


class ProgressLine:
    def __init__(self, stream: TextIO, interval: float = 0.1) -> None:
        self.stream = stream
        self.interval = interval
        self.last = 0.0
        self.shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < self.interval and done < total:
            return
        self.last = now
        label = LABELS.get(stage) or stage.replace("render ", "rendering ", 1)
        filled = BAR * done // total if total else BAR
        bar = "█" * filled + "░" * (BAR - filled)
        line = f"  {label:<18} {bar} {done}/{total}"
        width = shutil.get_terminal_size((80, 20)).columns - 1
        self.stream.write("\r" + line[:width] + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        """Remove the line (before the summary, an error or a warning is printed)."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False
