"""AWS Config: the recorder (an account-level singleton), its delivery channel and
status, and AWS managed rules that re-check at run time what the policy packs check at
deploy time."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.context import DeploymentContext
from components.secure_bucket import BucketSpec, Lifecycle, access_log_delivery_statement, secure_bucket
from components.validation import require_choice, require_int_range
from offline.flows.model import Flow, declare

DELIVERY_FREQUENCIES = ("One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours")
#: The values the cw-loggroup-retention-period-check rule accepts for MinRetentionTime.
RULE_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)
#: AWS Config records CloudFront distributions in this region only, and its CloudFront
#: rules exist only there.
CLOUDFRONT_RULES_REGION = "us-east-1"


@dataclass(frozen=True)
class ManagedRule:
    """An AWS managed Config rule and the deploy-time control it mirrors."""

    identifier: str
    #: Policy-pack name on main, or ``docs/controls.md#c-<row>`` where no policy exists yet.
    mirrors: str
    #: Security Hub control id, or "—".
    security_hub: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    #: The only region where the rule exists (None: every region this stack uses).
    only_region: str | None = None

    @property
    def slug(self) -> str:
        return self.identifier.lower().replace("_", "-")


def managed_rules(min_log_retention_days: int) -> tuple[ManagedRule, ...]:
    """Every rule identifier here is checked against AWS Config's managed-rule list."""
    return (
        # Neptune
        ManagedRule("NEPTUNE_CLUSTER_ENCRYPTED", "neptune-cluster-storage-encrypted", "Neptune.1"),
        ManagedRule("NEPTUNE_CLUSTER_CLOUDWATCH_LOG_EXPORT_ENABLED", "neptune-cluster-audit-log-export", "Neptune.2"),
        ManagedRule("NEPTUNE_CLUSTER_SNAPSHOT_PUBLIC_PROHIBITED", "docs/controls.md#c-5", "Neptune.3"),
        ManagedRule("NEPTUNE_CLUSTER_DELETION_PROTECTION_ENABLED", "neptune-cluster-deletion-protection", "Neptune.4"),
        ManagedRule("NEPTUNE_CLUSTER_BACKUP_RETENTION_CHECK", "neptune-cluster-backup-retention", "Neptune.5"),
        ManagedRule("NEPTUNE_CLUSTER_SNAPSHOT_ENCRYPTED", "neptune-snapshot-encrypted", "Neptune.6"),
        ManagedRule("NEPTUNE_CLUSTER_IAM_DATABASE_AUTHENTICATION", "neptune-cluster-iam-auth", "Neptune.7"),
        ManagedRule(
            "NEPTUNE_CLUSTER_COPY_TAGS_TO_SNAPSHOT_ENABLED", "neptune-cluster-copy-tags-to-snapshot", "Neptune.8"
        ),
        ManagedRule("NEPTUNE_CLUSTER_MULTI_AZ_ENABLED", "neptune-multi-az-instances", "Neptune.9"),
        # S3
        ManagedRule("S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED", "docs/controls.md#c-33", "S3.8"),
        ManagedRule("S3_BUCKET_PUBLIC_READ_PROHIBITED", "docs/controls.md#c-35", "S3.2"),
        ManagedRule("S3_BUCKET_PUBLIC_WRITE_PROHIBITED", "docs/controls.md#c-36", "S3.3"),
        ManagedRule("S3_BUCKET_SSL_REQUESTS_ONLY", "docs/controls.md#c-37", "S3.5"),
        ManagedRule("S3_BUCKET_LOGGING_ENABLED", "docs/controls.md#c-39", "S3.9"),
        ManagedRule("S3_BUCKET_ACL_PROHIBITED", "docs/controls.md#c-40", "S3.12"),
        ManagedRule("S3_LIFECYCLE_POLICY_CHECK", "docs/controls.md#c-41", "S3.13"),
        ManagedRule("S3_DEFAULT_ENCRYPTION_KMS", "docs/controls.md#c-43", "S3.17"),
        ManagedRule("S3_BUCKET_VERSIONING_ENABLED", "docs/controls.md#c-44", "S3.14"),
        # CloudTrail
        ManagedRule("MULTI_REGION_CLOUD_TRAIL_ENABLED", "docs/controls.md#c-77", "CloudTrail.1"),
        ManagedRule("CLOUD_TRAIL_ENCRYPTION_ENABLED", "docs/controls.md#c-79", "CloudTrail.2"),
        ManagedRule("CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED", "docs/controls.md#c-80", "CloudTrail.4"),
        ManagedRule("CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED", "docs/controls.md#c-81", "CloudTrail.5"),
        # CloudFront (evaluated only where Config records distributions)
        ManagedRule(
            "CLOUDFRONT_VIEWER_POLICY_HTTPS", "docs/controls.md#c-51", "CloudFront.3", only_region=CLOUDFRONT_RULES_REGION
        ),
        ManagedRule(
            "CLOUDFRONT_ACCESSLOGS_ENABLED", "docs/controls.md#c-53", "CloudFront.5", only_region=CLOUDFRONT_RULES_REGION
        ),
        ManagedRule(
            "CLOUDFRONT_ASSOCIATED_WITH_WAF", "docs/controls.md#c-54", "CloudFront.6", only_region=CLOUDFRONT_RULES_REGION
        ),
        ManagedRule(
            "CLOUDFRONT_S3_ORIGIN_ACCESS_CONTROL_ENABLED",
            "docs/controls.md#c-60",
            "CloudFront.13",
            only_region=CLOUDFRONT_RULES_REGION,
        ),
        # AppSync
        ManagedRule("APPSYNC_LOGGING_ENABLED", "docs/controls.md#c-15", "AppSync.2"),
        ManagedRule(
            "APPSYNC_AUTHORIZATION_CHECK",
            "docs/controls.md#c-17",
            "AppSync.5",
            # Cognito for app users, IAM for the backend's publish mutation; never API keys.
            parameters={"AllowedAuthorizationTypes": "AMAZON_COGNITO_USER_POOLS,AWS_IAM"},
        ),
        ManagedRule("APPSYNC_ASSOCIATED_WITH_WAF", "docs/controls.md#c-21", "—"),
        # Lambda
        ManagedRule("LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED", "docs/controls.md#c-92", "Lambda.1"),
        ManagedRule("LAMBDA_VPC_MULTI_AZ_CHECK", "docs/controls.md#c-95", "Lambda.5"),
        ManagedRule("LAMBDA_DLQ_CHECK", "docs/controls.md#c-97", "—"),
        ManagedRule("LAMBDA_CONCURRENCY_CHECK", "docs/controls.md#c-99", "—"),
        # KMS
        ManagedRule("CMK_BACKING_KEY_ROTATION_ENABLED", "kms-key-rotation", "KMS.4"),
        ManagedRule("KMS_CMK_NOT_SCHEDULED_FOR_DELETION", "kms-key-deletion-window", "KMS.3"),
        # Secrets Manager
        ManagedRule("SECRETSMANAGER_ROTATION_ENABLED_CHECK", "docs/controls.md#c-65", "SecretsManager.1"),
        ManagedRule("SECRETSMANAGER_SCHEDULED_ROTATION_SUCCESS_CHECK", "docs/controls.md#c-67", "SecretsManager.2"),
        ManagedRule("SECRETSMANAGER_USING_CMK", "docs/controls.md#c-68", "—"),
        # VPC
        ManagedRule("VPC_FLOW_LOGS_ENABLED", "vpc-flow-logs", "EC2.6"),
        ManagedRule("VPC_DEFAULT_SECURITY_GROUP_CLOSED", "vpc-default-security-group-closed", "EC2.2"),
        ManagedRule("SUBNET_AUTO_ASSIGN_PUBLIC_IP_DISABLED", "vpc-subnet-no-public-ip", "EC2.15"),
        # IAM
        ManagedRule("IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS", "iam-no-admin-statements", "IAM.1"),
        ManagedRule("IAM_POLICY_NO_STATEMENTS_WITH_FULL_ACCESS", "iam-no-wildcard-actions", "IAM.21"),
        ManagedRule("IAM_USER_NO_POLICIES_CHECK", "iam-no-user-policies", "IAM.2"),
        # CloudWatch and SNS
        ManagedRule("CLOUDWATCH_LOG_GROUP_ENCRYPTED", "log-group-kms", "—"),
        ManagedRule(
            "CW_LOGGROUP_RETENTION_PERIOD_CHECK",
            "log-group-retention",
            "CloudWatch.16",
            parameters={"MinRetentionTime": str(min_log_retention_days)},
        ),
        ManagedRule(
            "CLOUDWATCH_ALARM_ACTION_CHECK",
            "docs/controls.md#c-139",
            "CloudWatch.15",
            # Alarm and OK notify the topic; INSUFFICIENT_DATA is handled by treatMissingData.
            parameters={
                "alarmActionRequired": "true",
                "okActionRequired": "true",
                "insufficientDataActionRequired": "false",
            },
        ),
        ManagedRule("SNS_ENCRYPTED_KMS", "docs/controls.md#c-131", "SNS.1"),
    )


