"""Components: MyST-style directives and roles in Markdown, their argument schemas, and the
registry of built-in and site-defined components.

An author writes a component once, in the Python documentation world's syntax:

    ```{product} winter-coat
    ```

    :::{callout} tip
    :title: Good to know
    Wash at **30°C**.
    :::

    Our {product}`winter-coat` is back.

This module is the syntax and the contract: a markdown-it plugin turns fenced directives
into `component_open`/`component_close` tokens around their parsed body, and MyST roles
into `myst_role` tokens; `ComponentUse` is what a document keeps of each; `ComponentSpec`
declares a component's arguments, checked like front matter (typed, located, "did you
mean"). What a use shows in a channel is `componentdata.py`'s job, made at render time,
because a product card reads another item's facts.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.colon_fence import colon_fence_plugin
from mdit_py_plugins.myst_role import myst_role_plugin

from . import frontmatter
from .diagnostics import Diagnostic, Diagnostics, Location, Severity
from .schema import KINDS, CoercionError, FieldSpec, Scalar, coerce, describe

if TYPE_CHECKING:
    from .discover import SourceFile
    from .images import ImageInfo
    from .model import Site

_DIRECTIVE = re.compile(r"^\{(?P<name>[A-Za-z][\w-]*)\}\s*(?P<argument>.*)$")
_OPTION = re.compile(r"^:(?P<key>[A-Za-z_][\w-]*):(?:[ \t]+(?P<value>.*?))?[ \t]*$")
#: a role's text may name its target Sphinx-style: `label <target>`
_LABELLED = re.compile(r"^(?P<label>.*\S)\s*<(?P<target>[^<>]+)>$", re.DOTALL)
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
BODIES = ("markdown", "none", "images")


# --- syntax ---------------------------------------------------------------------------------


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


# --- schemas --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentSpec:
    """What a component accepts: its arguments, its body, where it may be written."""

    name: str
    args: Mapping[str, FieldSpec] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    #: the argument the text after `{name}` (or a role's text) fills
    positional: str | None = None
    #: "markdown", "images" (a gallery) or "none"
    body: str = "markdown"
    #: may be written as a directive (block) and/or a role (inline)
    block: bool = True
    inline: bool = False
    #: the argument a role's `label <target>` label fills
    label: str | None = None
    #: the app's block type
    block_type: str = ""
    description: str = ""
    #: where a site component is declared (None: built in)
    source: str | None = None


def _spec(
    kind: str, required: bool = False, choices: tuple[str, ...] = (), doc: str = ""
) -> FieldSpec:
    return FieldSpec(kind, required=required, choices=choices, doc=doc)


CALLOUT_KINDS = ("note", "tip", "warning")
BUTTON_STYLES = ("primary", "secondary")

BUILTINS: dict[str, ComponentSpec] = {
    spec.name: spec
    for spec in (
        ComponentSpec(
            "product",
            {
                "ref": _spec("string", True, doc="the product's id, SKU or content path"),
                "label": _spec("string", doc="the text of an inline mention"),
            },
            positional="ref",
            body="none",
            inline=True,
            label="label",
            block_type="product",
            description="a product card: image, title, price and availability",
        ),
        ComponentSpec(
            "callout",
            {"kind": _spec("enum", choices=CALLOUT_KINDS), "title": _spec("string")},
            {"kind": "note"},
            positional="kind",
            block_type="callout",
            description="a note, tip or warning set apart from the text",
        ),
        ComponentSpec(
            "figure",
            {"src": _spec("path", True), "alt": _spec("string", True)},
            positional="src",
            block_type="figure",
            description="an image with a caption (the body)",
        ),
        ComponentSpec(
            "gallery",
            {"caption": _spec("string")},
            body="images",
            block_type="gallery",
            description="a set of images (the body holds only images)",
        ),
        ComponentSpec(
            "video",
            {
                "src": _spec("string", True, doc="a YouTube or Vimeo URL, or a video file"),
                "title": _spec("string", True),
                "poster": _spec("path"),
            },
            positional="src",
            body="none",
            block_type="video",
            description="a video: click-to-load on the web, a poster elsewhere",
        ),
        ComponentSpec(
            "button",
            {
                "href": _spec("string", True, doc="an item's source path, a site path or a URL"),
                "label": _spec("string"),
                "style": _spec("enum", choices=BUTTON_STYLES),
            },
            {"style": "primary"},
            positional="href",
            inline=True,
            label="label",
            block_type="button",
            description="a call to action (the label is the body or the label option)",
        ),
    )
}


@dataclass(frozen=True)
class Registry:
    """Every component a site may use: the built-ins and its own."""

    specs: Mapping[str, ComponentSpec] = field(default_factory=lambda: dict(BUILTINS))

    def get(self, name: str) -> ComponentSpec | None:
        return self.specs.get(name)

    def suggest(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self.specs), n=1, cutoff=0.6)
        known = ", ".join(sorted(self.specs))
        if close:
            return f"did you mean '{close[0]}'? Components: {known}"
        return f"components: {known}; a site adds its own as components/<name>.html"

    def site_specs(self) -> list[ComponentSpec]:
        return [spec for name, spec in sorted(self.specs.items()) if spec.source is not None]


# --- arguments ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    line: int | None
    column: int | None
    hint: str | None = None
    warning: bool = False


def arguments(
    use: ComponentUse, spec: ComponentSpec, zone: ZoneInfo
) -> tuple[dict[str, Any], list[Problem]]:
    """The use's typed arguments, and what is wrong with them (located in the source)."""
    problems: list[Problem] = []
    raw: dict[str, tuple[Any, int | None, int | None]] = {}
    argument = use.argument
    if use.inline and spec.label:
        labelled = _LABELLED.match(argument)
        if labelled:
            raw[spec.label] = (labelled.group("label"), use.line, use.column)
            argument = labelled.group("target").strip()
    if argument:
        if spec.positional is None:
            problems.append(
                Problem(
                    "component.argument",
                    f"{{{spec.name}}} takes no argument after its name, got {argument!r}",
                    use.line,
                    use.column,
                    "give its settings as :key: value lines",
                )
            )
        else:
            raw[spec.positional] = (argument, use.line, use.column)
    for option in use.options:
        if option.key not in spec.args:
            close = difflib.get_close_matches(option.key, list(spec.args), n=1, cutoff=0.6)
            known = ", ".join(sorted(spec.args)) or "none"
            problems.append(
                Problem(
                    "component.option",
                    f"{{{spec.name}}} has no option {option.key!r}",
                    option.line,
                    1,
                    (f"did you mean '{close[0]}'? " if close else "") + f"options: {known}",
                )
            )
            continue
        if option.key in raw and option.key == spec.positional:
            problems.append(
                Problem(
                    "component.option",
                    f"{option.key!r} is given twice (after {{{spec.name}}} and as an option)",
                    option.line,
                    1,
                    "keep one of them",
                )
            )
        raw[option.key] = (option.value, option.line, option.column)
    typed: dict[str, Any] = dict(spec.defaults)
    for key, (value, line, column) in raw.items():
        try:
            typed[key] = coerce(spec.args[key], value, zone)
        except CoercionError as exc:
            problems.append(
                Problem(
                    "component.type",
                    f"{{{spec.name}}} option {key!r} {exc}",
                    line,
                    getattr(value, "column", None) or column,
                    exc.hint,
                )
            )
    for key, arg in spec.args.items():
        if arg.required and key not in raw:
            how = (
                f"write {{{spec.name}}} followed by it, or :{key}: ..."
                if key == spec.positional
                else f"add a line ':{key}: ...' below the opening line"
            )
            problems.append(
                Problem(
                    "component.required",
                    f"{{{spec.name}}} needs {key!r}",
                    use.line,
                    use.column,
                    how,
                )
            )
    problems.extend(_shape_problems(use, spec))
    return typed, problems


