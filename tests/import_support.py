"""Shared steps of the import tests: import a fixture site, build it with the real CLI,
and read what the web channel published with lxml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from lxml import html

from conftest import REPO
from omnipub.cli import cli

SITES = REPO / "tests" / "sites"


def import_site(generator: str, fixture: str, dest: Path) -> dict[str, Any]:
    """`omnipub import GENERATOR fixture DEST --json`; it must exit 0 (the result builds)."""
    result = CliRunner().invoke(
        cli, ["import", generator, str(SITES / fixture), str(dest), "--json"]
    )
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["build"]["ok"] is True
    return report


def build_web(site: Path) -> Path:
    """`omnipub build SITE` must exit 0; returns public/web."""
    result = CliRunner().invoke(cli, ["build", str(site), "--quiet"])
    assert result.exit_code == 0, result.output
    return site / "public" / "web"


def published(web: Path) -> set[str]:
    """Every URL path the web channel wrote a page for (`/posts/x/`, `/old.html`)."""
    urls = set()
    for path in web.rglob("*.html"):
        rel = path.relative_to(web).as_posix()
        urls.add("/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel))
    return urls


def redirect_target(web: Path, url: str) -> str:
    """Where the alias page at `url` sends a browser (its meta refresh)."""
    rel = url.lstrip("/") + ("index.html" if url.endswith("/") else "")
    tree = html.fromstring((web / rel).read_bytes())
    content = tree.xpath("//meta[@http-equiv='refresh']/@content")[0]
    return str(content.split("url=", 1)[1])


def links(web: Path, url: str) -> dict[str, str]:
    """Text -> href of the links in the article body of a page."""
    rel = url.lstrip("/") + "index.html"
    tree = html.fromstring((web / rel).read_bytes())
    return {a.text_content().strip(): a.get("href") for a in tree.xpath("//main//a[@href]")}


def attention(report: dict[str, Any]) -> list[tuple[str, str, int | None]]:
    """(code, path, line) of every item that needs a person."""
    return [
        (n["code"], n["path"] or n["source"], n["line"] or n["source_line"])
        for n in report["attention"]
    ]
