"""Diagnostics for sites of thousands of files: located once, collapsed, with the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import build_memory, write_site
from omnipub.diagnostics import BuildFailed

TWO_CHANNELS = """\
[site]
title = "D"
timezone = "Europe/Oslo"
default_language = "en"

[languages.en]
name = "English"

[channels.web]
base_url = "https://www.example.com/"

[channels.mobile]
base_url = "https://m.example.com/"
"""


def _errors(root: Path) -> list:
    with pytest.raises(BuildFailed) as failed:
        build_memory(root)
    return failed.value.diagnostics


@pytest.mark.parametrize(
    ("files", "where", "other", "hint"),
    [
        (
            "-- content/docs/a.md --\n---\ntitle: A\n\nslug: same\n---\n"
            "-- content/docs/b.md --\n---\ntitle: B\nslug: same\n---\n",
            "content/docs/b.md:3",
            "content/docs/a.md:4 and this file claim the same URL",
            "give one of them another slug",
        ),
        (
            "-- content/docs/a.md --\n---\ntitle: A\naliases: [/old/]\n---\n"
            "-- content/docs/b.md --\n---\ntitle: B\n\naliases: [/old/]\n---\n",
            "content/docs/b.md:4",
            "content/docs/a.md:3 and this file claim the same URL",
            "two pages name the same old URL in 'aliases'",
        ),
        (
            "-- content/docs/guide.md --\n---\ntitle: File\n---\n"
            "-- content/docs/guide/index.md --\n---\ntitle: Bundle\n---\n",
            "content/docs/guide/index.md:1",
            "content/docs/guide.md and this file are both the page docs/guide",
            "content/docs/guide/index.md is a page bundle",
        ),
    ],
    ids=["slug", "alias", "bundle"],
)
def test_a_collision_is_one_error_naming_both_sources_at_their_lines(
    tmp_path: Path, files: str, where: str, other: str, hint: str
) -> None:
    root = write_site(tmp_path / "site", f"-- omnipub.toml --\n{TWO_CHANNELS}" + files)
    [error] = _errors(root)  # web and mobile both see it: one mistake, one error
    assert error.code == "url.collision"
    assert str(error.location) == where
    assert error.message.startswith(other)
    assert hint in (error.hint or "")


FOREIGN = """
-- content/page.md --
---
title: Page
---
Intro {{< figure src="a.png" >}} and {{% note %}}careful{{% /note %}}.

{% include footer.html %} on {{ site.url }}.

import Chart from './chart'

<Chart data={1} />

See <{{% eturl robots %}}>.

```
{{< not-this >}} {% include inside-code.html %}
```

And `{{< not-in-a-code-span >}}` either.
"""


def test_foreign_syntax_is_a_located_warning(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", FOREIGN)
    result, sink = build_memory(root)
    found = [
        (str(d.location), d.message.split(" (")[0])
        for d in result.diagnostics.warnings
        if d.code == "content.foreign-syntax"
    ]
    assert found == [
        ("content/page.md:4:7", "a Hugo shortcode"),
        ("content/page.md:4:38", "a Hugo shortcode"),
        ("content/page.md:4:57", "a Hugo shortcode"),
        ("content/page.md:6:1", "Liquid template code"),
        ("content/page.md:6:30", "Liquid template code"),
        ("content/page.md:8:1", "an MDX import or export line"),
        ("content/page.md:10:1", "an MDX/JSX component"),
        ("content/page.md:12:6", "a Hugo shortcode"),
    ]


def test_the_same_problem_in_many_files_is_one_message_with_the_section_fix(
    tmp_path: Path,
) -> None:
    products = "".join(
        f"-- content/products/p{n}.md --\n---\ntitle: P{n}\ntype: product\nsku: S{n}\n"
        f"price: 10\ncurrency: NOK\n---\n"
        for n in range(6)
    )
    root = write_site(tmp_path / "site", products)
    [error] = _errors(root)
    assert (error.code, error.count) == ("front-matter.required", 6)
    assert error.message == "product items need 'availability' (6 files)"
    assert [str(e) for e in error.examples] == [
        "content/products/p1.md:1",
        "content/products/p2.md:1",
        "content/products/p3.md:1",
    ]
    assert "content/products/_index.md" in (error.hint or "")
    assert "cascade: {availability: ...}" in (error.hint or "")
    text = error.format()
    assert "also content/products/p1.md:1" in text and "and 2 more" in text


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("description", "did you mean 'summary'?"),
        ("expiryDate", "did you mean 'expire_at'?"),
        ("publishDate", "did you mean 'publish_at'?"),
        ("redirect_from", "did you mean 'aliases'?"),
        ("categories", "did you mean 'tags'?"),
        ("permalink", "'permalink' has no meaning here: "),
        ("layout", "'layout' has no meaning here: templates are chosen by the item's 'type'"),
        ("sumary", "did you mean 'summary'?"),
    ],
)
def test_foreign_keys_get_a_did_you_mean(tmp_path: Path, key: str, hint: str) -> None:
    root = write_site(
        tmp_path / "site", f"-- content/a.md --\n---\ntitle: A\n{key}: something\n---\n"
    )
    result, _sink = build_memory(root)
    [warning] = result.diagnostics.warnings
    assert (str(warning.location), warning.code) == ("content/a.md:3", "front-matter.unknown")
    assert (warning.hint or "").startswith(hint)


def test_a_bad_cascade_value_is_reported_once_at_its_line(tmp_path: Path) -> None:
    products = "".join(
        f"-- content/products/p{n}.md --\n---\ntitle: P{n}\nsku: S{n}\nprice: 10\n"
        "availability: in_stock\n---\n"
        for n in range(5)
    )
    root = write_site(
        tmp_path / "site",
        "-- content/products/_index.md --\n---\ntitle: Products\ncascade:\n  type: product\n"
        "  currency: kroner\n---\n" + products,
    )
    errors = _errors(root)
    cascade = [e for e in errors if e.location and e.location.path.endswith("_index.md")]
    assert [(str(e.location), e.code) for e in cascade] == [
        ("content/products/_index.md:5:13", "front-matter.type")
    ]


def test_capitalised_html_is_not_taken_for_a_component(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site", "-- content/a.md --\n---\ntitle: A\n---\nOne<BR>two <Widget />\n"
    )
    result, _sink = build_memory(root)
    assert [(str(d.location), d.code) for d in result.diagnostics.warnings] == [
        ("content/a.md:4:12", "content.foreign-syntax")
    ]
