"""Bad user input on every path: a clear error and its exit code, never a crash (exit 70)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from conftest import FIXED_AT, write_site
from omnipub.cli import cli

GOOD = """\
-- content/articles/_index.md --
---
title: Journal
cascade: {type: article}
---
-- content/articles/ok.md --
---
title: A good article
date: 2026-01-01
---
Fine.
"""


def invoke(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout and everything printed (stdout and stderr)."""
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.output


def test_check_json_prints_the_report(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", GOOD)
    code, stdout, output = invoke("check", str(root), "--at", FIXED_AT, "--json")
    assert code == 0, output
    report = json.loads(stdout)
    assert report["ok"] is True and report["errors"] == []
    assert report["at"].startswith("2026-12-01T12:00:00")
    assert report["items"]["visible"] == 1
