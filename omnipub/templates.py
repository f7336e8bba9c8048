"""Jinja environments per channel: site templates first, then the channel's built-ins.

Autoescape is always on for HTML and XML. Template errors become diagnostics naming the
template file, its line and the item being rendered, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import jinja2
from markupsafe import Markup

from . import i18n
from .config import SiteConfig
from .diagnostics import Diagnostic, Location, Severity


class TemplateProblem(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class RecordingLoader(jinja2.ChoiceLoader):
    """Remembers which file each template came from, for error messages and dependencies."""

    def __init__(self, loaders: list[jinja2.BaseLoader], site_root: Path) -> None:
        super().__init__(loaders)
        self.site_root = site_root
        self.origins: dict[str, str] = {}

    def get_source(self, environment: jinja2.Environment, template: str) -> Any:
        source, filename, uptodate = super().get_source(environment, template)
        if filename:
            self.origins[template] = _display(Path(filename), self.site_root)
        return source, filename, uptodate


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        parts = path.as_posix().split("/")
        if "omnipub_channels" in parts:
            return "/".join(parts[parts.index("omnipub_channels") :])
        return path.name


def make_environment(
    config: SiteConfig,
    channel: str,
    builtin_dir: Path | None,
    catalogue: i18n.Catalogue,
    fallbacks: tuple[Path, ...] = (),
) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = [
        jinja2.FileSystemLoader(str(config.templates_dir / channel)),
    ]
    if builtin_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(builtin_dir / "templates")))
    loaders.extend(jinja2.FileSystemLoader(str(folder)) for folder in fallbacks)
    # the site's own components (`components/<name>[.<channel>].html`), after every
    # channel's templates, so a channel's built-in component templates come first
    loaders.append(
        jinja2.PrefixLoader(
            {"components": jinja2.FileSystemLoader(str(config.root / "components"))}
        )
    )
    env = jinja2.Environment(
        loader=RecordingLoader(loaders, config.root),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "svg", "j2"), default_for_string=True
        ),
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=400,
    )
    env.filters.update(
        {
            "price": _price,
            "date": _date,
            "datetime": _datetime,
            "time": _time,
            "span": _span,
            "rfc3339": rfc3339,
            "tojson_compact": lambda v: Markup(json_dumps(v)),
        }
    )
    env.globals.update({"site": config, "t": catalogue.translate})
    return env


def translate(env: jinja2.Environment, text: str, lang: str, **values: object) -> str:
    """The templates' `t(text, lang, ...)` called from Python: the environment's catalogue
    (Jinja types its globals as plain objects)."""
    t = cast(Callable[..., str], env.globals["t"])
    return t(text, lang, **values)


def rfc3339(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.isoformat(timespec="seconds")


def json_dumps(value: Any) -> str:
    """Compact, sorted, and safe inside <script> (no '</' can close the tag)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _price(amount: Any, currency: str, locale: str = "en") -> str:
    return i18n.price(amount, currency, locale)


def _date(value: Any, locale: str = "en", form: str = "long") -> str:
    return i18n.date(value, locale, form) if value else ""


def _datetime(value: Any, locale: str = "en", form: str = "medium") -> str:
    return i18n.datetime(value, locale, form) if value else ""


def _span(start: Any, end: Any, locale: str = "en") -> str:
    return i18n.span(start, end, locale) if start and end else ""


def _time(value: Any, locale: str = "en", form: str = "short") -> str:
    return i18n.time(value, locale, form) if value else ""


def render_template(
    env: jinja2.Environment,
    names: tuple[str, ...] | list[str],
    context: dict[str, Any],
    rendering: str,
    used: Callable[[str], None] | None = None,
) -> str:
    """Render the first template of `names` that exists; map every failure to a diagnostic."""
    loader: RecordingLoader = env.loader  # type: ignore[assignment]
    try:
        template = env.select_template(list(names))
    except jinja2.TemplatesNotFound as exc:
        raise TemplateProblem(
            Diagnostic(
                Severity.ERROR,
                "template.missing",
                f"no template {' or '.join(names)} (rendering {rendering})",
                None,
                "add it under templates/<channel>/, or check the name in 'layout'",
            )
        ) from exc
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(_syntax(exc, loader)) from exc
    if used:
        used(template.name or names[0])
    try:
        return template.render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(_syntax(exc, loader)) from exc
    except Exception as exc:
        path, line = _template_frame(sys.exc_info()[2], loader)
        raise TemplateProblem(
            Diagnostic(
                Severity.ERROR,
                "template.runtime",
                f"{type(exc).__name__}: {exc} (rendering {rendering})",
                Location(path or str(template.name), line),
                "check the expression on that line",
            )
        ) from exc


def _syntax(exc: jinja2.TemplateSyntaxError, loader: RecordingLoader) -> Diagnostic:
    path = loader.origins.get(exc.name or "", exc.filename or exc.name or "template")
    if exc.filename and path == exc.filename:
        path = _display(Path(exc.filename), loader.site_root)
    return Diagnostic(
        Severity.ERROR,
        "template.syntax",
        f"template syntax error: {exc.message}",
        Location(path, exc.lineno),
        "check the tag on that line: every {% block %}, {% if %} and {% for %} needs its end",
    )


def _template_frame(tb: Any, loader: RecordingLoader) -> tuple[str | None, int | None]:
    found: tuple[str | None, int | None] = (None, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".txt", ".j2", ".svg", ".json")):
            found = (_display(Path(filename), loader.site_root), tb.tb_lineno)
        tb = tb.tb_next
    return found
