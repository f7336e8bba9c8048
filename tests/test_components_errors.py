"""Components written wrong: every problem is located at path:line:col, with a hint, and the
CLI exits 1 with no traceback."""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent

import lxml.html
import pytest
from click.testing import CliRunner

from conftest import FIXED_AT, build_memory
from omnipub.cli import cli
from omnipub.diagnostics import BuildFailed, Diagnostic
from omnipub.directives import ComponentUse, uses_of
from omnipub.markdown import parse

PRODUCTS = """
-- content/products/coat.md --
---
title: Coat
id: coat
type: product
sku: C-1
price: 100
currency: NOK
availability: in_stock
---
A coat.
-- content/products/secret.md --
---
title: Secret prototype jacket
type: product
sku: S-1
price: 100
currency: NOK
availability: preorder
draft: true
---
Not yet.
"""


def failures(root: Path) -> list[Diagnostic]:
    with pytest.raises(BuildFailed) as failed:
        build_memory(root)
    return failed.value.diagnostics


def located(diagnostics: list[Diagnostic]) -> list[tuple[str, str]]:
    return [(d.code, str(d.location)) for d in diagnostics]


def test_an_unknown_component_is_located_and_suggests_the_near_name(site) -> None:
    root = site(
        """
        -- content/articles/a.md --
        ---
        title: A
        ---
        Intro.

        :::{calout} tip
        Text.
        :::
        """
    )
    [problem] = failures(root)
    assert (problem.code, str(problem.location)) == (
        "component.unknown",
        "content/articles/a.md:6:1",
    )
    assert "did you mean 'callout'?" in (problem.hint or "")
    result = CliRunner().invoke(cli, ["build", str(root), "--at", FIXED_AT])
    assert result.exit_code == 1
    assert (
        "content/articles/a.md:6:1: error[component.unknown]: unknown component {calout}"
        in result.output
    )
    assert "Traceback" not in result.output


def test_arguments_are_typed_like_front_matter(site) -> None:
    root = site(
        """
        -- content/articles/a.md --
        ---
        title: A
        ---
        :::{callout} danger
        :titel: Careful
        Text.
        :::

        ```{figure} missing.jpg
        ```

        ```{store-hours} oslo
        :late: maybe
        ```
        -- components/store-hours.html --
        <p>{{ args.store }}</p>
        -- components/store-hours.toml --
        argument = "store"
        [args.store]
        kind = "string"
        [args.late]
        kind = "bool"
        """
    )
    problems = {(d.code, str(d.location)): d for d in failures(root)}
    kind = problems[("component.type", "content/articles/a.md:4:1")]
    assert "must be one of note, tip, warning, got 'danger'" in kind.message
    option = problems[("component.option", "content/articles/a.md:5:1")]
    assert "did you mean 'title'?" in (option.hint or "")
    assert ("component.required", "content/articles/a.md:9:1") in problems  # figure's alt
    late = problems[("component.type", "content/articles/a.md:13:8")]  # the value's column
    assert "'late' must be true or false, got 'maybe'" in late.message


def test_a_product_that_is_missing_or_unpublished_is_an_error(site) -> None:
    root = site(
        PRODUCTS
        + dedent(
            """
        -- content/articles/a.md --
        ---
        title: A
        ---
        See {product}`C-1` and {product}`nope`.

        ```{product} ../products/secret.md
        ```

        ```{product} a.md
        ```
        """
        )
    )
    problems = failures(root)
    assert located(problems) == [
        ("component.product-missing", "content/articles/a.md:4:24"),
        ("component.product-hidden", "content/articles/a.md:6:1"),
        ("component.product-type", "content/articles/a.md:9:1"),
    ]
    assert "draft and not published" in problems[1].message


def test_a_block_component_cannot_stand_in_a_sentence_and_a_card_takes_no_body(site) -> None:
    root = site(
        PRODUCTS
        + dedent(
            """
        -- content/articles/a.md --
        ---
        title: A
        ---
        A {callout}`note` here.

        ```{product} coat
        Some text.
        ```
        """
        )
    )
    assert located(failures(root)) == [
        ("component.inline", "content/articles/a.md:4:3"),
        ("component.body", "content/articles/a.md:7:1"),
    ]


def test_a_site_components_schema_is_checked_where_it_is_written(site) -> None:
    root = site(
        """
        -- content/articles/a.md --
        ---
        title: A
        ---
        Text.
        -- components/map.html --
        <div></div>
        -- components/map.toml --
        argument = "place"
        [args.zoom]
        kind = "integer"
        -- components/callout.html --
        <div></div>
        """
    )
    problems = failures(root)
    messages = {(d.code, str(d.location), d.message) for d in problems}
    assert (
        "component.schema",
        "components/map.toml",
        "args.zoom: unknown kind 'integer'",
    ) in messages
    assert (
        "component.name",
        "components/callout.html",
        "'callout' is a built-in component",
    ) in messages


def test_options_block_in_yaml_and_nested_directives_keep_file_lines() -> None:
    body = """Intro.

::::{callout} note
---
title: Outer
---
Text.

:::{callout} tip
:title: Inner
{product}`coat`
:::
::::
"""
    uses = uses_of(parse(body, 10))
    assert [(u.name, u.line, u.inline) for u in uses] == [
        ("callout", 12, False),
        ("callout", 18, False),
        ("product", 20, True),
    ]
    outer: ComponentUse = uses[0]
    assert [(o.key, str(o.value), o.line) for o in outer.options] == [("title", "Outer", 14)]
    assert [(o.key, str(o.value), o.line, o.column) for o in uses[1].options] == [
        ("title", "Inner", 19, 9)
    ]


def test_a_button_to_an_expired_item_is_a_warning_and_its_label_as_text(site) -> None:
    """As a link does: a date passing must not fail the build; the button returns by itself."""
    root = site(
        """
        -- omnipub.toml --
        [site]
        title = "Test shop"
        timezone = "Europe/Oslo"
        default_language = "en"
        [languages.en]
        name = "English"
        locale = "en_GB"
        [channels.web]
        base_url = "https://www.example.com/"
        [channels.app]
        base_url = "https://api.example.com/"
        -- content/promotions/autumn.md --
        ---
        title: Autumn sale
        type: article
        date: 2026-09-01
        expire_at: 2026-11-15
        ---
        Half price.
        -- content/articles/a.md --
        ---
        title: A
        ---
        Intro.

        :::{button} ../promotions/autumn.md
        To the sale
        :::
        """
    )
    result, sink = build_memory(root, at="2026-11-01T12:00:00+01:00")
    web = lxml.html.fromstring(sink.files["web"]["articles/a/index.html"])
    assert [a.get("href") for a in web.find_class("button")] == ["/promotions/autumn/"]

    result, sink = build_memory(root)
    [warning] = result.diagnostics.warnings
    assert (warning.code, str(warning.location)) == (
        "link.unpublished",
        "content/articles/a.md:6:1",
    )
    page = lxml.html.fromstring(sink.files["web"]["articles/a/index.html"])
    assert not page.find_class("button") and not page.xpath("//main//a[contains(., 'sale')]")
    assert page.find_class("cta")[0].text_content() == "To the sale"
    [app] = [d for p, d in sink.files["app"].items() if p.startswith("items/")]
    blocks = json.loads(app)["blocks"]
    assert blocks[-1] == {"type": "paragraph", "content": ["To the sale"]}
    with pytest.raises(BuildFailed):
        build_memory(root, strict=True)
