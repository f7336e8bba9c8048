"""Markdown: parse once into markdown-it tokens, render per channel.

Every channel renders the same token stream: HTML (optionally with raw HTML allowed),
sanitized HTML, plain text, and the block list of `blocks.py`. Links and images are
resolved at render time through callbacks, because the same source link leads to a
different URL in each channel.
"""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from . import directives
from .paths import split_url

#: Bump when parsing changes, so cached token streams are rebuilt.
PARSER_VERSION = "10"

DEFAULT_SCHEMES = ("http", "https", "mailto", "tel")
#: a link's URL in a channel, or None to show the link's text without a link (its target
#: is not published in this build)
LinkResolver = Callable[[str, int | None], str | None]
ImageResolver = Callable[[str, str, int | None], dict[str, Any]]


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str
    line: int | None


@dataclass(frozen=True)
class LinkRef:
    target: str
    line: int | None
    image: bool = False
    #: where the target is written on `line` (1-based), when it could be found
    column: int | None = None


@dataclass
class RenderOptions:
    """What a channel wants from the HTML renderer."""

    resolve_link: LinkResolver | None = None
    resolve_image: ImageResolver | None = None
    allow_html: bool = False
    allowed_schemes: tuple[str, ...] = ("http", "https", "mailto", "tel")
    #: prerendering: every internal link goes through `resolve_link`, whatever its scheme
    placeholders: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.use(tasklists_plugin)
    md.use(anchors_plugin, min_level=1, max_level=6)
    md.use(directives.directives_plugin)
    # Every URL is kept in the token stream; the model reports disallowed schemes as errors
    # at their line, and the renderers drop them, instead of markdown-it silently unlinking.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    _install_render_rules(md)
    return md


_CHECKBOX = '<input class="task-list-item-checkbox"'


def _mark_generated_html(tokens: Sequence[Token]) -> None:
    """Task-list checkboxes are HTML the parser made, not raw HTML from the author; each
    is wrapped with its item's text in a <label>, which names it for assistive tech."""
    for index, token in enumerate(tokens):
        if token.type != "inline" or not token.children:
            continue
        first = token.children[0]
        in_task = index >= 2 and "task-list-item" in str(tokens[index - 2].attrGet("class") or "")
        if first.type == "html_inline" and first.content.startswith(_CHECKBOX) and in_task:
            first.content = "<label>" + first.content
            first.meta = {**(first.meta or {}), "generated": True}
            closing = Token("html_inline", "", 0, content="</label>", meta={"generated": True})
            token.children.append(closing)


def parse(body: str, line_offset: int) -> list[Token]:
    """Parse a body; token line maps are shifted to file lines."""
    tokens = parser().parse(body, {})
    _mark_generated_html(tokens)
    shift = line_offset - 1
    if shift:
        for token in tokens:
            if token.map:
                token.map = [token.map[0] + shift, token.map[1] + shift]
    return tokens


def _walk(tokens: Sequence[Token]) -> list[tuple[Token, int | None]]:
    out: list[tuple[Token, int | None]] = []
    line: int | None = None
    for token in tokens:
        if token.map:
            line = token.map[0] + 1
        out.append((token, line))
        for child in token.children or ():
            out.append((child, line))
    return out


def headings_of(tokens: Sequence[Token]) -> list[Heading]:
    found = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            inline = tokens[index + 1]
            found.append(
                Heading(
                    int(token.tag[1]),
                    inline.content,
                    str(token.attrGet("id") or ""),
                    token.map[0] + 1 if token.map else None,
                )
            )
    return found


def links_of(tokens: Sequence[Token], body: str = "", body_line: int = 1) -> list[LinkRef]:
    """Every link and image, at the line and column where its target is written.

    markdown-it keeps only a block's lines, so each target is looked for in the block's
    source after the previous one (a reference link's target is where it is defined)."""
    refs = []
    lines = body.split("\n")
    cursor: tuple[int, int] = (0, 0)  # (body line index, column index) searched from
    block_start: int | None = None
    for token, line in _walk(tokens):
        if token.map and token.type == "inline":
            start = token.map[0] - (body_line - 1)
            if start != block_start:
                block_start, cursor = start, (start, 0)
        if token.type not in ("link_open", "image"):
            continue
        image = token.type == "image"
        target = str(token.attrGet("src" if image else "href") or "")
        found = _find(lines, target, cursor) if body else None
        if found is None and body:
            found = _find(lines, target, (0, 0))
        if found is None:
            refs.append(LinkRef(target, line, image))
            continue
        index, column = found
        if block_start is not None and index >= block_start:
            cursor = (index, column + 1)
        refs.append(LinkRef(target, index + body_line, image, column + 1))
    return refs


