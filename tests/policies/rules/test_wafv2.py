"""Rule table for policies/rules/wafv2.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import pytest

from tests.policies.conftest import Case, check_case, validate_resource

ACL = "aws:wafv2/webAcl:WebAcl"


def waf_rule(name: str, statement: dict[str, object], **extra: object) -> dict[str, object]:
    return {"name": name, "statement": statement, "visibilityConfig": {"cloudwatchMetricsEnabled": True}, **extra}


ACL_OK = {
    "scope": "REGIONAL",
    "visibilityConfig": {"cloudwatchMetricsEnabled": True},
    "rules": [
        waf_rule("rate", {"rateBasedStatement": {"limit": 1000}}, action={"block": {}}),
        *(
            waf_rule(
                group, {"managedRuleGroupStatement": {"vendorName": "AWS", "name": group}}, overrideAction={"none": {}}
            )
            for group in (
                "AWSManagedRulesCommonRuleSet",
                "AWSManagedRulesAmazonIpReputationList",
                "AWSManagedRulesKnownBadInputsRuleSet",
            )
        ),
    ],
}

CASES: list[Case] = [
    Case("wafv2-acl-has-rules", ACL, ACL_OK, bad=({"rules": []},), missing=("rules",), unknown=("rules",)),
    Case(
        "wafv2-metrics-enabled",
        ACL,
        ACL_OK,
        bad=(
            {"visibilityConfig.cloudwatchMetricsEnabled": False},
            {"rules.0.visibilityConfig.cloudwatchMetricsEnabled": False},
        ),
        missing=("visibilityConfig",),
        unknown=("visibilityConfig.cloudwatchMetricsEnabled",),
    ),
    Case("wafv2-rule-actions", ACL, ACL_OK, bad=({"rules.0.action": None},), unknown=("rules",)),
    Case(
        "wafv2-known-bad-inputs",
        ACL,
        ACL_OK,
        bad=({"rules.3.statement.managedRuleGroupStatement.name": "Other"},),
        missing=("rules",),
        unknown=("rules",),
    ),
    Case(
        "wafv2-baseline-rules",
        ACL,
        ACL_OK,
        bad=(
            {"rules.0.statement": {"byteMatchStatement": {}}},
            {"rules.1.statement.managedRuleGroupStatement.name": "X"},
        ),
        missing=("rules",),
        unknown=("rules",),
    ),
]

ALWAYS_VIOLATING: list[tuple[str, str]] = [
    ("waf-classic-not-used", "aws:waf/webAcl:WebAcl"),
    ("waf-classic-not-used", "aws:wafregional/webAclAssociation:WebAclAssociation"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    check_case(case)


@pytest.mark.parametrize(("policy", "res_type"), ALWAYS_VIOLATING)
def test_type_is_itself_a_violation(policy: str, res_type: str) -> None:
    assert validate_resource(policy, res_type, {}), f"{policy} accepted a {res_type}"
