"""Components: the contract of each one and the registry of built-in and site components.

An author writes a component once, in the Python documentation world's syntax (parsed by
`directives.py`):

    ```{product} winter-coat
    ```

    :::{callout} tip
    :title: Good to know
    Wash at **30°C**.
    :::

    Our {product}`winter-coat` is back.

`ComponentSpec` declares a component's arguments, checked like front matter (typed,
located, "did you mean") before anything is rendered; a site declares its own in
`components/`. What a use shows in a channel is `componentdata.py`'s job, made at render
time, because a product card reads another item's facts.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .diagnostics import Diagnostics, Location
from .directives import ComponentUse
from .schema import KINDS, CoercionError, FieldSpec, coerce, describe

if TYPE_CHECKING:
    from .discover import SourceFile

#: a role's text may name its target Sphinx-style: `label <target>`
_LABELLED = re.compile(r"^(?P<label>.*\S)\s*<(?P<target>[^<>]+)>$", re.DOTALL)
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
BODIES = ("markdown", "none", "images")


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
