"""Live rebuilds (serve, watch) equal clean builds, byte for byte, after any sequence of edits,
and an edit that leaves the site's shape alone takes the fast path."""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_incremental import BASE
from test_incremental import apply as apply_structural

from conftest import FIXED_AT, write_site
from omnipub.build import BuildOptions, build
from omnipub.diagnostics import BuildFailed, Diagnostic, Severity
from omnipub.items import Item, ItemView
from omnipub.live import LiveBuild
from omnipub.publish import MemorySink
from omnipub.templates import TemplateProblem

CHANNELS = """
[build]
channels = ["app", "mobile", "signage", "web"]

[channels.mobile]
base_url = "https://m.example.com/"
[channels.app]
base_url = "https://api.example.com/app/"
[channels.signage]
base_url = "https://screens.example.com/"
[[channels.signage.stores]]
id = "oslo"
name = "Oslo"
timezone = "Europe/Oslo"
languages = ["nb", "en"]
[[channels.signage.screens]]
id = "oslo-door"
store = "oslo"
zone = "entrance"
resolution = "1920x1080"
"""

SITE = BASE.replace("page_size = 2\n", "page_size = 2\n" + CHANNELS, 1) + (
    """-- content/promotions/winter.md --
---
type: promotion
title: Winter sale
summary: Warm things for less.
products: [../products/kettle.md]
valid_from: 2026-11-01
valid_until: 2027-01-31
channels:
  signage: {title: Kettles -20%}
---
Everything warm: see [the details](../products/kettle.md#details).
-- content/articles/draft.md --
---
title: Secret plans
draft: true
---
Not yet.
"""
)

#: edits a live rebuild takes without a full build (the shape stays)
FAST = (
    "body",
    "summary",
    "price",
    "translation",
    "draft_body",
    "override",
    "bad_then_fix",
    "heading",
)
#: edits that change what the site is made of
STRUCTURAL = ("add", "delete", "rename", "template", "tags", "draft", "edit_title")


def edit(root: Path, op: str, rng: random.Random, n: int) -> list[Path]:
    """Apply one fast-path edit; returns the files it wrote."""
    content = root / "content"
    if op == "body":
        path = rng.choice(sorted((content / "articles").glob("[!_]*.md")))
        path.write_text(
            path.read_text() + f"\nMore text {n}, see [the kettle](../products/kettle.md).\n"
        )
    elif op == "summary":
        path = content / "articles/a.md"
        text = path.read_text()
        if "summary:" in text:
            text = "\n".join(line for line in text.splitlines() if "summary:" not in line) + "\n"
        path.write_text(text.replace("title: Alpha\n", f"title: Alpha\nsummary: Take {n}.\n", 1))
    elif op == "price":
        path = content / "products/kettle.md"
        text = path.read_text()
        price = text.split("price: ")[1].split("\n")[0]
        path.write_text(text.replace(f"price: {price}", f"price: {400 + n}", 1))
    elif op == "translation":
        path = content / "articles/b.nb.md"
        path.write_text(path.read_text() + f"\nMer tekst {n}.\n")
    elif op == "draft_body":
        path = content / "articles/draft.md"
        path.write_text(path.read_text() + f"\nLEAKMARK-{n}\n")
    elif op == "override":
        path = content / "promotions/winter.md"
        text = path.read_text()
        head = text.split("signage: {title: ")[1].split("}")[0]
        path.write_text(text.replace(head, f"Kettles -{n}%", 1))
    elif op == "heading":  # the promotion links to it: its anchor warning comes and goes
        path = content / "products/kettle.md"
        text = path.read_text()
        if "## Details" in text:
            path.write_text(text.replace("## Details\n\n", ""))
        else:
            path.write_text(text.replace("A kettle.", "## Details\n\nA kettle.", 1))
    elif op == "bad_then_fix":
        path = content / "articles/b.md"
        path.write_text(path.read_text().replace("---\n", "---\nbroken: [\n", 1))
        return [path, path]  # the caller rebuilds (and fails), then restores
    return [path]


def files_of(sink: MemorySink) -> dict[str, dict[str, bytes]]:
    return {name: dict(sorted(files.items())) for name, files in sorted(sink.files.items())}


def clean_build(
    root: Path, base: Path, n: int
) -> tuple[dict[str, dict[str, bytes]], list[tuple[str, str, str]]]:
    """A clean build's files, and what it reported (as `reported` sorts them)."""
    fresh = base / f"fresh-{n}"
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(".omnipub"))
    sink = MemorySink()
    options = BuildOptions(root=fresh, at=FIXED_AT, use_cache=False, executor="serial")
    result = build(options, sink=sink)
    return files_of(sink), reported(result.diagnostics)


