"""A private S3 bucket as pulumi-aws v7 models it: the bucket plus one resource per setting.

Not a component of its own: the content-delivery component owns its buckets, and this
module keeps the per-bucket settings in one place so every bucket gets all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.context import DeploymentContext


@dataclass(frozen=True)
class PrivateBucket:
    bucket: aws.s3.Bucket
    public_access_block: aws.s3.BucketPublicAccessBlock
    ownership: aws.s3.BucketOwnershipControls
    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    versioning: aws.s3.BucketVersioning

    @property
    def arn(self) -> pulumi.Output[str]:
        return self.bucket.arn

    @property
    def name(self) -> pulumi.Output[str]:
        return self.bucket.bucket


def bucket_name(ctx: DeploymentContext, role: str) -> str:
    """Globally unique and stable: ``<project>-<stack>-<role>-<account>`` (at most 63 characters)."""
    return f"{ctx.prefix}-{role}-{ctx.account_id}"


def create_private_bucket(
    name: str,
    *,
    ctx: DeploymentContext,
    role: str,
    data_key_arn: pulumi.Input[str],
    tags: Mapping[str, str],
    protect: bool,
    parent: pulumi.Resource,
) -> PrivateBucket:
    """Bucket with all four public-access blocks, ACLs disabled, SSE-KMS with a bucket key and versioning."""
    child = pulumi.ResourceOptions(parent=parent)
    bucket = aws.s3.Bucket(
        f"{name}-{role}",
        bucket=bucket_name(ctx, role),
        force_destroy=False,
        tags={**tags, "Name": bucket_name(ctx, role)},
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
    public_access_block = aws.s3.BucketPublicAccessBlock(
        f"{name}-{role}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    ownership = aws.s3.BucketOwnershipControls(
        f"{name}-{role}-ownership",
        bucket=bucket.id,
        # ACLs off: the bucket owner owns every object. CloudFront standard logging v2 and S3
        # server access logging deliver through bucket policies, so no bucket needs ACLs.
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=child,
    )
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-{role}-encryption",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=data_key_arn
                ),
                # One data key per bucket instead of a KMS call per object: cost and throttling.
                bucket_key_enabled=True,
            )
        ],
        opts=child,
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-{role}-versioning",
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=child,
    )
    return PrivateBucket(bucket, public_access_block, ownership, encryption, versioning)


def deny_insecure_transport(bucket_arn: pulumi.Input[str]) -> dict[str, Any]:
    """The statement every bucket policy starts with (S3.5): no request over plain HTTP."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def bucket_policy(
    name: str,
    *,
    bucket: PrivateBucket,
    statements: Sequence[Mapping[str, Any]],
    parent: pulumi.Resource,
) -> aws.s3.BucketPolicy:
    return aws.s3.BucketPolicy(
        name,
        bucket=bucket.bucket.id,
        policy=pulumi.Output.json_dumps(
            {"Version": "2012-10-17", "Statement": [deny_insecure_transport(bucket.arn), *statements]}
        ),
        # S3 rejects a policy while the public access block is being written.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[bucket.public_access_block]),
    )


def lifecycle_rule(
    rule_id: str,
    *,
    prefix: str = "",
    expire_days: int | None = None,
    noncurrent_days: int,
    abort_multipart_days: int,
) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id=rule_id,
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=prefix),
        expiration=(
            aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=expire_days)
            if expire_days is not None
            else aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(expired_object_delete_marker=True)
        ),
        noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
            noncurrent_days=noncurrent_days
        ),
        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
            days_after_initiation=abort_multipart_days
        ),
    )
