"""Rule table for policies/rules/scheduler.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import pytest

from tests.policies.conftest import Case, R, check_case, validate_stack

SCHEDULE = "aws:scheduler/schedule:Schedule"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/k-1"

SCHEDULE_OK = {
    "scheduleExpression": "rate(1 minute)",
    "flexibleTimeWindow": {"mode": "OFF"},
    "kmsKeyArn": KEY_ARN,
    "target": {"arn": "arn:aws:lambda:eu-west-1:123456789012:function:poller", "roleArn": "arn:aws:iam::1:role/r"},
}

CASES: list[Case] = [
    Case(
        "scheduler-schedule-cmk",
        SCHEDULE,
        SCHEDULE_OK,
        bad=({"kmsKeyArn": ""},),
        missing=("kmsKeyArn",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    check_case(case)


def test_schedule_key_must_be_a_stack_key() -> None:
    """kms-encryption-uses-stack-keys covers the schedule's key like every other store's."""
    key = R("aws:kms/key:Key", "data", {"arn": KEY_ARN})
    ours = R(SCHEDULE, "poller", dict(SCHEDULE_OK), deps={"kmsKeyArn": ["data"]})
    assert validate_stack("kms-encryption-uses-stack-keys", [key, ours]) == []
    foreign = R(SCHEDULE, "poller", {**SCHEDULE_OK, "kmsKeyArn": "arn:aws:kms:eu-west-1:210987654321:key/theirs"})
    assert validate_stack("kms-encryption-uses-stack-keys", [key, foreign])
