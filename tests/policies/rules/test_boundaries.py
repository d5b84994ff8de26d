"""Rule tests for policies/rules/boundaries.py: resource, key and trust policies admit only this account."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.policies.conftest import UNKNOWN, R, validate_stack

POLICY = "policies-admit-only-this-account"
ACCOUNT = "123456789012"
OTHER = "210987654321"
TOPIC_ARN = f"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts"
BUCKET_ARN = "arn:aws:s3:::media"
ALARM_ARN = f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:errors"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal: Any, condition: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sns:Publish", "Resource": "*"}
    if condition is not None:
        statement["Condition"] = condition
    return {**statement, **extra}


def topic() -> R:
    """A resource of this stack whose provider-assigned ARN tells the rule the stack's account."""
    return R("aws:sns/topic:Topic", "alerts", {"arn": TOPIC_ARN, "name": "alerts"})


def judged(*resources: R, config: dict[str, Any] | None = None) -> list[str]:
    return [f.message for f in validate_stack(POLICY, [topic(), *resources], config)]


POLICY_TYPES = [
    ("aws:sns/topicPolicy:TopicPolicy", "policy"),
    ("aws:s3/bucketPolicy:BucketPolicy", "policy"),
    ("aws:sqs/queuePolicy:QueuePolicy", "policy"),
    ("aws:kms/key:Key", "policy"),
    ("aws:kms/keyPolicy:KeyPolicy", "policy"),
    ("aws:secretsmanager/secretPolicy:SecretPolicy", "policy"),
    ("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "policyDocument"),
    ("aws:iam/role:Role", "assumeRolePolicy"),
    ("aws:apigateway/restApiPolicy:RestApiPolicy", "policy"),
    ("aws:ec2/vpcEndpoint:VpcEndpoint", "policy"),
]


@pytest.mark.parametrize(("res_type", "prop"), POLICY_TYPES)
def test_every_policy_kind_refuses_a_foreign_account(res_type: str, prop: str) -> None:
    own = R(res_type, "subject", {prop: doc(allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))})
    assert judged(own) == []
    foreign = R(res_type, "subject", {prop: doc(allow({"AWS": f"arn:aws:iam::{OTHER}:role/ops"}))})
    (message,) = judged(foreign)
    assert OTHER in message and "not this stack's account" in message


@pytest.mark.parametrize(
    "principal", [f"arn:aws:iam::{OTHER}:root", OTHER, [f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws:iam::{OTHER}:root"]]
)
def test_foreign_principal_forms(principal: Any) -> None:
    assert judged(R("aws:sns/topicPolicy:TopicPolicy", "p", {"policy": doc(allow({"AWS": principal}))}))


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
        {"StringEquals": {"kms:CallerAccount": ACCOUNT}},
        {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
        {"ArnLike": {"aws:SourceArn": ALARM_ARN}},
    ],
)
def test_wildcard_principal_pinned_to_this_account_organization_or_stack(condition: dict[str, Any]) -> None:
    for principal in ("*", {"AWS": "*"}):
        res = R("aws:sns/topicPolicy:TopicPolicy", "p", {"policy": doc(allow(principal, condition))})
        assert judged(res, config={"organizationIds": ["o-abc123"]}) == []


@pytest.mark.parametrize(
    "condition",
    [
        None,
        {"StringEquals": {"aws:SourceAccount": OTHER}},
        {"StringNotEquals": {"aws:SourceAccount": ACCOUNT}},  # a Not... operator pins nothing
        {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}},  # true when the key is absent
        {"StringEquals": {"aws:PrincipalOrgID": "o-someone-else"}},
        {"ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:eu-west-1:{OTHER}:alarm:x"}},
        {"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:*:alarm:*"}},
        {"Bool": {"aws:SecureTransport": "true"}},
        {"StringEquals": {"aws:SourceVpce": "vpce-123"}},
    ],
)
def test_wildcard_principal_without_a_pinning_condition(condition: dict[str, Any] | None) -> None:
    res = R("aws:sns/topicPolicy:TopicPolicy", "p", {"policy": doc(allow("*", condition))})
    assert judged(res, config={"organizationIds": ["o-abc123"]})


