"""Ids and tags become file names and URLs: ids are checked, tags are addressed by slugs.

The URLs are checked the way a crawler meets them: parsed out of the pages and the sitemap
with lxml, checked against RFC 3986, and fetched from a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import http.server
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from lxml import etree, html

from conftest import FIXED_AT
from omnipub.cli import cli

CONFIG = """\
-- omnipub.toml --
[site]
title = "Tags"
timezone = "UTC"
[languages.en]
name = "English"
[channels.web]
base_url = "https://www.example.com/"
[channels.app]
base_url = "https://api.example.com/"
-- content/articles/_index.md --
---
cascade: {type: article}
---
"""

#: RFC 3986 path characters: unreserved, sub-delims, ':', '@', '/' and percent-escapes
URL_PATH = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")


def build(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["build", str(root), "--at", FIXED_AT])
    return result.exit_code, result.output


@pytest.fixture
def http_root() -> Iterator[tuple[list[Path], str]]:
    """A static HTTP server on 127.0.0.1 over a folder set later (`holder[0]`)."""
    holder: list[Path] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(holder[0]), **kwargs)

        def log_message(self, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield holder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_hostile_id_is_a_located_error(site) -> None:
    root = site(
        CONFIG
        + "-- content/articles/a.md --\n---\ntitle: A\nid: x'onload='alert(document.domain)'\n"
        "---\nBody\n"
    )
    code, output = build(root)
    assert code == 1
    assert "content/articles/a.md:3:5: error[id.invalid]: id" in output
    assert "contains" in output and "hint: an id is up to 128 ASCII letters" in output
    assert "Traceback" not in output
    assert not (root / "public").exists()


@pytest.mark.parametrize("bad", ["-lead", "a/b", "ö", "a b", "x" * 129])
def test_unsafe_ids_are_refused(site, bad: str) -> None:
    root = site(CONFIG + f'-- content/articles/a.md --\n---\ntitle: A\nid: "{bad}"\n---\nBody\n')
    code, output = build(root)
    assert code == 1 and "error[id.invalid]" in output


TAGS = ["c#", "q?x", "100%", "a b"]


def test_awkward_tags_get_working_urls(site, http_root) -> None:
    listed = ", ".join(f'"{t}"' for t in TAGS)
    root = site(
        CONFIG + f"-- content/articles/a.md --\n---\ntitle: A\ndate: 2026-01-01\ntags: [{listed}]\n"
        "---\nBody\n"
        + "-- content/articles/b.md --\n---\ntitle: B\ndate: 2026-01-02\nslug: strømper\n---\n"
    )
    code, output = build(root)
    assert code == 0, output
    web = root / "public/web"
    holder, base = http_root
    holder.append(web)

    page = html.fromstring((web / "articles/a/index.html").read_bytes())
    links = {a.text_content(): a.get("href") for a in page.xpath("//a[@rel='tag']")}
    assert set(links) == set(TAGS)
    for tag, href in links.items():
        assert URL_PATH.fullmatch(href), href
        status, body = fetch(base + href)
        assert status == 200, (tag, href)
        listing = html.fromstring(body)
        assert tag in listing.findtext(".//h1"), (tag, href)
        assert listing.xpath("//a[contains(@href, '/articles/a/')]")

    sitemap = etree.fromstring((web / "sitemap.xml").read_bytes())
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [loc.text or "" for loc in sitemap.findall(".//s:loc", ns)]
    tag_locs = [loc for loc in locs if "/tags/" in loc and not loc.endswith("/tags/")]
    assert len(tag_locs) == len(TAGS)
    assert any("/articles/str%C3%B8mper/" in loc for loc in locs)  # encoded, not raw
    for loc in locs:
        parts = urlsplit(loc)
        assert parts.scheme == "https" and not parts.query and not parts.fragment, loc
        assert URL_PATH.fullmatch(parts.path), loc
        assert fetch(base + parts.path)[0] == 200, loc

    tags_index = html.fromstring((web / "tags/index.html").read_bytes())
    for href in tags_index.xpath("//a[@rel='tag']/@href"):
        assert fetch(base + href)[0] == 200, href
    app = root / "public/app"
    assert sorted(p.parent.name for p in app.glob("tags/*/feed.json")) == ["100", "a-b", "c", "q-x"]


def test_case_variants_of_a_tag_are_one_located_error(site) -> None:
    root = site(
        CONFIG
        + "-- content/articles/a.md --\n---\ntitle: A\ntags: [sale, wool]\n---\n"
        + "-- content/articles/b.md --\n---\ntitle: B\ntags:\n  - wool\n  - Sale\n---\n"
        + "-- content/articles/c.md --\n---\ntitle: C\ntags: [Sale]\n---\n"
    )
    code, output = build(root)
    assert code == 1
    assert output.count("error[tag.collision]") == 1, output
    assert (
        "content/articles/b.md:5:5: error[tag.collision]: tag 'Sale' has the same URL "
        "(tags/sale/) as tag 'sale' at content/articles/a.md:3:8" in output
    )
    assert "hint: spell the tag as 'sale' here" in output


@pytest.mark.parametrize("tag", ["..", "../x", "#"])
def test_tags_that_would_escape_or_vanish(site, tag: str) -> None:
    root = site(CONFIG + f'-- content/articles/a.md --\n---\ntitle: A\ntags: ["{tag}"]\n---\n')
    code, output = build(root)
    assert "Traceback" not in output and "crashed" not in output
    if tag == "../x":
        assert code == 0 and (root / "public/web/tags/x/index.html").is_file()
    else:
        assert code == 1 and "content/articles/a.md:3:8: error[tag.url]" in output
