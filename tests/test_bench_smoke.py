"""The benchmark harness runs at 50 items, so it cannot rot (the real runs are not tests)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO

CORPUS = REPO.parent / "shared" / "bench" / "gen_corpus.py"


@pytest.mark.skipif(
    not CORPUS.is_file(), reason="the shared corpus generator is not beside the repo"
)
def test_bench_runs_at_50_items() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench/run.py"),
            "--items",
            "50",
            "--runs",
            "1",
            "--peers",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    out = done.stdout
    assert "50 items" in out and "omnipub    web, mobile, app, signage" in out
    assert "byte-identical to a clean build: yes" in out
