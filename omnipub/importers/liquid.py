"""Liquid and Nunjucks in Markdown (Jekyll, Eleventy): tags and outputs to components,
links and code, and every other tag or expression to the report.

Both generators run the template language over the Markdown before Markdown sees it, in
code blocks too, so the scan covers the whole body; `{% raw %}` is kept verbatim.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .common import (
    Body,
    Imported,
    Note,
    Page,
    Report,
    Writer,
    code_block,
    parse_args,
    relative_link,
    standard_component,
)

_TOKEN = re.compile(r"\{%-?\s*(\w+)(.*?)-?%\}|\{\{-?(.*?)-?\}\}", re.S)
#: `{{ "/about/" | relative_url }}`: a path through a filter that only prefixes the base URL
_URL_FILTERS = ("relative_url", "absolute_url", "url", "prepend: site.baseurl", "htmlBaseUrl")


@dataclass
class Dialect:
    """What differs between Jekyll and Eleventy: how `{% link %}`-like tags find pages."""

    name: str
    #: tag name -> resolver of its argument to a page
    link_tags: dict[str, Callable[[str, Page], Page | None]] = field(default_factory=dict)
    #: names the site defines (Eleventy shortcodes), with where they are defined
    defined: dict[str, str] = field(default_factory=dict)


class LiquidConverter:
    def __init__(
        self, page: Page, body: Body, imported: Imported, report: Report, dialect: Dialect
    ) -> None:
        self.page = page
        self.body = body
        self.imported = imported
        self.report = report
        self.dialect = dialect
        self.text = body.text

    def note(
        self, w: Writer, offset: int, code: str, message: str, hint: str | None = None
    ) -> None:
        w.note(Note(code, message, self.page.src, self.body.line_at(offset), hint=hint))

    def _close(self, name: str, start: int, end: int) -> re.Match[str] | None:
        """The `{% endname %}` closing a tag at `start`, counting nested pairs."""
        pattern = re.compile(r"\{%-?\s*(end)?" + re.escape(name) + r"\b.*?-?%\}", re.S)
        depth = 0
        for match in pattern.finditer(self.text, start, end):
            if match.group(1):
                if depth == 0:
                    return match
                depth -= 1
            else:
                depth += 1
        return None

    def convert(self, start: int, end: int) -> Writer:
        w = Writer()
        pos = start
        text = self.text
        while True:
            match = _TOKEN.search(text, pos, end)
            if not match:
                w.write(text[pos:end])
                return w
            w.write(text[pos : match.start()])
            pos = match.end()
            if match.group(1) is None:
                self.output(w, match)
                continue
            name = match.group(1)
            args = match.group(2).strip()
            if name.startswith("end"):
                w.write(match.group(0))
                continue
            close = self._close(name, match.end(), end)
            if name == "raw" and close is not None:
                w.write(text[match.end() : close.start()])
                pos = close.end()
                self.report.components["{% raw %} → literal text"] += 1
                continue
            if name == "comment" and close is not None:
                pos = close.end()
                self.report.components["{% comment %} removed"] += 1
                continue
            if close is not None:
                pos = close.end()
            self.tag(w, match, name, args, close)

    def tag(
        self, w: Writer, match: re.Match[str], name: str, args: str, close: re.Match[str] | None
    ) -> None:
        text = self.text
        raw_inner = text[match.end() : close.start()] if close is not None else None
        if name in self.dialect.link_tags and close is None:
            self.link(w, match, name, args)
            return
        if name in ("highlight", "code") and raw_inner is not None:
            lang = args.strip().strip("\"'").split()
            w.block(code_block(raw_inner, lang[0] if lang else ""))
            self.report.components[f"{{% {name} %}} → fenced code"] += 1
            return
        label = f"{{% {name} %}}"
        component = name
        if name in ("include", "include_relative") and close is None:
            first, _, rest = args.partition(" ")
            file = first.strip("\"'")
            component = posixpath.splitext(posixpath.basename(file))[0]
            label = f"{{% include {file} %}}"
            args = rest
        positional, named = parse_args(args)
        inner = self.convert(match.end(), close.start()) if close is not None else None
        if standard_component(
            component, positional, named, inner, raw_inner, w, self.report, label
        ):
            return
        where = self.dialect.defined.get(name)
        message = f"{label} is not converted and shows as text"
        if where:
            message += f" (defined at {where})"
        self.note(
            w,
            match.start(),
            f"{self.dialect.name}.tag",
            message,
            "replace it with Markdown or a component (see docs/import.md)",
        )
        w.write(match.group(0))
        if close is not None and inner is not None:
            w.embed(inner)
            w.write(close.group(0))

    def link(self, w: Writer, match: re.Match[str], name: str, args: str) -> None:
        wanted = args.strip().strip("\"'")
        target = self.dialect.link_tags[name](wanted, self.page)
        if target is None:
            self.note(
                w,
                match.start(),
                f"{self.dialect.name}.link",
                f"{{% {name} {wanted} %}} names no page of this site",
                "link to the page's file, e.g. [text](../posts/page.md)",
            )
            w.write(match.group(0))
            return
        self.report.components[f"{{% {name} %}} → link to the file"] += 1
        self._write_link(w, target, "")

    def _write_link(self, w: Writer, target: Page, anchor: str) -> None:
        link = relative_link(self.page.dest, target.dest, anchor)
        before = "".join(w.parts[-3:])
        if re.search(r"\]\(\s*<?$|href=[\"']?$", before):
            w.write(link)
        else:
            title = target.fields.get("title") or posixpath.basename(target.dest)[:-3]
            w.write(f"[{title}]({link})")

    def output(self, w: Writer, match: re.Match[str]) -> None:
        expression = match.group(3).strip()
        value = self.evaluate(expression)
        if value is None:
            self.note(
                w,
                match.start(),
                f"{self.dialect.name}.expression",
                f"{{{{ {expression} }}}} is not converted and shows as text",
                "write its value out",
            )
            w.write(match.group(0))
            return
        self.report.components["{{ expression }} → its value"] += 1
        if value.startswith("/"):
            path, _, anchor = value.partition("#")
            by_old = self.imported.by_old
            target = by_old.get(path) or by_old.get(path.rstrip("/") + "/")
            if target is not None:
                self._write_link(w, target, anchor)
                return
        w.write(value)

    def evaluate(self, expression: str) -> str | None:
        """The few expressions whose value the import knows: base URLs, URL filters on a
        literal path, and page or site variables holding text."""
        parts = [p.strip() for p in expression.split("|")]
        head, filters = parts[0], parts[1:]
        if any(not f.startswith(_URL_FILTERS) for f in filters):
            return None
        if head in ("site.baseurl", "site.url", "site.base_url", "base_url", "baseUrl"):
            return ""
        literal = re.fullmatch(r"""(["'])(.*)\1""", head)
        if literal:
            return literal.group(2)
        scope, _, key = head.partition(".")
        value: Any = None
        if scope == "page":
            value = {k.lower(): v for k, v in self.page.matter.items()}.get(key.lower())
        elif scope in ("site", "metadata"):
            site = self.imported.site
            value = {"title": site.title, "description": site.description}.get(key)
        elif not key and head in self.page.matter:
            value = self.page.matter[head]
        if filters or not isinstance(value, str | int | float):
            return None
        return str(value)
