"""The command line: new, build, check, list; reports, help and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from conftest import FIXED_AT, REPO
from omnipub.cli import cli


def test_new_scaffolds_a_site_that_builds_cleanly_in_strict_mode(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "shop"
    assert runner.invoke(cli, ["new", str(target)]).exit_code == 0
    result = runner.invoke(cli, ["build", str(target), "--strict", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["channels"]["web"]["outputs"] > 5
    assert set(report["channels"]) == {"web", "mobile", "app", "signage"}
    again = runner.invoke(cli, ["new", str(target)])
    assert again.exit_code == 2 and "not empty" in again.output


def test_json_report_counts_written_and_unchanged(tmp_path: Path) -> None:
    runner = CliRunner()
    site = tmp_path / "shop"
    runner.invoke(cli, ["new", str(site)])
    args = ["build", str(site), "--channel", "web", "--json", "--at", FIXED_AT, "--quiet"]
    first = json.loads(runner.invoke(cli, args).stdout)
    second = json.loads(runner.invoke(cli, args).stdout)
    assert first["channels"]["web"]["written"] == first["channels"]["web"]["outputs"]
    assert second["channels"]["web"]["written"] == 0
    assert second["channels"]["web"]["rendered"] == 0


def test_check_writes_nothing_and_reports_translation_coverage(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["check", str(REPO), "--at", FIXED_AT])
    assert result.exit_code == 0, result.output
    assert "translation coverage" in result.output
    assert "web      nb" in result.output
    assert "ok: " in result.output


def test_list_shows_visibility_and_urls() -> None:
    result = CliRunner().invoke(cli, ["list", str(REPO), "--at", FIXED_AT, "--json"])
    rows = json.loads(result.stdout)
    by_source = {row["source"]: row for row in rows}
    assert by_source["content/articles/draft-collab.md"]["visibility"] == "draft"
    assert by_source["content/promotions/old-sale.md"]["visibility"] == "expired"
    merino = by_source["content/products/merino-sweater.md"]
    assert merino["id"] == "prod-merino-sweater"
    assert merino["urls"]["web"] == "https://www.fjordlys.example/products/merino-sweater/"


def test_help_reads_well() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("build", "check", "list", "new"):
        assert command in result.output
    build_help = CliRunner().invoke(cli, ["build", "--help"]).output
    assert "--strict" in build_help and "--at WHEN" in build_help
