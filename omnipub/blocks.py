"""Markdown to a block list that a native app draws without a web view.

Blocks: heading, paragraph, list (items hold blocks; task items a `checked` flag), image,
table, quote, code, rule, footnotes, and the typed blocks of components (a product card,
a callout, a video...), which each render fills in from the component's data. Inline
content is a list of spans: plain text as a string, text with marks (strong, em, strike,
code) as `{"type": "text", …}`, links (with the target item's id where the link is to an
item), line breaks, footnote references and inline images. Raw HTML is dropped: apps get the
sanitized `content_html` for that.
"""

from __future__ import annotations

import marshal
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from markdown_it.token import Token

from .markdown import is_allowed_url, is_internal

Block = dict[str, Any]
_MARKS = {"strong_open": "strong", "em_open": "em", "s_open": "strike"}
_CLOSE = {"strong_close": "strong", "em_close": "em", "s_close": "strike"}
#: keys of the placeholders a channel fills: a site link's href, an image's [src, alt]
#: (a NUL cannot come from a source, so no block of the content has them)
_LINK = "\x00link"
_IMAGE = "\x00image"
#: a component's place: its index in the body (its inner blocks under "blocks")
_COMPONENT = "\x00component"


class _Converter:
    """Tokens to blocks, with internal links and images left as placeholders: the block
    list is made once per source, when it is parsed, and filled in for each channel."""

    def __init__(self, allowed_schemes: Sequence[str]) -> None:
        self.allowed = tuple(allowed_schemes)

    # --- inline -----------------------------------------------------------------------------

    def image(self, token: Token) -> Block:
        src = str(token.attrGet("src") or "")
        alt = "".join(c.content for c in token.children or ())
        block: Block = {"type": "image", "src": src, "alt": alt}
        if not is_allowed_url(src, self.allowed, image=True):
            block["src"] = ""
        elif is_internal(src):
            block["src"], block[_IMAGE] = "", [src, alt]
        if token.attrGet("title"):
            block["title"] = token.attrGet("title")
        return block

    def inline(self, tokens: Sequence[Token]) -> list[Block]:
        spans: list[Block] = []
        marks: list[str] = []
        stack: list[list[Block]] = [spans]
        for token in tokens:
            here = stack[-1]
            kind = token.type
            if kind in _MARKS:
                marks.append(_MARKS[kind])
            elif kind in _CLOSE:
                if _CLOSE[kind] in marks:
                    marks.remove(_CLOSE[kind])
            elif kind == "text" and token.content:
                here.append(self._text(token.content, marks))
            elif kind == "code_inline":
                here.append(self._text(token.content, [*marks, "code"]))
            elif kind in ("softbreak",):
                here.append(self._text(" ", marks))
            elif kind == "hardbreak":
                here.append({"type": "break"})
            elif kind == "link_open":
                href = str(token.attrGet("href") or "")
                link: Block = {"type": "link", "href": "#", "content": []}
                if is_allowed_url(href, self.allowed):
                    if is_internal(href):
                        link[_LINK] = href
                    else:
                        link["href"] = href
                here.append(link)
                stack.append(link["content"])
            elif kind == "link_close" and len(stack) > 1:
                stack.pop()
            elif kind == "image":
                here.append(self.image(token))
            elif kind == "myst_role":
                here.append({"type": "component", _COMPONENT: int(token.meta["index"])})
            elif kind == "footnote_ref":
                here.append({"type": "footnote_ref", "id": int(token.meta["id"]) + 1})
        return _merge(spans)

    @staticmethod
    def _text(text: str, marks: list[str]) -> Block:
        span: Block = {"type": "text", "text": text}
        if marks:
            span["marks"] = sorted(set(marks))
        return span

    # --- blocks -----------------------------------------------------------------------------

    def blocks(
        self, tokens: Sequence[Token], start: int, stop_type: str | None
    ) -> tuple[list[Block], int]:
        out: list[Block] = []
        i = start
        while i < len(tokens):
            token = tokens[i]
            kind = token.type
            if stop_type and kind == stop_type:
                return out, i + 1
            if kind == "heading_open":
                inline = tokens[i + 1]
                block = {
                    "type": "heading",
                    "level": int(token.tag[1]),
                    "content": self.inline(inline.children or []),
                }
                if token.attrGet("id"):
                    block["anchor"] = token.attrGet("id")
                out.append(block)
                i += 3
            elif kind == "paragraph_open":
                inline = tokens[i + 1]
                children = inline.children or []
                content = self.inline(children)
                if len(content) == 1 and content[0]["type"] == "image":
                    out.append(content[0])
                elif content:
                    out.append({"type": "paragraph", "content": content})
                i += 3
            elif kind in ("bullet_list_open", "ordered_list_open"):
                block, i = self._list(tokens, i)
                out.append(block)
            elif kind == "blockquote_open":
                inner, i = self.blocks(tokens, i + 1, "blockquote_close")
                out.append({"type": "quote", "blocks": inner})
            elif kind in ("fence", "code_block"):
                lang = (token.info or "").strip().split(" ")[0]
                block = {"type": "code", "text": token.content}
                if lang:
                    block["language"] = lang
                out.append(block)
                i += 1
            elif kind == "hr":
                out.append({"type": "rule"})
                i += 1
            elif kind == "table_open":
                block, i = self._table(tokens, i)
                out.append(block)
            elif kind == "footnote_block_open":
                block, i = self._footnotes(tokens, i)
                out.append(block)
            elif kind == "component_open":
                inner, i = self.blocks(tokens, i + 1, "component_close")
                out.append(
                    {"type": "component", _COMPONENT: int(token.meta["index"]), "blocks": inner}
                )
            else:  # html_block and anything unknown: skipped
                i += 1
        return out, i

    def _list(self, tokens: Sequence[Token], i: int) -> tuple[Block, int]:
        opening = tokens[i]
        ordered = opening.type == "ordered_list_open"
        close = "ordered_list_close" if ordered else "bullet_list_close"
        block: Block = {"type": "list", "ordered": ordered, "items": []}
        if ordered:
            block["start"] = int(opening.attrGet("start") or 1)
        i += 1
        while i < len(tokens) and tokens[i].type != close:
            if tokens[i].type == "list_item_open":
                checked = None
                if "task-list-item" in str(tokens[i].attrGet("class") or ""):
                    children = tokens[i + 2].children
                    first = children[0] if children else None
                    checked = bool(first is not None and 'checked="checked"' in first.content)
                inner, i = self.blocks(tokens, i + 1, "list_item_close")
                entry: Block = {"blocks": inner}
                if checked is not None:
                    entry["checked"] = checked
                    first_block = inner[0] if inner else {}
                    spans = first_block.get("content") or []
                    if spans and spans[0]["type"] == "text":  # the space after the checkbox
                        spans[0]["text"] = spans[0]["text"].lstrip()
                        if not spans[0]["text"]:
                            spans.pop(0)
                block["items"].append(entry)
            else:
                i += 1
        return block, i + 1

    def _table(self, tokens: Sequence[Token], i: int) -> tuple[Block, int]:
        header: list[list[Block]] = []
        rows: list[list[list[Block]]] = []
        align: list[str | None] = []
        in_head = False
        row: list[list[Block]] = []
        while tokens[i].type != "table_close":
            token = tokens[i]
            if token.type == "thead_open":
                in_head = True
            elif token.type == "thead_close":
                in_head = False
            elif token.type == "tr_open":
                row = []
            elif token.type == "tr_close":
                if in_head:
                    header = row
                else:
                    rows.append(row)
            elif token.type in ("th_open", "td_open"):
                style = str(token.attrGet("style") or "")
                if in_head:
                    align.append(style.split(":")[-1] if "text-align" in style else None)
                row.append(self.inline(tokens[i + 1].children or []))
            i += 1
        return {"type": "table", "header": header, "rows": rows, "align": align}, i + 1

    def _footnotes(self, tokens: Sequence[Token], i: int) -> tuple[Block, int]:
        items = []
        i += 1
        while tokens[i].type != "footnote_block_close":
            if tokens[i].type == "footnote_open":
                number = int(tokens[i].meta["id"]) + 1
                inner, i = self.blocks(tokens, i + 1, "footnote_close")
                items.append({"id": number, "blocks": inner})
            else:
                i += 1
        return {"type": "footnotes", "items": items}, i + 1


