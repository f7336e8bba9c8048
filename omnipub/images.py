"""Images: know each source image's size up front, plan renditions, encode them once.

Renderers only plan renditions (paths and sizes are pure functions of the source image's
hash and size); the publisher encodes them, through a cache keyed by source hash and
rendition, so an unchanged image is never re-encoded.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

from lxml import etree
from PIL import Image, ImageOps, UnidentifiedImageError

from .atomic import write_bytes
from .blobs import seal_of
from .discover import SourceFile

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".svg"}
RENDITION_VERSION = "1"

#: ("rendition", width, height, format, quality, crop?): how a rendition is made from its source
Transform = tuple[str, int, int, str, int, bool]


@dataclass(frozen=True)
class ImageInfo:
    rel: str
    width: int
    height: int
    digest: str
    format: str
    #: no EXIF rotation to apply: the file can be published as it is
    upright: bool = True


@dataclass(frozen=True)
class Rendition:
    path: str
    width: int
    height: int
    media_type: str
    source: str
    crop: tuple[int, int] | None = None

    #: the source is already this size and format: publish its bytes as they are
    identical: bool = False

    @property
    def transform(self) -> Transform | None:
        if self.identical:
            return None
        fmt = "jpeg" if self.media_type == "image/jpeg" else self.media_type.split("/")[1]
        return ("rendition", self.width, self.height, fmt, 78, self.crop is not None)


def index_images(
    sources: list[SourceFile], state_dir: Path | None, problems: list[str] | None = None
) -> dict[str, ImageInfo]:
    """Read the size of every image under content/ and static/, cached by stamp (a damaged
    cache table is noted in `problems` and read again)."""
    from .cache import load_table

    cache_path = state_dir / "cache" / "images.json" if state_dir else None
    cached: dict[str, list] = {}
    if cache_path:
        cached = load_table(cache_path, [] if problems is None else problems) or {}
    index: dict[str, ImageInfo] = {}
    fresh: dict[str, list] = {}
    for source in sources:
        if Path(source.rel).suffix.lower() not in IMAGE_SUFFIXES:
            continue
        stamp = f"{source.size}:{source.mtime_ns}"
        entry = cached.get(source.rel)
        if _well_formed(entry) and entry[0] == stamp:
            _stamp, width, height, digest, fmt, upright = entry
        else:
            data = source.path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if source.rel.lower().endswith(".svg"):
                size = svg_size(data)
                if isinstance(size, str):
                    continue  # `unreadable` says why, where a page shows it
                (width, height), fmt, upright = size, "svg", True
            else:
                try:
                    with Image.open(io.BytesIO(data)) as img:  # reads the header only
                        fmt = (img.format or "jpeg").lower()
                        width, height = img.size
                        orientation = img.getexif().get(0x0112, 1)
                except Exception:
                    continue
                if cut_short(data, fmt):
                    continue  # `unreadable` says why, where a page shows it
                upright = orientation == 1
                if orientation in (5, 6, 7, 8):
                    width, height = height, width
        fresh[source.rel] = [stamp, width, height, digest, fmt, upright]
        index[source.rel] = ImageInfo(source.rel, width, height, digest, fmt, upright)
    if cache_path and fresh != cached:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        cache_path.write_text(json.dumps(fresh, sort_keys=True))
    return index


def _well_formed(entry: object) -> TypeGuard[list]:
    """An images.json row as `index_images` writes it (anything else is read again)."""
    kinds = (str, int, int, str, str, bool)
    return (
        isinstance(entry, list)
        and len(entry) == len(kinds)
        and all(isinstance(v, k) for v, k in zip(entry, kinds, strict=True))
    )


def svg_size(data: bytes) -> tuple[int, int] | str:
    """An SVG's size in CSS pixels from its width and height (or viewBox), or the problem.

    Entities and network access are off: an SVG is read, not trusted."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return f"not well-formed SVG ({exc})"
    if etree.QName(root).localname != "svg":
        return "its root element is not <svg>"
    width, height = _svg_length(root.get("width")), _svg_length(root.get("height"))
    if width and height:
        return round(width), round(height)
    box = (root.get("viewBox") or "").replace(",", " ").split()
    try:
        box_width, box_height = float(box[2]), float(box[3])
    except (IndexError, ValueError):
        return "an SVG needs a width and height in pixels, or a viewBox"
    if box_width <= 0 or box_height <= 0:
        return "its viewBox is empty"
    if width:  # one side given: the other follows the viewBox's proportions
        return round(width), round(width * box_height / box_width)
    return round(box_width), round(box_height)


def _svg_length(value: str | None) -> float | None:
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(px)?\s*", value or "")
    return float(match.group(1)) if match and float(match.group(1)) > 0 else None


