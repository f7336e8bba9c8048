"""The documented CI build command works exactly as the workflows in docs/ci.md run it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import REPO, copy_sample

DOC = (REPO / "docs/ci.md").read_text()


def workflows() -> list[dict]:
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", DOC, re.S)]


def test_both_workflows_run_the_documented_command() -> None:
    command = re.search(r"```sh\n(.*?)\n```", DOC, re.S).group(1).strip()
    github, gitlab = workflows()
    steps = [s.get("run") for s in github["jobs"]["build"]["steps"]]
    assert command in steps
    assert command in gitlab["build"]["script"]
    assert ".omnipub/cache" in json.dumps(github) and ".omnipub/cache" in json.dumps(gitlab)


def test_documented_command_builds_the_sample(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "site")
    command = re.search(r"```sh\n(.*?)\n```", DOC, re.S).group(1).strip()
    program, redirect = command.split(" > ")
    args = program.split()
    assert args[0] == "omnipub"
    done = subprocess.run(
        # as CI runs it: a real build (an `--at` build would record no deploy manifests)
        [sys.executable, "-m", "omnipub", *args[1:]],
        cwd=root,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    (root / redirect).write_text(done.stdout)
    report = json.loads((root / redirect).read_text())
    assert report["ok"] and set(report["channels"]) == {"web", "mobile", "app", "signage"}
    manifest = json.loads((root / "public/.omnipub/web.deploy-manifest.json").read_text())
    assert manifest["diff"]["added"] and not manifest["diff"]["removed"]
