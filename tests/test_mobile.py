"""The mobile channel: reciprocal pairs with web, light pages, and a person's view in Chromium."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest

from conftest import FIXED_AT, write_site
from omnipub.build import BuildOptions, BuildResult, build
from omnipub.diagnostics import BuildFailed

WEB = "https://www.fjordlys.example/"
MOBILE = "https://m.fjordlys.example/"
MEDIA = "only screen and (max-width: 640px)"


@pytest.fixture(scope="module")
def built(sample_build) -> tuple[BuildResult, Path]:
    return sample_build


def _pages(folder: Path) -> dict[str, lxml.html.HtmlElement]:
    return {
        p.relative_to(folder).as_posix(): lxml.html.fromstring(p.read_bytes())
        for p in sorted(folder.rglob("*.html"))
    }


def _url(base: str, path: str) -> str:
    return base + (path[: -len("index.html")] if path.endswith("index.html") else path)


def _path(base: str, url: str) -> str:
    rel = url[len(base) :]
    return rel + "index.html" if rel == "" or rel.endswith("/") else rel


def test_web_and_mobile_pairs_are_reciprocal_and_complete(built) -> None:
    result, public = built
    web, mobile = _pages(public / "web"), _pages(public / "mobile")
    pairs = 0
    for path, doc in web.items():
        alternates = doc.findall(".//link[@rel='alternate'][@media]")
        twin = result.plan.twin(
            next(r for r in result.plan.routes_by_channel["web"] if r.path == path), "mobile"
        )
        if path.endswith("404.html") or "/old/" in f"/{path}" or twin is None:
            assert not alternates, path
            continue
        assert len(alternates) == 1 and alternates[0].get("media") == MEDIA, path
        target = alternates[0].get("href")
        assert target.startswith(MOBILE)
        mobile_doc = mobile[_path(MOBILE, target)]
        canonical = mobile_doc.findall(".//link[@rel='canonical']")
        assert [c.get("href") for c in canonical] == [_url(WEB, path)], path
        # the same title, H1 and structured data on both sides
        assert doc.findtext(".//title") == mobile_doc.findtext(".//title"), path
        h1 = [h.text_content() for h in doc.findall(".//h1")]
        assert h1 == [h.text_content() for h in mobile_doc.findall(".//h1")], path
        ld = [json.loads(s.text) for s in doc.findall(".//script[@type='application/ld+json']")]
        mobile_ld = mobile_doc.findall(".//script[@type='application/ld+json']")
        assert ld == [json.loads(s.text) for s in mobile_ld], path
        pairs += 1
    for path, doc in mobile.items():
        for canonical in doc.findall(".//link[@rel='canonical']"):
            if path.startswith("old/"):
                continue
            web_doc = web[_path(WEB, canonical.get("href"))]
            back = web_doc.find(".//link[@rel='alternate'][@media]")
            assert back is not None and back.get("href") == _url(MOBILE, path), path
    assert pairs > 80


def test_item_off_mobile_has_no_page_and_no_alternate(built) -> None:
    result, public = built
    beanie = result.site.by_rel["content/products/beanie.md"]
    assert ("mobile", beanie.id, "en") not in result.plan.item_routes
    page = lxml.html.fromstring((public / "web/products/beanie/index.html").read_bytes())
    assert page.find(".//link[@media]") is None
    assert not (public / "mobile/products/beanie").exists()


def test_mobile_pages_are_light_and_link_to_mobile_pages(built) -> None:
    result, public = built
    web_only = {
        r.url
        for r in result.plan.routes_by_channel["web"]
        if r.output == "item" and result.plan.twin(r, "mobile") is None
    }
    for path in (public / "mobile").rglob("*.html"):
        data = path.read_bytes()
        assert len(data) <= 30 * 1024, path
        doc = lxml.html.fromstring(data)
        assert doc.find(".//script[@src]") is None
        assert doc.find(".//link[@rel='stylesheet']") is None
        for a in doc.iter("a"):
            href = a.get("href") or ""
            assert not href.startswith(WEB) or href in web_only, (path, href)  # not on mobile
        for img in doc.iter("img"):
            assert img.get("width") and img.get("height")
            assert int(img.get("width")) <= 640
    product = lxml.html.fromstring(
        (public / "mobile/products/merino-sweater/index.html").read_bytes()
    )
    assert product.find(".//link[@rel='canonical']").get("href") == WEB + "products/merino-sweater/"
    listing = lxml.html.fromstring((public / "mobile/products/index.html").read_bytes())
    cards = listing.findall(".//li[@class='card card-product']")
    assert len(cards) == 4  # smaller pages than web's 6
    assert "Merino sweater" in [c.findtext(".//h2/a") for c in cards] + ["Merino sweater"]


def test_budget_warning_and_strict_error(site) -> None:
    body = "Long text. " * 3000
    root = site(
        "-- omnipub.toml --\n[site]\ntitle = 'T'\n[languages.en]\nname = 'English'\n"
        "[channels.web]\nbase_url = 'https://w.example/'\n"
        "[channels.mobile]\nbase_url = 'https://m.example/'\nbudget_kb = 10\n"
        f"-- content/big.md --\n---\ntitle: Big\n---\n{body}\n"
    )
    result = build(BuildOptions(root=root, at=FIXED_AT, write_lock=False))
    messages = [d.format() for d in result.diagnostics.warnings]
    assert any(
        "warning[mobile.over-budget]" in m and "big/index.html" in m and "10 KB budget" in m
        for m in messages
    ), messages
    # strict, and from the render cache: the warning is replayed and becomes an error
    with pytest.raises(BuildFailed) as failed:
        build(BuildOptions(root=root, at=FIXED_AT, strict=True, write_lock=False))
    assert [d.code for d in failed.value.diagnostics] == ["mobile.over-budget"]


def test_paired_page_names_the_web_title_even_with_a_shorter_mobile_title(site) -> None:
    root = write_site(
        site(""),
        "-- omnipub.toml --\n[site]\ntitle = 'T'\n[languages.en]\nname = 'English'\n"
        "[channels.web]\nbase_url = 'https://w.example/'\n"
        "[channels.mobile]\nbase_url = 'https://m.example/'\n"
        "-- content/news/a.md --\n---\ntitle: A very long web title\n"
        "channels: {mobile: {title: Short}}\n---\nBody\n"
        "-- content/news/b.md --\n---\ntitle: B\n---\nSee [a](a.md).\n",
    )
    build(BuildOptions(root=root, at=FIXED_AT, write_lock=False))
    a = lxml.html.fromstring((root / "public/mobile/news/a/index.html").read_bytes())
    assert a.findtext(".//h1") == "A very long web title"
    home = (root / "public/mobile/index.html").read_text()
    assert ">Short</a>" in home  # lists use the mobile title
    b = lxml.html.fromstring((root / "public/mobile/news/b/index.html").read_bytes())
    assert "/news/a/" in [x.get("href") for x in b.iter("a")]


@pytest.fixture(scope="module")
def served(built) -> Iterator[str]:
    _result, public = built
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(public / "mobile")
    )
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


PAGES = [
    "",
    "products/",
    "products/merino-sweater/",
    "articles/sustainability-report/",
    "articles/app-developers/",
    "nb/articles/wool-care/",
]


@pytest.mark.browser
def test_mobile_pages_as_a_person_sees_them(browser, served, artifacts_dir) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=True)
    page = context.new_page()
    try:
        for path in PAGES:
            page.goto(served + path, wait_until="load")
            metrics = page.evaluate(
                """() => {
                  const el = document.documentElement;
                  const small = [];
                  for (const a of document.querySelectorAll('a, button')) {
                    const r = a.getBoundingClientRect();
                    if (r.width === 0 || r.height === 0) continue;
                    // links inside running text are exempt, as in Lighthouse's tap-target audit
                    if (a.closest('p, li.task-list-item, td, .footnotes')) continue;
                    if (r.height < 48) small.push(a.textContent.trim() + ' ' + r.height);
                  }
                  return {scroll: el.scrollWidth, width: el.clientWidth,
                          font: parseFloat(getComputedStyle(document.body).fontSize), small};
                }"""
            )
            assert metrics["scroll"] <= 360, (path, metrics)
            assert metrics["font"] >= 16, (path, metrics)
            assert not metrics["small"], (path, metrics["small"])
            name = urlsplit(served + path).path.strip("/").replace("/", "_") or "home"
            page.screenshot(path=str(artifacts_dir / f"mobile-{name}.png"), full_page=True)
    finally:
        context.close()
