"""The signage channel: playlists with schedules, legible slides, and the player in Chromium."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import FIXED_AT, REPO, write_site
from omnipub.build import BuildOptions, build
from omnipub.diagnostics import BuildFailed

CONFIG = """\
-- omnipub.toml --
[site]
title = "Screens"
timezone = "Europe/Oslo"
[languages.en]
name = "English"
[languages.nb]
name = "Norsk"
locale = "nb_NO"
[channels.web]
base_url = "https://w.example/"
[channels.signage]
base_url = "https://s.example/"
[[channels.signage.stores]]
id = "oslo"
name = "Oslo"
timezone = "Europe/Oslo"
languages = ["nb"]
[[channels.signage.stores]]
id = "nyc"
name = "New York"
timezone = "America/New_York"
languages = ["en"]
[[channels.signage.screens]]
id = "oslo-door"
store = "oslo"
zone = "entrance"
resolution = "1920x1080"
duration = 5
[[channels.signage.screens]]
id = "nyc-till"
store = "nyc"
zone = "checkout"
resolution = "1080x1920"
orientation = "portrait"
duration = 4
-- content/promotions/_index.md --
---
cascade: {type: promotion}
---
"""

PROMO = """\
-- content/promotions/{slug}.md --
---
title: {title}
summary: Short line
valid_from: 2026-11-01T00:00:00+01:00
valid_until: {until}
{extra}---
Body.
"""


def promo(
    slug: str, title: str = "Wool -30%", until: str = "2027-01-01T00:00:00+01:00", extra: str = ""
) -> str:
    return PROMO.format(slug=slug, title=title, until=until, extra=extra)


def test_playlists_carry_schedules_in_the_store_zone(site) -> None:
    root = site(
        CONFIG
        + promo("wool", until="2026-12-24T16:00:00+01:00")
        + promo(
            "coffee",
            "Free coffee",
            extra='channels:\n  signage: {hours: "22:00-02:00", days: [fri, sat], '
            "stores: [nyc], priority: 5}\n",
        )
        + "-- content/promotions/wool.nb.md --\n---\ntitle: Ull -30%\n---\nTekst.\n"
    )
    build(BuildOptions(root=root, at=FIXED_AT, write_lock=False))
    oslo = json.loads((root / "public/signage/playlists/oslo-door.json").read_text())
    nyc = json.loads((root / "public/signage/playlists/nyc-till.json").read_text())
    assert [s["title"] for s in oslo["slides"]] == ["Ull -30%"]  # the store's language
    wool = oslo["slides"][0]
    assert wool["duration"] == 5 and wool["lang"] == "nb"
    # a promotion leaves the screens at the very instant it leaves the web
    assert wool["schedule"]["until"] == "2026-12-24T16:00:00+01:00"
    assert wool["schedule"]["timezone"] == "Europe/Oslo"
    assert [s["title"] for s in nyc["slides"]] == ["Free coffee", "Wool -30%"]  # priority first
    coffee = nyc["slides"][0]["schedule"]
    assert coffee == {
        "days": ["fri", "sat"],
        "from": "2026-11-01T00:00:00+01:00",
        "hours": "22:00-02:00",
        "timezone": "America/New_York",
        "until": "2027-01-01T00:00:00+01:00",
    }
    slide = (root / "public/signage/slides/nyc-till/").glob("*.html")
    html = "".join(p.read_text() for p in slide)
    assert "utm_campaign=nyc" in html and "utm_content=nyc-till" in html and "<svg" in html


def test_hidden_items_are_on_no_screen(site) -> None:
    root = site(CONFIG + promo("old", "OLDPROMO", until="2026-11-15T00:00:00+01:00"))
    build(BuildOptions(root=root, at=FIXED_AT, write_lock=False))
    for path in (root / "public/signage").rglob("*"):
        if path.is_file():
            assert b"OLDPROMO" not in path.read_bytes(), path


def test_text_fit_warns_with_the_fix_and_strict_fails(site) -> None:
    root = site(CONFIG + promo("long", "An exceptionally long headline that no shopper will read"))
    result = build(BuildOptions(root=root, at=FIXED_AT, write_lock=False))
    text = "\n".join(d.format() for d in result.diagnostics.warnings)
    assert "content/promotions/long.md:2: warning[signage.text-too-long]" in text
    assert 'channels: {signage: {title: "..."}}' in text
    with pytest.raises(BuildFailed):
        build(BuildOptions(root=root, at=FIXED_AT, strict=True, write_lock=False))


def test_absurd_duration_is_an_error(site) -> None:
    root = site(CONFIG + promo("x", extra="channels:\n  signage: {duration: 86400}\n"))
    with pytest.raises(BuildFailed) as failed:
        build(BuildOptions(root=root, at=FIXED_AT, write_lock=False))
    found = failed.value.diagnostics[0]
    assert found.code == "signage.duration" and found.location.line == 7


def test_a_misspelt_screen_zone_or_store_is_an_error_with_the_right_one(site) -> None:
    """A typo in what a slide is aimed at would take it off every screen without a word."""
    aimed = (
        "channels:\n  signage: {screens: [oslo-dor], zones: [entrance, chekout], stores: [olso]}\n"
    )
    event = """\
