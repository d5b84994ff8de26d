"""Rule table for policies/rules/pulumi_.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import pytest

from tests.policies.conftest import validate_resource

ALWAYS_VIOLATING: list[tuple[str, str]] = [
    ("stateful-resources-protected", "aws:neptune/cluster:Cluster"),
    ("stateful-resources-protected", "aws:s3/bucket:Bucket"),
]


@pytest.mark.parametrize(("policy", "res_type"), ALWAYS_VIOLATING)
def test_type_is_itself_a_violation(policy: str, res_type: str) -> None:
    assert validate_resource(policy, res_type, {}), f"{policy} accepted a {res_type}"


def test_protected_stateful_resource_passes() -> None:
    assert validate_resource("stateful-resources-protected", "aws:kms/key:Key", {}, protect=True) == []
    assert (
        validate_resource(
            "stateful-resources-protected", "aws:kms/key:Key", {}, config={"types": ["aws:s3/bucket:Bucket"]}
        )
        == []
    )
