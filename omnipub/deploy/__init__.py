"""`omnipub deploy`: channel folders to S3-compatible buckets or folders, uploading only
what changed, in an order no reader can catch half-done, recording at each target what the
next build needs to continue (see docs/deploy.md)."""

from .run import DeployOptions, DeployRefused, DeployReport, deploy, pull_state
from .settings import DeployConfigError
from .targets import DeployFailed

__all__ = [
    "DeployConfigError",
    "DeployFailed",
    "DeployOptions",
    "DeployRefused",
    "DeployReport",
    "deploy",
    "pull_state",
]
