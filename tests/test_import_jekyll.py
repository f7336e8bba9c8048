"""`omnipub import jekyll`: posts with dates in their names, drafts, `published: false`, an
expired post, categories from folders, `defaults`, includes and Liquid tags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from import_support import attention, build_web, import_site, links, published, redirect_target


@pytest.fixture(scope="module")
def jekyll(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    dest = tmp_path_factory.mktemp("import") / "site"
    return dest, import_site("jekyll", "import-jekyll", dest)


def test_jekyll_site_imports_builds_and_keeps_its_old_urls(
    jekyll: tuple[Path, dict[str, Any]],
) -> None:
    dest, report = jekyll
    web = build_web(dest)
    urls = published(web)
    for url in (
        "/",
        "/about/",
        "/docs/",
        "/docs/knots/",
        "/posts/welcome-aboard/",
        "/posts/second/",
        "/posts/harbour-news/",
    ):
        assert url in urls, url
    base = "https://ropes.example.net"
    # Jekyll's default permalink (/:categories/:year/:month/:day/:title.html), a category
    # from the folder (news/_posts/), redirect_from, and a page's .html URL
    old = {
        "/shop/2024/01/15/welcome-aboard.html": "/posts/welcome-aboard/",
        "/shop/2024/02/01/second.html": "/posts/second/",
        "/second.html": "/posts/second/",
        "/news/2024/01/20/harbour-news.html": "/posts/harbour-news/",
        "/docs/knots.html": "/docs/knots/",
    }
    for before, after in old.items():
        assert redirect_target(web, before) == base + after, before
    for path in (dest / "public").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".txt"):
            text = path.read_text(encoding="utf-8")
            for title in ("Hidden", "Work in progress", "Summer sale"):
                assert title not in text, (title, path)
    # {% link %}, {% post_url %} and a link to an old URL all lead to the new pages
    assert links(web, "/about/")["the welcome post"] == "/posts/welcome-aboard/"
    assert links(web, "/posts/welcome-aboard/")["about"] == "/about/"
    assert links(web, "/posts/welcome-aboard/")["second post"] == "/posts/second/"
    assert links(web, "/posts/second/")["first post"] == "/posts/welcome-aboard/"
    assert (dest / "static/assets/img/banner.png").is_file()
    assert (dest / "data/team.yml").is_file()
    assert not (dest / "static/README.md").exists()  # excluded in _config.yml
    assert report["keys"]["file name date → date"] == 4
    assert report["keys"]["published: false → draft: true"] == 1
    assert report["keys"]["redirect_from → aliases"] == 1


def test_jekyll_liquid_becomes_components_and_the_rest_is_reported(
    jekyll: tuple[Path, dict[str, Any]],
) -> None:
    dest, report = jekyll
    post = (dest / "content/posts/welcome-aboard.md").read_text(encoding="utf-8")
    head = post.split("---")[1]
    for line in ("date: 2024-01-15", "- rope\n- news\n- shop", "author: Sam Sail"):
        assert line in head, line
    assert "summary: The journal opens." in head
    assert "![Banner](/assets/img/banner.png)" in post  # {{ site.baseurl }} is gone
    assert "```{figure} /assets/img/banner.png\n:alt: Banner\n\nOur banner\n```" in post
    assert (
        "```{video} https://www.youtube.com/watch?v=dQw4w9WgXcQ\n:title: YouTube video\n```" in post
    )
    assert ":::{callout} note\nBring a coat.\n:::" in post
    assert "Liquid looks like {{ this }}." in post  # {% raw %}
    assert "Remember to add photos" not in post and "{: .wide}" not in post
    knots = (dest / "content/docs/knots.md").read_text(encoding="utf-8")
    assert '```ruby\nputs "bowline"\n```' in knots
    second = (dest / "content/posts/second.md").read_text(encoding="utf-8")
    assert "date: 2024-02-01T18:30:00+01:00" in second  # Jekyll's "+0100" form
    needs = attention(report)
    assert ("jekyll.tag", "content/posts/second.md", 12) in needs
    assert ("jekyll.tag", "content/posts/second.md", 14) in needs
    assert second.splitlines()[11].startswith("{% if page.title %}")
    assert second.splitlines()[13] == "{% include newsletter.html %}"
    sources = {n["source"]: n["source_line"] for n in report["attention"]}
    assert sources["_posts/2024-02-01-second.markdown"] in (8, 10)
    assert ("content.format", "assets/css/style.scss", 1) in needs
    assert ("content.format", "feed.xml", 1) in needs
    assert len(needs) == 4