def _shape_problems(use: ComponentUse, spec: ComponentSpec) -> list[Problem]:
    found = [Problem("component.syntax", m, line, 1, hint) for m, line, hint in use.problems]
    if use.inline and not spec.inline:
        found.append(
            Problem(
                "component.inline",
                f"{{{spec.name}}} is a block component and cannot stand inside a sentence",
                use.line,
                use.column,
                f"write it on its own lines: ```{{{spec.name}}} ... ```",
            )
        )
    if not use.inline and not spec.block:
        found.append(
            Problem(
                "component.block",
                f"{{{spec.name}}} stands inside a sentence, not on lines of its own",
                use.line,
                use.column,
                f"write it as {{{spec.name}}}`...` where it belongs in the text",
            )
        )
    if not use.inline and spec.body == "none" and use.has_body:
        found.append(
            Problem(
                "component.body",
                f"{{{spec.name}}} takes no body",
                use.body_line,
                1,
                "give its settings as :key: value lines, or remove the text",
            )
        )
    if not use.inline and spec.body == "images":
        if not use.images:
            found.append(
                Problem(
                    "component.body",
                    f"{{{spec.name}}} holds no image",
                    use.line,
                    use.column,
                    "write one image per line: ![alt text](photo.jpg)",
                )
            )
        elif use.other_content:
            found.append(
                Problem(
                    "component.body",
                    f"{{{spec.name}}} holds text besides its images",
                    use.body_line,
                    1,
                    "a gallery holds images only; give it a :caption:",
                )
            )
    return found


