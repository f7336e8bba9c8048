"""The garbage collector around bulk loads.

Unpickling a render cache or ten thousand parsed documents makes hundreds of thousands of
objects and no garbage at all, yet each burst of allocations starts a collection that scans
everything made so far: loading a 32 MB render cache took four times as long with the
collector on. Builds pause it for such loads (and freeze what each stage made, see
`build.lap`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_off() -> Iterator[None]:
    """Off for a short burst of work that makes no garbage cycles (a live rebuild); what it
    made is left to the collector, which runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Off while loading; then what was loaded is frozen, as each stage's results are, so
    that the first allocation after does not scan it all at once (`build` unfreezes when it
    returns)."""
    with collector_off():
        try:
            yield
        finally:
            gc.freeze()
