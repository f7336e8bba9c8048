"""QR codes that scan (issue 17): every slide of every sample screen rendered in Chromium at
the screen's resolution, every code decoded from the screenshot with zxing-cpp."""

from __future__ import annotations

import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import segno
import zxingcpp
from PIL import Image
from test_signage_player import serve

from conftest import FIXED_AT, build_memory, write_site
from omnipub.diagnostics import BuildFailed
from omnipub_channels.signage.qr import MIN_MODULE, QUIET_ZONE, card_room, fit_qr


def expected_url(result, item_id: str, lang: str) -> str:
    """The item's mobile page when it has one, else its web page."""
    for channel in ("mobile", "web"):
        route = result.plan.item_routes.get((channel, item_id, lang))
        if route is not None:
            return route.url
    raise AssertionError(f"{item_id} ({lang}) has no page")


@pytest.mark.browser
def test_every_code_on_every_sample_screen_scans(browser, sample_build, artifacts_dir) -> None:
    result, public = sample_build
    server, base = serve(public / "signage")
    decoded: dict[str, int] = {}
    try:
        for path in sorted((public / "signage/playlists").glob("*.json")):
            playlist = json.loads(path.read_text())
            screen = playlist["screen"]
            size = {"width": screen["width"], "height": screen["height"]}
            context = browser.new_context(viewport=size)
            page = context.new_page()
            try:
                decoded[screen["id"]] = 0
                for slide in playlist["slides"]:
                    page.goto(f"{base}playlists/{slide['url']}", wait_until="load")
                    card = page.locator("figure.qr")
                    box = card.bounding_box()
                    assert box is not None
                    # the whole card is on the screen and the code is whole pixels a module
                    assert box["x"] >= 0 and box["y"] >= 0
                    assert box["x"] + box["width"] <= size["width"]
                    assert box["y"] + box["height"] <= size["height"]
                    module = int(card.get_attribute("data-module-px") or 0)
                    modules = int(card.get_attribute("data-modules") or 0)
                    code = card.locator("svg").bounding_box()
                    assert code is not None and code["width"] == modules * module
                    assert module >= MIN_MODULE
                    png = page.screenshot(
                        clip={
                            "x": max(0, box["x"] - 40),
                            "y": max(0, box["y"] - 40),
                            "width": min(size["width"], box["width"] + 80),
                            "height": min(size["height"], box["height"] + 80),
                        }
                    )
                    found = [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
                    want = expected_url(result, slide["item"], slide["lang"])
                    assert len(found) == 1, (screen["id"], slide["item"], found)
                    url = urlsplit(found[0])
                    assert f"{url.scheme}://{url.netloc}{url.path}" == want
                    assert parse_qs(url.query) == {
                        "utm_source": ["signage"],
                        "utm_medium": ["screen"],
                        "utm_campaign": [screen["store"]],
                        "utm_content": [screen["id"]],
                    }
                    decoded[screen["id"]] += 1
                page.screenshot(path=str(artifacts_dir / f"signage-qr-{screen['id']}.png"))
            finally:
                context.close()
    finally:
        server.shutdown()
    print("decoded QR codes per screen:", decoded)
    counts = {
        p.stem: len(json.loads(p.read_text())["slides"])
        for p in (public / "signage/playlists").glob("*.json")
    }
    assert decoded == counts and all(counts.values())


def test_the_code_fills_its_card_at_whole_pixels_a_module() -> None:
    url = "https://m.example/promotions/a-long-enough-slug/?utm_source=signage&utm_content=x"
    for width, height, orientation in (
        (1920, 1080, "landscape"),
        (1080, 1920, "portrait"),
        (3840, 2160, "landscape"),
    ):
        code = fit_qr(url, width, height, orientation, MIN_MODULE)
        room = card_room(width, height, orientation)
        assert code.size_px == code.modules * code.module_px <= room
        # as large as the card allows: one more pixel a module would not fit
        assert code.modules * (code.module_px + 1) > room
        symbol = segno.make(url, error="m", micro=False).symbol_size(scale=1, border=0)[0]
        assert code.modules == symbol + 2 * QUIET_ZONE  # the quiet zone is drawn, all of it


SITE = """\
-- omnipub.toml --
[site]
title = "Shop"
timezone = "Europe/Oslo"
[languages.en]
name = "English"
[channels.web]
base_url = "https://www.example.com/{base}/"
[channels.signage]
base_url = "https://s.example/"
[[channels.signage.stores]]
id = "oslo"
timezone = "Europe/Oslo"
[[channels.signage.screens]]
id = "till"
store = "oslo"
resolution = "1080x1920"
orientation = "portrait"
-- content/promotions/_index.md --
---
cascade: {type: promotion}
---
-- content/promotions/wool.md --
---
title: Wool
slug: wool-week
valid_from: 2026-11-01T00:00:00+01:00
valid_until: 2027-01-01T00:00:00+01:00
---
Body.
"""


def test_a_code_too_dense_for_its_screen_is_a_located_error(tmp_path) -> None:
    # 1080 px wide: a 432 px card holds 432 // 6 = 72 modules, the quiet zone included
    root = write_site(tmp_path / "long", SITE.replace("{base}", "shop/" + "x" * 300))
    with pytest.raises(BuildFailed) as failed:
        build_memory(root, at=FIXED_AT)
    (problem,) = [d for d in failed.value.diagnostics if d.code == "signage.qr-too-small"]
    text = problem.format()
    assert "content/promotions/wool.md:3" in text  # the slug's line
    assert "screen 'till'" in text and "item " in text and "under the minimum of 6 px" in text
    # the same page with a short address builds, and its code is at the minimum or above
    root = write_site(tmp_path / "short", SITE.replace("{base}", "shop"))
    _result, sink = build_memory(root, at=FIXED_AT)
    slide = next(iter(v for k, v in sink.files["signage"].items() if k.startswith("slides/")))
    assert b'data-module-px="' in slide and b"https://www.example.com/shop/" in slide
