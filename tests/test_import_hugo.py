"""`omnipub import hugo`: a Hugo site with sections, a bundle, translations, shortcodes,
dates, aliases, a draft, an expired and a future page becomes a site that builds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from import_support import attention, build_web, import_site, links, published, redirect_target

from omnipub.cli import cli


@pytest.fixture(scope="module")
def hugo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The fixture Hugo site imported once for the module (each import also builds)."""
    dest = tmp_path_factory.mktemp("import") / "site"
    return dest, import_site("hugo", "import-hugo", dest)


def test_hugo_site_imports_builds_and_keeps_its_old_urls(hugo: tuple[Path, dict[str, Any]]) -> None:
    dest, report = hugo
    web = build_web(dest)
    urls = published(web)
    for url in (
        "/",
        "/about/",
        "/fr/about/",
        "/posts/",
        "/posts/first-post/",
        "/posts/trip/",
        "/posts/offer/",
        "/posts/old-notes/",
        "/docs/guide/",
        "/docs/guide/install/",  # folders keep their place in URLs, as in Hugo
    ):
        assert url in urls, url
    # a nested list page is a nested section: its listing links to its pages
    assert (dest / "content/docs/guide/_index.md").is_file()
    assert not (dest / "content/docs/guide/index.md").exists()
    assert "/docs/guide/install/" in links(web, "/docs/guide/").values()
    # moved pages redirect from where they were: front matter aliases, section permalinks
    # (/:year/:month/:slug/) and `url`; a nested section's page keeps its URL
    assert redirect_target(web, "/about-us/") == "https://blog.example.org/about/"
    assert (
        redirect_target(web, "/2024/01/first-post/") == "https://blog.example.org/posts/first-post/"
    )
    assert redirect_target(web, "/special/offer/") == "https://blog.example.org/posts/offer/"
    assert redirect_target(web, "/notes/old/") == "https://blog.example.org/posts/old-notes/"
    # a draft, an expired page and a page published in 2099 leak nowhere
    for path in (dest / "public").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".json", ".txt"):
            text = path.read_text(encoding="utf-8")
            for title in ("Unfinished", "Summer sale", "Next season"):
                assert title not in text, (title, path)
    # ref and relref became file links, which omnipub resolves per channel
    assert links(web, "/about/")["read our first post"] == "/posts/first-post/"
    assert links(web, "/posts/first-post/")["trip"] == "/posts/trip/"
    assert links(web, "/posts/first-post/")["About us"] == "/about/"
    assert links(web, "/posts/trip/")["first post"] == "/posts/first-post/"
    # the bundle keeps its image next to its page
    assert (dest / "content/posts/trip/photo.png").read_bytes() == (
        Path(__file__).parent / "sites/import-hugo/content/posts/trip/photo.png"
    ).read_bytes()
    assert (dest / "static/images/banner.png").is_file()
    assert (dest / "content/posts/old-notes.md").is_file()  # .markdown renamed
    assert report["files"][".markdown renamed to .md"] == 1
    assert report["keys"]["expiryDate → expire_at"] == 1
    assert report["keys"]["description → summary"] == 5


def test_hugo_shortcodes_become_myst_components_and_the_rest_is_reported(
    hugo: tuple[Path, dict[str, Any]],
) -> None:
    dest, report = hugo
    first = (dest / "content/posts/first-post.md").read_text(encoding="utf-8")
    assert "```{figure} /images/banner.png\n:alt: The banner\n\nOur new banner\n```" in first
    assert (
        "```{video} https://www.youtube.com/watch?v=dQw4w9WgXcQ\n:title: YouTube video\n```"
        in first
    )
    assert '```python\nprint("ahoy")\n```' in first
    assert ":::{callout} warning\nMind the **gap** when boarding.\n:::" in first
    assert "See the [trip](trip/index.md) and [About us](../about.md)." in first
    trip = (dest / "content/posts/trip/index.md").read_text(encoding="utf-8")
    assert "```{figure} photo.png\n:alt: The coast at sunset\n\n**Sunset**\n```" in trip
    assert "```{video} https://vimeo.com/146022717\n:title: Vimeo video\n```" in trip
    install = (dest / "content/docs/guide/install.md").read_text(encoding="utf-8")
    assert ":::{callout} tip\nUse a bowline.\n:::" in install
    assert '`{{< figure src="x" >}}`' in install  # an escaped shortcode is text
    assert ":::{callout} note\nKnots take practice.\n:::" in install  # a GitHub alert
    assert "<!--more-->" not in (dest / "content/posts/old-notes.md").read_text(encoding="utf-8")
    # what is left points at the line that holds it, in the new file and in the old one
    needs = attention(report)
    assert ("hugo.shortcode", "content/posts/trip/index.md", 22) in needs
    gist = next(n for n in report["attention"] if n["code"] == "hugo.shortcode")
    assert gist["source_line"] == 10
    assert trip.splitlines()[21].startswith("{{< gist harbour")
    html_note = next(n for n in report["attention"] if n["code"] == "content.html")
    assert install.splitlines()[html_note["line"] - 1].startswith("<div")
    assert len(needs) == 2


def test_hugo_front_matter_maps_to_omnipub_fields(hugo: tuple[Path, dict[str, Any]]) -> None:
    dest, _ = hugo
    result = CliRunner().invoke(cli, ["list", str(dest), "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["source"]: row for row in json.loads(result.stdout)}
    assert rows["content/posts/draft-post.md"]["visibility"] == "draft"
    assert rows["content/posts/expired.md"]["visibility"] == "expired"
    assert rows["content/posts/future.md"]["visibility"] == "future"
    assert rows["content/about.fr.md"]["lang"] == "fr"
    first = (dest / "content/posts/first-post.md").read_text(encoding="utf-8")
    head = first.split("---")[1]
    for line in (
        "summary: The first post of the harbour.",
        "date: 2024-01-15T10:00:00+01:00",
        "updated: 2024-02-01",
        "- Shop",  # categories join tags
        "weight: 3",
        "author: Ada Quay",  # from the section's cascade
    ):
        assert line in head, line
    config = (dest / "omnipub.toml").read_text(encoding="utf-8")
    assert 'base_url = "https://blog.example.org/"' in config
    assert 'timezone = "Europe/Oslo"' in config
    assert '[languages.fr]\nname = "Français"\nlocale = "fr_FR"' in config
