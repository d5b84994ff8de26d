"""Rule table for policies/rules/logs.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import pytest

from tests.policies.conftest import Case, check_case

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

CASES: list[Case] = [
    Case(
        "log-group-kms",
        LOG_GROUP,
        {"kmsKeyId": "arn:aws:kms:eu-west-1:1:key/k"},
        bad=({"kmsKeyId": ""},),
        missing=("kmsKeyId",),
    ),
    Case(
        "log-group-retention",
        LOG_GROUP,
        {"retentionInDays": 365.0},
        bad=({"retentionInDays": 30.0},),
        missing=("retentionInDays",),
        unknown=("retentionInDays",),
    ),
    Case("log-group-retention", LOG_GROUP, {"retentionInDays": 0.0}),
    Case(
        "log-group-retention",
        LOG_GROUP,
        {"retentionInDays": 14.0},
        bad=({"retentionInDays": 3.0},),
        config={"minimumRetentionDays": 7},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    check_case(case)
