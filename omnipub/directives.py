"""Directive and role syntax: MyST's fenced ```` ```{name} ````/`:::{name}` blocks and
`{name}`text`` roles, parsed by markdown-it into component tokens.

A directive's body is parsed as Markdown in the same token stream, between
`component_open` and `component_close`, so its links, images and headings are the
document's own; a use's options are kept with their file lines for located errors. What
the names mean (schemas, the registry) is `components.py`'s; this module is syntax only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.colon_fence import colon_fence_plugin
from mdit_py_plugins.myst_role import myst_role_plugin

from . import frontmatter
from .schema import Scalar

_DIRECTIVE = re.compile(r"^\{(?P<name>[A-Za-z][\w-]*)\}\s*(?P<argument>.*)$")
_OPTION = re.compile(r"^:(?P<key>[A-Za-z_][\w-]*):(?:[ \t]+(?P<value>.*?))?[ \t]*$")


@dataclass(frozen=True)
class Option:
    """One `:key: value` line (or key of the `---` YAML block) of a directive."""

    key: str
    value: Any
    line: int | None
    column: int | None


@dataclass(frozen=True)
class ComponentUse:
    """One component written in a body: what the author wrote, and where."""

    index: int
    name: str
    argument: str
    options: tuple[Option, ...]
    line: int | None
    column: int | None
    inline: bool
    #: whether the directive has a body (block components)
    has_body: bool = False
    #: the body's images (src, alt), for galleries; the body's text, for labels
    images: tuple[tuple[str, str], ...] = ()
    body_text: str = ""
    #: the line of the first body line
    body_line: int | None = None
    #: syntax problems found while parsing (message, line, hint)
    problems: tuple[tuple[str, int | None, str], ...] = ()
    #: what else the body holds besides images (a gallery allows images only)
    other_content: bool = False


def directives_plugin(md: MarkdownIt) -> None:
    """Fenced ```` ```{name} ```` and `:::{name}` directives and `{name}`text`` roles."""
    md.use(colon_fence_plugin)
    md.use(myst_role_plugin)
    md.core.ruler.after("block", "components", _expand)
    md.core.ruler.after("inline", "component_index", _number)


def _expand(state: StateCore) -> None:
    state.tokens = _expand_tokens(state.tokens, state)


def _expand_tokens(tokens: list[Token], state: StateCore) -> list[Token]:
    """Directive fences become open/close tokens around their body, parsed as Markdown."""
    out: list[Token] = []
    for token in tokens:
        match = _DIRECTIVE.match(token.info.strip()) if token.type in _FENCES else None
        if match is None:
            out.append(token)
            continue
        first = token.map[0] if token.map else 0
        options, body, body_delta, problems = _split_options(token.content)
        opening = Token("component_open", "div", 1)
        opening.map = token.map
        opening.block = True
        opening.level = token.level
        # lines are kept relative to the opening line: the body's lines are shifted to
        # file lines only after parsing (`markdown.parse`), and only in `map`
        opening.meta = {
            "name": match.group("name"),
            "argument": match.group("argument").strip(),
            "options": tuple(options),
            "problems": tuple(problems),
            "has_body": bool(body.strip()),
            "body_delta": body_delta,
        }
        inner: list[Token] = []
        state.md.block.parse(body, state.md, state.env, inner)
        shift = first + 1 + body_delta
        for child in inner:
            if child.map:
                child.map = [child.map[0] + shift, child.map[1] + shift]
            child.level += token.level + 1
        out.append(opening)
        out.extend(_expand_tokens(inner, state))
        closing = Token("component_close", "div", -1)
        closing.block = True
        closing.level = token.level
        out.append(closing)
    return out


_FENCES = ("fence", "colon_fence")


@dataclass(frozen=True)
class _RawOption:
    key: str
    value: Any
    line: int | None
    column: int | None


def _split_options(
    content: str,
) -> tuple[list[_RawOption], str, int, list[tuple[str, int | None, str]]]:
    """(options, body, body's line offset in `content`, problems): MyST's two forms, a
    `---` YAML block or leading `:key: value` lines. Lines are 0-based in `content`."""
    lines = content.split("\n")
    options: list[_RawOption] = []
    problems: list[tuple[str, int | None, str]] = []
    if lines and lines[0].rstrip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
        if end is None:
            problems.append(
                ("the options block opened with '---' is never closed", 0, "close it with '---'")
            )
            return [], "\n".join(lines[1:]), 1, problems
        try:
            matter, _body = frontmatter.read("\n".join(lines[: end + 1]) + "\n")
        except frontmatter.FrontMatterError as exc:
            line = exc.line - 1 if exc.line else 0
            problems.append((f"options: {exc}", line, exc.hint or "write key: value lines"))
            return [], "\n".join(lines[end + 1 :]), end + 1, problems
        for key, value in matter.data.items():
            at = matter.lines.get(key)
            column = getattr(value, "column", None)
            options.append(_RawOption(str(key), value, at - 1 if at else None, column))
        return options, "\n".join(lines[end + 1 :]), end + 1, problems
    index = 0
    while index < len(lines):
        match = _OPTION.match(lines[index])
        if match is None:
            break
        text = match.group("value") or ""
        column = match.start("value") + 1 if match.group("value") is not None else None
        options.append(_RawOption(match.group("key"), Scalar(text, index, column), index, column))
        index += 1
    return options, "\n".join(lines[index:]), index, problems


def _number(state: StateCore) -> None:
    """Number components in document order, and give their markers a nonce made from the
    source: marker text no source can contain, since it would have to contain its own hash."""
    nonce = hashlib.sha256(state.src.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    index = 0
    for token in state.tokens:
        if token.type == "component_open":
            token.meta.update(index=index, nonce=nonce)
            index += 1
        for child in token.children or ():
            if child.type == "myst_role":
                child.meta.update(index=index, nonce=nonce)
                index += 1


def uses_of(tokens: list[Token]) -> tuple[ComponentUse, ...]:
    """Every component of a parsed body, in document order (line numbers as the tokens
    have them, so call this after the body's lines are shifted to file lines)."""
    found: list[ComponentUse] = []
    stack: list[tuple[Token, list[Token]]] = []
    for token in tokens:
        if token.type == "component_open":
            stack.append((token, []))
            continue
        if token.type == "component_close":
            opening, inner = stack.pop()
            found.append(_block_use(opening, inner))
            if stack:
                stack[-1][1].extend([opening, *inner, token])
            continue
        if stack:
            stack[-1][1].append(token)
        if token.type == "inline":
            line = token.map[0] + 1 if token.map else None
            for child in token.children or ():
                if child.type == "myst_role":
                    found.append(_role_use(child, token, line))
    return tuple(sorted(found, key=lambda use: use.index))


def _block_use(opening: Token, inner: list[Token]) -> ComponentUse:
    meta = opening.meta
    line = opening.map[0] + 1 if opening.map else None

    def at(delta: int | None) -> int | None:
        """A line of the directive's content (0-based) as a file line."""
        return line + 1 + delta if line is not None and delta is not None else None

    images: list[tuple[str, str]] = []
    other = False
    texts: list[str] = []
    for token in inner:
        if token.type == "component_open":
            other = True
        if token.type != "inline":
            continue
        for child in token.children or ():
            if child.type == "image":
                alt = "".join(c.content for c in child.children or ())
                images.append((str(child.attrGet("src") or ""), alt))
            elif child.type in ("text", "code_inline"):
                other = other or bool(child.content.strip())
                texts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                texts.append(" ")
            elif child.type not in ("text", "softbreak", "hardbreak"):
                other = True
    return ComponentUse(
        index=meta["index"],
        name=meta["name"],
        argument=meta["argument"],
        options=tuple(Option(o.key, o.value, at(o.line), o.column) for o in meta["options"]),
        line=line,
        column=1,
        inline=False,
        has_body=meta["has_body"],
        images=tuple(images),
        body_text="".join(texts).strip(),
        body_line=at(meta["body_delta"]),
        problems=tuple((m, at(d), h) for m, d, h in meta["problems"]),
        other_content=other,
    )


def _role_use(child: Token, inline: Token, line: int | None) -> ComponentUse:
    content = inline.content
    written = f"{{{child.meta['name']}}}`"
    at = content.find(written + child.content)
    here = line
    column = None
    if at >= 0 and line is not None:
        here = line + content.count("\n", 0, at)
        column = at - (content.rfind("\n", 0, at) + 1) + 1
    return ComponentUse(
        index=child.meta["index"],
        name=child.meta["name"],
        argument=child.content,
        options=(),
        line=here,
        column=column,
        inline=True,
    )


def nonce_of(tokens: Iterable[Token]) -> str:
    for token in tokens:
        if token.type == "component_open":
            return str(token.meta["nonce"])
        for child in token.children or ():
            if child.type == "myst_role":
                return str(child.meta["nonce"])
    return ""


def marker(nonce: str, index: int, end: bool) -> str:
    """The text standing for a component's start or end in prerendered HTML and text."""
    return f"omnipub-component:{nonce}:{index}:{'close' if end else 'open'};"


def marked(nonce: str) -> re.Pattern[str]:
    """Matches one component's markers and what lies between (the innermost is filled
    first by the caller, through recursion on the body)."""
    return re.compile(
        rf"omnipub-component:{nonce}:(?P<n>\d+):open;(?P<body>.*?)"
        rf"omnipub-component:{nonce}:(?P=n):close;",
        re.DOTALL,
    )
