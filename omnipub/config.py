"""Site configuration: `omnipub.toml` read once into frozen data.

Unknown keys are reported, never silently ignored: a typo in a config key is the most
common way a setting "does nothing".
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .diagnostics import Diagnostics, Location, UsageError
from .permalinks import PatternError, check_pattern
from .schema import KINDS, TypeRegistry, describe

CONFIG_NAME = "omnipub.toml"

_SITE_KEYS = {
    "title",
    "description",
    "timezone",
    "default_language",
    "copyright",
    "author",
    "output_dir",
    "silence",
    "max_file_mb",
    "canonical_channel",
}
_TOP_KEYS = {
    "site",
    "languages",
    "sections",
    "permalinks",
    "channels",
    "types",
    "markdown",
    "build",
    "deploy",
    "stores",
}
_STORE_KEYS = {"id", "name", "timezone", "languages", "address", "url", "page"}


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    locale: str


@dataclass(frozen=True)
class SectionConfig:
    name: str
    title: str


@dataclass(frozen=True)
class StoreConfig:
    """A shop of the site (`[[stores]]`): products name the stores that stock them, and
    channels show them (signage hangs screens in them); one list, so a store is written once."""

    id: str
    name: str
    timezone: ZoneInfo
    languages: tuple[str, ...]
    #: the postal address, shown where the store is named
    address: str = ""
    #: a web address for the store (its page elsewhere, a map); `page` wins in a channel
    #: that publishes that page
    url: str = ""
    #: the content file of the store's own page (`stores/oslo.md`), linked in each channel
    page: str = ""
    #: where its table is in omnipub.toml, for errors found once content is read
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class MarkdownConfig:
    #: Raw HTML in content is escaped unless this is on; it only ever applies to web and mobile.
    allow_html: bool = False
    allowed_schemes: tuple[str, ...] = ("http", "https", "mailto", "tel")


@dataclass(frozen=True)
class SiteConfig:
    root: Path
    title: str
    description: str
    timezone: ZoneInfo
    default_language: str
    languages: Mapping[str, Language]
    sections: Mapping[str, SectionConfig]
    channels: Mapping[str, Mapping[str, Any]]
    enabled_channels: tuple[str, ...]
    types: TypeRegistry
    markdown: MarkdownConfig
    stores: Mapping[str, StoreConfig] = field(default_factory=dict)
    copyright: str = ""
    author: str = ""
    output_dir: str = "public"
    #: the channel whose pages are the canonical ones: root-relative links in content are
    #: its URLs, and a link to an item with no page in the current channel leads there
    canonical_channel: str = "web"
    #: section path -> its items' URL pattern (see `permalinks.py`), checked
    permalinks: Mapping[str, str] = field(default_factory=dict)
    silence: frozenset[str] = frozenset()
    max_file_bytes: int = 10 * 1024 * 1024
    digest: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def static_dir(self) -> Path:
        return self.root / "static"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def state_dir(self) -> Path:
        return self.root / ".omnipub"

    def section_title(self, name: str) -> str:
        section = self.sections.get(name)
        folder = name.rsplit("/", 1)[-1]  # a nested section is named by its own folder
        return section.title if section else folder.replace("-", " ").title()


def _line_of(text: str, key: str) -> int | None:
    """The line of `key` (`id:VALUE` finds the line `id = "VALUE"`, an entry of a list of
    tables such as [[stores]])."""
    if key.startswith("id:"):
        entry = re.compile(rf"^\s*id\s*=\s*[\"']{re.escape(key[3:])}[\"']")
        return next(
            (n for n, line in enumerate(text.splitlines(), start=1) if entry.match(line)), None
        )
    pattern = re.compile(rf"^\s*(\[+\s*)?[\w.\"-]*\b{re.escape(key)}\b")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _zone(name: str, where: Location, diagnostics: Diagnostics) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        diagnostics.error(
            "config.timezone",
            f"unknown time zone {name!r}",
            where,
            "use an IANA name such as Europe/Oslo or America/New_York",
        )
        return ZoneInfo("UTC")


def _table(value: Any, name: str, where: Location, diagnostics: Diagnostics) -> dict[str, Any]:
    """`value` when it is a table, else an error and {}: a scalar where a table belongs would
    otherwise fail far from omnipub.toml, as a crash."""
    if isinstance(value, dict):
        return value
    diagnostics.error(
        "config.value",
        f"{name!r} must be a table, got {describe(value)}",
        where,
        f"write it as [{name}] followed by key = value lines",
    )
    return {}


def _texts(
    value: Any, name: str, where: Location, diagnostics: Diagnostics, default: tuple[str, ...]
) -> tuple[str, ...]:
    """`value` when it is a list of text, else an error and `default` (a lone string would
    otherwise be read letter by letter)."""
    if isinstance(value, list) and all(isinstance(entry, str) for entry in value):
        return tuple(value)
    diagnostics.error(
        "config.value",
        f"{name!r} must be a list of text, got {describe(value)}",
        where,
        f'write {name.rsplit(".", 1)[-1]} = ["a", "b"]',
    )
    return default


def _max_file_bytes(value: Any, where: Location, diagnostics: Diagnostics) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return int(value * 1024 * 1024)
    diagnostics.error(
        "config.value",
        f"'site.max_file_mb' must be a number of megabytes above 0, got {describe(value)}",
        where,
        "write max_file_mb = 10",
    )
    return 10 * 1024 * 1024


def _permalinks(
    value: Any, where: Callable[[str], Location], diagnostics: Diagnostics
) -> dict[str, str]:
    """`[permalinks]`: section path -> URL pattern, each checked where it is written."""
    found: dict[str, str] = {}
    for section, pattern in _table(value, "permalinks", where("permalinks"), diagnostics).items():
        if not isinstance(pattern, str):
            diagnostics.error(
                "config.value",
                f"'permalinks.{section}' must be text, got {describe(pattern)}",
                where(section),
                'write blog = "/:section/:year/:month/:slug/"',
            )
            continue
        try:
            found[section.strip("/")] = check_pattern(pattern)
        except PatternError as exc:
            diagnostics.error("config.permalink", str(exc), where(section), exc.hint)
    return found


def parse_stores(
    value: Any,
    where: Callable[[str], Location],
    diagnostics: Diagnostics,
    zone: ZoneInfo,
    languages: Mapping[str, Language],
    default_language: str,
) -> dict[str, StoreConfig]:
    """`[[stores]]` (or a channel's own store tables), each checked where it is written."""
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        diagnostics.error(
            "config.value",
            f"'stores' must be a list of tables, got {describe(value)}",
            where("stores"),
            'write each store as [[stores]] followed by id = "oslo" and name = "..."',
        )
        return {}
    found: dict[str, StoreConfig] = {}
    for table in value:
        store_id = str(table.get("id", ""))
        at = where(f"id:{store_id}") if store_id else where("stores")
        if not re.fullmatch(r"[\w-]+", store_id):
            diagnostics.error(
                "config.value",
                f"store {store_id!r}: needs an id of letters, digits, '-' or '_'",
                at,
                'write id = "oslo"',
            )
            continue
        if store_id in found:
            diagnostics.error(
                "config.value", f"store {store_id!r} is listed twice", at, "give each an own id"
            )
            continue
        for key in sorted(set(table) - _STORE_KEYS):
            diagnostics.warning(
                "config.unknown",
                f"store {store_id!r}: unknown key {key!r}",
                at,
                f"known keys: {', '.join(sorted(_STORE_KEYS))}",
            )
        store_zone = zone
        if "timezone" in table:
            store_zone = _zone(str(table["timezone"]), at, diagnostics)
        spoken = _texts(
            table.get("languages", [default_language]),
            "stores.languages",
            at,
            diagnostics,
            (default_language,),
        )
        for lang in spoken:
            if lang not in languages:
                diagnostics.error(
                    "config.language",
                    f"store {store_id!r}: language {lang!r} is not configured",
                    at,
                    "add it under [languages]",
                )
        url = str(table.get("url", ""))
        if url and not re.match(r"^https?://", url):
            diagnostics.error(
                "config.value",
                f"store {store_id!r}: url must be an http(s) address, got {url!r}",
                at,
                'link the store\'s own page with page = "stores/oslo.md" instead',
            )
            url = ""
        found[store_id] = StoreConfig(
            store_id,
            str(table.get("name", store_id)),
            store_zone,
            spoken,
            address=str(table.get("address", "")),
            url=url,
            page=str(table.get("page", "")).strip("/"),
            line=at.line,
        )
    return found


#: tables no render reads: editing them (where to deploy) must not render every page again
_NOT_RENDERED = frozenset({"deploy"})


def _render_digest(data: dict[str, Any]) -> str:
    """A digest of the settings renders depend on (every table but `_NOT_RENDERED`)."""
    kept = {key: value for key, value in data.items() if key not in _NOT_RENDERED}
    return hashlib.sha256(repr(sorted(kept.items())).encode()).hexdigest()


def load_config(root: Path, diagnostics: Diagnostics) -> SiteConfig:
    """Read and check `omnipub.toml`; problems go to `diagnostics`, usage errors raise."""
    path = root / CONFIG_NAME
    if not path.is_file():
        raise UsageError(
            f"{root} is not an omnipub site: it has no {CONFIG_NAME}",
            "run 'omnipub new DIR' to create one, or pass the site's folder",
        )
    raw_bytes = path.read_bytes()
    text = raw_bytes.decode("utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+), column (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        column = int(match.group(2)) if match else None
        diagnostics.error(
            "config.syntax",
            f"invalid TOML: {str(exc).split(' (at line')[0]}",
            Location(CONFIG_NAME, line, column),
            "check quotes, brackets and that every key is written key = value",
        )
        data = {}

    def where(key: str) -> Location:
        return Location(CONFIG_NAME, _line_of(text, key))

    for key in sorted(set(data) - _TOP_KEYS):
        diagnostics.warning(
            "config.unknown",
            f"unknown table or key {key!r}",
            where(key),
            f"known tables: {', '.join(sorted(_TOP_KEYS))}",
        )
    site = _table(data.get("site", {}), "site", where("site"), diagnostics)
    for key in sorted(set(site) - _SITE_KEYS):
        diagnostics.warning(
            "config.unknown",
            f"unknown key 'site.{key}'",
            where(key),
            f"known keys: {', '.join(sorted(_SITE_KEYS))}",
        )

    zone = _zone(str(site.get("timezone", "UTC")), where("timezone"), diagnostics)
    languages: dict[str, Language] = {}
    tables = _table(data.get("languages", {}), "languages", where("languages"), diagnostics)
    for code, entry in sorted(tables.items()):
        table = _table(entry, f"languages.{code}", where(code), diagnostics)
        if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]+)?", code):
            diagnostics.error(
                "config.language",
                f"language code {code!r} is not a BCP 47 language tag",
                where(code),
                "use codes such as en, nb, fr or pt-BR",
            )
        languages[code] = Language(
            code, str(table.get("name", code)), str(table.get("locale", code.replace("-", "_")))
        )
    default_language = str(site.get("default_language", next(iter(languages), "en")))
    if default_language not in languages:
        if languages:
            diagnostics.error(
                "config.language",
                f"default_language {default_language!r} is not one of the configured languages",
                where("default_language"),
                f"configure [languages.{default_language}] or choose one of {sorted(languages)}",
            )
        languages[default_language] = Language(default_language, default_language, "en")

    sections = {
        name: SectionConfig(
            name,
            str(
                _table(table, f"sections.{name}", where(name), diagnostics).get(
                    "title", name.title()
                )
            ),
        )
        for name, table in sorted(
            _table(data.get("sections", {}), "sections", where("sections"), diagnostics).items()
        )
    }
    permalinks = _permalinks(data.get("permalinks", {}), where, diagnostics)
    channels = {
        name: dict(_table(table, f"channels.{name}", where(name), diagnostics))
        for name, table in _table(
            data.get("channels", {}), "channels", where("channels"), diagnostics
        ).items()
    }
    build = _table(data.get("build", {}), "build", where("build"), diagnostics)
    canonical = str(site.get("canonical_channel", SiteConfig.canonical_channel))
    # a site that configures no channel publishes its canonical one
    default_channels = tuple(sorted(channels) or [canonical])
    enabled = default_channels
    if "channels" in build:
        enabled = _texts(
            build["channels"], "build.channels", where("channels"), diagnostics, default_channels
        )

    types = dict(_table(data.get("types", {}), "types", where("types"), diagnostics))
    for type_name in list(types):
        table = _table(types[type_name] or {}, f"types.{type_name}", where(type_name), diagnostics)
        fields = _table(
            table.get("fields", {}), f"types.{type_name}.fields", where("fields"), diagnostics
        )
        checked: dict[str, Any] = {}
        for field_name, spec in fields.items():
            label = f"types.{type_name}.fields.{field_name}"
            spec = _table(spec, label, where(field_name), diagnostics)
            if spec.get("kind", "string") not in KINDS:
                diagnostics.error(
                    "config.type",
                    f"field {type_name}.{field_name}: unknown kind {spec.get('kind')!r}",
                    where(field_name),
                    f"kinds: {', '.join(KINDS)}",
                )
            if "choices" in spec:
                spec = {
                    **spec,
                    "choices": _texts(
                        spec["choices"], f"{label}.choices", where("choices"), diagnostics, ()
                    ),
                }
            checked[field_name] = spec
        types[type_name] = {**table, "fields": checked}
    md = _table(data.get("markdown", {}), "markdown", where("markdown"), diagnostics)
    schemes = MarkdownConfig.allowed_schemes
    if "allowed_schemes" in md:
        schemes = _texts(
            md["allowed_schemes"],
            "markdown.allowed_schemes",
            where("allowed_schemes"),
            diagnostics,
            schemes,
        )
    allow_html = md.get("allow_html", False)
    if not isinstance(allow_html, bool):  # bool("no") is True: never guess on raw HTML
        diagnostics.error(
            "config.value",
            f"'markdown.allow_html' must be true or false, got {describe(allow_html)}",
            where("allow_html"),
            "write allow_html = false (without quotes)",
        )
        allow_html = False
    markdown = MarkdownConfig(allow_html=allow_html, allowed_schemes=schemes)
    if "canonical_channel" in site and canonical not in enabled:
        diagnostics.error(
            "config.value",
            f"canonical_channel {canonical!r} is not an enabled channel",
            where("canonical_channel"),
            f"name one of {', '.join(enabled)}",
        )
    silence: tuple[str, ...] = ()
    if "silence" in site:
        silence = _texts(site["silence"], "site.silence", where("silence"), diagnostics, ())
    return SiteConfig(
        root=root,
        title=str(site.get("title", root.name)),
        description=str(site.get("description", "")),
        timezone=zone,
        default_language=default_language,
        languages=languages,
        sections=sections,
        channels=channels,
        enabled_channels=enabled,
        types=TypeRegistry.from_config(types),
        markdown=markdown,
        stores=parse_stores(
            data.get("stores", []), where, diagnostics, zone, languages, default_language
        ),
        copyright=str(site.get("copyright", "")),
        author=str(site.get("author", "")),
        output_dir=str(site.get("output_dir", "public")),
        canonical_channel=canonical,
        permalinks=permalinks,
        silence=frozenset(silence),
        max_file_bytes=_max_file_bytes(
            site.get("max_file_mb", 10), where("max_file_mb"), diagnostics
        ),
        digest=_render_digest(data),
        raw=data,
    )
