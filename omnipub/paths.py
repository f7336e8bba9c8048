"""Path and URL safety: slugs, aliases and output paths that can never leave their folder."""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache
from urllib.parse import SplitResult, quote, unquote, urljoin, urlsplit

from slugify import slugify as _slugify

_SAFE_SLUG = re.compile(r"^[\w][\w\-.~]*$", re.UNICODE)
#: an item id names files (app documents, slides) and sits in URLs and pages unescaped by
#: some consumers: ASCII letters, digits, '-', '_' and '.', starting with a letter or digit
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
ID_HINT = (
    "an id is up to 128 ASCII letters, digits, '-', '_' and '.', starting with a letter or "
    "digit, such as prod-wool-blanket"
)


@lru_cache(maxsize=1 << 16)
def split_url(url: str) -> SplitResult:
    """`urlsplit`, remembered: every page resolves the same few thousand links again."""
    return urlsplit(url)


class UnsafePath(ValueError):
    pass


def slugify(text: str) -> str:
    """ASCII slugs (`Ullgenser i merino` -> `ullgenser-i-merino`), stable across platforms."""
    return _slugify(text, allow_unicode=False) or "item"


def id_problem(item_id: str) -> str | None:
    """Why `item_id` cannot be an item's id, or None when it can."""
    if _SAFE_ID.fullmatch(item_id):
        return None
    if not item_id:
        return "id is empty"
    bad = sorted({c for c in item_id if not re.fullmatch(r"[A-Za-z0-9_.-]", c)})
    if bad:
        return f"id {item_id!r} contains {', '.join(repr(c) for c in bad)}"
    if len(item_id) > 128:
        return f"id {item_id[:20]!r}... is longer than 128 characters"
    return f"id {item_id!r} must start with a letter or digit"


def check_slug(slug: str) -> str:
    """A user-given slug is one path segment; anything that could climb out is refused."""
    decoded = unquote(slug)
    if (
        not decoded
        or "\x00" in decoded
        or "/" in decoded
        or "\\" in decoded
        or ".." in decoded
        or decoded.startswith(".")
        or not _SAFE_SLUG.match(decoded)
    ):
        raise UnsafePath(f"slug {slug!r} is not a single safe path segment")
    return decoded


def check_site_path(path: str) -> str:
    """Normalise an alias such as `/old/coat/`; refuse anything that escapes the root."""
    decoded = unquote(path)
    if "\x00" in decoded or "\\" in decoded or not decoded.startswith("/"):
        raise UnsafePath(f"{path!r} must be a site path starting with '/'")
    segments = decoded.split("/")
    if any(seg in ("..", ".") for seg in segments) or decoded.startswith("//"):
        raise UnsafePath(f"{path!r} must not contain '.' or '..' segments")
    normal = posixpath.normpath(decoded)
    if decoded.endswith("/") and normal != "/":
        normal += "/"
    return normal


def check_output_path(path: str) -> str:
    """An output path is relative, POSIX, and stays inside its channel folder."""
    if (
        not path
        or "\x00" in path
        or "\\" in path
        or path.startswith("/")
        or re.match(r"^[A-Za-z]:", path)
    ):
        raise UnsafePath(f"output path {path!r} is not a relative path inside the channel folder")
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../") or "/../" in f"/{path}/":
        raise UnsafePath(f"output path {path!r} leaves the channel folder")
    return normal


def path_for_url_path(url_path: str) -> str:
    """`/a/b/` -> `a/b/index.html`; `/feed.xml` -> `feed.xml`."""
    clean = url_path.lstrip("/")
    if not clean or clean.endswith("/"):
        clean += "index.html"
    return check_output_path(clean)


def quote_path(url_path: str) -> str:
    """A path as it stands in a URL: percent-encoded where RFC 3986 asks (spaces, `%`, `#`,
    `?`, non-ASCII letters of a slug), so a sitemap `<loc>` or an `href` is valid as is."""
    return quote(url_path, safe="/-._~!$&'()*+,;=:@")


def absolute_url(base_url: str, url_path: str) -> str:
    return urljoin(base_url if base_url.endswith("/") else base_url + "/", url_path.lstrip("/"))


def relative_source(from_rel: str, target: str) -> str:
    """Resolve a link written in `from_rel` (a site-relative source path) to a source path."""
    folder = posixpath.dirname(from_rel)
    return posixpath.normpath(posixpath.join(folder, unquote(target)))


def image_source(from_rel: str, src: str) -> str:
    """Site-relative path of an image referenced from a source; refuses escapes."""
    decoded = unquote(split_url(src).path)
    if not decoded or "\x00" in decoded or "\\" in decoded:
        raise UnsafePath(f"image path {src!r} is not a valid path")
    if decoded.startswith("/"):
        target = posixpath.normpath("static" + decoded)
    else:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(from_rel), decoded))
    if target.startswith("../") or target == ".." or not target.startswith(("content/", "static/")):
        raise UnsafePath(f"image path {src!r} leaves the site's content and static folders")
    return target
