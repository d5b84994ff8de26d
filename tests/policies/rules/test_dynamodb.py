"""Rule table for policies/rules/dynamodb.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import pytest

from tests.policies.conftest import Case, check_case

TABLE = "aws:dynamodb/table:Table"

TABLE_OK = {
    "pointInTimeRecovery": {"enabled": True},
    "deletionProtectionEnabled": True,
    "serverSideEncryption": {"enabled": True, "kmsKeyArn": "arn:aws:kms:eu-west-1:1:key/k"},
    "billingMode": "PAY_PER_REQUEST",
}

CASES: list[Case] = [
    Case(
        "dynamodb-pitr",
        TABLE,
        TABLE_OK,
        bad=({"pointInTimeRecovery.enabled": False},),
        missing=("pointInTimeRecovery",),
        unknown=("pointInTimeRecovery.enabled",),
    ),
    Case(
        "dynamodb-deletion-protection",
        TABLE,
        TABLE_OK,
        bad=({"deletionProtectionEnabled": False},),
        missing=("deletionProtectionEnabled",),
    ),
    Case(
        "dynamodb-cmk-encryption",
        TABLE,
        TABLE_OK,
        bad=({"serverSideEncryption.enabled": False},),
        missing=("serverSideEncryption", "serverSideEncryption.kmsKeyArn"),
        unknown=("serverSideEncryption.enabled",),
    ),
    Case(
        "dax-encrypted",
        "aws:dax/cluster:Cluster",
        {"serverSideEncryption": {"enabled": True}, "clusterEndpointEncryptionType": "TLS"},
        bad=({"clusterEndpointEncryptionType": "NONE"},),
        missing=("serverSideEncryption",),
        unknown=("clusterEndpointEncryptionType",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    check_case(case)
