"""Rule table for policies/rules/messaging.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import pytest

from tests.policies.conftest import Case, check_case
from tests.policies.rules._values import PUBLIC, SCOPED

TOPIC = "aws:sns/topic:Topic"

QUEUE = "aws:sqs/queue:Queue"

SECRET = "aws:secretsmanager/secret:Secret"

CASES: list[Case] = [
    Case(
        "sns-topic-kms",
        TOPIC,
        {"kmsMasterKeyId": "arn:aws:kms:eu-west-1:1:key/k"},
        bad=({"kmsMasterKeyId": ""},),
        missing=("kmsMasterKeyId",),
    ),
    Case(
        "sns-topic-policy-not-public",
        "aws:sns/topicPolicy:TopicPolicy",
        {"arn": "t", "policy": SCOPED},
        bad=({"policy": PUBLIC},),
        unknown=("policy",),
    ),
    Case("sns-topic-policy-not-public", TOPIC, {"policy": SCOPED}, bad=({"policy": PUBLIC},), optional=("policy",)),
    Case(
        "sns-delivery-status-logging",
        TOPIC,
        {"applicationFailureFeedbackRoleArn": "arn:aws:iam::1:role/fb"},
        missing=("applicationFailureFeedbackRoleArn",),
    ),
    Case(
        "sns-delivery-status-logging",
        "aws:sns/platformApplication:PlatformApplication",
        {"failureFeedbackRoleArn": "arn:aws:iam::1:role/fb"},
        missing=("failureFeedbackRoleArn",),
    ),
    Case(
        "sns-subscription-redrive",
        "aws:sns/topicSubscription:TopicSubscription",
        {"protocol": "sqs", "redrivePolicy": '{"deadLetterTargetArn": "arn"}'},
        missing=("redrivePolicy",),
    ),
    Case(
        "sqs-queue-encrypted",
        QUEUE,
        {"kmsMasterKeyId": "arn:aws:kms:eu-west-1:1:key/k"},
        bad=({"kmsMasterKeyId": "", "sqsManagedSseEnabled": True},),
        missing=("kmsMasterKeyId",),
    ),
    Case(
        "sqs-queue-policy-not-public",
        "aws:sqs/queuePolicy:QueuePolicy",
        {"queueUrl": "q", "policy": SCOPED},
        bad=({"policy": PUBLIC},),
        unknown=("policy",),
    ),
    Case("secret-cmk", SECRET, {"kmsKeyId": "arn:aws:kms:eu-west-1:1:key/k"}, missing=("kmsKeyId",)),
    Case(
        "secret-policy-not-public",
        "aws:secretsmanager/secretPolicy:SecretPolicy",
        {"secretArn": "s", "policy": SCOPED, "blockPublicPolicy": True},
        bad=({"policy": PUBLIC}, {"blockPublicPolicy": False}),
        missing=("blockPublicPolicy",),
        unknown=("policy", "blockPublicPolicy"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    check_case(case)
