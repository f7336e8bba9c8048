"""The app channel: valid documents, stable ids, delta sync, paginated feeds."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import jsonschema
import pytest
from jsonschema import Draft202012Validator

import omnipub.build
from conftest import FIXED_AT, REPO, copy_sample, write_site
from omnipub import markdown
from omnipub.build import BuildOptions, build
from omnipub.ids import Lock

SCHEMAS = REPO / "channels/omnipub_channels/app/schemas"
FORMATS = Draft202012Validator.FORMAT_CHECKER


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FORMATS)


@pytest.fixture(scope="module")
def app(sample_build) -> Path:
    return sample_build[1] / "app"


def test_every_document_of_the_sample_validates(app: Path) -> None:
    item, manifest, changes, feed = (validator(n) for n in ("item", "manifest", "changes", "feed"))
    counts = {"item": 0, "feed": 0, "changes": 0}
    for path in sorted(app.rglob("*.json")):
        rel = path.relative_to(app).as_posix()
        data = json.loads(path.read_text())
        if rel.startswith("schema/"):
            Draft202012Validator.check_schema(data)
        elif rel.startswith("items/"):
            item.validate(data)
            counts["item"] += 1
        elif rel == "manifest.json":
            manifest.validate(data)
        elif rel.startswith("changes/"):
            changes.validate(data)
            counts["changes"] += 1
        else:
            feed.validate(data)
            counts["feed"] += 1
    assert counts["item"] >= 50 and counts["feed"] >= 20
    published = {p.relative_to(app).as_posix() for p in (app / "schema").glob("*.json")}
    assert published == {f"schema/{n}.schema.json" for n in ("item", "manifest", "changes", "feed")}


def test_item_document_is_typed_and_links_by_id(app: Path) -> None:
    doc = json.loads((app / "items/prod-merino-sweater.json").read_text())
    assert doc["fields"]["price"] == "1299.00"
    assert doc["fields"]["currency"] == "NOK"
    assert doc["url"] == "https://www.fjordlys.example/products/merino-sweater/"
    assert doc["translations"] == {
        "en": "items/prod-merino-sweater.json",
        "fr": "items/fr/prod-merino-sweater.json",
        "nb": "items/nb/prod-merino-sweater.json",
    }
    assert {
        "id": "art-wool-care",
        "lang": "en",
        "url": "https://www.fjordlys.example/articles/wool-care/",
    } in doc["links"]
    link = next(
        s
        for b in doc["blocks"]
        if b["type"] == "paragraph"
        for s in b["content"]
        if isinstance(s, dict) and s["type"] == "link"
    )
    assert link["item_id"] == "art-wool-care"
    nb = json.loads((app / "items/nb/prod-merino-sweater.json").read_text())
    assert nb["lang"] == "nb" and nb["fields"]["price"] == doc["fields"]["price"]
    promo = json.loads((app / "items/promo-winter-wool-week.json").read_text())
    assert promo["fields"]["valid_until"] == "2027-01-15T23:59:00+01:00"


def test_feed_pages_chain_through_next_url(app: Path) -> None:
    base = "https://api.fjordlys.example/app/"
    url, seen, pages = base + "feed.json", [], 0
    while url:
        page = json.loads((app / url[len(base) :]).read_text())
        assert page["version"] == "https://jsonfeed.org/version/1.1"
        assert page["language"] == "en"
        seen.extend(entry["id"] for entry in page["items"])
        url = page.get("next_url")
        pages += 1
    assert pages > 1
    manifest = json.loads((app / "manifest.json").read_text())
    english = {e["id"] for e in manifest["items"] if e["lang"] == "en"}
    assert sorted(seen) == sorted(english)
    assert json.loads((app / "nb/feed.json").read_text())["language"] == "nb"


def test_manifest_is_the_serializers_bytes_and_its_build_id_hashes_the_rows(app: Path) -> None:
    """The manifest is assembled from per-row pieces; it must be what dumps gives."""
    from omnipub_channels.app import dumps

    raw = (app / "manifest.json").read_bytes()
    manifest = json.loads(raw)
    assert dumps(manifest) == raw
    rows = manifest["items"]
    assert [r["path"] for r in rows] == sorted(r["path"] for r in rows)
    pairs = json.dumps([(r["path"], r["hash"]) for r in rows])
    assert manifest["build_id"] == hashlib.sha256(pairs.encode()).hexdigest()[:16]
    assert manifest["changes"], "the sample's history gives delta files"


def test_each_source_is_parsed_once_for_every_channel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parsing is most of a document's cost: the app's block lists, like every channel's
    HTML and text, come from what the one parse at load time made."""
    root = copy_sample(tmp_path)
    callers: list[str] = []
    real = markdown.parse

    def counting(body: str, line_offset: int) -> list:
        callers.append(sys._getframe(1).f_code.co_name)
        return real(body, line_offset)

    monkeypatch.setattr(markdown, "parse", counting)
    monkeypatch.setattr(omnipub.build, "cpu_count", lambda: 1)  # parse in this process
    options = BuildOptions(
        root=root, at=FIXED_AT, use_cache=False, write_lock=False, executor="serial"
    )
    result = build(options)
    assert set(result.outputs) == {"web", "mobile", "app", "signage"}
    assert set(callers) == {"parse_document"}
    assert len(callers) >= len(list((root / "content").rglob("*.md")))


