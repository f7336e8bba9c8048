"""Bad user input on every path: a clear error and its exit code, never a crash (exit 70)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXED_AT, MINIMAL_CONFIG, copy_sample, write_site
from omnipub.build import BuildOptions
from omnipub.cli import cli

GOOD = """\
-- content/articles/_index.md --
---
title: Journal
cascade: {type: article}
---
-- content/articles/ok.md --
---
title: A good article
date: 2026-01-01
---
Fine.
"""


def invoke(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout and everything printed (stdout and stderr)."""
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.output


def test_check_json_prints_the_report(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", GOOD)
    code, stdout, output = invoke("check", str(root), "--at", FIXED_AT, "--json")
    assert code == 0, output
    report = json.loads(stdout)
    assert report["ok"] is True and report["errors"] == []
    assert report["at"].startswith("2026-12-01T12:00:00")
    assert report["items"]["visible"] == 1


BAD_DATES = {
    "date": ("content/articles/bad.md", "title: x\ndate: 2026-13-45\n", "3:7", "month must be"),
    "updated": ("content/articles/bad.md", "title: x\nupdated: 2026-02-30\n", "3:10", "day is"),
    "publish_at": (
        "content/articles/bad.md",
        "title: x\npublish_at: 2026-12-01T25:00\n",
        "3:13",
        "hour must be in 0..23",
    ),
    "expire_at": (
        "content/articles/bad.md",
        "title: x\nexpire_at: '2026-12-01T09:00+25:00'\n",
        "3:12",
        "the UTC offset must be between",
    ),
    "valid_from": (
        "content/promotions/bad.md",
        "title: x\ntype: promotion\nvalid_from: 2026-00-10\nvalid_until: 2026-12-31\n",
        "4:13",
        "month must be in 1..12",
    ),
    "valid_until": (
        "content/promotions/bad.md",
        "title: x\ntype: promotion\nvalid_from: 2026-01-10\nvalid_until: 2026-12-32\n",
        "5:14",
        "day is out of range",
    ),
    "start": (
        "content/events/bad.md",
        "title: x\ntype: event\nstore: oslo\nstart: 2026-13-01T10:00\nend: 2026-12-01\n",
        "5:8",
        "month must be in 1..12",
    ),
    "end": (
        "content/events/bad.md",
        "title: x\ntype: event\nstore: oslo\nstart: 2026-12-01\nend: 2026-02-29\n",
        "6:6",
        "day is out of range",
    ),
}


@pytest.mark.parametrize("field", sorted(BAD_DATES))
def test_a_date_that_does_not_exist_is_a_located_error(tmp_path: Path, field: str) -> None:
    rel, front, where, why = BAD_DATES[field]
    root = write_site(tmp_path / "site", GOOD + f"-- {rel} --\n---\n{front}---\n")
    code, _stdout, output = invoke("build", str(root), "--at", FIXED_AT)
    assert code == 1, output
    assert f"{rel}:{where}: error[front-matter.type]: '{field}' must be a date" in output
    assert why in output and "hint: write it as 2026-12-01" in output
    assert "crashed" not in output


def test_a_bad_date_in_a_cascade_is_reported_once_where_it_is_written(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site",
        GOOD.replace("cascade: {type: article}", "cascade: {type: article, date: 2026-14-01}")
        + "-- content/articles/two.md --\n---\ntitle: Two\n---\n",
    )
    code, _stdout, output = invoke("build", str(root), "--at", FIXED_AT)
    assert code == 1, output
    assert (
        "content/articles/_index.md:3:32: error[front-matter.type]: 'cascade.date' must be a "
        "date, got '2026-14-01' (month must be in 1..12)" in output
    )
    assert output.count("error[") == 1, output
    assert "build failed: 1 error" in output


@pytest.mark.parametrize("command", ["build", "check", "list"])
@pytest.mark.parametrize(
    ("at", "why"),
    [
        ("tomorrow", "got 'tomorrow';"),
        ("2026-13-40", "got '2026-13-40' (month must be in 1..12);"),
        ("2026-12-01T09:00+25:00", "(the UTC offset must be between -23:59 and +23:59);"),
    ],
)
def test_a_bad_at_is_a_usage_error_naming_the_formats(
    tmp_path: Path, command: str, at: str, why: str
) -> None:
    root = write_site(tmp_path / "site", GOOD)
    code, _stdout, output = invoke(command, str(root), "--at", at)
    assert code == 2, output
    assert "Error: Invalid value for '--at': must be a date" in output
    assert why in output
    assert "write 2026-12-24, 2026-12-24T09:00 or 2026-12-24T09:00:00+01:00" in output
    assert "crashed" not in output
    assert not (root / "public").exists()


@pytest.mark.parametrize("at", ["garbage", "2026-13-40", "2026-12-01T09:00%2B25:00"])
def test_preview_with_a_bad_at_answers_400_without_a_traceback(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], at: str
) -> None:
    from omnipub.serve import start

    root = write_site(tmp_path / "site", GOOD)
    httpd, _session, stop = start(BuildOptions(root=root, executor="serial"), "127.0.0.1", 0)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/_preview/?at={at}"
    try:
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(url, timeout=10)
        assert answer.value.code == 400
        assert answer.value.headers["Content-Type"].startswith("text/plain")
        body = answer.value.read().decode()
        assert body.startswith("bad 'at': must be a date, got "), body
        assert "write 2026-12-24, 2026-12-24T09:00" in body
        time.sleep(0.1)  # a handler thread that crashed prints after its reply
    finally:
        stop.set()
        httpd.shutdown()
    assert "Traceback" not in capfd.readouterr().err


