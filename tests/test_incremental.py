"""Incremental builds equal clean builds, byte for byte, after any sequence of edits."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXED_AT, write_site
from omnipub.build import BuildOptions, build

CONFIG = """\
[site]
title = "Inc"
timezone = "Europe/Oslo"
default_language = "en"

[languages.en]
name = "English"
locale = "en_GB"

[languages.nb]
name = "Norsk"
locale = "nb_NO"

[channels.web]
base_url = "https://www.example.com/"
page_size = 2
"""

BASE = f"""\
-- omnipub.toml --
{CONFIG}
-- content/_index.md --
---
title: Home
---
Welcome.
-- content/articles/_index.md --
---
title: Journal
cascade: {{type: article}}
---
-- content/products/_index.md --
---
title: Products
cascade: {{type: product, currency: NOK, availability: in_stock}}
---
-- content/articles/a.md --
---
title: Alpha
date: 2026-01-01
tags: [x, y]
---
See [beta](b.md) and [the kettle](../products/kettle.md).
-- content/articles/b.md --
---
title: Beta
date: 2026-02-01
tags: [y]
---
Beta body.
-- content/articles/b.nb.md --
---
title: Beta på norsk
---
Norsk tekst.
-- content/products/kettle.md --
---
title: Kettle
sku: K-1
price: 499
tags: [x]
---
A kettle.
"""

OPS = ("edit_body", "edit_title", "add", "delete", "rename", "template", "tags", "draft", "noop")


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".omnipub" not in p.parts
    }


def apply(root: Path, op: str, rng: random.Random, counter: list[int]) -> None:
    articles = sorted((root / "content/articles").glob("[!_]*.md"))
    originals = [p for p in articles if p.name.count(".") == 1]
    counter[0] += 1
    n = counter[0]
    if op == "edit_body" and articles:
        path = rng.choice(articles)
        path.write_text(path.read_text() + f"\nMore text {n}.\n")
    elif op == "edit_title" and originals:
        path = rng.choice(originals)
        text = path.read_text()
        path.write_text(text.replace("title: ", f"title: T{n} ", 1))
    elif op == "add":
        (root / f"content/articles/new-{n}.md").write_text(
            f"---\ntitle: New {n}\ndate: 2026-03-{n % 28 + 1:02d}\ntags: [y]\n---\nBody {n}.\n"
        )
    elif op == "delete":
        candidates = [p for p in originals if p.stem.startswith("new-")]
        if candidates:
            rng.choice(candidates).unlink()
    elif op == "rename":
        candidates = [p for p in originals if p.stem.startswith("new-")]
        if candidates:
            path = rng.choice(candidates)
            path.rename(path.with_name(f"moved-{n}.md"))
    elif op == "template":
        folder = root / "templates/web"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "404.html").write_text(f"<!doctype html><title>Lost {n}</title><p>{n}</p>\n")
    elif op == "tags" and originals:
        path = rng.choice(originals)
        path.write_text(path.read_text().replace("tags: [", f"tags: [t{n % 3}, ", 1))
    elif op == "draft":
        candidates = [p for p in originals if p.stem.startswith("new-")]
        if candidates:
            path = rng.choice(candidates)
            path.write_text(path.read_text().replace("---\ntitle", "---\ndraft: true\ntitle", 1))


def build_into(root: Path, out: Path, use_cache: bool) -> None:
    build(BuildOptions(root=root, out_dir=out, at=FIXED_AT, use_cache=use_cache, executor="serial"))


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(st.sampled_from(OPS), min_size=3, max_size=7), seed=st.integers(0, 10_000))
def test_incremental_equals_clean(tmp_path_factory: pytest.TempPathFactory, ops, seed) -> None:
    base = tmp_path_factory.mktemp("inc")
    root = write_site(base / "site", BASE)
    out = base / "public"
    rng = random.Random(seed)
    counter = [0]
    build_into(root, out, use_cache=True)
    for op in ops:
        apply(root, op, rng, counter)
        build_into(root, out, use_cache=True)
        fresh_root = base / f"fresh-{counter[0]}"
        shutil.copytree(root, fresh_root, ignore=shutil.ignore_patterns(".omnipub"))
        fresh_out = base / f"fresh-out-{counter[0]}"
        build_into(fresh_root, fresh_out, use_cache=False)
        assert tree(out) == tree(fresh_out), f"after {op} (ops so far: {ops})"


def test_unchanged_routes_are_reused_and_edits_rerender_dependents(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", BASE)
    options = BuildOptions(root=root, out_dir=tmp_path / "out", at=FIXED_AT, executor="serial")
    first = build(options)
    assert first.reports["web"].reused == 0
    second = build(options)
    assert second.reports["web"].rendered == 0
    assert second.reports["web"].written == 0
    path = root / "content/articles/b.md"
    path.write_text(path.read_text() + "\nAn edit.\n")
    third = build(options)
    report = third.reports["web"]
    # Editing b's text re-renders b's own page and the feeds that carry its text; pages that
    # show only its title or link to it (a) do not, and neither does the kettle's page.
    assert 0 < report.rendered < first.reports["web"].rendered
    assert report.written >= 1
    site = third.site
    kettle = third.plan.item_routes[("web", site.by_rel["content/products/kettle.md"].id, "en")]
    beta = third.plan.item_routes[("web", site.by_rel["content/articles/b.md"].id, "en")]
    alpha = third.plan.item_routes[("web", site.by_rel["content/articles/a.md"].id, "en")]
    rendered = set(third.outputs["web"].rendered_paths)
    assert beta.path in rendered
    assert "feed.xml" in rendered
    assert alpha.path not in rendered
    assert kettle.path not in rendered
    # a summary shows on b's page and in listings, not in a's neighbour link: a is kept
    path.write_text(path.read_text().replace("title: Beta\n", "title: Beta\nsummary: Short.\n", 1))
    fourth = build(options)
    rendered = set(fourth.outputs["web"].rendered_paths)
    assert beta.path in rendered and "articles/index.html" in rendered
    assert alpha.path not in rendered and kettle.path not in rendered
    # the title shows in a's link to its neighbour b: a is rendered again
    path.write_text(path.read_text().replace("title: Beta\n", "title: Beta two\n", 1))
    fifth = build(options)
    rendered = set(fifth.outputs["web"].rendered_paths)
    assert {beta.path, alpha.path} <= rendered
    assert kettle.path not in rendered


def test_deploy_settings_render_nothing_again(tmp_path: Path) -> None:
    """`[deploy]` says where outputs go, not what they hold: editing it re-renders nothing,
    while a setting pages show (the site title) re-renders them."""
    root = write_site(tmp_path / "site", BASE)
    options = BuildOptions(root=root, out_dir=tmp_path / "out", at=FIXED_AT, executor="serial")
    build(options)
    config = root / "omnipub.toml"
    config.write_text(config.read_text() + '\n[deploy.web]\nurl = "s3://bucket/site"\n')
    assert build(options).reports["web"].rendered == 0
    config.write_text(config.read_text().replace("s3://bucket/site", "s3://bucket/other"))
    assert build(options).reports["web"].rendered == 0
    config.write_text(config.read_text().replace('title = "', 'title = "New ', 1))
    assert build(options).reports["web"].rendered > 0


def test_a_build_of_some_channels_does_not_lend_its_renders_to_a_build_of_all(
    tmp_path: Path,
) -> None:
    """Pages link to the other channels built beside them: a cached render made by
    `--channel app` (no web channel to link to) must not serve a build of every channel."""
    spec = BASE.replace(CONFIG, CONFIG + '[channels.app]\nbase_url = "https://api.example.com/"\n')
    root = write_site(tmp_path / "site", spec)
    partial = BuildOptions(
        root=root,
        out_dir=tmp_path / "app-only",
        at=FIXED_AT,
        channels=("app",),
        executor="serial",
        write_lock=False,
    )
    build(partial)
    build_into(root, tmp_path / "all", use_cache=True)
    fresh = write_site(tmp_path / "fresh", spec)
    build_into(fresh, tmp_path / "clean", use_cache=False)
    assert tree(tmp_path / "all") == tree(tmp_path / "clean")
