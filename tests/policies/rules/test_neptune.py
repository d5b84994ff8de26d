"""Rule table for policies/rules/neptune.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN_BOOL, Case, check_case, unknown_reported, validate_resource

NEPTUNE = "aws:neptune/cluster:Cluster"

INSTANCE = "aws:neptune/clusterInstance:ClusterInstance"

CLUSTER_OK = {
    "engine": "neptune",
    "storageEncrypted": True,
    "kmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/k",
    "enableCloudwatchLogsExports": ["audit"],
    "deletionProtection": True,
    "backupRetentionPeriod": 7.0,
    "iamDatabaseAuthenticationEnabled": True,
    "copyTagsToSnapshot": True,
    "skipFinalSnapshot": False,
    "finalSnapshotIdentifier": "graph-final",
}

CASES: list[Case] = [
    Case(
        "neptune-cluster-storage-encrypted",
        NEPTUNE,
        CLUSTER_OK,
        bad=({"storageEncrypted": False},),
        missing=("storageEncrypted",),
        unknown=("storageEncrypted",),
    ),
    Case("neptune-cluster-cmk", NEPTUNE, CLUSTER_OK, bad=({"kmsKeyArn": ""},), missing=("kmsKeyArn",)),
    Case(
        "neptune-cluster-audit-log-export",
        NEPTUNE,
        CLUSTER_OK,
        bad=({"enableCloudwatchLogsExports": ["slowquery"]},),
        missing=("enableCloudwatchLogsExports",),
        unknown=("enableCloudwatchLogsExports",),
    ),
    Case(
        "neptune-cluster-deletion-protection",
        NEPTUNE,
        CLUSTER_OK,
        bad=({"deletionProtection": False},),
        missing=("deletionProtection",),
        unknown=("deletionProtection",),
    ),
    Case(
        "neptune-cluster-backup-retention",
        NEPTUNE,
        CLUSTER_OK,
        bad=({"backupRetentionPeriod": 1.0},),
        missing=("backupRetentionPeriod",),
        unknown=("backupRetentionPeriod",),
    ),
    Case(
        "neptune-cluster-backup-retention",
        NEPTUNE,
        {**CLUSTER_OK, "backupRetentionPeriod": 14.0},
        bad=({"backupRetentionPeriod": 10.0},),
        config={"minimumRetentionDays": 14},
    ),
    Case(
        "neptune-cluster-iam-auth",
        NEPTUNE,
        CLUSTER_OK,
        bad=({"iamDatabaseAuthenticationEnabled": False},),
        missing=("iamDatabaseAuthenticationEnabled",),
        unknown=("iamDatabaseAuthenticationEnabled",),
    ),
    Case(
        "neptune-cluster-copy-tags-to-snapshot",
        NEPTUNE,
        CLUSTER_OK,
        bad=({"copyTagsToSnapshot": False},),
        missing=("copyTagsToSnapshot",),
    ),
    Case(
        "neptune-cluster-final-snapshot",
        NEPTUNE,
        CLUSTER_OK,
        bad=({"skipFinalSnapshot": True},),
        missing=("finalSnapshotIdentifier",),
        unknown=("skipFinalSnapshot",),
    ),
    Case(
        "neptune-instance-auto-minor-upgrade",
        INSTANCE,
        {"autoMinorVersionUpgrade": True},
        bad=({"autoMinorVersionUpgrade": False},),
        missing=("autoMinorVersionUpgrade",),
    ),
    Case(
        "neptune-instance-not-public",
        INSTANCE,
        {"publiclyAccessible": False},
        bad=({"publiclyAccessible": True},),
        missing=("publiclyAccessible",),
        unknown=("publiclyAccessible",),
    ),
]

UNKNOWN_BOOL_CASES = [
    ("neptune-cluster-storage-encrypted", NEPTUNE, {**CLUSTER_OK, "storageEncrypted": UNKNOWN_BOOL}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    check_case(case)


@pytest.mark.parametrize(("policy", "res_type", "props"), UNKNOWN_BOOL_CASES)
def test_unknown_boolean_fails_closed(policy: str, res_type: str, props: dict[str, object]) -> None:
    assert validate_resource(policy, res_type, props) == []
    found = unknown_reported(policy, res_type, props)
    assert len(found) == 1
    assert "unknown during preview" in found[0]
