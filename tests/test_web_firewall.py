"""The regional web ACL of both stacks: rules and action per config, logging, association."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.context import DeploymentContext
from components.validation import ArgsError
from components.web_firewall import MANAGED_RULE_GROUPS, WebFirewallArgs, WebFirewallSettings
from offline.runner import ProgramRun
from policies.packconfig import load

ACL = "aws:wafv2/webAcl:WebAcl"
CONTEXT = DeploymentContext(account_id="123456789012", region="eu-west-1", partition="aws", prefix="t-dev")


def _settings(config: dict[str, Any]) -> dict[str, Any]:
    defaults = WebFirewallSettings()
    return {"action": defaults.action, "rateWindowSeconds": defaults.rate_window_seconds, **config["webFirewall"]}


def test_regional_acl_with_managed_groups_and_a_rate_limit(run: ProgramRun, config: dict[str, Any]) -> None:
    settings = _settings(config)
    acl = run.one(ACL, "firewall-acl").inputs
    assert acl["scope"] == "REGIONAL"
    assert acl["defaultAction"] == {"allow": {}}
    rules = {rule["name"]: rule for rule in acl["rules"]}
    assert set(rules) == {"rate-limit-per-ip", *MANAGED_RULE_GROUPS}
    assert set(MANAGED_RULE_GROUPS) >= {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    }
    assert len({rule["priority"] for rule in acl["rules"]}) == len(acl["rules"])
    rate = rules["rate-limit-per-ip"]["statement"]["rateBasedStatement"]
    assert rate == {
        "aggregateKeyType": "IP",
        "limit": config["webFirewall"]["rateLimit"],
        "evaluationWindowSec": settings["rateWindowSeconds"],
    }
    for group in MANAGED_RULE_GROUPS:
        assert rules[group]["statement"]["managedRuleGroupStatement"] == {"vendorName": "AWS", "name": group}


def test_action_follows_config(run: ProgramRun, config: dict[str, Any]) -> None:
    action = _settings(config)["action"]
    rules = {rule["name"]: rule for rule in run.one(ACL, "firewall-acl").inputs["rules"]}
    assert rules["rate-limit-per-ip"]["action"] == ({"block": {}} if action == "BLOCK" else {"count": {}})
    for group in MANAGED_RULE_GROUPS:
        assert rules[group]["overrideAction"] == ({"none": {}} if action == "BLOCK" else {"count": {}})
        assert "action" not in rules[group]


def test_blocks_where_the_stack_must_block(stack: str, run: ProgramRun) -> None:
    """Whether the firewall must block is the stack's security pack config (wafv2-acl-blocks requireBlocking)."""
    _, required = load(stack).requirement("wafv2-acl-blocks")
    actions: list[dict[str, object]] = (
        [{"block": {}}] if required["requireBlocking"] else [{"block": {}}, {"count": {}}]
    )
    overrides: list[dict[str, object]] = (
        [{"none": {}}] if required["requireBlocking"] else [{"none": {}}, {"count": {}}]
    )
    for rule in run.one(ACL, "firewall-acl").inputs["rules"]:
        assert rule.get("action", actions[0]) in actions
        assert rule.get("overrideAction", overrides[0]) in overrides


def test_every_rule_has_metrics(run: ProgramRun) -> None:
    acl = run.one(ACL, "firewall-acl").inputs
    visibility = [acl["visibilityConfig"], *(rule["visibilityConfig"] for rule in acl["rules"])]
    assert all(v["cloudwatchMetricsEnabled"] and v["sampledRequestsEnabled"] for v in visibility)
    assert len({v["metricName"] for v in visibility}) == len(visibility)


def test_associated_with_this_stacks_api(run: ProgramRun) -> None:
    acl = run.one(ACL, "firewall-acl")
    api = run.one("aws:appsync/graphQLApi:GraphQLApi", "graphql-api")
    stage = run.one("aws:apigateway/stage:Stage", "rest-api-stage")
    associations = {a.inputs["resourceArn"]: a for a in run.by_type("aws:wafv2/webAclAssociation:WebAclAssociation")}
    # One regional ACL guards both regional endpoints: the GraphQL API and the REST stage.
    assert set(associations) == {api.state["arn"], stage.state["arn"]}
    assert {a.inputs["webAclArn"] for a in associations.values()} == {acl.state["arn"]}
    assert ":regional/webacl/" in acl.state["arn"]
    assert run.outputs["webAclArn"] == acl.state["arn"]


def test_logging_with_redacted_credentials(run: ProgramRun, config: dict[str, Any]) -> None:
    acl = run.one(ACL, "firewall-acl")
    group = run.one("aws:cloudwatch/logGroup:LogGroup", "firewall-logs")
    assert group.inputs["name"] == f"aws-waf-logs-social-backend-{run.stack}-regional"
    assert group.inputs["retentionInDays"] == config["webFirewall"]["logRetentionDays"]
    assert group.inputs["kmsKeyId"] == run.one("aws:kms/key:Key", "keys-logs").state["arn"]
    logging = run.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "firewall-logging").inputs
    assert logging["resourceArn"] == acl.state["arn"]
    assert logging["logDestinationConfigs"] == [group.state["arn"]]
    assert logging["redactedFields"] == [
        {"singleHeader": {"name": "authorization"}},
        {"singleHeader": {"name": "cookie"}},
    ]
    delivery = run.one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "firewall-log-delivery").inputs
    assert delivery["resourceArn"] == group.state["arn"]
    (statement,) = json.loads(delivery["policyDocument"])["Statement"]
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert statement["Resource"] == [f"{group.state['arn']}:log-stream:*"]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}


def test_cloudfront_scope_lives_in_us_east_1() -> None:
    args = WebFirewallArgs(context=CONTEXT, settings=WebFirewallSettings(), scope="CLOUDFRONT", logs_key_arn="k")
    assert args.region == "us-east-1"
    regional = WebFirewallArgs(context=CONTEXT, settings=WebFirewallSettings(), logs_key_arn="k")
    assert regional.region is None, "regional resources follow the stack's provider"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: WebFirewallSettings(action="ALLOW"), "action: must be one of COUNT, BLOCK; got 'ALLOW'"),
        (lambda: WebFirewallSettings(rate_limit=5), "rate_limit: must be between 10 and 2000000000"),
        (lambda: WebFirewallSettings(rate_window_seconds=30), "rate_window_seconds: must be one of 60, 120, 300, 600"),
        (
            lambda: WebFirewallArgs(context=CONTEXT, settings=WebFirewallSettings(), scope="GLOBAL", logs_key_arn="k"),
            "scope: must be one of REGIONAL, CLOUDFRONT",
        ),
        (
            lambda: WebFirewallArgs(
                context=CONTEXT,
                settings=WebFirewallSettings(),
                scope="CLOUDFRONT",
                resource_arns=["arn:aws:cloudfront::1:distribution/x"],
                logs_key_arn="k",
            ),
            "resource_arns: CloudFront distributions attach a web ACL",
        ),
    ],
)
def test_bad_arguments_name_the_field(make: Any, message: str) -> None:
    with pytest.raises(ArgsError, match=message):
        make()
