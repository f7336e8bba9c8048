"""The dev server: every channel over HTTP, reloads, error overlay, preview, no escapes."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import write_site
from omnipub.build import BuildOptions
from omnipub.diagnostics import UsageError
from omnipub.serve import start

SITE = """\
-- omnipub.toml --
[site]
title = "Dev"
timezone = "UTC"
[languages.en]
name = "English"
[channels.web]
base_url = "https://www.example.com/"
[channels.mobile]
base_url = "https://m.example.com/"
[channels.app]
base_url = "https://api.example.com/"
-- content/articles/_index.md --
---
cascade: {type: article}
---
-- content/articles/a.md --
---
id: a
title: Alpha
---
First.
"""


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def server(tmp_path: Path):
    root = write_site(tmp_path / "site", SITE)
    httpd, session, stop = start(BuildOptions(root=root, executor="serial"), "127.0.0.1", 0)
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    time.sleep(0.3)  # the watcher starts
    try:
        yield root, base, session
    finally:
        stop.set()
        httpd.shutdown()


def test_serves_every_channel_with_types_and_404(server) -> None:
    root, base, _session = server
    status, kind, body = get(base + "articles/a/")
    assert status == 200 and kind.startswith("text/html")
    assert b"/_omnipub/reload.js" in body and b"<h1>Alpha</h1>" in body
    status, kind, body = get(base + "_/mobile/articles/a/")
    assert status == 200 and f'href="{base}articles/a/"'.encode() in body  # canonical to web
    status, kind, body = get(base + "_/app/items/a.json")
    assert status == 200 and kind == "application/json"
    assert json.loads(body)["url"] == base + "articles/a/"
    status, _kind, body = get(base + "nowhere/")
    assert status == 404 and b"Page not found" in body
    assert not (root / "public").exists()  # nothing is written


@pytest.mark.parametrize(
    "path",
    [
        "../omnipub.toml",
        "%2e%2e/omnipub.toml",
        "..%2fomnipub.toml",
        "a%00b",
        "_/web/../../x",
        "%5c..%5comnipub.toml",
    ],
)
def test_no_path_escapes(server, path: str) -> None:
    _root, base, _session = server
    status, _kind, body = get(base + path)
    assert status in (400, 404)
    assert b"[site]" not in body


def test_edit_reloads_and_bad_edit_shows_an_overlay(server) -> None:
    root, base, session = server
    version = session.version
    source = root / "content/articles/a.md"
    source.write_text("---\nid: a\ntitle: Alpha two\n---\nSecond.\n")
    wait_for(lambda: b"Alpha two" in get(base + "articles/a/")[2])
    assert session.version > version
    source.write_text("---\nid: a\ntitle: [broken\n---\n")
    wait_for(lambda: bool(session.errors))
    assert b"Alpha two" in get(base + "articles/a/")[2]  # the last good build stays served
    with urllib.request.urlopen(base + "_omnipub/events", timeout=10) as events:
        lines = [events.readline().decode() for _ in range(2)]
    assert lines[0] == "event: error\n"
    assert "content/articles/a.md:4:1: error[front-matter.syntax]" in lines[1]
    source.write_text("---\nid: a\ntitle: Alpha three\n---\nThird.\n")
    wait_for(lambda: b"Alpha three" in get(base + "articles/a/")[2])
    assert not session.errors
    (root / "content/articles/b.md").write_text("---\ntitle: Beta\n---\nNew.\n")
    wait_for(lambda: get(base + "articles/b/")[0] == 200)
    (root / "content/articles/b.md").rename(root / "content/articles/c.md")
    wait_for(lambda: get(base + "articles/c/")[0] == 200 and get(base + "articles/b/")[0] == 404)
    (root / "templates/web").mkdir(parents=True)
    (root / "templates/web/404.html").write_text("<p>Lost here</p>")
    wait_for(lambda: b"Lost here" in get(base + "missing/")[2])


def test_preview_board(server) -> None:
    _root, base, _session = server
    status, _kind, body = get(base + "_preview/")
    assert status == 200 and b"Alpha" in body
    status, _kind, body = get(base + "_preview/a?lang=en")
    assert status == 200
    frames = [b'src="/articles/a/"', b'src="/_/mobile/articles/a/"', b'src="/_/app/items/a.json"']
    assert all(frame in body for frame in frames)
    assert b'data-width="390" data-height="844"' in body  # the mobile frame is phone-sized
    status, _kind, body = get(base + "_preview/a?lang=en&at=2026-12-24T09:00")
    assert status == 200 and b'src="/_at/2026-12-24T09%3A00/articles/a/"' in body
    status, _kind, body = get(base + "_at/2026-12-24T09%3A00/articles/a/")
    assert status == 200 and b"<h1>Alpha</h1>" in body


def test_port_in_use_is_a_usage_error(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UsageError, match="cannot listen"):
            start(BuildOptions(root=root), "127.0.0.1", port)
