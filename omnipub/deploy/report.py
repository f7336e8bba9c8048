"""How `omnipub deploy` tells what it did (or, with --dry-run, would do)."""

from __future__ import annotations

import click

from .run import DeployReport


def print_report(report: DeployReport) -> None:
    verb = "would upload" if report.dry_run else "uploaded"
    gone = "would delete" if report.dry_run else "deleted"
    if report.dry_run:
        for number, stage in enumerate(report.stages, start=1):
            for channel, path in stage:
                click.echo(f"  stage {number}  upload  {channel}/{path}")
        for name, plan in report.channels.items():
            for path in plan.delete:
                click.echo(f"  last     delete  {name}/{path}")
    width = max((len(name) for name in report.channels), default=0)
    for name, plan in report.channels.items():
        click.echo(
            f"{name:<{width}}  {plan.url}: {verb} {len(plan.upload)} "
            f"({human(plan.uploaded_bytes)}), {plan.unchanged} unchanged, "
            f"{gone} {len(plan.delete)}",
            err=True,
        )
    for name in report.skipped:
        click.echo(f"{name:<{width}}  no [deploy.{name}] target: not deployed", err=True)
    total = sum(len(p.upload) + len(p.delete) for p in report.channels.values())
    if report.dry_run:
        click.echo(f"dry run: nothing was changed ({len(report.stages)} upload stage(s))", err=True)
    elif total:
        click.echo(f"deployed in {len(report.stages)} stage(s) in {report.seconds:.2f}s", err=True)
    else:
        click.echo(f"up to date: every target holds this build ({report.seconds:.2f}s)", err=True)


def human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
