"""KMS customer-managed keys, one per kind of data, each with a key policy of its own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.context import DeploymentContext
from components.validation import require_int_range

#: Services that encrypt stack data (Lambda: environment variables) with the data key on behalf of a caller in this
#: account (through grants), named in the key policy with ``kms:ViaService``.
DATA_KEY_SERVICES: tuple[str, ...] = ("rds", "dynamodb", "sqs", "secretsmanager", "s3", "lambda")

#: What a service needs to encrypt with a key on a caller's behalf.
_USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


def account_root_statement(ctx: DeploymentContext) -> dict[str, Any]:
    """The account root, not "*": IAM policies in this account decide who else may use the
    key (AWS's default key policy statement). First statement of every key policy here."""
    return {
        "Sid": "EnableIamPoliciesOfThisAccount",
        "Effect": "Allow",
        "Principal": {"AWS": ctx.account_root_arn},
        "Action": "kms:*",
        "Resource": "*",
    }


def logs_statement(
    ctx: DeploymentContext, region: str, log_groups: str, sid: str = "AllowCloudWatchLogsForThisAccount"
) -> dict[str, Any]:
    """CloudWatch Logs (its regional principal) may use the key for the log groups matching
    ``log_groups`` only (encryption context aws:logs:arn): the key policy the CloudWatch Logs
    user guide requires, "Encrypt log data in CloudWatch Logs using AWS KMS"."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.{ctx.dns_suffix}"},
        "Action": list(_USE_ACTIONS),
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
    }


def alarms_through_sns_statement(ctx: DeploymentContext, region: str) -> dict[str, Any]:
    """CloudWatch alarms publish to an encrypted alarm topic of ``region``; SNS then uses the
    key on CloudWatch's behalf, so the call always comes through SNS there."""
    return {
        "Sid": "AllowCloudWatchAlarmsThroughSns",
        "Effect": "Allow",
        "Principal": {"Service": ctx.service_principal("cloudwatch")},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": f"sns.{region}.{ctx.dns_suffix}"}},
    }


def sns_topics_statement(ctx: DeploymentContext, sid: str, arn_test: str, source_arn: str) -> dict[str, Any]:
    """SNS may use the key for the topics matching ``source_arn`` (``ArnLike`` / ``ArnEquals``):
    it encrypts what it moves into their encrypted dead-letter queues."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": ctx.service_principal("sns")},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {arn_test: {"aws:SourceArn": source_arn}},
    }


@dataclass(frozen=True, kw_only=True)
class KeysArgs:
    context: DeploymentContext
    #: Days KMS waits before deleting a key scheduled for deletion (AWS allows 7-30).
    deletion_window_days: int = 30
    #: Days between automatic rotations of the key material (AWS allows 90-2560).
    rotation_period_days: int = 365
    #: Pulumi ``protect``: a deleted key makes everything encrypted with it unreadable.
    protect: bool = True
    #: ARN of the stack's CloudTrail trail when the stack creates it (wired, not config):
    #: the audit key then admits CloudTrail for exactly that trail.
    cloudtrail_trail_arn: str | None = None
    #: Whether the stack's AWS Config delivery channel writes with the audit key (wired).
    config_delivery: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_int_range("deletion_window_days", self.deletion_window_days, 7, 30)
        require_int_range("rotation_period_days", self.rotation_period_days, 90, 2560)


class Keys(pulumi.ComponentResource):
    """The stack's customer-managed keys.

    - ``data``: Neptune storage, DynamoDB tables, SQS queues, secrets and the uploads
      bucket. Its policy lets those services use it only on behalf of this account's
      callers. (The buckets CloudFront reads have a content key of their own, see
      ``ContentDelivery``; S3 server access log targets are SSE-S3, so no log-delivery
      service needs a key.)
    - ``logs``: CloudWatch Logs. Its policy admits the regional logs service principal
      only for log groups of this account (encryption-context condition).
    - ``audit``: the CloudTrail trail and its bucket, the AWS Config delivery bucket and
      the alarm topic. Its policy admits CloudTrail only for this stack's trail
      (``aws:SourceArn`` and the CloudTrail encryption context), AWS Config only for this
      account, and CloudWatch alarms only through SNS in this region (``kms:ViaService``).

    Both also carry the account-root statement that lets IAM policies grant use of the
    key; without it a key can become unmanageable (AWS's default key policy).
    """

    data: aws.kms.Key
    logs: aws.kms.Key
    audit: aws.kms.Key

    def __init__(self, name: str, args: KeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social-backend:keys:Keys", name, None, opts)
        self._args = args
        ctx = args.context

        self.data = self._key(
            name,
            "data",
            "Stack data at rest: Neptune, DynamoDB, SQS, Secrets Manager, S3",
            [
                {
                    "Sid": "AllowUseThroughStackDataServices",
                    "Effect": "Allow",
                    "Principal": {"AWS": ctx.account_root_arn},
                    "Action": [*_USE_ACTIONS, "kms:CreateGrant"],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            "kms:CallerAccount": ctx.account_id,
                            "kms:ViaService": [f"{svc}.{ctx.region}.{ctx.dns_suffix}" for svc in DATA_KEY_SERVICES],
                        },
                    },
                },
            ],
        )
        self.logs = self._key(
            name,
            "logs",
            "CloudWatch Logs log groups of this stack",
            [logs_statement(ctx, ctx.region, ctx.arn("logs", "log-group:*"))],
        )
        self.audit = self._key(
            name, "audit", "Audit trail, Config snapshots and the alarm topic", _audit_statements(args)
        )
        self.register_outputs({"dataKeyArn": self.data.arn, "logsKeyArn": self.logs.arn, "auditKeyArn": self.audit.arn})

    def _key(self, name: str, role: str, description: str, statements: Sequence[Mapping[str, Any]]) -> aws.kms.Key:
        args, ctx = self._args, self._args.context
        return customer_key(
            f"{name}-{role}",
            KeySpec(
                role=role,
                description=description,
                deletion_window_days=args.deletion_window_days,
                rotation_period_days=args.rotation_period_days,
                policy_statements=statements,
                protect=args.protect,
                tags=args.tags,
            ),
            ctx,
            self,
        )


@dataclass(frozen=True, kw_only=True)
class KeySpec:
    """A customer-managed key of the stack: rotated, with a deletion window, an alias
    ``alias/<prefix>-<role>`` and a key policy that starts with the account-root statement."""

    #: The alias and ``Name`` tag: ``<prefix>-<role>``.
    role: str
    description: str
    deletion_window_days: int
    #: Days between rotations; None: KMS's default (365).
    rotation_period_days: int | None = None
    #: The service statements after the account-root one; None: no inline policy, because
    #: the caller attaches an aws.kms.KeyPolicy later (an inline policy and a KeyPolicy
    #: would overwrite each other). Until then the key has AWS's default policy.
    policy_statements: Sequence[Mapping[str, Any]] | None = ()
    #: Where the key lives (pulumi-aws v7 per-resource ``region``); None: the stack's region.
    #: A service encrypting in another region (us-east-1 for CloudFront) needs a key there.
    region: str | None = None
    #: Pulumi ``protect``: a deleted key makes everything encrypted with it unreadable.
    protect: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_int_range("deletion_window_days", self.deletion_window_days, 7, 30)
        if self.rotation_period_days is not None:
            require_int_range("rotation_period_days", self.rotation_period_days, 90, 2560)


def customer_key(resource_name: str, spec: KeySpec, ctx: DeploymentContext, parent: pulumi.Resource) -> aws.kms.Key:
    """The one place a KMS key (and its alias) is made: the stack's keys here, and the keys
    other components need in another region or with a policy naming their own resources
    (the content key, the us-east-1 logs and alarm keys), registered under ``parent`` so
    their names and URNs stay that component's."""
    policy = (
        None
        if spec.policy_statements is None
        else pulumi.Output.json_dumps(
            {"Version": "2012-10-17", "Statement": [account_root_statement(ctx), *spec.policy_statements]}
        )
    )
    key = aws.kms.Key(
        resource_name,
        description=f"{ctx.prefix}: {spec.description}",
        region=spec.region,
        enable_key_rotation=True,
        rotation_period_in_days=spec.rotation_period_days,
        deletion_window_in_days=spec.deletion_window_days,
        is_enabled=True,
        bypass_policy_lockout_safety_check=False,
        policy=policy,
        tags={**spec.tags, "Name": f"{ctx.prefix}-{spec.role}"},
        opts=pulumi.ResourceOptions(parent=parent, protect=spec.protect),
    )
    aws.kms.Alias(
        f"{resource_name}-alias",
        name=f"alias/{ctx.prefix}-{spec.role}",
        target_key_id=key.key_id,
        region=spec.region,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return key


def _audit_statements(args: KeysArgs) -> list[dict[str, Any]]:
    """Service statements of the audit key, each scoped to this stack or account."""
    ctx = args.context
    statements: list[dict[str, Any]] = [
        alarms_through_sns_statement(ctx, ctx.region),
        # SNS moves undeliverable notifications of this stack's topics into their
        # encrypted dead-letter queue.
        sns_topics_statement(ctx, "AllowSnsForThisStacksTopics", "ArnLike", ctx.arn("sns", f"{ctx.prefix}-*")),
    ]
    if args.cloudtrail_trail_arn is not None:
        trail_context = (
            f"arn:{ctx.partition}:cloudtrail:*:{ctx.account_id}:trail/{args.cloudtrail_trail_arn.rsplit('/', 1)[-1]}"
        )
        statements += [
            {
                # AWS's CloudTrail key policy, narrowed from "any trail" to this one.
                "Sid": "AllowCloudTrailToEncryptThisTrail",
                "Effect": "Allow",
                "Principal": {"Service": ctx.service_principal("cloudtrail")},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceArn": args.cloudtrail_trail_arn},
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trail_context},
                },
            },
            {
                # Log-delivery notifications go to an encrypted topic through SNS.
                "Sid": "AllowCloudTrailNotificationsThroughSns",
                "Effect": "Allow",
                "Principal": {"Service": ctx.service_principal("cloudtrail")},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "aws:SourceArn": args.cloudtrail_trail_arn,
                        "kms:ViaService": f"sns.{ctx.region}.{ctx.dns_suffix}",
                    }
                },
            },
            {
                "Sid": "AllowCloudTrailToDescribeKey",
                "Effect": "Allow",
                "Principal": {"Service": ctx.service_principal("cloudtrail")},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceArn": args.cloudtrail_trail_arn}},
            },
        ]
    if args.config_delivery:
        statements.append(
            {
                "Sid": "AllowConfigDeliveryForThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": ctx.service_principal("config")},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": ctx.account_id}},
            }
        )
    return statements
