"""The order in which a deploy uploads, so that no reader catches it half-done.

A file goes up only after every file it references that is new or changed in this deploy:
images and renditions before the item documents and pages that show them, pages before the
listings, feeds and sitemaps that link them, slides before the playlists that name them.
References are read from the files themselves, whatever channel made them — links, image
sources and srcsets, stylesheets, redirects and `data-*` URLs in HTML, `url()` in CSS,
absolute URLs in any text (feeds, sitemaps, JSON), and in JSON every string that names a
file of the build — so a plug-in channel is ordered as well as a built-in one, and links
between channels (mobile pages' canonical web page, QR codes) count too.

A channel's `entry_points` (the app's manifest, screens' playlists) go last, after
everything else: a deploy that stops half-way leaves clients on the previous ones.

Where files reference each other in a cycle, a file whose new version is pending still
exists in its old version, so the cycle is broken there first. Only new files that link
to each other (a new page and its new tag page) cannot be ordered among themselves; they go
up in one stage, before any changed file that links to them, so no reader reaches them
before all of them are up.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from urllib.parse import unquote, urlsplit

import lxml.etree
import lxml.html

#: (channel, channel-relative path)
Key = tuple[str, str]

_ABSOLUTE = re.compile(r"https?://[^\s\"'<>()\\,{}|^`\[\]]+")
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+?)['\"]?\s*\)")
_REFRESH = re.compile(r"url\s*=\s*['\"]?([^'\"\s>]+)", re.I)
_LINK_ATTRIBUTES = ("href", "src", "poster", "action", "data", "content")


@dataclass
class Files:
    """The build's files per channel and the channels' base URLs: what a reference names."""

    paths: dict[str, set[str]]
    #: channel -> base URL ("https://www.example.com/", or "/" when relative)
    bases: dict[str, str]
    _absolute: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        absolute = [(b, c) for c, b in self.bases.items() if urlsplit(b).netloc]
        self._absolute = sorted(absolute, key=lambda e: -len(e[0]))

    def find(self, channel: str, path: str) -> Key | None:
        """The file a channel-relative path names (a folder names its index.html)."""
        files = self.paths.get(channel)
        if not files:
            return None
        path = path.lstrip("/")
        for candidate in (path, posixpath.join(path, "index.html") if path else "index.html"):
            if candidate in files:
                return channel, candidate
        return None

    def locate(self, reference: str, channel: str, page: str) -> Key | None:
        """The file a URL or path in `channel/page` names, None for anything else."""
        reference = reference.strip()
        parts = urlsplit(reference)
        if parts.scheme or parts.netloc:
            for base, owner in self._absolute:
                if reference.startswith(base):
                    rest = urlsplit(reference[len(base) :]).path
                    return self.find(owner, unquote(rest))
            return None
        if not parts.path:
            return None
        path = unquote(parts.path)
        if path.startswith("/"):
            base_path = urlsplit(self.bases.get(channel, "/")).path or "/"
            if path.startswith(base_path):
                path = path[len(base_path) :]
            return self.find(channel, path)
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
        if joined.startswith(".."):
            return None
        return self.find(channel, "" if joined == "." else joined)


def is_text(media_type: str) -> bool:
    """Whether files of this type can reference others (images and fonts cannot)."""
    base = media_type.split(";")[0].strip()
    return base.startswith("text/") or base.endswith(("json", "xml", "javascript"))


def references(data: bytes, media_type: str, channel: str, page: str, files: Files) -> set[Key]:
    """Every file of the build that this file references (itself excluded)."""
    if not is_text(media_type):
        return set()
    base = media_type.split(";")[0].strip()
    text = data.decode("utf-8", errors="replace")
    found: set[Key] = set()
    candidates: list[str] = _ABSOLUTE.findall(text)
    if base == "text/html":
        candidates.extend(_html(data))
    elif base == "text/css":
        candidates.extend(_CSS_URL.findall(text))
    elif base.endswith("json"):
        for value in _json_strings(text):
            candidates.append(value)
            found.update(_json_path(value, channel, files))
    for candidate in candidates:
        key = files.locate(candidate, channel, page)
        if key is not None:
            found.add(key)
    found.discard((channel, page))
    return found


def _html(data: bytes) -> Iterator[str]:
    try:
        root = lxml.html.fromstring(data)
    except (lxml.etree.ParserError, ValueError):
        return
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            if name in _LINK_ATTRIBUTES or name.startswith("data-"):
                if name == "content":
                    match = _REFRESH.search(value)
                    if match and str(element.get("http-equiv", "")).lower() == "refresh":
                        yield match.group(1)
                    continue
                yield value
            elif name in ("srcset", "imagesrcset"):
                for candidate in value.split(","):
                    if candidate.strip():
                        yield candidate.split()[0]
            elif name == "style":
                yield from _CSS_URL.findall(value)
        if element.tag == "style" and element.text:
            yield from _CSS_URL.findall(element.text)


def _json_strings(text: str) -> Iterator[str]:
    try:
        stack: list[object] = [json.loads(text)]
    except ValueError:
        return
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if value and len(value) < 2048 and not any(c.isspace() for c in value):
                yield value
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _json_path(value: str, channel: str, files: Files) -> Iterator[Key]:
    """A path in a JSON document is the channel's API path (`items/x.json`), whichever
    folder the document is in; `../` steps out of the document's folder to the root."""
    if urlsplit(value).scheme:
        return
    stripped = re.sub(r"^(\.\./|\./)+", "", value)
    key = files.find(channel, unquote(stripped))
    if key is not None:
        yield key


