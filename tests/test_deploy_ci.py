"""docs/ci.md followed for six commits in a row — add, edit, rename, delete, expire, add —
each in a fresh clone that keeps only what the workflow caches: after every deploy, an app
that synced the previous deploy applies exactly one change file and ends with the documents
of a fresh full sync, and no item's id ever changes."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import omnipub
from conftest import REPO, write_site
from omnipub import lockfile

GUIDE = REPO / "docs/ci.md"
MAIN = "github.ref == 'refs/heads/main'"

SITE = """\
-- omnipub.toml --
[site]
title = "CI shop"
timezone = "UTC"
[languages.en]
name = "English"
[channels.web]
base_url = "https://www.ci.test/"
[channels.app]
base_url = "https://api.ci.test/"
[deploy.web]
url = "{www}/web"
[deploy.app]
url = "{www}/app"
-- content/news/_index.md --
---
cascade: {{type: article}}
---
-- content/news/alpha.md --
---
title: Alpha
date: 2026-11-01
---
Alpha.
-- content/news/beta.md --
---
title: Beta
date: 2026-11-02
expire_at: 2026-12-05T18:00:00Z
---
Beta, until the 5th.
-- content/news/secret.md --
---
title: Secret launch
date: 2026-11-03
draft: true
---
Not yet.
-- .gitignore --
public/
.omnipub/
"""

SHIM = """\
#!{python}
# `omnipub` as the workflow runs it: this source tree, with the runner's clock pinned
import os, sys
sys.path[:0] = [{repo!r}, {channels!r}]
clock = os.environ.get("TEST_CLOCK")
if clock:
    import omnipub.build as build
    real = build.build_instant
    build.build_instant = lambda at, config: real(clock if at is None else at, config)
