"""`omnipub serve`: build in memory, serve every channel, rebuild on change, reload tabs.

The canonical channel (`[site] canonical_channel`) is served at `/`, the others under
`/_/<channel>/`, each built with its base URL pointing at the dev server. Only files of an
in-memory build are served, so no request can reach outside it, and a file is served only
as a finished build published it. A failed rebuild keeps the last good build served and
shows its errors, with the source lines around them, as an overlay in every open tab; the
next good build clears it. The preview board at `/_preview/` (see `board.py`) shows every
item and one item in every channel; `?at=` previews another instant, built on demand and
kept in a small LRU, served under `/_at/<instant>/`.

A dev server is reachable from every web page the developer has open, so it answers only to
the host names it serves (DNS rebinding), refuses cross-site requests for previews, and
never prints a traceback because a browser went away.
"""

from __future__ import annotations

import ipaddress
import json
import os
import posixpath
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from .board import ASSETS, Board, failed_page
from .build import BuildOptions, BuildResult, build
from .diagnostics import BuildFailed, Diagnostic, OmnipubError, Severity, UsageError
from .journal import STATE_FOLDER
from .live import LiveBuild
from .publish import MemorySink
from .schema import instant_problem
from .watch import Coalescer, observe

RELOAD_SCRIPT = '<script src="/_omnipub/reload.js"></script>'
#: builds at other instants kept for the preview board (each holds a whole site in memory)
PREVIEW_BUILDS = 4
#: source lines shown above and below an error in the overlay
EXCERPT_LINES = 3
#: the board's own pages run only its own scripts and frame only this server's pages
BOARD_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)
STATIC = {
    "reload.js": "text/javascript; charset=utf-8",
    "board.js": "text/javascript; charset=utf-8",
    "board.css": "text/css; charset=utf-8",
}


class Session:
    """The last good build in memory, the current errors, and builds at other instants."""

    def __init__(
        self,
        options: BuildOptions,
        report: Callable[[str], None] | None = None,
        base: str = "",
    ) -> None:
        self.options = options
        self.root = options.root.resolve()
        self.base = base
        self.live = LiveBuild(options)
        self.report = report or (lambda text: None)
        self.sink: MemorySink | None = None
        self.result: BuildResult | None = None
        self.errors: list[Diagnostic] = []
        self.version = 0
        self.lock = threading.Condition()
        self.previews: OrderedDict[str, tuple[BuildResult, MemorySink]] = OrderedDict()
        #: one preview build at a time: a burst of `?at=` requests cannot pile up builds
        self.preview_lock = threading.Lock()

    @property
    def canonical(self) -> str:
        result = self.result
        return result.site.config.canonical_channel if result else ""

    def rebuild(self, changed: Iterable[str] = ()) -> bool:
        """Rebuild after `changed` files; never raises: errors go to the overlay."""
        started = time.perf_counter()
        try:
            result = self.live.rebuild(changed)
        except BuildFailed as failed:
            problems = failed.diagnostics
        except OmnipubError as exc:
            hint = getattr(exc, "hint", None)
            problems = [Diagnostic(Severity.ERROR, "build.error", str(exc), None, hint)]
        except Exception:  # a bug: say so and keep serving the last good build
            text = traceback.format_exc()
            problems = [Diagnostic(Severity.ERROR, "bug", "omnipub crashed (a bug):\n" + text)]
        else:
            problems = []
        if problems:
            for diagnostic in problems:
                self.report(diagnostic.format())
            self.report(f"build failed: {len(problems)} error(s); still serving the last good one")
            with self.lock:
                self.errors = problems
                self.version += 1
                self.lock.notify_all()
            return False
        rendered = sum(r.rendered for r in result.reports.values())
        self.report(
            f"rebuilt ({self.live.mode}) in {(time.perf_counter() - started) * 1000:.0f} ms: "
            f"{rendered} output(s) rendered"
        )
        with self.lock:
            self.sink, self.result, self.errors = self.live.sink, result, []
            self.previews.clear()
            self.version += 1
            self.lock.notify_all()
        return True

    def preview_at(self, at: str) -> tuple[BuildResult, MemorySink]:
        """The site as of `at` (already validated), served under `/_at/<at>/`.

        At most PREVIEW_BUILDS instants are kept, least recently used first out; outputs equal
        to the live build's share its bytes."""
        with self.preview_lock:
            if at in self.previews:
                self.previews.move_to_end(at)
                return self.previews[at]
            prefix = f"{self.base}_at/{quote(at, safe='')}/"
            options = BuildOptions(
                root=self.options.root,
                at=at,
                base_urls={name: prefix + _mount(name, self.canonical) for name in self._names()},
                write_lock=False,
                drafts=self.options.drafts,
                executor=self.options.executor,
            )
            sink = MemorySink(previous=self.sink)
            version = self.version
            # the outputs stay in memory; what the build would add to the cache is thrown
            # away with the scratch folder as it returns: previewing never grows the cache
            with _scratch(self.root) as scratch:
                options.scratch = Path(scratch)
                built = (build(options, sink=sink), sink)
            with self.lock:
                if version == self.version:  # else a rebuild came meanwhile: not kept stale
                    self.previews[at] = built
                    while len(self.previews) > PREVIEW_BUILDS:
                        self.previews.popitem(last=False)
            return built

    def _names(self) -> list[str]:
        return [c.name for c in self.result.channels] if self.result else []

    def overlay(self) -> list[dict[str, Any]]:
        """The current errors as the overlay shows them: located, with their source lines."""
        return [
            {**d.as_json(), "text": d.format(), "excerpt": excerpt(self.root, d)}
            for d in self.errors
        ]


