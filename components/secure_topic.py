"""An SNS topic for operational notifications: KMS-encrypted, TLS-only, publishable only
by the named service for this account, with delivery failures logged to declared,
encrypted log groups. Like ``secure_bucket``, it registers children under the caller."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.context import DeploymentContext
from components.log_group import log_group
from offline.flows.model import Flow, declare


@dataclass(frozen=True, kw_only=True)
class TopicSpec:
    role: str
    topic_name: str
    kms_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int
    #: The service allowed to publish (e.g. "cloudwatch") and the source ARN pattern it
    #: must publish from.
    publisher: str
    publisher_source_arn: str
    #: Where the topic lives (pulumi-aws v7 per-resource ``region``); None: the stack's
    #: region. ``kms_key_arn`` and ``logs_key_arn`` must be keys of that region.
    region: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


def topic_arn(ctx: DeploymentContext, topic_name: str) -> str:
    return ctx.arn("sns", topic_name)


@dataclass(frozen=True)
class SecureTopic:
    """The topic and its policy: a publisher that validates the policy when it is
    configured (CloudTrail at CreateTrail) must depend on ``policy``, not only the topic."""

    topic: aws.sns.Topic
    policy: aws.sns.TopicPolicy


def secure_topic(name: str, spec: TopicSpec, ctx: DeploymentContext, parent: pulumi.Resource) -> SecureTopic:
    child = pulumi.ResourceOptions(parent=parent)
    prefix = f"{name}-{spec.role}"
    # SNS writes delivery status to sns/<region>/<account>/<topic>[/Failure]; declared
    # here so they have retention and the logs key instead of being created bare.
    base = f"sns/{spec.region or ctx.region}/{ctx.account_id}/{spec.topic_name}"
    groups = [
        log_group(
            f"{prefix}-delivery-{kind}",
            group_name=group_name,
            region=spec.region,
            retention_days=spec.log_retention_days,
            kms_key_arn=spec.logs_key_arn,
            tags=spec.tags,
            parent=parent,
        )
        for kind, group_name in (("success", base), ("failure", f"{base}/Failure"))
    ]
    role = aws.iam.Role(
        f"{prefix}-feedback-role",
        description=f"SNS delivery status logging of {spec.topic_name}",
        assume_role_policy=pulumi.Output.json_dumps(ctx.trust_policy(ctx.service_principal("sns"))),
        tags=dict(spec.tags),
        opts=child,
    )
    policy = aws.iam.Policy(
        f"{prefix}-feedback-policy",
        description=f"Write delivery status of {spec.topic_name} to its two log groups only",
        policy=pulumi.Output.json_dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "WriteDeliveryStatus",
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        # Built from the groups' fixed names, not their ARN outputs, so the
                        # document is known at preview and the packs decide it there.
                        "Resource": [
                            f"arn:{ctx.partition}:logs:{spec.region or ctx.region}:{ctx.account_id}:"
                            f"log-group:{group_name}:log-stream:*"
                            for group_name in (base, f"{base}/Failure")
                        ],
                    }
                ],
            }
        ),
        tags=dict(spec.tags),
        opts=child,
    )
    attachment = aws.iam.RolePolicyAttachment(
        f"{prefix}-feedback-attach", role=role.name, policy_arn=policy.arn, opts=child
    )
    topic = aws.sns.Topic(
        prefix,
        name=spec.topic_name,
        region=spec.region,
        kms_master_key_id=spec.kms_key_arn,
        # Email has no delivery-status logging; HTTPS and SQS do.
        http_failure_feedback_role_arn=role.arn,
        http_success_feedback_role_arn=role.arn,
        http_success_feedback_sample_rate=0,
        sqs_failure_feedback_role_arn=role.arn,
        tags=dict(spec.tags),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[attachment]),
    )
    # Runtime flows: SNS developer guide, "Amazon SNS message delivery status": SNS assumes
    # the feedback role (aws:SourceAccount) and writes to sns/<region>/<account>/<topic>[/Failure].
    status_doc = "https://docs.aws.amazon.com/sns/latest/dg/sns-topic-attributes.html"
    declare(
        Flow(
            caller=ctx.service_principal("sns"),
            action="sts:AssumeRole",
            resource=role.arn,
            context={"aws:SourceAccount": ctx.account_id, "aws:SourceArn": topic.arn},
            purpose=f"delivery status logging of {spec.topic_name}",
            doc=status_doc,
            broad="the topic names its feedback role, so the role exists first and trusts SNS of this account",
        ),
        *(
            Flow(
                caller=role.arn,
                action=action,
                resource=pulumi.Output.concat(group.arn, ":log-stream:delivery"),
                purpose=f"delivery status of {spec.topic_name}",
                doc=status_doc,
            )
            for group in groups
            for action in ("logs:CreateLogStream", "logs:PutLogEvents")
        ),
    )
    topic_policy = aws.sns.TopicPolicy(
        f"{prefix}-policy",
        arn=topic.arn,
        region=spec.region,
        policy=pulumi.Output.json_dumps(_policy(ctx, spec, topic.arn)),
        opts=child,
    )
    return SecureTopic(topic, topic_policy)


def _policy(ctx: DeploymentContext, spec: TopicSpec, arn: pulumi.Output[str]) -> dict[str, Any]:
    """The named service of this account may publish; nothing else is granted (the owner
    manages the topic through IAM); any request without TLS is refused."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"Allow{spec.publisher.title()}OfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": ctx.service_principal(spec.publisher)},
                "Action": "sns:Publish",
                "Resource": arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": ctx.account_id},
                    "ArnLike": {"aws:SourceArn": spec.publisher_source_arn},
                },
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }
