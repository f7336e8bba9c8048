"""Load and parse: one source file into one immutable `Document`, cached by content hash.

This is the only place a Markdown source is decoded and parsed; every channel renders the
same token stream. A problem with the file itself (encoding, size, binary content, front
matter syntax) becomes a located diagnostic and the file is left out of the site.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from markdown_it.token import Token

from . import blocks, frontmatter, markdown
from .diagnostics import Diagnostic, Location, Severity
from .discover import SourceFile
from .foreign import Foreign, find_foreign


@dataclass(frozen=True)
class Document:
    rel: str
    content_hash: str
    data: dict[str, Any]
    lines: dict[str, int]
    format: str
    #: the Markdown body, compressed (see `markdown.pack`)
    packed_body: bytes
    body_line: int
    headings: list[markdown.Heading]
    links: list[markdown.LinkRef]
    #: the body rendered once for every channel (URLs as placeholders)
    pre: markdown.Prerendered
    #: per-channel body overrides (`channels: {signage: {body: ...}}`): text, line, render
    channel_bodies: dict[str, tuple[str, int]] = field(default_factory=dict)
    channel_pre: dict[str, markdown.Prerendered] = field(default_factory=dict)
    #: the text of a level-1 heading that opens the body: a page shows the title as its
    #: heading already, so a body heading that repeats it is left out (see `RenderContext`)
    lead_heading: str | None = None
    #: other tools' template syntax in the body (see `foreign.py`), reported by the model
    foreign: tuple[Foreign, ...] = ()

    @property
    def body(self) -> str:
        return markdown.unpack(self.packed_body)

    def line_of(self, key: str) -> int | None:
        return self.lines.get(key)

    @property
    def tokens(self) -> list[Token]:
        """The token stream, parsed again on demand: documents keep only prerendered text,
        which is a fraction of the memory of tokens and all most channels need."""
        return markdown.parse(self.body, self.body_line)

    def tokens_for(self, channel: str) -> list[Token]:
        if channel in self.channel_bodies:
            body, line = self.channel_bodies[channel]
            return markdown.parse(body, line)
        return self.tokens


class LoadError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _fail(
    rel: str,
    code: str,
    message: str,
    line: int | None = None,
    column: int | None = None,
    hint: str | None = None,
    source_line: str | None = None,
) -> LoadError:
    return LoadError(
        Diagnostic(Severity.ERROR, code, message, Location(rel, line, column), hint, source_line)
    )


def decode(raw: bytes, rel: str) -> str:
    """UTF-8 only, BOM tolerated; a located error points at the first bad byte."""
    if b"\x00" in raw[:8192]:
        raise _fail(
            rel,
            "load.binary",
            "file is binary, not Markdown text",
            hint="move images and other files out of content/, or rename the file",
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise _fail(
            rel,
            "load.encoding",
            f"invalid UTF-8 (byte 0x{raw[exc.start]:02x})",
            line,
            column,
            "save the file as UTF-8 in your editor",
        ) from None


def parse_document(
    source: SourceFile,
    raw: bytes,
    max_bytes: int,
    allow_html: bool = False,
    schemes: tuple[str, ...] = markdown.DEFAULT_SCHEMES,
) -> Document:
    rel = source.rel
    if len(raw) > max_bytes:
        raise _fail(
            rel,
            "load.too-large",
            f"file is {len(raw) / 1048576:.1f} MB, over the {max_bytes / 1048576:.0f} MB limit",
            hint="split it into several items, or raise site.max_file_mb in omnipub.toml",
        )
    text = decode(raw, rel).replace("\r\n", "\n")
    if not text.strip():
        raise _fail(
            rel,
            "load.empty",
            "file is empty",
            1,
            hint="give it front matter with at least a title, or delete it",
        )
    try:
        matter, body = frontmatter.read(text)
    except frontmatter.FrontMatterError as exc:
        lines = text.split("\n")
        shown = lines[exc.line - 1] if exc.line and 0 < exc.line <= len(lines) else None
        raise _fail(
            rel, "front-matter.syntax", str(exc), exc.line, exc.column, exc.hint, shown
        ) from None
    tokens = markdown.parse(body, matter.body_line)
    channel_bodies: dict[str, tuple[str, int]] = {}
    channel_pre: dict[str, markdown.Prerendered] = {}
    channels = matter.data.get("channels")
    if isinstance(channels, dict):
        for name, override in channels.items():
            if isinstance(override, dict) and isinstance(override.get("body"), str):
                line = matter.lines.get(f"channels.{name}.body", matter.body_line)
                channel_bodies[str(name)] = (str(override["body"]), line)
                channel_pre[str(name)] = _prerender(
                    markdown.parse(str(override["body"]), line), allow_html, schemes
                )
    return Document(
        rel=rel,
        content_hash=hashlib.sha256(raw).hexdigest(),
        data=matter.data,
        lines=matter.lines,
        format=matter.format,
        packed_body=markdown.pack(body),
        body_line=matter.body_line,
        headings=markdown.headings_of(tokens),
        links=markdown.links_of(tokens, body, matter.body_line),
        pre=_prerender(tokens, allow_html, schemes),
        channel_bodies=channel_bodies,
        channel_pre=channel_pre,
        lead_heading=_lead_heading(tokens),
        foreign=find_foreign(body, matter.body_line, tokens),
    )


def _lead_heading(tokens: list[Token]) -> str | None:
    if len(tokens) > 2 and tokens[0].type == "heading_open" and tokens[0].tag == "h1":
        return tokens[1].content
    return None


def _prerender(
    tokens: list[Token], allow_html: bool, schemes: tuple[str, ...]
) -> markdown.Prerendered:
    """Everything channels render from a body, made while its tokens are at hand: the
    tokens themselves are not kept (parsing again costs more than all the rest)."""
    return markdown.prerender(tokens, allow_html, schemes, blocks.prebuild(tokens, schemes))


_LANG_SUFFIX = re.compile(r"^(?P<stem>.+)\.(?P<lang>[a-z]{2,3}(?:-[A-Za-z0-9]+)?)$")


def split_language(stem: str, languages: set[str]) -> tuple[str, str | None]:
    """`winter-coat.nb` -> (`winter-coat`, `nb`) when nb is a configured language."""
    match = _LANG_SUFFIX.match(stem)
    if match and match.group("lang") in languages:
        return match.group("stem"), match.group("lang")
    return stem, None
