"""A release-ready package: `python -m build` makes an sdist and a wheel that pass `twine
check`, and the wheel, installed into a fresh virtual environment, builds the sample site."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import omnipub
from conftest import FIXED_AT, REPO, copy_sample


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    # PYTHONPATH would put the source tree in front of the installed wheel
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_version_lives_in_one_place() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "omnipub/__init__.py"
    found = re.findall(r'__version__ = "([^"]+)"', (REPO / "omnipub/__init__.py").read_text())
    assert found == [omnipub.__version__]
    # the CI guide installs exactly this release
    guide = (REPO / "docs/ci.md").read_text()
    pins = set(re.findall(r"omnipub\[deploy\]==([0-9][^\"' ]*)", guide))
    assert pins == {omnipub.__version__}


def test_the_wheel_installs_into_a_fresh_venv_and_builds_the_sample(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    # the backend (hatchling) comes from the test extra: no download
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, REPO)
    wheels = sorted(dist.glob("*.whl"))
    sdists = sorted(dist.glob("*.tar.gz"))
    assert [w.name for w in wheels] == [f"omnipub-{omnipub.__version__}-py3-none-any.whl"]
    assert [s.name for s in sdists] == [f"omnipub-{omnipub.__version__}.tar.gz"]
    checked = _run(sys.executable, "-m", "twine", "check", "--strict", *wheels, *sdists)
    assert checked.count("PASSED") == 2

    venv = tmp_path / "venv"
    # dependencies come from this interpreter's packages; omnipub itself from the wheel
    _run(sys.executable, "-m", "venv", "--system-site-packages", venv)
    python = venv / "bin" / "python"
    _run(python, "-m", "pip", "install", "--no-deps", "--no-index", "--force-reinstall", *wheels)
    where = json.loads(
        _run(
            python,
            "-c",
            "import json, omnipub, omnipub_channels; print(json.dumps("
            "[omnipub.__file__, omnipub_channels.__file__, omnipub.__version__]))",
            cwd=tmp_path,
        )
    )
    site_packages = str(venv.resolve())
    assert where[0].startswith(site_packages) and where[1].startswith(site_packages), where
    assert where[2] == omnipub.__version__
    assert omnipub.__version__ in _run(venv / "bin" / "omnipub", "--version")

    site = copy_sample(tmp_path / "sample")
    _run(venv / "bin" / "omnipub", "build", "--strict", "--at", FIXED_AT, "--quiet", site)
    for channel, path in (
        ("web", "index.html"),
        ("mobile", "index.html"),
        ("app", "manifest.json"),
        ("signage", "playlists/oslo-entrance.json"),
    ):
        assert (site / "public" / channel / path).is_file(), (channel, path)
    manifest = json.loads((site / "public/app/manifest.json").read_text())
    assert manifest["items"]
    assert all((site / "public/app" / row["path"]).is_file() for row in manifest["items"])
    assert (site / "public/web/assets").is_dir()  # package data: the channel's stylesheet
