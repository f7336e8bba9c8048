"""The `omnipub import` command's contract: usage errors, --force, the text report, and
exit 1 when the imported site does not build."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from omnipub.cli import cli


def hugo_site(root: Path, files: dict[str, str]) -> Path:
    for rel, text in {"hugo.toml": 'title = "Tiny"\n', **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_refuses_a_non_empty_destination_unless_forced(tmp_path: Path) -> None:
    src = hugo_site(tmp_path / "src", {"content/about.md": "---\ntitle: About\n---\nHi.\n"})
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine", encoding="utf-8")
    runner = CliRunner()
    refused = runner.invoke(cli, ["import", "hugo", str(src), str(dest)])
    assert refused.exit_code == 2 and "not empty" in refused.output and "--force" in refused.output
    assert not (dest / "omnipub.toml").exists()
    forced = runner.invoke(cli, ["import", "hugo", str(src), str(dest), "--force"])
    assert forced.exit_code == 0, forced.output
    assert (dest / "content/about.md").is_file()
    assert (dest / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_refuses_a_folder_that_is_not_that_generators_site(tmp_path: Path) -> None:
    src = hugo_site(tmp_path / "src", {})
    result = CliRunner().invoke(cli, ["import", "jekyll", str(src), str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "does not look like a jekyll site" in result.output and "_config.yml" in result.output
    missing = CliRunner().invoke(
        cli, ["import", "hugo", str(tmp_path / "nope"), str(tmp_path / "o")]
    )
    assert missing.exit_code == 2 and "not a folder" in missing.output


def test_a_destination_inside_the_source_is_not_imported_into_itself(tmp_path: Path) -> None:
    src = hugo_site(tmp_path / "src", {"content/about.md": "---\ntitle: About\n---\nHi.\n"})
    runner = CliRunner()
    first = runner.invoke(cli, ["import", "hugo", str(src), str(src / "omnipub-site")])
    assert first.exit_code == 0, first.output
    again = runner.invoke(
        cli, ["import", "hugo", str(src), str(src / "omnipub-site"), "--force", "--json"]
    )
    assert again.exit_code == 0, again.output
    written = sorted(
        p.relative_to(src / "omnipub-site").as_posix() for p in (src / "omnipub-site").rglob("*.md")
    )
    assert written == ["content/about.md"]


def test_text_report_and_exit_1_when_the_result_does_not_build(tmp_path: Path) -> None:
    src = hugo_site(
        tmp_path / "src",
        {
            "content/posts/a.md": (
                '---\ntitle: A\ndate: 2024-01-01\n---\n{{< tweet user="x" id="1" >}}\n\n'
                "![Gone](missing.png)\n"
            ),
        },
    )
    dest = tmp_path / "dest"
    result = CliRunner().invoke(cli, ["import", "hugo", str(src), str(dest)])
    assert result.exit_code == 1
    assert "needs a person (1):" in result.output
    assert "content/posts/a.md:6 (line 5 in the old site): [hugo.shortcode]" in result.output
    assert "content/posts/a.md:8" in result.output and "missing.png" in result.output
    assert "does not build yet" in result.output
    report = CliRunner().invoke(cli, ["import", "hugo", str(src), str(dest), "--force", "--json"])
    assert report.exit_code == 1
    data = json.loads(report.stdout)
    assert data["build"]["ok"] is False
    assert any(
        p["path"] == "content/posts/a.md" and p["line"] == 8 for p in data["build"]["problems"]
    )
