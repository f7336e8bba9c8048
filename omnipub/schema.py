"""Item types and their fields: declared as data, validated and coerced in one place.

Front matter values arrive either as `Scalar` strings from YAML (with the raw text kept, so
that the schema, not YAML's implicit typing, decides what `no` or `1.10` means) or as typed
values from TOML, cascades and config. `coerce` turns both into one typed value per kind.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

KINDS = (
    "string",
    "text",
    "int",
    "number",
    "bool",
    "datetime",
    "date",
    "list",
    "enum",
    "path",
    "url",
    "links",
    "store",
    "stores",
    "mapping",
    "currency",
    "money",
)


class Scalar(str):
    """A YAML scalar kept as text, with where it stood and whether it was quoted."""

    line: int | None
    column: int | None
    plain: bool

    def __new__(
        cls, value: str, line: int | None = None, column: int | None = None, plain: bool = True
    ) -> Scalar:
        obj = super().__new__(cls, value)
        obj.line = line
        obj.column = column
        obj.plain = plain
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (Scalar, (str(self), self.line, self.column, self.plain))


@dataclass(frozen=True)
class FieldSpec:
    kind: str
    required: bool = False
    fact: bool = False
    choices: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class TypeSpec:
    name: str
    fields: Mapping[str, FieldSpec]


COMMON_FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec("string", doc="stable id; assigned and locked when absent"),
    "title": FieldSpec("string", required=True),
    "summary": FieldSpec("text"),
    "date": FieldSpec("datetime"),
    "updated": FieldSpec("datetime"),
    "draft": FieldSpec("bool"),
    "publish_at": FieldSpec("datetime"),
    "expire_at": FieldSpec("datetime"),
    "tags": FieldSpec("list"),
    "slug": FieldSpec("string"),
    "aliases": FieldSpec("list"),
    "image": FieldSpec("path"),
    "image_alt": FieldSpec("string"),
    "weight": FieldSpec("int"),
    "menu": FieldSpec("bool", doc="a page outside sections shown in the header menu"),
    "type": FieldSpec("string"),
    "author": FieldSpec("string"),
    "external_url": FieldSpec("url"),
    "lang": FieldSpec("string"),
    "translation_of": FieldSpec("path"),
    "channels": FieldSpec("mapping"),
    "cascade": FieldSpec("mapping"),
}

AVAILABILITY = ("in_stock", "out_of_stock", "preorder", "backorder", "discontinued")
#: how each availability reads (each channel translates the label through its catalogue)
AVAILABILITY_LABELS = {
    "in_stock": "In stock",
    "out_of_stock": "Out of stock",
    "preorder": "Pre-order",
    "backorder": "Back-order",
    "discontinued": "Discontinued",
}

BUILTIN_TYPES: dict[str, dict[str, FieldSpec]] = {
    "article": {},
    "page": {},
    "product": {
        "sku": FieldSpec("string", required=True, fact=True),
        "price": FieldSpec("money", required=True, fact=True),
        "currency": FieldSpec("currency", required=True, fact=True),
        "availability": FieldSpec("enum", required=True, fact=True, choices=AVAILABILITY),
        "brand": FieldSpec("string"),
        "gtin": FieldSpec("string", fact=True),
        "buy_url": FieldSpec("url", doc="where to buy it online: the page's call to action"),
        "stocked_at": FieldSpec("stores", doc="the stores that stock it: a call to action"),
    },
    "promotion": {
        "valid_from": FieldSpec("datetime", required=True, fact=True),
        "valid_until": FieldSpec("datetime", required=True, fact=True),
        "discount": FieldSpec("string"),
        "code": FieldSpec("string"),
        "products": FieldSpec("links"),
    },
    "event": {
        "start": FieldSpec("datetime", required=True, fact=True),
        "end": FieldSpec("datetime", required=True, fact=True),
        "store": FieldSpec(
            "store", required=True, fact=True, doc="the id of one of the site's [[stores]]"
        ),
        "location": FieldSpec("string"),
        "registration_url": FieldSpec("url"),
    },
}

#: Fields a channel mapping or a translation may change: how a fact is shown, never the fact.
PRESENTATION_FIELDS = frozenset({"title", "summary", "image", "image_alt", "body", "slug"})

#: Fields a translation inherits from its original and may not restate differently.
TRANSLATION_LOCAL_FIELDS = frozenset(
    {"title", "summary", "image_alt", "slug", "aliases", "tags", "channels", "lang", "updated"}
    | {"translation_of", "draft", "author", "date", "image", "discount", "location"}
)


class CoercionError(ValueError):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


_DATE_HINT = "write it as 2026-12-01 or 2026-12-01T09:00:00+01:00"
_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}


def parse_datetime(text: str, zone: ZoneInfo) -> dt.datetime:
    """Parse ISO 8601 text; naive values take the site's zone.

    Every failure is a `CoercionError`: a date of the right shape but no such day
    (2026-13-45) is the author's mistake as much as `soon` is, and says which part is wrong.
    """
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = dt.date.fromisoformat(value)
            return dt.datetime(day.year, day.month, day.day, tzinfo=zone)
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CoercionError(f"must be a date, got {value!r}{_why(exc)}", _DATE_HINT) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed


def instant_problem(text: str) -> str | None:
    """Why `text` cannot be the instant a build runs as of (`--at`, the preview's `?at=`),
    or None when it can. Only the format is judged, in UTC (which takes every form): the
    site's zone is applied by the build, once the site is read."""
    try:
        parse_datetime(text, ZoneInfo("UTC"))
    except CoercionError as exc:
        return (
            f"{exc}; write 2026-12-24, 2026-12-24T09:00 or 2026-12-24T09:00:00+01:00 "
            "(without an offset, the site's timezone applies)"
        )
    return None


def _why(exc: ValueError) -> str:
    """What `fromisoformat` found wrong, when it says more than "invalid format"."""
    reason = str(exc)
    if reason.startswith("Invalid isoformat"):
        return ""
    if reason.startswith("offset"):
        return " (the UTC offset must be between -23:59 and +23:59)"
    return f" ({reason})"


def describe(value: Any) -> str:
    """A value as an error message names it: its text, or what kind of thing it is."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "empty"
    return repr(str(value))


def coerce(spec: FieldSpec, value: Any, zone: ZoneInfo) -> Any:
    """Turn a front matter value into the typed value its field kind promises."""
    kind = spec.kind
    is_text = isinstance(value, str)
    if kind in ("string", "text", "path", "url", "currency", "enum", "store"):
        if isinstance(value, list | dict) or value is None:
            raise CoercionError(f"must be text, got {describe(value)}")
        if isinstance(value, bool | int | float | Decimal | dt.date):
            value = str(value).lower() if isinstance(value, bool) else str(value)
        text = str(value)
        if kind == "currency":
            if not re.fullmatch(r"[A-Z]{3}", text):
                raise CoercionError(
                    f"must be an ISO 4217 currency code, got {text!r}", "for example NOK, EUR, GBP"
                )
        elif kind == "enum" and text not in spec.choices:
            raise CoercionError(
                f"must be one of {', '.join(spec.choices)}, got {text!r}",
                f"choose one of: {', '.join(spec.choices)}",
            )
        elif kind == "url" and not re.match(r"^(https?://|mailto:|/)", text):
            raise CoercionError(
                f"must be an http(s) or mailto URL, got {text!r}", "write a full https:// URL"
            )
        return text
    if kind == "int":
        if isinstance(value, bool):
            raise CoercionError(f"must be a whole number, got {describe(value)}")
        if isinstance(value, int):
            return value
        if is_text and re.fullmatch(r"[+-]?\d+", value.strip()):
            return int(value)
        raise CoercionError(f"must be a whole number, got {describe(value)}")
    if kind in ("number", "money"):  # money: an amount in the type's currency field
        if isinstance(value, bool):
            raise CoercionError(f"must be a number, got {describe(value)}")
        if isinstance(value, int | Decimal):
            return Decimal(value)
        if isinstance(value, float):
            return Decimal(repr(value))
        if is_text:
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                number = None
            if number is not None and number.is_finite():
                return number
        raise CoercionError(
            f"must be a number, got {describe(value)}", "write it without quotes, e.g. 1299.00"
        )
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if is_text and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise CoercionError(f"must be true or false, got {describe(value)}")
    if kind == "datetime":
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=zone)
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day, tzinfo=zone)
        if is_text:
            return parse_datetime(value, zone)
        raise CoercionError(f"must be a date, got {describe(value)}", _DATE_HINT)
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if is_text:
            return parse_datetime(value, zone).date()
        raise CoercionError(f"must be a date, got {describe(value)}", _DATE_HINT)
    if kind in ("list", "links", "stores"):  # stores: ids of the site's [[stores]]
        if is_text and kind != "links":
            value = [value]
        if not isinstance(value, list):
            raise CoercionError(f"must be a list, got {describe(value)}", "write [a, b, c]")
        out = []
        for entry in value:
            if isinstance(entry, list | dict) or entry is None:
                raise CoercionError(f"must be a list of text, got an entry {describe(entry)}")
            out.append(str(entry).lower() if isinstance(entry, bool) else str(entry))
        return out
    if kind == "mapping":
        return value
    raise CoercionError(f"unknown field kind {kind!r}")


@dataclass(frozen=True)
class TypeRegistry:
    """All item types of a site: built-ins merged with `[types.*]` from omnipub.toml."""

    types: Mapping[str, TypeSpec] = field(default_factory=dict)

    def fields_for(self, type_name: str) -> dict[str, FieldSpec]:
        spec = self.types.get(type_name)
        return {**COMMON_FIELDS, **(spec.fields if spec else {})}

    def facts_for(self, type_name: str) -> frozenset[str]:
        return frozenset(n for n, f in self.fields_for(type_name).items() if f.fact)

    @classmethod
    def from_config(cls, declared: Mapping[str, Any]) -> TypeRegistry:
        types: dict[str, TypeSpec] = {}
        for name, fields in BUILTIN_TYPES.items():
            types[name] = TypeSpec(name, dict(fields))
        for name, table in declared.items():
            merged = dict(types[name].fields) if name in types else {}
            for field_name, raw in (table or {}).get("fields", {}).items():
                merged[field_name] = FieldSpec(
                    kind=str(raw.get("kind", "string")),
                    required=bool(raw.get("required", False)),
                    fact=bool(raw.get("fact", False)),
                    choices=tuple(raw.get("choices", ())),
                    doc=str(raw.get("doc", "")),
                )
            types[name] = TypeSpec(name, merged)
        return cls(types)
