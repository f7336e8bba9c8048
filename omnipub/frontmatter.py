"""Front matter: split it from the body and read YAML or TOML into located values.

YAML is composed (not constructed) with the C loader and turned into plain data here, so
that no tag can build an arbitrary object, alias expansion is bounded (no "billion laughs"),
nesting depth is bounded, and every scalar keeps its raw text and its line for the schema.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

import yaml

from .schema import Scalar

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MAX_NODES = 10_000
MAX_DEPTH = 32


class FrontMatterError(ValueError):
    def __init__(
        self, message: str, line: int | None, column: int | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.hint = hint


@dataclass
class FrontMatter:
    data: dict[str, Any] = field(default_factory=dict)
    #: file line of each top-level key (and of nested keys as "parent.child")
    lines: dict[str, int] = field(default_factory=dict)
    format: str = "none"
    #: the first file line of the body
    body_line: int = 1


def split(text: str) -> tuple[str, str | None, str, int, int]:
    """Return (format, front matter text, body, first front matter line, first body line)."""
    first = text.split("\n", 1)[0].rstrip("\r")
    if first not in ("---", "+++"):
        return "none", None, text, 1, 1
    fence = first
    lines = text.split("\n")
    closers = {"---", "..."} if fence == "---" else {"+++"}
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r") in closers:
            front = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1 :])
            return ("yaml" if fence == "---" else "toml"), front, body, 2, index + 2
    raise FrontMatterError(
        f"front matter opened with {fence!r} on line 1 is never closed",
        1,
        1,
        f"end the front matter with a line holding only {fence!r}",
    )


def _to_data(node: yaml.Node, line_offset: int, lines: dict[str, int], prefix: str) -> Any:
    budget = [0]

    def build(node: yaml.Node, depth: int, key_path: str) -> Any:
        budget[0] += 1
        if budget[0] > MAX_NODES:
            raise FrontMatterError(
                f"front matter is too large (over {MAX_NODES} values, or aliases expanding "
                "into as many)",
                node.start_mark.line + line_offset,
                hint="front matter holds a few fields; move data into data/ files",
            )
        if depth > MAX_DEPTH:
            raise FrontMatterError(
                f"front matter nests deeper than {MAX_DEPTH} levels",
                node.start_mark.line + line_offset,
                hint="flatten the structure",
            )
        line = node.start_mark.line + line_offset
        column = node.start_mark.column + 1
        if isinstance(node, yaml.ScalarNode):
            if (
                node.tag == "tag:yaml.org,2002:null"
                and node.style is None
                and node.value in ("", "~", "null", "Null", "NULL")
            ):
                return None
            if node.tag.startswith("!") or (
                node.tag.startswith("tag:yaml.org,2002:")
                and node.tag.split(":")[-1]
                not in {"str", "int", "float", "bool", "null", "timestamp"}
            ):
                raise FrontMatterError(
                    f"YAML tag {node.tag!r} is not allowed in front matter",
                    line,
                    column,
                    "remove the tag; front matter holds plain text, numbers, lists and mappings",
                )
            return Scalar(node.value, line, column, plain=node.style is None)
        if not isinstance(node, yaml.ScalarNode) and node.tag not in (
            "tag:yaml.org,2002:seq",
            "tag:yaml.org,2002:map",
        ):
            raise FrontMatterError(
                f"YAML tag {node.tag!r} is not allowed in front matter",
                line,
                column,
                "remove the tag; front matter holds plain text, numbers, lists and mappings",
            )
        if isinstance(node, yaml.SequenceNode):
            return [build(child, depth + 1, key_path) for child in node.value]
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise FrontMatterError(
                        "mapping keys must be plain names",
                        key_node.start_mark.line + line_offset,
                        key_node.start_mark.column + 1,
                    )
                key = key_node.value
                if key == "<<":
                    raise FrontMatterError(
                        "YAML merge keys ('<<') are not supported in front matter",
                        key_node.start_mark.line + line_offset,
                        key_node.start_mark.column + 1,
                        "write the fields out",
                    )
                path = f"{key_path}.{key}" if key_path else key
                if key in out:
                    raise FrontMatterError(
                        f"field {key!r} is given twice",
                        key_node.start_mark.line + line_offset,
                        key_node.start_mark.column + 1,
                        "remove one of them",
                    )
                lines.setdefault(path, key_node.start_mark.line + line_offset)
                out[key] = build(value_node, depth + 1, path)
            return out
        raise FrontMatterError("unsupported YAML node", line, column)  # pragma: no cover

    return build(node, 0, prefix)


def parse_yaml(text: str, first_line: int) -> FrontMatter:
    lines: dict[str, int] = {}
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark else first_line
        column = mark.column + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.context_mark is not None and exc.problem:
            problem += f" ({exc.context} that starts on line {exc.context_mark.line + first_line})"
        raise FrontMatterError(
            f"invalid YAML front matter: {problem}",
            line,
            column,
            "check indentation, and quote values that contain ': ' or start with a symbol",
        ) from None
    except yaml.YAMLError as exc:
        raise FrontMatterError(f"invalid YAML front matter: {exc}", first_line) from None
    if node is None:
        return FrontMatter({}, lines, "yaml")
    data = _to_data(node, first_line, lines, "")
    if not isinstance(data, dict):
        raise FrontMatterError(
            "front matter must be a mapping of fields",
            first_line,
            hint="write one 'field: value' per line",
        )
    return FrontMatter(data, lines, "yaml")


def parse_toml(text: str, first_line: int) -> FrontMatter:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+), column (\d+)", str(exc))
        line = int(match.group(1)) + first_line - 1 if match else first_line
        column = int(match.group(2)) if match else None
        raise FrontMatterError(
            f"invalid TOML front matter: {str(exc).split(' (at line')[0]}",
            line,
            column,
            "write one key = value per line; quote text values",
        ) from None
    lines: dict[str, int] = {}
    table = ""
    for number, raw in enumerate(text.splitlines(), start=first_line):
        header = re.match(r"^\s*\[+\s*([\w.\-\"]+)\s*\]+", raw)
        if header:
            table = header.group(1).replace('"', "")
            lines.setdefault(table, number)
            continue
        key = re.match(r"^\s*([\w\-]+)\s*=", raw)
        if key:
            lines.setdefault(f"{table}.{key.group(1)}" if table else key.group(1), number)
    return FrontMatter(data, lines, "toml")


def read(text: str) -> tuple[FrontMatter, str]:
    """Split and parse; raises `FrontMatterError` with a file line on any problem."""
    fmt, front, body, first_line, body_line = split(text)
    if front is None:
        return FrontMatter({}, {}, "none", 1), body
    matter = parse_yaml(front, first_line) if fmt == "yaml" else parse_toml(front, first_line)
    matter.body_line = body_line
    return matter, body


#: keys other tools' front matter uses, and what they are here (None: no meaning here)
FOREIGN_KEYS: dict[str, tuple[str | None, str]] = {
    "description": ("summary", "omnipub calls the short text under a title 'summary'"),
    "expirydate": ("expire_at", "Hugo's expiryDate is omnipub's 'expire_at'"),
    "expirationdate": ("expire_at", "omnipub's expiry field is 'expire_at'"),
    "publishdate": ("publish_at", "Hugo's publishDate is omnipub's 'publish_at'"),
    "pubdate": ("publish_at", "omnipub's scheduling field is 'publish_at'"),
    "lastmod": ("updated", "Hugo's lastmod is omnipub's 'updated'"),
    "permalink": (
        None,
        "an item's URL comes from its folder and 'slug'; set URL shapes per section under "
        "[permalinks] in omnipub.toml",
    ),
    "url": (None, "set 'slug', or a section's [permalinks] pattern in omnipub.toml"),
    "redirect_from": ("aliases", "jekyll-redirect-from's redirect_from is omnipub's 'aliases'"),
    "categories": ("tags", "omnipub groups items by folder (sections) and by 'tags'"),
    "category": ("tags", "omnipub groups items by folder (sections) and by 'tags'"),
    "layout": (
        None,
        "templates are chosen by the item's 'type' (templates/<channel>/<type>.html), not by "
        "a layout key",
    ),
    "sidebar_position": ("weight", "the order within a section is 'weight'"),
    "sidebar_label": (None, "navigation shows the title; set a channel override to change it"),
}


def unknown_key_hint(name: str, known: list[str], fallback: str) -> str:
    """What an unknown front matter key probably meant: another tool's key mapped to
    omnipub's field, a close spelling of a known one, or `fallback`."""
    foreign = FOREIGN_KEYS.get(name.lower().replace("-", "").replace("_", "")) or FOREIGN_KEYS.get(
        name.lower()
    )
    if foreign is not None:
        field_name, why = foreign
        if field_name is not None and field_name in known:
            return f"did you mean {field_name!r}? {why}"
        return f"{name!r} has no meaning here: {why}"
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    if close:
        return f"did you mean {close[0]!r}?"
    return fallback
