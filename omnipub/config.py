"""Site configuration: `omnipub.toml` read once into frozen data.

Unknown keys are reported, never silently ignored: a typo in a config key is the most
common way a setting "does nothing".
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .diagnostics import Diagnostics, Location, UsageError
from .schema import KINDS, TypeRegistry

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
}
_TOP_KEYS = {"site", "languages", "sections", "channels", "types", "markdown", "build"}


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
    copyright: str = ""
    author: str = ""
    output_dir: str = "public"
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
        return section.title if section else name.replace("-", " ").title()


def _line_of(text: str, key: str) -> int | None:
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
    site = data.get("site", {})
    for key in sorted(set(site) - _SITE_KEYS):
        diagnostics.warning(
            "config.unknown",
            f"unknown key 'site.{key}'",
            where(key),
            f"known keys: {', '.join(sorted(_SITE_KEYS))}",
        )

    zone = _zone(str(site.get("timezone", "UTC")), where("timezone"), diagnostics)
    languages: dict[str, Language] = {}
    for code, table in sorted(data.get("languages", {}).items()):
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
        name: SectionConfig(name, str(table.get("title", name.title())))
        for name, table in sorted(data.get("sections", {}).items())
    }
    channels = {name: dict(table) for name, table in data.get("channels", {}).items()}
    build = data.get("build", {})
    enabled = tuple(build.get("channels", sorted(channels) or ["web"]))

    for type_name, table in data.get("types", {}).items():
        for field_name, spec in (table or {}).get("fields", {}).items():
            if spec.get("kind", "string") not in KINDS:
                diagnostics.error(
                    "config.type",
                    f"field {type_name}.{field_name}: unknown kind {spec.get('kind')!r}",
                    where(field_name),
                    f"kinds: {', '.join(KINDS)}",
                )
    md = data.get("markdown", {})
    markdown = MarkdownConfig(
        allow_html=bool(md.get("allow_html", False)),
        allowed_schemes=tuple(md.get("allowed_schemes", MarkdownConfig.allowed_schemes)),
    )
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
        types=TypeRegistry.from_config(data.get("types", {})),
        markdown=markdown,
        copyright=str(site.get("copyright", "")),
        author=str(site.get("author", "")),
        output_dir=str(site.get("output_dir", "public")),
        silence=frozenset(site.get("silence", ())),
        max_file_bytes=int(float(site.get("max_file_mb", 10)) * 1024 * 1024),
        digest=hashlib.sha256(raw_bytes).hexdigest(),
        raw=data,
    )
