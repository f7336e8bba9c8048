"""The project type-checks: `mypy` with the configuration in pyproject.toml reports nothing."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_mypy_passes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=REPO,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, f"mypy failed:\n{done.stdout}{done.stderr}"
