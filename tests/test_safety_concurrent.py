"""One build at a time per site and per output folder: a second build waits (with a
message) or fails at once with `--no-wait`; builds never interleave."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXED_AT, REPO, tree_of, write_site

SITE = (
    "".join(
        f"""
-- content/news/n{i}.md --
---
title: News {i}
date: 2026-11-{i + 1:02d}
---
Item {i}.
"""
        for i in range(12)
    )
    + """
-- content/index.md --
---
title: Home
---
Welcome.
"""
)
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "channels")])}


def start(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "omnipub", "build", str(root), "--at", FIXED_AT, *args],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    _out, err = process.communicate(timeout=180)
    return process.returncode, err


def test_concurrent_builds_end_byte_identical_to_a_clean_build(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    fresh = tmp_path / "fresh"
    shutil.copytree(root, fresh)
    assert finish(start(fresh, "--no-cache"))[0] == 0
    for round_ in range(2):  # a fresh site, then an incremental build of an edited one
        builds = [start(root), start(root)]
        results = [finish(b) for b in builds]
        assert [code for code, _ in results] == [0, 0], results
        if round_ == 0:
            expected = tree_of(fresh / "public")
            page = root / "content/news/n3.md"
            page.write_text(page.read_text() + "\nEdited.\n")
            (fresh / "content/news/n3.md").write_text(page.read_text())
            shutil.rmtree(fresh / "public")
            assert finish(start(fresh, "--no-cache"))[0] == 0
        assert tree_of(root / "public") == (expected if round_ == 0 else tree_of(fresh / "public"))
    strays = [p for p in root.rglob("*") if p.name.endswith((".tmp", ".omnipub-new"))]
    assert strays == [] and sorted(os.listdir(tmp_path)) == ["fresh", "site"]


def test_a_second_build_waits_with_a_message_or_fails_with_no_wait(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    (root / ".omnipub").mkdir()
    with open(root / ".omnipub/build.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another build holds the site
        held.write("4242\n")
        held.flush()
        code, err = finish(start(root, "--no-wait"))
        assert code == 75
        assert "another build of this site is running (process 4242)" in err
        assert not (root / "public").exists()
        waiting = start(root)
        # read what it says until it says it waits (a loaded machine may take seconds to
        # start it: a fixed sleep would let the holder go before it ever got to the lock)
        said = []
        assert waiting.stderr is not None
        while line := waiting.stderr.readline():
            said.append(line)
            if "waiting for another build" in line:
                break
        assert "waiting for another build of this site (process 4242) to finish" in "".join(said)
        assert waiting.poll() is None  # still waiting
        held.seek(0)
        held.truncate()  # a holder that finished clears its name
    code, err = finish(waiting)
    assert code == 0, "".join(said) + err
    assert (root / "public/web/index.html").is_file()
