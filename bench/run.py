#!/usr/bin/env python3
"""Benchmark omnipub against the static site generators it finds, on one generated corpus.

    python bench/run.py --items 1000,10000 [--runs 3] [--json] [--peers hugo,pelican,mkdocs]

It installs nothing: install the peers you want compared first (see bench/README.md). Each
tool builds the same corpus (from ../shared/bench/gen_corpus.py, in each tool's own layout)
with an empty cache; runs alternate between tools and the median is reported, with CPU
time and peak memory of the build process. Then omnipub's incremental figures: a CI build
with a restored cache after a commit editing 10 items (checked byte-identical to a clean
build), a template edit, a no-op rebuild and a one-item edit.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "bench" / "gen_corpus.py"

CONFIG = """\
[site]
title = "Bench"
timezone = "UTC"
default_language = "en"

[languages.en]
name = "English"
locale = "en_GB"

[sections.news]
title = "News"
[sections.products]
title = "Products"
[sections.stores]
title = "Stores"
[sections.guides]
title = "Guides"

[types.article.fields]
price = { kind = "number" }
sku = { kind = "string" }

[channels.web]
base_url = "https://www.example.com/"
[channels.mobile]
base_url = "https://m.example.com/"
budget_kb = 200
[channels.app]
base_url = "https://api.example.com/app/"
[channels.signage]
base_url = "https://screens.example.com/"
[[channels.signage.stores]]
id = "main"
name = "Main"
timezone = "UTC"
[[channels.signage.screens]]
id = "main-door"
store = "main"
zone = "entrance"
resolution = "1920x1080"
"""


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall time, CPU time and peak RSS of one child process.

    The disk's dirty pages are flushed first (untimed): otherwise a tool pays for writing
    back what the tool run before it wrote, and alternating runs blur the comparison."""
    os.sync()
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stderr.read().decode()[-2000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}


