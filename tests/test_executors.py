"""Local processes and a Dask cluster render through the same code path, byte-identically.

The site is generated large enough that every channel has more routes to render than
`executors.PARALLEL_THRESHOLD`: below it, a build renders in-process whatever the executor,
and the workers (and what they load) would go untested.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest

import omnipub
import omnipub_channels
from conftest import FIXED_AT, build_memory, tree_of
from omnipub.build import BuildOptions, BuildResult, build
from omnipub.executors import PARALLEL_THRESHOLD, OneAtATime
from omnipub.jobs import forget, register
from omnipub.render import render_chunk
from omnipub.snapshot import Snapshot, load_job, write_snapshot

T = TypeVar("T")

#: items of the generated site, enough for every channel to render more than
#: PARALLEL_THRESHOLD routes: a quarter are promotions, shown on each of five screens
ITEMS = 320
CHANNELS = ("app", "mobile", "signage", "web")

CONFIG = """\
[site]
title = "Scale"
timezone = "UTC"
default_language = "en"
silence = ["signage.text-too-long"]

[languages.en]
name = "English"
locale = "en_GB"
[languages.nb]
name = "Norsk"
locale = "nb_NO"

[sections.news]
title = "News"
[sections.products]
title = "Products"
[sections.promotions]
title = "Offers"

[channels.web]
base_url = "https://www.example.com/"
page_size = 2
[channels.mobile]
base_url = "https://m.example.com/"
page_size = 4
budget_kb = 9
[channels.app]
base_url = "https://api.example.com/app/"
page_size = 2
[channels.signage]
base_url = "https://screens.example.com/"
[[channels.signage.stores]]
id = "main"
name = "Main"
timezone = "UTC"
languages = ["nb", "en"]
[[channels.signage.screens]]
id = "door"
store = "main"
zone = "entrance"
resolution = "1920x1080"
[[channels.signage.screens]]
id = "till"
store = "main"
zone = "checkout"
resolution = "1080x1920"
[[channels.signage.screens]]
id = "window"
store = "main"
zone = "window"
resolution = "1920x1080"
[[channels.signage.screens]]
id = "aisle"
store = "main"
zone = "aisle"
resolution = "1920x1080"
[[channels.signage.screens]]
id = "cafe"
store = "main"
zone = "cafe"
resolution = "1080x1920"

[build]
channels = ["app", "mobile", "signage", "web"]
"""


def write_large_site(root: Path, items: int) -> Path:
    """News, products (one shared image) and promotions (some naming a product), a few
    translated; bodies of growing length, so some mobile pages go over their budget (a
    warning each, reported by whichever worker rendered the page). Most promotions stay
    off the web: a slide of one on the web draws a QR code, the slowest render of all."""
    from PIL import Image

    kinds = ("news", "promotions", "products", "news")
    files = {
        "omnipub.toml": CONFIG,
        "content/news/_index.md": "---\ntitle: News\ncascade: {type: article}\n---\n",
        "content/products/_index.md": "---\ntitle: Products\n"
        "cascade: {type: product, currency: NOK, availability: in_stock}\n---\n",
        "content/promotions/_index.md": "---\ntitle: Offers\ncascade: {type: promotion}\n---\n",
    }
    for n in range(items):
        kind = kinds[n % 4]
        extra = ""
        if kind == "products":
            extra = f'sku: "SKU-{n:05d}"\nprice: {n % 90 + 9}.50\nimage: ../shots/shot.jpg\n'
        elif kind == "promotions":
            extra = (
                "valid_from: 2026-11-01T08:00:00Z\nvalid_until: 2027-01-31T20:00:00Z\n"
                f'discount: "-{n % 40 + 5}%"\n'
            )
            if n % 8 == 1:
                extra += f"products: [../products/item-{n + 1:04d}.md]\n"
            if n % 32 != 1:
                extra += "channels: {web: false}\n"
        files[f"content/{kind}/item-{n:04d}.md"] = (
            f'---\ntitle: "{kind.title()} item {n}"\n'
            f"date: 2026-{n % 11 + 1:02d}-{n % 28 + 1:02d}T08:00:00Z\ntags: [t{n % 9}]\n"
            f"{extra}---\nItem {n}; see [the news](../news/item-{n // 4 * 4:04d}.md).\n\n"
            + "Words and more words. " * (n % 23 * 9)
            + "\n"
        )
        if n % 25 == 0:
            files[f"content/{kind}/item-{n:04d}.nb.md"] = f'---\ntitle: "Norsk {n}"\n---\nTekst.\n'
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    image = io.BytesIO()
    Image.new("RGB", (360, 240), (40, 90, 140)).save(image, "JPEG", quality=80)
    (root / "content/shots").mkdir()
    (root / "content/shots/shot.jpg").write_bytes(image.getvalue())
    return root


def within(seconds: float, run: Callable[[], T]) -> T:
    """`run()`, failing the test if it takes longer (a hung cluster must not hang the run)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = run()
        except BaseException as exc:  # handed to the test's thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"still running after {seconds} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