def reported(diagnostics) -> list[tuple[str, str, str]]:
    return sorted((str(d.location), d.code, d.message) for d in diagnostics.items)


@settings(
    max_examples=int(os.environ.get("LIVE_EXAMPLES", "8")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    ops=st.lists(st.sampled_from(FAST + STRUCTURAL), min_size=3, max_size=8),
    seed=st.integers(0, 10_000),
)
def test_live_rebuilds_equal_clean_builds(
    tmp_path_factory: pytest.TempPathFactory, ops, seed
) -> None:
    base = tmp_path_factory.mktemp("live")
    root = write_site(base / "site", SITE)
    rng = random.Random(seed)
    live = LiveBuild(BuildOptions(root=root, at=FIXED_AT, executor="serial", write_lock=False))
    live.rebuild()
    counter = [100]
    for step, op in enumerate(ops):
        counter[0] += 1
        if op in FAST:
            paths = edit(root, op, rng, counter[0])
            if op == "bad_then_fix":
                with pytest.raises(BuildFailed):
                    live.rebuild(paths)
                paths[0].write_text(paths[0].read_text().replace("broken: [\n", "", 1))
            result = live.rebuild(paths)
            assert live.mode == "fast", f"{op} took a full build"
        else:
            before = {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}
            apply_structural(root, op, rng, counter)
            after = {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}
            touched = [p for p in set(before) | set(after) if before.get(p) != after.get(p)]
            result = live.rebuild(touched)
        assert live.sink is not None
        expected, expected_report = clean_build(root, base, step)
        assert reported(result.diagnostics) == expected_report, f"after {op} ({ops})"
        got = files_of(live.sink)
        assert got.keys() == expected.keys()
        for name in expected:
            assert got[name].keys() == expected[name].keys(), f"{name} after {op} ({ops})"
            for path, data in expected[name].items():
                assert got[name][path] == data, f"{name}/{path} after {op} ({ops})"


def test_a_text_edit_renders_only_what_shows_the_text(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    live = LiveBuild(BuildOptions(root=root, at=FIXED_AT, executor="serial", write_lock=False))
    first = live.rebuild()
    path = root / "content/articles/a.md"
    path.write_text(path.read_text() + "\nOne more sentence.\n")
    second = live.rebuild([path])
    assert live.mode == "fast"
    alpha = second.site.by_rel["content/articles/a.md"]
    web = set(second.outputs["web"].rendered_paths)
    assert second.plan.item_routes[("web", alpha.id, "en")].path in web
    assert "articles/index.html" not in web  # the listing shows the title, not the text
    assert (
        sum(r.rendered for r in second.reports.values())
        < sum(r.rendered for r in first.reports.values()) / 4
    )
    assert b"One more sentence." in live.sink.files["web"]["articles/a/index.html"]
    assert b"One more sentence." in live.sink.files["mobile"]["articles/a/index.html"]


def test_a_markdown_file_and_a_root_relative_link_take_the_fast_path(tmp_path: Path) -> None:
    """A `.markdown` file is an item file like `.md`; a root-relative link it gains is
    checked in the live rebuild as in a clean build (a broken one fails it, located)."""
    root = write_site(tmp_path / "site", SITE)
    path = root / "content/articles/a.md"
    path.rename(root / "content/articles/a.markdown")
    path = root / "content/articles/a.markdown"
    live = LiveBuild(BuildOptions(root=root, at=FIXED_AT, executor="serial", write_lock=False))
    live.rebuild()
    path.write_text(path.read_text() + "\nSee [nothing](/no/such/page/).\n")
    with pytest.raises(BuildFailed) as failed:
        live.rebuild([path])
    assert live.mode == "fast"
    [broken] = failed.value.diagnostics
    assert broken.code == "link.broken" and broken.location is not None
    assert broken.location.path == "content/articles/a.markdown"
    path.write_text(path.read_text().replace("/no/such/page/", "/articles/b/"))
    live.rebuild([path])
    assert live.mode == "fast"
    assert b'href="/articles/b/"' in live.sink.files["web"]["articles/a/index.html"]


def test_a_failed_live_rebuild_keeps_the_last_good_build(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    live = LiveBuild(BuildOptions(root=root, at=FIXED_AT, executor="serial", write_lock=False))
    live.rebuild()
    good = files_of(live.sink)
    path = root / "content/products/kettle.md"
    text = path.read_text()
    path.write_text(text.replace("price: 499", "price: lots"))
    with pytest.raises(BuildFailed) as failed:
        live.rebuild([path])
    assert any(
        d.location and d.location.path == "content/products/kettle.md"
        for d in failed.value.diagnostics
    )
    assert files_of(live.sink) == good
    assert live.result.site.by_rel["content/products/kettle.md"].fields["price"] == 499
    path.write_text(text.replace("price: 499", "price: 450"))
    live.rebuild([])  # the failed file is still pending: no event needed
    assert live.mode == "fast"
    assert (
        b"450"
        in live.sink.files["app"][
            next(
                p
                for p in live.sink.files["app"]
                if p.endswith(f"{live.result.site.by_rel['content/products/kettle.md'].id}.json")
            )
        ]
    )


ANCHORS = """
-- content/docs/_index.md --
---
title: Docs
---
Start with [setting up](b.md#setting-up).
-- content/docs/a.md --
---
title: Alpha
date: 2026-03-01
---
See [setting up](b.md#setting-up) and [the same, by URL](/docs/b/#setting-up).
-- content/docs/b.md --
---
title: Beta
date: 2026-03-02
---
## Setting up

Plug it in.
-- content/docs/c.md --
---
title: Gamma
date: 2026-03-03
---
No links here.
"""


def test_a_heading_edit_rechecks_the_anchors_of_files_that_link_to_it(tmp_path: Path) -> None:
    """Editing B's headings makes links to `B#anchor` in other files right or wrong: the live
    rebuild reports (and stops reporting) them as a clean build does, on the fast path, and
    checks only the files that link to B again."""
    root = write_site(tmp_path / "site", ANCHORS)
    live = LiveBuild(BuildOptions(root=root, at=FIXED_AT, executor="serial", write_lock=False))
    assert reported(live.rebuild().diagnostics) == []
    beta, gamma = root / "content/docs/b.md", root / "content/docs/c.md"

    def clean(n: int) -> tuple[list[tuple[str, str, str]], dict[str, dict[str, bytes]]]:
        files, report = clean_build(root, tmp_path, n)
        return report, files

    beta.write_text(beta.read_text().replace("## Setting up", "## Installing"))
    result = live.rebuild([beta])
    assert live.mode == "fast"
    found = reported(result.diagnostics)
    assert [(where, code) for where, code, _ in found] == [
        ("content/docs/_index.md:4:25", "link.anchor"),
        ("content/docs/a.md:5:18", "link.anchor"),
        ("content/docs/a.md:5:58", "link.anchor"),
    ]
    assert (found, files_of(live.sink)) == clean(1)

    # an edit elsewhere keeps them; an edit of a linking file reports its own again
    gamma.write_text(gamma.read_text() + "\nStill no links.\n")
    assert reported(live.rebuild([gamma]).diagnostics) == found
    alpha = root / "content/docs/a.md"
    alpha.write_text(alpha.read_text().replace(" and [the same", ".\n\nAnd [the same"))
    result = live.rebuild([alpha])
    assert live.mode == "fast"
    assert (reported(result.diagnostics), files_of(live.sink)) == clean(2)
    assert len(result.diagnostics.items) == 3

    beta.write_text(beta.read_text().replace("## Installing", "## Setting up"))
    result = live.rebuild([beta])
    assert live.mode == "fast"
    assert reported(result.diagnostics) == []
    assert (reported(result.diagnostics), files_of(live.sink)) == clean(3)


def test_a_rebuild_that_fails_while_rendering_leaves_the_last_good_build_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path makes a new site value: a failure after the edit was applied to the
    model (here a render) has nothing to undo, and the next rebuild starts from the last
    good build."""
    root = write_site(tmp_path / "site", SITE)
    live = LiveBuild(BuildOptions(root=root, at=FIXED_AT, executor="serial", write_lock=False))
    live.rebuild()
    good, site = files_of(live.sink), live.result.site
    kettle = site.by_rel["content/products/kettle.md"]
    web = live.result.state.jobs["web"].channel
    render = web.render

    def failing(route: Any, ctx: Any) -> Any:
        if route.item_id == kettle.id:
            raise TemplateProblem(Diagnostic(Severity.ERROR, "template.error", "boom", None))
        return render(route, ctx)

    monkeypatch.setattr(web, "render", failing)
    path = root / "content/products/kettle.md"
    path.write_text(path.read_text().replace("price: 499", "price: 450"))
    with pytest.raises(BuildFailed):
        live.rebuild([path])
    assert live.mode == "fast"
    assert files_of(live.sink) == good
    assert live.result.site is site and kettle.fields["price"] == 499
    monkeypatch.undo()
    live.rebuild([])
    assert live.mode == "fast"
    assert live.result.site.by_rel["content/products/kettle.md"].fields["price"] == 450
    assert files_of(live.sink) == clean_build(root, tmp_path, 0)[0]


def test_an_edit_that_brings_an_items_end_closer_hides_it_when_that_comes(
    tmp_path: Path,
) -> None:
    """An edit on the fast path can move the instant at which the site changes shape
    nearer: the next rebuild after it is a full one, and the item is gone."""
    root = write_site(tmp_path / "site", SITE)
    options = BuildOptions(root=root, clock=FIXED_AT, executor="serial", write_lock=False)
    live = LiveBuild(options)
    live.rebuild()
    alpha = root / "content/articles/a.md"
    alpha.write_text(
        alpha.read_text().replace("title: Alpha\n", "title: Alpha\nexpire_at: 2026-12-01T13:00\n")
    )
    live.rebuild([alpha])
    assert live.mode == "fast"
    assert "articles/a/index.html" in live.sink.files["web"]
    later = "2026-12-01T14:00:00+01:00"
    options.clock = later
    beta = root / "content/articles/b.md"
    beta.write_text(beta.read_text() + "\nMore.\n")
    live.rebuild([beta])
    assert "articles/a/index.html" not in live.sink.files["web"]
    fresh = tmp_path / "fresh"
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(".omnipub"))
    sink = MemorySink()
    build(BuildOptions(root=fresh, clock=later, use_cache=False, executor="serial"), sink=sink)
    assert files_of(live.sink) == files_of(sink)


def _held(value: Any, seen: set[int] | None = None) -> Iterator[Any]:
    """Every item and view inside a shared index (containers and objects' attributes)."""
    seen = set() if seen is None else seen
    if id(value) in seen or isinstance(value, str | bytes | int | float):
        return
    seen.add(id(value))
    if isinstance(value, Item | ItemView):
        yield value
    elif isinstance(value, dict):
        for key, entry in value.items():
            yield from _held(key, seen)
            yield from _held(entry, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for entry in value:
            yield from _held(entry, seen)
    elif hasattr(value, "__dict__"):
        yield from _held(vars(value), seen)


def test_after_a_fast_rebuild_every_shared_index_holds_the_new_items(tmp_path: Path) -> None:
    """The new site's render contexts keep the indexes an edit did not change (listings,
    tag indexes), with the edited items in them: none holds an item of the old site."""
    root = write_site(tmp_path / "site", SITE)
    live = LiveBuild(BuildOptions(root=root, at=FIXED_AT, executor="serial", write_lock=False))
    live.rebuild()
    kept_before = {name: set(ctx._memo) for name, ctx in live.result.contexts.items()}
    kettle = root / "content/products/kettle.md"
    kettle.write_text(kettle.read_text().replace("A kettle.", "A kettle, now in steel."))
    live.rebuild([kettle])
    assert live.mode == "fast"
    site = live.result.site
    held = 0
    for name, ctx in live.result.contexts.items():
        assert set(ctx._memo) & kept_before[name], name  # indexes were kept, not remade
        for value, *_rest in ctx._memo.values():
            for found in _held(value):
                item = found.item if isinstance(found, ItemView) else found
                assert site.by_key[item.key] is item, (name, item.key)
                held += 1
    assert held


def test_an_index_built_from_another_index_follows_an_edit_on_the_fast_path(
    tmp_path: Path,
) -> None:
    """A shared index computed from another one reads that one's key only: when an edit
    changes the inner index, the outer one (and every output showing it) must follow."""
    from omnipub import registry
    from omnipub.channel import Artifact, Channel, OutputSpec, Route
    from omnipub.context import RenderContext

    class Lengths(Channel):
        name = "lengths"
        outputs = (OutputSpec("index", "text/plain"),)

        def plan(self, site: Any, items: list[ItemView]) -> Any:
            yield Route(self.name, "index", "index.txt", self.config.base_url, "en")

        def render(self, route: Route, ctx: RenderContext) -> list[Artifact]:
            def titles() -> list[str]:
                return sorted(view.title for view in ctx.items())

            total = ctx.memo("total", lambda: sum(len(t) for t in ctx.memo("titles", titles)))
            return [Artifact("index.txt", "text/plain", f"{total}\n".encode())]

    registry.register(Lengths)
    try:
        root = tmp_path / "site"
        write_site(
            root,
            SITE.replace(
                'channels = ["app", "mobile", "signage", "web"]',
                'channels = ["app", "lengths", "mobile", "signage", "web"]',
            ).replace(
                "[channels.mobile]",
                '[channels.lengths]\nbase_url = "https://l.example.com/"\n[channels.mobile]',
            ),
        )
        live = LiveBuild(BuildOptions(root=root, at=FIXED_AT, write_lock=False))
        live.rebuild()
        path = root / "content/products/kettle.md"
        text = path.read_text()
        title = text.split("title: ")[1].split("\n")[0]
        path.write_text(text.replace(f"title: {title}", f"title: {title} with a longer name"))
        live.rebuild([path])
        assert live.mode == "fast"
        assert live.sink is not None
        want, _report = clean_build(root, tmp_path, 0)
        assert live.sink.files["lengths"] == want["lengths"]
    finally:
        registry.unregister("lengths")