def delivery_bucket_name(ctx: DeploymentContext) -> str:
    return f"{ctx.prefix}-config-{ctx.account_id}"


def delivery_bucket_arn(ctx: DeploymentContext) -> str:
    """Known before the bucket exists, so the trail can record its object events."""
    return f"arn:{ctx.partition}:s3:::{delivery_bucket_name(ctx)}"


@dataclass(frozen=True, kw_only=True)
class ComplianceSettings:
    """``<project>:compliance`` in the stack config."""

    #: AWS Config allows one recorder (and one delivery channel) per account and region,
    #: and Config, Security Hub and Control Tower leave one behind: creating it fails
    #: wherever one exists, so this stack creates it only when told to (a fresh account).
    create_recorder: bool = False
    #: Record IAM and other global resource types (in one region per account only).
    include_global_resource_types: bool = True
    #: ``AWSServiceRoleForConfig`` exists once per account once Config was ever enabled;
    #: creating it again fails, so it is created only when told to (a fresh account).
    create_service_linked_role: bool = False
    delivery_frequency: str = "TwentyFour_Hours"
    #: Days configuration snapshots and history are kept in the delivery bucket.
    snapshot_expire_days: int = 2557
    #: Create the managed rules (needs a recorder in the region, this stack's or another's).
    create_rules: bool = True
    #: MinRetentionTime of the log-group retention rule (mirrors the packs' setting).
    minimum_log_retention_days: int = 365
    #: Pulumi ``protect`` on the delivery bucket (and its access-log bucket).
    protect: bool = True

    def __post_init__(self) -> None:
        require_choice("delivery_frequency", self.delivery_frequency, DELIVERY_FREQUENCIES)
        # Objects go to Glacier on day 90, so they must outlive it.
        require_int_range("snapshot_expire_days", self.snapshot_expire_days, 91, 36500)
        require_choice("minimum_log_retention_days", self.minimum_log_retention_days, RULE_RETENTION_DAYS)


