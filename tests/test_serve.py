"""The dev server: every channel over HTTP, reloads, error overlay, preview, no escapes."""

from __future__ import annotations

import gc
import http.client
import http.server
import json
import os
import select
import socket
import struct
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path

import pytest

from conftest import write_site
from omnipub.build import BuildOptions
from omnipub.diagnostics import UsageError
from omnipub.serve import PREVIEW_BUILDS, DevServer, start

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
-- static/hello.txt --
hello
"""


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
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


def test_a_content_folder_moved_away_and_back_flashes_no_error(server, tmp_path: Path) -> None:
    """A rename or a checkout: the server waits for the tree, never serves an error over
    the whole site, and rebuilds once when it is back."""
    root, base, session = server
    version = session.version
    (root / "content").rename(tmp_path / "away")
    time.sleep(1.5)  # longer than the watcher's MAX_WAIT
    assert session.version == version and not session.errors
    assert b"Alpha" in get(base + "articles/a/")[2]
    (tmp_path / "away").rename(root / "content")
    wait_for(lambda: session.version > version)
    time.sleep(0.5)
    assert session.version == version + 1 and not session.errors


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


def request(base: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """A GET with exactly these headers (Host included when given)."""
    parts = base.rstrip("/").split("//")[1]
    host, port = parts.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest("GET", path, skip_host=True)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def test_host_header_is_checked(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    options = BuildOptions(root=root, executor="serial")
    httpd, _session, stop = start(options, "127.0.0.1", 0, allow_hosts=["shop.test"])
    base, port = f"http://127.0.0.1:{httpd.server_address[1]}/", httpd.server_address[1]
    try:
        for good in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST", "shop.test:80"):
            assert request(base, "/articles/a/", {"Host": good})[0] == 200, good
        for evil in ("attacker.example", f"attacker.example:{port}", "127.0.0.1.evil.test"):
            status, body = request(base, "/articles/a/", {"Host": evil})
            assert status == 421 and b"--allow-host" in body and b"Alpha" not in body, evil
        assert request(base, "/_preview/", {"Host": "rebound.example"})[0] == 421
        assert request(base, "/articles/a/", {})[0] == 421  # no Host at all
    finally:
        stop.set()
        httpd.shutdown()


@pytest.mark.parametrize(
    "path", ["/_preview/?at=garbage", "/_preview/a?at=2026-13-40", "/_at/tomorrow/articles/a/"]
)
def test_a_bad_instant_is_answered_400(server, path: str) -> None:
    _root, base, _session = server
    status, _kind, body = get(base.rstrip("/") + path)
    assert status == 400 and b"bad 'at'" in body and b"2026-12-24T09:00" in body


def test_preview_builds_are_bounded(server) -> None:
    """Twenty instants keep at most PREVIEW_BUILDS builds alive: the others are freed, not
    merely forgotten by the LRU (weak references to every build made say which live)."""
    _root, base, session = server
    made = []
    for day in range(1, 21):
        status, _kind, _body = get(base + f"_preview/a?lang=en&at=2026-11-{day:02d}T09:00")
        assert status == 200
        assert len(session.previews) <= PREVIEW_BUILDS
        made.append(weakref.ref(session.previews[f"2026-11-{day:02d}T09:00"][0]))
    gc.collect()
    alive = [day for day, ref in enumerate(made, 1) if ref() is not None]
    assert alive == [17, 18, 19, 20]
    assert list(session.previews) == [f"2026-11-{d}T09:00" for d in range(17, 21)]
    # another site's page cannot make the server build
    status, _kind, _body = get_with(
        base + "_preview/?at=2026-10-01", {"Sec-Fetch-Site": "cross-site"}
    )
    assert status == 403 and "2026-10-01" not in session.previews


def test_previews_never_grow_the_cache(server) -> None:
    """Each `?at=` instant is a full build at its own URLs: its outputs stay in memory (the
    LRU above), and nothing it made is left in `.omnipub/` once it is served."""
    root, base, session = server
    state = root / ".omnipub"

    def files() -> dict[str, int]:
        # (stamps.json may be written by any build once the sources are no longer "racy")
        return {
            p.relative_to(state).as_posix(): p.stat().st_size
            for p in state.rglob("*")
            if p.is_file() and p.name != "stamps.json"
        }

    before = files()
    assert any(name.startswith("cache/blobs/") for name in before)
    killed = state / "preview-999999999-x.tmp"  # a server killed mid-preview (no such pid)
    (killed / "blobs").mkdir(parents=True)
    (killed / "blobs/left").write_bytes(b"x")
    for day in range(1, 9):
        at = f"2026-11-{day:02d}T09:00"
        status, _kind, body = get(base + f"_at/{at}/articles/a/")
        assert status == 200 and b"Alpha" in body and at in session.previews
        status, _kind, body = get(base + f"_at/{at}/hello.txt")
        assert status == 200 and body == b"hello\n"
    assert files() == before


def get_with(url: str, headers: dict[str, str]) -> tuple[int, str, bytes]:
    try:
        request = urllib.request.Request(url, headers=headers)
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_gone_clients_print_no_traceback(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    root = write_site(tmp_path / "site", SITE)
    (root / "static/big.bin").write_bytes(os.urandom(8_000_000))
    httpd, _session, stop = start(BuildOptions(root=root, executor="serial"), "127.0.0.1", 0)
    port = httpd.server_address[1]
    try:
        assert get(f"http://127.0.0.1:{port}/big.bin")[0] == 200
        for _ in range(5):
            client = socket.create_connection(("127.0.0.1", port))
            client.sendall(f"GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            client.recv(1024)  # the response has started
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()  # a reset mid-body, as a closed tab gives
        time.sleep(1.0)
        assert get(f"http://127.0.0.1:{port}/articles/a/")[0] == 200  # still serving
    finally:
        stop.set()
        httpd.shutdown()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "BrokenPipe" not in err and "ConnectionReset" not in err


def test_listen_backlog_takes_a_burst_of_connections() -> None:
    """A browser opening a page with many assets, or a load test: 100 connections arrive
    before the server accepts any; none is dropped (the default backlog of 5 drops most)."""
    server = DevServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    sockets = []
    try:
        for _ in range(100):
            client = socket.socket()
            client.setblocking(False)
            client.connect_ex(server.server_address)
            sockets.append(client)
        deadline = time.monotonic() + 2.0
        pending = set(sockets)
        while pending and time.monotonic() < deadline:
            _r, ready, _x = select.select([], list(pending), [], 0.1)
            pending -= {s for s in ready if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0}
        assert not pending, f"{len(pending)} of 100 connections were not accepted into the queue"
    finally:
        for client in sockets:
            client.close()
        server.server_close()


def test_a_new_link_out_of_the_site_is_reported(server, tmp_path: Path) -> None:
    root, base, session = server
    outside = tmp_path / "outside.md"
    outside.write_text("---\ntitle: Secret\n---\nsecret\n")
    (root / "content/articles/leak.md").symlink_to(outside)
    wait_for(lambda: any(d.code == "discover.symlink-outside" for d in session.errors))
    problem = next(d for d in session.errors if d.code == "discover.symlink-outside")
    assert str(problem.location) == "content/articles/leak.md"
    assert b"Secret" not in get(base + "articles/leak/")[2]
    (root / "content/articles/leak.md").unlink()
    wait_for(lambda: not session.errors)


def test_a_source_folder_linking_out_of_the_site_is_an_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from omnipub.cli import cli

    root = write_site(tmp_path / "site", SITE)
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    (elsewhere / "id_rsa").write_text("PRIVATE KEY")
    (root / "static/hello.txt").unlink()
    (root / "static").rmdir()
    (root / "static").symlink_to(elsewhere)
    result = CliRunner().invoke(cli, ["build", str(root)])
    assert result.exit_code == 1
    assert "static: error[discover.symlink-outside]: the source folder static/ is a symbolic" in (
        result.output
    )
    assert not (root / "public").exists()
    httpd, session, stop = start(BuildOptions(root=root, executor="serial"), "127.0.0.1", 0)
    try:
        assert [d.code for d in session.errors] == ["discover.symlink-outside"]
        port = httpd.server_address[1]
        assert get(f"http://127.0.0.1:{port}/id_rsa")[0] != 200
    finally:
        stop.set()
        httpd.shutdown()


def test_a_file_is_served_only_once_written(server) -> None:
    root, base, session = server
    chunk = os.urandom(1_000_000)
    with open(root / "static/video.bin", "wb") as partial:
        partial.write(chunk)
        partial.flush()
        time.sleep(1.6)  # longer than any coalescing wait: a rebuild now would read half
        assert get(base + "video.bin")[0] == 404
        partial.write(chunk)
    wait_for(lambda: get(base + "video.bin")[0] == 200)
    assert get(base + "video.bin")[2] == chunk + chunk


def test_a_server_bound_to_every_interface_gives_an_address_that_reaches_it() -> None:
    """`--host 0.0.0.0` binds every interface, but 0.0.0.0 is no address to open: pages'
    absolute links and the console give this machine's address instead."""
    import ipaddress

    from omnipub.serve import reachable_host

    shown = reachable_host("0.0.0.0")
    assert shown != "0.0.0.0"
    assert not ipaddress.ip_address(shown).is_unspecified
    assert reachable_host("127.0.0.1") == "127.0.0.1"
    assert reachable_host("localhost") == "localhost"
