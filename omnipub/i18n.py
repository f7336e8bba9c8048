"""Localised presentation: dates, numbers and prices through Babel; template words from
per-language catalogues that ship with omnipub and that a site can override.

Catalogues are TOML files `<lang>.toml` of `"English text" = "translation"` pairs, read from
the core (`omnipub/catalogues/`), then a channel's `i18n/`, then the site's `i18n/`, later ones
winning. A missing phrase falls back to the English text, never to an empty string.
"""

from __future__ import annotations

import datetime as dt
import tomllib
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime, format_interval, format_time
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
)

CORE_CATALOGUES = Path(__file__).parent / "catalogues"


@lru_cache(maxsize=64)
def locale_for(code: str) -> Locale:
    try:
        return Locale.parse(code.replace("-", "_"))
    except (ValueError, LookupError):
        return Locale.parse("en")


def price(amount: Decimal | float | int, currency: str, locale: str) -> str:
    """`1 299,00 kr` for nb_NO, `1 299,00 €` for fr_FR, `£1,299.00` and `NOK 1,299.00` for
    en_GB (CLDR's currency spacing, which Babel leaves out: a no-break space between a
    currency code and the digits it touches)."""
    found = locale_for(locale)
    text = format_currency(Decimal(str(amount)), currency, locale=found)
    return _currency_spacing(text, get_currency_symbol(currency, locale=found))


def _currency_spacing(text: str, symbol: str) -> str:
    """CLDR's default `currencySpacing`: where the symbol's end next to a digit is not a
    symbol or space character (a letter: `NOK`, `CHF`), put U+00A0 between them."""
    at = text.find(symbol)
    if at < 0 or not symbol:
        return text
    end = at + len(symbol)
    if end < len(text) and text[end].isdigit() and _wordlike(symbol[-1]):
        return text[:end] + "\u00a0" + text[end:]
    if at > 0 and text[at - 1].isdigit() and _wordlike(symbol[0]):
        return text[:at] + "\u00a0" + text[at:]
    return text


def _wordlike(char: str) -> bool:
    return unicodedata.category(char)[0] not in "SZ"


def money(amount: Decimal, currency: str | None) -> str:
    """An amount as a decimal string with the currency's minor units ("1299.00"), as
    machine-readable output states money: a JSON number loses the trailing zeros and
    invites binary floating point into prices."""
    if currency is None:
        return f"{amount:f}"
    digits = get_currency_precision(currency)
    return f"{amount.quantize(Decimal(1).scaleb(-digits)):f}"


def number(value: Decimal | float | int, locale: str) -> str:
    return format_decimal(value, locale=locale_for(locale))


def date(value: dt.datetime | dt.date, locale: str, form: str = "long") -> str:
    if isinstance(value, dt.datetime):
        return format_date(value.date(), form, locale=locale_for(locale))
    return format_date(value, form, locale=locale_for(locale))


def datetime(value: dt.datetime, locale: str, form: str = "medium") -> str:
    return format_datetime(value, form, tzinfo=value.tzinfo, locale=locale_for(locale))


def span(start: dt.datetime, end: dt.datetime, locale: str) -> str:
    """When an event happens, in its own time zone (the offset it was written with), to
    the minute: `6 February 2027, 14:00–16:00`, or both ends in full across days."""
    found = locale_for(locale)
    zone = start.tzinfo
    end = end.astimezone(zone) if zone is not None and end.tzinfo is not None else end
    hours = "hm" if "h" in found.time_formats["short"].pattern else "Hm"
    joined = str(found.datetime_formats["medium"]).replace("'", "")
    if start.date() == end.date():
        day = format_date(start.date(), "long", locale=found)
        return joined.format(format_interval(start, end, hours, tzinfo=zone, locale=found), day)

    def moment(value: dt.datetime) -> str:
        clock = format_time(value, "short", tzinfo=zone, locale=found)
        return joined.format(clock, format_date(value.date(), "long", locale=found))

    return str(found.interval_formats[None]).format(moment(start), moment(end))


def time(value: dt.datetime, locale: str, form: str = "short") -> str:
    return format_time(value, form, tzinfo=value.tzinfo, locale=locale_for(locale))


class Catalogue:
    """Template words per language, with English text as the key and the fallback."""

    def __init__(self, folders: Iterable[Path]) -> None:
        self.folders = [f for f in folders if f.is_dir()]
        self._cache: dict[str, dict[str, str]] = {}

    def phrases(self, lang: str) -> dict[str, str]:
        if lang not in self._cache:
            merged: dict[str, str] = {}
            base = lang.split("-")[0]
            for folder in self.folders:
                for code in dict.fromkeys((base, lang)):
                    path = folder / f"{code}.toml"
                    if path.is_file():
                        with path.open("rb") as handle:
                            merged.update({str(k): str(v) for k, v in tomllib.load(handle).items()})
            self._cache[lang] = merged
        return self._cache[lang]

    def translate(self, text: str, lang: str, **values: object) -> str:
        phrase = self.phrases(lang).get(text, text)
        return phrase.format(**values) if values else phrase
