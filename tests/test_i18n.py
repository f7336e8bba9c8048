"""Multilingual content: translations share ids and facts; every channel speaks each language."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner

from conftest import FIXED_AT, REPO
from omnipub.build import BuildResult
from omnipub.cli import cli


@pytest.fixture(scope="module")
def built(sample_build) -> tuple[BuildResult, Path]:
    return sample_build


def test_sample_has_ten_translated_items_in_nb_and_fr(built) -> None:
    result, _public = built
    site = result.site
    for lang in ("nb", "fr"):
        translated = [i for i in site.items if i.lang == lang and i.visible]
        assert len(translated) >= 10, lang
        assert {"product", "promotion"} <= {i.type for i in translated}


@pytest.mark.parametrize("channel", ["web", "mobile"])
def test_hreflang_sets_are_complete_and_reciprocal(built, channel: str) -> None:
    result, public = built
    folder = public / channel
    base = result.plan.base_urls[channel]
    sets = {}
    for path in folder.rglob("*.html"):
        doc = lxml.html.fromstring(path.read_bytes())
        links = {
            link.get("hreflang"): link.get("href")
            for link in doc.findall(".//link[@rel='alternate'][@hreflang]")
        }
        rel = path.relative_to(folder).as_posix()
        url = base + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
        sets[url] = (doc.get("lang"), links)
    checked = 0
    for url, (lang, links) in sets.items():
        if not links:
            continue
        assert links.get(lang) == url, url
        if "en" in links:
            assert links["x-default"] == links["en"]
        for other_lang, other in links.items():
            if other_lang == "x-default":
                continue
            assert sets[other][1] == links, (url, other)
            assert sets[other][0] == other_lang
        checked += 1
    assert checked > 30


def test_prices_identical_in_value_across_languages_and_channels(built) -> None:
    result, public = built
    merino = result.site.by_rel["content/products/merino-sweater.md"]
    values = set()
    for lang in ("en", "nb", "fr"):
        prefix = "" if lang == "en" else f"{lang}/"
        for channel in ("web", "mobile"):
            doc = lxml.html.fromstring(
                (public / channel / prefix / "products/merino-sweater/index.html").read_bytes()
            )
            dd = doc.find(".//dd[@class='price']")
            values.add((dd.get("data-price"), dd.get("data-currency")))
            data = json.loads(doc.find(".//script[@type='application/ld+json']").text)
            values.add((data["offers"]["price"], data["offers"]["priceCurrency"]))
        path = f"items/{merino.id}.json" if lang == "en" else f"items/{lang}/{merino.id}.json"
        doc = json.loads((public / "app" / path).read_text())
        values.add((doc["fields"]["price"], doc["fields"]["currency"]))
    assert values == {("1299.00", "NOK")}
    nb = lxml.html.fromstring((public / "web/nb/products/merino-sweater/index.html").read_bytes())
    fr = lxml.html.fromstring((public / "web/fr/products/merino-sweater/index.html").read_bytes())
    assert "1 299,00" in nb.find(".//dd[@class='price']").text_content().replace("\xa0", " ")
    assert "1 299,00" in fr.find(".//dd[@class='price']").text_content().replace("\u202f", " ")


def test_feeds_exist_per_language(built) -> None:
    _result, public = built
    for lang in ("nb", "fr"):
        assert (public / f"web/{lang}/feed.xml").is_file()
        feed = json.loads((public / f"app/{lang}/feed.json").read_text())
        assert feed["language"] == lang
        assert all(entry["language"] == lang for entry in feed["items"])


def test_template_words_come_from_the_catalogues(built) -> None:
    _result, public = built
    nb = (public / "web/nb/index.html").read_text()
    fr = (public / "web/fr/index.html").read_text()
    assert "Gyldig til" in nb and "Siste" in nb and "Valid until" not in nb
    assert "Dernières nouvelles" in fr and "Latest" not in fr


def test_a_translation_that_changes_a_price_fails_with_its_line(tmp_path: Path) -> None:
    root = tmp_path / "s"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy2(REPO / "omnipub.toml", root / "omnipub.toml")
    path = root / "content/products/merino-sweater.nb.md"
    text = path.read_text()
    path.write_text(text.replace("\n---\n", "\nprice: 999\n---\n", 1))
    line = path.read_text().splitlines().index("price: 999") + 1
    result = CliRunner().invoke(cli, ["build", str(root), "--at", FIXED_AT])
    assert result.exit_code == 1
    assert f"content/products/merino-sweater.nb.md:{line}: error[translation.fact]" in result.output
    assert "a translation cannot change a fact" in result.output


def test_check_reports_coverage_and_stale_translations(tmp_path: Path) -> None:
    root = tmp_path / "s"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy2(REPO / "omnipub.toml", root / "omnipub.toml")
    original = root / "content/articles/wool-care.md"
    original.write_text(original.read_text().replace("author:", "updated: 2026-11-30\nauthor:", 1))
    result = CliRunner().invoke(cli, ["check", str(root), "--at", FIXED_AT])
    assert result.exit_code == 0, result.output
    assert "translation coverage" in result.output
    assert "content/articles/wool-care.nb.md: translation older than its original" in result.output
