"""`omnipub import eleventy`: the config's input folder and passthrough copies, global and
directory data, dated file names, permalinks, Nunjucks shortcodes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from import_support import attention, build_web, import_site, links, published, redirect_target


@pytest.fixture(scope="module")
def eleventy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    dest = tmp_path_factory.mktemp("import") / "site"
    return dest, import_site("eleventy", "import-eleventy", dest)


def test_eleventy_site_imports_builds_and_keeps_its_old_urls(
    eleventy: tuple[Path, dict[str, Any]],
) -> None:
    dest, report = eleventy
    web = build_web(dest)
    urls = published(web)
    for url in ("/", "/about-us/", "/blog/", "/blog/first-light/", "/blog/trip/"):
        assert url in urls, url
    assert not any(u.startswith("/private") for u in urls)  # .eleventyignore
    assert (
        redirect_target(web, "/blog/2024-01-10-first-light/")
        == "https://tides.example.com/blog/first-light/"
    )
    for path in (dest / "public").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".txt"):
            text = path.read_text(encoding="utf-8")
            for title in ("Spring tide alert", "Draft", "Secret"):
                assert title not in text, (title, path)
    # the trip's image sat beside its page: it still does, and the page shows it
    trip = (web / "blog/trip/index.html").read_text(encoding="utf-8")
    assert 'alt="The lighthouse"' in trip
    assert (dest / "content/blog/trip/photo.png").is_file()
    assert (dest / "static/img/boat.png").is_file()  # passthrough "src/img"
    assert not (dest / "static/robots.txt").exists()  # the new site writes its own
    assert links(web, "/blog/first-light/")["about us"] == "/about-us/"
    assert links(web, "/blog/first-light/")["trip"] == "/blog/trip/"
    config = (dest / "omnipub.toml").read_text(encoding="utf-8")
    assert 'title = "Tide Tables"' in config and 'author = "Tess Tide"' in config
    assert 'base_url = "https://tides.example.com/"' in config
    assert report["keys"]["directory data → copied into each page"] == 4


def test_eleventy_shortcodes_become_components_and_the_rest_is_reported(
    eleventy: tuple[Path, dict[str, Any]],
) -> None:
    dest, report = eleventy
    post = (dest / "content/blog/first-light.md").read_text(encoding="utf-8")
    head = post.split("---")[1]
    assert "date: 2024-01-10" in head and "- posts\n- tides" in head
    assert "```{figure} /img/boat.png\n:alt: A boat\n```" in post
    assert (
        "```{video} https://www.youtube.com/watch?v=dQw4w9WgXcQ\n:title: YouTube video\n```" in post
    )
    assert ":::{callout} warning\nWatch the **tide**.\n:::" in post
    assert '```js\nconst tide = "high";\n```' in post
    assert "Welcome to Tide Tables." in (dest / "content/_index.md").read_text(encoding="utf-8")
    needs = attention(report)
    year = next(n for n in report["attention"] if n["code"] == "eleventy.tag")
    assert "defined at eleventy.config.js:8" in year["message"]
    assert post.splitlines()[year["line"] - 1].startswith("Copyright {% year %}")
    assert year["source"] == "src/blog/2024-01-10-first-light.md" and year["source_line"] == 17
    assert ("eleventy.data", "src/_data/nav.js", None) in needs
    assert ("content.format", "src/blog/archive.njk", 1) in needs
    assert ("static.generated", "src/static/robots.txt", None) in needs
    assert len(needs) == 4