ONE_ERROR_ONE_WARNING = GOOD + (
    "-- content/articles/bad.md --\n---\ntitle: Bad\n---\nSee [nothing](nothing.md).\n"
    "-- content/articles/odd.md --\n---\ntitle: Odd\ncolour: red\n---\n"
)
ERROR = "content/articles/bad.md:4:15: error[link.broken]"
WARNING = "content/articles/odd.md:3: warning[front-matter.unknown]: unknown field 'colour'"


@pytest.mark.parametrize("command", ["build", "check"])
def test_a_failing_build_reports_its_warnings_with_its_errors(tmp_path: Path, command: str) -> None:
    root = write_site(tmp_path / "site", ONE_ERROR_ONE_WARNING)
    code, _stdout, output = invoke(command, str(root), "--at", FIXED_AT)
    assert code == 1, output
    assert ERROR in output and WARNING in output
    assert output.index(WARNING) < output.index(ERROR), "errors come last, by the summary"
    assert "build failed: 1 error, 1 warning;" in output


@pytest.mark.parametrize("command", ["build", "check"])
def test_a_failing_json_report_lists_warnings_too(tmp_path: Path, command: str) -> None:
    root = write_site(tmp_path / "site", ONE_ERROR_ONE_WARNING)
    code, stdout, output = invoke(command, str(root), "--at", FIXED_AT, "--json")
    assert code == 1, output
    report = json.loads(stdout)
    assert report["ok"] is False
    assert [(d["path"], d["code"]) for d in report["errors"]] == [
        ("content/articles/bad.md", "link.broken")
    ]
    assert [(d["path"], d["code"]) for d in report["warnings"]] == [
        ("content/articles/odd.md", "front-matter.unknown")
    ]


