"""The dev server's pages in Chromium: the preview board, the error overlay, no injection,
and the web channel's Content-Security-Policy kept by the site's own pages."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import write_site
from omnipub.build import BuildOptions
from omnipub.serve import Session, start
from omnipub_channels.web import HEADERS

pytestmark = pytest.mark.browser

SITE = """\
-- omnipub.toml --
[site]
title = "Board"
timezone = "Europe/Oslo"
[languages.en]
name = "English"
[languages.nb]
name = "Norsk"
[channels.web]
base_url = "https://w.example/"
[channels.mobile]
base_url = "https://m.example/"
[channels.signage]
base_url = "https://s.example/"
[[channels.signage.stores]]
id = "oslo"
name = "Oslo"
timezone = "Europe/Oslo"
languages = ["en"]
[[channels.signage.screens]]
id = "door"
store = "oslo"
zone = "entrance"
resolution = "1920x1080"
[[channels.signage.screens]]
id = "till"
store = "oslo"
zone = "checkout"
resolution = "1080x1920"
-- content/articles/_index.md --
---
cascade: {type: article}
---
-- content/articles/hello.md --
---
id: hello
title: Hello
date: 2026-01-01
---
Hi.
-- content/articles/hello.nb.md --
---
title: Hei
---
Hei.
-- content/articles/later.md --
---
id: later
title: Later
date: 2026-01-01
publish_at: 2030-01-01T09:00
---
Not yet.
-- content/promotions/_index.md --
---
cascade: {type: promotion}
---
-- content/promotions/sale.md --
---
id: sale
title: Sale
valid_from: 2026-01-01T00:00
valid_until: 2031-01-01T00:00
---
Everything.
"""

HOSTILE_TITLE = "\"><img src=x onerror=alert(document.domain)>'><svg onload=alert(2)>"
HOSTILE_ID = "x'onload='alert(document.domain)'"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str, Session]]:
    root = write_site(tmp_path / "site", SITE)
    httpd, session, stop = start(BuildOptions(root=root, executor="serial"), "127.0.0.1", 0)
    assert not session.errors, [d.format() for d in session.errors]
    try:
        yield root, f"http://127.0.0.1:{httpd.server_address[1]}/", session
    finally:
        stop.set()
        httpd.shutdown()


def wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_hostile_values_never_run_on_the_board(browser, served) -> None:
    root, base, session = served
    (root / "content/articles/evil.md").write_text(
        f"---\nid: evil\ntitle: '{HOSTILE_TITLE.replace(chr(39), chr(39) * 2)}'\n"
        'tags: ["<script>alert(3)</script>"]\n---\nBody\n'
    )
    wait_for(lambda: session.result is not None and ("evil", "en") in session.result.site.by_key)
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        hostile_query = quote(HOSTILE_TITLE)
        for path in (
            "_preview/",
            f"_preview/?type={hostile_query}&channel={hostile_query}",
            "_preview/evil?lang=en",
            f"_preview/evil?lang={hostile_query}",
        ):
            page.goto(base + path, wait_until="load")
            page.wait_for_timeout(300)
        page.goto(base + "_preview/evil?lang=en", wait_until="load")
        assert page.locator("h1").inner_text() == HOSTILE_TITLE  # shown as text, not markup
        assert page.locator("img[src=x], svg").count() == 0
        # now the id itself is hostile: a located error, shown on the open board as text
        source = root / "content/articles/evil.md"
        source.write_text(source.read_text().replace("id: evil", f"id: {HOSTILE_ID}"))
        overlay = page.locator("#omnipub-overlay")
        overlay.locator("text=error[id.invalid]").wait_for(timeout=30_000)
        assert HOSTILE_ID in overlay.locator(".box").inner_text()
        page.goto(base + "_preview/" + quote(HOSTILE_ID) + "?lang=en", wait_until="load")
        page.wait_for_timeout(500)
        assert page.evaluate("document.querySelectorAll('iframe').length") == 0
    finally:
        page.close()
    assert dialogs == []


def test_overlay_wraps_and_shows_the_lines_around_the_error(browser, served) -> None:
    root, base, session = served
    page = browser.new_page(viewport={"width": 400, "height": 700})
    try:
        page.goto(base + "articles/hello/", wait_until="load")
        (root / "content/articles/hello.md").write_text(
            "---\nid: hello\ntitle: Hello\ndate: 2026-01-01\n"
            "summary: [an unclosed list that goes on and on, well past the width of a narrow "
            "editor pane, so that only wrapping shows all of it\ntags: [a]\n---\nHi.\n"
        )
        wait_for(lambda: bool(session.errors))
        box = page.locator("#omnipub-overlay")
        box.locator("text=error[front-matter.syntax]").wait_for(timeout=30_000)
        geometry = page.evaluate(
            """() => {
              const root = document.getElementById('omnipub-overlay').shadowRoot;
              const box = root.querySelector('.box');
              const lines = [...root.querySelectorAll('.line')].map((row) => ({
                n: row.querySelector('.n').textContent,
                text: row.querySelector('.t').textContent,
                current: row.classList.contains('current'),
                right: row.querySelector('.t').getBoundingClientRect().right,
              }));
              return {scroll: box.scrollWidth, client: box.clientWidth, width: innerWidth,
                      text: box.innerText, lines};
            }"""
        )
        assert geometry["scroll"] <= geometry["client"] <= 400  # nothing runs off the side
        assert "content/articles/hello.md:" in geometry["text"]
        numbers = [row["n"] for row in geometry["lines"]]
        current = [row for row in geometry["lines"] if row["current"]]
        assert len(current) == 1 and numbers[0] != current[0]["n"] != numbers[-1]
        assert any(row["text"] == "date: 2026-01-01" for row in geometry["lines"])
        assert all(row["right"] <= 400 for row in geometry["lines"])
        page.screenshot(path=str(Path(__file__).parent.parent / "test-artifacts/overlay.png"))
    finally:
        page.close()


def test_board_filters_and_clock(browser, served) -> None:
    _root, base, _session = served
    page = browser.new_page(viewport={"width": 1000, "height": 800})

    def titles() -> list[str]:
        return sorted(page.locator(".card .title").all_inner_texts())

    try:
        page.goto(base + "_preview/", wait_until="load")
        assert titles() == ["Hei", "Hello", "Later", "Sale"]
        with page.expect_navigation():
            page.select_option("select[name=type]", "promotion")  # submits by itself
        assert titles() == ["Sale"] and "type=promotion" in page.url
        page.goto(base + "_preview/", wait_until="load")
        with page.expect_navigation():
            page.select_option("select[name=lang]", "nb")
        assert titles() == ["Hei"]
        page.goto(base + "_preview/", wait_until="load")
        with page.expect_navigation():
            page.select_option("select[name=visibility]", "future")
        assert titles() == ["Later"]
        page.goto(base + "_preview/", wait_until="load")
        with page.expect_navigation():
            page.select_option("select[name=channel]", "signage")
        assert titles() == ["Sale"]
        # the clock: a date-time control; moving it shows the scheduled item as visible
        clock = page.locator("input[type=datetime-local][name=at]")
        assert clock.input_value()[:4].isdigit()
        clock.fill("2030-06-01T12:00")
        with page.expect_navigation():
            page.click("form.clock button")
        assert "at=2030-06-01T12%3A00" in page.url
        assert titles() == ["Sale"] and page.locator("select[name=channel]").input_value() == (
            "signage"
        )  # the filters stay
        with page.expect_navigation():
            page.select_option("select[name=channel]", "")
        card = page.locator(".card", has_text="Later")
        assert card.locator(".state").inner_text() == "visible"
        page.screenshot(path=str(Path(__file__).parent.parent / "test-artifacts/board.png"))
    finally:
        page.close()


def test_frames_follow_each_screen_shape(browser, served) -> None:
    _root, base, _session = served
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(base + "_preview/sale?lang=en", wait_until="load")
        page.wait_for_timeout(500)
        shapes = page.evaluate(
            """() => [...document.querySelectorAll('figure.thumb')].map((card) => {
              const frame = card.querySelector('.frame').getBoundingClientRect();
              const inner = card.querySelector('iframe');
              return {label: card.querySelector('figcaption span').textContent,
                      width: frame.width, height: frame.height,
                      viewport: [inner.contentWindow.innerWidth, inner.contentWindow.innerHeight]};
            })"""
        )
        by_label = {shape["label"]: shape for shape in shapes}
        assert set(by_label) >= {"web", "mobile", "signage · door", "signage · till"}
        door, till = by_label["signage · door"], by_label["signage · till"]
        assert door["viewport"] == [1920, 1080] and till["viewport"] == [1080, 1920]
        assert door["width"] / door["height"] == pytest.approx(1920 / 1080, rel=0.02)
        assert till["height"] / till["width"] == pytest.approx(1920 / 1080, rel=0.02)
        assert by_label["mobile"]["viewport"] == [390, 844]
        assert list(by_label)[0] == "web"  # the canonical channel leads
        page.screenshot(
            path=str(Path(__file__).parent.parent / "test-artifacts/board-item.png"),
            full_page=True,
        )
    finally:
        page.close()


def _rules() -> list[tuple[str, list[tuple[str, str]]]]:
    """The `_headers` file as Netlify reads it: a path pattern, then indented headers."""
    rules: list[tuple[str, list[tuple[str, str]]]] = []
    for line in HEADERS.splitlines():
        if line.startswith("/"):
            rules.append((line.strip(), []))
        elif line.strip():
            name, _sep, value = line.strip().partition(":")
            rules[-1][1].append((name.strip(), value.strip()))
    return rules


def test_web_pages_keep_their_content_security_policy(browser, sample_build) -> None:
    _result, public = sample_build
    web = public / "web"
    rules = _rules()
    policy = [v for _p, headers in rules for n, v in headers if n == "Content-Security-Policy"]
    assert (
        policy
        and "script-src 'self'" in policy[0]
        and "'unsafe-inline'" not in policy[0].split("style-src-attr")[0]
    )

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(web), **kwargs)

        def end_headers(self) -> None:
            for pattern, headers in rules:
                if fnmatch(self.path.split("?")[0], pattern):
                    for name, value in headers:
                        self.send_header(name, value)
            super().end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    pages = sorted(
        p.relative_to(web).as_posix().removesuffix("index.html")
        for p in web.rglob("*.html")
        # alias pages only redirect, to the production host (no network here)
        if "/page/" not in p.as_posix() and b'http-equiv="refresh"' not in p.read_bytes()
    )
    context = browser.new_context()
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    try:
        for path in pages:
            response = page.goto(base + path, wait_until="load")
            assert response is not None and response.ok, path
            assert "Content-Security-Policy" in response.headers or (
                "content-security-policy" in response.headers
            )
        assert violations == [], violations[:5]
        # the policy is enforced: an injected inline script is refused and reported
        page.goto(base, wait_until="load")
        page.evaluate(
            "() => { const s = document.createElement('script'); "
            "s.textContent = 'window.__ran = true'; document.body.append(s); }"
        )
        page.wait_for_timeout(200)
        assert page.evaluate("window.__ran === undefined")
        assert violations, "the injected script went unreported"
    finally:
        context.close()
        server.shutdown()
