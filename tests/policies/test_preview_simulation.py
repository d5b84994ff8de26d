"""The preview the CI job runs, simulated on the real program (``offline.preview``).

At preview the engine sends unknowns for every output of a resource that does not exist
yet, so IAM documents built from new ARNs are one unknown string. The preview must pass
(nothing mandatory is undecidable there), list every control it defers, and the same
resources with a violating value must be blocked when ``pulumi up`` judges real inputs.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from offline.mocks import RecordedResource
from offline.preview import UNKNOWN_SENTINEL, run_preview
from offline.runner import REPO_ROOT, ProgramRun, run_program
from policies.evaluate import Report, evaluate
from policies.packconfig import load
from policies.render import unknown_input
from policies.rules.preview import UNKNOWN_POLICY
from policies.state import write

pytestmark = pytest.mark.skipif(not (REPO_ROOT / "__main__.py").exists(), reason="no program")

IAM_POLICY = "aws:iam/policy:Policy"
#: The function the "pull request" adds: its resources are absent from the deployed state.
NEW_FUNCTION = "media-thumbnailer"
WILDCARD = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


@pytest.fixture(scope="module")
def deployed() -> ProgramRun:
    return run_program(REPO_ROOT, "prod", strict=False)


@pytest.fixture(scope="module")
def new_stack() -> tuple[ProgramRun, Report]:
    run = run_preview(REPO_ROOT, "prod")
    return run, evaluate(run.resources, stack="prod", config=load("prod"), preview=True)


@pytest.fixture(scope="module")
def added_function(deployed: ProgramRun, tmp_path_factory: pytest.TempPathFactory) -> tuple[ProgramRun, Report]:
    state = tmp_path_factory.mktemp("state") / "prod.json"
    kept = [r for r in deployed.resources if not r.name.startswith(NEW_FUNCTION)]
    assert len(kept) < len(deployed.resources), f"no resources named {NEW_FUNCTION}*"
    write(state, deployed.project, deployed.stack, kept)
    run = run_preview(REPO_ROOT, "prod", state=state)
    return run, evaluate(run.resources, stack="prod", config=load("prod"), preview=True)


def _listed(report: Report) -> set[tuple[str, str]]:
    """(policy, urn) pairs the preview-unknown-* policies report, as the CLI would show them."""
    return {
        (f.violation.message.split(":", 1)[0], f.violation.urn)
        for f in report.findings
        if f.rule.name in UNKNOWN_POLICY.values()
    }


def _assert_preview_passes_and_lists_everything(report: Report) -> None:
    assert report.mandatory == [], [f.violation.message for f in report.mandatory]
    assert report.undecided, "the simulation sent no unknowns: it would not show what the engine does"
    deferred = {(f.rule.name, f.violation.urn) for f in report.undecided}
    assert deferred <= _listed(report), "a deferred control is not listed on the preview"
    for finding in report.undecided:
        assert unknown_input(finding.violation.message) != "?", finding.violation.message  # names the input
        assert finding.violation.res_name in finding.violation.message or not finding.violation.urn


def test_new_prod_stack_preview_passes_and_lists_every_deferred_control(new_stack: tuple[ProgramRun, Report]) -> None:
    run, report = new_stack
    # What the issue measured: documents built from new ARNs are unknown at preview.
    assert any(r.inputs.get("policy") == UNKNOWN_SENTINEL for r in run.resources if r.type == IAM_POLICY)
    _assert_preview_passes_and_lists_everything(report)


def test_change_adding_a_function_defers_only_what_depends_on_new_resources(
    added_function: tuple[ProgramRun, Report], new_stack: tuple[ProgramRun, Report]
) -> None:
    _, report = added_function
    _assert_preview_passes_and_lists_everything(report)
    deferred = {(f.rule.name, f.violation.urn) for f in report.undecided}
    assert deferred < {(f.rule.name, f.violation.urn) for f in new_stack[1].undecided}
    assert any(NEW_FUNCTION in urn for _, urn in deferred)


def _resource_urns(report: Report) -> set[str]:
    return {f.violation.urn for f in report.undecided if f.violation.urn}


@pytest.mark.parametrize("preview_of", ["new_stack", "added_function"])
def test_deferred_documents_with_a_violating_value_are_blocked_at_update(
    preview_of: str, deployed: ProgramRun, request: pytest.FixtureRequest
) -> None:
    _, report = request.getfixturevalue(preview_of)
    deferred_documents = [r for r in deployed.resources if r.type == IAM_POLICY and r.urn in _resource_urns(report)]
    assert deferred_documents, "no IAM policy was deferred at preview"
    # pulumi up: the same resources, now with real values, one of which violates.
    for recorded in deferred_documents:
        bad: RecordedResource = replace(recorded, inputs={**recorded.inputs, "policy": WILDCARD})
        update = evaluate([bad], stack="prod", config=load("prod"))
        assert any(f.rule.name == "iam-no-wildcard-resource" for f in update.mandatory), recorded.name
        good = evaluate([recorded], stack="prod", config=load("prod"))
        assert not any(f.rule.name == "iam-no-wildcard-resource" for f in good.mandatory)


def test_offline_gate_decides_every_control_the_preview_defers(
    deployed: ProgramRun, new_stack: tuple[ProgramRun, Report]
) -> None:
    full = evaluate(deployed.resources, stack="prod", config=load("prod"))
    assert full.undecided == []
    assert full.mandatory == []
    urns = {r.urn for r in deployed.resources}
    assert {f.violation.urn for f in new_stack[1].undecided if f.violation.urn} <= urns


def test_preview_cli_on_a_deployed_state(tmp_path: Path, deployed: ProgramRun) -> None:
    from policies.check import run_checker

    state = tmp_path / "prod.json"
    write(state, deployed.project, deployed.stack, deployed.resources)
    code, output = run_checker(["--preview", "--stack", "prod", "--state", str(state), "--format", "json"])
    document = json.loads(output)
    assert code == 0, output
    assert document["passed"] and document["previewMandatory"] == []
    assert document["offline"]["undecidedCount"] == 0
    assert all(d["offline"] != "UNDECIDED" for d in document["deferred"])


#: Role policies whose every resource has a fixed physical name (log groups, a function):
#: built from those names, their documents are known at preview, so a brand-new stack's
#: preview decides them instead of deferring them to the offline gate.
NAME_BUILT_POLICIES = (
    "audit-logs-policy",
    "network-flow-logs-policy",
    "notifications-scheduler-policy",
    "audit-delivery-topic-feedback-policy",
    "observability-alarm-topic-feedback-policy",
    "observability-alarm-topic-us-east-1-feedback-policy",
)


def test_documents_built_from_fixed_names_are_decided_at_preview(new_stack: tuple[ProgramRun, Report]) -> None:
    _, report = new_stack
    names = {r.name for r in new_stack[0].resources}
    assert set(NAME_BUILT_POLICIES) <= names
    deferred = {f.violation.res_name for f in report.undecided}
    assert deferred.isdisjoint(NAME_BUILT_POLICIES), sorted(deferred & set(NAME_BUILT_POLICIES))
