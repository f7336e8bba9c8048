"""The web channel: the full website.

Item pages, home, section and tag listings with pagination, Atom feeds, sitemap.xml with
hreflang and mobile annotations, robots.txt, a 404 page, alias redirects, static files,
responsive images and schema.org structured data.
"""

from __future__ import annotations

from typing import Any

from omnipub.channel import Artifact, OutputSpec, Route
from omnipub.context import RenderContext
from omnipub.model import Site

from ..htmlsite import HtmlSiteChannel, html_outputs, package_dir

MOBILE_MEDIA = "only screen and (max-width: 640px)"

#: What the site's own pages need and nothing more: its stylesheet, images and links on its
#: own origin, no script but JSON-LD (which is data, not run), no plug-ins, no framing by
#: other sites. Markdown tables align cells with `style` attributes, hence `style-src-attr`.
#: A site embedding images or frames from elsewhere adds their origins in its own rules.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)

#: Netlify / Cloudflare Pages rules: fingerprinted files cached forever, the rest
#: revalidated; every file carries the security policy.
HEADERS = f"""\
/assets/*
  Cache-Control: public, max-age=31536000, immutable
/media/*
  Cache-Control: public, max-age=31536000, immutable
/*
  Cache-Control: public, max-age=0, must-revalidate
  Content-Security-Policy: {CONTENT_SECURITY_POLICY}
  X-Content-Type-Options: nosniff
  Referrer-Policy: strict-origin-when-cross-origin
"""


class WebChannel(HtmlSiteChannel):
    name = "web"
    version = "1"
    package_dir = package_dir(__file__)
    outputs = html_outputs("web") + (
        OutputSpec("sitemap", "application/xml", "asset", ("sitemap.xml",)),
        OutputSpec("robots", "text/plain", "asset", ("robots.txt",)),
    )

    def common(self, route: Route, ctx: RenderContext) -> dict[str, Any]:
        values = super().common(route, ctx)
        mobile = ctx.plan.twin(route, "mobile")
        if mobile is not None and route.output not in ("404", "alias"):
            values["alternate"] = {"media": MOBILE_MEDIA, "url": mobile.url}
        return values

    def finish(self, site: Site, ctx: RenderContext) -> list[Artifact]:
        artifacts = super().finish(site, ctx)
        entries = []
        for route in ctx.routes():
            if route.output not in ("item", "home", "section", "tag", "tags"):
                continue
            if route.param("page", 1) != 1:
                continue
            languages = [link for link in self.language_links(route, ctx) if link["exact"]]
            languages = languages if len(languages) > 1 else []
            mobile = ctx.plan.twin(route, "mobile")
            lastmod = None
            if route.item_id is not None:
                view = ctx.item(route.item_id, route.lang)
                lastmod = view.updated if view else None
            entries.append(
                {
                    "url": route.url,
                    "lastmod": lastmod,
                    "languages": languages,
                    "x_default": next(
                        (
                            link["url"]
                            for link in languages
                            if link["lang"] == site.config.default_language
                        ),
                        None,
                    ),
                    "mobile": mobile.url if mobile else None,
                }
            )
        sitemap_url = self.url("sitemap.xml")
        xml = ctx.template(
            ("sitemap.xml",), "sitemap.xml", entries=entries, mobile_media=MOBILE_MEDIA
        )
        robots = ctx.template(("robots.txt",), "robots.txt", sitemap_url=sitemap_url)
        artifacts.append(Artifact("sitemap.xml", "application/xml", xml.encode("utf-8")))
        artifacts.append(Artifact("robots.txt", "text/plain", robots.encode("utf-8")))
        if self.config.raw.get("headers"):
            artifacts.append(Artifact("_headers", "text/plain", HEADERS.encode("utf-8")))
        return artifacts
