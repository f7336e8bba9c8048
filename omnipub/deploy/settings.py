"""`[deploy]` in omnipub.toml: where each channel goes and with which headers.

```toml
[deploy]
max_deletes = 256            # default for --max-deletes

[deploy.web]
url = "s3://bucket/prefix"   # or a folder: "../www" (relative to the site), "/srv/www"
endpoint_url = "https://<account>.r2.cloudflarestorage.com"   # S3-compatible services
region = "auto"

[[deploy.web.rules]]         # first matching rule wins, before the built-in ones
pattern = "*.html"           # fnmatch pattern of channel-relative paths
cache_control = "public, max-age=300"
gzip = true
```

Credentials never come from here: boto3 reads them from its standard chain (environment,
shared config and credentials files, container and instance roles). Problems are located
in omnipub.toml and reported all at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..config import CONFIG_NAME, SiteConfig
from ..diagnostics import Diagnostic, Location, Severity, UsageError
from ..schema import describe

#: Cache-Control of files whose name carries a content hash: they never change in place
LONG_CACHE = "public, max-age=31536000, immutable"
#: Cache-Control of everything else: revalidated on every request, so a deploy shows at once
SHORT_CACHE = "public, max-age=0, must-revalidate"
MAX_DELETES = 256
WORKERS = 8

_DEFAULT_KEYS = {"max_deletes", "workers", "cache_long", "cache_short"}
_TARGET_KEYS = {"url", "endpoint_url", "region", "rules"}
_RULE_KEYS = {"pattern", "cache_control", "gzip", "content_type"}
#: keys that suggest credentials: refused, so no secret is ever committed with the site
_SECRET = re.compile(r"(secret|password|token|access_key|credential)", re.I)


class DeployConfigError(UsageError):
    """Problems in `[deploy]`, each located in omnipub.toml."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__(f"{len(diagnostics)} problem(s) in [deploy] of {CONFIG_NAME}")


@dataclass(frozen=True)
class Rule:
    """Headers for the paths matching `pattern`; None leaves the field to later rules."""

    pattern: str
    cache_control: str | None = None
    gzip: bool | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class TargetSettings:
    channel: str
    url: str
    #: "s3" or "folder"
    kind: str
    #: the folder (folder targets)
    folder: Path | None = None
    #: bucket and key prefix without slashes at either end (S3 targets)
    bucket: str = ""
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class DeploySettings:
    targets: dict[str, TargetSettings]
    max_deletes: int = MAX_DELETES
    workers: int = WORKERS
    cache_long: str = LONG_CACHE
    cache_short: str = SHORT_CACHE


class _Reader:
    """Locates keys of `[deploy...]` tables in the TOML text for error messages."""

    def __init__(self, config: SiteConfig) -> None:
        try:
            self.lines = (config.root / CONFIG_NAME).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            self.lines = []
        self.problems: list[Diagnostic] = []

    def where(self, table: str, key: str | None = None) -> Location:
        header = re.compile(rf"^\s*\[+\s*{re.escape(table)}\s*\]+\s*(#.*)?$")
        start = next((n for n, line in enumerate(self.lines) if header.match(line)), None)
        if start is None:
            return Location(CONFIG_NAME)
        if key is None:
            return Location(CONFIG_NAME, start + 1)
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for number in range(start + 1, len(self.lines)):
            line = self.lines[number]
            if line.lstrip().startswith("["):
                break
            if pattern.match(line):
                return Location(CONFIG_NAME, number + 1, line.index(key) + 1)
        return Location(CONFIG_NAME, start + 1)

    def error(self, message: str, where: Location, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(Severity.ERROR, "deploy.config", message, where, hint))


