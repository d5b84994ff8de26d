"""DynamoDB and DAX: rows 141-146."""

from __future__ import annotations

from collections.abc import Iterator

from policies.core import COMPLIANCE, SECURITY, Res, Settings, Stack, StackFinding, guarded, resource_rule, stack_rule
from policies.rules._helpers import require_true

TABLE = "aws:dynamodb/table:Table"
DAX = "aws:dax/cluster:Cluster"
SCALING_TARGET = "aws:appautoscaling/target:Target"
BACKUP_SELECTION = "aws:backup/selection:Selection"

require_true(
    "dynamodb-pitr",
    path="pointInTimeRecovery.enabled",
    what="point-in-time recovery is off",
    pack=COMPLIANCE,
    types=[TABLE],
    description="DynamoDB tables have point-in-time recovery.",
    severity="medium",
    remediation="Set point_in_time_recovery={'enabled': True}.",
    category="resilience",
    rows=[141],
    fsbp=["DynamoDB.2"],
    cdk_nag=["DDB3", "NIST5:DynamoDBPITREnabled"],
    checkov=["CKV_AWS_28"],
)

require_true(
    "dynamodb-deletion-protection",
    path="deletionProtectionEnabled",
    what="deletion protection is off",
    pack=COMPLIANCE,
    types=[TABLE],
    description="DynamoDB tables have deletion protection.",
    severity="medium",
    remediation="Set deletion_protection_enabled=True.",
    category="resilience",
    rows=[142],
    fsbp=["DynamoDB.6"],
)


@resource_rule(
    "dynamodb-cmk-encryption",
    pack=SECURITY,
    types=[TABLE],
    description="DynamoDB tables use server-side encryption with a customer-managed key.",
    severity="medium",
    remediation="Set server_side_encryption={'enabled': True, 'kms_key_arn': <stack CMK>.arn}.",
    category="encryption",
    rows=[145],
    checkov=["CKV_AWS_119"],
    other=["awsguard:dynamodb-table-encryption-enabled"],
)
def cmk(r: Res, _: Settings) -> Iterator[str]:
    if not r.flag("serverSideEncryption.enabled"):
        yield f"{r.label}: uses the AWS-owned key (serverSideEncryption.enabled is not true)"
    elif r.get("serverSideEncryption.kmsKeyArn") in (None, ""):
        yield f"{r.label}: uses the AWS-managed aws/dynamodb key (kmsKeyArn is not set)"


@resource_rule(
    "dax-encrypted",
    pack=SECURITY,
    types=[DAX],
    description="DAX clusters encrypt at rest and use TLS endpoints.",
    severity="high",
    remediation="Set server_side_encryption={'enabled': True} and cluster_endpoint_encryption_type='TLS'.",
    category="encryption",
    rows=[146],
    fsbp=["DynamoDB.3", "DynamoDB.7"],
    cdk_nag=["DDB4"],
)
def dax(r: Res, _: Settings) -> Iterator[str]:
    if not r.flag("serverSideEncryption.enabled"):
        yield f"{r.label}: not encrypted at rest"
    if r.req("clusterEndpointEncryptionType") != "TLS":
        yield f"{r.label}: endpoint is not TLS"


@stack_rule(
    "dynamodb-capacity-scales",
    pack=COMPLIANCE,
    description="DynamoDB tables are on-demand or have auto scaling targets.",
    severity="medium",
    remediation="Use billing_mode='PAY_PER_REQUEST' or add aws.appautoscaling.Target/Policy for the table.",
    category="resilience",
    rows=[143],
    fsbp=["DynamoDB.1"],
    cdk_nag=["NIST5:DynamoDBAutoScalingEnabled"],
    checkov=["CKV2_AWS_16"],
)
def capacity(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for table in stack.of(TABLE):

        def check(table: Res = table) -> Iterator[str]:
            if table.req("billingMode") == "PAY_PER_REQUEST":
                return
            if not stack.referrers(table, "resourceId", SCALING_TARGET):
                yield f"{table.label}: provisioned capacity without auto scaling"

        yield from guarded(table, check)


@stack_rule(
    "dynamodb-in-backup-plan",
    pack=COMPLIANCE,
    description="DynamoDB tables are selected by an AWS Backup plan.",
    severity="low",
    remediation="Add an aws.backup.Selection whose resources include the table's ARN.",
    category="resilience",
    rows=[144],
    fsbp=["DynamoDB.4"],
    cdk_nag=["NIST5:DynamoDBInBackupPlan"],
)
def backup_plan(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for table in stack.of(TABLE):

        def check(table: Res = table) -> Iterator[str]:
            if not stack.referrers(table, "resources", BACKUP_SELECTION):
                yield f"{table.label}: not in an AWS Backup plan"

        yield from guarded(table, check)
