"""Rule table for policies/rules/kms.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import json

import pytest

from tests.policies.conftest import Case, check_case, validate_resource

KEY = "aws:kms/key:Key"

KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"

KEY_POLICY_DOC = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Root",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:*"}
                },
            },
        ],
    }
)

PUBLIC_KEY_POLICY = json.dumps(
    {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]}
)

UNSCOPED_SERVICE_POLICY = json.dumps(
    {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "kms:Decrypt", "Resource": "*"}
        ]
    }
)

CASES: list[Case] = [
    Case(
        "kms-key-administration-by-account-only",
        KEY,
        {"policy": KEY_POLICY_DOC},
        bad=(
            # a workload role, or a service, given the key's administration
            {
                "policy": json.dumps(
                    {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": "arn:aws:iam::123456789012:role/app"},
                                "Action": "kms:*",
                                "Resource": "*",
                            }
                        ]
                    }
                )
            },
            {
                "policy": json.dumps(
                    {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
                                "Action": ["kms:Decrypt", "kms:PutKeyPolicy"],
                                "Resource": "*",
                            }
                        ]
                    }
                )
            },
            {
                "policy": json.dumps(
                    {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": "arn:aws:iam::123456789012:role/app"},
                                "Action": "kms:Schedule*",
                                "Resource": "*",
                            }
                        ]
                    }
                )
            },
        ),
        optional=("policy",),
        unknown=("policy",),
    ),
    Case(
        "kms-key-rotation",
        KEY,
        {"enableKeyRotation": True, "rotationPeriodInDays": 365.0},
        bad=({"enableKeyRotation": False}, {"rotationPeriodInDays": 730.0}),
        missing=("enableKeyRotation",),
        optional=("rotationPeriodInDays",),
        unknown=("enableKeyRotation",),
    ),
    Case("kms-key-rotation", KEY, {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"}),
    Case(
        "kms-key-rotation",
        KEY,
        {"enableKeyRotation": True, "rotationPeriodInDays": 180.0},
        bad=({"rotationPeriodInDays": 200.0},),
        config={"maximumRotationDays": 180},
    ),
    Case(
        "kms-key-policy-no-public-principal",
        KEY,
        {"policy": KEY_POLICY_DOC},
        bad=({"policy": PUBLIC_KEY_POLICY}, {"policy": "{not json"}),
        optional=("policy",),
        unknown=("policy",),
    ),
    Case(
        "kms-key-policy-no-public-principal",
        KEY_POLICY,
        {"policy": KEY_POLICY_DOC, "keyId": "k"},
        bad=({"policy": PUBLIC_KEY_POLICY},),
    ),
    Case(
        "kms-key-policy-service-principals-scoped",
        KEY,
        {"policy": KEY_POLICY_DOC},
        bad=({"policy": UNSCOPED_SERVICE_POLICY},),
        optional=("policy",),
        unknown=("policy",),
    ),
    Case(
        "kms-key-no-lockout-bypass",
        KEY,
        {"bypassPolicyLockoutSafetyCheck": False},
        bad=({"bypassPolicyLockoutSafetyCheck": True},),
        optional=("bypassPolicyLockoutSafetyCheck",),
        unknown=("bypassPolicyLockoutSafetyCheck",),
    ),
    Case(
        "kms-key-deletion-window",
        KEY,
        {"deletionWindowInDays": 30.0},
        bad=({"deletionWindowInDays": 7.0},),
        optional=("deletionWindowInDays",),
        unknown=("deletionWindowInDays",),
    ),
    Case(
        "kms-key-enabled",
        KEY,
        {"isEnabled": True},
        bad=({"isEnabled": False},),
        optional=("isEnabled",),
        unknown=("isEnabled",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    check_case(case)


def test_configured_key_administrators_may_administer() -> None:
    admin = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:role/key-admins"},
                    "Action": ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"],
                    "Resource": "*",
                }
            ]
        }
    )
    rule = "kms-key-administration-by-account-only"
    assert validate_resource(rule, KEY, {"policy": admin})
    config = {"keyAdministrators": ["arn:aws:iam::123456789012:role/key-*"]}
    assert validate_resource(rule, KEY, {"policy": admin}, config=config) == []
