"""Sections are folders at any depth; permalinks; `_index.md` pages checked like items.

The fixture site tests/sites/handbook is a three-level tree (docs, docs/guides,
docs/guides/advanced) with a folder that is no section (docs/reference), page bundles and a
dated `[permalinks]` pattern for the blog.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import feedparser
import lxml.html
import pytest

from conftest import build_memory, write_site
from omnipub.diagnostics import BuildFailed
from omnipub.publish import MemorySink

HANDBOOK = Path(__file__).parent / "sites" / "handbook"


@pytest.fixture(scope="module")
def handbook(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, MemorySink]:
    root = tmp_path_factory.mktemp("handbook") / "site"
    shutil.copytree(HANDBOOK, root)
    return build_memory(root, strict=True)


def _page(sink: MemorySink, channel: str, path: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(sink.files[channel][path])


def test_items_live_where_their_files_are_at_any_depth(handbook) -> None:
    _result, sink = handbook
    for channel in ("web", "mobile"):
        files = sink.files[channel]
        for path in (
            "docs/intro/index.html",
            "docs/reference/api/index.html",  # a folder without _index.md keeps its path
            "docs/guides/filters/index.html",
            "docs/guides/advanced/tuning/index.html",  # a page bundle is its folder
            "blog/2026/05/hello/index.html",  # [permalinks] blog = /:section/:year/:month/:slug/
            "blog/2026/06/trip/index.html",
        ):
            assert path in files, (channel, path)
        assert not any("/index/" in path for path in files), "a bundle is never 'index'"


def test_each_folder_with_an_index_is_a_section_with_its_listing(handbook) -> None:
    _result, sink = handbook
    docs = _page(sink, "web", "docs/index.html")
    assert docs.cssselect("h1")[0].text == "Documentation"
    assert "The documentation, by topic." in docs.cssselect("main .body")[0].text_content()
    assert [a.get("href") for a in docs.cssselect(".cards h2 a")] == [
        "/docs/reference/api/",
        "/docs/intro/",
    ]
    assert [(a.text, a.get("href")) for a in docs.cssselect(".subsections a")] == [
        ("Guides", "/docs/guides/")
    ]
    guides = _page(sink, "web", "docs/guides/index.html")
    assert guides.cssselect("h1")[0].text == "Guides"  # not taken over by docs/ or advanced/
    assert "Guides body" in guides.cssselect("main .body")[0].text_content()
    assert [a.get("href") for a in guides.cssselect(".cards h2 a")] == ["/docs/guides/filters/"]
    assert [a.text for a in guides.cssselect(".subsections a")] == ["Advanced"]
    advanced = _page(sink, "mobile", "docs/guides/advanced/index.html")
    assert [a.get("href") for a in advanced.cssselect(".cards h2 a")] == [
        "/docs/guides/advanced/tuning/"
    ]


def test_breadcrumbs_and_navigation_on_web_and_mobile(handbook) -> None:
    _result, sink = handbook
    for channel in ("web", "mobile"):
        page = _page(sink, channel, "docs/guides/advanced/tuning/index.html")
        crumbs = page.cssselect("nav.breadcrumbs li")
        assert [li.text_content() for li in crumbs] == [
            "Handbook",
            "Documentation",
            "Guides",
            "Advanced",
            "Tuning",
        ]
        assert [a.get("href") for a in page.cssselect("nav.breadcrumbs a")] == [
            "/",
            "/docs/",
            "/docs/guides/",
            "/docs/guides/advanced/",
        ]
        assert crumbs[-1].get("aria-current") == "page"
        nav = page.cssselect("header nav li a")
        assert [a.text for a in nav] == ["Blog", "Documentation"]  # top-level sections only
        assert [a.text for a in nav if a.get("aria-current")] == ["Documentation"]
    home = _page(sink, "web", "index.html")
    assert not home.cssselect("nav.breadcrumbs")


def test_section_feeds_carry_the_subtree_on_web_and_app(handbook) -> None:
    _result, sink = handbook
    feed = feedparser.parse(sink.files["web"]["docs/guides/feed.xml"])
    assert not feed.bozo
    assert feed.feed.title == "Handbook: Guides"
    assert [e.link for e in feed.entries] == [
        "https://www.handbook.example/docs/guides/advanced/tuning/",
        "https://www.handbook.example/docs/guides/filters/",
    ]
    docs = feedparser.parse(sink.files["web"]["docs/feed.xml"])
    assert len(docs.entries) == 4
    app = json.loads(sink.files["app"]["sections/docs/guides/feed.json"])
    assert app["title"] == "Handbook: Guides"
    assert [i["title"] for i in app["items"]] == ["Tuning", "Filters"]
    item = json.loads(sink.files["app"]["items/" + app["items"][1]["id"] + ".json"])
    assert item["section"] == "docs/guides"


def test_cascades_flow_down_and_the_nearest_wins(handbook) -> None:
    result, _sink = handbook
    by_title = {i.title: i for i in result.site.items}
    assert by_title["Introduction"].fields["author"] == "Docs team"
    assert by_title["API reference"].fields["author"] == "Docs team"
    assert by_title["Filters"].fields["author"] == "Guide team"
    assert by_title["Tuning"].fields["author"] == "Guide team"
    assert {i.type for i in by_title.values() if i.rel.startswith("content/docs/")} == {"article"}


def test_a_section_alias_leads_to_the_section(handbook) -> None:
    _result, sink = handbook
    moved = _page(sink, "web", "manual/index.html")
    assert moved.cssselect("link[rel=canonical]")[0].get("href") == (
        "https://www.handbook.example/docs/"
    )


BASE = """
-- content/docs/_index.md --
---
title: Docs
sumary: A typo.
cascade:
  type: article
  auther: Somebody
