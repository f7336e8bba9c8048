"""The command line: build, check, list, new, deploy (and serve, where installed).

Exit codes: 0 success, 1 content or template errors, 2 usage errors. Anything else is a
bug: a short notice, and the traceback in `.omnipub/last-crash.log`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypedDict

import click

from . import __version__
from .build import BuildOptions, BuildSummary, build, owned, prepare
from .diagnostics import (
    EXIT_CONTENT,
    EXIT_USAGE,
    BuildFailed,
    Diagnostic,
    Diagnostics,
    OmnipubError,
    UsageError,
)
from .discover import SOURCE_FOLDERS
from .executors import executor_problem
from .outputs import IntactCheck
from .progress import ProgressLine
from .publish import read_manifest
from .schema import instant_problem
from .stamp import output_check, output_folder, unchanged


class _ListRow(TypedDict):
    """One item as `omnipub list` prints it."""

    source: str
    id: str
    lang: str
    type: str
    visibility: str | None
    urls: dict[str, str]


SITE = click.argument(
    "site", type=click.Path(file_okay=False, path_type=Path), default=".", required=False
)


def _check_at(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse a malformed --at as a usage error before any work is done."""
    problem = None if value is None else instant_problem(value)
    if problem:
        raise click.BadParameter(problem, ctx, param)
    return value