-- content/events/knit.md --
---
type: event
title: Knitting
start: 2026-12-03T18:00:00+01:00
end: 2026-12-03T21:00:00+01:00
store: nyk
---
Bring needles.
"""
    root = site(CONFIG + promo("x", extra=aimed) + event)
    with pytest.raises(BuildFailed) as failed:
        build(BuildOptions(root=root, at=FIXED_AT, write_lock=False))
    found = {
        (d.location.path, d.location.line, d.message.split()[0], d.hint.split("?")[0])
        for d in failed.value.diagnostics
        if d.code == "signage.target"
    }
    assert found == {
        ("content/promotions/x.md", 6, "'oslo-dor'", "did you mean 'oslo-door'"),
        ("content/promotions/x.md", 6, "'chekout'", "did you mean 'checkout'"),
        ("content/promotions/x.md", 6, "'olso'", "did you mean 'oslo'"),
        ("content/events/knit.md", 6, "'nyk'", "did you mean 'nyc'"),
    }


def test_an_events_store_must_be_one_of_the_sites_stores(sample_copy: Path) -> None:
    path = sample_copy / "content/events/knitting-evening-oslo.md"
    path.write_text(path.read_text().replace("store: oslo\n", "store: olso\n"))
    with pytest.raises(BuildFailed) as failed:
        build(BuildOptions(root=sample_copy, at=FIXED_AT, write_lock=False))
    [found] = failed.value.diagnostics
    assert found.code == "front-matter.store"
    assert (found.location.path, found.location.line) == (
        "content/events/knitting-evening-oslo.md",
        7,
    )
    assert found.hint.startswith("did you mean 'oslo'?")


def test_language_fallback_warns(site) -> None:
    root = site(CONFIG + promo("only-en"))
    result = build(BuildOptions(root=root, at=FIXED_AT, write_lock=False))
    assert any(d.code == "signage.language-fallback" for d in result.diagnostics.warnings)


# --- the player ---------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    spec = (
        CONFIG.replace('languages = ["nb"]', 'languages = ["en"]')
        + promo("one", "First", extra="channels:\n  signage: {priority: 3}\n")
        + promo(
            "two", "Second", extra='channels:\n  signage: {priority: 2, hours: "09:00-10:00"}\n'
        )
        + promo("three", "Third", extra="channels:\n  signage: {priority: 1}\n")
    )
    root = write_site(tmp_path / "site", spec)
    build(BuildOptions(root=root, at=FIXED_AT, write_lock=False))
    folder = root / "public/signage"
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


def _shown(page) -> list[str]:
    return [s.split("/")[1] for s in page.evaluate("window.omnipubPlayer.shown")]


def _until(page, expression: str, fake_ms: int, step: int = 500) -> None:
    """Move the page's clock forward in steps, letting real loads finish in between, until
    `expression` holds; fail if it does not within `fake_ms` of screen time."""
    spent = 0
    while not page.evaluate(expression):
        assert spent <= fake_ms, f"not within {fake_ms} ms of screen time: {expression}"
        page.clock.run_for(step)
        page.wait_for_timeout(15)
        spent += step


@pytest.mark.browser
def test_player_follows_durations_and_schedules_offline_too(browser, served, artifacts_dir):
    folder, base = served
    ids = {
        s["title"]: s["item"]
        for s in json.loads((folder / "playlists/oslo-door.json").read_text())["slides"]
    }
    context = browser.new_context(viewport={"width": 960, "height": 540})
    page = context.new_page()
    try:
        # 08:00 in Oslo: "Second" (09:00-10:00) is off the air
        page.clock.install(time="2026-12-02T06:59:50Z")
        page.clock.pause_at("2026-12-02T07:00:00Z")  # time moves only when the test says
        page.goto(base + "screens/oslo-door/?poll=2", wait_until="load")
        _until(page, "window.omnipubPlayer && !!window.omnipubPlayer.current", 5_000)
        assert _shown(page) == [ids["First"]]
        # each slide stays for its duration (5 s), then the next one on the air follows
        page.clock.run_for(4_000)
        page.wait_for_timeout(50)
        assert _shown(page) == [ids["First"]]
        _until(page, "window.omnipubPlayer.shown.length >= 2", 3_000)
        assert _shown(page)[:2] == [ids["First"], ids["Third"]]
        assert ids["Second"] not in _shown(page)
        # at 09:00 "Second" comes on the air and joins the rotation
        page.clock.run_for(3_600_000)
        _until(
            page,
            f"window.omnipubPlayer.shown.slice(-3).some(s => s.endsWith('{ids['Second']}'))",
            30_000,
        )
        page.screenshot(path=str(artifacts_dir / "signage-player.png"))
        # the network drops: playback goes on from the cache
        context.set_offline(True)
        before = page.evaluate("window.omnipubPlayer.count")
        _until(page, f"window.omnipubPlayer.count >= {before + 3}", 30_000)
        context.set_offline(False)
        # a new playlist is picked up, and switched to at a slide boundary
        playlist = json.loads((folder / "playlists/oslo-door.json").read_text())
        playlist["slides"] = [s for s in playlist["slides"] if s["title"] == "Third"]
        (folder / "playlists/oslo-door.json").write_text(json.dumps(playlist))
        _until(page, "window.omnipubPlayer.playlist.slides.length === 1", 30_000)
        count = page.evaluate("window.omnipubPlayer.count")
        _until(page, f"window.omnipubPlayer.count >= {count + 2}", 30_000)
        assert set(_shown(page)[-2:]) == {ids["Third"]}
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize(
    ("screen", "size"), [("oslo-door", (1920, 1080)), ("nyc-till", (1080, 1920))]
)
def test_slides_fit_their_screen(browser, served, artifacts_dir, screen, size) -> None:
    folder, base = served
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    try:
        for slide in sorted((folder / "slides" / screen).glob("*.html")):
            page.goto(base + f"slides/{screen}/{slide.name}", wait_until="load")
            overflow = page.evaluate(
                """() => [...document.querySelectorAll('h1, p, figcaption')].filter(
                     e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1
                   ).map(e => e.textContent)"""
            )
            assert overflow == [], (slide.name, overflow)
            page_size = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            assert page_size == list(size)
        page.screenshot(path=str(artifacts_dir / f"signage-{screen}.png"))
    finally:
        context.close()


def test_sample_site_has_two_zones_and_three_screens(tmp_path: Path) -> None:
    root = tmp_path / "s"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy2(REPO / "omnipub.toml", root / "omnipub.toml")
    result = build(BuildOptions(root=root, at=FIXED_AT, strict=True, write_lock=False))
    signage = next(c for c in result.channels if c.name == "signage")
    assert len(signage.screens) == 3
    assert len({s.zone.key for s in signage.stores.values()}) == 2
