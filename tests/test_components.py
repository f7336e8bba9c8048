"""Components: one fixture site uses every built-in and a site-defined component; each
channel's output is read back with a real consumer (lxml, jsonschema)."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import lxml.html
import pytest

from conftest import build_memory
from omnipub.build import BuildResult
from omnipub.publish import MemorySink

FIXTURE = Path(__file__).parent / "sites" / "components"
GUIDE = "content/articles/winter-guide.md"
SALE = "content/promotions/winter-sale.md"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildResult, MemorySink]:
    root = tmp_path_factory.mktemp("components") / "site"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("expected"))
    return build_memory(root, use_cache=False)


def page(sink: MemorySink, channel: str, path: str) -> Any:
    return lxml.html.fromstring(sink.files[channel][path])


def item_path(result: BuildResult, channel: str, rel: str) -> str:
    item = result.site.by_rel[rel]
    return result.plan.item_routes[(channel, item.id, item.lang)].path


def body_of(result: BuildResult, sink: MemorySink, channel: str, rel: str) -> Any:
    return page(sink, channel, item_path(result, channel, rel)).find_class("body")[0]


def test_web_draws_every_built_in_and_the_sites_component(built) -> None:
    result, sink = built
    body = body_of(result, sink, "web", GUIDE)

    card = body.find_class("product-card")
    assert len(card) == 1
    assert card[0].get("data-product") == "winter-coat"
    assert card[0].find_class("product-card-price")[0].text_content() == "NOK\u00a01,299.00"
    assert card[0].find_class("product-card-availability")[0].text_content() == "In stock"
    assert card[0].xpath(".//a/@href") == ["/products/winter-coat/"]
    assert card[0].xpath(".//img/@alt") == ["A red wool coat"]
    # inline mentions by id and by SKU (with its own label); the expired one shows nothing
    mentions = body.find_class("product-mention")
    assert [m.text_content() for m in mentions] == ["Fjord winter coat", "the coat by its SKU"]
    assert "old-boots" not in sink.files["web"][item_path(result, "web", GUIDE)].decode()

    callouts = body.find_class("callout")
    assert [c.get("class") for c in callouts] == ["callout callout-tip", "callout callout-warning"]
    assert callouts[0].find_class("callout-title")[0].text == "Layer up"
    assert callouts[1].find_class("callout-title")[0].text == "Warning"  # its kind's name
    # the body is Markdown, with its links resolved like any other
    assert callouts[0].xpath(".//p/a/@href") == ["/products/winter-coat/"]

    figure = body.find_class("figure")[0]
    assert figure.xpath(".//img/@alt") == ["The fjord in January"]
    assert figure.xpath(".//figcaption//em/text()") == ["January"]

    gallery = body.find_class("gallery")[0]
    assert gallery.xpath(".//li/img/@alt") == ["A cabin", "Boots in the snow"]
    assert gallery.xpath(".//figcaption/text()") == ["Along the coast"]

    embed, clip = body.find_class("video")
    # click-to-load: no iframe until the reader asks, then one from the no-cookie host
    assert not body.xpath(".//iframe")
    assert (
        embed.get("data-embed") == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"
    )
    assert embed.xpath(".//a/@href") == ["https://www.youtube.com/watch?v=dQw4w9WgXcQ"]
    assert embed.xpath(".//img/@src")[0].startswith("/media/poster-")
    assert clip.xpath(".//video/source/@src") == ["https://www.shop.example/videos/clip.mp4"]
    assert clip.xpath(".//video/source/@type") == ["video/mp4"]
    assert "videos/clip.mp4" in sink.files["web"]  # the static file is published

    hours = body.find_class("store-hours")[0]
    assert hours.tag == "section" and hours.get("data-store") == "oslo"
    assert "Thu until 21" in hours.text_content()  # `:late: true`, typed as a bool
    assert "Open late on Thursdays." in hours.text_content()  # its Markdown body

    buttons = body.find_class("button")
    assert [(b.text, b.get("href")) for b in buttons] == [
        ("Shop the coat", "/products/winter-coat/"),
        ("All products", "https://www.shop.example/products/"),
    ]


def test_mobile_draws_lighter_forms_and_the_sites_mobile_variant(built) -> None:
    result, sink = built
    body = body_of(result, sink, "mobile", GUIDE)
    assert not body.xpath(".//script | .//iframe | .//video")
    embed, clip = body.find_class("video")
    # a poster that links out to the video
    assert embed.xpath(".//a/@href") == ["https://www.youtube.com/watch?v=dQw4w9WgXcQ"]
    assert embed.xpath(".//a/img/@src")[0].startswith("/media/poster-")
    assert "Watch on YouTube" in embed.text_content()
    assert clip.xpath(".//a/@href") == ["https://www.shop.example/videos/clip.mp4"]
    # components/store-hours.mobile.html, not the generic template
    hours = body.find_class("store-hours")[0]
    assert hours.tag == "p" and hours.text_content() == "Oslo: 10–18 (Thu 21)"
    card = body.find_class("product-card")[0]
    assert card.xpath(".//a/@href") == ["/products/winter-coat/"]  # the mobile page
    assert "/media/coat-" in card.xpath(".//img/@src")[0]


def validator(sink: MemorySink) -> jsonschema.Draft202012Validator:
    schema = json.loads(sink.files["app"]["schema/item.schema.json"])
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_app_gets_typed_blocks_valid_against_the_published_schema(built) -> None:
    result, sink = built
    check = validator(sink)
    documents = {p: json.loads(d) for p, d in sink.files["app"].items() if p.startswith("items/")}
    for path, document in documents.items():
        errors = [e.message for e in check.iter_errors(document)]
        assert not errors, f"{path}: {errors[:3]}"
    guide = documents[item_path(result, "app", GUIDE)]
    blocks = guide["blocks"]
    assert [b["type"] for b in blocks] == [
        "paragraph",
        "product",
        "callout",
        "callout",
        "figure",
        "gallery",
        "video",
        "video",
        "store_hours",
        "button",
        "paragraph",
    ]
    product = blocks[1]
    # money as the rest of the app API states it: a decimal string with the minor units
    assert (product["id"], product["price"], product["currency"]) == (
        "winter-coat",
        "1299.00",
        "NOK",
    )
    assert product["availability"] == "in_stock"
    assert product["url"] == "https://www.shop.example/products/winter-coat/"
    assert product["image"]["renditions"][0]["url"].startswith("https://api.shop.example/media/")
    video = blocks[6]
    assert video["provider"] == "youtube" and video["poster"]["alt"] == "How to layer"
    assert blocks[7]["provider"] == "file"
    assert blocks[8] == {
        "type": "store_hours",
        "component": "store-hours",
        "args": {"late": True, "store": "oslo"},
        "blocks": [{"type": "paragraph", "content": ["Open late on Thursdays."]}],
    }
    assert blocks[9]["item_id"] == "winter-coat"
    # links lead to the canonical pages by absolute URL, as a body's links do in the app
    assert blocks[9]["href"] == "https://www.shop.example/products/winter-coat/"
    assert blocks[7]["url"].startswith("https://www.shop.example/videos/clip.mp4")
    # inline mentions are links to the product, by id, with its price
    mention = blocks[0]["content"][1]
    assert mention["type"] == "link" and mention["item_id"] == "winter-coat"
    assert mention["href"] == "https://www.shop.example/products/winter-coat/"
    assert mention["content"][0] == "Fjord winter coat – NOK\u00a01,299.00 (In stock)"
    # the web-view form is sanitized: no script, no click-to-load, a poster link instead
    assert "<script" not in guide["content_html"]
    html = lxml.html.fragment_fromstring(guide["content_html"], create_parent="div")
    card = html.find_class("product-card")[0]
    assert "NOK\u00a01,299.00" in card.text_content()
    assert card.xpath(".//a/@href") == ["https://www.shop.example/products/winter-coat/"]
    # every URL in it is absolute (the web view resolves them against nothing)
    urls = html.xpath("//@href | //@src") + [
        part.split()[0] for srcset in html.xpath("//@srcset") for part in srcset.split(",")
    ]
    assert urls and all(u.startswith(("https://", "mailto:")) for u in urls), urls


def test_a_block_the_site_did_not_declare_fails_the_published_schema(built) -> None:
    _result, sink = built
    check = validator(sink)
    document = json.loads(next(d for p, d in sink.files["app"].items() if p.startswith("items/")))
    document["blocks"] = [
        {"type": "store_hours", "component": "store-hours", "args": {"late": True}, "blocks": []}
    ]
    assert any("store" in e.message for e in check.iter_errors(document))  # required arg
    document["blocks"] = [{"type": "product", "id": "x"}]
    assert list(check.iter_errors(document))


def test_signage_shows_the_video_poster_of_an_item_without_an_image(built) -> None:
    result, sink = built
    sale = result.site.by_rel[SALE]
    slide = page(sink, "signage", f"slides/oslo-entrance/{sale.id}.html")
    visual = slide.find_class("visual")
    assert len(visual) == 1
    assert visual[0].get("alt") == "The winter sale"
    assert "/media/sale-poster-" in visual[0].get("src") and "16x9" in visual[0].get("src")
    # a slide shows no body: neither the card nor the embed
    assert not slide.find_class("product-card") and not slide.xpath("//iframe | //video")


def test_an_expired_product_is_a_warning_and_shows_nowhere(built) -> None:
    result, sink = built
    found = [d for d in result.diagnostics.warnings if d.code == "component.product-expired"]
    assert [str(d.location) for d in found] == [f"{GUIDE}:7:5"]
    assert "expired" in found[0].message
    for channel, files in sink.files.items():
        for path, data in files.items():
            assert b"Discontinued trail boots" not in data, (channel, path)


@pytest.fixture(scope="module")
def served_web(built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _result, sink = built
    folder = tmp_path_factory.mktemp("web")
    for path, data in sink.files["web"].items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


@pytest.mark.browser
def test_a_video_loads_nothing_from_youtube_until_the_reader_plays_it(
    browser, built, served_web
) -> None:
    result, _sink = built
    context = browser.new_context()
    page = context.new_page()
    outside: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith(served_web):
            request_route.continue_()
        else:  # nothing leaves the machine; what was asked for is noted
            outside.append(url)
            request_route.abort()

    page.route("**/*", route)
    try:
        page.goto(served_web + item_path(result, "web", GUIDE).removesuffix("index.html"))
        page.wait_for_load_state("load")
        assert page.locator("iframe").count() == 0
        assert outside == []  # no request to YouTube (or anyone) before playing
        page.locator(".video-embed .video-start").click()
        frame = page.locator(".video-embed iframe")
        frame.wait_for()
        assert frame.get_attribute("src") == (
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"
        )
        assert frame.get_attribute("title") == "How to layer"
        page.wait_for_timeout(200)
        assert outside and all(u.startswith("https://www.youtube-nocookie.com/") for u in outside)
    finally:
        context.close()