def _check_executor(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse an unknown --executor before the build, which meets it only when it renders."""
    problem = None if value is None else executor_problem(value)
    if problem:
        raise click.BadParameter(problem, ctx, param)
    return value


def at_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--at WHEN`, the same on every command that builds as of an instant."""
    return click.option("--at", "at", metavar="WHEN", callback=_check_at, help=help)


def _print_diagnostics(items: list[Diagnostic], quiet: bool = False) -> None:
    for diagnostic in items:
        if quiet and diagnostic.severity.value == "warning":
            continue
        click.echo(diagnostic.format(), err=True)


def _crash_log(site: Path) -> Path:
    folder = site / ".omnipub"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "last-crash.log"
        path.write_text(traceback.format_exc(), encoding="utf-8")
        return path
    except OSError:
        return Path("last-crash.log")


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Map user errors to messages and exit codes; never show a traceback to a user."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        site = kwargs.get("site") or Path(".")
        as_json = kwargs.get("as_json", False)
        try:
            return func(*args, **kwargs)
        except BuildFailed as exc:
            if as_json:
                report = _failure_report([*exc.diagnostics, *exc.warnings])
                click.echo(json.dumps(report, indent=1))
            # warnings first: the errors, which must be fixed, end next to the summary
            _print_diagnostics([*exc.warnings, *exc.diagnostics], kwargs.get("quiet", False))
            click.secho(
                f"build failed: {exc}; the previous output is untouched",
                fg="red",
                err=True,
            )
            sys.exit(EXIT_CONTENT)
        except UsageError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            if exc.hint:
                click.echo(f"  hint: {exc.hint}", err=True)
            sys.exit(EXIT_USAGE)
        except OmnipubError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except click.exceptions.Exit:
            raise
        except Exception as exc:  # a bug in omnipub, not a user error
            log = _crash_log(Path(site))
            click.secho(
                f"omnipub crashed ({type(exc).__name__}: {exc}). This is a bug in omnipub, "
                f"not in your site.\n  the traceback is in {log}; please include it in a "
                "bug report",
                fg="red",
                err=True,
            )
            sys.exit(70)

    return wrapper


def _failure_report(diagnostics: list[Diagnostic]) -> dict[str, Any]:
    return {
        "ok": False,
        "errors": [d.as_json() for d in diagnostics if d.severity.value == "error"],
        "warnings": [d.as_json() for d in diagnostics if d.severity.value == "warning"],
    }


def _report(result: BuildSummary) -> dict[str, Any]:
    return {
        "ok": True,
        "at": result.at.isoformat(),
        "channels": {
            name: {
                "outputs": r.outputs,
                "rendered": r.rendered,
                "reused": r.reused,
                "bytes": r.bytes,
                "written": r.written,
                "unchanged": r.unchanged,
                "removed": r.removed,
                "images": r.images,
                "seconds": round(r.seconds, 3),
            }
            for name, r in result.reports.items()
        },
        "items": {
            "total": result.items,
            "visible": result.visible,
            "hidden": result.items - result.visible,
        },
        "warnings": [d.as_json() for d in result.warnings],
        "errors": [],
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
    }


def _summary(result: BuildSummary, out_dir: Path) -> None:
    """A table whose seconds add up to the build: each channel's rendering and publishing
    (its images encoded), then one row for the stages every channel shares."""
    total = sum(result.timings.values())
    rows = [("channel", "outputs", "written", "size", "images", "seconds")]
    for name, r in result.reports.items():
        rows.append(
            (
                name,
                str(r.outputs),
                str(r.written),
                _size(r.bytes),
                str(r.images),
                f"{r.seconds:.2f}",
            )
        )
    shared = max(0.0, total - sum(r.seconds for r in result.reports.values()))
    rows.append(("shared", "", "", "", "", f"{shared:.2f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        line = "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        )
        click.echo(click.style(line, bold=True) if index == 0 else line, err=True)
    # the shared row in parts: the stages before and after rendering, and the rest of
    # publishing (writing files, swapping folders; each channel's images are its own)
    parts = {k: v for k, v in result.timings.items() if k not in ("render", "publish")}
    parts["writing"] = max(0.0, shared - sum(parts.values()))
    click.echo("  shared: " + ", ".join(f"{k} {v:.2f}" for k, v in parts.items()), err=True)
    warnings = len(result.warnings)
    if any(r.written or r.removed for r in result.reports.values()):
        line = f"built {result.visible} items into {out_dir} in {total:.2f}s"
    else:
        line = f"up to date: {result.visible} items in {out_dir}, checked in {total:.2f}s"
    if warnings:
        line += f" with {warnings} warning(s)"
    click.echo(line, err=True)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="omnipub")
def cli() -> None:
    """Publish Markdown content once to every channel: web, mobile, apps and signage.

    Run `omnipub build` in a site folder (one with omnipub.toml) to build every channel
    into public/. `omnipub COMMAND --help` tells more about each command.
    """


@cli.command("build")
@SITE
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: public/ in the site).",
)
@click.option(
    "--channel",
    "channels",
    multiple=True,
    metavar="NAME",
    help="Build only this channel; repeat for several.",
)
@at_option("Build as of this instant, e.g. 2026-12-24T09:00 (default: now).")
@click.option("--drafts", is_flag=True, help="Include drafts.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (for CI).")
@click.option("--quiet", "-q", is_flag=True, help="Print errors only.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@click.option("--watch", is_flag=True, help="Rebuild when sources change.")
@click.option(
    "--executor",
    "executor",
    metavar="KIND",
    callback=_check_executor,
    help="Where renders run: serial, process (default on several cores), "
    "dask-local or dask://HOST:PORT (needs omnipub[dask]).",
)
@click.option("--no-cache", is_flag=True, help="Ignore and do not write .omnipub/cache.")
@click.option(
    "--no-wait",
    is_flag=True,
    help="Fail at once (exit 75) when another build of the site or output folder is running.",
)
@click.option(
    "--report",
    "report",
    type=click.Choice(["weight"]),
    multiple=True,
    help="Print an extra report: 'weight' (mobile page weight).",
)
@click.option(
    "--allow-removed",
    "allow_removed",
    type=click.Choice([name for name in SOURCE_FOLDERS if name != "content"]),
    multiple=True,
    metavar="FOLDER",
    help="A source folder the last build read (static, templates, ...) is gone on purpose.",
)
@guarded
def build_command(
    site: Path,
    out: Path | None,
    channels: tuple[str, ...],
    at: str | None,
    drafts: bool,
    strict: bool,
    quiet: bool,
    as_json: bool,
    watch: bool,
    executor: str | None,
    no_cache: bool,
    no_wait: bool,
    report: tuple[str, ...],
    allow_removed: tuple[str, ...],
) -> None:
    """Build SITE (default: the current folder) into its output folder."""
    options = BuildOptions(
        root=site,
        out_dir=out,
        channels=channels,
        at=at,
        drafts=drafts,
        strict=strict,
        executor=executor,
        use_cache=not no_cache,
        wait=not no_wait,
        report=lambda message: click.echo(message, err=True),
        allow_removed=allow_removed,
    )
    if watch:
        from .watch import watch_and_build

        watch_and_build(options, quiet=quiet)
        return
    # a progress line on a terminal only: not in CI logs, not under --quiet or --json
    progress = ProgressLine(sys.stderr)
    if sys.stderr.isatty() and not quiet and not as_json and not os.environ.get("CI"):
        options.progress = progress
    started = time.perf_counter()
    # the outputs' check runs beside the listing of the sources (see `IntactCheck`)
    checks: list[IntactCheck] = []
    prepared = prepare(options, lambda config: checks.append(output_check(options, config)))
    try:
        with owned(options, prepared.config) as waited:
            if waited:  # the build we waited for may have changed what we listed
                checks[0].close()
                prepared = prepare(options)
            summary = unchanged(options, prepared, None if waited else checks[0])
            if summary is not None:
                summary.timings["check"] = time.perf_counter() - started
                manifest = (read_manifest(output_folder(options, prepared)) or {}) if report else {}
            else:
                result = build(options, prepared=prepared)
                summary = result.summary()
                manifest = result.published.manifest if result.published else {}
    finally:
        progress.clear()
        for check in checks:
            check.close()
    built_channels = prepared.channels
    out_dir = out or (site / prepared.config.output_dir)
    if as_json:
        click.echo(json.dumps(_report(summary), indent=1, sort_keys=True))
    if not quiet:
        _print_diagnostics(summary.warnings)
    if not quiet and not as_json:
        _summary(summary, out_dir)
    for name in report:
        for channel in built_channels:
            printer = getattr(channel, f"report_{name}", None)
            if printer:
                click.echo(printer(manifest.get(channel.name, {})))


@cli.command("check")
@SITE
@at_option("Check as of this instant.")
@click.option("--drafts", is_flag=True, help="Include drafts.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--links", is_flag=True, help="Every internal link, image, pair and QR target resolves."
)
@click.option("--leaks", is_flag=True, help="No output carries a hidden item's id, title or slug.")
@click.option(
    "--consistency", is_flag=True, help="Every item states the same facts on every channel."
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@guarded
def check_command(
    site: Path,
    at: str | None,
    drafts: bool,
    strict: bool,
    links: bool,
    leaks: bool,
    consistency: bool,
    as_json: bool,
) -> None:
    """Validate SITE completely (content, links, templates) without writing anything, and
    audit the outputs as their clients would read them."""
    from .checks import check_consistency, check_leaks, check_links
    from .links import unreferenced_assets
    from .publish import MemorySink

    options = BuildOptions(root=site, at=at, drafts=drafts, strict=strict, write_lock=False)
    sink = MemorySink()
    result = build(options, sink=sink)
    assets = [s.rel for s in result.state.sources if s.kind == "asset"] if result.state else []
    unreferenced_assets(result.site, assets, result.diagnostics)
    for channel in result.channels:  # what only a check reports (see `Channel.advise`)
        channel.advise(result.site, result.contexts[channel.name])
    # under --strict the check's own warnings are errors, reported with the audits'
    problems: list[Diagnostic] = list(result.diagnostics.errors)
    for wanted, audit in (
        (links, check_links),
        (leaks, check_leaks),
        (consistency, check_consistency),
    ):
        if wanted:
            problems.extend(audit(result, sink))
    if problems:
        raise BuildFailed(problems, result.diagnostics.warnings)
    if as_json:
        click.echo(json.dumps(_report(result.summary()), indent=1, sort_keys=True))
    _print_diagnostics(result.diagnostics.warnings)
    if len(result.site.languages) > 1 and not as_json:
        from .coverage import report as coverage_report

        click.echo(coverage_report(result.site, [c.name for c in result.channels]))
    audits = [
        n for n, on in (("links", links), ("leaks", leaks), ("consistency", consistency)) if on
    ]
    click.echo(
        f"ok: {len(result.site.visible())} items, "
        f"{len(result.diagnostics.warnings)} warning(s), no errors"
        + (f"; audits passed: {', '.join(audits)}" if audits else ""),
        err=True,
    )


@cli.command("list")
@SITE
@at_option("Visibility as of this instant.")
@click.option("--drafts", is_flag=True, help="Include drafts.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@guarded
def list_command(site: Path, at: str | None, drafts: bool, as_json: bool) -> None:
    """List every item, its visibility and its URL in each channel."""
    from .publish import MemorySink

    options = BuildOptions(root=site, at=at, drafts=drafts, write_lock=False)
    result = build(options, sink=MemorySink())
    rows: list[_ListRow] = []
    for item in result.site.items:
        urls = {
            c.name: result.plan.item_routes.get((c.name, item.id, item.lang))
            for c in result.channels
        }
        rows.append(
            {
                "source": item.rel,
                "id": item.id,
                "lang": item.lang,
                "type": item.type,
                "visibility": "visible" if item.visible else item.hidden_reason,
                "urls": {name: r.url for name, r in urls.items() if r},
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=1, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['source']}  [{row['type']}, {row['lang']}, {row['visibility']}]")
        for name, url in row["urls"].items():
            click.echo(f"    {name:<8} {url}")


@cli.group("lock")
def lock_group() -> None:
    """Work with omnipub.lock, the file that keeps item ids stable."""


@lock_group.command("merge")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@guarded
def lock_merge_command(paths: tuple[Path, ...]) -> None:
    """Resolve a git conflict in omnipub.lock, keeping the ids of both sides.

    With no argument (or a site folder): the conflict markers in SITE/omnipub.lock. With
    three files BASE OURS THEIRS: a git merge driver (`omnipub lock merge %O %A %B`), which
    writes the merge into OURS. Every choice between two sides is printed."""
    from .lockfile import LOCK_NAME, dumps, merge, parse, sides

    if len(paths) == 3:
        base_path, ours_path, theirs_path = paths
        base = parse(base_path.read_bytes()) if base_path.stat().st_size else None
        merged, notes = merge(base, parse(ours_path.read_bytes()), parse(theirs_path.read_bytes()))
        target = ours_path
    elif len(paths) <= 1:
        target = (paths[0] if paths else Path(".")) / LOCK_NAME
        if not target.is_file():
            raise UsageError(f"{target} does not exist", "run it in a site folder")
        ours, theirs, base_text = sides(target.read_bytes().decode("utf-8", "replace"))
        base = parse(base_text.encode()) if base_text is not None else None
        merged, notes = merge(base, parse(ours.encode()), parse(theirs.encode()))
    else:
        raise UsageError(
            "give a site folder, or three files BASE OURS THEIRS (as a git merge driver)"
        )
    for note in notes:
        click.echo(f"lock merge: {note}", err=True)
    from .atomic import write_bytes

    write_bytes(target, dumps(merged).encode("utf-8"))
    click.echo(f"merged {target}: {len(merged.ids)} ids, {len(merged.retired)} retired", err=True)


@cli.command("new")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@guarded
def new_command(directory: Path) -> None:
    """Create a new site in DIRECTORY, ready to build."""
    from .scaffold import scaffold

    scaffold(directory)
    click.echo(f"created a new site in {directory}; next: cd {directory} && omnipub build")


@cli.command("deploy")
@SITE
@click.option(
    "--channel",
    "channels",
    multiple=True,
    metavar="NAME",
    help="Deploy only this channel; repeat for several (default: every channel with a target).",
)
@click.option(
    "--dry-run", is_flag=True, help="Show what would be uploaded and deleted; change nothing."
)
@click.option(
    "--max-deletes",
    type=click.IntRange(min=0),
    metavar="N",
    help="Refuse to delete more than N files per target (default: [deploy] max_deletes, 256).",
)
@click.option("--force", is_flag=True, help="Delete however many files the build removed.")
@click.option(
    "--verify",
    is_flag=True,
    help="List the target and compare it file by file, instead of trusting its recorded state.",
)
@click.option(
    "--pull-state",
    is_flag=True,
    help="Only merge what the targets recorded (app history, published ids) into "
    "omnipub.lock, for the build that follows; upload nothing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@guarded
def deploy_command(
    site: Path,
    channels: tuple[str, ...],
    dry_run: bool,
    max_deletes: int | None,
    force: bool,
    verify: bool,
    pull_state: bool,
    as_json: bool,
) -> None:
    """Upload the last build of SITE to the targets in omnipub.toml's [deploy] tables:
    only changed files, each after the files it references, entry points last, deletions
    at the end."""
    from .deploy import DeployConfigError, DeployOptions, DeployRefused, deploy
    from .deploy import pull_state as pull
    from .deploy.report import print_report

    try:
        if pull_state:
            others = [
                name
                for name, given in (
                    ("--dry-run", dry_run),
                    ("--max-deletes", max_deletes is not None),
                    ("--force", force),
                    ("--verify", verify),
                )
                if given
            ]
            if others:
                raise UsageError(
                    f"--pull-state uploads nothing, so {', '.join(others)} would do nothing",
                    "run 'omnipub deploy --pull-state' before the build, and 'omnipub deploy' "
                    "with the other options after it",
                )
            lines = pull(site, channels)
            if as_json:
                click.echo(json.dumps({"ok": True, "notes": lines}, indent=1))
            for line in lines:
                click.echo(line, err=True)
            return
        options = DeployOptions(site, channels, dry_run, max_deletes, force, verify)
        report = deploy(options)
    except DeployConfigError as exc:
        _print_diagnostics(exc.diagnostics)
        sys.exit(EXIT_USAGE)
    except DeployRefused as exc:
        if as_json:
            click.echo(json.dumps({"ok": False, "error": str(exc)}, indent=1))
        click.secho(f"error: {exc}", fg="red", err=True)
        click.echo(f"  hint: {exc.hint}", err=True)
        sys.exit(EXIT_CONTENT)
    except OmnipubError as exc:
        if as_json:  # a machine reading stdout learns it failed, and why
            click.echo(json.dumps({"ok": False, "error": str(exc)}, indent=1))
        raise
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=1, sort_keys=True))
    else:
        print_report(report)


@cli.command("import")
@click.argument("generator", type=click.Choice(["hugo", "jekyll", "eleventy"]))
@click.argument("src", type=click.Path(file_okay=False, path_type=Path))
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Write into DEST even if it is not empty.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@guarded
def import_command(generator: str, src: Path, dest: Path, force: bool, as_json: bool) -> None:
    """Write an omnipub site in DEST from the Hugo, Jekyll or Eleventy site in SRC.

    Prints what was converted and what needs a person (with path:line), then builds the
    new site in memory: exit 0 when it builds, 1 when it does not."""
    from .importers import run_import

    report = run_import(generator, src, dest, force=force)
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=1, ensure_ascii=False))
    else:
        click.echo(report.format())
        for problem in report.build_problems:
            where = ":".join(
                str(problem[k]) for k in ("path", "line") if problem.get(k) is not None
            )
            click.echo(
                f"  {where + ': ' if where else ''}{problem.get('severity')}: "
                f"{problem.get('message')}",
                err=True,
            )
        if report.build_ok:
            click.echo(f"the new site builds: cd {dest} && omnipub build", err=True)
    if not report.build_ok:
        click.secho(
            f"the new site in {dest} does not build yet: fix the errors above", fg="red", err=True
        )
        sys.exit(EXIT_CONTENT)


@cli.command("serve")
@SITE
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; the default is reachable from this machine only.",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="Another host name to answer to (besides localhost, IP addresses and --host); "
    "repeat for several.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the site in a browser.")
