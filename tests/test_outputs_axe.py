"""axe-core in Chromium on every page of the sample's web and mobile sites, served over
HTTP as a host serves them (from `file://` the stylesheets never load, and axe then judges
unstyled pages): no violation of any impact."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from conftest import http_server

pytestmark = pytest.mark.browser

#: an alias page's refresh would leave before axe runs; it is checked without it
REFRESH = re.compile(r'<meta http-equiv="refresh"[^>]*>')


def url_path(rel: str) -> str:
    return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def axe_violations(browser: Any, folder: Path) -> tuple[int, list[str]]:
    """(pages checked, one line per violation) for every HTML page below `folder`."""
    pages = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.html"))
    found: list[str] = []
    with http_server(folder) as origin:
        context = browser.new_context()
        context.add_init_script(Axe().axe_script)
        page = context.new_page()
        try:
            for rel in pages:
                url = origin + url_path(rel)
                text = (folder / rel).read_text(encoding="utf-8")
                if REFRESH.search(text):
                    body = REFRESH.sub("", text)
                    page.route(url, _serving(body))
                page.goto(url)
                page.unroute(url)
                result = page.evaluate("axe.run({resultTypes: ['violations']})")
                for violation in result["violations"]:
                    targets = [node["target"] for node in violation["nodes"]][:3]
                    found.append(f"{rel}: {violation['id']} ({violation['impact']}) {targets}")
        finally:
            context.close()
    return len(pages), found


def _serving(body: str) -> Any:
    # one parameter: Playwright passes a handler with two the request as the second
    return lambda route: route.fulfill(body=body, content_type="text/html")


@pytest.mark.parametrize("channel", ["web", "mobile"])
def test_every_page_of_the_sample_is_axe_clean_over_http(
    sample_build: Any, browser: Any, channel: str
) -> None:
    checked, violations = axe_violations(browser, Path(sample_build[1]) / channel)
    assert checked > 100
    assert not violations, "\n".join(violations)
