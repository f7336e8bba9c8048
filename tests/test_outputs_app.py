"""The app API as an app developer and a feed reader use it: ids and URLs instead of
source paths, absolute URLs, money as decimal strings, summaries in feeds, and a size
in proportion to the web site."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonfeed
import pytest
from jsonschema import Draft202012Validator
from lxml import html as lxml_html

from conftest import FIXED_AT, REPO, build_memory, write_site
from omnipub.build import BuildOptions, build
from omnipub.diagnostics import BuildFailed

SCHEMAS = REPO / "channels/omnipub_channels/app/schemas"
CORPUS = REPO.parent / "shared" / "bench" / "gen_corpus.py"
AUTHORING = {"aliases", "slug", "image", "image_alt", "translation_of", "channels", "cascade"}


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def app(sample_build: Any) -> Path:
    return Path(sample_build[1]) / "app"


def documents(app: Path) -> dict[str, dict[str, Any]]:
    return {
        p.relative_to(app).as_posix(): json.loads(p.read_text())
        for p in sorted((app / "items").rglob("*.json"))
    }


def feeds(app: Path) -> dict[str, dict[str, Any]]:
    return {
        p.relative_to(app).as_posix(): json.loads(p.read_text())
        for p in sorted(app.rglob("feed*.json"))
        if not p.name.endswith(".schema.json")
    }


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def html_urls(markup: str) -> list[str]:
    """Every URL a browser would fetch or follow in `markup`."""
    if not markup.strip():
        return []
    found = []
    for element in lxml_html.fragment_fromstring(markup, create_parent="div").iter():
        for name in ("href", "src"):
            if element.get(name) is not None:
                found.append(element.get(name))
        for candidate in (element.get("srcset") or "").split(","):
            if candidate.strip():
                found.append(candidate.split()[0])
    return found


def test_a_promotion_names_its_products_by_id_with_each_channels_url(app: Path) -> None:
    promo = json.loads((app / "items/promo-winter-wool-week.json").read_text())
    products = promo["fields"]["products"]
    assert [p["id"] for p in products][0] == "prod-merino-sweater"
    for ref in products:
        product = json.loads((app / f"items/{ref['id']}.json").read_text())
        assert product["type"] == "product" and ref["lang"] == "en"
        assert ref["urls"] == product["urls"] and set(ref["urls"]) == {"web", "mobile", "app"}
        assert ref["url"] == product["url"]
        # an app finds them among the links too (by id and page; the rest is in the document)
        assert {k: ref[k] for k in ("id", "lang", "url")} in promo["links"]
    validator("item").validate(promo)


def test_no_document_exposes_an_authoring_path(app: Path) -> None:
    for path, doc in documents(app).items():
        assert not AUTHORING & set(doc["fields"]), path
        for text in strings({k: v for k, v in doc.items() if k != "translations"}):
            assert not text.endswith(".md") and not text.startswith(("../", "images/")), (
                path,
                text,
            )


def test_every_url_in_content_html_and_blocks_is_absolute(app: Path) -> None:
    checked = 0
    for path, doc in documents(app).items():
        for url in html_urls(doc["content_html"]):
            # a footnote's "#fn1" stays in the document that shows it
            assert url.startswith(("https://", "http://", "mailto:", "tel:", "#")), (path, url)
            checked += 1
        for block_url in _block_urls(doc["blocks"]):
            assert block_url.startswith(("https://", "http://", "mailto:", "tel:", "#")), path
        for url in strings(doc["image"]):
            assert not url.startswith("/"), (path, url)
    assert checked > 20
    care = json.loads((app / "items/prod-merino-sweater.json").read_text())["content_html"]
    assert 'href="https://www.fjordlys.example/articles/wool-care/#washing"' in care


def _block_urls(value: Any) -> list[str]:
    if isinstance(value, dict):
        own = [value[k] for k in ("href", "src") if isinstance(value.get(k), str)]
        return own + [u for v in value.values() for u in _block_urls(v)]
    if isinstance(value, list):
        return [u for v in value for u in _block_urls(v)]
    return []


def test_money_is_a_decimal_string_with_its_currency_everywhere(app: Path) -> None:
    doc = json.loads((app / "items/prod-merino-sweater.json").read_text())
    assert doc["fields"]["price"] == "1299.00" and doc["fields"]["currency"] == "NOK"
    entries = [
        e for f in feeds(app).values() for e in f["items"] if e["_omnipub"]["type"] == "product"
    ]
    assert entries
    for entry in entries:
        extension = entry["_omnipub"]
        assert isinstance(extension["price"], str) and extension["currency"] == "NOK"
        assert re.fullmatch(r"\d+\.\d\d", extension["price"]), extension["price"]


def test_money_follows_the_currencys_minor_units(tmp_path: Path) -> None:
    root = write_site(tmp_path / "s", APP_SITE)
    _result, sink = build_memory(root)
    yen = json.loads(sink.files["app"]["items/yen.json"])
    kroner = json.loads(sink.files["app"]["items/kroner.json"])
    assert yen["fields"]["price"] == "1500" and yen["fields"]["currency"] == "JPY"
    assert kroner["fields"]["price"] == "5.00"
    assert kroner["fields"]["weight_kg"] == 1.5  # not money: the number stays a number


def test_feeds_read_in_a_json_feed_reader_with_summaries_and_renditions(app: Path) -> None:
    schema = validator("feed")
    all_feeds = feeds(app)
    assert len(all_feeds) > 20
    for path, data in all_feeds.items():
        schema.validate(data)
        feed = jsonfeed.Feed.parse(data)
        assert feed.version == "https://jsonfeed.org/version/1.1" and feed.items, path
        for item, raw in zip(feed.items, data["items"], strict=True):
            assert item.url.startswith("https://www.fjordlys.example/"), path
            assert item.content_text and item.content_html is None, (path, item.id)
            assert not item.attachments, "image renditions are not attachments"
            extension = raw["_omnipub"]
            assert extension["document"].startswith("https://api.fjordlys.example/app/items/")
            if item.image:
                renditions = extension["image"]["renditions"]
                assert item.image == renditions[-1]["url"] == extension["image"]["url"]
                assert [r["width"] for r in renditions] == sorted(r["width"] for r in renditions)
    first = all_feeds["feed.json"]["items"]
    summaries = {d["id"]: d["summary"] for d in documents(app).values() if d["lang"] == "en"}
    assert all(e["content_text"] == summaries[e["id"]] for e in first if summaries[e["id"]])


def test_a_feed_can_carry_full_text(tmp_path: Path) -> None:
    config = APP_SITE.replace("page_size = 10", 'page_size = 10\nfull_text = ["sections/shop"]')
    root = write_site(tmp_path / "s", config)
    _result, sink = build_memory(root)
    files = sink.files["app"]
    shop = json.loads(files["sections/shop/feed.json"])
    main = json.loads(files["feed.json"])
    assert all("content_html" in e and "content_text" not in e for e in shop["items"])
    assert all("content_html" not in e for e in main["items"])
    body = next(e for e in shop["items"] if e["id"] == "yen")["content_html"]
    assert 'href="https://w.example/shop/kroner/"' in body
    assert next(e for e in main["items"] if e["id"] == "yen")["content_text"].startswith(
        "Green tea"
    )


def test_a_full_text_setting_that_names_no_feed_is_a_config_error(tmp_path: Path) -> None:
    config = APP_SITE.replace("page_size = 10", 'page_size = 10\nfull_text = ["sections/nope"]')
    root = write_site(tmp_path / "s", config)
    with pytest.raises(BuildFailed) as failed:
        build_memory(root)
    text = "\n".join(d.format() for d in failed.value.diagnostics)
    assert "omnipub.toml: error[config.value]" in text
    assert "full_text names no feed: 'sections/nope'" in text and "sections: shop" in text


@pytest.mark.skipif(not CORPUS.is_file(), reason="the shared corpus generator is not here")
def test_the_app_folder_stays_within_1_5_times_the_web_folder(tmp_path: Path) -> None:
    """Each feed repeats an item once per section and tag: with summaries in feeds and the
    full body only in the item document, the API weighs about what the web site weighs."""
    site = tmp_path / "corpus"
    subprocess.run(
        [sys.executable, str(CORPUS), str(site), "--pages", "150", "--layout", "plain", "--images"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    bench_config = (REPO / "bench/run.py").read_text().split('CONFIG = """\\\n', 1)[1]
    (site / "omnipub.toml").write_text(bench_config.split('"""', 1)[0])
    build(
        BuildOptions(
            root=site, at=FIXED_AT, write_lock=False, channels=("app", "web"), use_cache=False
        )
    )
    sizes = {
        name: sum(p.stat().st_size for p in (site / "public" / name).rglob("*") if p.is_file())
        for name in ("app", "web")
    }
    ratio = sizes["app"] / sizes["web"]
    assert ratio <= 1.5, f"app {sizes['app']} B is {ratio:.2f}x web {sizes['web']} B"


APP_SITE = """\
-- omnipub.toml --
[site]
title = "Shop"
timezone = "Europe/Oslo"
default_language = "en"
[languages.en]
name = "English"
[sections.shop]
title = "Shop"
[types.product.fields]
weight_kg = { kind = "number" }
[channels.web]
base_url = "https://w.example/"
[channels.app]
base_url = "https://a.example/"
page_size = 10
-- content/shop/yen.md --
---
id: yen
title: Tea bowl
type: product
date: 2026-11-02
sku: T-1
price: 1500
currency: JPY
availability: in_stock
---
Green tea tastes better from it. See [the kroner one](kroner.md).
-- content/shop/kroner.md --
---
id: kroner
title: Wool socks
type: product
date: 2026-11-01
sku: W-1
price: 5
currency: NOK
availability: in_stock
weight_kg: 1.5
summary: Socks.
---
Warm.
"""