@click.option("--drafts", is_flag=True, help="Include drafts.")
@guarded
def serve_command(
    site: Path,
    port: int,
    host: str,
    allow_hosts: tuple[str, ...],
    open_browser: bool,
    drafts: bool,
) -> None:
    """Serve SITE with live reload: the canonical channel at /, the others at /_/<channel>/,
    and the preview board at /_preview/."""
    import threading
    import webbrowser

    from .serve import start

    options = BuildOptions(root=site, drafts=drafts, write_lock=False)
    server, session, stop = start(
        options, host, port, lambda text: click.echo(text, err=True), allow_hosts
    )
    url = session.base
    click.echo(f"serving {site} at {url} (preview: {url}_preview/); Ctrl+C to stop", err=True)
    if open_browser:
        webbrowser.open(url)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        stop.set()
        server.shutdown()


def main() -> None:
    try:
        cli(prog_name="omnipub")
        code: int | str | None = 0
    except SystemExit as done:
        code = done.code
    if sys.gettrace() is not None or sys.getprofile() is not None:
        sys.exit(code)  # a profiler or coverage tool reports at exit: let it
    # Every output is written and closed by now (atomic renames), and worker pools are shut
    # down. What is left is freeing the site model object by object, which takes seconds
    # after a large build and serves no one: flush what was printed and leave.
    if isinstance(code, str):
        click.echo(code, err=True)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`| head`)
            stream.flush()
    os._exit(code or 0)


__all__ = ["cli", "main", "Diagnostics"]
