"""axe-core in Chromium over HTTP, shared by the axe tests and `bench/axe_corpus.py`: pages
are served as a host serves them (from `file://` the stylesheets never load, and axe then
judges unstyled pages)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe

from conftest import http_server

#: an alias page's refresh would leave before axe runs; it is checked without it
REFRESH = re.compile(r'<meta http-equiv="refresh"[^>]*>')


def url_path(rel: str) -> str:
    return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def html_pages(folder: Path) -> list[str]:
    """Every HTML page below `folder`, as sorted paths relative to it."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.html"))


def axe_violations(
    browser: Any, folder: Path, pages: Iterable[str] | None = None
) -> tuple[int, list[str]]:
    """(pages checked, one line per violation) for `pages` (default: every HTML page) of
    `folder`, served on 127.0.0.1."""
    chosen = html_pages(folder) if pages is None else list(pages)
    found: list[str] = []
    with http_server(folder) as origin:
        context = browser.new_context()
        context.add_init_script(Axe().axe_script)
        page = context.new_page()
        try:
            for rel in chosen:
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
    return len(chosen), found


def _serving(body: str) -> Any:
    # one parameter: Playwright passes a handler with two the request as the second
    return lambda route: route.fulfill(body=body, content_type="text/html")
