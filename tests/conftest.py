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

import pulumi
import pytest
import yaml

from offline.flows.evaluate import push_variant_report, recorded, stack_report
from offline.runner import REPO_ROOT, ProgramRun, run_program
from tests import aws_calls
from tests.checkov_tally import summary_lines as checkov_summary_lines
from tests.runtime_flows_tally import summary_line

# Before any client exists: every botocore session created from here on reports its calls.
aws_calls.install()

STACKS = ("dev", "prod")
PROJECT = "social-backend"


def _run(stack: str) -> ProgramRun:
    # One run per stack for the whole session, recording the runtime flows its components
    # declare (offline/flows) on the way.
    return recorded(stack)[0]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A recorded AWS call of a function that none of its declared flows covers fails the run."""
    if not aws_calls.RECORDED:
        return
    missing = aws_calls.uncovered([*(stack_report(stack) for stack in STACKS), push_variant_report()])
    _UNCOVERED[:] = missing
    if missing:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_UNCOVERED: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line: what tests/test_runtime_flows.py proved (only when it ran), and any AWS call
    the function tests made that no declared runtime flow covers."""
    line = summary_line()
    if line is not None:
        terminalreporter.write_line(line)
    for checkov_line in checkov_summary_lines():  # the checkov overlap (tests/policies/test_checkov.py)
        terminalreporter.write_line(checkov_line)
    if aws_calls.RECORDED:
        calls = len({call.label for call in aws_calls.RECORDED})
        terminalreporter.write_line(
            f"runtime flows: {calls} distinct AWS calls recorded from the function tests, {len(_UNCOVERED)} covered by no declared flow"
        )
    for uncovered in _UNCOVERED:
        terminalreporter.write_line(
            f"  AWS call covered by no runtime flow (declare it next to the function): {uncovered}", red=True
        )


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


def dev_config_with(section: str, **changes: Any) -> dict[str, str]:
    """Config overrides: the dev stack's ``section`` with ``changes`` applied."""
    value = {**_config("dev").get(section, {}), **changes}
    return {f"{PROJECT}:{section}": json.dumps({k: v for k, v in value.items() if v is not None})}


def assert_one_line_config_error(overrides: dict[str, str], message: str) -> None:
    """The dev program with ``overrides`` stops with one line starting ``message``, having
    registered nothing (config is validated before the first resource)."""
    with pytest.raises(pulumi.RunError) as raised:
        run_program(REPO_ROOT, "dev", config_overrides=overrides)
    text = str(raised.value)
    assert text.startswith(message), text
    assert "\n" not in text
    assert raised.value.registered_before_failure == [], "config is validated before any resource is registered"  # type: ignore[attr-defined]
