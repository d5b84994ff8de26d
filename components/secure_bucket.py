"""A private S3 bucket built from pulumi-aws v7's split resources: the one bucket
construct of the program (content delivery's buckets, the trail bucket, the audit
access-log buckets, the Config delivery bucket).

Not a component of its own: ``secure_bucket`` registers its children under the calling
component, so their names and URNs stay ``<component>-<role>-...``.

Every bucket: all four public access blocks, ACLs disabled (BucketOwnerEnforced), SSE-KMS
with the given key and a bucket key (SSE-S3 for a server access log target, the only
default encryption S3 log delivery supports), versioning, lifecycle rules, and a TLS-only bucket
policy that the caller extends with its own statements (``SecureBucket.attach_policy``;
the policy is attached separately because some statements name resources, such as a
CloudFront distribution, that are created from the bucket). Optional: server access
logging to a target bucket, a default Object Lock retention, Pulumi ``protect``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.context import DeploymentContext
from components.validation import ArgsError, require_choice, require_int_range

OBJECT_LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")


@dataclass(frozen=True, kw_only=True)
class LifecycleRule:
    """One lifecycle rule over the keys under ``prefix`` (every key by default)."""

    rule_id: str
    prefix: str = ""
    #: Current versions expire this many days after creation; None: they never expire,
    #: and only expired delete markers are removed.
    expire_after_days: int | None = None
    #: Noncurrent versions are deleted this many days after they become noncurrent.
    noncurrent_version_days: int
    #: Incomplete multipart uploads are aborted this many days after they start.
    abort_multipart_days: int
    #: Transition of current versions to STANDARD_IA / GLACIER (days after creation), or None.
    infrequent_access_after_days: int | None = None
    glacier_after_days: int | None = None

    def args(self) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
        transitions = [
            aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=days, storage_class=storage_class)
            for days, storage_class in (
                (self.infrequent_access_after_days, "STANDARD_IA"),
                (self.glacier_after_days, "GLACIER"),
            )
            if days is not None
        ]
        return aws.s3.BucketLifecycleConfigurationRuleArgs(
            id=self.rule_id,
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=self.prefix),
            transitions=transitions or None,
            expiration=(
                aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=self.expire_after_days)
                if self.expire_after_days is not None
                else aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(expired_object_delete_marker=True)
            ),
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=self.noncurrent_version_days
            ),
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=self.abort_multipart_days
            ),
        )


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

    def rule(self) -> LifecycleRule:
        """The whole bucket archived, then expired; noncurrent versions and stale uploads cleaned up."""
        return LifecycleRule(
            rule_id="archive-then-expire",
            infrequent_access_after_days=self.infrequent_access_after_days,
            glacier_after_days=self.glacier_after_days,
            expire_after_days=self.expire_after_days,
            noncurrent_version_days=30,
            abort_multipart_days=7,
        )


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
    #: SSE-KMS with this customer-managed key (S3 Bucket Keys on); None only with
    #: ``receives_server_access_logs`` (SSE-S3).
    kms_key_arn: pulumi.Input[str] | None = None
    #: The bucket is a target of S3 server access logging. S3 delivers those logs only into
    #: a bucket whose default encryption is SSE-S3 ("Enabling Amazon S3 server access
    #: logging", Amazon S3 User Guide,
    #: https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html),
    #: so such a bucket gets SSE-S3 and names no KMS key.
    receives_server_access_logs: bool = False
    lifecycle_rules: Sequence[LifecycleRule]
    object_lock: ObjectLock | None = None
    #: Server access logs go to this bucket (name); None for a bucket that does not log
    #: (a log bucket does not log into itself: each delivery would log one more).
    access_log_bucket: pulumi.Input[str] | None = None
    #: Key prefix of this bucket's access logs in the target; default ``<bucket_name>/``.
    access_log_prefix: str | None = None
    #: Pulumi ``protect`` on the bucket.
    protect: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.receives_server_access_logs and self.kms_key_arn is not None:
            raise ArgsError(
                "kms_key_arn",
                f"{self.bucket_name} receives S3 server access logs, which S3 writes only with SSE-S3: name no KMS key",
            )
        if not self.receives_server_access_logs and self.kms_key_arn is None:
            raise ArgsError("kms_key_arn", f"{self.bucket_name}: SSE-KMS needs a customer-managed key")

    def default_encryption(self) -> aws.s3.BucketServerSideEncryptionConfigurationRuleArgs:
        if self.kms_key_arn is None:
            return aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=(
                    aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    )
                ),
            )
        return aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=(
                aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=self.kms_key_arn
                )
            ),
            # One data key per bucket instead of a KMS call per object: cost and throttling.
            bucket_key_enabled=True,
        )


@dataclass
class SecureBucket:
    bucket: aws.s3.Bucket
    public_access_block: aws.s3.BucketPublicAccessBlock
    ownership: aws.s3.BucketOwnershipControls
    versioning: aws.s3.BucketVersioning
    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    lifecycle: aws.s3.BucketLifecycleConfiguration
    object_lock: aws.s3.BucketObjectLockConfiguration | None
    access_logging: aws.s3.BucketLogging | None
    #: Logical-name prefix (``<component>-<role>``) and parent of the bucket's resources.
    resource_prefix: str
    parent: pulumi.Resource
    #: Set by ``attach_policy``.
    policy: aws.s3.BucketPolicy | None = None

    @property
    def arn(self) -> pulumi.Output[str]:
        return self.bucket.arn

    @property
    def name(self) -> pulumi.Output[str]:
        return self.bucket.bucket

    @property
    def ready(self) -> list[pulumi.Resource]:
        """Everything that must exist before a service writes into the bucket."""
        if self.policy is None:
            raise ValueError(f"{self.resource_prefix}: attach_policy before depending on the bucket being ready")
        resources: list[pulumi.Resource] = [
            self.public_access_block,
            self.ownership,
            self.versioning,
            self.encryption,
            self.policy,
        ]
        resources.extend(r for r in (self.object_lock, self.access_logging) if r is not None)
        return resources

    def attach_policy(self, statements: Sequence[Mapping[str, Any]] = ()) -> aws.s3.BucketPolicy:
        """The bucket policy: TLS only, then ``statements``. Exactly once per bucket."""
        if self.policy is not None:
            raise ValueError(f"{self.resource_prefix}: the bucket policy is already attached")
        self.policy = aws.s3.BucketPolicy(
            f"{self.resource_prefix}-policy",
            bucket=self.bucket.id,
            policy=pulumi.Output.json_dumps(
                {"Version": "2012-10-17", "Statement": [tls_only_statement(self.arn), *statements]}
            ),
            # A policy put before the public access block could briefly be judged public.
            opts=pulumi.ResourceOptions(parent=self.parent, depends_on=[self.public_access_block, self.ownership]),
        )
        return self.policy


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
    """Private, versioned, encrypted bucket with lifecycle rules (and access logging and
    Object Lock where the spec asks). Call ``attach_policy`` on the result."""
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
        # ACLs off: the bucket owner owns every object. CloudFront standard logging v2 and S3
        # server access logging deliver through bucket policies, so no bucket needs ACLs.
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
        rules=[spec.default_encryption()],
        opts=child,
    )
    lifecycle = aws.s3.BucketLifecycleConfiguration(
        f"{prefix}-lifecycle",
        bucket=bucket.id,
        rules=[rule.args() for rule in spec.lifecycle_rules],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[versioning]),
    )
    object_lock = None
    if spec.object_lock is not None:
        object_lock = aws.s3.BucketObjectLockConfiguration(
            f"{prefix}-object-lock",
            bucket=bucket.id,
            rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                    mode=spec.object_lock.mode, days=spec.object_lock.days
                )
            ),
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[versioning]),
        )
    access_logging = None
    if spec.access_log_bucket is not None:
        access_logging = aws.s3.BucketLogging(
            f"{prefix}-access-logging",
            bucket=bucket.id,
            target_bucket=spec.access_log_bucket,
            target_prefix=spec.access_log_prefix if spec.access_log_prefix is not None else f"{spec.bucket_name}/",
            opts=child,
        )
    return SecureBucket(
        bucket=bucket,
        public_access_block=public_access,
        ownership=ownership,
        versioning=versioning,
        encryption=encryption,
        lifecycle=lifecycle,
        object_lock=object_lock,
        access_logging=access_logging,
        resource_prefix=prefix,
        parent=parent,
    )
