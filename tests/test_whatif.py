"""What a build may change: only a real build advances `omnipub.lock`'s channel state and
the deploy manifests; what-if builds (`--at`, `--drafts`, `--channel`, another `--out`, the
dev server's base URLs) read that state and leave it alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import tree_of, write_site
from omnipub.build import BuildOptions, build
from omnipub.cli import cli
from omnipub.ids import Lock

#: the clock of the real builds: tests pin it, and the builds stay real
NOW = "2026-12-01T12:00:00+00:00"
#: a what-if instant at which b.md has expired
LATER = "2027-07-01T12:00:00+00:00"

SITE = """\
-- omnipub.toml --
[site]
title = "What if"
timezone = "UTC"
[languages.en]
name = "English"
[build]
channels = ["web", "mobile", "app"]
[channels.web]
base_url = "https://w.example/"
[channels.mobile]
base_url = "https://m.example/"
[channels.app]
base_url = "https://a.example/"
[channels.signage]
base_url = "https://s.example/"
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
expire_at: 2027-06-01T00:00:00Z
---
Beta.
-- content/news/c.md --
---
title: C
date: 2026-01-03
draft: true
---
Gamma.
"""

CHANNELS = ("web", "mobile", "app")
DEV = {name: f"http://127.0.0.1:8000/_/{name}/" for name in CHANNELS}


def real(root: Path) -> None:
    build(BuildOptions(root=root, clock=NOW, executor="serial"))


def recorded(root: Path) -> dict[str, bytes]:
    """The lock and every deploy manifest: what only a real build may change."""
    found = {"omnipub.lock": (root / "omnipub.lock").read_bytes()}
    for path in sorted((root / "public/.omnipub").glob("*.deploy-manifest.json")):
        found[path.name] = path.read_bytes()
    return found


def app_manifest(root: Path) -> dict:
    return json.loads((root / "public/app/manifest.json").read_text())


def edit(root: Path) -> None:
    """An edit and a new item since the real build: a what-if sees both."""
    path = root / "content/news/a.md"
    path.write_text(path.read_text() + "Edited.\n")
    (root / "content/news/d.md").write_text("---\ntitle: D\ndate: 2026-01-04\n---\nDelta.\n")


WHAT_IFS = {
    "--at": {"at": LATER},
    "--drafts": {"drafts": True},
    "--channel": {"channels": ("app",)},
    "--out elsewhere": {"out_dir": "elsewhere"},
    "serve base URLs": {"base_urls": DEV},
}


@pytest.mark.parametrize("kind", sorted(WHAT_IFS))
def test_a_what_if_build_changes_no_lock_and_no_deploy_manifest(tmp_path: Path, kind: str) -> None:
    root = write_site(tmp_path / "site", SITE)
    real(root)
    edit(root)
    before = recorded(root)
    public = tree_of(root / "public")
    options = dict(WHAT_IFS[kind])
    if "out_dir" in options:
        options["out_dir"] = tmp_path / str(options["out_dir"])
    result = build(BuildOptions(root=root, executor="serial", **options))  # type: ignore[arg-type]

    assert recorded(root) == before
    built = set(result.outputs)
    after = tree_of(root / "public")
    for name in {"web", "mobile", "app", "signage"} - built:
        folder = {p: b for p, b in public.items() if p.startswith(f"{name}/")}
        assert {p: b for p, b in after.items() if p.startswith(f"{name}/")} == folder, name
    if "out_dir" in options:
        assert after == public
    # the new item has an id in memory; the next real build records that very id
    new_id = next(i.id for i in result.site.items if i.rel == "content/news/d.md")
    real(root)
    ids = Lock.read(root).ids
    assert ids[new_id]["path"] == "content/news/d"


def test_a_channel_build_links_every_enabled_channel_as_a_full_build_does(
    tmp_path: Path,
) -> None:
    """Cross-channel URLs come from every enabled channel; the disabled one has none."""
    root = write_site(tmp_path / "site", SITE)
    real(root)
    build(
        BuildOptions(root=root, channels=("app",), out_dir=tmp_path / "app-only", use_cache=False)
    )
    full = tree_of(root / "public/app/items")
    assert full and tree_of(tmp_path / "app-only/app/items") == full
    assert sorted((tmp_path / "app-only").iterdir()) == [
        tmp_path / "app-only/.omnipub",
        tmp_path / "app-only/app",
    ]
    document = json.loads(next(iter(full.values())))
    assert sorted(document["urls"]) == ["app", "mobile", "web"]


def test_a_channel_build_into_the_output_folder_leaves_the_others_alone(
    tmp_path: Path,
) -> None:
    root = write_site(tmp_path / "site", SITE)
    real(root)
    (root / "public/signage").mkdir()  # a disabled channel's old folder: left alone too
    (root / "public/signage/old.json").write_text("{}")
    edit(root)
    public = tree_of(root / "public")
    result = CliRunner().invoke(cli, ["build", str(root), "--channel", "app", "--quiet"])
    assert result.exit_code == 0, result.output
    after = tree_of(root / "public")
    for name in ("web/", "mobile/", "signage/", ".omnipub/"):
        if name != ".omnipub/":
            assert any(p.startswith(name) for p in public), name
        kept = {p: b for p, b in public.items() if p.startswith(name)}
        now = {p: b for p, b in after.items() if p.startswith(name)}
        if name == ".omnipub/":  # the folder's index changes; the deploy manifests do not
            kept.pop(".omnipub/manifest.json"), now.pop(".omnipub/manifest.json")
        assert now == kept, name
    assert len(app_manifest(root)["items"]) == 3  # a, b and the new d


def test_a_channel_that_is_not_enabled_is_a_usage_error(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    result = CliRunner().invoke(cli, ["build", str(root), "--channel", "signage"])
    assert result.exit_code == 2
    assert "not enabled" in result.output and "[build] channels" in result.output
    assert not (root / "public").exists() and not (root / "omnipub.lock").exists()


def test_a_real_build_after_a_what_if_publishes_no_change_file_for_it(
    tmp_path: Path,
) -> None:
    root = write_site(tmp_path / "site", SITE)
    real(root)
    first = app_manifest(root)
    build(BuildOptions(root=root, at=LATER, executor="serial"))  # b.md has expired by then
    whatif = app_manifest(root)
    assert whatif["build_id"] != first["build_id"]
    # the what-if read the history: it shows a client at the real build what would change
    assert whatif["changes"] == [f"changes/{first['build_id']}.json"]
    real(root)
    again = app_manifest(root)
    assert again == first
    assert not (root / f"public/app/changes/{whatif['build_id']}.json").exists()
    history = Lock.read(root).channels["app"]["history"]
    assert [h["id"] for h in history] == [first["build_id"]]
    # and the deploy manifests say nothing changed since the real build
    for name in CHANNELS:
        deploy = json.loads((root / f"public/.omnipub/{name}.deploy-manifest.json").read_text())
        assert deploy["diff"] == {"added": [], "changed": [], "removed": []}, name


def test_a_real_build_after_a_what_if_of_the_same_output_still_reports_the_edit(
    tmp_path: Path,
) -> None:
    """A what-if that already wrote an edit into the output folder is no deploy: the next
    real build's deploy diff still lists the edited page."""
    root = write_site(tmp_path / "site", SITE)
    real(root)
    path = root / "content/news/a.md"
    path.write_text(path.read_text() + "Edited.\n")
    build(BuildOptions(root=root, at=NOW, executor="serial"))
    real(root)
    deploy = json.loads((root / "public/.omnipub/web.deploy-manifest.json").read_text())
    assert "news/a/index.html" in deploy["diff"]["changed"]
    history = Lock.read(root).channels["app"]["history"]
    assert len(history) == 2
