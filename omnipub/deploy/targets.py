"""Where a channel is deployed: an S3 bucket (or an S3-compatible service) or a folder.

A target stores files with their headers, deletes files, lists what it holds (for
`--verify`) and keeps one small state object beside the files
(`.omnipub/deploy-state.json`). Every write replaces an object whole: a reader sees the old
bytes or the new, never a torn file.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from ..diagnostics import OmnipubError, UsageError
from .headers import Headers
from .settings import TargetSettings

STATE_KEY = ".omnipub/deploy-state.json"
#: the folder a target keeps to itself: never listed as a deployed file, never deleted
PRIVATE = ".omnipub/"


class DeployFailed(OmnipubError):
    """The target refused or could not be reached; what was uploaded stays, and running
    the deploy again completes it."""


class Target(Protocol):
    url: str

    def read_state(self) -> bytes | None:
        """The state object's bytes, None when there is none yet."""

    def write_state(self, data: bytes) -> None: ...

    def put(self, path: str, data: bytes, headers: Headers) -> None: ...

    def delete(self, paths: list[str]) -> None: ...

    def listing(self) -> dict[str, str]:
        """path -> MD5 (hex) of the stored bytes, of every file but the target's own."""


class FolderTarget:
    """A local folder (a web server's root, a folder rsync or a host's tool uploads)."""

    def __init__(self, settings: TargetSettings) -> None:
        assert settings.folder is not None
        self.url = settings.url
        self.root = settings.folder
        self._temporary = self.root / PRIVATE / "incoming"
        self._made: set[Path] = set()
        self._lock = threading.Lock()

    def _ensure(self, folder: Path) -> None:
        with self._lock:
            if folder in self._made:
                return
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._made.add(folder)

    def read_state(self) -> bytes | None:
        try:
            return (self.root / STATE_KEY).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise DeployFailed(f"cannot read {self.root / STATE_KEY}: {exc}") from exc

    def write_state(self, data: bytes) -> None:
        self._write(STATE_KEY, data)

    def put(self, path: str, data: bytes, headers: Headers) -> None:
        self._write(path, data)

    def _write(self, path: str, data: bytes) -> None:
        """Written beside the target folder's files under .omnipub/, then renamed into
        place: an interrupted deploy leaves no half file and no stray temporary name."""
        target = self.root / path
        try:
            self._ensure(self._temporary)
            self._ensure(target.parent)
            name = f"{threading.get_ident()}-{hashlib.sha256(path.encode()).hexdigest()[:16]}"
            temporary = self._temporary / name
            temporary.write_bytes(data)
            os.replace(temporary, target)
        except OSError as exc:
            raise DeployFailed(f"cannot write {target}: {exc}") from exc

    def delete(self, paths: list[str]) -> None:
        for path in paths:
            target = self.root / path
            try:
                target.unlink(missing_ok=True)
            except OSError as exc:
                raise DeployFailed(f"cannot delete {target}: {exc}") from exc
            parent = target.parent
            while parent != self.root and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent

    def listing(self) -> dict[str, str]:
        found: dict[str, str] = {}
        if not self.root.is_dir():
            return found
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root).as_posix()
            if rel.startswith(PRIVATE) or not path.is_file():
                continue
            found[rel] = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
        return found

    def clear_incoming(self) -> None:
        """Temporary files an interrupted deploy left behind."""
        shutil.rmtree(self._temporary, ignore_errors=True)
        with self._lock:
            self._made.discard(self._temporary)