def test_quiet_hides_warnings_but_the_summary_counts_them(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", ONE_ERROR_ONE_WARNING)
    code, _stdout, output = invoke("build", str(root), "--at", FIXED_AT, "--quiet")
    assert code == 1, output
    assert ERROR in output and WARNING not in output
    assert "build failed: 1 error, 1 warning;" in output


def test_a_failed_audit_in_check_keeps_the_warnings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from omnipub import checks
    from omnipub.diagnostics import Diagnostic, Severity

    odd = "-- content/articles/odd.md --\n---\ntitle: Odd\ncolour: red\n---\n"
    root = write_site(tmp_path / "site", GOOD + odd)
    failing = Diagnostic(Severity.ERROR, "audit.test", "an audit failed")
    monkeypatch.setattr(checks, "check_links", lambda result, sink: [failing])
    code, stdout, output = invoke("check", str(root), "--at", FIXED_AT, "--links", "--json")
    assert code == 1, output
    assert "error[audit.test]: an audit failed" in output and WARNING in output
    assert "build failed: 1 error, 1 warning;" in output
    assert [d["code"] for d in json.loads(stdout)["warnings"]] == ["front-matter.unknown"]


def test_a_failed_watch_rebuild_reports_its_warnings_too(tmp_path: Path) -> None:
    from omnipub.watch import rebuild

    root = write_site(tmp_path / "site", ONE_ERROR_ONE_WARNING)
    lines: list[str] = []
    assert rebuild(BuildOptions(root=root, at=FIXED_AT, executor="serial"), lines.append) is None
    text = "\n".join(lines)
    assert ERROR in text and WARNING in text
    assert "build failed: 1 error, 1 warning;" in text


BAD_CONFIG = {
    "site is not a table": ('site = "x"\n', "omnipub.toml:1: error[config.value]: 'site' must"),
    "a language is not a table": (
        MINIMAL_CONFIG.replace('[languages.en]\nname = "English"\nlocale = "en_GB"', "")
        + '[languages]\nen = "English"\n',
        "error[config.value]: 'languages.en' must be a table, got 'English'",
    ),
    "max_file_mb is not a number": (
        MINIMAL_CONFIG.replace("[site]\n", '[site]\nmax_file_mb = "big"\n'),
        "omnipub.toml:2: error[config.value]: 'site.max_file_mb' must be a number",
    ),
    "silence is not a list": (
        MINIMAL_CONFIG.replace("[site]\n", "[site]\nsilence = 3\n"),
        "omnipub.toml:2: error[config.value]: 'site.silence' must be a list of text, got '3'",
    ),
    "build.channels is not a list": (
        MINIMAL_CONFIG + '[build]\nchannels = "web"\n',
        "error[config.value]: 'build.channels' must be a list of text, got 'web'",
    ),
    "a field is not a table": (
        MINIMAL_CONFIG + '[types.article.fields]\ncolour = "int"\n',
        "error[config.value]: 'types.article.fields.colour' must be a table, got 'int'",
    ),
    "choices is not a list": (
        MINIMAL_CONFIG + '[types.article.fields]\ncolour = {kind = "enum", choices = 3}\n',
        "error[config.value]: 'types.article.fields.colour.choices' must be a list of text",
    ),
    "a section is not a table": (
        MINIMAL_CONFIG + '[sections]\narticles = "Journal"\n',
        "error[config.value]: 'sections.articles' must be a table, got 'Journal'",
    ),
    "allow_html is quoted": (
        MINIMAL_CONFIG + '[markdown]\nallow_html = "no"\n',
        "error[config.value]: 'markdown.allow_html' must be true or false, got 'no'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIG))
def test_a_bad_config_value_is_a_located_error(tmp_path: Path, case: str) -> None:
    toml, message = BAD_CONFIG[case]
    root = write_site(tmp_path / "site", GOOD + "-- omnipub.toml --\n" + toml)
    code, _stdout, output = invoke("build", str(root), "--at", FIXED_AT)
    assert code == 1, output
    assert message in output and "hint:" in output
    assert "crashed" not in output


@pytest.mark.parametrize("executor", ["bogus", "", "dask://"])
def test_an_unknown_executor_is_a_usage_error(tmp_path: Path, executor: str) -> None:
    root = write_site(tmp_path / "site", GOOD)
    code, _stdout, output = invoke("build", str(root), "--at", FIXED_AT, "--executor", executor)
    assert code == 2, output
    assert "Error: Invalid value for '--executor': unknown executor" in output
    assert "use serial, process, dask-local or dask://HOST:PORT" in output


def test_an_unreachable_dask_scheduler_is_a_usage_error(tmp_path: Path) -> None:
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    root = write_site(tmp_path / "site", GOOD)
    with dask.config.set({"distributed.comm.timeouts.connect": "0.5s"}):
        code, _stdout, output = invoke(
            "build", str(root), "--at", FIXED_AT, "--executor", "dask://127.0.0.1:9"
        )
    assert code == 2, output
    assert "error: cannot reach the Dask scheduler at tcp://127.0.0.1:9" in output
    assert "crashed" not in output


def test_a_canonical_channel_that_is_not_enabled_is_a_located_config_error(
    tmp_path: Path,
) -> None:
    root = copy_sample(tmp_path / "site")
    config = root / "omnipub.toml"
    config.write_text(
        config.read_text().replace("[site]\n", '[site]\ncanonical_channel = "fax"\n', 1)
    )
    result = CliRunner().invoke(cli, ["build", str(root), "--quiet"])
    assert result.exit_code == 1, result.output
    assert "omnipub.toml" in result.output and "canonical_channel 'fax'" in result.output


def test_a_truncated_image_is_a_located_error_not_a_crash(tmp_path: Path) -> None:
    """A JPEG cut short (an interrupted upload) has a header that reads and pixels that do
    not: the build names it where the page shows it and publishes nothing (it used to
    publish the broken file as the image's rendition)."""
    import io

    from PIL import Image

    root = write_site(
        tmp_path / "site",
        GOOD + "-- content/articles/photo.md --\n---\ntitle: Photo\nimage: cut.jpg\n---\nText.\n",
    )
    buffer = io.BytesIO()
    Image.effect_noise((400, 300), 80).convert("RGB").save(buffer, "JPEG", quality=90)
    whole = buffer.getvalue()
    (root / "content/articles/cut.jpg").write_bytes(whole[: len(whole) // 3])
    code, _stdout, output = invoke("build", str(root), "--at", FIXED_AT)
    assert code == 1, output
    assert "content/articles/photo.md:3: error[image.unreadable]" in output
    assert "content/articles/cut.jpg): the file is cut short" in output
    assert "crashed" not in output and "Traceback" not in output
    assert not (root / "public" / "articles").exists()
