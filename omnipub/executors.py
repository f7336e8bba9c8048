"""Where renders run: one `concurrent.futures.Executor`, whatever is behind it.

A pool of forked processes on this machine (the workers inherit the build state), or a
Dask distributed cluster through `Client.get_executor()` (`--executor dask://HOST:PORT`, or
`dask-local` for a LocalCluster), are the same code path: `render.render_chunk` submitted
to an executor. Small builds run in-process, where starting workers would cost more than
it saves.

A Dask worker runs tasks on several threads (`dask worker` starts one per core). Each
thread records its own reads (`depends.CURRENT` is a context variable), but a render also
writes its channel's one context per process (the assets of the route under way): renders
on Dask run one at a time per worker process, which loses nothing, as rendering holds the
GIL.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from .diagnostics import UsageError

#: Below this many routes to render (in a build, and in one channel), starting workers and
#: rebuilding their indexes costs more than rendering in-process.
PARALLEL_THRESHOLD = 400

T = TypeVar("T")

#: held by the render running in this process (see the module's docstring); process-wide
#: because what it guards is
_RENDERING = threading.Lock()


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
            cluster = LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            )
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
            # not pure: a render writes blobs, and its arguments need no hashing for a key
            yield OneAtATime(client.get_executor(pure=False)), workers
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    raise UsageError(
        f"unknown executor {spec!r}",
        "use serial, process, dask-local or dask://HOST:PORT",
    )


class OneAtATime(Executor):
    """Submits through Dask's executor, each call run holding its worker process's render
    lock; the tasks are named after the function (`render_chunk-...`), not the wrapper."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        key = f"{getattr(fn, '__name__', 'task')}-{uuid.uuid4().hex}"
        if kwargs:  # Dask's executor takes keyword arguments for itself, not for `fn`
            fn = functools.partial(fn, **kwargs)
        return self.inner.submit(run_alone, fn, *args, key=key)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait)  # Dask's executor cancels nothing on shutdown


def run_alone(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` with no other render of this process running meanwhile."""
    with _RENDERING:
        return fn(*args, **kwargs)
