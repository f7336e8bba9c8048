"""The mobile channel: a separate, lightweight mobile site paired with the web pages.

Each page with a web twin names it as canonical (and the web page names this one as its
mobile alternate), with the same title, H1 and structured data; links lead to mobile
pages. One small stylesheet is inlined, no JavaScript is shipped, images are renditions of
at most 640 px, and every page is checked against a weight budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnipub.channel import Artifact, Route
from omnipub.context import RenderContext
from omnipub.diagnostics import Diagnostics, Location
from omnipub.items import ItemView
from omnipub.markdown import highlight_css

from ..htmlsite import HtmlSiteChannel, html_outputs, package_dir
from ..web import WebChannel

DEFAULT_BUDGET_KB = 30
PACKAGE_DIR = package_dir(__file__)


class MobileChannel(HtmlSiteChannel):
    name = "mobile"
    version = "1"
    package_dir = PACKAGE_DIR
    template_fallbacks = ((WebChannel.package_dir or PACKAGE_DIR) / "templates",)
    outputs = html_outputs("mobile")
    feeds = False
    image_widths = (320, 480, 640)
    image_sizes = "100vw"
    config_keys = frozenset({"budget_kb", "related"})
    #: a common phone viewport (CSS pixels)
    preview_size = (390, 844)

    def configure(self, raw: Mapping[str, Any], diagnostics: Diagnostics) -> None:
        super().configure(raw, diagnostics)
        if "page_size" not in raw:
            self.config.page_size = 5
        budget = raw.get("budget_kb", DEFAULT_BUDGET_KB)
        if not isinstance(budget, int | float) or isinstance(budget, bool) or budget <= 0:
            diagnostics.error(
                "config.value",
                "channels.mobile.budget_kb must be a number of kilobytes above 0",
                Location("omnipub.toml"),
            )
            budget = DEFAULT_BUDGET_KB
        self.budget = int(budget * 1024)

    def stylesheet(self) -> str:
        assert self.package_dir is not None
        own = (self.package_dir / "assets" / "style.css").read_text(encoding="utf-8")
        return own + highlight_css()

    def common(self, route: Route, ctx: RenderContext) -> dict[str, Any]:
        values = super().common(route, ctx)
        web = ctx.plan.twin(route, "web")
        # A page that exists on one side only carries no pairing link at all.
        paired = web is not None and route.output not in ("alias", "404")
        values["canonical"] = web.url if paired and web is not None else None
        values["inline_css"] = True
        return values

    def heading(self, view: ItemView, ctx: RenderContext) -> str:
        """A paired page shows the web page's title: search engines index the mobile page
        and expect the same title and H1. The mobile override names the item in lists."""
        web = view.item.view("web")
        return web.title if ctx.url_for(view, "web") is not None else view.title

    def render(self, route: Route, ctx: RenderContext) -> list[Artifact]:
        artifacts = super().render(route, ctx)
        for artifact in artifacts:
            size = len(artifact.data or b"")
            if size > self.budget:
                ctx.diagnostics.warning(
                    "mobile.over-budget",
                    f"mobile page {artifact.path} weighs {size / 1024:.1f} KB of HTML and CSS, "
                    f"over the {self.budget / 1024:.0f} KB budget",
                    Location(route.source or artifact.path),
                    "shorten the body or split it, or raise channels.mobile.budget_kb",
                )
        return artifacts

    def finish(self, site: Any, ctx: RenderContext) -> list[Artifact]:
        """Static files and image renditions; the stylesheet is inlined in every page."""
        return list(ctx.static_files())

    def report_weight(self, files: Mapping[str, Mapping[str, Any]]) -> str:
        """`omnipub build --report weight`: HTML+CSS per page against the budget; `files` is
        the channel's published manifest (path -> size, type)."""
        pages = sorted(p for p, f in files.items() if f.get("type") == "text/html")
        image_bytes = sum(
            int(f.get("size", 0)) for f in files.values() if str(f.get("type")).startswith("image/")
        )
        lines = [f"{'page':<60} {'KB':>7}  (budget {self.budget / 1024:.0f} KB)"]
        over = 0
        for path in pages:
            size = int(files[path].get("size", 0))
            mark = "  over budget" if size > self.budget else ""
            over += bool(mark)
            lines.append(f"{path:<60} {size / 1024:7.1f}{mark}")
        total = sum(int(files[p].get("size", 0)) for p in pages)
        lines.append(
            f"{len(pages)} pages, {total / 1024:.1f} KB of HTML+CSS, {over} over budget; "
            f"images {image_bytes / 1024:.0f} KB in all (not counted)"
        )
        return "\n".join(lines)
