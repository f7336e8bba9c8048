"""Links checked where they are written: hidden targets, site paths, anchors, columns."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import lxml.html
import pytest
from PIL import Image

from conftest import copy_sample, write_site
from omnipub.build import BuildOptions, build
from omnipub.diagnostics import BuildFailed
from omnipub.publish import MemorySink

CONFIG = """\
[site]
title = "Links"
timezone = "Europe/Oslo"
default_language = "en"

[languages.en]
name = "English"
locale = "en_GB"

[channels.web]
base_url = "https://www.example.com/"

[channels.mobile]
base_url = "https://m.example.com/"

[channels.app]
base_url = "https://api.example.com/"
"""

EXPIRING = f"""
-- omnipub.toml --
{CONFIG}
-- content/_index.md --
---
title: Home
---
See the [autumn sale](promotions/autumn.md) while it lasts.
-- content/articles/news.md --
---
title: News
date: 2026-09-01
---
The [autumn sale](../promotions/autumn.md) is on, and the [next one](../promotions/spring.md) is
coming.
-- content/promotions/autumn.md --
---
title: Autumn sale
type: article
date: 2026-09-01
expire_at: 2026-11-30
---
Everything must go.
-- content/promotions/spring.md --
---
title: Spring sale
type: article
date: 2026-09-01
publish_at: 2027-03-01
---
Soon.
"""


def _build(root: Path, at: str, strict: bool = False) -> tuple[object, MemorySink]:
    sink = MemorySink()
    result = build(BuildOptions(root=root, at=at, strict=strict, write_lock=False), sink=sink)
    return result, sink


def _html(sink: MemorySink, channel: str, path: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(sink.files[channel][path])


def _hrefs(page: lxml.html.HtmlElement) -> dict[str, str]:
    """Link text -> href of the links in the page's body."""
    return {a.text_content(): a.get("href") for a in page.cssselect("main .body a")}


