"""A third-party channel, defined only here, builds alongside web with no change to omnipub.

It is registered through a real entry point: a temporary distribution on sys.path whose
metadata declares `omnipub.channels`, exactly as a package installed with pip would.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from conftest import build_memory
from omnipub import registry
from omnipub.channel import Artifact, Channel, OutputSpec, Route, Stated
from omnipub.context import RenderContext
from omnipub.diagnostics import BuildFailed, UsageError
from omnipub.items import ItemView
from omnipub.model import Site

PLUGIN = '''
import json
from omnipub.channel import Artifact, Channel, OutputSpec, Route


class TextChannel(Channel):
    """Plain-text teasers for an SMS gateway, linking to the web page."""

    name = "sms"
    outputs = (OutputSpec("item", "text/plain", "item"),)
    default_types = frozenset({"article"})

    def plan(self, site, items):
        for view in items:
            yield Route(self.name, "item", f"{view.id}.{view.lang}.txt",
                        self.config.base_url + f"{view.id}.txt", view.lang, view.id,
                        source=view.rel)

    def render(self, route, ctx):
        view = ctx.item(route.item_id, route.lang)
        text = f"{view.title}: {ctx.url_for(view, 'web')}\\n"
        return [Artifact(route.path, "text/plain", text.encode())]
'''


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterable[None]:
    dist = tmp_path / "dist"
    (dist / "omnipub_sms").mkdir(parents=True)
    (dist / "omnipub_sms/__init__.py").write_text(PLUGIN)
    info = dist / "omnipub_sms-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: omnipub-sms\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[omnipub.channels]\nsms = omnipub_sms:TextChannel\n")
    monkeypatch.syspath_prepend(str(dist))
    importlib.invalidate_caches()
    yield
    sys.modules.pop("omnipub_sms", None)


SITE = """\
-- omnipub.toml --
[site]
title = "Plug"
[languages.en]
name = "English"
[channels.web]
base_url = "https://www.example.com/"
[channels.sms]
base_url = "https://sms.example.com/"
-- content/articles/_index.md --
---
cascade: {type: article}
---
-- content/articles/hello.md --
---
title: Hello
channels: {sms: {title: "Hi!"}}
---
Body.
-- content/about.md --
---
title: About
---
"""


def test_entry_point_channel_builds_alongside_web(installed_plugin, site) -> None:
    assert "sms" in registry.available()
    assert registry.available()["sms"].distribution == "omnipub-sms"
    result, sink = build_memory(site(SITE))
    hello = result.site.by_rel["content/articles/hello.md"]
    assert sink.files["sms"] == {
        f"{hello.id}.en.txt": b"Hi!: https://www.example.com/articles/hello/\n"
    }
    assert "articles/hello/index.html" in sink.files["web"]


def test_registry_lists_builtins_without_importing_them() -> None:
    names = registry.available()
    assert {"web", "mobile", "app", "signage"} <= set(names)
    with pytest.raises(UsageError, match="unknown channel 'no-such-channel'") as caught:
        registry.load("no-such-channel")
    assert "web" in (caught.value.hint or "")


def test_in_process_registration(site) -> None:
    class Echo(Channel):
        name = "echo"
        outputs = (OutputSpec("index", "application/json"),)

        def plan(self, site_: Site, items: list[ItemView]) -> Iterable[Route]:
            yield Route(self.name, "index", "index.json", self.config.base_url, "en")

        def render(self, route: Route, ctx: RenderContext) -> list[Artifact]:
            titles = [v.title for v in ctx.items()]
            return [Artifact("index.json", "application/json", json.dumps(titles).encode())]

    registry.register(Echo)
    try:
        root = site(SITE.replace("sms", "echo"))
        _result, sink = build_memory(root)
        assert json.loads(sink.files["echo"]["index.json"]) == ["About", "Hi!"]
    finally:
        registry.unregister("echo")


PRICED = """\
-- omnipub.toml --
[site]
title = "Plug"
[languages.en]
name = "English"
[channels.web]
base_url = "https://www.example.com/"
[channels.ticker]
base_url = "https://ticker.example.com/"
-- content/products/_index.md --
---
cascade: {type: product}
---
-- content/products/mug.md --
---
title: Mug
sku: MUG-1
price: 129.00
currency: NOK
availability: in_stock
---
A mug.
"""


def test_a_plugin_channel_takes_part_in_the_consistency_audit(site) -> None:
    """The audit asks every channel, built-in or not, what it stated: a plug-in that shows
    another price than the web is a located error, exactly as a built-in channel would be."""

    class Ticker(Channel):
        name = "ticker"
        outputs = (OutputSpec("item", "application/json", "item"),)
        default_types = frozenset({"product"})
        price_shift = 0

        def plan(self, site_: Site, items: list[ItemView]) -> Iterable[Route]:
            for view in items:
                yield Route(self.name, "item", f"{view.id}.json", "", view.lang, view.id)

        def render(self, route: Route, ctx: RenderContext) -> list[Artifact]:
            view = ctx.item(route.item_id or "", route.lang)
            assert view is not None
            price = f"{view.fields['price'] + self.price_shift:.2f}"
            return [Artifact(route.path, "application/json", json.dumps(price).encode())]

        def fact_reader(self, plan, read):  # type: ignore[no-untyped-def]
            def stated(item):  # type: ignore[no-untyped-def]
                route = plan.item_routes.get((self.name, item.id, item.lang))
                if route is not None:
                    yield Stated(self.name, {"price": json.loads(read(route.path))})

            return stated

    registry.register(Ticker)
    try:
        root = site(
            PRICED.replace(
                "[channels.web]", '[build]\nchannels = ["web", "ticker"]\n[channels.web]'
            )
        )
        build_memory(root, use_cache=False)  # agrees with the web page
        Ticker.price_shift = 1
        with pytest.raises(BuildFailed) as failed:
            build_memory(root, use_cache=False)
        messages = [d.message for d in failed.value.diagnostics]
        assert any("price of" in m and "'130.00' on ticker" in m for m in messages), messages
    finally:
        registry.unregister("ticker")
