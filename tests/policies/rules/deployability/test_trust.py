"""Rule tests for policies/rules/deployability/trust.py: passing, violating, property-missing and unknown-at-preview stacks."""

from __future__ import annotations

from typing import Any

from tests.policies.conftest import UNKNOWN, R
from tests.policies.rules.deployability._stacks import ACCOUNT, ROLE, doc, messages, undecided

TRUST = "service-trust-conditions-are-sent"


def trust_role(service: str, condition: dict[str, Any] | None) -> R:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if condition is not None:
        statement["Condition"] = condition
    return R(ROLE, "role", {"assumeRolePolicy": doc(statement)})


class TestServiceTrust:
    GROUP = f"arn:aws:scheduler:eu-west-1:{ACCOUNT}:schedule-group/default"

    def test_schedule_group_source_arn_passes(self) -> None:
        role = trust_role("scheduler.amazonaws.com", {"StringEquals": {"aws:SourceArn": self.GROUP}})
        assert messages(TRUST, [role]) == []

    def test_schedule_arn_is_never_sent(self) -> None:
        schedule = f"arn:aws:scheduler:eu-west-1:{ACCOUNT}:schedule/default/poller"
        found = messages(TRUST, [trust_role("scheduler.amazonaws.com", {"StringEquals": {"aws:SourceArn": schedule}})])
        assert len(found) == 1 and "schedule group" in found[0]

    def test_wrong_service_in_source_arn_is_caught(self) -> None:
        rule_arn = f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/poller"
        assert messages(TRUST, [trust_role("scheduler.amazonaws.com", {"ArnLike": {"aws:SourceArn": rule_arn}})])

    def test_other_documented_services(self) -> None:
        trail = f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/t"
        flow = f"arn:aws:ec2:eu-west-1:{ACCOUNT}:vpc-flow-log/*"
        assert (
            messages(TRUST, [trust_role("cloudtrail.amazonaws.com", {"StringEquals": {"aws:SourceArn": trail}})]) == []
        )
        assert messages(TRUST, [trust_role("vpc-flow-logs.amazonaws.com", {"ArnLike": {"aws:SourceArn": flow}})]) == []
        assert messages(TRUST, [trust_role("vpc-flow-logs.amazonaws.com", {"ArnLike": {"aws:SourceArn": trail}})])

    def test_key_a_service_never_sends_is_caught(self) -> None:
        role = trust_role("lambda.amazonaws.com", {"StringEquals": {"aws:SourceVpce": "vpce-1"}})
        assert any("aws:SourceVpce" in m for m in messages(TRUST, [role]))
        if_exists = trust_role("lambda.amazonaws.com", {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}})
        assert messages(TRUST, [if_exists]) == []

    def test_no_condition_is_not_this_rules_concern(self) -> None:
        # Missing property: an unconditioned trust statement is assumable (confused-deputy hardening is
        # the security pack's job); this rule only flags conditions that can never hold.
        assert messages(TRUST, [trust_role("scheduler.amazonaws.com", None)]) == []

    def test_unknown_trust_policy_fails_closed(self) -> None:
        assert undecided(TRUST, [R(ROLE, "role", {"assumeRolePolicy": UNKNOWN})])
