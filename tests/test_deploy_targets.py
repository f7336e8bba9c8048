"""`omnipub deploy` to a real S3-compatible server (moto's, on 127.0.0.1) and to a folder:
only changed files go up, --dry-run changes nothing, headers are right, --verify repairs,
deletes are bounded, and bad settings are located."""

from __future__ import annotations

import gzip
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from deploy_support import (
    FolderReader,
    S3Reader,
    build_files,
    changed_by_build,
    folder_targets,
    holds,
    make_site,
    moto_endpoint,  # noqa: F401  (a fixture)
    real_build,
    run_deploy,
    s3,  # noqa: F401  (a fixture)
    s3_targets,
    snapshot,
)

from omnipub.build import BuildOptions, build
from omnipub.cli import cli


def _site(kind: str, tmp_path: Path, request: pytest.FixtureRequest):
    if kind == "folder":
        root = make_site(tmp_path / "site", folder_targets(tmp_path / "www"))
        return root, FolderReader(tmp_path / "www")
    endpoint, bucket = request.getfixturevalue("s3")
    root = make_site(tmp_path / "site", s3_targets(endpoint, bucket))
    return root, S3Reader(endpoint, bucket)


def _edit(root: Path) -> None:
    path = root / "content/news/rain.md"
    path.write_text(path.read_text().replace("Stay dry.", "Stay dry, always."))