---
-- content/docs/a.md --
---
title: A
---
-- content/docs/b.md --
---
title: B
---
-- content/docs/c.md --
---
title: C
---
-- content/docs/d.md --
---
title: D
---
"""


def test_index_front_matter_and_cascade_keys_are_checked_once_where_written(
    tmp_path: Path,
) -> None:
    root = write_site(tmp_path / "site", BASE)
    result, _sink = build_memory(root)
    found = [(str(d.location), d.code, d.hint) for d in result.diagnostics.warnings]
    assert [(where, code) for where, code, _hint in found] == [
        ("content/docs/_index.md:3", "front-matter.unknown"),
        ("content/docs/_index.md:6", "front-matter.unknown"),
    ]
    assert found[0][2] == "did you mean 'summary'?"
    assert found[1][2] == "did you mean 'author'?"
    with pytest.raises(BuildFailed) as failed:
        build_memory(root, strict=True)
    assert len(failed.value.diagnostics) == 2


def test_permalink_patterns_are_checked(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site",
        BASE.replace("sumary: A typo.\n", "").replace("  auther: Somebody\n", "")
        + """
-- omnipub.toml --
[site]
title = "P"
default_language = "en"

[languages.en]
name = "English"

[permalinks]
docs = "/:section/:year/:slug/"
doc = "/:section/:slug/"
news = "/:section/:yaer/"

[channels.web]
base_url = "https://www.example.com/"
""",
    )
    with pytest.raises(BuildFailed) as failed:
        build_memory(root)
    [pattern] = [d for d in failed.value.diagnostics if d.code == "config.permalink"]
    assert str(pattern.location) == "omnipub.toml:11"
    assert "unknown token ':yaer'" in pattern.message
    dated = [e for e in failed.value.diagnostics if e.code == "front-matter.required"]
    assert len(dated) == 1 and dated[0].count == 4, "four undated items: one message"
    assert "dated permalink" in dated[0].message
    warnings = {d.code: d for d in failed.value.warnings}
    assert warnings["config.permalink"].hint == "did you mean 'docs'?"


def test_a_page_bundle_publishes_its_files_beside_its_page(handbook) -> None:
    result, sink = handbook
    csv = (HANDBOOK / "content/docs/guides/advanced/tuning/data.csv").read_bytes()
    tuning = next(i for i in result.site.items if i.title == "Tuning")
    assert tuning.rel == "content/docs/guides/advanced/tuning/index.md"
    assert tuning.slug == "tuning"
    for channel in ("web", "mobile"):
        assert sink.files[channel]["docs/guides/advanced/tuning/data.csv"] == csv
        page = _page(sink, channel, "docs/guides/advanced/tuning/index.html")
        [link] = page.cssselect("main .body a")
        assert link.get("href") == "/docs/guides/advanced/tuning/data.csv"
        [image] = page.cssselect("main .body img")
        assert image.get("srcset") and "/media/chart-" in image.get("src")
        assert not any(path.endswith("tuning/chart.png") for path in sink.files[channel])
    assert sink.files["app"][f"items/{tuning.id}/data.csv"] == csv
    document = json.loads(sink.files["app"][f"items/{tuning.id}.json"])
    links = [
        span
        for block in document["blocks"]
        for span in block.get("content", [])
        if isinstance(span, dict) and span.get("type") == "link"
    ]
    # app API v2: every URL in blocks is absolute
    assert [span["href"] for span in links] == [
        f"https://api.handbook.example/items/{tuning.id}/data.csv"
    ]


def test_a_body_heading_equal_to_the_title_is_not_repeated(handbook) -> None:
    result, sink = handbook
    intro = next(i for i in result.site.items if i.title == "Introduction")
    assert intro.document.body.lstrip().startswith("# Introduction")
    for channel in ("web", "mobile"):
        page = _page(sink, channel, "docs/intro/index.html")
        assert [h.text_content() for h in page.cssselect("h1")] == ["Introduction"]
        assert "Read the" in page.cssselect("main .body")[0].text_content()
    document = json.loads(sink.files["app"][f"items/{intro.id}.json"])
    assert document["blocks"][0]["type"] == "paragraph"
    html = lxml.html.fragment_fromstring(document["content_html"], create_parent="div")
    assert html.text_content().strip().startswith("Read the filters guide next.")
    assert "<h1" not in document["content_html"]


def test_a_section_pattern_keeps_flat_urls_for_the_whole_subtree(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(HANDBOOK, root)
    config = (root / "omnipub.toml").read_text()
    (root / "omnipub.toml").write_text(
        config.replace("[permalinks]\n", '[permalinks]\ndocs = "/:section/:slug/"\n')
    )
    with pytest.raises(BuildFailed) as failed:  # the home page links to the nested URL
        build_memory(root)
    [moved] = failed.value.diagnostics
    assert moved.code == "link.broken" and moved.hint == "did you mean /docs/filters/?"
    home = root / "content/_index.md"
    home.write_text(home.read_text().replace("/docs/guides/filters/", "/docs/filters/"))
    _result, sink = build_memory(root)
    files = sink.files["web"]
    assert "docs/filters/index.html" in files and "docs/tuning/index.html" in files
    assert "docs/guides/index.html" in files  # the sections keep their listings
    assert "docs/guides/filters/index.html" not in files