def excerpt(root: Path, diagnostic: Diagnostic) -> list[dict[str, Any]]:
    """The lines around a diagnostic's location, read from its file inside the site."""
    where = diagnostic.location
    if where is None or not where.line:
        return []
    path = (root / where.path).resolve()
    try:
        path.relative_to(root)
        if path.stat().st_size > 10_000_000:
            return []
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except (OSError, ValueError):
        return []
    first = max(1, where.line - EXCERPT_LINES)
    last = min(len(lines), where.line + EXCERPT_LINES)
    return [
        {"n": n, "text": lines[n - 1], "current": n == where.line} for n in range(first, last + 1)
    ]


def _mount(channel: str, canonical: str) -> str:
    """Where a channel is served, relative to the server's root."""
    return "" if channel == canonical else f"_/{channel}/"


def _split(path: str, canonical: str) -> tuple[str, str]:
    """URL path -> (channel, path inside it)."""
    if path.startswith("/_/"):
        channel, _sep, rest = path[3:].partition("/")
        return channel, rest
    return canonical, path.lstrip("/")


def _clean(path: str) -> str | None:
    decoded = unquote(path)
    if "\x00" in decoded or "\\" in decoded:
        return None
    normal = posixpath.normpath("/" + decoded.lstrip("/"))
    if decoded.endswith("/") and not normal.endswith("/"):
        normal += "/"
    return normal


def host_allowed(header: str | None, allowed: frozenset[str]) -> bool:
    """Is `Host: header` a name this server answers to?

    IP literals are always fine (DNS rebinding needs a domain name), so are `localhost` and
    its subdomains (browsers resolve them to loopback themselves), and the names in
    `allowed` (the bound host and every `--allow-host`)."""
    if not header:
        return False
    host = urlsplit(f"//{header}").hostname
    if host is None:
        return False
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost") or host in allowed:
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class DevServer(ThreadingHTTPServer):
    """A threading HTTP server with a normal listen backlog, quiet about gone clients."""

    daemon_threads = True
    #: the default of 5 drops connections when a browser opens a page with many assets
    request_queue_size = 128
    allowed_hosts: frozenset[str] = frozenset()

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return  # the browser navigated away or was closed mid-response: nothing to say
        sys.stderr.write(f"omnipub serve: a request from {client_address[0]} failed (a bug):\n")
        traceback.print_exc()


