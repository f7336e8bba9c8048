"""A plug-in channel, installed through a real entry point, receives every component as data
and, with no templates of its own, shows each as its text (or the site's template)."""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

import lxml.html
import pytest

from conftest import build_memory

FIXTURE = Path(__file__).parent / "sites" / "components"

PLUGIN = '''
import json
from omnipub.channel import Artifact, Channel, OutputSpec, Route


class KioskChannel(Channel):
    """An in-store kiosk: one HTML fragment and one JSON list of components per article."""

    name = "kiosk"
    outputs = (OutputSpec("item", "text/html", "item"),)
    default_types = frozenset({"article"})

    def plan(self, site, items):
        for view in items:
            yield Route(self.name, "item", f"{view.id}.html",
                        self.config.base_url + f"{view.id}.html", view.lang, view.id,
                        source=view.rel)

    def render(self, route, ctx):
        view = ctx.item(route.item_id, route.lang)
        data = [[c.name, c.block_type, c.text, sorted(c.args)] for c in ctx.components(view)]
        return [
            Artifact(route.path, "text/html", ctx.html(view).encode()),
            Artifact(route.path + ".json", "application/json", json.dumps(data).encode()),
        ]
'''


@pytest.fixture
def kiosk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterable[None]:
    dist = tmp_path / "dist"
    (dist / "omnipub_kiosk").mkdir(parents=True)
    (dist / "omnipub_kiosk/__init__.py").write_text(PLUGIN)
    info = dist / "omnipub_kiosk-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: omnipub-kiosk\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[omnipub.channels]\nkiosk = omnipub_kiosk:KioskChannel\n"
    )
    monkeypatch.syspath_prepend(str(dist))
    importlib.invalidate_caches()
    yield
    sys.modules.pop("omnipub_kiosk", None)


def test_a_plugin_channel_gets_components_as_data_and_falls_back_to_text(
    kiosk, tmp_path: Path
) -> None:
    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("expected"))
    config = root / "omnipub.toml"
    config.write_text(
        config.read_text().replace('channels = ["web"', 'channels = ["kiosk", "web"')
        + '\n[channels.kiosk]\nbase_url = "https://kiosk.shop.example/"\n'
    )
    result, sink = build_memory(root, use_cache=False)
    guide = result.site.by_rel["content/articles/winter-guide.md"]
    data = json.loads(sink.files["kiosk"][f"{guide.id}.html.json"])
    assert [name for name, *_ in data] == [
        "product",
        "product",
        "product",
        "callout",
        "callout",
        "figure",
        "gallery",
        "video",
        "video",
        "store-hours",
        "button",
        "button",
    ]  # the expired product is not among them
    assert data[2][2] == "Fjord winter coat – NOK\u00a01,299.00 (In stock)"
    assert data[9][:2] == ["store-hours", "store_hours"]
    body = lxml.html.fromstring(f"<div>{sink.files['kiosk'][f'{guide.id}.html'].decode()}</div>")
    # no template for a built-in in this channel: its text, linked to the canonical page
    card = body.xpath("//p/a[@href='https://www.shop.example/products/winter-coat/']")
    text = "Fjord winter coat – NOK\u00a01,299.00 (In stock)"
    assert [a.text for a in card] == [text, "the coat by its SKU", text, "Shop the coat"]
    assert "Layer up: Three thin layers beat one thick one." in body.text_content()
    assert not body.xpath("//aside | //figure | //script")
    # the site's generic template serves every channel without a variant of its own
    assert body.xpath("//section[@class='store-hours']/h3/text()") == ["Opening hours, Oslo"]