def read_settings(config: SiteConfig) -> DeploySettings:
    """The `[deploy]` tables of `config`; raises DeployConfigError listing every problem."""
    reader = _Reader(config)
    raw = config.raw.get("deploy", {})
    if not isinstance(raw, dict):
        reader.error(
            f"'deploy' must be a table, got {describe(raw)}",
            reader.where("deploy"),
            'write [deploy.web] followed by url = "s3://bucket/prefix"',
        )
        raise DeployConfigError(reader.problems)
    defaults = {k: v for k, v in raw.items() if not isinstance(v, dict)}
    for key in sorted(set(defaults) - _DEFAULT_KEYS):
        if key in config.enabled_channels:
            reader.error(
                f"'deploy.{key}' must be a table",
                reader.where("deploy", key),
                f'write [deploy.{key}] followed by url = "s3://bucket/prefix"',
            )
        else:
            reader.error(
                f"unknown key 'deploy.{key}'",
                reader.where("deploy", key),
                f"[deploy] reads {', '.join(sorted(_DEFAULT_KEYS))}, and one table per channel",
            )
    max_deletes = _count(defaults, "max_deletes", MAX_DELETES, 0, reader)
    workers = _count(defaults, "workers", WORKERS, 1, reader)
    long_cache = _text(defaults, "cache_long", LONG_CACHE, "deploy", reader)
    short_cache = _text(defaults, "cache_short", SHORT_CACHE, "deploy", reader)
    targets: dict[str, TargetSettings] = {}
    for channel, table in sorted((k, v) for k, v in raw.items() if isinstance(v, dict)):
        if channel not in config.enabled_channels:
            reader.error(
                f"[deploy.{channel}] names a channel that is not enabled",
                reader.where(f"deploy.{channel}"),
                f"enabled channels: {', '.join(config.enabled_channels)}",
            )
            continue
        target = _target(config, channel, table, reader)
        if target is not None:
            targets[channel] = target
    _check_overlaps(targets, reader)
    if reader.problems:
        raise DeployConfigError(reader.problems)
    return DeploySettings(targets, max_deletes, workers, long_cache, short_cache)


def _count(table: dict[str, Any], key: str, default: int, least: int, reader: _Reader) -> int:
    value = table.get(key, default)
    if isinstance(value, int) and not isinstance(value, bool) and value >= least:
        return value
    reader.error(
        f"'deploy.{key}' must be a whole number of at least {least}, got {describe(value)}",
        reader.where("deploy", key),
        f"write {key} = {default}",
    )
    return default


def _text(table: dict[str, Any], key: str, default: str, name: str, reader: _Reader) -> str:
    value = table.get(key, default)
    if isinstance(value, str) and value.strip():
        return value
    reader.error(
        f"'{name}.{key}' must be text, got {describe(value)}",
        reader.where(name, key),
        f'write {key} = "{default}"',
    )
    return default


