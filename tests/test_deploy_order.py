"""The order of a deploy: no reader ever catches it half-done, and a deploy stopped part-way
leaves the previous entry points and converges when run again."""

from __future__ import annotations

import json
import posixpath
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
from deploy_support import (
    FolderReader,
    S3Reader,
    build_files,
    changed_by_build,
    folder_targets,
    holds,
    make_site,
    moto_endpoint,  # noqa: F401  (a fixture)
    real_build,
    run_deploy,
    s3,  # noqa: F401  (a fixture)
    s3_targets,
)

import omnipub.deploy.run
from conftest import REPO
from omnipub.deploy.targets import DeployFailed, FolderTarget, S3Target

BASES = {
    "web": "https://www.shop.test/",
    "mobile": "https://m.shop.test/",
    "app": "https://api.shop.test/app/",
    "signage": "https://screens.shop.test/",
}
ENTRY_POINTS = ("app/manifest.json", "signage/playlists/door.json")

NEW_ARTICLE = """\
---
title: Knitting night
date: 2026-11-20
tags: [knitting]
image: images/night.jpg
image_alt: Needles
---
Bring [your wool](wool.md).
"""


def _changes(root: Path) -> None:
    """A commit's worth of changes: a new article with a new image and a new tag, an edit
    of a promotion on screens, a page edited, an article deleted."""
    news = root / "content/news"
    shutil.copy2(REPO / "content/products/images/thermos.jpg", news / "images/night.jpg")
    (news / "knitting.md").write_text(NEW_ARTICLE)
    sale = root / "content/promotions/sale.md"
    sale.write_text(sale.read_text().replace("Wool -30%", "Wool -40%"))
    about = root / "content/about.md"
    about.write_text(about.read_text() + "\nSince 1987.\n")
    (news / "rain.md").unlink()


def _site(kind: str, tmp_path: Path, request: pytest.FixtureRequest, extra: str = ""):
    if kind == "folder":
        root = make_site(tmp_path / "site", folder_targets(tmp_path / "www") + extra)
        return root, FolderReader(tmp_path / "www")
    endpoint, bucket = request.getfixturevalue("s3")
    root = make_site(tmp_path / "site", s3_targets(endpoint, bucket) + extra)
    return root, S3Reader(endpoint, bucket)


def _failing_after(
    monkeypatch: pytest.MonkeyPatch, count: int, then: Callable[[], None] | None = None
) -> list[str]:
    """Make every target's uploads fail after `count` succeeded; returns what went up."""
    done: list[str] = []
    lock = threading.Lock()
    for cls in (FolderTarget, S3Target):
        real = cls.put

        def put(self, path, data, headers, real=real):  # type: ignore[no-untyped-def]
            with lock:
                if len(done) >= count:
                    raise DeployFailed(f"{self.url}: connection reset (injected)")
                done.append(path)
            real(self, path, data, headers)
            if then is not None:
                then()

        monkeypatch.setattr(cls, "put", put)
    return done