@dataclass(frozen=True)
class Pending:
    """A file this deploy uploads."""

    key: Key
    #: not on the target at all yet (a changed file's old version still is)
    added: bool
    entry: bool
    references: frozenset[Key]


def is_entry(path: str, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(path, pattern) for pattern in patterns)


def stages(pending: dict[Key, Pending]) -> list[list[Key]]:
    """Upload stages: every file's pending references are in earlier stages (or, for new
    files that only reference each other, in the same one). Entry points, and files that
    reference them, come after all other files."""
    deps = {k: {d for d in p.references if d in pending and d != k} for k, p in pending.items()}
    users: dict[Key, set[Key]] = {k: set() for k in pending}
    for key, needed in deps.items():
        for dep in needed:
            users[dep].add(key)
    late: set[Key] = set()
    walk = [k for k, p in pending.items() if p.entry]
    while walk:  # entry points and everything that references one
        key = walk.pop()
        if key not in late:
            late.add(key)
            walk.extend(users[key])
    result: list[list[Key]] = []
    for group in (set(pending) - late, late):
        result.extend(_kahn(group, deps, users, pending))
    return result


def _kahn(
    group: set[Key],
    deps: dict[Key, set[Key]],
    users: dict[Key, set[Key]],
    pending: dict[Key, Pending],
) -> list[list[Key]]:
    remaining = set(group)
    waiting = {k: len(deps[k] & remaining) for k in remaining}
    levels: list[list[Key]] = []
    while remaining:
        ready = {k for k, count in waiting.items() if count == 0}
        if not ready:
            # a cycle: a reference to a changed file holds (its old version is up)
            ready = {k for k in remaining if not any(pending[d].added for d in deps[k] & remaining)}
        if not ready:
            # new files that reference each other (a new page and its new tag page), with
            # changed files that link to them: the new files of each closed group go up
            # together, before any file on the target links to them
            ready = {k for k in _closed_groups(remaining, deps) if pending[k].added}
        levels.append(sorted(ready))
        remaining -= ready
        for key in ready:
            del waiting[key]
        for key in ready:
            for user in users[key]:
                if user in waiting:
                    waiting[user] -= 1
    return levels


def _closed_groups(nodes: set[Key], deps: dict[Key, set[Key]]) -> set[Key]:
    """The strongly connected components of `nodes` that reference no other component."""
    index: dict[Key, int] = {}
    low: dict[Key, int] = {}
    on_stack: set[Key] = set()
    stack: list[Key] = []
    components: list[set[Key]] = []
    counter = 0
    for start in sorted(nodes):
        if start in index:
            continue
        work: list[tuple[Key, Iterator[Key]]] = [(start, iter(sorted(deps[start] & nodes)))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(deps[child] & nodes))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: set[Key] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    owner = {member: i for i, component in enumerate(components) for member in component}
    closed: set[Key] = set()
    for i, component in enumerate(components):
        if all(owner[d] == i for member in component for d in deps[member] & nodes):
            closed |= component
    return closed
