"""Rule table for policies/rules/wafv2.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import pytest

from policies.rules import all_rules
from tests.policies.conftest import Case, apply, check_case, validate_resource

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
    Case(
        "wafv2-rate-limit-bounded",
        ACL,
        ACL_OK,
        bad=(
            # the service maximum: a rate rule that never fires
            {"rules.0.statement.rateBasedStatement.limit": 2_000_000_000},
            {"rules.0.statement.rateBasedStatement.limit": 2001},
        ),
        optional=("rules",),
        unknown=("rules.0.statement.rateBasedStatement.limit",),
    ),
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
    Case(
        "wafv2-acl-blocks",
        ACL,
        ACL_OK,
        bad=(
            # the one-line regressions of a blocking stack: a rule or a group switched to count
            {"rules.0.action": {"count": {}}},
            {"rules.3.overrideAction": {"count": {}}},
            {
                "rules.3.statement.managedRuleGroupStatement.ruleActionOverrides": [
                    {"name": "Log4JRCE_BODY", "actionToUse": {"count": {}}}
                ]
            },
            # CKV_AWS_192: the Log4j group must be among the blocking rules
            {"rules": [waf_rule("rate", {"rateBasedStatement": {"limit": 1000}}, action={"block": {}})]},
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


def test_counting_firewall_passes_where_the_stack_config_allows_it() -> None:
    """dev's pack config sets requireBlocking false: its COUNT firewall is what that stack asks for."""
    counting = apply(ACL_OK, {"rules.0.action": {"count": {}}, "rules.1.overrideAction": {"count": {}}})
    assert validate_resource("wafv2-acl-blocks", ACL, counting, config={"requireBlocking": False}) == []
    assert validate_resource("wafv2-acl-blocks", ACL, counting, config={"requireBlocking": True})


def test_stack_configs_decide_blocking() -> None:
    """prod must block, dev (webFirewall.action COUNT) may count: decided in policies/config only."""
    from policies.packconfig import load

    for stack, required in (("prod", True), ("dev", False)):
        config = load(stack)
        rule_ = next(r for r in all_rules() if r.name == "wafv2-acl-blocks")
        assert config.config_for(rule_).get("requireBlocking", True) is required
        assert config.level(rule_) == "mandatory"


def test_rate_limit_bound_is_the_stack_config() -> None:
    raised = apply(ACL_OK, {"rules.0.statement.rateBasedStatement.limit": 5000})
    assert validate_resource("wafv2-rate-limit-bounded", ACL, raised)
    assert validate_resource("wafv2-rate-limit-bounded", ACL, raised, config={"maximumRateLimit": 5000}) == []