def test_a_link_to_an_item_that_expires_is_a_warning_and_plain_text(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", EXPIRING)
    result, sink = _build(root, "2026-11-01T12:00:00+01:00")
    news = _html(sink, "web", "articles/news/index.html")
    assert _hrefs(news)["autumn sale"] == "/promotions/autumn/"
    assert "next one" not in _hrefs(news)  # not yet published: plain text
    mobile = _html(sink, "mobile", "articles/news/index.html")
    assert _hrefs(mobile)["autumn sale"] == "/promotions/autumn/"
    assert [d.code for d in result.diagnostics.warnings] == ["link.unpublished"]  # type: ignore[attr-defined]

    result, sink = _build(root, "2026-12-01T12:00:00+01:00")
    warnings = result.diagnostics.warnings  # type: ignore[attr-defined]
    assert [(str(d.location), d.code) for d in warnings] == [
        ("content/_index.md:4:23", "link.unpublished"),
        ("content/articles/news.md:5:19", "link.unpublished"),
        ("content/articles/news.md:5:70", "link.unpublished"),
    ]
    assert "has expired" in warnings[0].message and "plain text" in warnings[0].message
    for channel in ("web", "mobile"):
        news = _html(sink, channel, "articles/news/index.html")
        assert _hrefs(news) == {}
        assert "The autumn sale is on" in news.cssselect("main")[0].text_content()
        home = _html(sink, channel, "index.html")
        assert "autumn sale" not in _hrefs(home)
        assert "See the autumn sale while it lasts." in home.text_content()
    document = json.loads(sink.files["app"]["items/" + _app_id(sink, "News") + ".json"])
    spans = document["blocks"][0]["content"]
    # no link is left: only text (a plain string, or a marked text span)
    assert all(isinstance(span, str) or span["type"] == "text" for span in spans)
    text = "".join(span if isinstance(span, str) else span["text"] for span in spans)
    assert text.startswith("The autumn sale is on")

    with pytest.raises(BuildFailed) as failed:
        _build(root, "2026-12-01T12:00:00+01:00", strict=True)
    assert {d.code for d in failed.value.diagnostics} == {"link.unpublished"}


def _app_id(sink: MemorySink, title: str) -> str:
    for path, data in sink.files["app"].items():
        if path.startswith("items/") and json.loads(data).get("title") == title:
            return path[len("items/") : -len(".json")]
    raise AssertionError(f"no app item titled {title!r}")


def test_a_link_to_a_draft_stays_an_error(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site",
        f"""
-- omnipub.toml --
{CONFIG}
-- content/a.md --
---
title: A
---
Read [the plan](b.md).
-- content/b.md --
---
title: B
draft: true
---
Secret.
""",
    )
    with pytest.raises(BuildFailed) as failed:
        _build(root, "2026-12-01T12:00:00+01:00")
    [problem] = failed.value.diagnostics
    assert (problem.code, str(problem.location)) == ("link.hidden", "content/a.md:4:17")
    assert "draft" in problem.message


#: a year from the day the tests run: the README's first command must keep working
A_YEAR_AHEAD = (dt.datetime.now(dt.UTC) + dt.timedelta(days=365)).strftime("%Y-%m-%dT12:00:00Z")


@pytest.mark.parametrize("at", ["2027-01-16T12:00:00+01:00", A_YEAR_AHEAD])
def test_the_sample_site_builds_as_the_calendar_moves_on(tmp_path: Path, at: str) -> None:
    root = copy_sample(tmp_path / "sample")
    result, _sink = _build(root, at)
    assert not result.diagnostics.errors  # type: ignore[attr-defined]


SITE_PATHS = f"""
-- omnipub.toml --
{CONFIG}
-- content/products/coat.md --
---
title: Coat
channels:
  mobile: {{slug: coat-m}}
---
## Sizes

From S to XL.
-- content/articles/guide.md --
---
title: Guide
date: 2026-09-01
---
## Usage

See the [coat](/products/coat/#sizes), [in full](/products/coat), [above](#usage).
Also [gone](/products/gonne/), [a typo](#usag) and [its sise](/products/coat/#sise).
The [autumn sale](/promotions/autumn/) ended.
-- content/promotions/autumn.md --
---
title: Autumn sale
type: article
date: 2026-09-01
expire_at: 2026-11-30
---
Everything must go.
"""


def test_root_relative_links_and_anchors_are_checked_where_written(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE_PATHS)
    with pytest.raises(BuildFailed) as failed:
        _build(root, "2026-12-01T12:00:00+01:00")
    [broken] = failed.value.diagnostics
    assert (str(broken.location), broken.code) == ("content/articles/guide.md:8:13", "link.broken")
    assert "no page of this site is at /products/gonne/" in broken.message
    assert broken.hint == "did you mean /products/coat/?"
    warnings = [(str(d.location), d.code, d.hint) for d in failed.value.warnings]
    assert warnings == [
        ("content/articles/guide.md:8:41", "link.anchor", "did you mean #usage?"),
        ("content/articles/guide.md:8:63", "link.anchor", "did you mean #sizes?"),
        ("content/articles/guide.md:9:19", "link.unpublished", warnings[2][2]),
    ]

    fixed = (root / "content/articles/guide.md").read_text().replace("gonne", "coat")
    (root / "content/articles/guide.md").write_text(fixed)
    result, sink = _build(root, "2026-12-01T12:00:00+01:00")
    web = _hrefs(_html(sink, "web", "articles/guide/index.html"))
    assert web["coat"] == "/products/coat/#sizes"
    assert web["in full"] == "/products/coat/"
    assert web["above"] == "#usage"
    assert "autumn sale" not in web  # expired: plain text
    mobile = _hrefs(_html(sink, "mobile", "articles/guide/index.html"))
    assert mobile["coat"] == "/products/coat-m/#sizes"  # the mobile page, on mobile
    assert mobile["in full"] == "/products/coat-m/"
    document = json.loads(sink.files["app"]["items/" + _app_id(sink, "Guide") + ".json"])
    spans = [s for block in document["blocks"] for s in block.get("content", [])]
    coat_id = _app_id(sink, "Coat")
    linked = [
        s["item_id"]
        for s in spans
        if isinstance(s, dict) and s.get("type") == "link" and "item_id" in s
    ]
    assert linked == [coat_id] * 4  # coat, in full, the fixed link, its sise


SECTIONS = """
-- omnipub.toml --
[site]
title = "Sections"
timezone = "Europe/Oslo"
default_language = "en"

[languages.en]
name = "English"
locale = "en_GB"

[channels.web]
base_url = "https://www.example.com/"

[channels.mobile]
base_url = "https://www.example.com/m/"

[channels.app]
base_url = "https://api.example.com/"
-- content/_index.md --
---
title: Home
---
Read the [docs](docs/_index.md).
-- content/docs/_index.md --
---
title: Docs
---
## Topics

The [guides](guides/_index.md#start-here), [by URL](/docs/guides/#start-here) and
[home](../_index.md); [the tuning guide](guides/tuning/index.md) with
[its data](guides/tuning/data.csv).
-- content/docs/guides/_index.md --
---
title: Guides
---
## Start here

Hands-on walkthroughs.
-- content/docs/guides/filters.md --
---
title: Filters
date: 2026-04-01
---
Back to [the docs](../_index.md#topics) or [all guides](_index.md); the
[advanced](advanced/_index.md) ones come later.
Get [the numbers](tuning/data.csv) of [tuning](tuning/index.md), and [its chart](tuning/chart.png).
-- content/docs/guides/tuning/index.md --
---
title: Tuning
date: 2026-04-02
---
Download [the measurements](data.csv).
-- content/docs/guides/tuning/data.csv --
a,b
1,2
-- content/docs/guides/advanced/_index.md --
---
title: Advanced
---
For experts.
-- content/docs/guides/advanced/later.md --
---
title: Later
date: 2026-04-03
publish_at: 2027-01-01
---
Soon.
"""


def _sections_site(tmp_path: Path) -> Path:
    root = write_site(tmp_path / "site", SECTIONS)
    Image.new("RGB", (1600, 900), "teal").save(root / "content/docs/guides/tuning/chart.png")
    return root


def test_links_to_sections_and_bundle_files_lead_to_their_pages_in_each_channel(
    tmp_path: Path,
) -> None:
    root = _sections_site(tmp_path)
    result, sink = _build(root, "2026-12-01T12:00:00+01:00")
    # the advanced section lists only an item not published yet: no page today
    warnings = result.diagnostics.warnings  # type: ignore[attr-defined]
    assert [(str(d.location), d.code) for d in warnings] == [
        ("content/docs/guides/filters.md:6:12", "link.unpublished")
    ]
    assert "section docs/guides/advanced/ has no page in this build" in warnings[0].message

    def links(channel: str, path: str) -> dict[str, str]:
        page = _html(sink, channel, path)
        return {a.text_content(): a.get("href") for a in page.cssselect("main a")}

    for channel, base in (("web", "/"), ("mobile", "/m/")):
        filters = links(channel, "docs/guides/filters/index.html")
        assert filters["the docs"] == f"{base}docs/#topics"
        assert filters["all guides"] == f"{base}docs/guides/"
        assert filters["the numbers"] == f"{base}docs/guides/tuning/data.csv"
        assert filters["tuning"] == f"{base}docs/guides/tuning/"
        # a bundle image is published as renditions: the link opens the largest one
        chart = filters["its chart"][len(base) :]
        assert chart.startswith("media/chart-") and chart.endswith("-1200w.png")
        assert Image.open(io.BytesIO(sink.files[channel][chart])).size == (1200, 675)
        assert "advanced" not in filters  # plain text until the section lists something
        docs = links(channel, "docs/index.html")  # a section's intro
        assert docs["guides"] == f"{base}docs/guides/#start-here"
        assert docs["by URL"] == f"{base}docs/guides/#start-here"
        assert docs["home"] == base
        assert docs["its data"] == f"{base}docs/guides/tuning/data.csv"
        assert links(channel, "index.html")["docs"] == f"{base}docs/"
        # every link leads to a page or file of this channel's build
        for href in [*filters.values(), *docs.values()]:
            path = href.split("#")[0][len(base) :]
            path = path + "index.html" if path.endswith("/") or not path else path
            assert path in sink.files[channel], (channel, href)
        assert sink.files[channel]["docs/guides/tuning/data.csv"] == b"a,b\n1,2\n"

    document = json.loads(sink.files["app"]["items/" + _app_id(sink, "Filters") + ".json"])
    body = lxml.html.fromstring(document["content_html"])
    app = {a.text_content(): a.get("href") for a in body.iter("a")}
    tuning_id = _app_id(sink, "Tuning")
    assert app == {
        "the docs": "https://www.example.com/docs/#topics",
        "all guides": "https://www.example.com/docs/guides/",
        "the numbers": f"https://api.example.com/items/{tuning_id}/data.csv",
        "tuning": "https://www.example.com/docs/guides/tuning/",
        "its chart": app["its chart"],
    }
    assert app["its chart"].startswith("https://api.example.com/media/chart-")
    assert f"items/{tuning_id}/data.csv" in sink.files["app"]

    # once the advanced item is out, the section has its page and the link returns
    result, sink = _build(root, "2027-01-02T12:00:00+01:00")
    assert not result.diagnostics.warnings  # type: ignore[attr-defined]
    assert links("mobile", "docs/guides/filters/index.html")["advanced"] == (
        "/m/docs/guides/advanced/"
    )


def test_links_to_missing_sections_bundle_files_and_anchors_are_located(tmp_path: Path) -> None:
    root = _sections_site(tmp_path)
    docs = root / "content/docs/_index.md"
    docs.write_text(
        docs.read_text()
        + "\nNo [such section](nope/_index.md), no [folder section](guides/tuning/_index.md),\n"
        "no [such file](guides/tuning/dat.csv), no [such heading](guides/_index.md#start) "
        "or [here](/docs/guides/#start-her) or [on this page](#topic).\n"
    )
    with pytest.raises(BuildFailed) as failed:
        _build(root, "2027-01-02T12:00:00+01:00")
    found = [(str(d.location), d.code, d.hint) for d in failed.value.diagnostics]
    assert found == [
        ("content/docs/_index.md:10:19", "link.broken", found[0][2]),
        ("content/docs/_index.md:10:56", "link.broken", found[1][2]),
        ("content/docs/_index.md:11:16", "link.broken", "did you mean data.csv?"),
    ]
    assert "_index.md" in (found[0][2] or "")
    found = [(str(d.location), d.code, d.hint) for d in failed.value.warnings]
    assert found == [
        ("content/docs/_index.md:11:58", "link.anchor", "did you mean #start-here?"),
        ("content/docs/_index.md:11:92", "link.anchor", "did you mean #start-here?"),
        ("content/docs/_index.md:11:135", "link.anchor", "did you mean #topics?"),
    ]
    assert "no such item or section (content/docs/nope/_index.md)" in (
        failed.value.diagnostics[0].message
    )
    assert "page bundle content/docs/guides/tuning/ has no file dat.csv" in (
        failed.value.diagnostics[2].message
    )


LOOSE = f"""
-- omnipub.toml --
{CONFIG}
-- content/articles/care.md --
---
title: Care
date: 2026-09-01
---
Read [the guide](guide.pdf), [the old one](old.pdf), [the logo](../../static/logo.svg)
and [the shop](../products/) (a URL, left as written).
-- content/articles/guide.pdf --
%PDF-1.4
-- static/logo.svg --
<svg xmlns="http://www.w3.org/2000/svg"/>
"""


def test_a_relative_link_to_a_file_in_no_bundle_is_an_error_saying_what_to_do(
    tmp_path: Path,
) -> None:
    """The browser would look for the file beside the page's URL, where nothing is: the
    link would be broken in every channel."""
    root = write_site(tmp_path / "site", LOOSE)
    with pytest.raises(BuildFailed) as failed:
        _build(root, "2026-11-01T12:00:00+01:00")
    found = [(str(d.location), d.code, d.hint) for d in failed.value.diagnostics]
    assert found == [
        (
            "content/articles/care.md:5:18",
            "link.broken",
            "make this page a bundle (content/articles/care/index.md, with guide.pdf beside "
            "it), or move the file to static/ and link /guide.pdf",
        ),
        (
            "content/articles/care.md:5:44",
            "link.broken",
            "check the path: links to files are relative to this Markdown file",
        ),
        ("content/articles/care.md:5:65", "link.broken", "link it from the site root: /logo.svg"),
    ]
    bundle = root / "content/articles/care"
    bundle.mkdir()
    (root / "content/articles/care.md").rename(bundle / "index.md")
    (root / "content/articles/guide.pdf").rename(bundle / "guide.pdf")
    text = (bundle / "index.md").read_text()
    (bundle / "index.md").write_text(
        text.replace(", [the old one](old.pdf)", "").replace("../../static/logo.svg", "/logo.svg")
    )
    _result, sink = _build(root, "2026-11-01T12:00:00+01:00")
    assert sink.files["web"]["articles/care/guide.pdf"] == b"%PDF-1.4\n"
    assert _hrefs(_html(sink, "web", "articles/care/index.html"))["the guide"] == (
        "/articles/care/guide.pdf"
    )