from omnipub.cli import main
main()
"""


def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Editor",
        "GIT_AUTHOR_EMAIL": "editor@ci.test",
        "GIT_COMMITTER_NAME": "Editor",
        "GIT_COMMITTER_EMAIL": "editor@ci.test",
    }
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _github_steps() -> list[dict]:
    block = re.findall(r"```yaml\n(.*?)```", GUIDE.read_text(), re.S)[0]
    return yaml.safe_load(block)["jobs"]["build"]["steps"]


class Runner:
    """Runs the GitHub workflow of docs/ci.md on `main`, step by step, in a fresh clone."""

    def __init__(self, tmp: Path, origin: Path) -> None:
        self.tmp, self.origin = tmp, origin
        self.cache = tmp / "actions-cache"
        self.bin = tmp / "bin"
        self.bin.mkdir()
        shim = self.bin / "omnipub"
        shim.write_text(
            SHIM.format(python=sys.executable, repo=str(REPO), channels=str(REPO / "channels"))
        )
        shim.chmod(0o755)
        self.runs = 0

    def run(self, clock: str) -> None:
        clone = self.tmp / f"clone-{self.runs}"
        self.runs += 1
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env.update(PATH=f"{self.bin}{os.pathsep}{env['PATH']}", TEST_CLOCK=clock)
        cached: list[str] = []
        for step in _github_steps():
            condition = step.get("if")
            assert condition in (None, MAIN, "always()"), condition
            uses, command = step.get("uses", ""), step.get("run")
            if uses.startswith("actions/checkout"):
                _git(self.tmp, "clone", "-q", str(self.origin), str(clone))
            elif uses.startswith("actions/cache"):
                cached = step["with"]["path"].split()
                for path in cached:  # restore what the last run saved
                    if (self.cache / path).exists():
                        shutil.copytree(self.cache / path, clone / path)
            elif command and command.startswith("pip install"):
                assert f'"omnipub[deploy]=={omnipub.__version__}"' in command  # pinned
            elif command:
                done = subprocess.run(
                    ["bash", "-e", "-c", command],
                    cwd=clone,
                    env=env,
                    capture_output=True,
                    text=True,
                    stdin=subprocess.DEVNULL,
                )
                assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        shutil.rmtree(self.cache, ignore_errors=True)
        for path in cached:  # the job ends: the cache is saved, the runner thrown away
            shutil.copytree(clone / path, self.cache / path)
        shutil.rmtree(clone)


class AppClient:
    """A native app's delta sync: manifest first, then the change file for its build."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.build: str | None = None
        self.documents: dict[str, dict] = {}
        self.change_files = 0
        self.full_syncs = 0

    def _document(self, row: dict) -> dict:
        data = (self.root / row["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["hash"], row["path"]
        return json.loads(data)

    def _manifest(self) -> dict:
        return json.loads((self.root / "manifest.json").read_text())

    def full_sync(self) -> None:
        manifest = self._manifest()
        self.documents = {row["path"]: self._document(row) for row in manifest["items"]}
        self.build = manifest["build_id"]
        self.full_syncs += 1

    def sync(self) -> None:
        manifest = self._manifest()
        if manifest["build_id"] == self.build:
            return
        name = f"changes/{self.build}.json"
        if name not in manifest["changes"]:
            self.full_sync()
            return
        change = json.loads((self.root / name).read_text())
        assert (change["from"], change["to"]) == (self.build, manifest["build_id"])
        for row in change["added"] + change["changed"]:
            self.documents[row["path"]] = self._document(row)
        for row in change["removed"]:
            del self.documents[row["path"]]
        self.build = change["to"]
        self.change_files += 1


def test_six_commits_through_the_ci_guide_keep_delta_sync_and_ids(tmp_path: Path) -> None:
    www = tmp_path / "www"
    origin = write_site(tmp_path / "repo", SITE.format(www=www))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    runner = Runner(tmp_path, origin)
    # the lock as a developer committed it: it knows the items of the first commit only
    subprocess.run(
        [runner.bin / "omnipub", "build", "--quiet"],
        cwd=origin,
        env={**env, "TEST_CLOCK": "2026-12-01T12:00:00Z"},
        check=True,
    )
    committed = lockfile.parse((origin / "omnipub.lock").read_bytes())
    _git(origin, "init", "-q", "-b", "main")
    _git(origin, "add", "-A")
    _git(origin, "commit", "-q", "-m", "site")
    runner.run("2026-12-01T12:00:00Z")
    client = AppClient(www / "app")
    client.full_sync()
    ids = {doc["title"]: doc["id"] for doc in client.documents.values()}
    news = origin / "content/news"

    def add_gamma() -> None:
        (news / "gamma.md").write_text("---\ntitle: Gamma\ndate: 2026-12-02\n---\nGamma.\n")

    def edit_gamma() -> None:
        (news / "gamma.md").write_text((news / "gamma.md").read_text() + "More gamma.\n")

    def rename_gamma() -> None:
        (news / "gamma.md").rename(news / "gamma-renamed.md")

    def delete_alpha() -> None:
        (news / "alpha.md").unlink()

    def add_delta() -> None:
        (news / "delta.md").write_text("---\ntitle: Delta\ndate: 2026-12-07\n---\nDelta.\n")

    commits = [
        ("add", add_gamma),
        ("edit", edit_gamma),
        ("rename", rename_gamma),
        ("delete", delete_alpha),
        ("expire", None),  # nothing changes in the repository: Beta's time is up
        ("add", add_delta),
    ]
    for day, (what, change) in enumerate(commits, start=2):
        if change is not None:
            change()
        _git(origin, "add", "-A")
        _git(origin, "commit", "-q", "--allow-empty", "-m", what)
        assert lockfile.parse((origin / "omnipub.lock").read_bytes()) == committed
        runner.run(f"2026-12-{day:02d}T12:00:00Z")
        before = client.change_files
        client.sync()
        assert client.change_files == before + 1, what  # exactly one change file
        assert client.full_syncs == 1, what
        fresh = AppClient(www / "app")
        fresh.full_sync()
        assert client.documents == fresh.documents, what
        assert client.build == fresh.build
        for document in client.documents.values():
            assert ids.setdefault(document["title"], document["id"]) == document["id"], what
        for state in www.glob("*/.omnipub/deploy-state.json"):  # a draft never leaves
            assert "secret" not in state.read_text().lower()
    titles = {doc["title"] for doc in client.documents.values()}
    assert titles == {"Gamma", "Delta"}  # Alpha deleted, Beta expired
    assert set(ids) == {"Alpha", "Beta", "Gamma", "Delta"}
    assert ids["Gamma"] not in committed.ids  # an id CI gave, kept across the rename


@pytest.fixture(autouse=True)
def _needs_git() -> None:
    if shutil.which("git") is None:
        pytest.fail("git is needed to follow the CI guide")
