"""User errors: `path:line: message` with a hint, exit code 1, no traceback, nothing lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXED_AT, write_site
from omnipub.cli import cli

GOOD = """\
-- content/articles/_index.md --
---
title: Journal
cascade: {type: article}
---
-- content/articles/ok.md --
---
title: A good article
date: 2026-01-01
---
Fine.
-- content/products/_index.md --
---
cascade: {type: product}
---
"""


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["build", str(root), "--at", FIXED_AT, *args])
    return result.exit_code, result.output


CASES = {
    "bad-yaml": (
        "-- content/articles/bad.md --\n---\ntitle: [unclosed\n---\nBody\n",
        "content/articles/bad.md:3:",
        "(while parsing a flow sequence that starts on line 2)",
    ),
    "bad-toml": (
        '-- content/articles/bad.md --\n+++\ntitle = "x\n+++\nBody\n',
        "content/articles/bad.md:2:",
        "error[front-matter.syntax]: invalid TOML",
    ),
    "unterminated": (
        "-- content/articles/bad.md --\n---\ntitle: x\nBody\n",
        "content/articles/bad.md:1:1:",
        "is never closed",
    ),
    "wrong-type": (
        "-- content/articles/bad.md --\n---\ntitle: x\ndate: soon\n---\nBody\n",
        "content/articles/bad.md:3:",
        "'date' must be a date, got 'soon'",
    ),
    "missing-required": (
        "-- content/products/p.md --\n---\ntitle: P\nsku: S1\ncurrency: NOK\n"
        "availability: in_stock\n---\n",
        "content/products/p.md:1:",
        "product items need 'price'",
    ),
    "price-not-number": (
        "-- content/products/p.md --\n---\ntitle: P\nsku: S1\nprice: cheap\ncurrency: NOK\n"
        "availability: in_stock\n---\n",
        "content/products/p.md:4:",
        "'price' must be a number, got 'cheap'",
    ),
    "fact-override": (
        "-- content/products/p.md --\n---\ntitle: P\nsku: S1\nprice: 10\ncurrency: NOK\n"
        "availability: in_stock\nchannels:\n  web: {price: 5}\n---\n",
        "content/products/p.md:8:",
        "'price' states a fact and cannot be overridden for the web channel",
    ),
    "broken-link": (
        "-- content/articles/bad.md --\n---\ntitle: x\n---\nSee [nothing](nothing.md).\n",
        "content/articles/bad.md:4:",
        "error[link.broken]",
    ),
    "hidden-link": (
        "-- content/articles/bad.md --\n---\ntitle: x\n---\nSee [draft](d.md).\n"
        "-- content/articles/d.md --\n---\ntitle: d\ndraft: true\n---\n",
        "content/articles/bad.md:4:",
        "which is a draft and not published",
    ),
    "collision": (
        "-- content/articles/one.md --\n---\ntitle: One\nslug: same\n---\n"
        "-- content/articles/two.md --\n---\ntitle: Two\nslug: same\n---\n",
        "content/articles/two.md",
        "error[url.collision]",
    ),
    "slug-escape": (
        "-- content/articles/bad.md --\n---\ntitle: x\nslug: ../../etc\n---\n",
        "content/articles/bad.md:3:",
        "is not a single safe path segment",
    ),
    "unknown-channel": (
        "-- content/articles/bad.md --\n---\ntitle: x\nchannels: [web, fax]\n---\n",
        "content/articles/bad.md:3:",
        "unknown channel 'fax'",
    ),
    "window": (
        "-- content/articles/bad.md --\n---\ntitle: x\npublish_at: 2026-05-01\n"
        "expire_at: 2026-04-01\n---\n",
        "content/articles/bad.md:3:",
        "'publish_at' is not before 'expire_at'",
    ),
    "missing-template": (
        "-- content/articles/bad.md --\n---\ntitle: x\ntype: recipe\n---\n"
        "-- omnipub.toml --\n[site]\ntitle = 'T'\n[languages.en]\nname = 'English'\n"
        "[channels.web]\nbase_url = 'https://example.com/'\n[types.recipe.fields]\n"
        "serves = {kind = 'int'}\n-- templates/web/item.html --\n{% include 'nope.html' %}\n",
        "templates/web/item.html:1",
        "nope.html",
    ),
    "template-syntax": (
        "-- templates/web/item.html --\n{% if item.title %}\n<p>{{ item.title }}</p>\n",
        "templates/web/item.html:",
        "error[template.syntax]",
    ),
    "template-runtime": (
        "-- templates/web/article.html --\n<p>\n{{ item.title.nope.deeper() }}\n</p>\n",
        "templates/web/article.html:2",
        "rendering content/articles/ok.md",
    ),
    "broken-image": (
        "-- content/articles/bad.md --\n---\ntitle: x\n---\n\n![a kettle](/kettle.jpg)\n"
        "-- static/kettle.jpg --\nthis was saved as text\n",
        "content/articles/bad.md:5:13: error[image.unreadable]",
        "its bytes are not an image",
    ),
    "svg-without-a-size": (
        "-- content/articles/bad.md --\n---\ntitle: x\nimage: /logo.svg\n---\n"
        "-- static/logo.svg --\n<svg xmlns='http://www.w3.org/2000/svg'><rect/></svg>\n",
        "content/articles/bad.md:3: error[image.unreadable]",
        "an SVG needs a width and height",
    ),
    "static-file-at-a-page": (
        "-- static/articles/ok/index.html --\n<p>a hand-made copy</p>\n",
        "static/articles/ok/index.html: error[url.collision]",
        "claims articles/ok/index.html, the output of content/articles/ok.md",
    ),
    "static-files-equal-but-for-case": (
        "-- static/Logo.svg --\n<svg/>\n-- static/logo.svg --\n<svg/>\n",
        "static/logo.svg: error[url.collision]",
        "where case is ignored",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_user_error_is_located_explained_and_loses_nothing(tmp_path: Path, case: str) -> None:
    files, where, what = CASES[case]
    root = write_site(tmp_path / "site", GOOD)
    code, output = run(root)
    assert code == 0, output
    before = {p: p.read_bytes() for p in (root / "public").rglob("*") if p.is_file()}
    write_site(root, files)
    code, output = run(root)
    assert code == 1, output
    assert where in output, output
    assert what in output, output
    assert "hint:" in output
    assert "Traceback" not in output
    assert "the previous output is untouched" in output
    after = {p: p.read_bytes() for p in (root / "public").rglob("*") if p.is_file()}
    assert after == before


def test_every_error_of_a_build_is_reported(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", GOOD)
    write_site(root, CASES["wrong-type"][0].replace("bad.md", "one.md"))
    write_site(root, CASES["broken-link"][0].replace("bad.md", "two.md"))
    code, output = run(root)
    assert code == 1
    assert "content/articles/one.md:3:" in output and "content/articles/two.md:4:" in output
    assert "build failed: 2 errors" in output


def test_unknown_field_warns_and_strict_fails(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", GOOD)
    write_site(root, "-- content/articles/w.md --\n---\ntitle: W\ncolour: red\n---\n")
    code, output = run(root)
    assert code == 0
    assert (
        "content/articles/w.md:3: warning[front-matter.unknown]: unknown field 'colour'" in output
    )
    code, output = run(root, "--strict")
    assert code == 1
    assert "content/articles/w.md:3: error[front-matter.unknown]" in output


def test_yaml_implicit_conversions_follow_the_schema(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site",
        GOOD
        + "-- content/articles/no.md --\n---\ntitle: no\nsummary: 1.10\nauthor: 2026-01-01\n---\n",
    )
    code, output = run(root)
    assert code == 0, output
    html = (root / "public/web/articles/no/index.html").read_text()
    assert "<h1>no</h1>" in html and "1.10" in html and "2026-01-01" in html


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "has no omnipub.toml" in result.output and "omnipub new" in result.output
    root = write_site(tmp_path / "site", GOOD)
    result = CliRunner().invoke(cli, ["build", str(root), "--channel", "fax"])
    assert result.exit_code == 2 and "available channels:" in result.output


def test_a_static_file_named_like_an_image_rendition_is_a_collision(tmp_path: Path) -> None:
    from PIL import Image

    root = write_site(
        tmp_path / "site",
        GOOD + "-- content/articles/pic.md --\n---\ntitle: Pic\n---\n![a shelf](/shelf.png)\n",
    )
    (root / "static").mkdir()
    Image.new("RGB", (1600, 900), (200, 120, 40)).save(root / "static/shelf.png")
    code, output = run(root)
    assert code == 0, output
    rendition = sorted((root / "public/web/media").glob("shelf-*"))[0]
    before = rendition.read_bytes()
    (root / "static/media").mkdir()
    (root / "static/media" / rendition.name).write_bytes(b"not the rendition")
    code, output = run(root)
    assert code == 1, output
    assert f"static/media/{rendition.name}: error[url.collision]" in output, output
    assert "a rendition of static/shelf.png" in output, output
    assert rendition.read_bytes() == before
