"""Rule table for policies/rules/alarms.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import pytest

from tests.policies.conftest import Case, check_case

CASES: list[Case] = [
    Case(
        "alarm-has-action",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        {"alarmActions": ["arn:aws:sns:eu-west-1:1:alerts"], "actionsEnabled": True},
        bad=({"actionsEnabled": False}, {"alarmActions": []}),
        missing=("alarmActions",),
        optional=("actionsEnabled",),
        unknown=("alarmActions",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    check_case(case)