def _target(
    config: SiteConfig, channel: str, table: dict[str, Any], reader: _Reader
) -> TargetSettings | None:
    name = f"deploy.{channel}"
    for key in sorted(set(table) - _TARGET_KEYS):
        hint = f"a target reads {', '.join(sorted(_TARGET_KEYS))}"
        if _SECRET.search(key):
            hint = (
                "credentials never go in omnipub.toml: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in the environment instead"
            )
        reader.error(f"unknown key '{name}.{key}'", reader.where(name, key), hint)
    url = table.get("url")
    if not isinstance(url, str) or not url.strip():
        reader.error(
            f"[{name}] needs url = ..., got {describe(url)}",
            reader.where(name, "url" if "url" in table else None),
            'write url = "s3://bucket/prefix" or url = "../www" (a folder)',
        )
        return None
    endpoint = table.get("endpoint_url")
    region = table.get("region")
    for key, value in (("endpoint_url", endpoint), ("region", region)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            reader.error(
                f"'{name}.{key}' must be text, got {describe(value)}", reader.where(name, key)
            )
    if isinstance(endpoint, str) and urlsplit(endpoint).scheme not in ("http", "https"):
        reader.error(
            f"'{name}.endpoint_url' must be an http(s) URL, got {endpoint!r}",
            reader.where(name, "endpoint_url"),
            'write endpoint_url = "https://s3.example.com"',
        )
    rules = _rules(name, table.get("rules", []), reader)
    parts = urlsplit(url)
    if parts.scheme == "s3":
        if not parts.netloc:
            reader.error(
                f"'{name}.url' names no bucket: {url!r}",
                reader.where(name, "url"),
                'write url = "s3://bucket/prefix"',
            )
            return None
        return TargetSettings(
            channel,
            url,
            "s3",
            bucket=parts.netloc,
            prefix=parts.path.strip("/"),
            endpoint_url=endpoint if isinstance(endpoint, str) else None,
            region=region if isinstance(region, str) else None,
            rules=rules,
        )
    if parts.scheme and parts.scheme != "file" and len(parts.scheme) > 1:  # C: is a drive
        reader.error(
            f"'{name}.url' {url!r}: omnipub deploys to s3:// URLs and folders, not "
            f"{parts.scheme}://",
            reader.where(name, "url"),
            "S3-compatible services (R2, MinIO, B2 and others) take s3://bucket/prefix and "
            "endpoint_url; other hosts take a folder synced by their own tools",
        )
        return None
    if endpoint is not None or region is not None:
        reader.error(
            f"[{name}] is a folder: endpoint_url and region apply to s3:// targets only",
            reader.where(name, "endpoint_url" if endpoint is not None else "region"),
        )
    for rule in rules:
        if rule.gzip:
            reader.error(
                f"[{name}] is a folder, which keeps no Content-Encoding: gzip needs an s3:// "
                "target",
                reader.where(name, "rules"),
                "let the web server compress, or deploy to S3",
            )
            break
    path = Path(parts.path if parts.scheme == "file" else url).expanduser()
    folder = (config.root / path).resolve()
    site = config.root.resolve()
    if folder == site or site.is_relative_to(folder) or folder.is_relative_to(site / "content"):
        reader.error(
            f"'{name}.url' {url!r} would deploy into the site's own sources",
            reader.where(name, "url"),
            "choose a folder outside the site, such as ../www",
        )
    return TargetSettings(channel, url, "folder", folder=folder, rules=rules)


def _rules(name: str, raw: Any, reader: _Reader) -> tuple[Rule, ...]:
    where = reader.where(f"{name}.rules")
    if not isinstance(raw, list) or not all(isinstance(entry, dict) for entry in raw):
        reader.error(
            f"'{name}.rules' must be a list of tables, got {describe(raw)}",
            where,
            f'write [[{name}.rules]] followed by pattern = "*.html"',
        )
        return ()
    rules = []
    for entry in raw:
        for key in sorted(set(entry) - _RULE_KEYS):
            reader.error(
                f"unknown key '{name}.rules.{key}'",
                where,
                f"a rule reads {', '.join(sorted(_RULE_KEYS))}",
            )
        pattern = entry.get("pattern")
        if not isinstance(pattern, str) or not pattern:
            reader.error(
                f"every [[{name}.rules]] needs pattern = ..., got {describe(pattern)}",
                where,
                'write pattern = "media/*" (channel-relative paths, * matches across folders)',
            )
            continue
        texts: dict[str, str | None] = {}
        for key in ("cache_control", "content_type"):
            value = entry.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                reader.error(f"'{name}.rules.{key}' must be text, got {describe(value)}", where)
                value = None
            texts[key] = value
        gzip = entry.get("gzip")
        if gzip is not None and not isinstance(gzip, bool):
            reader.error(
                f"'{name}.rules.gzip' must be true or false, got {describe(gzip)}",
                where,
                "write gzip = true (without quotes)",
            )
            gzip = None
        rules.append(Rule(pattern, texts["cache_control"], gzip, texts["content_type"]))
    return tuple(rules)


def _check_overlaps(targets: dict[str, TargetSettings], reader: _Reader) -> None:
    """Two channels in one place would delete each other's files."""
    places: dict[str, tuple[str, ...]] = {}
    for channel, target in targets.items():
        if target.kind == "s3":
            places[channel] = ("s3", target.endpoint_url or "", target.bucket, *_parts(target))
        else:
            assert target.folder is not None
            places[channel] = ("folder", *target.folder.parts)
    names = sorted(places)
    for index, first in enumerate(names):
        for second in names[index + 1 :]:
            a, b = places[first], places[second]
            shorter = min(len(a), len(b))
            if a[:shorter] == b[:shorter]:
                reader.error(
                    f"[deploy.{first}] and [deploy.{second}] overlap ({targets[first].url}, "
                    f"{targets[second].url}): each would delete the other's files",
                    reader.where(f"deploy.{second}", "url"),
                    "give each channel its own bucket, prefix or folder, e.g. s3://bucket/web "
                    "and s3://bucket/app",
                )


def _parts(target: TargetSettings) -> tuple[str, ...]:
    return tuple(p for p in target.prefix.split("/") if p)