def generate(corpus: Path, target: Path, items: int, layout: str, nested: int = 0) -> None:
    """Write the corpus of `items` pages in `layout`; `nested` folders deep below each
    section (with an _index.md in each) when above 0."""
    subprocess.run(
        [
            sys.executable,
            str(corpus),
            str(target),
            "--pages",
            str(items),
            "--layout",
            layout,
            "--images",
            *(["--nested", str(nested)] if nested else []),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def omnipub_site(corpus: Path, work: Path, items: int) -> Path:
    site = work / "omnipub"
    generate(corpus, site, items, "plain")
    (site / "omnipub.toml").write_text(CONFIG)
    return site


def omnipub_cold(site: Path) -> dict[str, float]:
    for folder in (".omnipub", "public"):
        shutil.rmtree(site / folder, ignore_errors=True)
    (site / "omnipub.lock").unlink(missing_ok=True)
    return run([sys.executable, "-m", "omnipub", "build", ".", "--quiet"], site)


PEERS = {
    "hugo": ("hugo", lambda site: ["hugo", "--quiet", "-s", str(site), "-d", str(site / "out")]),
    "pelican": (
        "pelican",
        lambda site: [
            sys.executable,
            "-m",
            "pelican",
            str(site / "content"),
            "-o",
            str(site / "out"),
            "-s",
            str(HERE / "peers/pelicanconf.py"),
            "-q",
        ],
    ),
    "mkdocs": (
        "mkdocs",
        lambda site: [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "-q",
            "-f",
            str(site / "mkdocs.yml"),
            "-d",
            str(site / "out"),
        ],
    ),
}


def peer_site(name: str, corpus: Path, work: Path, items: int) -> Path:
    site = work / name
    generate(corpus, site, items, name)
    if name == "hugo":
        (site / "hugo.toml").write_text('baseURL = "https://example.com/"\ntitle = "Bench"\n')
    if name == "mkdocs":
        (site / "mkdocs.yml").write_text("site_name: Bench\ndocs_dir: docs\n")
    return site


def available(name: str) -> bool:
    if name == "hugo":
        return shutil.which("hugo") is not None
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def edit(site: Path, count: int, seed: int) -> None:
    files = sorted((site / "content").rglob("*.md"))
    for path in random.Random(seed).sample(files, count):
        path.write_text(path.read_text() + f"\nEdited in benchmark run {seed}.\n")


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".omnipub" not in p.parts
    }


def incremental(site: Path, work: Path) -> dict[str, float]:
    """Warm CI, template edit, no-op and one-edit figures (seconds)."""
    build = [sys.executable, "-m", "omnipub", "build", ".", "--quiet"]
    omnipub_cold(site)
    cache = work / "ci-cache"
    shutil.rmtree(cache, ignore_errors=True)
    shutil.copytree(site / ".omnipub" / "cache", cache)
    lock = (site / "omnipub.lock").read_bytes()
    edit(site, 10, 1)
    # a CI runner: fresh output, the cache restored
    shutil.rmtree(site / "public")
    shutil.rmtree(site / ".omnipub")
    (site / ".omnipub").mkdir()
    shutil.copytree(cache, site / ".omnipub" / "cache")
    (site / "omnipub.lock").write_bytes(lock)
    ci = run(build, site)["wall"]
    clean = work / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    shutil.copytree(site, clean, ignore=shutil.ignore_patterns(".omnipub", "public"))
    (clean / "omnipub.lock").write_bytes(lock)
    run(build, clean)
    identical = tree(site / "public") == tree(clean / "public")
    noop = run(build, site)["wall"]
    edit(site, 1, 2)
    one = run(build, site)["wall"]
    templates = site / "templates" / "web"
    templates.mkdir(parents=True, exist_ok=True)
    (templates / "404.html").write_text(
        '{% extends "base.html" %}{% block main %}lost{% endblock %}'
    )
    template = run(build, site)["wall"]
    return {
        "ci_warm": ci,
        "identical": float(identical),
        "noop": noop,
        "one_edit": one,
        "template_edit": template,
    }


def serve_latency(site: Path, edits: int = 11) -> float:
    """Median seconds from saving one item to every channel's outputs being rebuilt in
    `omnipub serve` (in memory, incremental)."""
    sys.path.insert(0, str(HERE.parent))
    from omnipub.build import BuildOptions
    from omnipub.serve import start

    server, session, stop = start(BuildOptions(root=site, write_lock=False), "127.0.0.1", 0)
    files = sorted((site / "content").rglob("*.md"))
    samples = []
    try:
        time.sleep(0.5)
        for n in range(edits):
            version = session.version
            path = files[n * 7 % len(files)]
            started = time.perf_counter()
            path.write_text(path.read_text() + f"\nLive edit {n}.\n")
            while session.version == version:
                time.sleep(0.005)
            samples.append(time.perf_counter() - started)
    finally:
        stop.set()
        server.shutdown()
        time.sleep(1.0)  # let a rebuild under way finish before the folder goes
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", default="1000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peers", default="hugo,pelican,mkdocs")
    parser.add_argument("--corpus-script", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-incremental", action="store_true")
    parser.add_argument(
        "--serve-only",
        action="store_true",
        help="measure only omnipub serve's save-to-rebuilt latency (no cold builds, no peers)",
    )
    args = parser.parse_args()
    if not args.corpus_script.is_file():
        raise SystemExit(f"corpus generator not found: {args.corpus_script} (see --corpus-script)")
    peers = [p for p in args.peers.split(",") if p and available(p)]
    report: dict[str, object] = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "sizes": {},
    }
    for items in (int(n) for n in args.items.split(",")):
        with tempfile.TemporaryDirectory(
            prefix="omnipub-bench-", ignore_cleanup_errors=True
        ) as tmp:
            work = Path(tmp)
            sites = {"omnipub": omnipub_site(args.corpus_script, work, items)}
            if args.serve_only:
                latency = serve_latency(sites["omnipub"])
                print(
                    f"{items} items: omnipub serve, save to rebuilt (median of 11 edits): "
                    f"{latency * 1000:.0f} ms"
                )
                continue
            for name in peers:
                sites[name] = peer_site(name, args.corpus_script, work, items)
            samples: dict[str, list[dict[str, float]]] = {name: [] for name in sites}
            for _round in range(args.runs):
                for name, site in sites.items():  # alternate tools within each round
                    if name == "omnipub":
                        samples[name].append(omnipub_cold(site))
                    else:
                        shutil.rmtree(site / "out", ignore_errors=True)
                        samples[name].append(run(PEERS[name][1](site), site))
            rows = {
                name: {k: statistics.median(s[k] for s in runs) for k in ("wall", "cpu", "rss_mb")}
                for name, runs in samples.items()
            }
            result = {"cold": rows}
            if not args.no_incremental:
                result["omnipub"] = incremental(sites["omnipub"], work)
                result["omnipub"]["serve_edit"] = serve_latency(sites["omnipub"])
            report["sizes"][str(items)] = result  # type: ignore[index]
            if not args.json:
                print_table(items, result)
    if args.json:
        print(json.dumps(report, indent=1))


def print_table(items: int, result: dict) -> None:
    cold = result["cold"]
    base = cold["omnipub"]["wall"]
    print(f"\n{items} items")
    print(
        f"{'tool':<10} {'channels':<26} {'cold wall s':>11} {'CPU s':>8} {'peak MB':>8} "
        f"{'ratio to omnipub':>17}"
    )
    for name, row in cold.items():
        channels = "web, mobile, app, signage" if name == "omnipub" else "web (default outputs)"
        print(
            f"{name:<10} {channels:<26} {row['wall']:11.2f} {row['cpu']:8.2f} "
            f"{row['rss_mb']:8.0f} {row['wall'] / base:17.2f}"
        )
    inc = result.get("omnipub")
    if inc:
        print(
            f"omnipub warm CI build (10 edited items): {inc['ci_warm']:.2f}s, "
            f"byte-identical to a clean build: {'yes' if inc['identical'] else 'NO'}"
        )
        print(
            f"omnipub template edit: {inc['template_edit']:.2f}s "
            f"({inc['template_edit'] / base:.2f} x cold; target 0.3)"
        )
        print(f"omnipub no-op: {inc['noop']:.2f}s; one edit: {inc['one_edit']:.2f}s")
        print(
            f"omnipub serve, save to rebuilt (median of 5): {inc['serve_edit'] * 1000:.0f} ms "
            "(target 200 ms at 10,000 items)"
        )
        if "hugo" in cold:
            print(
                f"warm CI / Hugo: {inc['ci_warm'] / cold['hugo']['wall']:.2f} (target 0.1); "
                f"cold / Hugo: {base / cold['hugo']['wall']:.2f} (target 2)"
            )
        if "pelican" in cold:
            print(f"cold / Pelican: {base / cold['pelican']['wall']:.2f} (target 0.5)")


if __name__ == "__main__":
    main()
