"""SNS (rows 131-136), SQS queues and Secrets Manager (rows 65-69)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from policies import iamdoc
from policies.core import (
    COMPLIANCE,
    SECURITY,
    Param,
    Res,
    Settings,
    Stack,
    StackFinding,
    guarded,
    resource_rule,
    stack_rule,
)
from policies.rules._helpers import document, public_statements, require_set

TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
PLATFORM_APP = "aws:sns/platformApplication:PlatformApplication"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
SECRET = "aws:secretsmanager/secret:Secret"  # noqa: S105 - a type token
ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"  # noqa: S105 - a type token

require_set(
    "sns-topic-kms",
    path="kmsMasterKeyId",
    what="the topic is not encrypted with KMS",
    pack=SECURITY,
    types=[TOPIC],
    description="SNS topics are encrypted with a customer-managed KMS key.",
    severity="medium",
    remediation="Pass kms_master_key_id=<stack CMK>.arn (its key policy must allow the publishing services).",
    category="encryption",
    rows=[131],
    fsbp=["SNS.1"],
    cdk_nag=["NIST5:SNSEncryptedKMS"],
    checkov=["CKV_AWS_26"],
)


@resource_rule(
    "sns-topic-policy-not-public",
    pack=SECURITY,
    types=[TOPIC, TOPIC_POLICY],
    description="SNS topic policies allow nothing to the wildcard principal without a limiting condition.",
    severity="critical",
    remediation="Name the publishing service with aws:SourceArn / aws:SourceAccount conditions instead of '*'.",
    category="least-privilege",
    rows=[133, 134],
    fsbp=["SNS.4"],
    checkov=["CKV_AWS_169"],
)
def topic_not_public(r: Res, _: Settings) -> Iterator[str]:
    yield from public_statements(r, "policy")


@stack_rule(
    "sns-topic-tls-only",
    pack=SECURITY,
    description="Every topic's policy denies publishing without TLS (aws:SecureTransport false).",
    severity="medium",
    remediation="Add a Deny statement for Principal '*' with Condition Bool aws:SecureTransport false to the topic policy.",
    category="encryption",
    rows=[132],
    cdk_nag=["SNS3"],
)
def topic_tls(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for topic in stack.of(TOPIC):

        def check(topic: Res = topic) -> Iterator[str]:
            owners = [topic, *stack.referrers(topic, "arn", TOPIC_POLICY)]
            for owner in owners:
                try:
                    if iamdoc.denies_insecure_transport(document(owner, "policy")):
                        return
                except iamdoc.DocumentError as error:
                    yield f"{owner.label}: {error}"
                    return
            yield f"{topic.label}: no policy denies publishing without TLS"

        yield from guarded(topic, check)


@resource_rule(
    "sns-delivery-status-logging",
    pack=COMPLIANCE,
    types=[TOPIC, PLATFORM_APP],
    description="SNS topics and platform applications log delivery failures (a failure feedback role).",
    severity="low",
    remediation="Set the *_failure_feedback_role_arn for the protocols used (platform applications: failure_feedback_role_arn).",
    category="logging",
    rows=[135],
    fsbp=["SNS.2"],
)
def delivery_status(r: Res, _: Settings) -> Iterator[str]:
    keys = [k for k in r.props if k.endswith("ailureFeedbackRoleArn")]
    if not any(r.get(k) not in (None, "") for k in keys):
        yield f"{r.label}: delivery failures are not logged (no failure feedback role)"


@resource_rule(
    "sns-subscription-redrive",
    pack=COMPLIANCE,
    types=[SUBSCRIPTION],
    description="SNS subscriptions have a redrive policy (dead-letter queue).",
    severity="low",
    remediation="Set redrive_policy to a JSON document naming an SQS dead-letter queue.",
    category="resilience",
    rows=[136],
    cdk_nag=["SL:SNSRedrivePolicy"],
)
def subscription_redrive(r: Res, _: Settings) -> Iterator[str]:
    if r.get("redrivePolicy") in (None, ""):
        yield f"{r.label}: no redrive policy"


@resource_rule(
    "sqs-queue-encrypted",
    pack=SECURITY,
    types=[QUEUE],
    description="SQS queues are encrypted at rest with a customer-managed KMS key.",
    severity="medium",
    remediation="Pass kms_master_key_id=<stack CMK>.arn (not only sqs_managed_sse_enabled).",
    category="encryption",
    rows=[131],
    fsbp=["SQS.1"],
    checkov=["CKV_AWS_27"],
)
def queue_encrypted(r: Res, _: Settings) -> Iterator[str]:
    if r.get("kmsMasterKeyId") in (None, ""):
        yield f"{r.label}: not encrypted with a customer-managed key (kmsMasterKeyId is not set)"


@resource_rule(
    "sqs-queue-policy-not-public",
    pack=SECURITY,
    types=[QUEUE, QUEUE_POLICY],
    description="SQS queue policies allow nothing to the wildcard principal without a limiting condition.",
    severity="critical",
    remediation="Name the sending service with aws:SourceArn instead of '*'.",
    category="least-privilege",
    rows=[133],
    fsbp=["SQS.3"],
    checkov=["CKV_AWS_168"],
)
def queue_not_public(r: Res, _: Settings) -> Iterator[str]:
    yield from public_statements(r, "policy")


@stack_rule(
    "sqs-queue-dead-letter",
    pack=COMPLIANCE,
    description="Every SQS queue that is not itself a dead-letter queue has a redrive policy.",
    severity="medium",
    remediation="Set redrive_policy={'deadLetterTargetArn': dlq.arn, 'maxReceiveCount': N} via Output.json_dumps.",
    category="resilience",
    rows=[97, 136],
)
def queue_dead_letter(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    queues = stack.of(QUEUE)
    # A queue is itself a dead-letter queue when another queue, a function, an async invoke
    # config, an event source mapping or a subscription sends its failures there.
    feeders = (
        (QUEUE, "redrivePolicy"),
        ("aws:lambda/function:Function", "deadLetterConfig"),
        ("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "destinationConfig"),
        ("aws:lambda/eventSourceMapping:EventSourceMapping", "destinationConfig"),
        (SUBSCRIPTION, "redrivePolicy"),
    )
    dlqs = {
        q.urn for res_type, prop in feeders for source in stack.of(res_type) for q in stack.linked(source, prop, QUEUE)
    }
    for queue in queues:

        def check(queue: Res = queue) -> Iterator[str]:
            if queue.urn not in dlqs and queue.get("redrivePolicy") in (None, ""):
                yield f"{queue.label}: no dead-letter queue"

        yield from guarded(queue, check)


require_set(
    "secret-cmk",
    path="kmsKeyId",
    what="the secret uses the AWS-managed key",
    pack=SECURITY,
    types=[SECRET],
    description="Secrets are encrypted with a customer-managed KMS key.",
    severity="medium",
    remediation="Pass kms_key_id=<stack CMK>.arn.",
    category="encryption",
    rows=[68],
    cdk_nag=["NIST5:SecretsManagerUsingKMSKey"],
    checkov=["CKV_AWS_149"],
    other=["pulumi-cp:secretsmanager-secret-configure-customer-managed-key"],
)


@resource_rule(
    "secret-policy-not-public",
    pack=SECURITY,
    types=[SECRET, SECRET_POLICY],
    description="Secret resource policies are not public and block public policies.",
    severity="critical",
    remediation="Remove '*' principals and set block_public_policy=True on aws.secretsmanager.SecretPolicy.",
    category="least-privilege",
    rows=[69],
    other=["gap:7.10"],
)
def secret_policy(r: Res, _: Settings) -> Iterator[str]:
    yield from public_statements(r, "policy")
    if r.type == SECRET_POLICY and r.req("blockPublicPolicy") is not True:
        yield f"{r.label}: blockPublicPolicy is not true"


_RATE = re.compile(r"^rate\((\d+)\s+(hour|hours|day|days)\)$")


@stack_rule(
    "secret-rotation",
    pack=SECURITY,
    description="Every secret rotates automatically at least every maximumDays (default 90); secrets without a rotation function are exempted by name with a reason.",
    severity="medium",
    remediation="Add aws.secretsmanager.SecretRotation(secret_id=s.id, rotation_lambda_arn=..., rotation_rules={'automatically_after_days': 30}).",
    category="least-privilege",
    rows=[65, 66],
    fsbp=["SecretsManager.1", "SecretsManager.4"],
    cdk_nag=["SMG4", "NIST5:SecretsManagerRotationEnabled"],
    checkov=["CKV2_AWS_57", "CKV_AWS_304"],
    params=[Param("maximumDays", {"type": "integer", "minimum": 1}, 90, "longest rotation interval")],
)
def rotation(stack: Stack, cfg: Settings) -> Iterator[StackFinding]:
    for secret in stack.of(SECRET):

        def check(secret: Res = secret) -> Iterator[str]:
            rotations = stack.referrers(secret, "secretId", ROTATION)
            if not rotations:
                yield f"{secret.label}: no automatic rotation"
            for item in rotations:
                days = _interval_days(item)
                if days is None or days > cfg["maximumDays"]:
                    yield f"{secret.label}: rotation interval {'unknown' if days is None else f'{days:g} days'} exceeds {cfg['maximumDays']} days"

        yield from guarded(secret, check)


def _interval_days(rotation: Res) -> float | None:
    days = rotation.number("rotationRules.automaticallyAfterDays")
    if days is not None:
        return days
    expression = str(rotation.req("rotationRules.scheduleExpression") or "").strip()
    match = _RATE.match(expression)
    if match:
        value = float(match.group(1))
        return value / 24 if match.group(2).startswith("hour") else value
    if expression.startswith("cron(") and len(expression[5:-1].split()) >= 4:
        month = expression[5:-1].split()[3]
        return 31.0 if month in ("*", "?") else None
    return None