# --- site components ------------------------------------------------------------------------

_SCHEMA_KEYS = {"description", "argument", "body", "inline", "block", "block_type", "label", "args"}
_ARG_KEYS = {"kind", "required", "choices", "default", "doc"}


def load_components(sources: Iterable[SourceFile], diagnostics: Diagnostics) -> Registry:
    """The site's components (`components/<name>.html`, per-channel variants
    `components/<name>.<channel>.html`, the schema `components/<name>.toml`) with the
    built-ins. Problems are reported at the file; a broken component is left out."""
    names: dict[str, list[SourceFile]] = {}
    for source in sources:
        if source.kind != "component":
            continue
        stem = source.rel.split("/")[-1].split(".")[0]
        names.setdefault(stem, []).append(source)
    specs = dict(BUILTINS)
    for name, files in sorted(names.items()):
        schema = next((f for f in files if f.rel.endswith(".toml")), None)
        where = Location((schema or files[0]).rel)
        if not _NAME.match(name):
            diagnostics.error(
                "component.name",
                f"component name {name!r} is not lower-case letters, digits and '-'",
                where,
                "rename the file, such as components/store-hours.html",
            )
            continue
        if name in BUILTINS:
            diagnostics.error(
                "component.name",
                f"{name!r} is a built-in component",
                where,
                f"name yours otherwise; to restyle the built-in, add "
                f"templates/<channel>/components/{name}.html",
            )
            continue
        spec = _site_spec(name, schema, diagnostics)
        if spec is not None:
            specs[name] = spec
    taken: dict[str, str] = {}
    for spec in specs.values():
        other = taken.setdefault(spec.block_type, spec.name)
        if other != spec.name and spec.source is not None:
            diagnostics.error(
                "component.block-type",
                f"app block type {spec.block_type!r} is already {other!r}'s",
                Location(spec.source),
                "set another block_type",
            )
    return Registry(specs)