def cut_short(data: bytes, fmt: str) -> bool:
    """Does a JPEG or PNG end before its end marker? A header that reads says nothing of the
    pixels after it, and decoding every image to find out would cost a cold build dearly;
    a truncated file is what an interrupted upload or copy leaves, and it lacks its end."""
    if fmt in ("jpeg", "mpo"):
        return not data.rstrip(b"\x00\r\n ").endswith(b"\xff\xd9")
    if fmt == "png":
        return b"IEND" not in data[-32:]
    return False


def unreadable(path: Path) -> tuple[str, str] | None:
    """Why an image file that exists is not in the index, and what to do: None when there
    is no such file."""
    if not path.is_file():
        return None
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        kinds = ", ".join(sorted(IMAGE_SUFFIXES))
        return f"{path.suffix or 'a name without a suffix'} is not an image type", f"use {kinds}"
    if path.suffix.lower() == ".svg":
        size = svg_size(path.read_bytes())
        if isinstance(size, str):
            return size, 'give its <svg> element width="…" height="…" or a viewBox'
        return None
    try:
        with Image.open(path) as img:
            fmt = (img.format or "").lower()  # opening reads the header
        if cut_short(path.read_bytes(), fmt):
            return "the file is cut short (an interrupted upload or copy?)", "export it again"
    except Image.DecompressionBombError:
        return "too many pixels to decode safely", "scale it down before adding it"
    except UnidentifiedImageError:
        return "its bytes are not an image (a broken or misnamed file)", "export it again"
    except Exception as exc:
        return f"cannot be read as an image ({exc})", "export it again"
    return None


def plan_renditions(
    info: ImageInfo,
    widths: tuple[int, ...],
    folder: str = "media",
    aspect: tuple[int, int] | None = None,
) -> list[Rendition]:
    """Renditions no wider than the source; `aspect` crops (centre) to that ratio."""
    stem = posixpath.splitext(posixpath.basename(info.rel))[0]
    if info.format == "svg":  # scales itself: published as it is, at any width and aspect
        path = f"{folder}/{stem}-{info.digest[:10]}.svg"
        return [Rendition(path, info.width, info.height, "image/svg+xml", info.rel, None, True)]
    ext = ".png" if info.format in ("png", "gif") else ".jpg"
    media_type = "image/png" if ext == ".png" else "image/jpeg"
    out: list[Rendition] = []
    seen: set[int] = set()
    for wanted in sorted(widths):
        width = min(wanted, info.width)
        if width in seen:
            continue
        seen.add(width)
        if aspect:
            height = round(width * aspect[1] / aspect[0])
            tag = f"{aspect[0]}x{aspect[1]}"
        else:
            height = round(info.height * width / info.width)
            tag = ""
        name = f"{stem}-{info.digest[:10]}{'-' + tag if tag else ''}-{width}w{ext}"
        identical = (
            width == info.width
            and height == info.height
            and info.upright
            and info.format in ("jpeg", "png")
            and (ext == ".png") == (info.format == "png")
        )
        out.append(
            Rendition(f"{folder}/{name}", width, height, media_type, info.rel, aspect, identical)
        )
    return out


def encode(source: Path, transform: Transform, cache_dirs: Sequence[Path]) -> bytes:
    """Produce a rendition's bytes, from a cache folder when the same one was made before;
    a new one is kept in the first folder (a what-if's scratch, over the cache)."""
    _kind, width, height, fmt, quality, crop = transform
    raw = source.read_bytes()
    key = hashlib.sha256(
        f"{RENDITION_VERSION}:{hashlib.sha256(raw).hexdigest()}:{transform}".encode()
    ).hexdigest()
    for folder in cache_dirs:
        # sealed like a blob (see `blobs.py`): one whose seal is broken is made again
        with contextlib.suppress(OSError):
            stat = (folder / key[:2] / key).stat()
            if stat.st_mtime_ns == seal_of(key, stat.st_size):
                return (folder / key[:2] / key).read_bytes()
    cached = cache_dirs[0] / key[:2] / key if cache_dirs else None
    with Image.open(io.BytesIO(raw)) as opened:
        img = ImageOps.exif_transpose(opened) or opened
        size = (int(width), int(height))
        if crop:
            img = ImageOps.fit(img, size, Image.Resampling.LANCZOS)
        else:
            img = img.resize(size, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        if fmt == "jpeg":
            img.convert("RGB").save(
                buffer, "JPEG", quality=quality, optimize=True, progressive=True
            )
        else:
            img.save(buffer, fmt.upper(), optimize=True)
    data = buffer.getvalue()
    if cached:
        with contextlib.suppress(OSError):  # a cache that cannot be written costs an encode
            if cached.parent.exists() and not cached.parent.is_dir():
                cached.parent.unlink()
            cached.parent.mkdir(parents=True, exist_ok=True)
            write_bytes(cached, data)
            os.utime(cached, ns=(seal_of(key, len(data)),) * 2)
    return data
