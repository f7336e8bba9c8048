"""Outputs are checked, not trusted: a published file deleted or edited by hand is found by
the next build, which writes it again with the bytes a clean build makes, and damaged bytes
shared with the cache are never published again."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from conftest import FIXED_AT, REPO, copy_sample, tree_of
from omnipub.cli import cli


def build(root: Path, *args: str) -> dict:
    result = CliRunner().invoke(
        cli, ["build", str(root), "--json", "--quiet", "--at", FIXED_AT, *args]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def written(report: dict) -> int:
    return sum(channel["written"] for channel in report["channels"].values())


def clean(root: Path, tmp: Path) -> dict[str, bytes]:
    fresh = tmp / "fresh"
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(".omnipub", "public"))
    build(fresh, "--no-cache")
    return tree_of(fresh / "public")


def test_a_deleted_output_is_restored(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "site")
    build(root)
    page = root / "public/web/about/index.html"
    original = page.read_bytes()
    page.unlink()
    report = build(root)
    assert page.read_bytes() == original
    assert written(report) == 1
    assert written(build(root)) == 0  # and then it is up to date again


def test_an_output_edited_by_hand_is_written_again_and_never_poisons_the_cache(
    tmp_path: Path,
) -> None:
    root = copy_sample(tmp_path / "site")
    build(root)
    home, robots = root / "public/web/index.html", root / "public/web/robots.txt"
    original = home.read_bytes(), robots.read_bytes()
    with home.open("ab") as handle:
        handle.write(b"<!--T-->")
    with robots.open("ab") as handle:
        handle.write(b"Sitemap: x\n")
    build(root)
    assert (home.read_bytes(), robots.read_bytes()) == original
    # the same edit, then the output folder thrown away (a CI step, then a clean deploy)
    with robots.open("ab") as handle:
        handle.write(b"Sitemap: x\n")
    shutil.rmtree(root / "public")
    build(root)
    assert robots.read_bytes() == original[1]
    assert tree_of(root / "public") == clean(root, tmp_path)


def python(*args: str) -> subprocess.CompletedProcess[str]:
    """Python in a process of its own, as a user runs omnipub: one thread, so the outputs'
    check of a no-op build runs in a forked child beside the listing of the sources."""
    paths = [str(REPO), str(REPO / "channels"), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env)


def test_a_no_op_build_of_its_own_process_finds_a_deleted_or_altered_output(
    tmp_path: Path,
) -> None:
    root = copy_sample(tmp_path / "site")

    def cli_build() -> dict:
        done = python("-m", "omnipub", "build", str(root), "--json", "--quiet", "--at", FIXED_AT)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    cli_build()
    assert written(cli_build()) == 0  # answered from the stamp, every output looked at
    page, robots = root / "public/web/about/index.html", root / "public/web/robots.txt"
    original = page.read_bytes(), robots.read_bytes()
    page.unlink()
    assert written(cli_build()) == 1
    with robots.open("ab") as handle:
        handle.write(b"Sitemap: x\n")
    assert written(cli_build()) == 1
    assert (page.read_bytes(), robots.read_bytes()) == original
    assert written(cli_build()) == 0


def test_the_outputs_check_runs_in_a_child_process_and_answers_both_ways(
    tmp_path: Path,
) -> None:
    root = copy_sample(tmp_path / "site")
    build(root)
    script = (
        "import sys; from pathlib import Path\n"
        "from omnipub.outputs import IntactCheck, record_path\n"
        "root = Path(sys.argv[1]); out = (root / 'public').resolve()\n"
        "check = IntactCheck(out, record_path(root / '.omnipub', out))\n"
        "assert check._pid is not None, 'no child process'\n"
        "print(check.result())\n"
    )
    first = python("-c", script, str(root))
    assert first.stdout.split() == ["True"], first.stderr
    (root / "public/mobile/index.html").write_bytes(b"")
    assert python("-c", script, str(root)).stdout.split() == ["False"]
