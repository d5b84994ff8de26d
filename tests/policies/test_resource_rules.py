"""Every resource policy: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import pytest

from tests.policies import cases_foundation, cases_services
from tests.policies.conftest import Case, check_case, unknown_reported, validate_resource

CASES: list[Case] = [*cases_foundation.CASES, *cases_services.CASES]
ALWAYS_VIOLATING = [*cases_foundation.ALWAYS_VIOLATING, *cases_services.ALWAYS_VIOLATING]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    check_case(case)


@pytest.mark.parametrize(("policy", "res_type"), ALWAYS_VIOLATING)
def test_type_is_itself_a_violation(policy: str, res_type: str) -> None:
    assert validate_resource(policy, res_type, {}), f"{policy} accepted a {res_type}"


@pytest.mark.parametrize(("policy", "res_type", "props"), cases_foundation.UNKNOWN_BOOL_CASES)
def test_unknown_boolean_fails_closed(policy: str, res_type: str, props: dict[str, object]) -> None:
    assert validate_resource(policy, res_type, props) == []
    found = unknown_reported(policy, res_type, props)
    assert len(found) == 1
    assert "unknown during preview" in found[0]


def test_every_resource_policy_has_a_table_row(resource_rule_names: set[str]) -> None:
    covered = {c.policy for c in CASES} | {p for p, _ in ALWAYS_VIOLATING}
    assert resource_rule_names - covered == set()


def test_protected_stateful_resource_passes() -> None:
    assert validate_resource("stateful-resources-protected", "aws:kms/key:Key", {}, protect=True) == []
    assert (
        validate_resource(
            "stateful-resources-protected", "aws:kms/key:Key", {}, config={"types": ["aws:s3/bucket:Bucket"]}
        )
        == []
    )
