"""axe-core over HTTP on every web and mobile page of a generated site.

The test suite checks every page of the sample and one page of each kind of a small
generated site (tests/test_outputs_axe.py); this checks every page of a large one, which
takes too long for the suite:

    python bench/axe_corpus.py --items 1000 --nested 3

It generates the corpus (as `bench/run.py` does), builds its web and mobile channels,
serves each folder on 127.0.0.1 and runs axe in Chromium on every HTML page, then prints
the pages checked, the violations (by rule, then each one) and the seconds taken. The exit
status is 1 when any page has a violation. Results: RESULTS.md.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from axe_support import axe_violations, html_pages  # noqa: E402
from run import CONFIG, DEFAULT_CORPUS, generate  # noqa: E402

from conftest import CHROMIUM_ARGS, chromium_path  # noqa: E402
from omnipub.build import BuildOptions, build  # noqa: E402

CHANNELS = ("web", "mobile")
#: a fixed build instant, so every run checks the same pages
AT = "2026-12-01T12:00:00+01:00"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--nested", type=int, default=0, help="folders below each section")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="gen_corpus.py")
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="omnipub-axe-") as work:
        site = Path(work) / "site"
        generate(args.corpus, site, args.items, "plain", args.nested)
        (site / "omnipub.toml").write_text(CONFIG)
        started = time.perf_counter()
        build(BuildOptions(root=site, channels=CHANNELS, write_lock=False, at=AT))
        built = time.perf_counter() - started
        report: dict[str, dict[str, object]] = {}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            try:
                for channel in CHANNELS:
                    folder = site / "public" / channel
                    started = time.perf_counter()
                    checked, found = axe_violations(browser, folder, html_pages(folder))
                    report[channel] = {
                        "pages": checked,
                        "violations": found,
                        "seconds": round(time.perf_counter() - started, 1),
                    }
            finally:
                browser.close()
    if args.json:
        print(
            json.dumps(
                {
                    "items": args.items,
                    "nested": args.nested,
                    "build_seconds": built,
                    "channels": report,
                },
                indent=2,
            )
        )
    else:
        print(f"{args.items} items, nested {args.nested}: built in {built:.1f} s")
        for channel, row in report.items():
            found = row["violations"]
            assert isinstance(found, list)
            rules = collections.Counter(line.split(": ", 1)[1].split(" ", 1)[0] for line in found)
            print(
                f"{channel:7} {row['pages']} pages, {len(found)} violations "
                f"in {row['seconds']} s {dict(rules) or ''}"
            )
            for line in found:
                print("  " + line)
    return 1 if any(row["violations"] for row in report.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