def _merge(spans: list[Block]) -> list[Block]:
    """Join neighbouring text spans with the same marks (markdown-it splits text often)."""
    merged: list[Block] = []
    for span in spans:
        if (
            merged
            and span["type"] == "text"
            and merged[-1]["type"] == "text"
            and merged[-1].get("marks") == span.get("marks")
        ):
            merged[-1] = {**merged[-1], "text": merged[-1]["text"] + span["text"]}
        else:
            merged.append(span)
    return merged


def prebuild(tokens: Sequence[Token], allowed_schemes: Sequence[str]) -> bytes:
    """The block list with placeholders and where they are, packed (it is kept with every
    parsed document; filling it visits the placeholders only, not every span)."""
    blocks, _end = _Converter(allowed_schemes).blocks(list(tokens), 0, None)
    places: list[list[int | str]] = []

    def find(node: Any, path: list[int | str]) -> None:
        if isinstance(node, list):
            for index, child in enumerate(node):
                # text spans (most of the nodes) hold no placeholder; one without marks is
                # written as its plain string (a third of an app's item documents was
                # `{"text": …, "type": "text"}` wrapping)
                if isinstance(child, dict) and child.get("type") == "text":
                    if "marks" not in child:
                        node[index] = child["text"]
                elif isinstance(child, list | dict):
                    find(child, [*path, index])
        elif isinstance(node, dict):
            if _LINK in node or _IMAGE in node or _COMPONENT in node:
                places.append(path)
            for key, value in node.items():
                if isinstance(value, list | dict):
                    find(value, [*path, key])

    find(blocks, [])
    return zlib.compress(marshal.dumps((blocks, places)), 1)