def _find(lines: list[str], target: str, start: tuple[int, int]) -> tuple[int, int] | None:
    """(line index, column index) of the first spelling of `target` at or after `start`."""
    if not target:
        return None
    spellings = dict.fromkeys((target, unquote(target), html.escape(unquote(target), False)))
    index, column = start
    while index < len(lines):
        text = lines[index]
        places = [p for s in spellings if (p := text.find(s, column)) >= 0]
        if places:
            return index, min(places)
        index, column = index + 1, 0
    return None


#: what `urlsplit` drops before it reads a scheme: tabs and newlines anywhere
#: (`java\tscript:` is `javascript:`), C0 controls and spaces in front
_URL_NOISE = str.maketrans("", "", "\t\r\n")
_C0_OR_SPACE = "".join(chr(code) for code in range(0x21))
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def scheme_of(url: str) -> str:
    """The URL's scheme as `urlsplit` reads it, without splitting the rest: a build checks
    every link of every page, hundreds of thousands on a large site."""
    match = _SCHEME.match(url.strip().translate(_URL_NOISE).lstrip(_C0_OR_SPACE))
    return match.group(1).lower() if match else ""


def is_allowed_url(url: str, allowed: Sequence[str], image: bool = False) -> bool:
    scheme = scheme_of(url)
    if not scheme:
        return True
    if image and scheme == "data":
        return (
            url.strip()
            .lower()
            .startswith(("data:image/png", "data:image/jpeg", "data:image/gif", "data:image/webp"))
        )
    return scheme in allowed


def is_internal(url: str) -> bool:
    """A link without a scheme or host: a source path or a site path."""
    parts = split_url(url)
    return not parts.scheme and not parts.netloc


# --- HTML -----------------------------------------------------------------------------------


#: Pygments styles whose every token colour has 4.5:1 contrast on its background (WCAG AA)
LIGHT_STYLE, DARK_STYLE = "xcode", "monokai"


def _highlighted(code: str, lang: str) -> tuple[str, str]:
    """(the code as HTML, its label): Pygments' token spans where the language is known."""
    try:
        lexer = get_lexer_by_name(lang) if lang else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return html.escape(code), lang
    return highlight(code, lexer, HtmlFormatter(nowrap=True)), lexer.name


def _code_block(code: str, info: str) -> str:
    """A code block in the `.highlight` box the stylesheet colours; a long line scrolls
    the box, so it takes keyboard focus (tabindex) and is a region named by its language."""
    lang = info.strip().split(maxsplit=1)[0] if info.strip() else ""
    body, label = _highlighted(code, lang)
    css = f' class="language-{html.escape(lang)}"' if lang else ""
    named = f' aria-label="{html.escape(label)}"' if label else ' aria-label="Code"'
    return (
        f'<div class="highlight" role="region"{named} tabindex="0">'
        f"<pre><code{css}>{body}</code></pre></div>\n"
    )


def highlight_css() -> str:
    """Token colours for `.highlight` boxes, light, and dark where the reader prefers it;
    rules with the same colours are grouped (the mobile pages inline their stylesheet)."""
    return (
        f"{_style_rules(LIGHT_STYLE)}"
        ".highlight pre{background:none;margin:0}\n"
        f"@media (prefers-color-scheme: dark){{\n{_style_rules(DARK_STYLE)}}}\n"
    )


_RULE = re.compile(r"^(?P<selector>[^{]+?)\s*\{\s*(?P<body>[^}]*?)\s*\}")


def _style_rules(style: str) -> str:
    formatter = HtmlFormatter(style=style)
    lines = [
        *formatter.get_background_style_defs(".highlight"),
        *formatter.get_token_style_defs(".highlight"),
    ]
    grouped: dict[str, list[str]] = {}
    for line in lines:
        match = _RULE.match(line)
        if match and ".hll" not in match["selector"]:
            body = match["body"].replace(": ", ":").replace("; ", ";")
            grouped.setdefault(body, []).append(match["selector"])
    return "".join(f"{','.join(sel)}{{{body}}}\n" for body, sel in grouped.items())