def test_not_principal_and_deny_statements() -> None:
    not_principal = {"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "s3:*"}
    assert judged(R("aws:s3/bucketPolicy:BucketPolicy", "p", {"policy": doc(not_principal)}))
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": BUCKET_ARN}
    assert judged(R("aws:s3/bucketPolicy:BucketPolicy", "p", {"policy": doc(deny)})) == []


def test_service_principals_with_a_foreign_source_account() -> None:
    service = {"Service": "cloudwatch.amazonaws.com"}
    ours = allow(service, {"StringEquals": {"aws:SourceAccount": ACCOUNT}})
    assert judged(R("aws:sns/topicPolicy:TopicPolicy", "p", {"policy": doc(ours)})) == []
    theirs = allow(service, {"StringEquals": {"aws:SourceAccount": OTHER}})
    assert judged(R("aws:sns/topicPolicy:TopicPolicy", "p", {"policy": doc(theirs)}))


def test_lambda_permissions() -> None:
    perm = "aws:lambda/permission:Permission"
    service = {"principal": "s3.amazonaws.com", "sourceArn": BUCKET_ARN, "sourceAccount": ACCOUNT}
    assert judged(R(perm, "ok", service)) == []
    assert judged(R(perm, "own", {"principal": ACCOUNT})) == []
    assert judged(R(perm, "foreign", {"principal": OTHER}))
    assert judged(R(perm, "foreign-source", {**service, "sourceAccount": OTHER}))
    assert judged(R(perm, "public", {"principal": "*"}))
    assert judged(R(perm, "public-pinned", {"principal": "*", "sourceAccount": ACCOUNT})) == []


def test_configured_account_wins_over_the_arns() -> None:
    res = R("aws:sns/topicPolicy:TopicPolicy", "p", {"policy": doc(allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))})
    assert judged(res, config={"accountIds": [OTHER]})


def test_property_missing_is_no_policy() -> None:
    assert judged(R("aws:sns/topicPolicy:TopicPolicy", "p", {})) == []


def test_unknown_at_preview_fails_closed() -> None:
    unknown = R("aws:sns/topicPolicy:TopicPolicy", "p", {"policy": UNKNOWN})
    assert validate_stack(POLICY, [topic(), unknown]) == []
    found = [
        f
        for f in validate_stack("preview-unknown-security-inputs", [topic(), unknown])
        if f.message.startswith(f"{POLICY}:")
    ]
    assert found and "cannot be verified" in found[0].message


def test_account_unknown_at_preview_fails_closed() -> None:
    """No ARN of the stack is known yet (first preview): an account comparison is undecided, not a pass."""
    res = R("aws:sns/topicPolicy:TopicPolicy", "p", {"policy": doc(allow({"AWS": f"arn:aws:iam::{OTHER}:root"}))})
    assert validate_stack(POLICY, [res]) == []
    found = [f for f in validate_stack("preview-unknown-security-inputs", [res]) if f.message.startswith(f"{POLICY}:")]
    assert found and "cannot be verified" in found[0].message


# -- resource-policies-service-principals-pinned ------------------------------------------------

PINNED = "resource-policies-service-principals-pinned"


def service_judged(*resources: R) -> list[str]:
    return [f.message for f in validate_stack(PINNED, [topic(), *resources])]


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        {"ArnLike": {"aws:SourceArn": ALARM_ARN}},
        {"ArnEquals": {"aws:SourceArn": TOPIC_ARN}},
    ],
)
def test_service_principal_pinned_to_this_stack(condition: dict[str, Any]) -> None:
    res = R("aws:sqs/queuePolicy:QueuePolicy", "p", {"policy": doc(allow({"Service": "sns.amazonaws.com"}, condition))})
    assert service_judged(res) == []


@pytest.mark.parametrize(
    "condition",
    [
        None,
        {"StringEquals": {"aws:SourceAccount": OTHER}},
        {"ArnLike": {"aws:SourceArn": "arn:aws:sns:eu-west-1:*:*"}},
        {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}},
    ],
)
def test_service_principal_any_account_is_a_confused_deputy(condition: dict[str, Any] | None) -> None:
    for res_type in (
        "aws:sqs/queuePolicy:QueuePolicy",
        "aws:sns/topicPolicy:TopicPolicy",
        "aws:s3/bucketPolicy:BucketPolicy",
    ):
        res = R(res_type, "p", {"policy": doc(allow({"Service": "events.amazonaws.com"}, condition))})
        (message,) = service_judged(res)
        assert "events.amazonaws.com" in message


def test_key_and_trust_policies_are_judged_by_their_own_rules() -> None:
    trust = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    key = allow({"Service": "logs.amazonaws.com"})
    assert service_judged(R("aws:iam/role:Role", "r", {"assumeRolePolicy": doc(trust)})) == []
    assert service_judged(R("aws:kms/key:Key", "k", {"policy": doc(key)})) == []


def test_service_rule_missing_and_unknown() -> None:
    assert service_judged(R("aws:sqs/queuePolicy:QueuePolicy", "p", {})) == []
    unknown = R("aws:sqs/queuePolicy:QueuePolicy", "p", {"policy": UNKNOWN})
    assert service_judged(unknown) == []
    found = [
        f
        for f in validate_stack("preview-unknown-security-inputs", [topic(), unknown])
        if f.message.startswith(f"{PINNED}:")
    ]
    assert found and "cannot be verified" in found[0].message
