"""Hostile input: each case fails cleanly at its place, reports every other error, loses nothing."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXED_AT, write_site
from omnipub.cli import cli
from omnipub.markdown import scheme_of

BASE = """\
-- content/articles/_index.md --
---
cascade: {type: article}
---
-- content/articles/fine.md --
---
title: Fine
---
Fine.
"""


def run(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["build", str(root), "--at", FIXED_AT])
    return result.exit_code, result.output


def bad_file(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def alias_bomb() -> bytes:
    """A "billion laughs": each alias level multiplies the values by nine."""
    lines = [b"---", b"title: x", b"a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        name, prev = chr(97 + i), chr(96 + i)
        refs = ", ".join([f"*{prev}"] * 9)
        lines.append(f"{name}: &{name} [{refs}]".encode())
    return b"\n".join([*lines, b"---", b""])


CASES: dict[str, tuple[str, bytes | None, str]] = {
    "alias-bomb": ("content/articles/bomb.md", None, "content/articles/bomb.md:"),
    "deep-nesting": (
        "content/articles/deep.md",
        b"---\ntitle: x\ndeep: " + b"[" * 60 + b"]" * 60 + b"\n---\n",
        "nests deeper than",
    ),
    "title-list": (
        "content/articles/list.md",
        b"---\ntitle: [a, b]\n---\n",
        "'title' must be text, got a list",
    ),
    "invalid-utf8": (
        "content/articles/latin1.md",
        b"---\ntitle: caf\xe9\n---\n",
        "content/articles/latin1.md:2:11: error[load.encoding]",
    ),
    "empty": ("content/articles/empty.md", b"", "content/articles/empty.md:1: error[load.empty]"),
    "binary": ("content/articles/image.md", b"\x89PNG\r\n\x1a\n\x00\x00", "error[load.binary]"),
    "alias-escape": (
        "content/articles/alias.md",
        b"---\ntitle: x\naliases: [../../etc/passwd]\n---\n",
        "content/articles/alias.md:3: error[url.unsafe]",
    ),
    "encoded-slug": (
        "content/articles/enc.md",
        b"---\ntitle: x\nslug: '%2e%2e'\n---\n",
        "content/articles/enc.md:3: error[url.unsafe]",
    ),
    "backslash-slug": (
        "content/articles/bs.md",
        b"---\ntitle: x\nslug: 'a\\\\b'\n---\n",
        "error[url.unsafe]",
    ),
    "image-escape": (
        "content/articles/img.md",
        b"---\ntitle: x\nimage: ../../../secret.jpg\n---\n",
        "content/articles/img.md:3: error[image.unsafe]",
    ),
    "body-image-missing": (
        "content/articles/pic.md",
        b"---\ntitle: x\n---\n![a](nope.jpg)\n",
        "content/articles/pic.md:4:6: error[image.missing]",
    ),
    "javascript-link": (
        "content/articles/js.md",
        b"---\ntitle: x\n---\n[x](javascript:alert(1))\n",
        "content/articles/js.md:4:5: error[link.scheme]",
    ),
    "case-clash": ("content/articles/Fine.md", b"---\ntitle: Other\n---\n", "error[url.collision]"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_input(tmp_path: Path, case: str) -> None:
    root = write_site(tmp_path / "site", BASE)
    assert run(root)[0] == 0
    before = {p: p.read_bytes() for p in (root / "public").rglob("*") if p.is_file()}
    rel, data, expected = CASES[case]
    bad_file(root, rel, data if data is not None else alias_bomb())
    bad_file(root, "content/articles/also-bad.md", b"---\ntitle: y\ndate: never\n---\n")
    code, output = run(root)
    assert code == 1, output
    assert expected in output, output
    assert "content/articles/also-bad.md:3:" in output  # every other error is reported too
    assert "hint:" in output and "Traceback" not in output
    assert {p: p.read_bytes() for p in (root / "public").rglob("*") if p.is_file()} == before


def test_bom_is_accepted(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", BASE)
    bad_file(root, "content/articles/bom.md", b"\xef\xbb\xbf---\ntitle: Bom\n---\nText\n")
    code, output = run(root)
    assert code == 0, output
    assert "<h1>Bom</h1>" in (root / "public/web/articles/bom/index.html").read_text()


def test_huge_file_is_rejected_without_reading_it(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", BASE)
    with (root / "content/articles/huge.md").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    code, output = run(root)
    assert code == 1
    assert "content/articles/huge.md: error[load.too-large]: file is 50.0 MB" in output


def test_symlink_loop_and_outside_link(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", BASE)
    (tmp_path / "outside.md").write_text("---\ntitle: secret\n---\n")
    os.symlink(tmp_path / "outside.md", root / "content/articles/outside.md")
    os.symlink(root / "content", root / "content/articles/loop")
    code, output = run(root)
    assert code == 1
    assert "content/articles/outside.md: error[discover.symlink-outside]" in output
    assert "error[discover.symlink-loop]" in output


def test_yaml_tags_cannot_build_objects(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", BASE)
    marker = tmp_path / "pwned"
    text = f"---\ntitle: !!python/object/apply:os.system ['touch {marker}']\n---\n"
    bad_file(root, "content/articles/tag.md", text.encode())
    code, output = run(root)
    assert code == 1 and "is not allowed in front matter" in output
    assert not marker.exists()


@given(
    st.text(
        alphabet=st.sampled_from(list("aJ:/\\.+-_0 \t\r\n\x00\x01\x1f\x85\xa0\u2028#?%é")),
        max_size=16,
    )
)
@settings(max_examples=3000, deadline=None)
def test_link_schemes_are_read_exactly_as_urlsplit_reads_them(url: str) -> None:
    """The scheme check is a fast path past `urlsplit`; it must never read a scheme (say
    `java\\tscript:`) differently from the browser-minded parser it stands for."""
    try:
        expected = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return
    assert scheme_of(url) == expected
    assert scheme_of("java\tscript:alert(1)") == "javascript"
