"""Take the README's screenshots: the sample site's web and mobile pages, a signage screen
and the preview board, in headless Chromium.

    python docs/screenshots.py            # writes docs/images/*.png

It builds a copy of the sample site as of a fixed instant (so the pictures do not drift),
serves each channel's folder over HTTP on 127.0.0.1 (as a host would: stylesheets and
images load), and runs `omnipub serve` for the preview board. It needs Playwright and a
Chromium (`CHROMIUM=/path/to/chromium`, else /usr/bin/chromium or one on PATH).
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "images"
AT = "2026-12-01T12:00:00+01:00"
#: (file, channel, path, viewport width, height, colour scheme)
SHOTS = [
    ("web-home.png", "web", "/", 1280, 900, "light"),
    ("web-product.png", "web", "/products/merino-sweater/", 1280, 800, "light"),
    ("web-product-dark.png", "web", "/products/merino-sweater/", 1280, 800, "dark"),
    ("mobile-product.png", "mobile", "/products/merino-sweater/", 390, 844, "light"),
    ("signage-oslo-entrance.png", "signage", "/screens/oslo-entrance/", 1920, 1080, "light"),
]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def served(folder: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment() -> dict[str, str]:
    paths = [str(REPO), str(REPO / "channels"), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def sample_copy(target: Path) -> Path:
    for name in ("omnipub.toml", "omnipub.lock"):
        shutil.copy2(REPO / name, target / name)
    for folder in ("content", "static"):
        shutil.copytree(REPO / folder, target / folder)
    return target


@contextmanager
def preview_server(site: Path) -> Iterator[str]:
    """`omnipub serve` on a free port, until the block ends."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "omnipub", "serve", str(site), "--port", str(port)],
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(origin + "/_preview/", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield origin
    finally:
        process.terminate()
        process.wait(timeout=30)


def chromium() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    raise SystemExit("Chromium not found: set CHROMIUM=/path/to/chromium")


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        site = sample_copy(Path(scratch))
        public = site / "public"
        subprocess.run(
            [sys.executable, "-m", "omnipub", "build", str(site), "--at", AT, "-q"],
            env=environment(),
            check=True,
        )
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium(), args=["--headless=new", "--no-sandbox"]
            )
            for name, channel, path, width, height, scheme in SHOTS:
                with served(public / channel) as origin:
                    page = browser.new_page(
                        viewport={"width": width, "height": height},
                        color_scheme=scheme,  # type: ignore[arg-type]
                        device_scale_factor=2 if width < 600 else 1,
                    )
                    page.emulate_media(reduced_motion="reduce")
                    page.goto(origin + path, wait_until="networkidle")
                    page.wait_for_timeout(1500)  # a signage slide fades in
                    page.screenshot(path=str(OUT / name))
                    page.close()
                    print(f"wrote docs/images/{name}")
            with preview_server(site) as origin:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(origin + "/_preview/", wait_until="networkidle")
                page.screenshot(path=str(OUT / "preview-board.png"))
                page.close()
                print("wrote docs/images/preview-board.png")
            browser.close()


if __name__ == "__main__":
    main()
