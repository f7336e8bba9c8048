"""Links checked where they are written: hidden targets, site paths, anchors, columns."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import lxml.html
import pytest

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
