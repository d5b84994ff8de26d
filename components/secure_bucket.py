"""A private S3 bucket built from pulumi-aws v7's split resources, for the components
that keep logs (the trail bucket, its access-log bucket, the Config delivery bucket).

Not a component of its own: ``secure_bucket`` registers its children under the calling
component, so their names and URNs stay ``<component>-<role>-...``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.context import DeploymentContext
from components.validation import require_choice, require_int_range

OBJECT_LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")

#: Builds extra bucket-policy statements from the bucket's ARN (an output).
StatementsFor = Callable[[pulumi.Output[str]], Sequence[Mapping[str, Any]]]


@dataclass(frozen=True, kw_only=True)
class Lifecycle:
    """Where log objects go as they age, and when they are deleted (days after creation)."""

    infrequent_access_after_days: int = 30
    glacier_after_days: int = 90
    expire_after_days: int = 2557

    def __post_init__(self) -> None:
        # S3 refuses a STANDARD_IA transition before day 30 and an expiry that does
        # not follow the last transition.
        require_int_range("infrequent_access_after_days", self.infrequent_access_after_days, 30, 36500)
        require_int_range("glacier_after_days", self.glacier_after_days, self.infrequent_access_after_days + 1, 36500)
        require_int_range("expire_after_days", self.expire_after_days, self.glacier_after_days + 1, 36500)


@dataclass(frozen=True, kw_only=True)
class ObjectLock:
    """Default S3 Object Lock retention (WORM) for every new object version."""

    mode: str = "GOVERNANCE"
    days: int = 365

    def __post_init__(self) -> None:
        require_choice("mode", self.mode, OBJECT_LOCK_MODES)
        require_int_range("days", self.days, 1, 36500)


@dataclass(frozen=True, kw_only=True)
class BucketSpec:
    role: str
    #: Physical bucket name (globally unique: it carries the account id).
    bucket_name: str
    #: SSE-KMS with this customer-managed key (S3 Bucket Keys on).
    kms_key_arn: pulumi.Input[str]
    lifecycle: Lifecycle
    object_lock: ObjectLock | None = None
    #: Server access logs go to this bucket (name); None only for the access-log bucket itself.
    access_log_bucket: pulumi.Input[str] | None = None
    extra_statements: StatementsFor | None = None
    #: Pulumi ``protect`` on the bucket: audit evidence is not deleted by a destroy.
    protect: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass
class SecureBucket:
    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy
    #: Everything that must exist before a service writes into the bucket.
    ready: list[pulumi.Resource]


def tls_only_statement(bucket_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Deny every request that does not use TLS (S3.5); a Deny, so ``*`` grants nothing."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def access_log_delivery_statement(ctx: DeploymentContext, bucket_arn: pulumi.Input[str]) -> dict[str, Any]:
    """S3 server access logging into this bucket, only from this stack's buckets."""
    return {
        "Sid": "AllowServerAccessLogsFromThisStack",
        "Effect": "Allow",
        "Principal": {"Service": ctx.service_principal("logging.s3")},
        "Action": "s3:PutObject",
        "Resource": pulumi.Output.concat(bucket_arn, "/*"),
        "Condition": {
            "StringEquals": {"aws:SourceAccount": ctx.account_id},
            "ArnLike": {"aws:SourceArn": f"arn:{ctx.partition}:s3:::{ctx.prefix}-*"},
        },
    }


def secure_bucket(name: str, spec: BucketSpec, parent: pulumi.Resource) -> SecureBucket:
    """Private, TLS-only, versioned, encrypted bucket with lifecycle and access logging."""
    child = pulumi.ResourceOptions(parent=parent)
    prefix = f"{name}-{spec.role}"
    bucket = aws.s3.Bucket(
        prefix,
        bucket=spec.bucket_name,
        # Object Lock can only be switched on when the bucket is created.
        object_lock_enabled=spec.object_lock is not None,
        force_destroy=False,
        tags={**spec.tags, "Name": spec.bucket_name},
        opts=pulumi.ResourceOptions(parent=parent, protect=spec.protect),
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{prefix}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    ownership = aws.s3.BucketOwnershipControls(
        f"{prefix}-ownership",
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=child,
    )
    versioning = aws.s3.BucketVersioning(
        f"{prefix}-versioning",
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=child,
    )
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{prefix}-encryption",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=(
                    aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=spec.kms_key_arn
                    )
                ),
                bucket_key_enabled=True,
            )
        ],
        opts=child,
    )
    statements: list[Mapping[str, Any]] = [tls_only_statement(bucket.arn)]
    if spec.extra_statements is not None:
        statements.extend(spec.extra_statements(bucket.arn))
    policy = aws.s3.BucketPolicy(
        f"{prefix}-policy",
        bucket=bucket.id,
        policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements}),
        # A policy put before the public access block could briefly be judged public.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[public_access, ownership]),
    )
    lc = spec.lifecycle
    aws.s3.BucketLifecycleConfiguration(
        f"{prefix}-lifecycle",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="archive-then-expire",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                transitions=[
                    aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                        days=lc.infrequent_access_after_days, storage_class="STANDARD_IA"
                    ),
                    aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                        days=lc.glacier_after_days, storage_class="GLACIER"
                    ),
                ],
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=lc.expire_after_days),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=30
                ),
                abort_incomplete_multipart_upload=(
                    aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(days_after_initiation=7)
                ),
            )
        ],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[versioning]),
    )
    ready: list[pulumi.Resource] = [public_access, ownership, versioning, encryption, policy]
    if spec.object_lock is not None:
        ready.append(
            aws.s3.BucketObjectLockConfiguration(
                f"{prefix}-object-lock",
                bucket=bucket.id,
                rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                    default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                        mode=spec.object_lock.mode, days=spec.object_lock.days
                    )
                ),
                opts=pulumi.ResourceOptions(parent=parent, depends_on=[versioning]),
            )
        )
    if spec.access_log_bucket is not None:
        ready.append(
            aws.s3.BucketLogging(
                f"{prefix}-access-logging",
                bucket=bucket.id,
                target_bucket=spec.access_log_bucket,
                target_prefix=f"{spec.bucket_name}/",
                opts=child,
            )
        )
    return SecureBucket(bucket=bucket, policy=policy, ready=ready)
