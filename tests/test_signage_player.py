"""The signage player in Chromium, as a store runs it (issue 17): fresh prices without a
reload, any address (domain root, sub-path, `omnipub serve`, file://), offline from the
first load, and the idle slide."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from conftest import FIXED_AT, write_site
from omnipub.build import BuildOptions, build

SITE = """\
-- omnipub.toml --
[site]
title = "Fjordlys"
timezone = "Europe/Oslo"
[languages.en]
name = "English"
[channels.web]
base_url = "https://w.example/"
[channels.mobile]
base_url = "https://m.example/"
[channels.signage]
base_url = "https://s.example/"
min_duration = 2
[[channels.signage.stores]]
id = "oslo"
name = "Oslo Karl Johan"
timezone = "Europe/Oslo"
[[channels.signage.screens]]
id = "door"
store = "oslo"
resolution = "1920x1080"
duration = 3
-- content/products/_index.md --
---
cascade: {type: product}
---
-- content/products/sweater.md --
---
title: Merino sweater
price: 1299.00
currency: NOK
sku: "S-1"
availability: in_stock
image: images/sweater.png
channels:
  signage: {priority: 5}
---
Warm.
-- content/promotions/_index.md --
---
cascade: {type: promotion}
---
-- content/promotions/wool.md --
---
title: Wool week
valid_from: 2026-11-01T00:00:00+01:00
valid_until: 2027-01-01T00:00:00+01:00
image: images/wool.png
---
Wool.
"""
#: the screen's clock in the tests: a Wednesday morning in Oslo
SCREEN_TIME = "2026-12-02T08:00:00Z"
POLL = 1  # seconds, the player's `?poll=` for the tests


def make_site(root: Path, spec: str = SITE) -> Path:
    write_site(root, spec)
    for rel, colour in (
        ("products/images/sweater.png", "navy"),
        ("promotions/images/wool.png", "darkred"),
    ):
        path = root / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (800, 450), colour).save(path)
    build(BuildOptions(root=root, at=FIXED_AT, write_lock=False))
    return root


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test site, built once for the tests that only read it."""
    return make_site(tmp_path_factory.mktemp("signage") / "site")


