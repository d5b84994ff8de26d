"""Helpers for the realtime functions' tests: import paths, fake Lambda context, AWS env.

A Lambda archive has the function's package (``<name>/``) and ``shared/`` at its root,
so tests put ``functions/`` on ``sys.path`` and import ``<name>.handler`` as Lambda does.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parent.parent / "functions"
REGION = "eu-west-1"
ACCOUNT = "123456789012"


def add_function_paths() -> None:
    """``functions/`` on ``sys.path``; also sets the Powertools settings a handler module
    reads when it is imported."""
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "SocialBackendTest")
    if str(FUNCTIONS) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS))


@dataclass
class FakeContext:
    """The parts of the Lambda context Powertools and the handlers read."""

    function_name: str = "fixture-function"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fixture-function"
    aws_request_id: str = "request-1"
    remaining_ms: int = 60_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def aws_env(monkeypatch: object, service: str) -> None:
    """Fake credentials and Powertools settings (tests never reach AWS)."""
    setenv = monkeypatch.setenv  # type: ignore[attr-defined]
    setenv("AWS_ACCESS_KEY_ID", "testing")
    setenv("AWS_SECRET_ACCESS_KEY", "testing")
    setenv("AWS_SESSION_TOKEN", "testing-session")
    setenv("AWS_DEFAULT_REGION", REGION)
    setenv("AWS_REGION", REGION)
    setenv("POWERTOOLS_SERVICE_NAME", service)
    setenv("POWERTOOLS_METRICS_NAMESPACE", "SocialBackendTest")
    setenv("POWERTOOLS_DEV", "false")