@dataclass(frozen=True, kw_only=True)
class ComplianceArgs:
    context: DeploymentContext
    settings: ComplianceSettings
    #: SSE-KMS key of the delivery bucket (the audit key, which admits AWS Config).
    audit_key_arn: pulumi.Input[str]
    #: Where the delivery bucket's S3 access logs go (the audit trail's access-log bucket);
    #: None: this component creates its own.
    access_log_bucket: pulumi.Input[str] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


class Compliance(pulumi.ComponentResource):
    """Recorder (all supported types) -> delivery channel (encrypted bucket) -> recorder
    status (enabled), then the managed rules."""

    recorder: aws.cfg.Recorder | None
    rules: list[aws.cfg.Rule]

    def __init__(self, name: str, args: ComplianceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social-backend:compliance:Compliance", name, None, opts)
        ctx, settings = args.context, args.settings
        rules_after: list[pulumi.Resource] = []
        self.recorder = None
        # The service-linked role carries AWS's own, AWS-maintained permissions for
        # Config and nothing else, and needs no managed-policy attachment of ours.
        service_role = (
            aws.iam.ServiceLinkedRole(
                f"{name}-service-role",
                aws_service_name=ctx.service_principal("config"),
                opts=pulumi.ResourceOptions(parent=self),
            )
            if settings.create_service_linked_role
            else None
        )
        if settings.create_recorder:
            rules_after.append(self._recorder(name, args, service_role))
        self.rules = []
        if settings.create_rules:
            for rule in managed_rules(settings.minimum_log_retention_days):
                if rule.only_region is not None and rule.only_region != ctx.region:
                    continue
                self.rules.append(
                    aws.cfg.Rule(
                        f"{name}-{rule.slug}",
                        name=f"{ctx.prefix}-{rule.slug}",
                        description=f"Mirrors {rule.mirrors} ({rule.security_hub})",
                        source=aws.cfg.RuleSourceArgs(owner="AWS", source_identifier=rule.identifier),
                        input_parameters=json.dumps(dict(rule.parameters)) if rule.parameters else None,
                        tags=dict(args.tags),
                        # A rule put before recording starts has nothing to evaluate.
                        opts=pulumi.ResourceOptions(parent=self, depends_on=rules_after),
                    )
                )
        self.register_outputs({"recorderName": self.recorder.name if self.recorder is not None else None})

    def _recorder(
        self, name: str, args: ComplianceArgs, service_role: aws.iam.ServiceLinkedRole | None
    ) -> aws.cfg.RecorderStatus:
        ctx, settings = args.context, args.settings
        child = pulumi.ResourceOptions(parent=self)
        role_arn: pulumi.Input[str]
        if service_role is not None:
            role_arn = service_role.arn
        else:
            # The account's existing role (its name and path are fixed by AWS).
            role_arn = (
                f"arn:{ctx.partition}:iam::{ctx.account_id}:role/aws-service-role/"
                f"{ctx.service_principal('config')}/AWSServiceRoleForConfig"
            )

        access_log_bucket = args.access_log_bucket
        if access_log_bucket is None:
            access_logs = secure_bucket(
                name,
                BucketSpec(
                    role="access-logs",
                    bucket_name=f"{ctx.prefix}-config-access-{ctx.account_id}",
                    # S3 server access logging writes only to SSE-S3 targets (S3 user guide,
                    # "Enabling Amazon S3 server access logging").
                    receives_server_access_logs=True,
                    lifecycle_rules=[Lifecycle(expire_after_days=365).rule()],
                    access_log_bucket=None,
                    protect=settings.protect,
                    tags=args.tags,
                ),
                self,
            )
            access_logs.attach_policy([access_log_delivery_statement(ctx, access_logs.arn)])
            access_log_bucket = access_logs.bucket.id

        def config_statements(bucket_arn: pulumi.Output[str]) -> Sequence[Mapping[str, Any]]:
            this_account = {"StringEquals": {"aws:SourceAccount": ctx.account_id}}
            principal = {"Service": ctx.service_principal("config")}
            return [
                {
                    "Sid": "AllowConfigAclCheck",
                    "Effect": "Allow",
                    "Principal": principal,
                    "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
                    "Resource": bucket_arn,
                    "Condition": this_account,
                },
                {
                    "Sid": "AllowConfigDelivery",
                    "Effect": "Allow",
                    "Principal": principal,
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(bucket_arn, f"/AWSLogs/{ctx.account_id}/Config/*"),
                    "Condition": {
                        "StringEquals": {
                            "aws:SourceAccount": ctx.account_id,
                            "s3:x-amz-acl": "bucket-owner-full-control",
                        }
                    },
                },
            ]

        delivery_bucket = secure_bucket(
            name,
            BucketSpec(
                role="bucket",
                bucket_name=delivery_bucket_name(ctx),
                kms_key_arn=args.audit_key_arn,
                lifecycle_rules=[Lifecycle(expire_after_days=settings.snapshot_expire_days).rule()],
                access_log_bucket=access_log_bucket,
                protect=settings.protect,
                tags=args.tags,
            ),
            self,
        )
        delivery_bucket.attach_policy(config_statements(delivery_bucket.arn))
        # Runtime flows: AWS Config developer guide, "Permissions for the Amazon S3 bucket for the
        # AWS Config delivery channel" (config.amazonaws.com, aws:SourceAccount, the
        # bucket-owner-full-control ACL) and "Permissions for the KMS key" (Config encrypts the
        # objects with the delivery channel's key).
        config_doc = "https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html"
        this_account = {"aws:SourceAccount": ctx.account_id}
        declare(
            *(
                Flow(
                    caller=ctx.service_principal("config"),
                    action=action,
                    resource=delivery_bucket.arn,
                    context=this_account,
                    purpose="Config checks the delivery bucket",
                    doc=config_doc,
                )
                for action in ("s3:GetBucketAcl", "s3:ListBucket")
            ),
            Flow(
                caller=ctx.service_principal("config"),
                action="s3:PutObject",
                resource=pulumi.Output.concat(
                    delivery_bucket.arn, f"/AWSLogs/{ctx.account_id}/Config/{ctx.region}/snapshot.json.gz"
                ),
                context={**this_account, "s3:x-amz-acl": "bucket-owner-full-control"},
                purpose="configuration snapshots and history",
                doc=config_doc,
            ),
        )

        self.recorder = aws.cfg.Recorder(
            f"{name}-recorder",
            name=f"{ctx.prefix}-recorder",
            role_arn=role_arn,
            recording_group=aws.cfg.RecorderRecordingGroupArgs(
                all_supported=True, include_global_resource_types=settings.include_global_resource_types
            ),
            opts=child,
        )
        channel = aws.cfg.DeliveryChannel(
            f"{name}-delivery-channel",
            name=f"{ctx.prefix}-delivery",
            s3_bucket_name=delivery_bucket.bucket.id,
            s3_kms_key_arn=args.audit_key_arn,
            snapshot_delivery_properties=aws.cfg.DeliveryChannelSnapshotDeliveryPropertiesArgs(
                delivery_frequency=settings.delivery_frequency
            ),
            # AWS refuses a channel without a recorder, and checks the bucket policy.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.recorder, *delivery_bucket.ready]),
        )
        return aws.cfg.RecorderStatus(
            f"{name}-recorder-status",
            name=self.recorder.name,
            is_enabled=True,
            # Recording cannot start without a delivery channel.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[channel]),
        )
