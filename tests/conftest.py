"""Shared test helpers: inline sites, in-memory builds, a fixed clock, and Chromium."""

from __future__ import annotations

import functools
import os
import shutil
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from omnipub.build import BuildOptions, BuildResult, build
from omnipub.publish import MemorySink

#: Every test builds as of this instant, so goldens and visibility never drift.
FIXED_AT = "2026-12-01T12:00:00+01:00"
REPO = Path(__file__).resolve().parent.parent


def write_site(root: Path, spec: str) -> Path:
    """Write a multi-file site from one string.

    Files are separated by lines `-- path --`; text is dedented. A site without
    omnipub.toml gets a minimal one with the web channel.
    """
    spec = textwrap.dedent(spec)
    current: str | None = None
    chunks: dict[str, list[str]] = {}
    for line in spec.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("-- ") and stripped.endswith(" --"):
            current = stripped[3:-3].strip()
            chunks[current] = []
        elif current is not None:
            chunks[current].append(line)
    if "omnipub.toml" not in chunks:
        chunks["omnipub.toml"] = [MINIMAL_CONFIG]
    for rel, lines in chunks.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(lines), encoding="utf-8")
    return root


MINIMAL_CONFIG = """\
[site]
title = "Test shop"
timezone = "Europe/Oslo"
default_language = "en"

[languages.en]
name = "English"
locale = "en_GB"

[channels.web]
base_url = "https://www.example.com/"
page_size = 2
"""


def build_memory(root: Path, **options: object) -> tuple[BuildResult, MemorySink]:
    """Build in memory as of FIXED_AT; returns the result and the files per channel."""
    options.setdefault("at", FIXED_AT)
    options.setdefault("write_lock", False)
    sink = MemorySink()
    result = build(BuildOptions(root=root, **options), sink=sink)  # type: ignore[arg-type]
    return result, sink


@pytest.fixture
def site(tmp_path: Path):
    """`site(spec)` writes an inline site and returns its folder."""

    def make(spec: str) -> Path:
        return write_site(tmp_path / "site", spec)

    return make


def copy_sample(target: Path) -> Path:
    """Copy the bundled sample site's sources (the repository root) into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("omnipub.toml", "omnipub.lock"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, target / name)
    for folder in ("content", "static", "templates", "data", "i18n"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, target / folder)
    return target


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A private copy of the bundled sample site (the repository root)."""
    return copy_sample(tmp_path / "sample")


def chromium_path() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError(
        "Chromium is not installed; the README's test command installs it (apt-get install -y "
        "chromium)"
    )


CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """A headless Debian Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where screenshots go (git-ignored), for a person to look at."""
    folder = REPO / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder


def tree_of(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` (path -> bytes), for byte-for-byte comparisons."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory):
    """The sample site built once, strictly, as of FIXED_AT: (BuildResult, public folder)."""
    root = copy_sample(tmp_path_factory.mktemp("sample"))
    result = build(BuildOptions(root=root, at=FIXED_AT, strict=True, write_lock=False))
    return result, root / "public"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="rewrite tests/sites/*/expected from the current outputs",
    )


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def http_server(folder: Path) -> Iterator[str]:
    """Serve `folder` with the standard library's HTTP server on 127.0.0.1 (a free port):
    pages load their stylesheets and images as on a real host, which `file://` does not."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