class S3Target:
    """An S3 bucket and key prefix, through boto3 with its standard credential chain."""

    def __init__(self, settings: TargetSettings, client: Any) -> None:
        self.url = settings.url
        self.bucket = settings.bucket
        self.prefix = f"{settings.prefix}/" if settings.prefix else ""
        self.client = client

    def _key(self, path: str) -> str:
        return self.prefix + path

    def read_state(self) -> bytes | None:
        data: bytes | None = None
        with self._errors("read the deploy state"):
            try:
                response = self.client.get_object(Bucket=self.bucket, Key=self._key(STATE_KEY))
                data = bytes(response["Body"].read())
            except self.client.exceptions.NoSuchKey:
                data = None
        return data

    def write_state(self, data: bytes) -> None:
        with self._errors("write the deploy state"):
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(STATE_KEY),
                Body=data,
                ContentType="application/json",
                CacheControl="no-store",
            )

    def put(self, path: str, data: bytes, headers: Headers) -> None:
        extra: dict[str, str] = {"ContentType": headers.content_type}
        if headers.cache_control:
            extra["CacheControl"] = headers.cache_control
        if headers.encoding:
            extra["ContentEncoding"] = headers.encoding
        md5 = hashlib.md5(data, usedforsecurity=False).digest()
        with self._errors(f"upload {path}"):
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(path),
                Body=data,
                ContentMD5=base64.b64encode(md5).decode(),
                **extra,
            )

    def delete(self, paths: list[str]) -> None:
        for start in range(0, len(paths), 1000):  # the API's limit per request
            chunk = paths[start : start + 1000]
            with self._errors(f"delete {len(chunk)} file(s)"):
                response = self.client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": self._key(p)} for p in chunk], "Quiet": True},
                )
            errors = response.get("Errors") or []
            if errors:
                first = errors[0]
                raise DeployFailed(
                    f"{self.url}: could not delete {len(errors)} file(s), first "
                    f"{first.get('Key')}: {first.get('Message') or first.get('Code')}"
                )

    def listing(self) -> dict[str, str]:
        found: dict[str, str] = {}
        with self._errors("list the target"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                for entry in page.get("Contents", []):
                    rel = entry["Key"][len(self.prefix) :]
                    if rel and not rel.startswith(PRIVATE):
                        # a single-part upload's ETag is the MD5 of its bytes
                        found[rel] = str(entry.get("ETag", "")).strip('"')
        return found

    def _errors(self, doing: str) -> contextlib.AbstractContextManager[None]:
        return _s3_errors(self.url, doing)


@contextlib.contextmanager
def _s3_errors(url: str, doing: str) -> Iterator[None]:
    """Turns boto3's exceptions into one-line messages that say what to check."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        PartialCredentialsError,
    )

    try:
        yield
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise DeployFailed(
            f"{url}: no credentials to {doing}: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, or a role) in the environment"
        ) from exc
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = error.get("Code", "?"), error.get("Message", "")
        raise DeployFailed(f"{url}: cannot {doing}: {code} {message}".rstrip()) from exc
    except BotoCoreError as exc:
        raise DeployFailed(f"{url}: cannot {doing}: {exc}") from exc


def targets_for(settings: list[TargetSettings], workers: int) -> dict[str, Target]:
    """A target per channel; S3 targets share a boto3 client per endpoint and region (a
    client loads the service model and resolves credentials once)."""
    session: Any = None
    clients: dict[tuple[str | None, str | None], Any] = {}
    found: dict[str, Target] = {}
    for entry in settings:
        if entry.kind != "s3":
            found[entry.channel] = FolderTarget(entry)
            continue
        if session is None:
            try:
                import boto3
                from botocore.config import Config
            except ImportError as exc:
                raise UsageError(
                    f"[deploy.{entry.channel}] is an S3 target, and boto3 is not installed",
                    "pip install 'omnipub[deploy]'",
                ) from exc
            session = boto3.session.Session()
            config = Config(
                retries={"max_attempts": 5, "mode": "standard"},
                max_pool_connections=max(10, workers + 2),
            )
        where = (entry.endpoint_url, entry.region)
        if where not in clients:
            clients[where] = session.client(
                "s3", endpoint_url=entry.endpoint_url, region_name=entry.region, config=config
            )
        found[entry.channel] = S3Target(entry, clients[where])
    return found
