"""Same input, same bytes: whatever the hash seed, time zone or file-system order."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXED_AT, REPO, tree_of


def _copy_sample(target: Path, reverse: bool) -> Path:
    """Copy the sample site, creating files in forward or reverse order."""
    target.mkdir(parents=True)
    shutil.copy2(REPO / "omnipub.toml", target / "omnipub.toml")
    shutil.copy2(REPO / "omnipub.lock", target / "omnipub.lock")
    files = sorted(p for folder in ("content", "static") for p in (REPO / folder).rglob("*"))
    for path in reversed(files) if reverse else files:
        dest = target / path.relative_to(REPO)
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
    return target


def _build(root: Path, seed: str, tz: str) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed, "TZ": tz}
    subprocess.run(
        [sys.executable, "-m", "omnipub", "build", str(root), "--at", FIXED_AT, "--quiet"],
        check=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    out = root / "public"
    return {k: v for k, v in tree_of(out).items() if not k.startswith(".omnipub/")}


def test_builds_are_byte_identical_across_seeds_zones_and_order(tmp_path: Path) -> None:
    first = _build(_copy_sample(tmp_path / "a", reverse=False), "1", "UTC")
    second = _build(_copy_sample(tmp_path / "b", reverse=True), "4242", "Pacific/Auckland")
    assert first.keys() == second.keys()
    different = [k for k in first if first[k] != second[k]]
    assert not different, different[:10]
    assert len(first) > 100