@pytest.mark.parametrize("kind", ["folder", "s3"])
def test_a_second_deploy_after_one_edit_uploads_only_the_changed_files(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    root, target = _site(kind, tmp_path, request)
    real_build(root)
    first = run_deploy(root, "--json")
    assert holds(target, build_files(root))
    uploaded = {f"{c}/{p}" for c, r in first["channels"].items() for p in r["uploaded"]}
    assert uploaded == set(build_files(root))

    _edit(root)
    real_build(root)
    written, removed = changed_by_build(root)
    assert written and not removed
    report = run_deploy(root, "--json")
    uploaded = {f"{c}/{p}" for c, r in report["channels"].items() for p in r["uploaded"]}
    # exactly what the build changed: the page, its listings and feeds, the app's documents
    assert uploaded == written
    assert "web/news/rain/index.html" in uploaded and "app/manifest.json" in uploaded
    assert not any(r["deleted"] for r in report["channels"].values())
    assert holds(target, build_files(root))
    unchanged = sum(r["unchanged"] for r in report["channels"].values())
    assert unchanged == len(build_files(root)) - len(written)

    again = run_deploy(root, "--json")
    assert not any(r["uploaded"] or r["deleted"] for r in again["channels"].values())


@pytest.mark.parametrize("kind", ["folder", "s3"])
def test_dry_run_changes_nothing_and_lists_what_a_deploy_would_do(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    root, target = _site(kind, tmp_path, request)
    real_build(root)
    dry = run_deploy(root, "--dry-run", "--json")
    assert dry["dry_run"] and holds(target, {})
    run_deploy(root)
    before = snapshot(target)
    (root / "content/news/rain.md").unlink()
    about = root / "content/about.md"
    about.write_text(about.read_text() + "\nSince 1987.\n")
    real_build(root)
    dry = run_deploy(root, "--dry-run", "--json")
    assert snapshot(target) == before
    staged = {f for stage in dry["stages"] for f in stage}
    real = run_deploy(root, "--json")
    assert staged == {f"{c}/{p}" for c, r in real["channels"].items() for p in r["uploaded"]}
    for name, row in dry["channels"].items():
        assert row["deleted"] == real["channels"][name]["deleted"]
    assert "news/rain/index.html" in dry["channels"]["web"]["deleted"]
    assert holds(target, build_files(root))


def test_s3_objects_carry_type_cache_and_encoding(s3, tmp_path: Path) -> None:  # noqa: F811
    endpoint, bucket = s3
    rules = '[[deploy.web.rules]]\npattern = "*.html"\ngzip = true\n'
    root = make_site(tmp_path / "site", s3_targets(endpoint, bucket) + rules)
    real_build(root)
    run_deploy(root)
    reader = S3Reader(endpoint, bucket)
    page = reader.head("web/news/wool/index.html")
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert page["CacheControl"] == "public, max-age=0, must-revalidate"
    assert page["ContentEncoding"] == "gzip"
    # fingerprinted files, named from the build (a theme change renames the stylesheet)
    web = root / "public/web"
    fingerprinted = [*web.glob("media/beanie-*-480w.jpg"), *web.glob("assets/style-*.css")]
    assert len(fingerprinted) == 2
    for path in fingerprinted:
        key = f"web/{path.relative_to(web).as_posix()}"
        assert reader.head(key)["CacheControl"] == "public, max-age=31536000, immutable", key
    manifest = reader.head("app/manifest.json")
    assert manifest["ContentType"] == "application/json; charset=utf-8"
    assert manifest["CacheControl"] == "public, max-age=0, must-revalidate"
    assert "ContentEncoding" not in manifest
    assert reader.head("signage/playlists/door.json")["CacheControl"].endswith("must-revalidate")
    # a plain HTTP client gets the page's bytes back through its Content-Encoding
    with urllib.request.urlopen(reader.url("web/news/wool/index.html")) as reply:
        assert reply.headers["Content-Encoding"] == "gzip"
        body = gzip.decompress(reply.read())
    assert body == (root / "public/web/news/wool/index.html").read_bytes()

    # a change of rules alone uploads the files it affects again
    text = (root / "omnipub.toml").read_text().replace("gzip = true", "gzip = false")
    (root / "omnipub.toml").write_text(text)
    real_build(root)
    report = run_deploy(root, "--json")
    html = {
        p.relative_to(root / "public/web").as_posix() for p in root.glob("public/web/**/*.html")
    }
    assert set(report["channels"]["web"]["uploaded"]) == html
    assert "ContentEncoding" not in reader.head("web/news/wool/index.html")


@pytest.mark.parametrize("kind", ["folder", "s3"])
def test_verify_lists_the_target_and_repairs_what_changed_behind_its_back(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    root, target = _site(kind, tmp_path, request)
    real_build(root)
    run_deploy(root)
    if kind == "folder":
        (tmp_path / "www/web/about/index.html").unlink()
        (tmp_path / "www/web/stray.html").write_text("left over")
        (tmp_path / "www/app/feed.json").write_text("{}")
    else:
        client, bucket = target.client, target.bucket
        client.delete_object(Bucket=bucket, Key="site/web/about/index.html")
        client.put_object(Bucket=bucket, Key="site/web/stray.html", Body=b"left over")
        client.put_object(Bucket=bucket, Key="site/app/feed.json", Body=b"{}")
    trusting = run_deploy(root, "--json")  # the recorded state knows nothing of it
    assert not any(r["uploaded"] or r["deleted"] for r in trusting["channels"].values())
    report = run_deploy(root, "--verify", "--json")
    assert report["channels"]["web"]["uploaded"] == ["about/index.html"]
    assert report["channels"]["web"]["deleted"] == ["stray.html"]
    assert report["channels"]["app"]["uploaded"] == ["feed.json"]
    assert holds(target, build_files(root))


def test_deletes_are_last_and_bounded_by_max_deletes(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site", folder_targets(tmp_path / "www"))
    real_build(root)
    run_deploy(root)
    target = FolderReader(tmp_path / "www")
    before = target.files()
    (root / "content/news/rain.md").unlink()
    real_build(root)
    _written, removed = changed_by_build(root)
    assert len(removed) >= 4  # the page on web and mobile, its app document, its tag pages
    refused = run_deploy(root, "--max-deletes", "1", expect=1)
    assert "would delete more than 1 file(s)" in refused.output
    assert "--force" in refused.output and "Traceback" not in refused.output
    assert target.files() == before  # refused before anything was uploaded
    report = run_deploy(root, "--max-deletes", "1", "--force", "--json")
    deleted = {f"{c}/{p}" for c, r in report["channels"].items() for p in r["deleted"]}
    assert deleted == removed
    assert holds(target, build_files(root))
    assert not (tmp_path / "www/web/news/rain").exists()  # emptied folders go too


def test_a_what_if_build_is_never_deployed(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site", folder_targets(tmp_path / "www"))
    real_build(root)
    run_deploy(root)
    target = FolderReader(tmp_path / "www")
    before = target.files()
    build(BuildOptions(root=root, at="2027-06-01T00:00:00+00:00", executor="serial"))
    refused = run_deploy(root, expect=2)
    assert "what-if build" in refused.output
    assert target.files() == before


def test_a_file_edited_after_the_build_is_refused(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site", folder_targets(tmp_path / "www"))
    real_build(root)
    (root / "public/web/robots.txt").write_text("Sitemap: elsewhere\n")
    result = run_deploy(root, expect=1)
    assert "robots.txt is not the file the last build wrote" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[deploy.web]\nurl = "ftp://host/www"\n', "deploys to s3:// URLs and folders"),
        ('[deploy.web]\nurl = "s3://b/web"\nsecret_access_key = "x"\n', "never go in omnipub"),
        ('[deploy.shop]\nurl = "s3://b/shop"\n', "not enabled"),
        ('[deploy.web]\nurl = "s3://b/site"\n[deploy.app]\nurl = "s3://b/site/app"\n', "overlap"),
        (
            '[deploy.web]\nurl = "../www"\n[[deploy.web.rules]]\npattern = "*"\ngzip = true\n',
            "gzip",
        ),
        ('[deploy]\nmax_deletes = "many"\n[deploy.web]\nurl = "../w"\n', "whole number"),
    ],
)
def test_bad_deploy_settings_are_located(tmp_path: Path, toml: str, message: str) -> None:
    root = make_site(tmp_path / "site", toml)
    lines = (root / "omnipub.toml").read_text().splitlines()
    result = CliRunner().invoke(cli, ["deploy", str(root)])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    located = result.output.split(": error[deploy.config]")[0].strip().splitlines()[-1]
    path, line, *_ = located.split(":")
    assert path == "omnipub.toml"
    assert lines[int(line) - 1].strip().startswith(("[", "url", "secret", "max_deletes")), line
    assert "hint:" in result.output


def test_the_build_accepts_deploy_tables(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site", folder_targets(tmp_path / "www"))
    result = build(BuildOptions(root=root, strict=True, executor="serial", write_lock=False))
    assert not result.diagnostics.warnings


def test_s3_without_credentials_says_what_to_set(
    s3,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoint, bucket = s3
    root = make_site(tmp_path / "site", s3_targets(endpoint, bucket))
    real_build(root)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = run_deploy(root, expect=1)
    assert "no credentials" in result.output and "AWS_ACCESS_KEY_ID" in result.output
    assert "Traceback" not in result.output


def test_a_missing_bucket_is_a_clear_error(s3, tmp_path: Path) -> None:  # noqa: F811
    endpoint, _bucket = s3
    root = make_site(tmp_path / "site", s3_targets(endpoint, "no-such-bucket"))
    real_build(root)
    result = run_deploy(root, expect=1)
    assert "NoSuchBucket" in result.output and "Traceback" not in result.output
