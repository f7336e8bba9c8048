"""Where renders run: one `concurrent.futures.Executor`, whatever is behind it.

A pool of forked processes on this machine (the workers inherit the build state), or a
Dask distributed cluster through `Client.get_executor()` (`--executor dask://HOST:PORT`, or
`dask-local` for a LocalCluster), are the same code path: `render.render_chunk` submitted
to an executor. Small builds run in-process, where starting workers would cost more than
it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager

from .diagnostics import UsageError

#: Below this many routes to render (in a build, and in one channel), starting workers and
#: rebuilding their indexes costs more than rendering in-process.
PARALLEL_THRESHOLD = 400


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def executor_problem(spec: str) -> str | None:
    """Why `spec` names no executor, or None: told before the build, not after its model."""
    kind = spec.strip()
    if kind in ("auto", "serial", "process", "dask-local"):
        return None
    if kind.startswith(("dask://", "tcp://")) and kind.split("://", 1)[1]:
        return None
    return f"unknown executor {spec!r}; use serial, process, dask-local or dask://HOST:PORT"


@contextmanager
def executor_for(spec: str | None, routes: int) -> Iterator[tuple[Executor | None, int]]:
    """Yield (executor or None for in-process, worker count)."""
    kind = (spec or "auto").strip()
    if kind == "auto":
        workers = cpu_count()
        forkable = "fork" in multiprocessing.get_all_start_methods()
        kind = "process" if workers > 1 and routes >= PARALLEL_THRESHOLD and forkable else "serial"
    if kind == "serial":
        yield None, 1
        return
    if kind == "process":
        workers = cpu_count()
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            yield pool, workers
        return
    if kind == "dask-local" or kind.startswith("dask://") or kind.startswith("tcp://"):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise UsageError(
                "the Dask executor needs the optional dependency",
                "pip install 'omnipub[dask]'",
            ) from exc
        if kind == "dask-local":
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True)
            client = Client(cluster)
        else:
            address = kind.replace("dask://", "tcp://", 1)
            try:
                client = Client(address)
            except OSError as exc:  # a wrong address or a scheduler that is down
                raise UsageError(
                    f"cannot reach the Dask scheduler at {address}: {exc}",
                    "check the address and that `dask scheduler` runs there, "
                    "or use --executor process to render on this machine",
                ) from exc
            cluster = None
        try:
            workers = max(1, len(client.scheduler_info().get("workers", {})))
            yield client.get_executor(), workers
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    raise UsageError(
        f"unknown executor {spec!r}",
        "use serial, process, dask-local or dask://HOST:PORT",
    )
