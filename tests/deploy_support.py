"""Shared by the tests/test_deploy_*.py files: a small four-channel site, a real
S3-compatible server (moto's standalone server) on 127.0.0.1, and readers of a target."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import REPO, write_site
from omnipub.build import BuildOptions, build
from omnipub.cli import cli

CLOCK = "2026-12-01T12:00:00+00:00"

SITE = """\
-- omnipub.toml --
[site]
title = "Deploy shop"
timezone = "UTC"
[languages.en]
name = "English"
[channels.web]
base_url = "https://www.shop.test/"
page_size = 2
[channels.mobile]
base_url = "https://m.shop.test/"
[channels.app]
base_url = "https://api.shop.test/app/"
page_size = 2
[channels.signage]
base_url = "https://screens.shop.test/"
[[channels.signage.stores]]
id = "oslo"
name = "Oslo"
timezone = "Europe/Oslo"
languages = ["en"]
[[channels.signage.screens]]
id = "door"
store = "oslo"
zone = "entrance"
resolution = "1920x1080"
duration = 5
-- content/about.md --
---
title: About us
---
We sell [wool](news/wool.md).
-- content/news/_index.md --
---
cascade: {type: article}
---
-- content/news/wool.md --
---
title: Wool care
date: 2026-11-01
tags: [wool]
image: images/beanie.jpg
image_alt: A beanie
---
Wash it cold. See [about](../about.md).
-- content/news/rain.md --
---
title: Rain gear
date: 2026-11-02
tags: [rain]
---
Stay dry.
-- content/promotions/_index.md --
---
cascade: {type: promotion}
---
-- content/promotions/sale.md --
---
title: Wool -30%
summary: All wool
valid_from: 2026-11-01T00:00:00+01:00
valid_until: 2027-01-01T00:00:00+01:00
image: ../news/images/beanie.jpg
image_alt: A beanie
---
Sale.
"""


def make_site(root: Path, targets: str = "") -> Path:
    """The test site, with `targets` (TOML) appended to its omnipub.toml."""
    write_site(root, SITE)
    images = root / "content/news/images"
    images.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "content/products/images/beanie.jpg", images / "beanie.jpg")
    if targets:
        with (root / "omnipub.toml").open("a", encoding="utf-8") as handle:
            handle.write("\n" + targets)
    return root


def folder_targets(base: Path) -> str:
    return "".join(
        f'[deploy.{name}]\nurl = "{base / name}"\n\n'
        for name in ("web", "mobile", "app", "signage")
    )


def s3_targets(endpoint: str, bucket: str) -> str:
    return "".join(
        f'[deploy.{name}]\nurl = "s3://{bucket}/site/{name}"\nendpoint_url = "{endpoint}"\n'
        f'region = "us-east-1"\n\n'
        for name in ("web", "mobile", "app", "signage")
    )


def real_build(root: Path, clock: str = CLOCK) -> None:
    build(BuildOptions(root=root, clock=clock, executor="serial"))


def run_deploy(root: Path, *args: str, expect: int | None = 0) -> Any:
    """`omnipub deploy ROOT ARGS` through the CLI: the --json report, or the result."""
    result = CliRunner().invoke(cli, ["deploy", str(root), *args], catch_exceptions=False)
    assert expect is None or result.exit_code == expect, result.output
    if expect == 0 and "--json" in args:
        return json.loads(result.stdout)
    return result


def build_files(root: Path) -> dict[str, bytes]:
    """'channel/path' -> bytes of every file the last build wrote."""
    public = root / "public"
    return {
        f"{channel}/{path.relative_to(public / channel).as_posix()}": path.read_bytes()
        for channel in ("web", "mobile", "app", "signage")
        for path in sorted((public / channel).rglob("*"))
        if path.is_file()
    }


def changed_by_build(root: Path) -> tuple[set[str], set[str]]:
    """What the last build's deploy manifests say was added or changed, and removed."""
    written, removed = set(), set()
    for channel in ("web", "mobile", "app", "signage"):
        data = json.loads((root / f"public/.omnipub/{channel}.deploy-manifest.json").read_text())
        diff = data["diff"]
        written |= {f"{channel}/{p}" for p in diff["added"] + diff["changed"]}
        removed |= {f"{channel}/{p}" for p in diff["removed"]}
    return written, removed


# --- readers of a target ------------------------------------------------------------------


class FolderReader:
    def __init__(self, base: Path) -> None:
        self.base = base

    def files(self) -> dict[str, bytes]:
        return {
            p.relative_to(self.base).as_posix(): p.read_bytes()
            for p in sorted(self.base.rglob("*"))
            if p.is_file() and "/.omnipub/" not in f"/{p.relative_to(self.base).as_posix()}"
        }

    def read(self, key: str) -> bytes | None:
        try:
            return (self.base / key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def exists(self, key: str) -> bool:
        return (self.base / key).is_file()


class S3Reader:
    """Reads the bucket as a client would: plain GETs over HTTP, gzip decoded."""

    def __init__(self, endpoint: str, bucket: str, prefix: str = "site") -> None:
        import boto3

        self.client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        self.bucket, self.prefix = bucket, prefix

    def keys(self) -> list[str]:
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + "/"
        ):
            found += [e["Key"][len(self.prefix) + 1 :] for e in page.get("Contents", [])]
        return sorted(k for k in found if "/.omnipub/" not in f"/{k}")

    def head(self, key: str) -> dict[str, Any]:
        return self.client.head_object(Bucket=self.bucket, Key=f"{self.prefix}/{key}")

    def read(self, key: str) -> bytes | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=f"{self.prefix}/{key}")
        except self.client.exceptions.NoSuchKey:
            return None
        data = response["Body"].read()
        if response.get("ContentEncoding") == "gzip":
            data = gzip.decompress(data)
        return data

    def exists(self, key: str) -> bool:
        return self.read(key) is not None

    def digests(self) -> dict[str, str]:
        """key -> MD5 of the stored bytes, as the server computed it (the ETag)."""
        found = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + "/"
        ):
            for entry in page.get("Contents", []):
                key = entry["Key"][len(self.prefix) + 1 :]
                if "/.omnipub/" not in f"/{key}":
                    found[key] = entry["ETag"].strip('"')
        return dict(sorted(found.items()))

    def url(self, key: str) -> str:
        """A presigned URL: what a CDN or a browser with access fetches."""
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": f"{self.prefix}/{key}"}
        )


def md5s(files: dict[str, bytes]) -> dict[str, str]:
    return {k: hashlib.md5(v).hexdigest() for k, v in sorted(files.items())}


def holds(target: FolderReader | S3Reader, files: dict[str, bytes]) -> bool:
    """Whether the target holds exactly `files` (no more, no fewer, the same bytes)."""
    if isinstance(target, S3Reader):
        return target.digests() == md5s(files)
    return target.files() == files


def snapshot(target: FolderReader | S3Reader) -> object:
    return target.digests() if isinstance(target, S3Reader) else target.files()


# --- the S3-compatible server -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's standalone S3 server as a separate process on 127.0.0.1."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def s3(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[str, str]:
    """A fresh bucket; credentials come from the environment, as boto3's chain reads them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    import boto3

    bucket = f"b-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket
    )
    return moto_endpoint, bucket


def environment_without_credentials() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
