"""Render: each channel turns its routes into artifacts, in memory.

A render failure in one output (a template error) is recorded and rendering goes on, so one
build reports every broken output at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .channel import Artifact, Channel, Route
from .context import RenderContext, Usage
from .diagnostics import Diagnostic, Location
from .templates import TemplateProblem


@dataclass
class ChannelOutput:
    artifacts: list[Artifact] = field(default_factory=list)
    #: route path -> what that render used (for incremental rebuilds)
    usage: dict[str, Usage] = field(default_factory=dict)


def _located(problem: TemplateProblem, route: Route) -> Diagnostic:
    diagnostic = problem.diagnostic
    if diagnostic.location is None and route.source:
        return Diagnostic(
            diagnostic.severity,
            diagnostic.code,
            diagnostic.message,
            Location(route.source),
            diagnostic.hint,
        )
    return diagnostic


def render_routes(channel: Channel, ctx: RenderContext, routes: list[Route]) -> ChannelOutput:
    out = ChannelOutput()
    for route in routes:
        ctx.begin()
        try:
            artifacts = channel.render(route, ctx)
        except TemplateProblem as problem:
            ctx.diagnostics.add(_located(problem, route))
            continue
        out.artifacts.extend(artifacts)
        out.usage[route.path] = ctx.usage
    return out


def render_channel(channel: Channel, ctx: RenderContext) -> ChannelOutput:
    """Check, render every route, then the channel's finishing outputs and assets."""
    channel.check(ctx.site, ctx)
    out = render_routes(channel, ctx, ctx.routes())
    ctx.begin()
    try:
        out.artifacts.extend(channel.finish(ctx.site, ctx))
    except TemplateProblem as problem:
        ctx.diagnostics.add(problem.diagnostic)
    out.artifacts.extend(ctx.assets())
    return out
