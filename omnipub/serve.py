"""`omnipub serve`: build in memory, serve every channel, rebuild on change, reload tabs.

Web is served at `/`, the other channels under `/_/<channel>/`, each built with its base URL
pointing at the dev server. Only files of the in-memory build are served, so no request can
reach outside it. A failed rebuild keeps the last good build served and shows its errors
as an overlay in every open tab; the next good build clears it. The preview board at
`/_preview/` shows one item in every channel side by side; it exists only here.
"""

from __future__ import annotations

import html
import json
import posixpath
import socket
import threading
import time
import traceback
import webbrowser
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import click

from .build import BuildOptions, BuildResult, build
from .cli import SITE, cli, guarded
from .diagnostics import BuildFailed, Diagnostic, OmnipubError, Severity, UsageError
from .live import LiveBuild
from .publish import MemorySink
from .schema import instant_problem
from .watch import Coalescer, observe

RELOAD_SCRIPT = """<script>(() => {
  const source = new EventSource("/_omnipub/events");
  source.addEventListener("reload", () => location.reload());
  source.addEventListener("error", (event) => {
    if (!event.data) return;
    let box = document.getElementById("omnipub-overlay");
    if (!box) {
      box = document.createElement("pre");
      box.id = "omnipub-overlay";
      box.style.cssText = "position:fixed;inset:0;margin:0;padding:2rem;z-index:2147483647;" +
        "background:rgba(20,0,0,.92);color:#fff;font:14px/1.5 monospace;overflow:auto";
      document.body.appendChild(box);
    }
    box.textContent = JSON.parse(event.data).join("\\n\\n");
  });
})();</script>"""


class Session:
    """The last good build in memory, the current errors, and the open event streams."""

    def __init__(self, options: BuildOptions, report: Callable[[str], None] | None = None) -> None:
        self.options = options
        self.live = LiveBuild(options)
        self.report = report or (lambda text: None)
        self.sink: MemorySink | None = None
        self.result: BuildResult | None = None
        self.errors: list[Diagnostic] = []
        self.version = 0
        self.lock = threading.Condition()
        self.previews: dict[str, tuple[BuildResult, MemorySink]] = {}

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
        if at not in self.previews:
            sink = MemorySink()
            options = BuildOptions(
                root=self.options.root,
                at=at,
                base_urls=self.options.base_urls,
                write_lock=False,
                drafts=self.options.drafts,
            )
            self.previews[at] = (build(options, sink=sink), sink)
        return self.previews[at]


def _split(path: str) -> tuple[str, str]:
    """URL path -> (channel, path inside it)."""
    if path.startswith("/_/"):
        channel, _sep, rest = path[3:].partition("/")
        return channel, rest
    return "web", path.lstrip("/")


def _clean(path: str) -> str | None:
    decoded = unquote(path)
    if "\x00" in decoded or "\\" in decoded:
        return None
    normal = posixpath.normpath("/" + decoded.lstrip("/"))
    if decoded.endswith("/") and not normal.endswith("/"):
        normal += "/"
    return normal


def make_handler(session: Session) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "omnipub"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

        def send(self, status: int, body: bytes, media_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self) -> None:  # noqa: N802
            self.do_GET()

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            path = _clean(parts.path)
            if path is None:
                self.send(HTTPStatus.BAD_REQUEST, b"bad path", "text/plain")
                return
            if path == "/_omnipub/events":
                self.events()
                return
            if path.startswith("/_preview"):
                self.preview(path, parse_qs(parts.query))
                return
            channel, rel = _split(path)
            sink = session.sink
            if sink is None or channel not in sink.files:
                self.send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
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
            if media_type == "text/html":
                text = body.decode("utf-8", errors="replace")
                marker = text.rfind("</body>")
                text = (
                    text[:marker] + RELOAD_SCRIPT + text[marker:]
                    if marker >= 0
                    else (text + RELOAD_SCRIPT)
                )
                body = text.encode()
                media_type = "text/html; charset=utf-8"
            self.send(status, body, media_type)

        def events(self) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seen = session.version
            try:
                if session.errors:
                    self._event("error", [d.format() for d in session.errors])
                while True:
                    with session.lock:

                        def moved(since: int = seen) -> bool:
                            return session.version != since

                        session.lock.wait_for(moved, timeout=15)
                        changed, seen = session.version != seen, session.version
                        errors = list(session.errors)
                    if not changed:
                        self.wfile.write(b": keep-alive\n\n")
                    elif errors:
                        self._event("error", [d.format() for d in errors])
                    else:
                        self._event("reload", {"version": seen})
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return

        def _event(self, name: str, data: object) -> None:
            self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()

        def preview(self, path: str, query: dict[str, list[str]]) -> None:
            at = query["at"][0] if query.get("at") else None
            problem = instant_problem(at) if at else None
            if problem:  # before the build, which would raise on it
                message = f"bad 'at': {problem}\n".encode()
                self.send(HTTPStatus.BAD_REQUEST, message, "text/plain; charset=utf-8")
                return
            try:
                result, sink = session.preview_at(at) if at else (session.result, session.sink)
            except BuildFailed as failed:
                body = "".join(f"<pre>{html.escape(d.format())}</pre>" for d in failed.diagnostics)
                self.send(HTTPStatus.OK, body.encode(), "text/html; charset=utf-8")
                return
            if result is None or sink is None:
                self.send(HTTPStatus.SERVICE_UNAVAILABLE, b"no good build yet", "text/plain")
                return
            item_id = path[len("/_preview") :].strip("/")
            lang = (query.get("lang") or [result.site.config.default_language])[0]
            page = board(result, sink, item_id, lang, at) if item_id else index(result, at)
            if page is None:
                self.send(HTTPStatus.NOT_FOUND, b"no such item", "text/plain")
                return
            self.file(HTTPStatus.OK, page.encode(), "text/html")

    return Handler


