"""Property tests: no input crashes the readers, and no output path leaves its folder."""

from __future__ import annotations

import json
import posixpath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from conftest import REPO
from omnipub import frontmatter
from omnipub.blocks import to_blocks
from omnipub.markdown import parse
from omnipub.paths import UnsafePath, check_output_path, check_site_path, check_slug, slugify

SCHEMAS = REPO / "channels/omnipub_channels/app/schemas"
ITEM_SCHEMA = json.loads((SCHEMAS / "item.schema.json").read_text())
BLOCKS = Draft202012Validator(
    {"$defs": ITEM_SCHEMA["$defs"], "type": "array", "items": {"$ref": "#/$defs/block"}}
)

yaml_text = st.text(
    alphabet=st.sampled_from(list("abc:-[]{}&*!|>'\"#\n 01.,?%@`\t\\")), max_size=200
)


@settings(max_examples=300, deadline=None)
@given(body=yaml_text, fence=st.sampled_from(["---", "+++"]))
def test_front_matter_reader_fails_only_with_located_errors(body: str, fence: str) -> None:
    try:
        matter, _body = frontmatter.read(f"{fence}\n{body}\n{fence}\ntext\n")
    except frontmatter.FrontMatterError as exc:
        assert exc.line is None or exc.line >= 1
        return
    assert isinstance(matter.data, dict)


markdown_text = st.text(alphabet=st.sampled_from(list("ab #*_-`>|[]()!~:.\n1\\<")), max_size=300)


@settings(max_examples=200, deadline=None)
@given(text=markdown_text)
def test_blocks_never_crash_and_match_the_schema(text: str) -> None:
    blocks = to_blocks(
        parse(text, 1),
        resolve_link=lambda href, _line: "/resolved/",
        link_target=lambda href: None,
        resolve_image=lambda src, alt, _line: {"src": src},
        allowed_schemes=("http", "https"),
    )
    BLOCKS.validate(blocks)


@settings(max_examples=500, deadline=None)
@given(text=st.text(max_size=40))
def test_slugs_are_safe_or_refused(text: str) -> None:
    assert "/" not in slugify(text) and ".." not in slugify(text)
    try:
        slug = check_slug(text)
    except UnsafePath:
        return
    assert "/" not in slug and "\\" not in slug and not slug.startswith(".")
    assert check_output_path(f"a/{slug}/index.html").startswith("a/")


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("/.%2eE5cC\\a\x00")), max_size=20))
def test_site_and_output_paths_never_escape(text: str) -> None:
    for check in (check_site_path, check_output_path):
        try:
            result = check(text)
        except UnsafePath:
            continue
        normal = posixpath.normpath("/root/" + result.lstrip("/"))
        assert normal.startswith("/root"), (text, result)


@pytest.mark.parametrize("text", ["[a](javascript:alert(1))", "![x](data:text/html,hi)"])
def test_blocks_drop_unsafe_urls(text: str) -> None:
    blocks = to_blocks(
        parse(text, 1),
        resolve_link=lambda h, _l: h,
        link_target=lambda h: None,
        resolve_image=lambda s, a, _l: {"src": s},
        allowed_schemes=("http", "https"),
    )
    assert "javascript" not in json.dumps(blocks) and "data:text" not in json.dumps(blocks)
