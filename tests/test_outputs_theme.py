"""The built-in theme as a retailer ships it, measured in Chromium over HTTP: a product
page with picture and facts side by side and a call to action, cards of even height, a
header that does not shift, room above the heading, footer navigation, a home page that
leads with offers and events, dark mode, and images with explicit sizes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from conftest import build_memory, http_server
from omnipub.scaffold import FILES

BOX = """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, height: r.height}; }"""


@pytest.fixture(scope="module")
def web(sample_build: Any) -> Path:
    return Path(sample_build[1]) / "web"


@pytest.mark.browser
def test_a_product_page_sets_picture_and_facts_side_by_side_with_a_call_to_action(
    web: Path, browser: Any
) -> None:
    with http_server(web) as origin:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        try:
            page.goto(origin + "/products/merino-sweater/")
            hero, buy = page.evaluate(BOX, ".product-top .hero"), page.evaluate(BOX, ".buy")
            button = page.get_attribute("a.button-buy", "href")
            header, title = page.evaluate(BOX, ".site-header"), page.evaluate(BOX, "h1")
            header_height = header["height"]
            page.goto(origin + "/")  # no section is current here
            home_header = page.evaluate(BOX, ".site-header")["height"]
            page.set_viewport_size({"width": 390, "height": 800})
            page.goto(origin + "/products/merino-sweater/")
            narrow = page.evaluate(BOX, ".product-top .hero"), page.evaluate(BOX, ".buy")
        finally:
            page.close()
    assert buy["left"] >= hero["right"] and abs(buy["top"] - hero["top"]) < 40
    assert hero["right"] - hero["left"] > 500 and buy["right"] > 1100  # uses the width
    assert button == "https://shop.fjordlys.example/merino-sweater-fjell"
    assert narrow[1]["top"] >= narrow[0]["bottom"]  # stacked on a phone
    assert home_header == header_height, "the header does not shift between pages"
    assert title["top"] - header["bottom"] >= 24, "the heading has room above it"


@pytest.mark.browser
def test_cards_of_a_row_are_even_and_the_home_page_leads_with_offers_and_events(
    web: Path, browser: Any
) -> None:
    with http_server(web) as origin:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(origin + "/products/")
            cards = page.evaluate(
                "() => [...document.querySelectorAll('.card')].map(c => "
                "[Math.round(c.getBoundingClientRect().top), c.getBoundingClientRect().height])"
            )
            page.goto(origin + "/")
            lead = page.evaluate(
                "() => [...document.querySelectorAll('main h2')].slice(0, 3).map(h => "
                "[h.textContent, [...h.parentElement.querySelectorAll('.card')]"
                ".map(c => c.className)])"
            )
        finally:
            page.close()
    rows: dict[int, set[float]] = {}
    for top, height in cards:
        rows.setdefault(top, set()).add(round(height, 1))
    assert len(rows) >= 2 and all(len(heights) == 1 for heights in rows.values()), rows
    assert [heading for heading, _cards in lead] == ["Current offers", "Coming up", "Latest"]
    assert lead[0][1] and all("card-promotion" in c for c in lead[0][1])
    assert lead[1][1] and all("card-event" in c for c in lead[1][1])


@pytest.mark.browser
@pytest.mark.parametrize("channel", ["web", "mobile"])
def test_dark_mode_follows_the_reader(sample_build: Any, browser: Any, channel: str) -> None:
    backgrounds = {}
    with http_server(Path(sample_build[1]) / channel) as origin:
        for scheme in ("light", "dark"):
            page = browser.new_page(color_scheme=scheme)
            try:
                page.goto(origin + "/products/merino-sweater/")
                backgrounds[scheme] = page.evaluate(
                    "() => [getComputedStyle(document.documentElement).backgroundColor,"
                    " getComputedStyle(document.body).color]"
                )
            finally:
                page.close()
    assert backgrounds["light"][0] in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
    assert backgrounds["dark"][0] == "rgb(18, 23, 28)"
    assert backgrounds["dark"][1] != backgrounds["light"][1]


@pytest.mark.parametrize("channel", ["web", "mobile"])
def test_every_page_has_footer_navigation_and_images_with_sizes(
    sample_build: Any, channel: str
) -> None:
    folder = Path(sample_build[1]) / channel
    checked = 0
    for path in sorted(folder.rglob("index.html")):
        doc = lxml_html.fromstring(path.read_bytes())
        if doc.xpath("//meta[@http-equiv='refresh']"):
            continue
        footer = " ".join(doc.xpath("//footer//nav//a/text()"))
        rel = path.relative_to(folder).as_posix()
        assert "Contact" in footer or "Kontakt" in footer, rel
        assert "Privacy" in footer or "Personvern" in footer or "privacy" in footer.lower(), rel
        assert "Fjordlys" in footer, rel  # About Fjordlys, Om Fjordlys, À propos de Fjordlys
        for image in doc.iter("img"):
            assert image.get("width") and image.get("height"), (rel, image.get("src"))
        checked += 1
    assert checked > 80


def test_the_scaffold_lists_about_in_its_menu(tmp_path: Path) -> None:
    for rel, text in FILES.items():
        target = tmp_path / "site" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    _result, sink = build_memory(tmp_path / "site")
    home = lxml_html.fromstring(sink.files["web"]["index.html"])
    menu = home.xpath("//header//nav//a")
    assert [a.text_content() for a in menu] == ["News", "Products", "About us"]
    product = lxml_html.fromstring(sink.files["web"]["products/mug/index.html"])
    assert product.xpath("//a[@class='button button-buy']/@href") == [
        "https://shop.example.com/mug"
    ]