def make_handler(session: Session) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "omnipub"
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

        def send(
            self, status: int, body: bytes, media_type: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def text(self, status: int, message: str) -> None:
            self.send(status, (message + "\n").encode(), "text/plain; charset=utf-8")

        def do_HEAD(self) -> None:  # noqa: N802
            self.do_GET()

        def do_GET(self) -> None:  # noqa: N802
            allowed: frozenset[str] = getattr(self.server, "allowed_hosts", frozenset())
            if not host_allowed(self.headers.get("Host"), allowed):
                self.text(
                    HTTPStatus.MISDIRECTED_REQUEST,
                    f"omnipub serve does not answer to the host {self.headers.get('Host')!r}; "
                    "to reach it under another name, start it with --allow-host NAME",
                )
                return
            parts = urlsplit(self.path)
            path = _clean(parts.path)
            if path is None:
                self.text(HTTPStatus.BAD_REQUEST, "bad path")
                return
            if path == "/_omnipub/events":
                self.events()
                return
            if path.startswith("/_omnipub/"):
                self.asset(path[len("/_omnipub/") :])
                return
            if path == "/_preview" or path.startswith("/_preview/"):
                self.preview(path, parse_qs(parts.query))
                return
            if path.startswith("/_at/"):
                at, _sep, rest = path[len("/_at/") :].partition("/")
                self.at_file(at, "/" + rest)
                return
            self.serve_file(session.sink, session.canonical, path)

        def serve_file(self, sink: MemorySink | None, canonical: str, path: str) -> None:
            channel, rel = _split(path, canonical)
            if sink is None or channel not in sink.files:
                self.text(HTTPStatus.NOT_FOUND, "not found")
                return
            files, types = sink.files[channel], sink.media_types[channel]
            for candidate in (rel, posixpath.join(rel, "index.html") if rel else "index.html"):
                body = files.get(candidate)  # a live rebuild may be replacing it right now
                if body is not None:
                    self.file(HTTPStatus.OK, body, types.get(candidate, "text/html"))
                    return
            missing = files.get("404.html", b"<h1>Not found</h1>")
            self.file(HTTPStatus.NOT_FOUND, missing, "text/html")

        def file(self, status: int, body: bytes, media_type: str) -> None:
            # a page in the board's frames reloads with the board: a stream per frame would
            # exhaust the browser's six connections per host
            framed = self.headers.get("Sec-Fetch-Dest") == "iframe"
            if media_type == "text/html" and not framed:
                text = body.decode("utf-8", errors="replace")
                marker = text.rfind("</body>")
                text = (
                    text[:marker] + RELOAD_SCRIPT + text[marker:]
                    if marker >= 0
                    else (text + RELOAD_SCRIPT)
                )
                body = text.encode()
            if media_type == "text/html":
                media_type = "text/html; charset=utf-8"
            self.send(status, body, media_type)

        def asset(self, name: str) -> None:
            if name not in STATIC:
                self.text(HTTPStatus.NOT_FOUND, "not found")
                return
            self.send(HTTPStatus.OK, (ASSETS / name).read_bytes(), STATIC[name])

        def events(self) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            seen = session.version
            try:
                if session.errors:
                    self._event("error", session.overlay())
                while True:
                    with session.lock:

                        def moved(since: int = seen) -> bool:
                            return session.version != since

                        session.lock.wait_for(moved, timeout=15)
                        changed, seen = session.version != seen, session.version
                        errors = session.overlay() if session.errors else []
                    if not changed:
                        self.wfile.write(b": keep-alive\n\n")
                    elif errors:
                        self._event("error", errors)
                    else:
                        self._event("reload", {"version": seen})
                    self.wfile.flush()
            except (ConnectionError, TimeoutError):
                return

        def _event(self, name: str, data: object) -> None:
            self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()

        def cross_site(self) -> bool:
            """A request another site's page made (an <img> or fetch towards localhost)."""
            return self.headers.get("Sec-Fetch-Site") == "cross-site"

        def at_build(self, at: str) -> tuple[BuildResult, MemorySink] | None:
            """The build as of `at`, or None after answering (400, 403 or the errors)."""
            problem = instant_problem(at)
            if problem:  # before the build, which would raise on it
                self.text(HTTPStatus.BAD_REQUEST, f"bad 'at': {problem}")
                return None
            if self.cross_site():
                self.text(HTTPStatus.FORBIDDEN, "previews are not built for other sites' pages")
                return None
            if session.result is None:
                self.text(HTTPStatus.SERVICE_UNAVAILABLE, "no good build yet")
                return None
            try:
                return session.preview_at(at)
            except BuildFailed as failed:
                page = failed_page([d.format() for d in failed.diagnostics], at)
                self.board(page)
                return None
            except OmnipubError as exc:
                self.text(HTTPStatus.BAD_REQUEST, f"bad 'at': {exc}")
                return None

        def at_file(self, at: str, path: str) -> None:
            built = self.at_build(at)
            if built is not None:
                self.serve_file(built[1], built[0].site.config.canonical_channel, path)

        def board(self, page: str, status: int = HTTPStatus.OK) -> None:
            self.send(
                status,
                page.encode(),
                "text/html; charset=utf-8",
                {"Content-Security-Policy": BOARD_POLICY},
            )

        def preview(self, path: str, query: dict[str, list[str]]) -> None:
            at = query["at"][0] if query.get("at") else None
            if at:
                built = self.at_build(at)
                if built is None:
                    return
                result: BuildResult | None = built[0]
            else:
                result = session.result
            if result is None:
                self.text(HTTPStatus.SERVICE_UNAVAILABLE, "no good build yet")
                return
            view = Board(result, at)
            item_id = unquote(path[len("/_preview") :].strip("/"))
            if not item_id:
                chosen = {k: v[0] for k, v in query.items() if v}
                self.board(view.index(chosen))
                return
            lang = (query.get("lang") or [result.site.config.default_language])[0]
            page = view.item(item_id, lang)
            if page is None:
                self.text(HTTPStatus.NOT_FOUND, "no such item in that language")
                return
            self.board(page)

    return Handler


def _scratch(root: Path) -> tempfile.TemporaryDirectory[str]:
    """Where a preview build's scratch folder goes: in the site's state folder (the cache's
    file system, not a RAM-backed /tmp), named by this process. Those of a server that was
    killed mid-preview are deleted here."""
    state = root / STATE_FOLDER
    state.mkdir(exist_ok=True)
    for stale in state.glob("preview-*.tmp"):
        owner = stale.name.split("-")[1]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(stale, ignore_errors=True)
    return tempfile.TemporaryDirectory(".tmp", f"preview-{os.getpid()}-", state)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def free_port_or_fail(host: str, port: int) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {host}:{port} ({exc.strerror})",
                "another server uses that port: try --port 8001",
            ) from exc


