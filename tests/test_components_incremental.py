"""A product's price edit reaches every article that embeds its card, in every channel, in
the CLI's incremental build and in a live session, and equals a clean build byte for byte."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import FIXED_AT, tree_of
from omnipub.build import BuildOptions, BuildResult, build
from omnipub.diagnostics import BuildFailed
from omnipub.live import LiveBuild
from omnipub.publish import MemorySink

FIXTURE = Path(__file__).parent / "sites" / "components"
COAT = "content/products/winter-coat.md"
GUIDE = "content/articles/winter-guide.md"
SALE = "content/promotions/winter-sale.md"


def copy_fixture(target: Path) -> Path:
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns("expected"))
    return target


def reprice(root: Path) -> None:
    path = root / COAT
    path.write_text(path.read_text().replace("price: 1299", "price: 1499"))


def routes_of(result: BuildResult, rel: str) -> dict[str, str]:
    """channel -> the path of the item's page there"""
    item = result.site.by_rel[rel]
    return {
        channel: route.path
        for (channel, item_id, lang), route in result.plan.item_routes.items()
        if (item_id, lang) == item.key
    }


def outputs(folder: Path) -> dict[str, bytes]:
    return {k: v for k, v in tree_of(folder).items() if not k.startswith(".omnipub/")}


def test_a_price_edit_rerenders_embedding_pages_and_equals_a_clean_build(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path / "site")
    options = BuildOptions(root=root, at=FIXED_AT, executor="serial", write_lock=False)
    first = build(options)
    assert build(options).reports["web"].rendered == 0  # nothing changed: all reused

    reprice(root)
    again = build(options)
    guide = routes_of(again, GUIDE)
    assert set(guide) == {"web", "mobile", "app"}  # articles are not shown on screens
    for channel, path in guide.items():
        assert path in again.outputs[channel].rendered_paths, channel
    # pages that show no price are kept (every app output shows it: items and feeds do)
    assert again.reports["web"].rendered < first.reports["web"].rendered
    assert "404.html" not in again.outputs["web"].rendered_paths
    public = root / "public"
    assert "NOK\u00a01,499.00".encode() in (public / "web" / guide["web"]).read_bytes()
    assert "NOK\u00a01,499.00".encode() in (public / "mobile" / guide["mobile"]).read_bytes()
    blocks = json.loads((public / "app" / guide["app"]).read_bytes())["blocks"]
    assert [b["price"] for b in blocks if b["type"] == "product"] == ["1499.00"]
    # the promotion embeds the card too, by SKU; its screen slide shows no body, so the
    # slide is kept as it was
    sale = routes_of(again, SALE)
    assert sale["web"] in again.outputs["web"].rendered_paths
    assert "NOK\u00a01,499.00".encode() in (public / "web" / sale["web"]).read_bytes()
    assert all("slides/" not in p for p in again.outputs["signage"].rendered_paths)

    clean = copy_fixture(tmp_path / "clean")
    reprice(clean)
    build(BuildOptions(root=clean, at=FIXED_AT, use_cache=False, write_lock=False))
    assert outputs(public) == outputs(clean / "public")


def test_a_live_session_follows_a_price_edit_on_its_fast_path(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path / "site")
    live = LiveBuild(BuildOptions(root=root, at=FIXED_AT, write_lock=False))
    live.rebuild()
    reprice(root)
    result = live.rebuild([root / COAT])
    assert live.mode == "fast"
    guide = routes_of(result, GUIDE)
    assert live.sink is not None
    assert "NOK\u00a01,499.00".encode() in live.sink.files["web"][guide["web"]]

    clean = copy_fixture(tmp_path / "clean")
    reprice(clean)
    sink = MemorySink()
    build(BuildOptions(root=clean, at=FIXED_AT, use_cache=False, write_lock=False), sink=sink)
    for channel, files in sink.files.items():
        got = live.sink.files[channel]
        assert sorted(got) == sorted(files), channel
        assert [p for p in files if got[p] != files[p]] == [], channel


def test_editing_a_site_component_template_rerenders_its_pages(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path / "site")
    options = BuildOptions(root=root, at=FIXED_AT, executor="serial", write_lock=False)
    build(options)
    template = root / "components/store-hours.html"
    template.write_text(template.read_text().replace("Opening hours", "Hours"))
    again = build(options)
    page = (root / "public/web" / routes_of(again, GUIDE)["web"]).read_bytes()
    assert b"<h3>Hours, Oslo</h3>" in page


def test_a_sku_edit_that_orphans_a_card_fails_the_live_session_as_a_clean_build(
    tmp_path: Path,
) -> None:
    root = copy_fixture(tmp_path / "site")
    live = LiveBuild(BuildOptions(root=root, at=FIXED_AT, write_lock=False))
    live.rebuild()
    coat = root / COAT
    coat.write_text(coat.read_text().replace("sku: FJ-COAT-1", "sku: FJ-COAT-2"))
    with pytest.raises(BuildFailed) as live_failed:
        live.rebuild([coat])
    assert live.mode == "fast"

    clean = copy_fixture(tmp_path / "clean")
    (clean / COAT).write_text(coat.read_text())
    with pytest.raises(BuildFailed) as clean_failed:
        build(
            BuildOptions(root=clean, at=FIXED_AT, use_cache=False, write_lock=False),
            sink=MemorySink(),
        )
    wanted = [(d.code, str(d.location)) for d in clean_failed.value.diagnostics]
    # the guide names the card by SKU inline; the sale promotion as a card
    assert wanted == [
        ("component.product-missing", "content/articles/winter-guide.md:6:47"),
        ("component.product-missing", f"{SALE}:14:1"),
    ]
    assert [(d.code, str(d.location)) for d in live_failed.value.diagnostics] == wanted
