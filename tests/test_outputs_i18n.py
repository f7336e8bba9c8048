"""What a shopper reads in each language: every template word translated, prices with
CLDR's currency spacing, events shown as when they happen, tags as a list, and the
language switcher with hreflang on every page, paginated listings included."""

from __future__ import annotations

import ast
import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from conftest import REPO, http_server
from omnipub import i18n

CATALOGUES = REPO / "omnipub/catalogues"
CALL = re.compile(r"""\bt\(\s*(["'])(?P<text>(?:(?!\1).)+)\1""")


def template_words() -> dict[str, str]:
    """Every literal a built-in template or channel passes to `t`/`translate`, with where."""
    words: dict[str, str] = {}
    for template in sorted((REPO / "channels/omnipub_channels").rglob("templates/**/*.html")):
        for match in CALL.finditer(template.read_text(encoding="utf-8")):
            words.setdefault(match["text"], template.relative_to(REPO).as_posix())
    for module in sorted((REPO / "channels/omnipub_channels").rglob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "translate"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
            ):
                words.setdefault(str(node.args[1].value), module.relative_to(REPO).as_posix())
    from omnipub_channels.htmlsite import AVAILABILITY_LABELS

    for label in AVAILABILITY_LABELS.values():
        words.setdefault(label, "htmlsite.AVAILABILITY_LABELS")
    return words


def test_the_word_list_is_found() -> None:
    words = template_words()
    assert {"Availability", "Page not found", "Tagged “{tag}”", "In stock", "When"} <= set(words)


@pytest.mark.parametrize(
    "lang", sorted(p.stem for p in CATALOGUES.glob("*.toml") if p.stem != "en")
)
def test_every_template_word_is_in_every_catalogue(lang: str) -> None:
    catalogue = tomllib.loads((CATALOGUES / f"{lang}.toml").read_text(encoding="utf-8"))
    missing = {word: where for word, where in template_words().items() if word not in catalogue}
    assert not missing, f"{lang}.toml lacks: " + "; ".join(
        f"{w!r} ({p})" for w, p in missing.items()
    )
    for word, phrase in catalogue.items():
        assert set(re.findall(r"\{\w+\}", word)) == set(re.findall(r"\{\w+\}", phrase)), word


def test_prices_follow_cldr_currency_spacing() -> None:
    nbsp = "\u00a0"
    assert i18n.price(1299, "NOK", "en_GB") == f"NOK{nbsp}1,299.00"
    assert i18n.price(-5, "NOK", "en_GB") == f"-NOK{nbsp}5.00"
    assert i18n.price(1299, "GBP", "en_GB") == "£1,299.00"  # a symbol: no space
    assert i18n.price(1299, "NOK", "nb_NO") == f"1{nbsp}299,00{nbsp}kr"


def test_an_event_shows_when_it_happens_in_its_zone_to_the_minute() -> None:
    london = dt.UTC
    start = dt.datetime(2027, 2, 6, 14, 0, tzinfo=london)
    end = dt.datetime(2027, 2, 6, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert i18n.span(start, end, "en_GB") == "6 February 2027, 14:00–16:00"
    assert i18n.span(start, end, "nb_NO") == "6. februar 2027, 14:00–16:00"
    later = dt.datetime(2027, 2, 7, 9, 30, tzinfo=london)
    assert (
        i18n.span(start, later, "en_GB")
        == "6 February 2027, 14:00\u2009–\u20097 February 2027, 09:30"
    )


def page(folder: Path, rel: str) -> Any:
    return lxml_html.fromstring((folder / rel).read_bytes())


@pytest.mark.parametrize("channel", ["web", "mobile"])
def test_event_cards_and_pages_show_the_event_not_the_publication(
    sample_build: Any, channel: str
) -> None:
    folder = Path(sample_build[1]) / channel
    listing = page(folder, "events/index.html")
    shown = {
        " ".join(card.xpath(".//h2")[0].text_content().split()): card.xpath(".//time")
        for card in listing.xpath("//li[contains(@class,'card-event')]")
    }
    assert shown
    for title, times in shown.items():
        assert len(times) == 1 and "20 November 2026" not in times[0].text_content(), title
    main = page(folder, "events/wool-workshop-london/index.html").xpath("//main")[0]
    workshop = " ".join(main.text_content().split())
    assert "6 February 2027, 14:00–16:00" in workshop
    assert not re.search(r"\d\d:\d\d:\d\d", workshop), "no seconds"
    assert "Published" not in workshop


@pytest.mark.parametrize("channel", ["web", "mobile"])
def test_every_page_has_the_language_switcher_and_exact_hreflang(
    sample_build: Any, channel: str
) -> None:
    folder = Path(sample_build[1]) / channel
    names = {"English", "Norsk bokmål", "Français"}
    checked = 0
    for path in sorted(folder.rglob("*.html")):
        doc = page(folder, path.relative_to(folder).as_posix())
        if doc.xpath("//meta[@http-equiv='refresh']") or path.name == "404.html":
            continue
        rel = path.relative_to(folder).as_posix()
        switcher = {a.text_content(): a.get("href") for a in doc.xpath("//nav//a[@hreflang]")}
        assert set(switcher) == names, rel
        hreflang = {
            link.get("hreflang"): link.get("href")
            for link in doc.xpath("//link[@rel='alternate'][@hreflang]")
        }
        assert set(hreflang.values()) <= set(switcher.values()), rel
        checked += 1
    assert checked > 30
    products = page(folder, "products/index.html")
    langs = {link.get("hreflang") for link in products.xpath("//link[@hreflang]")}
    assert langs == {"en", "nb", "fr", "x-default"}
    nb = page(folder, "nb/products/index.html")
    assert {link.get("hreflang") for link in nb.xpath("//link[@hreflang]")} == langs
    second = page(folder, "products/page/2/index.html")  # Norwegian has one page
    nb_link = second.xpath("//nav//a[@hreflang='nb']")[0].get("href")
    assert nb_link.endswith("/nb/products/")


@pytest.mark.browser
def test_tags_read_as_a_comma_separated_list(sample_build: Any, browser: Any) -> None:
    """The comma follows its tag without a gap ("wool, winter", not "wool , winter")."""
    with http_server(Path(sample_build[1]) / "web") as origin:
        tab = browser.new_page()
        try:
            tab.goto(origin + "/products/merino-sweater/")
            gaps = tab.evaluate(
                """() => [...document.querySelectorAll('.tags a')].slice(0, -1).map(a => {
                    const range = document.createRange();
                    range.setStart(a.nextSibling, 0); range.setEnd(a.nextSibling, 1);
                    return range.getBoundingClientRect().left - a.getBoundingClientRect().right;
                })"""
            )
            text = tab.inner_text(".tags")
        finally:
            tab.close()
    assert text.endswith("wool, winter") and gaps and all(abs(g) < 1 for g in gaps), gaps
