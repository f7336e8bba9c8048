"""The web channel on the bundled sample site, read back with real clients."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import pytest

from conftest import FIXED_AT, REPO, copy_sample
from omnipub.build import BuildOptions, BuildResult, build

SCHEMAS = Path(__file__).parent / "schemas"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"


@pytest.fixture(scope="module")
def built(sample_build) -> tuple[BuildResult, Path]:
    result, public = sample_build
    return result, public / "web"


def page(web: Path, path: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((web / path).read_bytes())


def test_every_visible_item_has_a_page_with_one_h1_and_its_title(built) -> None:
    result, web = built
    for item in result.site.visible("web"):
        route = result.plan.item_routes[("web", item.id, item.lang)]
        doc = page(web, route.path)
        assert doc.get("lang") == item.lang
        assert [h.text_content() for h in doc.findall(".//h1")] == [item.view("web").title]
        assert doc.find(".//main") is not None and doc.find(".//nav") is not None
        canonical = doc.find(".//link[@rel='canonical']")
        assert canonical is not None and canonical.get("href") == route.url


def test_atom_feeds_parse_with_feedparser(built) -> None:
    result, web = built
    feeds = [p for p in web.rglob("feed.xml")]
    assert {"feed.xml", "nb/feed.xml", "fr/feed.xml", "products/feed.xml"} <= {
        p.relative_to(web).as_posix() for p in feeds
    }
    for path in feeds:
        feed = feedparser.parse(path.read_bytes())
        assert not feed.bozo, (path, feed.get("bozo_exception"))
        assert feed.feed.title.startswith("Fjordlys")
        for entry in feed.entries:
            assert entry.link.startswith("https://www.fjordlys.example/")
            assert entry.id.startswith("urn:omnipub:")
            assert entry.updated_parsed is not None
    main = feedparser.parse((web / "feed.xml").read_bytes())
    titles = [e.title for e in main.entries]
    assert "How to care for wool" in titles
    assert all(e.get("language", "en") for e in main.entries)


def test_sitemap_validates_against_the_sitemaps_schema(built) -> None:
    _result, web = built
    schema = lxml.etree.XMLSchema(lxml.etree.parse(str(SCHEMAS / "sitemap.xsd")))
    doc = lxml.etree.parse(str(web / "sitemap.xml"))
    schema.assertValid(doc)
    locs = doc.findall(f"{{{SITEMAP_NS}}}url/{{{SITEMAP_NS}}}loc")
    assert any(loc.text == "https://www.fjordlys.example/products/merino-sweater/" for loc in locs)


def test_sitemap_carries_complete_reciprocal_hreflang_sets(built) -> None:
    _result, web = built
    doc = lxml.etree.parse(str(web / "sitemap.xml"))
    sets: dict[str, dict[str, str]] = {}
    for url in doc.findall(f"{{{SITEMAP_NS}}}url"):
        loc = url.findtext(f"{{{SITEMAP_NS}}}loc")
        links = {
            link.get("hreflang"): link.get("href")
            for link in url.findall(f"{{{XHTML_NS}}}link")
            if link.get("hreflang")
        }
        sets[loc] = links
    for loc, links in sets.items():
        if not links:
            continue
        assert loc in links.values(), loc
        if "en" in links:  # x-default is the default-language page, where there is one
            assert links["x-default"] == links["en"]
        for lang, href in links.items():
            assert sets[href] == links, (loc, lang)


def test_product_json_ld_states_product_offer_and_price_valid_until(built) -> None:
    _result, web = built
    doc = page(web, "products/merino-sweater/index.html")
    data = json.loads(doc.find(".//script[@type='application/ld+json']").text)
    assert data["@type"] == "Product"
    assert data["sku"] == "FJ-10234"
    offer = data["offers"]
    assert offer == {
        "@type": "Offer",
        "availability": "https://schema.org/InStock",
        "price": "1299.00",
        "priceCurrency": "NOK",
        "priceValidUntil": "2027-01-15",  # the winter wool week ends then
        "url": "https://www.fjordlys.example/products/merino-sweater/",
    }
    event = json.loads(
        page(web, "events/knitting-evening-oslo/index.html")
        .find(".//script[@type='application/ld+json']")
        .text
    )
    assert event["@type"] == "Event" and event["startDate"] == "2026-12-03T18:00:00+01:00"
    article = json.loads(
        page(web, "articles/wool-care/index.html")
        .find(".//script[@type='application/ld+json']")
        .text
    )
    assert article["@type"] == "Article" and article["headline"] == "How to care for wool"


def test_prices_are_formatted_per_locale_with_one_value(built) -> None:
    _result, web = built
    shown = {}
    for prefix in ("", "nb/", "fr/"):
        doc = page(web, f"{prefix}products/merino-sweater/index.html")
        price = doc.find(".//dd[@class='price']")
        assert price.get("data-price") == "1299.00" and price.get("data-currency") == "NOK"
        shown[prefix] = price.text_content().replace("\xa0", " ").replace("\u202f", " ")
    # CLDR moved the Norwegian currency sign after the number in recent releases.
    assert shown["nb/"] in ("kr 1 299,00", "1 299,00 kr")
    assert shown["fr/"] == "1 299,00 NOK"
    assert shown[""] == "NOK 1,299.00"  # CLDR's currency spacing after a letter code


def test_links_between_sources_resolve_per_language_with_anchors(built) -> None:
    _result, web = built
    doc = page(web, "products/merino-sweater/index.html")
    hrefs = [a.get("href") for a in doc.iter("a")]
    assert "/articles/wool-care/#washing" in hrefs
    nb = page(web, "nb/products/wool-socks/index.html")
    assert "/nb/articles/wool-care/#washing" in [a.get("href") for a in nb.iter("a")]
    care = page(web, "articles/wool-care/index.html")
    assert care.get_element_by_id("washing").tag == "h2"


def test_markdown_features_render(built) -> None:
    _result, web = built
    packing = page(web, "articles/packing-list/index.html")
    boxes = packing.findall(".//input[@type='checkbox']")
    assert len(boxes) == 4 and sum(1 for b in boxes if b.get("checked") is not None) == 2
    assert packing.find(".//section[@class='footnotes']") is not None
    code = page(web, "articles/app-developers/index.html")
    assert code.find(".//code[@class='language-python']") is not None
    assert code.find(".//code[@class='language-python']//span") is not None  # highlighted
    care = page(web, "articles/wool-care/index.html")
    assert care.find(".//s") is not None and care.find(".//blockquote") is not None
    table = page(web, "products/merino-sweater/index.html").find(".//div[@class='table-scroll']")
    assert table is not None and table.find(".//table") is not None


def test_images_have_renditions_with_srcset_and_size(built) -> None:
    _result, web = built
    hero = page(web, "products/merino-sweater/index.html").find(".//img[@class='hero']")
    assert hero.get("width") == "1200" and hero.get("height") == "800"
    candidates = [c.strip().split(" ") for c in hero.get("srcset").split(",")]
    assert [w for _u, w in candidates] == ["480w", "800w", "1200w"]
    for url, _w in candidates:
        assert (web / url.lstrip("/")).is_file()


def test_listings_paginate_with_prev_next_and_tags(built) -> None:
    _result, web = built
    first = page(web, "products/index.html")
    nxt = first.find(".//link[@rel='next']")
    assert nxt is not None and nxt.get("href").endswith("/products/page/2/")
    second = page(web, "products/page/2/index.html")
    assert second.find(".//link[@rel='prev']").get("href").endswith("/products/")
    assert len(first.findall(".//li[@class='card card-product']")) == 6
    wool = page(web, "tags/wool/index.html")
    assert "Merino sweater Fjell" in wool.text_content()


def test_aliases_404_robots_and_static(built) -> None:
    _result, web = built
    alias = page(web, "old/merino/index.html")
    refresh = alias.find(".//meta[@http-equiv='refresh']").get("content")
    assert refresh.endswith("https://www.fjordlys.example/products/merino-sweater/")
    assert "noindex" in page(web, "404.html").find(".//meta[@name='robots']").get("content")
    robots = (web / "robots.txt").read_text()
    assert "Sitemap: https://www.fjordlys.example/sitemap.xml" in robots
    assert (web / "brand/logo.svg").is_file() and (web / "favicon.ico").is_file()


def test_hidden_items_leak_nowhere(built) -> None:
    result, web = built
    public = web.parent
    for marker in ("LEAKMARK-DRAFT-7f3a", "LEAKMARK-FUTURE-91c2", "LEAKMARK-EXPIRED-4be8"):
        for path in public.rglob("*"):
            if path.is_file():
                assert marker.encode() not in path.read_bytes(), (marker, path)
    hidden = {i.hidden_reason for i in result.site.items if not i.visible}
    assert hidden == {"draft", "future", "expired"}


def test_drafts_flag_publishes_drafts(tmp_path: Path) -> None:
    root = tmp_path / "s"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy2(REPO / "omnipub.toml", root / "omnipub.toml")
    result = build(BuildOptions(root=root, at=FIXED_AT, drafts=True, write_lock=False))
    draft = result.site.by_rel["content/articles/draft-collab.md"]
    assert draft.visible
    route = result.plan.item_routes[("web", draft.id, "en")]
    assert b"LEAKMARK-DRAFT-7f3a" in (root / "public/web" / route.path).read_bytes()


def test_site_template_overrides_one_builtin_template(tmp_path: Path) -> None:
    root = tmp_path / "s"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy2(REPO / "omnipub.toml", root / "omnipub.toml")
    (root / "templates/web").mkdir(parents=True)
    (root / "templates/web/404.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>Lost at sea</h1>{% endblock %}'
    )
    build(BuildOptions(root=root, at=FIXED_AT, write_lock=False))
    lost = (root / "public/web/404.html").read_text()
    assert "<h1>Lost at sea</h1>" in lost and 'class="site-header"' in lost
    assert (
        "Merino sweater Fjell"
        in (root / "public/web/products/merino-sweater/index.html").read_text()
    )


def test_headers_file_is_opt_in(site) -> None:
    spec = (
        "-- omnipub.toml --\n[site]\ntitle = 'T'\n[languages.en]\nname = 'English'\n"
        "[channels.web]\nbase_url = 'https://w.example/'\nheaders = true\n"
        "-- content/a.md --\n---\ntitle: A\n---\n"
    )
    root = site(spec)
    build(BuildOptions(root=root, at=FIXED_AT, write_lock=False))
    headers = (root / "public/web/_headers").read_text()
    assert "/assets/*\n  Cache-Control: public, max-age=31536000, immutable" in headers
    assert "/*\n  Cache-Control: public, max-age=0, must-revalidate" in headers
    plain = site(spec.replace("headers = true\n", ""))
    build(BuildOptions(root=plain, at=FIXED_AT, write_lock=False))
    assert not (plain / "public/web/_headers").exists()


SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 60">'
    '<rect width="120" height="60" fill="#c33"/></svg>\n'
)


def test_an_svg_image_is_published_as_it_is_in_every_channel(tmp_path: Path) -> None:
    """Vectors scale themselves: one file, no raster renditions, its size from the viewBox."""
    root = copy_sample(tmp_path / "site")
    promo = root / "content/promotions/gift-wrapping.md"
    (root / "content/promotions/images/bow.svg").write_text(SVG)
    promo.write_text(
        promo.read_text()
        .replace("images/gift-wrapping.jpg", "images/bow.svg")
        .replace("Free gift wrapping in December.", "![A red bow](images/bow.svg)\n\nFree gift")
    )
    build(BuildOptions(root=root, at=FIXED_AT))
    public = root / "public"
    published = sorted(p.relative_to(public).as_posix() for p in public.rglob("bow-*"))
    assert published and all(p.endswith(".svg") for p in published), published
    for path in published:
        assert (public / path).read_text() == SVG
    page = (public / "web/promotions/gift-wrapping/index.html").read_text()
    assert 'alt="A red bow"' in page and 'width="120" height="60"' in page
    item = next(
        json.loads(p.read_text())
        for p in (public / "app/items").glob("*.json")
        if "gift wrapping" in p.read_text()
    )
    renditions = item["image"]["renditions"]
    assert [r["media_type"] for r in renditions] == ["image/svg+xml"]
    assert (renditions[0]["width"], renditions[0]["height"]) == (120, 60)
