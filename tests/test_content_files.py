"""Every file in content/ is accounted for: read, reported, or listed by `omnipub check`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import FIXED_AT, build_memory, write_site
from omnipub.cli import cli
from omnipub.diagnostics import BuildFailed

SITE = """
-- content/guide.md --
---
title: Guide
---
Read the [changelog](changelog.markdown) and look: ![a chart](images/used.png)
-- content/changelog.markdown --
---
title: Changelog
---
Version 2 is out.
-- content/widget.mdx --
import Chart from './chart'

# Widget

<Chart />
-- content/manual.rst --
Manual
======
-- content/notes.mkd --
# Notes
"""


def _png(path: Path) -> None:
    data = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(data, "PNG")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.getvalue())


def _site(root: Path) -> Path:
    write_site(root, SITE)
    _png(root / "content/images/used.png")
    _png(root / "content/images/unused.png")
    (root / "content/files").mkdir()
    (root / "content/files/manual.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    return root


def test_markdown_and_markdown_files_are_read_others_are_reported(tmp_path: Path) -> None:
    root = _site(tmp_path / "site")
    result, sink = build_memory(root)
    web = sink.files["web"]
    assert "changelog/index.html" in web
    guide = lxml.html.fromstring(web["guide/index.html"])
    assert guide.cssselect("main a")[0].get("href") == "/changelog/"
    found = {
        str(d.location): (d.code, d.message, d.hint)
        for d in result.diagnostics.warnings
        if d.code == "content.unread"
    }
    assert sorted(found) == ["content/manual.rst:1", "content/notes.mkd:1", "content/widget.mdx:1"]
    code, message, hint = found["content/widget.mdx:1"]
    assert message == ".mdx files are not read: this file is not published"
    assert "rename it to .md" in hint and "import lines" in hint
    assert "pandoc" in found["content/manual.rst:1"][2]
    assert "Markdown under another name" in found["content/notes.mkd:1"][2]

    with pytest.raises(BuildFailed) as failed:
        build_memory(root, strict=True)
    assert {d.code for d in failed.value.diagnostics} == {"content.unread"}


def test_the_same_unread_format_in_many_files_is_one_message(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", "-- content/home.md --\n---\ntitle: Home\n---\n")
    for n in range(6):
        (root / f"content/docs/page-{n}.mdx").parent.mkdir(parents=True, exist_ok=True)
        (root / f"content/docs/page-{n}.mdx").write_text(f"# Page {n}\n")
    result, _sink = build_memory(root)
    [warning] = result.diagnostics.warnings
    assert warning.count == 6
    assert str(warning.location) == "content/docs/page-0.mdx:1"
    assert [str(e) for e in warning.examples] == [f"content/docs/page-{n}.mdx:1" for n in (1, 2, 3)]
    text = warning.format()
    assert "(6 files)" in text and "and 2 more" in text and "rename it to .md" in text


def test_check_lists_assets_nothing_references(tmp_path: Path) -> None:
    root = _site(tmp_path / "site")
    result = CliRunner().invoke(cli, ["check", str(root), "--at", FIXED_AT, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    unreferenced = sorted(
        d["path"] for d in report["warnings"] if d["code"] == "asset.unreferenced"
    )
    assert unreferenced == ["content/files/manual.pdf", "content/images/unused.png"]
    assert "content/files/manual.pdf: warning[asset.unreferenced]" in result.output

    for name in ("widget.mdx", "manual.rst", "notes.mkd"):
        (root / "content" / name).unlink()
    strict = CliRunner().invoke(cli, ["check", str(root), "--at", FIXED_AT, "--strict"])
    assert strict.exit_code == 1
    assert "content/images/unused.png: error[asset.unreferenced]" in strict.output
