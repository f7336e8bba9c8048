"""The HTTP headers a deployed file is stored with: Content-Type, Cache-Control and
Content-Encoding, from the build's media type and the target's rules.

Built-in rules, after the configured ones: a file whose name carries a content hash
(`style-ba1455f736.css`, `beanie-cd62b0ddd3-480w.jpg`) never changes in place, so it is
cached for a year as immutable; everything else (pages, feeds, item documents, manifests,
playlists, unhashed static files) is revalidated on every request, so readers see a deploy
at once. Documents are never taken for hashed: their names are ids and slugs.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

from .settings import DeploySettings, Rule

#: a hex run of 8+ characters between separators in the file name: a content fingerprint
_FINGERPRINT = re.compile(r"[-._][0-9a-f]{8,64}(?=[-._])")
_DOCUMENTS = ("text/html", "application/json", "application/xml", "text/xml", "text/plain")
_TEXT = ("text/", "application/json", "application/xml", "application/javascript")


@dataclass(frozen=True)
class Headers:
    content_type: str
    cache_control: str | None
    #: "gzip" or None
    encoding: str | None = None

    def row(self) -> list[str | None]:
        """How the deploy state records them (a change of rules uploads the file again)."""
        return [self.content_type, self.cache_control, self.encoding]


def is_document(media_type: str) -> bool:
    base = media_type.split(";")[0].strip()
    return base in _DOCUMENTS or base.endswith(("+json", "+xml"))


def fingerprinted(path: str, media_type: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return not is_document(media_type) and bool(_FINGERPRINT.search(name))


def with_charset(media_type: str) -> str:
    """Text is UTF-8 throughout omnipub: say so, so no client guesses."""
    if "charset=" in media_type:
        return media_type
    base = media_type.split(";")[0].strip()
    if base.startswith(_TEXT) or base.endswith(("+json", "+xml")):
        return f"{base}; charset=utf-8"
    return media_type


def headers_for(
    path: str, media_type: str, rules: tuple[Rule, ...], settings: DeploySettings
) -> Headers:
    """The headers of one file: the first rule that sets a field wins, then the built-ins."""
    cache: str | None = None
    encode: bool | None = None
    content_type: str | None = None
    for rule in rules:
        if not fnmatchcase(path, rule.pattern):
            continue
        cache = cache if cache is not None else rule.cache_control
        encode = encode if encode is not None else rule.gzip
        content_type = content_type if content_type is not None else rule.content_type
    if cache is None:
        cache = settings.cache_long if fingerprinted(path, media_type) else settings.cache_short
    return Headers(
        with_charset(content_type or media_type or "application/octet-stream"),
        cache,
        "gzip" if encode else None,
    )


def encoded(data: bytes, headers: Headers) -> bytes:
    """The bytes as stored: gzip without a timestamp, so the same file gives the same bytes
    (and the same ETag) on every deploy."""
    if headers.encoding == "gzip":
        return gzip.compress(data, compresslevel=9, mtime=0)
    return data