class Built:
    """One build of a fresh copy of the generated site (each with its own empty cache, so
    that nothing is reused and every route renders), with its output files."""

    def __init__(self, template: Path, work: Path, executor: str) -> None:
        root = shutil.copytree(template, work / "site")
        self.result: BuildResult = within(
            180,
            lambda: build(
                BuildOptions(root=root, out_dir=work / "out", at=FIXED_AT, executor=executor)
            ),
        )
        self.files = tree_of(work / "out")
        self.warnings = [d.format() for d in self.result.diagnostics.warnings]
        assert self.result.state is not None
        #: what each render read (its cache entry), as the render recorded it
        self.entries = {name: c.fresh for name, c in self.result.state.caches.items()}


@pytest.fixture(scope="module")
def large_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_large_site(tmp_path_factory.mktemp("large") / "site", ITEMS)


@pytest.fixture(scope="module")
def serial(large_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    built = Built(large_site, tmp_path_factory.mktemp("serial"), "serial")
    for name in CHANNELS:  # every channel goes to the workers in the other builds
        assert built.result.reports[name].rendered >= PARALLEL_THRESHOLD, name
        assert any(path.startswith(f"{name}/") for path in built.files), name
    # a warning of the renders themselves, which comes back from the workers
    assert any("[mobile.over-budget]" in w for w in built.warnings)
    return built


@pytest.fixture
def submitted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Channels of the chunks submitted to a process pool or to Dask (not run in-process)."""
    seen: list[str] = []
    for cls in (ProcessPoolExecutor, OneAtATime):
        original = cls.submit

        def counting(self: Any, fn: Any, /, *args: Any, _original: Any = original, **kw: Any):
            if fn is render_chunk:
                seen.append(args[1])
            return _original(self, fn, *args, **kw)

        monkeypatch.setattr(cls, "submit", counting)
    return seen


def assert_same(built: Built, serial: Built) -> None:
    assert sorted(built.files) == sorted(serial.files)
    differ = [path for path in serial.files if built.files[path] != serial.files[path]]
    assert not differ, differ[:10]
    assert built.warnings == serial.warnings
    for name in CHANNELS:
        assert built.entries[name] == serial.entries[name], name
        assert built.result.reports[name].rendered == serial.result.reports[name].rendered


def test_process_pool_equals_serial(
    large_site: Path, serial: Built, submitted: list[str], tmp_path: Path
) -> None:
    built = Built(large_site, tmp_path, "process")
    assert set(submitted) == set(CHANNELS)
    assert_same(built, serial)


def test_dask_local_cluster_equals_serial(
    large_site: Path, serial: Built, submitted: list[str], tmp_path: Path
) -> None:
    pytest.importorskip("distributed", reason="install omnipub[dask]")
    built = Built(large_site, tmp_path, "dask-local")
    assert set(submitted) == set(CHANNELS)
    assert_same(built, serial)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    """A scheduler and two workers (two threads each, as `dask worker` gives on two cores),
    each a process of its own on 127.0.0.1, importing this checkout; always stopped.

    No nannies: a nanny gives its worker 8 s to exit, and here a worker that had rendered a
    build took longer, so the test waited for the nannies to kill them."""
    pytest.importorskip("distributed", reason="install omnipub[dask]")
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ)
    code = [str(Path(m.__file__).resolve().parent.parent) for m in (omnipub, omnipub_channels)]
    env["PYTHONPATH"] = os.pathsep.join([*code, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    commands = [
        ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port)],
        *[
            ["distributed.cli.dask_worker", address, "--nthreads", "2", "--no-nanny"]
            + ["--local-directory", str(tmp_path / "dask")]
            for _ in range(2)
        ],
    ]
    processes: list[subprocess.Popen[bytes]] = []
    logs = [tmp_path / f"dask-{n}.log" for n in range(len(commands))]
    try:
        for command, log in zip(commands, logs, strict=True):
            with log.open("wb") as stderr:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", *command, "--no-dashboard"],
                        env=env,
                        cwd=tmp_path,
                        stdout=subprocess.DEVNULL,
                        stderr=stderr,
                    )
                )
            if len(processes) == 1:
                time.sleep(0.5)  # the workers retry, but each retry waits longer
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    except BaseException:
        for log in logs:
            if log.exists():
                print(log.name, log.read_text(errors="replace")[-3000:], sep="\n")
        raise
    finally:
        for process in reversed(processes):  # workers first: they tell the scheduler
            process.terminate()
        # a worker has been seen to log its end and then take 20 s to exit: kill it sooner
        deadline = time.monotonic() + 5
        for process in reversed(processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)


def test_dask_cluster_equals_serial(
    large_site: Path, serial: Built, dask_cluster: str, tmp_path: Path
) -> None:
    from distributed import Client

    def executed(client: Client) -> dict[str, int]:
        return client.run(lambda dask_worker: dask_worker.state.executed_count)

    with Client(dask_cluster, timeout=60) as client:
        assert set(within(60, lambda: executed(client)).values()) == {0}
        built = Built(large_site, tmp_path, dask_cluster.replace("tcp://", "dask://"))
        counts = within(60, lambda: executed(client))
    # the workers rendered: every channel sends a chunk or more, each worker took some
    assert len(counts) == 2 and all(counts.values()), counts
    assert sum(counts.values()) >= len(CHANNELS)
    assert_same(built, serial)


def test_snapshot_job_is_the_in_process_job(tmp_path: Path) -> None:
    """A worker's job, loaded from the snapshot, holds what the build's own job holds, and
    renders the same bytes with the same records (the build instant among them), in a
    strict build, with a silenced code and the app's state from the lock."""
    root = write_large_site(tmp_path / "site", 24)
    config = root / "omnipub.toml"
    config.write_text(
        config.read_text().replace("silence = [", 'silence = ["mobile.over-budget", ')
    )
    build(BuildOptions(root=root, clock=FIXED_AT))  # a real build: it writes the lock
    result, _sink = build_memory(root, strict=True, executor="serial")
    assert result.state is not None
    jobs = result.state.jobs
    assert jobs["app"].ctx.state  # the app's published history, from the lock
    snapshot = Snapshot.of(result.site, result.plan, result.state.images, jobs)
    path = write_snapshot(tmp_path / "snapshots", snapshot)
    read_now = False
    try:
        for name, job in jobs.items():
            loaded = load_job(path, name)
            assert loaded is not job
            for attribute in ("channel", "now"):
                assert getattr(loaded.inputs, attribute) == getattr(job.inputs, attribute)
            assert loaded.inputs.items.memos == job.inputs.items.memos  # type: ignore[attr-defined]
            assert loaded.ctx.state == job.ctx.state
            assert loaded.ctx.diagnostics.strict is True
            assert loaded.ctx.diagnostics.silenced == job.ctx.diagnostics.silenced != frozenset()
            assert loaded.channel.config == job.channel.config
            assert loaded.blobs.folder == job.blobs.folder
            assert loaded.ctx.site.now == job.ctx.site.now

            routes = job.ctx.routes()
            register("in-process", {name: job})
            try:
                here = render_chunk("in-process", name, routes, True)
            finally:
                forget("in-process")
            there = render_chunk(path, name, routes, True)  # as a Dask worker does
            # the shared indexes each context has computed so far differ (the build's has
            # computed them all); the bytes, records and warnings may not
            assert replace(there, memos={}) == replace(here, memos={}), name
            read_now |= any(entry.now for entry in there.entries.values())
    finally:
        forget(path)
    assert read_now  # some output shows the build instant (what the snapshot got wrong)
