"""Audits run on every build's outputs before they are published.

The leak audit reads every text output of every channel for the marks of hidden items
(their ids, source-derived slugs in URLs, and distinctive titles). It is a second line of
defence behind the model's visibility rules: if a template or channel ever forgets to
filter, the build fails instead of publishing an unannounced product.
"""

from __future__ import annotations

from .channel import Artifact
from .diagnostics import Diagnostic, Diagnostics, Location, Severity
from .model import Site

#: Titles shorter than this are too likely to occur in ordinary text to be evidence.
MIN_TITLE_LENGTH = 12


def leak_marks(site: Site) -> dict[str, list[tuple[str, str]]]:
    """Hidden item rel -> [(what, text)] that must appear in no output; an id mark is
    ("id:<id>", text) so a file may name the ids it reports as removed."""
    visible_ids = {item.id for item in site.items if item.visible}
    visible_titles = {item.title for item in site.items if item.visible}
    visible_slugs = {item.slug for item in site.items if item.visible}
    marks: dict[str, list[tuple[str, str]]] = {}
    for item in site.hidden():
        found: list[tuple[str, str]] = []
        if item.id not in visible_ids:
            found.append((f"id:{item.id}", f'"{item.id}"'))
            found.append((f"id:{item.id}", f"/{item.id}."))
        if len(item.title) >= MIN_TITLE_LENGTH and item.title not in visible_titles:
            found.append(("title", item.title))
        if item.slug not in visible_slugs:
            # with its section, so that a slug like "draft" does not match any URL with it
            path = f"/{item.path_with(item.slug)}/"
            found.append(("slug", path))
        marks[item.rel] = found
    return marks


def scan(
    marks: dict[str, list[tuple[str, str]]],
    channel: str,
    path: str,
    data: bytes,
    tombstones: tuple[str, ...] = (),
) -> list[Diagnostic]:
    """Leaks of hidden items in one output file."""
    found: list[Diagnostic] = []
    text = data.decode("utf-8", errors="ignore")
    allowed = {f"id:{item_id}" for item_id in tombstones}
    for rel, item_marks in sorted(marks.items()):
        for what, mark in item_marks:
            if what in allowed:
                continue
            if mark in text:
                found.append(
                    Diagnostic(
                        Severity.ERROR,
                        "leak.hidden-item",
                        f"{channel}/{path} contains the {what.split(':')[0]} of a hidden item "
                        f"({mark!r})",
                        Location(rel),
                        "a template or channel publishes items it should filter out; "
                        "use ctx.items() and ctx.url_for(), which only know visible items",
                    )
                )
                break
    return found


def audit_leaks(
    site: Site, outputs: dict[str, list[Artifact]], diagnostics: Diagnostics
) -> list[tuple[str, str, str]]:
    """Scan every output that carries its bytes (renders scan their own as they go)."""
    marks = leak_marks(site)
    if not any(marks.values()):
        return []
    leaks: list[tuple[str, str, str]] = []
    for channel, artifacts in sorted(outputs.items()):
        for artifact in artifacts:
            if artifact.data is None:
                continue
            for diagnostic in scan(
                marks, channel, artifact.path, artifact.data, artifact.tombstones
            ):
                diagnostics.add(diagnostic)
                assert diagnostic.location is not None
                leaks.append((channel, artifact.path, diagnostic.location.path))
    return leaks


def audit_paths(outputs: dict[str, list[Artifact]], diagnostics: Diagnostics) -> None:
    """No two outputs of a channel at one path, or at paths equal but for case (one file on
    macOS and Windows): a static file named like an image rendition, say. Pages and
    finishing outputs are checked earlier with better words; this is the net under all."""
    for channel, artifacts in sorted(outputs.items()):
        taken: dict[str, Artifact] = {}
        for artifact in artifacts:
            folded = artifact.path.casefold()
            other = taken.setdefault(folded, artifact)
            if other is artifact:
                continue
            # located at the file a user named, rather than at an image a page shows
            blame = other if artifact.transform and not other.transform else artifact
            diagnostics.add(
                Diagnostic(
                    Severity.ERROR,
                    "url.collision",
                    f"{channel}: {_claimant(artifact)} and {_claimant(other)} both claim "
                    + (
                        artifact.path
                        if other.path == artifact.path
                        else f"{artifact.path} / {other.path} (equal where case is ignored)"
                    ),
                    Location(blame.source) if blame.source else None,
                    "rename or move one of them",
                )
            )


def _claimant(artifact: Artifact) -> str:
    if artifact.transform:
        return f"a rendition of {artifact.source}"
    return artifact.source or f"the output {artifact.path}"