def _site_spec(
    name: str, schema: SourceFile | None, diagnostics: Diagnostics
) -> ComponentSpec | None:
    block_type = name.replace("-", "_")
    if schema is None:
        return ComponentSpec(name, block_type=block_type, source=f"components/{name}.html")
    where = Location(schema.rel)
    try:
        data = tomllib.loads(schema.path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        match = re.search(r"at line (\d+), column (\d+)", str(exc))
        diagnostics.error(
            "component.schema",
            f"invalid TOML: {str(exc).split(' (at line')[0]}",
            Location(schema.rel, int(match.group(1)), int(match.group(2))) if match else where,
            "check quotes, brackets and that every key is written key = value",
        )
        return None
    for key in sorted(set(data) - _SCHEMA_KEYS):
        diagnostics.warning(
            "component.schema",
            f"unknown key {key!r}",
            where,
            f"a component schema has: {', '.join(sorted(_SCHEMA_KEYS))}",
        )
    args: dict[str, FieldSpec] = {}
    defaults: dict[str, Any] = {}
    declared = data.get("args", {})
    if not isinstance(declared, dict):
        diagnostics.error("component.schema", "'args' must be a table", where, "write [args.name]")
        return None
    ok = True
    for arg, table in declared.items():
        if not isinstance(table, dict):
            diagnostics.error(
                "component.schema",
                f"args.{arg} must be a table, got {describe(table)}",
                where,
                f'write [args.{arg}] then kind = "string"',
            )
            ok = False
            continue
        for key in sorted(set(table) - _ARG_KEYS):
            diagnostics.warning(
                "component.schema",
                f"unknown key 'args.{arg}.{key}'",
                where,
                f"an argument has: {', '.join(sorted(_ARG_KEYS))}",
            )
        kind = str(table.get("kind", "string"))
        if kind not in KINDS or kind in ("links", "mapping"):
            usable = [k for k in KINDS if k not in ("links", "mapping")]
            diagnostics.error(
                "component.schema",
                f"args.{arg}: unknown kind {kind!r}",
                where,
                f"kinds: {', '.join(usable)}",
            )
            ok = False
            continue
        spec = FieldSpec(
            kind,
            required=bool(table.get("required", False)),
            choices=tuple(str(c) for c in table.get("choices", ())),
            doc=str(table.get("doc", "")),
        )
        args[arg] = spec
        if "default" in table:
            try:
                defaults[arg] = coerce(spec, table["default"], ZoneInfo("UTC"))
            except CoercionError as exc:
                diagnostics.error("component.schema", f"args.{arg}.default {exc}", where, exc.hint)
                ok = False
    body = str(data.get("body", "markdown"))
    if body not in ("markdown", "none"):
        diagnostics.error(
            "component.schema", f"body must be markdown or none, got {body!r}", where, None
        )
        ok = False
    positional = data.get("argument")
    if positional is not None and positional not in args:
        diagnostics.error(
            "component.schema",
            f"argument names {positional!r}, which is not among its args",
            where,
            f"declare [args.{positional}]",
        )
        ok = False
    block_type = str(data.get("block_type", block_type))
    if not re.fullmatch(r"[a-z][a-z0-9_]*", block_type):
        diagnostics.error(
            "component.schema",
            f"block_type {block_type!r} is not lower-case letters, digits and '_'",
            where,
            None,
        )
        ok = False
    if not ok:
        return None
    return ComponentSpec(
        name,
        args,
        defaults,
        positional=positional,
        body=body,
        block=bool(data.get("block", True)),
        inline=bool(data.get("inline", False)),
        label=data.get("label") if data.get("label") in args else None,
        block_type=block_type,
        description=str(data.get("description", "")),
        source=schema.rel,
    )


# --- the content check ----------------------------------------------------------------------


def check_components(
    site: Site,
    images: Mapping[str, ImageInfo],
    diagnostics: Diagnostics,
    only: set[str] | None = None,
) -> None:
    """Every component in visible content names a known component, with valid arguments,
    and what it shows exists: a product that is published (an expired one is a warning:
    it drops out of the page on its own), images that are there.

    `only` limits the check to some item files (a live rebuild)."""
    from .componentdata import check_use, sku_index  # what a use names is found there

    registry = site.components
    skus: dict[str, tuple[str, str]] | None = None

    def sku_lookup() -> dict[str, tuple[str, str]]:
        nonlocal skus
        if skus is None:
            skus = sku_index(site)
        return skus

    for rel, pre in _bodies(site, only):
        for use in pre.components:
            where = Location(rel, use.line, use.column)
            spec = registry.get(use.name)
            if spec is None:
                diagnostics.error(
                    "component.unknown",
                    f"unknown component {{{use.name}}}",
                    where,
                    registry.suggest(use.name),
                )
                continue
            args, problems = arguments(use, spec, site.config.timezone)
            if not problems:
                problems = check_use(site, images, rel, use, spec, args, sku_lookup)
            for problem in problems:
                diagnostics.add(
                    Diagnostic(
                        Severity.WARNING if problem.warning else Severity.ERROR,
                        problem.code,
                        problem.message,
                        Location(rel, problem.line, problem.column),
                        problem.hint,
                    )
                )


def _bodies(site: Site, only: set[str] | None) -> Iterable[tuple[str, Any]]:
    if only is None:
        docs = [item.document for item in site.items if item.visible]
        docs += [p.document for p in site.sections.values() if p.document]
        docs += [p.document for p in site.home.values() if p.document]
    else:
        picked = (site.by_rel.get(rel) for rel in sorted(only))
        docs = [item.document for item in picked if item is not None and item.visible]
    for doc in docs:
        yield doc.rel, doc.pre
        for pre in doc.channel_pre.values():
            yield doc.rel, pre