def test_sanitized_html_has_no_script_or_handlers(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "s",
        "-- omnipub.toml --\n[site]\ntitle = 'T'\n[languages.en]\nname = 'English'\n"
        "[markdown]\nallow_html = true\n"
        "[channels.web]\nbase_url = 'https://w.example/'\n"
        "[channels.app]\nbase_url = 'https://a.example/'\n"
        "-- content/x.md --\n---\nid: x\ntitle: X\n---\n"
        '<script>alert(1)</script>\n\n<p onclick="evil()">Hi <a href="javascript:alert(1)">j</a>'
        "</p>\n",
    )
    build(BuildOptions(root=root, at=FIXED_AT, write_lock=False))
    html = json.loads((root / "public/app/items/x.json").read_text())["content_html"]
    assert "<script" not in html and "onclick" not in html and "javascript:" not in html
    assert "Hi" in html
    web = (root / "public/web/x/index.html").read_text()
    assert "onclick" in web  # allowed for the web channel by the site setting


SYNC = """\
-- omnipub.toml --
[site]
title = "Sync"
timezone = "UTC"
[languages.en]
name = "English"
[channels.web]
base_url = "https://w.example/"
[channels.app]
base_url = "https://a.example/"
page_size = 2
-- content/news/_index.md --
---
cascade: {type: article}
---
-- content/news/a.md --
---
title: A
date: 2026-01-01
---
Alpha.
-- content/news/b.md --
---
title: B
date: 2026-01-02
expire_at: 2026-12-10T00:00:00Z
---
Beta.
-- content/news/c.md --
---
title: C
date: 2026-01-03
---
Gamma.
"""


def _state(root: Path) -> dict:
    return json.loads((root / "public/app/manifest.json").read_text())


def test_rename_and_move_keep_the_id_and_report_one_change(tmp_path: Path) -> None:
    root = write_site(tmp_path / "s", SYNC)
    build(BuildOptions(root=root, clock=FIXED_AT))
    before = _state(root)
    old_ids = {e["id"] for e in before["items"]}
    a_id = Lock.read(root).ids
    a_id = next(k for k, v in a_id.items() if v["path"] == "content/news/a")
    (root / "content/archive").mkdir()
    (root / "content/news/a.md").rename(root / "content/archive/a-renamed.md")
    build(BuildOptions(root=root, clock=FIXED_AT))
    after = _state(root)
    assert {e["id"] for e in after["items"]} == old_ids
    assert after["build_id"] != before["build_id"]
    change = json.loads((root / f"public/app/changes/{before['build_id']}.json").read_text())
    validator("changes").validate(change)
    assert [e["id"] for e in change["changed"]] == [a_id]
    assert change["added"] == [] and change["removed"] == []


def test_a_reverted_edit_brings_back_an_earlier_build_id(tmp_path: Path) -> None:
    """The build id hashes the outputs, so undoing an edit recurs an id already in the
    history: each older id gets one change file, from its latest occurrence."""
    root = write_site(tmp_path / "s", SYNC)
    source = root / "content/news/a.md"
    original = source.read_text()
    ids = []
    for text in (original, original + "Edited.\n", original, original + "Edited.\n"):
        source.write_text(text)
        build(BuildOptions(root=root, clock=FIXED_AT))
        ids.append(_state(root)["build_id"])
    first, edited = ids[0], ids[1]
    assert ids == [first, edited, first, edited]
    state = _state(root)
    assert state["changes"] == [f"changes/{first}.json"]
    change = json.loads((root / f"public/app/changes/{first}.json").read_text())
    validator("changes").validate(change)
    assert (change["from"], change["to"]) == (first, edited)
    assert len(change["changed"]) == 1 and change["added"] == change["removed"] == []
    assert not (root / f"public/app/changes/{edited}.json").exists()


def test_an_item_that_expires_becomes_a_tombstone(tmp_path: Path) -> None:
    root = write_site(tmp_path / "s", SYNC)
    build(BuildOptions(root=root, clock=FIXED_AT))
    first = _state(root)
    build(BuildOptions(root=root, clock="2026-12-11T00:00:00+00:00"))
    second = _state(root)
    change = json.loads((root / f"public/app/changes/{first['build_id']}.json").read_text())
    assert [r["path"] for r in change["removed"]] == [
        e["path"] for e in first["items"] if e not in second["items"]
    ]
    assert len(change["removed"]) == 1 and change["removed"][0]["removed_at"].startswith(
        "2026-12-11"
    )
    for path in (root / "public/app").rglob("*.json"):
        assert "Beta." not in path.read_text(), path
    # nothing changed since: the build id and the files stay the same
    build(BuildOptions(root=root, clock="2026-12-12T00:00:00+00:00"))
    assert _state(root) == second


def test_json_schema_rejects_a_price_as_a_json_number(app: Path) -> None:
    doc = json.loads((app / "items/prod-merino-sweater.json").read_text())
    doc["fields"]["price"] = 1299
    with pytest.raises(jsonschema.ValidationError):
        validator("item").validate(doc)
