"""A long build shows how far it is (files loaded, routes rendered, images encoded) on a
terminal and nowhere else, and its summary's seconds add up to the build."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from conftest import REPO, write_site
from omnipub.build import BuildOptions, build
from omnipub.cli import cli

SITE = """\
-- omnipub.toml --
[site]
title = "Shop"
timezone = "Europe/Oslo"
[languages.en]
name = "English"
[channels.web]
base_url = "https://w.example/"
page_size = 2
[channels.app]
base_url = "https://a.example/"
"""


def shop(root: Path, items: int = 6) -> Path:
    pages = "".join(
        f"-- content/news/n{i}.md --\n---\ntitle: News {i}\ndate: 2026-11-0{i % 9 + 1}\n"
        f"image: n{i}.jpg\n---\nBody {i}.\n"
        for i in range(items)
    )
    write_site(root, SITE + pages)
    for i in range(items):
        Image.new("RGB", (1300, 900), (40 * i % 255, 90, 160)).save(root / f"content/news/n{i}.jpg")
    return root


def test_every_stage_reports_progress_to_the_end(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    root = shop(tmp_path / "s")
    build(BuildOptions(root=root, progress=lambda *c: calls.append(c), write_lock=False))
    stages: dict[str, list[tuple[int, int]]] = {}
    for stage, done, total in calls:
        stages.setdefault(stage, []).append((done, total))
    assert {"load", "images"} <= set(stages) and any(s.startswith("render ") for s in stages)
    assert stages["load"][-1] == (6, 6)
    renders = [(d, t) for s, seen in stages.items() if s.startswith("render") for d, t in seen]
    assert [d for d, _t in renders] == sorted(d for d, _t in renders)
    assert renders[-1][0] == renders[-1][1] > 6
    images = stages["images"]
    assert [d for d, _t in images] == list(range(1, len(images) + 1))
    assert images[-1][0] == images[-1][1] >= 6 * 3


def table(output: str) -> tuple[dict[str, tuple[int, float]], float]:
    rows = {}
    for line in output.splitlines():
        cells = line.split()
        if cells and cells[0] in ("web", "app", "shared"):
            rows[cells[0]] = (int(cells[-2]) if cells[0] != "shared" else 0, float(cells[-1]))
    total = float(re.search(r" in ([\d.]+)s", output)[1])  # type: ignore[index]
    return rows, total


def test_the_summary_seconds_add_up_and_count_encoded_images(tmp_path: Path) -> None:
    root = shop(tmp_path / "s")
    done = CliRunner().invoke(cli, ["build", str(root)])
    assert done.exit_code == 0, done.output
    rows, total = table(done.output)
    assert set(rows) == {"web", "app", "shared"}
    assert abs(sum(seconds for _images, seconds in rows.values()) - total) <= 0.02
    assert rows["web"][0] == 6 * 3 and rows["app"][0] == 6 * 3  # three widths each
    assert "\r" not in done.output and "█" not in done.output  # not a terminal: no bar
    again = CliRunner().invoke(cli, ["build", str(root)])
    rows, total = table(again.output)
    assert "up to date" in again.output and rows["web"][0] == 0


def run_in_terminal(root: Path, env: dict[str, str]) -> str:
    """`omnipub build` with stderr on a pseudo-terminal; what the terminal showed."""
    leader, follower = pty.openpty()
    paths = [str(REPO), str(REPO / "channels"), os.environ.get("PYTHONPATH", "")]
    process = subprocess.Popen(
        [sys.executable, "-m", "omnipub", "build", str(root), "--no-cache"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p), **env},
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    assert process.wait(timeout=120) == 0, shown.decode(errors="replace")
    os.close(leader)
    return shown.decode(errors="replace")


def test_the_bar_is_drawn_on_a_terminal_and_not_in_ci(tmp_path: Path) -> None:
    root = shop(tmp_path / "s")
    env = {k: "" for k in ("CI",)}
    shown = run_in_terminal(root, env)
    assert "loading files" in shown and "encoding images" in shown and "rendering web" in shown
    assert shown.count("\x1b[K") >= 3 and "built 6 items" in shown
    quiet = run_in_terminal(root, {"CI": "true"})
    assert "encoding images" not in quiet and "\x1b[K" not in quiet and "6 items" in quiet