def _local(url: str) -> str:
    return urlsplit(url).path


def index(result: BuildResult, at: str | None) -> str:
    rows = []
    for item in result.site.items:
        state = "visible" if item.visible else item.hidden_reason
        channels = ", ".join(n for n in sorted(item.channels) if item.in_channel(n))
        link = f"/_preview/{item.id}?lang={item.lang}" + (f"&at={at}" if at else "")
        rows.append(
            f"<tr><td><a href='{html.escape(link)}'>{html.escape(item.title)}</a></td>"
            f"<td>{item.type}</td><td>{item.lang}</td><td>{state}</td><td>{channels}</td></tr>"
        )
    return (
        "<!doctype html><meta charset=utf-8><title>Preview</title><body style='font-family:"
        "system-ui;margin:2rem'><h1>Preview</h1><form><label>as of <input name=at "
        f"value='{html.escape(at or '')}' placeholder='2026-12-24T09:00'></label> "
        "<button>show</button></form><table cellpadding=6><tr><th>title<th>type<th>lang"
        f"<th>visibility<th>channels</tr>{''.join(rows)}</table></body>"
    )


def board(
    result: BuildResult, sink: MemorySink, item_id: str, lang: str, at: str | None
) -> str | None:
    item = result.site.by_key.get((item_id, lang))
    if item is None:
        return None
    panes = []
    for channel in ("web", "mobile"):
        route = result.plan.item_routes.get((channel, item_id, lang))
        if route:
            width = "360px;height:740px" if channel == "mobile" else "100%;height:740px"
            panes.append(
                f"<section><h2>{channel}</h2><iframe src='{_local(route.url)}' "
                f"style='width:{width};border:1px solid #ccc'></iframe></section>"
            )
    app = result.plan.item_routes.get(("app", item_id, lang))
    if app:
        document = json.loads(sink.files["app"][app.path])
        blocks = html.escape(json.dumps(document.get("blocks", []), indent=1, ensure_ascii=False))
        pretty = html.escape(json.dumps(document, indent=1, ensure_ascii=False))
        panes.append(
            "<section><h2>app</h2><div style='display:flex;gap:1rem'><pre style='max-height:"
            f"600px;overflow:auto;flex:1'>{pretty}"
            f"</pre><div style='flex:1'>{document.get('content_html', '')}<details><summary>blocks"
            f"</summary><pre>{blocks}</pre></details></div></div></section>"
        )
    slides = [r for r in result.plan.routes_by_channel.get("signage", []) if r.item_id == item_id]
    for route in slides:
        panes.append(
            f"<section><h2>signage {html.escape(str(route.param('screen')))}</h2>"
            f"<iframe src='{_local(route.url)}' style='width:960px;height:540px;"
            "border:1px solid #ccc'></iframe></section>"
        )
    warnings = [
        d for d in result.diagnostics.warnings if d.location and d.location.path == item.rel
    ]
    notes = "".join(f"<pre>{html.escape(d.format())}</pre>" for d in warnings) or "<p>none</p>"
    return (
        f"<!doctype html><meta charset=utf-8><title>{html.escape(item.title)}</title>"
        "<body style='font-family:system-ui;margin:2rem'>"
        f"<p><a href='/_preview/'>all items</a> · as of {html.escape(at or 'now')}</p>"
        f"<h1>{html.escape(item.title)}</h1><h2>warnings</h2>{notes}{''.join(panes)}</body>"
    )


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


def start(
    options: BuildOptions, host: str, port: int, report: Callable[[str], None] | None = None
) -> tuple[ThreadingHTTPServer, Session, threading.Event]:
    """Build, start serving and watching; returns the server, the session and a stop flag."""
    free_port_or_fail(host, port)
    server = ThreadingHTTPServer((host, port), BaseHTTPRequestHandler)
    real = server.server_address[1]
    base = f"http://{host}:{real}/"
    root = options.root.resolve()
    config_channels = _channels(root)
    options.base_urls = {
        name: base if name == "web" else f"{base}_/{name}/" for name in config_channels
    }
    session = Session(options, report)
    handler = Coalescer(root)
    observer = observe(root, handler)  # before the first build: edits during it count
    session.rebuild()
    server.RequestHandlerClass = make_handler(session)
    server.daemon_threads = True
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


def _channels(root: Path) -> list[str]:
    from .config import load_config
    from .diagnostics import Diagnostics

    config = load_config(root, Diagnostics())
    return list(config.enabled_channels)


@cli.command("serve")
@SITE
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; the default is reachable from this machine only.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the site in a browser.")
@click.option("--drafts", is_flag=True, help="Include drafts.")
@guarded
def serve_command(site: Path, port: int, host: str, open_browser: bool, drafts: bool) -> None:
    """Serve SITE with live reload: web at /, other channels at /_/<channel>/, and the
    preview board at /_preview/."""
    options = BuildOptions(root=site, drafts=drafts, write_lock=False)
    server, session, stop = start(options, host, port, lambda text: click.echo(text, err=True))
    url = f"http://{host}:{server.server_address[1]}/"
    click.echo(f"serving {site} at {url} (preview: {url}_preview/); Ctrl+C to stop", err=True)
    if open_browser:
        webbrowser.open(url)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        stop.set()
        server.shutdown()