def reachable_host(host: str) -> str:
    """The address pages and the console give for `host`. Bound to every interface
    (`0.0.0.0`), the server is reached at this machine's address on its network (a phone on
    the same network opens it; absolute links in pages must work there), else loopback."""
    if host not in ("0.0.0.0", ""):
        return host
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # a documentation address: nothing is sent
        found = str(probe.getsockname()[0])
    except OSError:
        found = "127.0.0.1"
    finally:
        probe.close()
    return found if found != "0.0.0.0" else "127.0.0.1"


def start(
    options: BuildOptions,
    host: str,
    port: int,
    report: Callable[[str], None] | None = None,
    allow_hosts: Iterable[str] = (),
) -> tuple[ThreadingHTTPServer, Session, threading.Event]:
    """Build, start serving and watching; returns the server, the session and a stop flag."""
    free_port_or_fail(host, port)
    server = DevServer((host, port), BaseHTTPRequestHandler)
    server.allowed_hosts = frozenset(h.lower() for h in (host, *allow_hosts))
    real = server.server_address[1]
    base = f"http://{reachable_host(host)}:{real}/"
    root = options.root.resolve()
    channels, canonical = _channels(root)
    options.base_urls = {name: base + _mount(name, canonical) for name in channels}
    session = Session(options, report, base)
    handler = Coalescer(root, options, session.report)
    observer = observe(root, handler)  # before the first build: edits during it count
    session.rebuild()
    server.RequestHandlerClass = make_handler(session)
    stop = threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def watch() -> None:
        try:
            while not stop.is_set():
                batch = handler.wait(stop)
                if batch is None:
                    break
                session.rebuild(batch)
        finally:
            observer.stop()

    threading.Thread(target=watch, daemon=True).start()
    return server, session, stop


def _channels(root: Path) -> tuple[list[str], str]:
    """The enabled channels and the canonical one, served at `/`."""
    from .config import load_config
    from .diagnostics import Diagnostics

    config = load_config(root, Diagnostics())
    return list(config.enabled_channels), config.canonical_channel
