"""The pieces of a deploy on their own: staging from references, the state recorded at a
target and its merge into the lock."""

from __future__ import annotations

import json
from pathlib import Path

from deploy_support import folder_targets, make_site, real_build, run_deploy

from omnipub.deploy.order import Files, Pending, references, stages
from omnipub.deploy.state import TargetState, merge, record_ids
from omnipub.ids import Lock


def _pending(edges: dict[str, set[str]], added: set[str], entry: set[str] = set()):  # noqa: B006
    return {
        ("c", k): Pending(("c", k), k in added, k in entry, frozenset(("c", d) for d in refs))
        for k, refs in edges.items()
    }


def _order(result: list[list[tuple[str, str]]]) -> dict[str, int]:
    return {path: n for n, stage in enumerate(result) for _c, path in stage}


def test_stages_put_references_first_and_entry_points_last() -> None:
    edges = {
        "img.jpg": set(),
        "page.html": {"img.jpg", "list.html"},
        "list.html": {"page.html"},  # a cycle of changed files
        "doc.json": {"img.jpg"},
        "manifest.json": {"doc.json"},
        "player.html": {"manifest.json"},  # references an entry point: after it
        "other.css": set(),
    }
    order = _order(stages(_pending(edges, added={"img.jpg"}, entry={"manifest.json"})))
    assert order["img.jpg"] < order["page.html"] and order["img.jpg"] < order["doc.json"]
    assert order["manifest.json"] > max(order[k] for k in ("page.html", "list.html", "other.css"))
    assert order["player.html"] > order["manifest.json"]


def test_new_files_in_a_cycle_go_up_together_before_the_changed_files_that_link_them() -> None:
    edges = {
        "new.html": {"tag.html", "home.html"},
        "tag.html": {"new.html"},
        "home.html": {"new.html"},  # changed: now links the new article
    }
    order = _order(stages(_pending(edges, added={"new.html", "tag.html"})))
    assert order["new.html"] == order["tag.html"] < order["home.html"]


def test_references_are_read_from_html_css_and_json_across_channels() -> None:
    files = Files(
        {
            "web": {"index.html", "a/index.html", "media/x-0123456789-480w.jpg", "style.css"},
            "app": {"items/a.json", "manifest.json"},
            "signage": {"slides/door/a.html", "playlists/door.json"},
        },
        {"web": "https://w.test/", "app": "https://api.test/v1/", "signage": "/"},
    )
    page = (
        b'<html><head><link rel="stylesheet" href="/style.css">'
        b'<link rel="alternate" href="https://api.test/v1/items/a.json"></head>'
        b'<body><a href="../">home</a><a href="https://elsewhere.test/a/">x</a>'
        b'<img src="/media/x-0123456789-480w.jpg" srcset="/media/x-0123456789-480w.jpg 480w">'
        b"</body></html>"
    )
    assert references(page, "text/html", "web", "a/index.html", files) == {
        ("web", "style.css"),
        ("app", "items/a.json"),
        ("web", "index.html"),
        ("web", "media/x-0123456789-480w.jpg"),
    }
    manifest = json.dumps({"items": [{"path": "items/a.json", "title": "a.json"}]}).encode()
    assert references(manifest, "application/json", "app", "manifest.json", files) == {
        ("app", "items/a.json")
    }
    playlist = json.dumps({"slides": [{"url": "../../slides/door/a.html"}]}).encode()
    assert references(playlist, "application/json", "signage", "playlists/door.json", files) == {
        ("signage", "slides/door/a.html")
    }
    assert references(b"\xff\xd8", "image/jpeg", "web", "media/x.jpg", files) == set()


def test_merge_takes_channel_state_from_the_targets_and_ids_the_lock_lacks() -> None:
    lock = Lock(
        ids={"i1111111111": {"path": "content/a", "hash": "h1"}},
        retired={"i0000000000"},
        channels={"app": {"history": ["local build never deployed"]}},
    )
    deployed = TargetState(
        "app",
        state={"history": ["what clients have"]},
        ids={
            "i2222222222": {"path": "content/new", "hash": "h2"},  # made in CI
            "i3333333333": {"path": "content/a", "hash": "h1"},  # the lock names a otherwise
        },
        retired={"i4444444444"},
        found=True,
    )
    merged, notes = merge(lock, [deployed])
    assert merged.channels["app"] == {"history": ["what clients have"]}
    assert merged.ids == {
        "i1111111111": {"path": "content/a", "hash": "h1"},
        "i2222222222": {"path": "content/new", "hash": "h2"},
    }
    assert merged.retired == {"i0000000000", "i3333333333", "i4444444444"}
    assert notes == [
        "content/a: deployed as i3333333333, i1111111111 in omnipub.lock; the lock's id wins"
    ]
    again, _notes = merge(merged, [deployed])
    assert again.dumps() == merged.dumps()  # pulling twice changes nothing


def test_only_ids_that_deployed_files_carry_are_recorded() -> None:
    lock = Lock(
        ids={
            "iaaaaaaaaaa": {"path": "content/public", "hash": "h"},
            "ibbbbbbbbbb": {"path": "content/draft", "hash": "h"},
        },
        retired={"icccccccccc"},
    )
    state = TargetState("app", ids={"icccccccccc": {"path": "content/gone", "hash": "h"}})
    record_ids(state, lock, {"iaaaaaaaaaa", "ideadbeef00"})
    assert state.ids == {"iaaaaaaaaaa": {"path": "content/public", "hash": "h"}}
    assert state.retired == {"icccccccccc"}  # published once, gone since: never reused


def test_deploy_channel_deploys_that_channel_only(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site", folder_targets(tmp_path / "www"))
    real_build(root)
    report = run_deploy(root, "--channel", "web", "--json")
    assert set(report["channels"]) == {"web"}
    assert sorted(p.name for p in (tmp_path / "www").iterdir()) == ["web"]
    result = run_deploy(root, "--channel", "nowhere", expect=2)
    assert "has no deploy target" in result.output


def test_a_broken_omnipub_toml_is_deployed_nowhere(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site", folder_targets(tmp_path / "www"))
    real_build(root)
    with (root / "omnipub.toml").open("a") as handle:
        handle.write("[deploy.web\n")
    result = run_deploy(root, expect=2)
    assert "omnipub.toml:" in result.output and "error[config.syntax]" in result.output
    assert not (tmp_path / "www").exists()


def test_pull_state_refuses_options_that_would_do_nothing(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site", folder_targets(tmp_path / "www"))
    result = run_deploy(root, "--pull-state", "--dry-run", expect=2)
    assert "--pull-state uploads nothing, so --dry-run would do nothing" in result.output
