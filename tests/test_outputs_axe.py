"""axe-core in Chromium on every page of the sample's web and mobile sites, and on a page of
each kind of a generated site, served over HTTP as a host serves them (from `file://` the
stylesheets never load, and axe then judges unstyled pages): no violation of any impact."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from axe_support import axe_violations

from conftest import FIXED_AT, REPO, write_site
from omnipub.build import BuildOptions, build

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("channel", ["web", "mobile"])
def test_every_page_of_the_sample_is_axe_clean_over_http(
    sample_build: Any, browser: Any, channel: str
) -> None:
    checked, violations = axe_violations(browser, Path(sample_build[1]) / channel)
    assert checked > 100
    assert not violations, "\n".join(violations)


CORPUS = REPO.parent / "shared" / "bench" / "gen_corpus.py"

#: one item of each built-in type beside the corpus's articles, and a store they name
TYPED = """\
-- stores.toml --
[[stores]]
id = "harbour"
name = "Harbour store"
address = "Quay 1, Harbourtown"
page = "stores/harbour.md"
-- content/stores/harbour.md --
---
title: Harbour store
type: page
---
On the quay.
-- content/products/lantern.md --
---
title: Storm lantern
type: product
sku: L-1
price: 349.5
currency: NOK
availability: in_stock
buy_url: https://shop.example.com/lantern
stocked_at: [harbour]
tags: [outdoor]
---
### Light

A lantern for the quay.

- [x] windproof
- [ ] battery
"""
TYPED_MORE = """\
-- content/news/quay-market.md --
---
title: Quay market
type: event
start: 2026-12-05T10:00:00+01:00
end: 2026-12-05T16:00:00+01:00
store: harbour
location: The quay
---
Stalls on the quay.
-- content/news/winter-deal.md --
---
title: Winter deal
type: promotion
valid_from: 2026-11-20T00:00:00+01:00
valid_until: 2026-12-31T23:59:00+01:00
discount: 20%
products: [../products/lantern.md]
---
Twenty percent off lanterns.
"""


def load_bench_config() -> str:
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench/run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.CONFIG)


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated site of 60 items in nested sections (the benchmark's corpus, with its
    configuration, two items a page so that nested listings paginate) plus an item of each type."""
    site = tmp_path_factory.mktemp("corpus") / "site"
    subprocess.run(
        [sys.executable, str(CORPUS), str(site), "--pages", "60", "--layout", "plain"]
        + ["--images", "--nested", "2"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    write_site(site, TYPED + TYPED_MORE)
    config = load_bench_config()
    for channel in ("web", "mobile"):
        config = config.replace(f"[channels.{channel}]\n", f"[channels.{channel}]\npage_size = 2\n")
    (site / "omnipub.toml").write_text(config + (site / "stores.toml").read_text())
    (site / "stores.toml").unlink()
    build(
        BuildOptions(
            root=site,
            at=FIXED_AT,
            strict=True,
            write_lock=False,
            channels=("web", "mobile"),
            use_cache=False,
        )
    )
    return site / "public"


def first(folder: Path, pattern: str) -> str:
    """The first page matching `pattern`, relative to `folder`."""
    found = sorted(folder.glob(pattern))
    assert found, f"no page {pattern} in {folder}"
    return found[0].relative_to(folder).as_posix()


def skipping_heading_page(content: Path) -> str:
    """The page of an item whose body's first heading is `###`, straight below the page's
    `<h1>` title (published as written, that skips a level: axe's heading-order)."""
    for source in sorted(content.rglob("*.md")):
        body = source.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
        headings = re.findall(r"^(#+) ", body, flags=re.MULTILINE)
        # (a page lists three or more ## and ### headings under an <h2> "Contents" first)
        listed = sum(1 for h in headings if h in ("##", "###"))
        if source.name != "_index.md" and headings and headings[0] == "###" and listed < 3:
            return source.relative_to(content).with_suffix("").as_posix() + "/index.html"
    raise AssertionError("the corpus has no body opening with a ### heading")


def one_page_of_each_kind(public: Path, channel: str) -> dict[str, str]:
    """A page of every kind the site has: an item of each type, listings at each depth,
    paginated listings, tags, home and 404."""
    folder = public / channel
    return {
        "home": "index.html",
        "404": "404.html",
        "article": first(folder, "news/*/*/*/index.html"),
        "article opening with ###": skipping_heading_page(public.parent / "content"),
        "product": "products/lantern/index.html",
        "event": "news/quay-market/index.html",
        "promotion": "news/winter-deal/index.html",
        "page": "stores/harbour/index.html",
        "section": "products/index.html",
        "section page 2": first(folder, "news/*/*/page/2/index.html"),
        "nested section": first(folder, "guides/*/*/index.html"),
        "tags": "tags/index.html",
        "tag": first(folder, "tags/*/index.html"),
        "tag page 2": first(folder, "tags/*/page/2/index.html"),
    }


@pytest.mark.skipif(not CORPUS.is_file(), reason="the shared corpus generator is not here")
@pytest.mark.parametrize("channel", ["web", "mobile"])
def test_a_page_of_each_kind_of_a_generated_site_is_axe_clean_over_http(
    corpus_site: Path, browser: Any, channel: str
) -> None:
    """`bench/axe_corpus.py` checks every page of a 1,000-item site; this checks one page
    of each kind of a small one, nested, with an item of every type."""
    pages = one_page_of_each_kind(corpus_site, channel)
    folder = corpus_site / channel
    missing = [rel for rel in pages.values() if not (folder / rel).is_file()]
    assert not missing
    lantern = (folder / pages["product"]).read_text(encoding="utf-8")
    assert 'class="stockists"' in lantern and 'type="checkbox"' in lantern
    checked, violations = axe_violations(browser, folder, pages.values())
    assert checked == len(pages)
    assert not violations, "\n".join(violations)
