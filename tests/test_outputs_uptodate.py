"""A build whose inputs have not changed writes nothing and says "up to date", on a new
scaffold and on the sample, however much later it runs."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from conftest import copy_sample
from omnipub.build import BuildOptions, build
from omnipub.cli import cli


def written(root: Path, clock: str) -> dict[str, int]:
    result = build(BuildOptions(root=root, clock=clock))
    return {name: r.written + r.removed for name, r in result.reports.items()}


def test_the_scaffold_is_up_to_date_on_the_second_build(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    assert CliRunner().invoke(cli, ["new", str(root)]).exit_code == 0
    first = written(root, "2026-12-01T09:00:00+01:00")
    assert sum(first.values()) > 20
    # hours later: an empty feed once carried the build instant, and was written again
    assert written(root, "2026-12-01T15:30:00+01:00") == dict.fromkeys(first, 0)
    feed = (root / "public/web/products/feed.xml").read_text()
    assert "2026-12-01T15:30" not in feed and "2026-12-01T09:00:00+01:00" not in feed
    done = CliRunner().invoke(cli, ["build", str(root)])
    assert done.exit_code == 0 and "up to date: 3 items" in done.output


def test_the_sample_is_up_to_date_on_the_second_build(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "sample")
    first = written(root, "2026-12-01T12:00:00+01:00")
    assert sum(first.values()) > 500
    assert written(root, "2026-12-01T12:20:00+01:00") == dict.fromkeys(first, 0)