@pytest.mark.parametrize("kind", ["folder", "s3"])
def test_a_deploy_stopped_part_way_keeps_the_entry_points_and_a_rerun_converges(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, target = _site(kind, tmp_path, request)
    real_build(root)
    run_deploy(root)
    previous = {key: target.read(key) for key in ENTRY_POINTS}
    _changes(root)
    real_build(root)
    written, _removed = changed_by_build(root)
    assert set(ENTRY_POINTS) <= written
    attempts = 0
    step = max(1, len(written) // 4)
    sent: list[str] = []
    while True:  # a flaky network: every attempt stops after `step` more uploads
        with monkeypatch.context() as patched:
            uploaded = _failing_after(patched, step)
            result = run_deploy(root, expect=1 if attempts < 3 else None)
        sent += uploaded
        attempts += 1
        if result.exit_code == 0:
            break
        assert "connection reset (injected)" in result.output
        assert "run 'omnipub deploy' again" in result.output
        assert "Traceback" not in result.output
        assert len(uploaded) == step
        if attempts <= 2:  # entry points go last: clients still see the previous build
            assert {key: target.read(key) for key in ENTRY_POINTS} == previous
        assert attempts < 10
    assert attempts >= 4
    assert sorted(sent) == sorted(p.split("/", 1)[1] for p in written)  # none went twice
    assert holds(target, build_files(root))
    again = run_deploy(root, "--json")
    assert not any(r["uploaded"] or r["deleted"] for r in again["channels"].values())


def test_files_a_stopped_deploy_added_are_deleted_if_the_next_build_drops_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_site(tmp_path / "site", folder_targets(tmp_path / "www"))
    target = FolderReader(tmp_path / "www")
    real_build(root)
    run_deploy(root)
    _changes(root)
    real_build(root)
    written, _removed = changed_by_build(root)
    with monkeypatch.context() as patched:
        _failing_after(patched, len(written) - len(ENTRY_POINTS) - 1)
        run_deploy(root, expect=1)
    assert target.read("web/news/knitting/index.html") is not None
    (root / "content/news/knitting.md").unlink()  # the next commit drops the new article
    real_build(root)
    report = run_deploy(root, "--json")
    assert "news/knitting/index.html" in report["channels"]["web"]["deleted"]
    assert "tags/knitting/index.html" in report["channels"]["web"]["deleted"]
    assert holds(target, build_files(root))


# --- an observer that reads the target as clients do, while a deploy runs ----------------


def _locate(url: str, channel: str, page: str) -> str | None:
    """'channel/path' of a URL found in `channel/page`, None when it leads elsewhere."""
    parts = urlsplit(url)
    if parts.scheme in ("mailto", "tel", "data", "javascript") or url.startswith("#"):
        return None
    if parts.scheme or parts.netloc:
        for name, base in BASES.items():
            if url.startswith(base):
                return f"{name}/{urlsplit(url[len(base) :]).path}"
        return None
    if not parts.path:
        return None
    if parts.path.startswith("/"):
        prefix = urlsplit(BASES[channel]).path
        inside = parts.path.startswith(prefix)
        return f"{channel}/{parts.path[len(prefix) :] if inside else parts.path[1:]}"
    return f"{channel}/{posixpath.normpath(posixpath.join(posixpath.dirname(page), parts.path))}"


def _file(key: str) -> str:
    return f"{key}index.html" if key.endswith("/") else key


def _references(key: str, data: bytes) -> set[str]:
    """What a page, an app document or manifest, or a playlist tells its reader to fetch."""
    channel, path = key.split("/", 1)
    found: list[str | None] = []
    if path.endswith(".html"):
        doc = lxml.html.fromstring(data)
        for tag, attr in (("a", "href"), ("link", "href"), ("img", "src"), ("script", "src")):
            found += [_locate(e.get(attr), channel, path) for e in doc.iter(tag) if e.get(attr)]
        for img in doc.iter("img"):
            for candidate in (img.get("srcset") or "").split(","):
                if candidate.strip():
                    found.append(_locate(candidate.split()[0], channel, path))
        for meta in doc.xpath("//meta[@http-equiv='refresh']"):
            found.append(_locate(meta.get("content").split("url=")[-1], channel, path))
        for body in doc.xpath("//body[@data-playlist]"):
            found.append(_locate(body.get("data-playlist"), channel, path))
    elif key == "app/manifest.json":
        manifest = json.loads(data)
        found += [f"app/{row['path']}" for row in manifest["items"]]
        found += [f"app/{name}" for name in manifest["changes"]]
    elif key.startswith("app/changes/"):
        change = json.loads(data)
        found += [f"app/{row['path']}" for row in change["added"] + change["changed"]]
    elif key.startswith("app/items/"):
        doc = json.loads(data)
        found += [f"app/{p}" for p in doc["translations"].values()]
        if doc.get("image"):
            found += [_locate(r["url"], "app", path) for r in doc["image"]["renditions"]]
        found += [_locate(link["url"], "app", path) for link in doc["links"]]
    elif key.startswith("signage/playlists/"):
        # the player resolves a slide and its assets against the playlist's own URL
        for slide in json.loads(data)["slides"]:
            found += [_locate(url, "signage", path) for url in [slide["url"], *slide["assets"]]]
    return {_file(k) for k in found if k is not None}


class Observer(threading.Thread):
    """Polls the target during a deploy: starting at the entry points and the pages readers
    may have open, it follows references as readers do, and notes each one that leads to a
    missing file — read again to be sure the referencing file was live meanwhile."""

    def __init__(self, read: Callable[[str], bytes | None], start: set[str]) -> None:
        super().__init__(daemon=True)
        self.read, self.start_keys = read, start
        self.stop = threading.Event()
        self.polls = 0
        self.violations: set[tuple[str, str]] = set()

    def run(self) -> None:
        while not self.stop.is_set():
            self.poll()
            self.polls += 1

    def poll(self) -> None:
        seen: set[str] = set()
        todo = sorted(self.start_keys)
        while todo:
            key = todo.pop()
            if key in seen:
                continue
            seen.add(key)
            data = self.read(key)
            if data is None:
                continue
            for ref in sorted(_references(key, data)):
                if self.read(ref) is not None:
                    if ref.endswith((".html", ".json")):
                        todo.append(ref)
                elif self.read(key) == data:  # the file was live with this reference
                    self.violations.add((key, ref))


def _observe_deploy(root: Path, target: FolderReader, monkeypatch: pytest.MonkeyPatch) -> Observer:
    # every page a reader may have open: the entry points, and the pages that were up and
    # stay (a page the build removed is unreachable, and deleted, once the new ones are up)
    start = set(ENTRY_POINTS) | {
        key
        for key in set(target.files()) & set(build_files(root))
        if key.endswith(".html") or key.startswith("app/")
    }
    observer = Observer(target.read, start)
    with monkeypatch.context() as patched:
        _failing_after(patched, 10**9, then=lambda: time.sleep(0.03))  # a slow network
        observer.start()
        try:
            run_deploy(root)
        finally:
            observer.stop.set()
            observer.join(timeout=30)
    return observer


def test_an_observer_never_sees_a_reference_to_a_missing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_site(
        tmp_path / "site", folder_targets(tmp_path / "www") + "[deploy]\nworkers = 2\n"
    )
    target = FolderReader(tmp_path / "www")
    real_build(root)
    run_deploy(root)
    _changes(root)
    real_build(root)
    observer = _observe_deploy(root, target, monkeypatch)
    assert observer.polls >= 10
    assert observer.violations == set()
    assert holds(target, build_files(root))
    assert observer.poll() is None and observer.violations == set()


def test_the_observer_catches_a_deploy_in_file_name_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The observer can fail: uploading the same files one by one by name (as a naive sync
    does) shows readers pages and app documents naming files not yet up."""
    root = make_site(
        tmp_path / "site", folder_targets(tmp_path / "www") + "[deploy]\nworkers = 1\n"
    )
    target = FolderReader(tmp_path / "www")
    real_build(root)
    run_deploy(root)
    _changes(root)
    real_build(root)
    monkeypatch.setattr(
        omnipub.deploy.run, "stages", lambda pending: [[key] for key in sorted(pending)]
    )
    observer = _observe_deploy(root, target, monkeypatch)
    referrers = {key for key, _ref in observer.violations}
    assert "web/index.html" in referrers  # the home page names the new article first
    assert any(key.startswith("app/items/") for key in referrers)  # before its renditions
    assert holds(target, build_files(root))  # it still ends right: only the order was wrong