def _attrs(token: Token) -> str:
    attrs = {k: v for k, v in (token.attrs or {}).items() if k != "href"}
    return "".join(f' {k}="{html.escape(str(v))}"' for k, v in attrs.items())


def _install_render_rules(md: MarkdownIt) -> None:
    def link_open(self: Any, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
        token = tokens[idx]
        opts: RenderOptions | None = env.get("omnipub")
        href = str(token.attrGet("href") or "")
        if opts is not None:
            if not is_allowed_url(href, opts.allowed_schemes):
                href = "#"
            elif opts.resolve_link and is_internal(href):
                href = opts.resolve_link(href, token.map[0] + 1 if token.map else None) or "#"
                if opts.placeholders:
                    return f'<a href="{href}"{_attrs(token)}>'

        rel = "" if is_internal(href) else ' rel="noopener"'
        return f'<a href="{html.escape(href)}"{_attrs(token)}{rel}>'

    def image(self: Any, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
        token = tokens[idx]
        opts: RenderOptions | None = env.get("omnipub")
        src = str(token.attrGet("src") or "")
        alt = self.renderInlineAsText(token.children or [], options, env)
        title = token.attrGet("title")
        info: dict[str, Any] = {"src": src}
        if opts is not None:
            if not is_allowed_url(src, opts.allowed_schemes, image=True):
                info = {"src": ""}
            elif opts.resolve_image and is_internal(src):
                info = opts.resolve_image(src, alt, None)
        parts = [f'<img src="{html.escape(str(info["src"]))}" alt="{html.escape(alt)}"']
        for key in ("srcset", "sizes", "width", "height"):
            if info.get(key):
                parts.append(f' {key}="{html.escape(str(info[key]))}"')
        parts.append(' loading="lazy" decoding="async"')
        if title:
            parts.append(f' title="{html.escape(str(title))}"')
        return "".join(parts) + ">"

    def raw_html(kind: str) -> Callable[..., str]:
        def rule(self: Any, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
            opts: RenderOptions | None = env.get("omnipub")
            content = tokens[idx].content
            generated = bool((tokens[idx].meta or {}).get("generated"))
            if generated or (opts is not None and opts.allow_html):
                return content
            escaped = html.escape(content)
            return f"<p>{escaped}</p>\n" if kind == "block" else escaped

        return rule

    def table_open(self: Any, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
        return '<div class="table-scroll" role="region" tabindex="0"><table>\n'

    def table_close(self: Any, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
        return "</table></div>\n"

    def component(end: bool) -> Callable[..., str]:
        """A component stands as its markers around its body; each channel fills it in."""

        def rule(self: Any, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
            meta = tokens[idx].meta if not end else _opening(tokens, idx).meta
            text = directives.marker(meta["nonce"], meta["index"], end)
            return text + "\n"

        return rule

    def role(self: Any, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
        meta = tokens[idx].meta
        return directives.marker(meta["nonce"], meta["index"], False) + directives.marker(
            meta["nonce"], meta["index"], True
        )

    def heading_open(self: Any, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
        token = tokens[idx]
        ranks: dict[int, int] = env.setdefault("heading_ranks", heading_ranks(tokens))
        env["heading_tag"] = f"h{ranks.get(idx, int(token.tag[1]))}"
        return f"<{env['heading_tag']}{self.renderAttrs(token)}>"

    def heading_close(self: Any, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
        return f"</{env.pop('heading_tag', tokens[idx].tag)}>\n"

    md.add_render_rule("heading_open", heading_open)
    md.add_render_rule("heading_close", heading_close)
    md.add_render_rule("component_open", component(False))
    md.add_render_rule("component_close", component(True))
    md.add_render_rule("myst_role", role)
    md.add_render_rule("link_open", link_open)
    md.add_render_rule("image", image)
    md.add_render_rule("html_block", raw_html("block"))
    md.add_render_rule("html_inline", raw_html("inline"))
    md.add_render_rule("table_open", table_open)
    md.add_render_rule("table_close", table_close)
    md.add_render_rule(
        "fence",
        lambda self, tokens, idx, options, env: _code_block(tokens[idx].content, tokens[idx].info),
    )
    md.add_render_rule(
        "code_block", lambda self, tokens, idx, options, env: _code_block(tokens[idx].content, "")
    )


def heading_ranks(tokens: Sequence[Token]) -> dict[int, int]:
    """The rank each body heading is published at (token index -> 2..6): below the page's
    `<h1>` title and never skipping a level, so that `### Notes` straight under the title
    is an `<h2>`, as assistive tech expects of an outline (axe's `heading-order`). Levels
    keep their nesting: `#`, `##`, `##`, `#` become h2, h3, h3, h2. A body that opens with
    a `#` heading keeps it as its `<h1>` (a page leaves it out when it repeats the title),
    and the headings after it rank below the title as they would without it."""
    ranks: dict[int, int] = {}
    open_levels: list[int] = []
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        if index == 0 and token.tag == "h1":
            ranks[index] = 1
            continue
        level = int(token.tag[1])
        while open_levels and open_levels[-1] >= level:
            open_levels.pop()
        open_levels.append(level)
        ranks[index] = min(1 + len(open_levels), 6)
    return ranks


def _opening(tokens: Sequence[Token], idx: int) -> Token:
    """The `component_open` a `component_close` ends."""
    depth = 0
    for index in range(idx - 1, -1, -1):
        kind = tokens[index].type
        if kind == "component_close":
            depth += 1
        elif kind == "component_open":
            if depth == 0:
                return tokens[index]
            depth -= 1
    raise ValueError("component_close without its opening")


def render_html(tokens: Sequence[Token], options: RenderOptions) -> str:
    md = parser()
    return md.renderer.render(list(tokens), md.options, {"omnipub": options})


SANITIZE_TAGS = nh3.ALLOWED_TAGS | {"div", "span", "input", "label", "section", "sup", "figure"}
SANITIZE_ATTRS = {
    **{k: set(v) for k, v in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"id", "class"},
    "img": {"src", "alt", "title", "width", "height", "srcset", "sizes", "loading", "decoding"},
    "input": {"type", "checked", "disabled"},
    "a": {"href", "title", "hreflang"},
    "div": {"role", "tabindex", "aria-label"},
    "td": {"style"},
    "th": {"style"},
}


def sanitize(
    markup: str, allowed_schemes: Sequence[str] = ("http", "https", "mailto", "tel")
) -> str:
    """nh3 (ammonia): no script, no event handlers, no javascript: URLs."""
    return nh3.clean(
        markup,
        tags=SANITIZE_TAGS,
        attributes=SANITIZE_ATTRS,
        url_schemes=set(allowed_schemes),
        link_rel=None,
        strip_comments=True,
    )


# --- plain text -----------------------------------------------------------------------------

_BLOCK_ENDS = {
    "paragraph_close",
    "heading_close",
    "list_item_close",
    "blockquote_close",
    "tr_close",
    "fence",
    "code_block",
}


def render_text(tokens: Sequence[Token]) -> str:
    """Readable plain text: paragraphs separated by blank lines, no markup."""
    chunks: list[str] = []
    current: list[str] = []
    for index, token in enumerate(tokens):
        if token.type in ("component_open", "component_close"):
            end = token.type == "component_close"
            meta = _opening(tokens, index).meta if end else token.meta
            text = "".join(current).strip()
            if text:
                chunks.append(text)
            chunks.append(directives.marker(meta["nonce"], meta["index"], end))
            current = []
            continue
        if token.type == "inline":
            for child in token.children or ():
                if child.type == "myst_role":
                    meta = child.meta
                    current.append(directives.marker(meta["nonce"], meta["index"], False))
                    current.append(directives.marker(meta["nonce"], meta["index"], True))
                elif child.type in ("text", "code_inline"):
                    current.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    current.append(" " if child.type == "softbreak" else "\n")
                elif child.type == "image":
                    current.append(child.content)
        elif token.type in ("fence", "code_block"):
            current.append(token.content.rstrip("\n"))
        elif token.type in ("th_close", "td_close"):
            current.append("\t")
        if token.type in _BLOCK_ENDS:
            text = "".join(current).strip()
            if text:
                chunks.append(text)
            current = []
    return "\n\n".join(chunks)


# --- prerendering ---------------------------------------------------------------------------

#: Placeholders for link and image URLs in prerendered HTML; a channel fills them in.
REF_SCHEME = "omnipub-ref"
_REF = re.compile(r'(href|src)="omnipub-ref:([LI])(\d+)"')
#: a whole link element with a placeholder (CommonMark links never nest, so the first
#: `</a>` closes it)
_LINK_ELEMENT = re.compile(r'<a\b[^>]*?\bhref="omnipub-ref:L(\d+)"[^>]*>(.*?)</a>', re.S)


def pack(text: str) -> bytes:
    """Text kept compressed: a site's parsed documents hold every body four times over
    (source, HTML, sanitized HTML, plain text), which dominated a large build's memory."""
    return zlib.compress(text.encode(), 1)


def unpack(data: bytes) -> str:
    return zlib.decompress(data).decode()


@dataclass(frozen=True)
class Prerendered:
    """A body rendered once for every channel, with URLs left as numbered placeholders."""

    packed_html: bytes
    packed_sanitized: bytes
    packed_text: bytes
    links: tuple[tuple[str, int | None], ...]
    images: tuple[tuple[str, str], ...]
    #: the block list for native apps, with placeholders (see `blocks.prebuild`)
    packed_blocks: bytes
    #: the components of the body, in order, and the nonce of their markers
    components: tuple[directives.ComponentUse, ...] = ()
    nonce: str = ""

    @property
    def html(self) -> str:
        return unpack(self.packed_html)

    @property
    def sanitized(self) -> str:
        return unpack(self.packed_sanitized)

    @property
    def text(self) -> str:
        return unpack(self.packed_text)


def prerender(
    tokens: Sequence[Token],
    allow_html: bool,
    allowed_schemes: Sequence[str],
    packed_blocks: bytes,
) -> Prerendered:
    links: list[tuple[str, int | None]] = []
    images: list[tuple[str, str]] = []

    def link(href: str, line: int | None) -> str:
        links.append((href, line))
        return f"{REF_SCHEME}:L{len(links) - 1}"

    def image(src: str, alt: str, _line: int | None) -> dict[str, Any]:
        images.append((src, alt))
        return {"src": f"{REF_SCHEME}:I{len(images) - 1}"}

    options = RenderOptions(
        resolve_link=link,
        resolve_image=image,
        allow_html=allow_html,
        allowed_schemes=tuple(allowed_schemes),
        placeholders=True,
    )
    html_text = render_html(tokens, options)
    clean = sanitize(html_text, (*allowed_schemes, REF_SCHEME))
    uses = directives.uses_of(list(tokens))
    return Prerendered(
        pack(html_text),
        pack(clean),
        pack(render_text(tokens)),
        tuple(links),
        tuple(images),
        packed_blocks,
        uses,
        directives.nonce_of(tokens) if uses else "",
    )


ComponentFiller = Callable[[int, str], str]


def fill_components(text: str, pre: Prerendered, render: ComponentFiller) -> str:
    """Put each component's rendering (`render(index, body)`) where its markers stand,
    innermost first, so a component's body holds its inner components filled in."""
    if not pre.components:
        return text
    pattern = directives.marked(pre.nonce)

    def replace(match: re.Match[str]) -> str:
        body = pattern.sub(replace, match.group("body"))
        return render(int(match.group("n")), body)

    return pattern.sub(replace, text)


def fill(
    html_text: str,
    pre: Prerendered,
    resolve_link: LinkResolver,
    resolve_image: ImageResolver,
) -> str:
    """Put a channel's URLs into prerendered HTML; a link whose target resolves to None
    becomes its bare text."""
    hrefs: dict[int, str | None] = {}

    def href_of(index: int) -> str | None:
        if index not in hrefs:
            href, line = pre.links[index]
            hrefs[index] = resolve_link(href, line)
        return hrefs[index]

    def unlink(match: re.Match[str]) -> str:
        if href_of(int(match.group(1))) is None:
            return match.group(2)
        return match.group(0)

    if pre.links:
        html_text = _LINK_ELEMENT.sub(unlink, html_text)
    images: dict[int, str] = {}

    def replace(match: re.Match[str]) -> str:
        kind, index = match.group(2), int(match.group(3))
        if kind == "L":
            return f'href="{html.escape(href_of(index) or "#")}"'
        if index not in images:
            src, alt = pre.images[index]
            info = resolve_image(src, alt, None)
            attrs = [f'src="{html.escape(str(info.get("src", "")))}"']
            for name in ("srcset", "sizes", "width", "height"):
                if info.get(name):
                    attrs.append(f'{name}="{html.escape(str(info[name]))}"')
            images[index] = " ".join(attrs)
        return images[index]

    return _REF.sub(replace, html_text)