@pytest.fixture
def store(built: Path, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A private copy of the built site, its signage folder served at a domain root."""
    root = tmp_path / "site"
    shutil.copytree(built, root)
    server, base = serve(root / "public/signage")
    try:
        yield root, base
    finally:
        server.shutdown()


def open_player(context, url: str):
    """The player at `url`, its clock frozen at SCREEN_TIME: it moves only when told."""
    page = context.new_page()
    at = dt.datetime.fromisoformat(SCREEN_TIME)
    page.clock.install(time=at - dt.timedelta(seconds=10))
    page.clock.pause_at(at)
    page.goto(url, wait_until="load")
    return page


def step(page, ms: int = 250) -> None:
    page.clock.run_for(ms)
    page.wait_for_timeout(20)  # real loads finish between the screen's ticks


def until(page, expression: str, budget_ms: int) -> int:
    """Run the screen's clock until `expression` holds; returns the screen time it took."""
    spent = 0
    while not page.evaluate(expression):
        assert spent < budget_ms, f"not within {budget_ms} ms of screen time: {expression}"
        step(page)
        spent += 250
    return spent


def on_screen(page) -> dict:
    """What the front frame shows: its headline, facts, and whether its images loaded."""
    src = page.evaluate(
        "document.querySelector('iframe.on') && document.querySelector('iframe.on').src"
    )
    assert src, "no slide on screen"
    frame = next(f for f in page.frames if f.url == src)
    return frame.evaluate(
        """() => ({
            headline: document.querySelector('.headline').textContent,
            facts: (document.querySelector('.facts') || {}).textContent || '',
            images: [...document.images].map(i => i.complete && i.naturalWidth > 0),
        })"""
    )


def plays_every_slide(page, titles: set[str]) -> None:
    """The loop shows every slide with its images, in whatever order."""
    seen: dict[str, list[bool]] = {}
    budget = 20_000
    while set(seen) != titles:
        until(page, "!!window.omnipubPlayer && !!window.omnipubPlayer.current", budget)
        shown = on_screen(page)
        if shown["images"] and all(shown["images"]):
            seen[shown["headline"]] = shown["images"]
        step(page, 500)
        budget -= 500
        assert budget > 0, f"saw {sorted(seen)} of {sorted(titles)}"


@pytest.mark.browser
def test_a_changed_price_is_on_screen_within_a_poll_without_reload(browser, store) -> None:
    root, base = store
    context = browser.new_context(viewport={"width": 960, "height": 540})
    try:
        page = open_player(context, f"{base}screens/door/?poll={POLL}")
        until(page, "!!window.omnipubPlayer.current", 5_000)
        assert "1 299" in on_screen(page)["facts"] or "1,299" in on_screen(page)["facts"]
        page.evaluate("window.stillTheSamePage = true")
        source = root / "content/products/sweater.md"
        source.write_text(source.read_text().replace("1299.00", "999.00"))
        build(BuildOptions(root=root, at=FIXED_AT, write_lock=False))
        # one poll, then at most the rest of the slide on screen (3 s)
        latency = until(
            page,
            "(() => { const f = document.querySelector('iframe.on'); const d = f && "
            "f.contentDocument; const facts = d && d.querySelector('.facts'); "
            "return !!facts && facts.textContent.includes('999') && "
            "!facts.textContent.includes('1 299') && !facts.textContent.includes('1,299') })()",
            (POLL + 3) * 1000,
        )
        print(f"new price on screen {latency} ms (screen time) after the rebuild")
        assert page.evaluate("window.stillTheSamePage === true")  # no reload
        # the new loop plays only the new playlist: every slide shown is of its versions
        new = page.evaluate("window.omnipubPlayer.playlist.slides.map(s => s.version)")
        for _ in range(32):  # two loops of the two 3 s slides
            assert page.evaluate("window.omnipubPlayer.currentVersion") in new
            step(page)
        assert page.evaluate("window.omnipubPlayer.pending") is None
    finally:
        context.close()


def _subpath(folder: Path, tmp: Path) -> tuple[Path, str]:
    served = tmp / "htdocs"
    shutil.copytree(folder, served / "some/sub/path")
    return served, "some/sub/path/"


@pytest.mark.browser
@pytest.mark.parametrize("where", ["root", "sub-path", "file", "omnipub-serve"])
def test_the_player_plays_from_any_address(browser, built, tmp_path: Path, where: str) -> None:
    root = built
    folder = root / "public/signage"
    stop = None
    if where == "root":
        server, base = serve(folder)
        url = f"{base}screens/door/"
    elif where == "sub-path":
        served, prefix = _subpath(folder, tmp_path)
        server, base = serve(served)
        url = f"{base}{prefix}screens/door/"
    elif where == "file":
        server, url = None, (folder / "screens/door/index.html").as_uri()
    else:
        from omnipub.serve import start

        server, _session, stop = start(
            BuildOptions(root=root, at=FIXED_AT, executor="serial"), "127.0.0.1", 0
        )
        url = f"http://127.0.0.1:{server.server_address[1]}/_/signage/screens/door/"
        time.sleep(0.3)
    context = browser.new_context(viewport={"width": 960, "height": 540})
    try:
        page = open_player(context, url)
        plays_every_slide(page, {"Merino sweater", "Wool week"})
    finally:
        context.close()
        if stop is not None:
            stop.set()
        if server is not None:
            server.shutdown()


@pytest.mark.browser
def test_after_one_online_load_it_plays_offline(browser, store) -> None:
    _root, base = store
    context = browser.new_context(viewport={"width": 960, "height": 540})
    try:
        page = open_player(context, f"{base}screens/door/")
        # the service worker controls the page from the first load and holds the screen
        until(
            page, "!!navigator.serviceWorker.controller && !!window.omnipubPlayer.offline", 10_000
        )
        context.set_offline(True)
        page.reload(wait_until="load")
        plays_every_slide(page, {"Merino sweater", "Wool week"})
    finally:
        context.set_offline(False)
        context.close()


@pytest.mark.browser
def test_a_screen_with_nothing_on_the_air_shows_the_idle_slide(browser, tmp_path: Path) -> None:
    spec = SITE.replace(
        "  signage: {priority: 5}", '  signage: {priority: 5, hours: "20:00-21:00"}'
    )
    spec = spec.replace(
        "image: images/wool.png\n",
        'image: images/wool.png\nchannels:\n  signage: {hours: "20:00-21:00"}\n',
    )
    root = make_site(tmp_path / "site", spec)
    server, base = serve(root / "public/signage")
    context = browser.new_context(viewport={"width": 960, "height": 540})
    try:
        page = open_player(context, f"{base}screens/door/")  # 09:00 in Oslo
        until(page, "window.omnipubPlayer.current === 'idle'", 5_000)
        idle = page.locator("#idle")
        assert idle.is_visible()
        assert idle.locator(".brand").text_content() == "Fjordlys"
        assert idle.locator(".store").text_content() == "Oslo Karl Johan"
        assert "09:00" in idle.locator("#clock").text_content()  # the store's time
        # at 20:00 the slides come on the air and the idle slide goes
        page.clock.fast_forward("11:00:00")
        until(page, "window.omnipubPlayer.current !== 'idle'", 10_000)
        assert not idle.is_visible()
    finally:
        context.close()
        server.shutdown()
