"""Foreign syntax: other tools' template code in Markdown, which omnipub shows as text.

Content moved from Hugo, Jekyll or an MDX site carries shortcodes (`{{< figure >}}`,
`{{% note %}}`), Liquid tags (`{% include %}`, `{{ site.url }}`) and MDX `import` lines and
components (`<Chart />`). omnipub runs none of them, so left alone they land in pages as
literal text (or, inside a link, as a broken URL). They are found once, when a file is
parsed, outside code, and reported at their line and column with what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import nh3
from markdown_it.token import Token


@dataclass(frozen=True)
class Foreign:
    kind: str
    line: int
    column: int
    text: str


#: kind -> (pattern, what it is, what to do)
_KINDS: dict[str, tuple[re.Pattern[str], str, str]] = {
    "shortcode": (
        re.compile(r"\{\{[<%]-?\s*/?\s*[\w./-]+.*?-?[%>]\}\}"),
        "a Hugo shortcode",
        "omnipub runs no shortcodes: write the Markdown or HTML it stood for (an image is "
        "![alt](file.png), a link [text](page.md))",
    ),
    "liquid": (
        re.compile(
            r"\{%-?\s*(?:include|include_relative|if|elsif|else|endif|for|endfor|unless|"
            r"endunless|case|when|endcase|assign|capture|endcapture|raw|endraw|comment|"
            r"endcomment|highlight|endhighlight|link|post_url|seo)\b.*?-?%\}"
            r"|\{\{-?\s*(?:site|page|layout|include|content|paginator|jekyll)\b[\w.| \"':-]*-?\}\}"
        ),
        "Liquid template code",
        "omnipub runs no Liquid: write the text it produced (site settings live in "
        "omnipub.toml, and templates are Jinja files under templates/)",
    ),
    "mdx-import": (
        re.compile(
            r"^(?:import\s+[\w{}*,\s]+\s+from\s+['\"][^'\"]+['\"]|export\s+(?:const|default)\b).*"
        ),
        "an MDX import or export line",
        "omnipub reads Markdown, not MDX: remove the line, and replace the components it "
        "brings in with Markdown or HTML",
    ),
    "jsx": (
        re.compile(r"</?[A-Z][A-Za-z0-9]*(?:\.[A-Z][A-Za-z0-9]*)*(?=[\s/>])[^>]*>"),
        "an MDX/JSX component",
        "omnipub reads Markdown, not MDX: replace the component with Markdown or HTML",
    ),
}

_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")
#: HTML elements written in capitals by older content (`<BR>`): HTML, not components
_HTML_NAMES = frozenset(nh3.ALLOWED_TAGS) | {
    *("html", "head", "body", "title", "meta", "link", "script", "style", "iframe"),
    *("font", "center", "big", "tt", "strike", "embed", "object", "param", "form", "input"),
    *("button", "select", "option", "textarea", "label", "fieldset", "legend", "canvas"),
    *("audio", "video", "source", "track", "picture", "noscript", "main", "nav", "wbr"),
}


def what_and_hint(kind: str) -> tuple[str, str]:
    _pattern, what, hint = _KINDS[kind]
    return what, hint


def find_foreign(body: str, body_line: int, tokens: Sequence[Token]) -> tuple[Foreign, ...]:
    """Foreign syntax in a body, outside fenced and indented code and code spans."""
    code_lines: set[int] = set()
    for token in tokens:
        if token.type in ("fence", "code_block") and token.map:
            code_lines.update(range(token.map[0], token.map[1]))
    found: list[Foreign] = []
    shift = body_line - 1
    for index, line in enumerate(body.split("\n")):
        if index + shift in code_lines or not any(c in line for c in "{<ie"):
            continue
        masked = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
        for kind, (pattern, _what, _hint) in _KINDS.items():
            for match in pattern.finditer(masked):
                if kind == "jsx" and _tag_name(match.group(0)) in _HTML_NAMES:
                    continue
                found.append(
                    Foreign(kind, index + body_line, match.start() + 1, match.group(0)[:60])
                )
    return tuple(found)


def _tag_name(tag: str) -> str:
    return re.split(r"[\s/>]", tag.lstrip("</"), maxsplit=1)[0].lower()