#: a component's blocks (or spans, inline): (index, its inner blocks, inline) -> blocks
ComponentBlocks = Callable[[int, list[Block], bool], list[Any]]


def fill(
    packed: bytes,
    *,
    resolve_link: Callable[[str, int | None], str | None],
    link_target: Callable[[str], str | None],
    resolve_image: Callable[[str, str, int | None], dict[str, Any]],
    component: ComponentBlocks | None = None,
) -> list[Block]:
    """A fresh block list with one channel's URLs, item ids, image renditions and
    component blocks; a link whose URL resolves to None is replaced by its content (its
    target is not published).

    Places are visited last first: replacing a node (a link by its spans, a component by
    its blocks) shifts only its later siblings, already filled; a component's inner places
    and a link's image come after it in `places`, so they are filled before it."""
    blocks, places = marshal.loads(zlib.decompress(packed))
    for path in reversed(places):
        parent = None
        node = blocks
        for step in path:
            parent, node = node, node[step]
        position = path[-1] if path else None
        index = node.pop(_COMPONENT, None)
        if index is not None:
            inner = node.get("blocks", [])
            made = component(index, inner, "blocks" not in node) if component else inner
            assert isinstance(parent, list) and isinstance(position, int)
            parent[position : position + 1] = made
            continue
        href = node.pop(_LINK, None)
        if href is not None:
            url = resolve_link(href, None)
            if url is None and isinstance(parent, list) and isinstance(position, int):
                parent[position : position + 1] = node["content"]
                continue
            node["href"] = url or "#"
            target = link_target(href)
            if target:
                node["item_id"] = target
        image = node.pop(_IMAGE, None)
        if image is not None:
            info = resolve_image(image[0], image[1], None)
            node["src"] = info.get("src", "")
            for key in ("width", "height", "renditions"):
                if info.get(key):
                    node[key] = info[key]
    return blocks


def to_blocks(
    tokens: Sequence[Token],
    *,
    resolve_link: Callable[[str, int | None], str | None],
    link_target: Callable[[str], str | None],
    resolve_image: Callable[[str, str, int | None], dict[str, Any]],
    allowed_schemes: Sequence[str],
    component: ComponentBlocks | None = None,
) -> list[Block]:
    return fill(
        prebuild(tokens, allowed_schemes),
        resolve_link=resolve_link,
        link_target=link_target,
        resolve_image=resolve_image,
        component=component,
    )
