"""The one mocks fixture: the real program, run as the CLI would, per real stack file.

``offline.runner.run_program`` records every registration (camelCase inputs, synthesized
``id``/``arn``/``name``), answers the known invokes and raises on unknown ones, uses
``preview=False``, loads ``Pulumi.<stack>.yaml`` and runs ``__main__.py`` with runpy.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.runner import REPO_ROOT, ProgramRun, run_program

STACKS = ("dev", "prod")
PROJECT = "social-backend"


@functools.cache
def _run(stack: str) -> ProgramRun:
    return run_program(REPO_ROOT, stack)


@functools.cache
def _config(stack: str) -> dict[str, Any]:
    doc = yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())
    return {key.split(":", 1)[1]: value for key, value in doc["config"].items() if key.startswith(f"{PROJECT}:")}


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def run(stack: str) -> ProgramRun:
    """The program's registrations for ``stack`` (evaluated once per session)."""
    return _run(stack)


@pytest.fixture
def config(stack: str) -> dict[str, Any]:
    """The stack's own config values (``social-backend:`` keys, namespace stripped)."""
    return _config(stack)


def policy(resource_inputs: dict[str, Any], key: str = "policy") -> dict[str, Any]:
    value = resource_inputs[key]
    return json.loads(value) if isinstance(value, str) else dict(value)


def repo_path(*parts: str) -> Path:
    return REPO_ROOT.joinpath(*parts)
