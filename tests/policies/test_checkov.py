"""The packs measured against checkov 3.3.30 on both stacks (issue 12, Build item 3).

Every checkov failure on the dev and prod plans must be our finding, our documented
exemption, or a written checkov modelling limit (tests/policies/checkov_comparison.py);
every checkov id our rules declare must be a checkov check that judges the same resources.
The overlap is printed at the end of the session (tests/conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from offline.terraform_plan import terraform_type
from policies.core import Rule
from policies.rules import all_rules
from tests.checkov_tally import UNCLASSIFIED
from tests.policies import checkov_comparison as cmp

pytestmark = pytest.mark.skipif(
    not cmp.available(),
    reason=f"checkov is not installed in {cmp.CHECKOV_VENV} (`make install` creates it): the checkov comparison did not run",
)


@pytest.mark.parametrize("stack", cmp.STACKS)
def test_every_checkov_failure_is_ours_or_a_written_limit(stack: str) -> None:
    comparison = cmp.compare()[stack]
    assert comparison.checks_run, "checkov ran no check on the plan: the export is not a plan checkov reads"
    unclassified = [f.label for f in comparison.failures if f.klass == UNCLASSIFIED]
    assert not unclassified, (
        f"{len(unclassified)} checkov failure(s) on {stack} that no finding, exemption or written modelling "
        "limit explains (a gap of the packs, or a limit to write down with its reason in "
        "tests/policies/checkov_comparison.py MODELLING_LIMITS):\n  " + "\n  ".join(unclassified)
    )


@pytest.mark.parametrize("stack", cmp.STACKS)
def test_checkov_sees_the_connections_between_resources(stack: str) -> None:
    """checkov's graph checks join a bucket to its public access block through the plan's
    references (each bucket has one, policies' s3-bucket-public-access-block makes sure); were
    the references missing, CKV2_AWS_6 would fail every bucket."""
    results = cmp.checkov_results()[stack]
    passed = {c["resource"] for c in results["passed"] if c["check_id"] == "CKV2_AWS_6"}
    failed = {c["resource"] for c in results["failed"] if c["check_id"] == "CKV2_AWS_6"}
    plan = cmp.compare()[stack].plan
    assert plan is not None
    buckets = {a for a in plan.addresses if a.startswith("aws_s3_bucket.")}
    assert buckets, "the stack exports no bucket"
    assert passed == buckets and not failed, f"CKV2_AWS_6 passed {sorted(passed)}, failed {sorted(failed)}"


def _declared() -> list[tuple[Rule, str]]:
    return [(rule, check_id) for rule in all_rules() for check_id in rule.checkov]


def label_mismatch(rule_name: str, pulumi_types: tuple[str, ...], check_id: str, meta: dict[str, Any]) -> str | None:
    """Why ``check_id`` is not the control a rule judging ``pulumi_types`` checks (None: it is).

    checkov's own metadata decides: the id must be a check of checkov 3.3.30, and for a
    resource rule the check must inspect at least one Terraform type the rule judges (a
    check on other resources cannot be the same control). Stack rules judge joins of several
    types, so only the id's existence is checked for them.
    """
    entry = meta.get(check_id)
    if entry is None:
        return f"{rule_name} declares {check_id}, which is not a check of checkov 3.3.30"
    if not pulumi_types:
        return None
    ours = {terraform_type(t) for t in pulumi_types} - {None}
    if ours & set(entry["types"]):
        return None
    return (
        f"{rule_name} declares {check_id}, which checkov 3.3.30 names {entry['name']!r} and runs on "
        f"{', '.join(entry['types'])}; the rule judges {', '.join(sorted(t for t in ours if t))}: not the same control"
    )


@pytest.mark.parametrize(("rule", "check_id"), _declared(), ids=[f"{r.name}-{c}" for r, c in _declared()])
def test_declared_checkov_id_names_the_same_control(rule: Rule, check_id: str) -> None:
    mismatch = label_mismatch(rule.name, rule.types, check_id, cmp.metadata())
    if rule.name == "apigateway-endpoint-type" and check_id == "CKV_AWS_120":
        mismatch = mismatch and (
            f"{mismatch}. Known on main at 2d3d338 (issue 12: 'apigateway-endpoint-type declaring CKV_AWS_120, "
            "which in checkov is the caching check'); the label is fixed in the rule, not here"
        )
    assert mismatch is None, mismatch


def test_the_label_check_catches_a_caching_check_declared_as_the_endpoint_type() -> None:
    """The case issue 12 found: a rule on the REST API (its endpoint type) declaring CKV_AWS_120,
    which checkov runs on stages (caching). The check must call it a mismatch, and accept the
    same id on the stage rule it belongs to."""
    meta = cmp.metadata()
    assert "caching" in meta["CKV_AWS_120"]["name"].lower()
    found = label_mismatch("apigateway-endpoint-type", ("aws:apigateway/restApi:RestApi",), "CKV_AWS_120", meta)
    assert found is not None and "not the same control" in found
    assert label_mismatch("apigateway-stage-cache", ("aws:apigateway/stage:Stage",), "CKV_AWS_120", meta) is None
    assert label_mismatch("x", ("aws:apigateway/stage:Stage",), "CKV_AWS_99999", meta) is not None
