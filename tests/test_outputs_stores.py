"""Stores that stock a product: `[[stores]]` in omnipub.toml, a product's `stocked_at`
checked against them, and the call to action on web and mobile pages (in every language)
and as ids in the app's documents and feeds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from lxml import html as lxml_html

from conftest import REPO, build_memory, write_site
from omnipub.diagnostics import BuildFailed

SCHEMAS = REPO / "channels/omnipub_channels/app/schemas"
SOCKS = "products/wool-socks/index.html"


def stockists(page: Path) -> list[tuple[str, str | None, str]]:
    """(name, link, address) of each store a product page names, and checks its heading."""
    tree = lxml_html.parse(str(page))
    found = tree.xpath('//article//section[@class="stockists"]//li')
    return [
        (
            "".join(li.xpath("(a|strong)[1]//text()")),
            (li.xpath("a/@href") or [None])[0],
            "".join(li.xpath('span[@class="address"]//text()')),
        )
        for li in found
    ]


@pytest.mark.parametrize("channel", ["web", "mobile"])
@pytest.mark.parametrize(
    ("prefix", "heading"),
    [("", "In our stores"), ("nb/", "I våre butikker"), ("fr/", "Dans nos magasins")],
)
def test_a_product_page_names_the_stores_that_stock_it_in_its_language(
    sample_build: Any, channel: str, prefix: str, heading: str
) -> None:
    folder = Path(sample_build[1]) / channel
    page = folder / prefix / SOCKS
    tree = lxml_html.parse(str(page))
    assert tree.xpath('string(//section[@class="stockists"]/h2)') == heading
    found = stockists(page)
    assert [name for name, _, _ in found] == [
        "Fjordlys Oslo Karl Johan",
        "Fjordlys London Covent Garden",
    ]
    assert found[0][2] == "Karl Johans gate 14, 0154 Oslo"
    for _, href, _ in found:
        # the store's page (content/contact.md) in this channel: a page that was published
        assert href == "/contact/"
        assert (folder / "contact/index.html").is_file()
    # a product without stocked_at has no such section
    assert not stockists(folder / prefix / "products/rain-jacket/index.html")


def test_the_app_states_the_stores_as_ids(sample_build: Any) -> None:
    app = Path(sample_build[1]) / "app"
    item_schema = Draft202012Validator(json.loads((SCHEMAS / "item.schema.json").read_text()))
    feed_schema = Draft202012Validator(json.loads((SCHEMAS / "feed.schema.json").read_text()))
    documents = [json.loads(p.read_text()) for p in sorted((app / "items").rglob("*.json"))]
    socks = [d for d in documents if d["fields"].get("sku") == "FJ-10077"]
    assert {d["lang"] for d in socks} == {"en", "nb", "fr"}
    for document in socks:
        item_schema.validate(document)
        assert document["fields"]["stocked_at"] == ["oslo", "london"]
    feed = json.loads((app / "sections/products/feed.json").read_text())
    feed_schema.validate(feed)
    entry = next(i for i in feed["items"] if i["_omnipub"].get("stocked_at"))
    assert entry["_omnipub"]["stocked_at"] == ["oslo", "london"]
    # the schema holds them to ids: a store's name where an id belongs is invalid
    wrong = {**socks[0], "fields": {**socks[0]["fields"], "stocked_at": ["Fjordlys Oslo"]}}
    assert not item_schema.is_valid(wrong)


SHOP = """\
-- omnipub.toml --
[site]
title = "Shop"
timezone = "Europe/Oslo"
default_language = "en"
[languages.en]
name = "English"
[[stores]]
id = "oslo"
name = "Oslo store"
url = "https://maps.example.com/oslo"
[[stores]]
id = "bergen"
name = "Bergen store"
address = "Bryggen 1, Bergen"
[channels.web]
base_url = "https://www.example.com/"
[channels.app]
base_url = "https://api.example.com/"
-- content/shop/mug.md --
---
title: Mug
type: product
sku: M-1
price: 10
currency: NOK
availability: in_stock
stocked_at:
  - oslo
  - bergn
---
A mug.
"""


def test_an_unknown_store_is_a_located_error_with_the_closest_store(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SHOP)
    with pytest.raises(BuildFailed) as failed:
        build_memory(root)
    text = "\n".join(d.format() for d in failed.value.diagnostics)
    # the entry's own line and column
    assert "content/shop/mug.md:10:5: error[front-matter.store]" in text
    assert "'stocked_at' names store 'bergn'" in text
    assert "did you mean 'bergen'?" in text and "stores: bergen, oslo" in text


def test_a_store_leads_to_its_url_or_shows_its_name_and_address(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SHOP.replace("bergn", "bergen"))
    _result, sink = build_memory(root)
    page = lxml_html.fromstring(sink.files["web"]["shop/mug/index.html"])
    items = page.xpath('//section[@class="stockists"]//li')
    assert items[0].xpath("a/@href") == ["https://maps.example.com/oslo"]
    assert items[1].xpath("a") == [] and items[1].xpath("string(strong)") == "Bergen store"
    assert items[1].xpath('string(span[@class="address"])') == "Bryggen 1, Bergen"
    document = json.loads(sink.files["app"][next(p for p in sink.files["app"] if "items/" in p)])
    assert document["fields"]["stocked_at"] == ["oslo", "bergen"]


def test_a_store_page_that_is_not_there_is_an_error_in_the_config(tmp_path: Path) -> None:
    spec = SHOP.replace("bergn", "bergen").replace(
        'address = "Bryggen 1, Bergen"', 'address = "Bryggen 1, Bergen"\npage = "stores/bergen.md"'
    )
    root = write_site(tmp_path / "site", spec)
    with pytest.raises(BuildFailed) as failed:
        build_memory(root)
    text = "\n".join(d.format() for d in failed.value.diagnostics)
    assert "omnipub.toml:12: error[config.value]" in text
    assert "store 'bergen': page 'stores/bergen.md' is not a file in content/" in text


def test_signage_hangs_its_screens_in_the_sites_stores(sample_build: Any) -> None:
    """The sample writes its stores once, as [[stores]]: screens name them, and each
    playlist runs on its store's clock."""
    playlists = Path(sample_build[1]) / "signage/playlists"
    london = json.loads((playlists / "london-window.json").read_text())
    assert london["store"] == {
        "id": "london",
        "name": "Fjordlys London Covent Garden",
        "timezone": "Europe/London",
    }
    oslo = json.loads((playlists / "oslo-entrance.json").read_text())
    assert oslo["store"]["timezone"] == "Europe/Oslo"
