"""Golden sites: every output file is checked in; `pytest --update-goldens` refreshes them.

A fixture site under tests/sites/ is a golden site when it has an `expected/` folder; the
others are read by the tests that name them."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from conftest import FIXED_AT, tree_of
from omnipub.build import BuildOptions, build

SITES = Path(__file__).parent / "sites"


@pytest.mark.parametrize(
    "name", sorted(p.name for p in SITES.iterdir() if (p / "expected").is_dir())
)
def test_golden_site(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    source = SITES / name
    root = tmp_path / name
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("expected"))
    build(BuildOptions(root=root, at=FIXED_AT, use_cache=False, write_lock=False))
    actual = {k: v for k, v in tree_of(root / "public").items() if not k.startswith(".omnipub/")}
    expected_dir = source / "expected"
    if request.config.getoption("--update-goldens"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        for rel, data in actual.items():
            (expected_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / rel).write_bytes(data)
        pytest.skip("goldens updated")
    expected = tree_of(expected_dir)
    assert sorted(actual) == sorted(expected), "output files differ from the golden list"
    problems = []
    for rel in sorted(expected):
        if actual[rel] != expected[rel]:
            try:
                diff = difflib.unified_diff(
                    expected[rel].decode().splitlines(),
                    actual[rel].decode().splitlines(),
                    f"expected/{rel}",
                    f"actual/{rel}",
                    lineterm="",
                    n=2,
                )
                problems.append("\n".join(list(diff)[:40]))
            except UnicodeDecodeError:
                problems.append(f"{rel}: binary content differs")
    assert not problems, "\n\n".join(problems) + "\n(run pytest --update-goldens to accept)"
