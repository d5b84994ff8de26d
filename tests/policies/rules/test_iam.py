"""Rule table for policies/rules/iam.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import json

import pytest

from tests.policies.conftest import Case, check_case, validate_resource
from tests.policies.rules._values import policy_doc

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"

ROLE = "aws:iam/role:Role"

ROLE_POLICY_OK = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                "Resource": "arn:aws:dynamodb:eu-west-1:123456789012:table/t",
            },
            {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"},
        ],
    }
)

TRUST_OK = policy_doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})

CASES: list[Case] = [
    Case(
        "iam-no-admin-statements",
        ROLE_POLICY,
        {"policy": ROLE_POLICY_OK},
        bad=({"policy": policy_doc({"Effect": "Allow", "Action": "*", "Resource": "*"})},),
        unknown=("policy",),
    ),
    Case(
        "iam-no-wildcard-actions",
        ROLE_POLICY,
        {"policy": ROLE_POLICY_OK},
        bad=(
            {"policy": policy_doc({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"})},
            {"policy": policy_doc({"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"})},
            {"policy": policy_doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})},
        ),
        unknown=("policy",),
    ),
    Case(
        "iam-known-actions",
        ROLE_POLICY,
        {"policy": ROLE_POLICY_OK},
        bad=(
            {
                "policy": policy_doc(
                    {
                        "Effect": "Allow",
                        "Action": "dynamodb:GetItems",
                        "Resource": "arn:aws:dynamodb:eu-west-1:1:table/t",
                    }
                )
            },
            {"policy": policy_doc({"Effect": "Allow", "Action": "nosuchservice:Do", "Resource": "*"})},
        ),
        unknown=("policy",),
    ),
    Case(
        "iam-no-wildcard-resource",
        ROLE_POLICY,
        {"policy": ROLE_POLICY_OK},
        bad=(
            {"policy": policy_doc({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"})},
            {
                "policy": policy_doc(
                    {"Effect": "Allow", "Action": "sqs:SendMessage", "NotResource": "arn:aws:sqs:eu-west-1:1:q"}
                )
            },
        ),
        unknown=("policy",),
    ),
    Case(
        "iam-no-wildcard-resource",
        "aws:iam/policy:Policy",
        {"policy": ROLE_POLICY_OK},
        bad=({"policy": policy_doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"})},),
    ),
    Case(
        "iam-no-wildcard-resource",
        ROLE,
        {"inlinePolicies": [{"name": "p", "policy": ROLE_POLICY_OK}]},
        bad=({"inlinePolicies.0.policy": policy_doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})},),
    ),
    Case(
        "iam-no-kms-decrypt-all-keys",
        ROLE_POLICY,
        {
            "policy": policy_doc(
                {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:eu-west-1:1:key/k"}
            )
        },
        bad=(
            {"policy": policy_doc({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"})},
            {"policy": policy_doc({"Effect": "Allow", "Action": "kms:ReEncrypt*", "Resource": "*"})},
        ),
        unknown=("policy",),
    ),
    Case(
        "iam-no-privilege-escalation",
        ROLE_POLICY,
        {
            "policy": policy_doc(
                {
                    "Effect": "Allow",
                    "Action": "lambda:InvokeFunction",
                    "Resource": "arn:aws:lambda:eu-west-1:1:function:graph-api",
                }
            )
        },
        bad=(
            {"policy": policy_doc({"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"})},
            {
                "policy": policy_doc(
                    {
                        "Effect": "Allow",
                        "Action": "lambda:CreateFunction",
                        "Resource": "arn:aws:lambda:eu-west-1:1:function:x",
                    },
                    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::1:role/admin"},
                )
            },
            {
                "policy": policy_doc(
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::1:role/other"}
                )
            },
        ),
    ),
    Case(
        "iam-no-privilege-escalation",
        ROLE_POLICY,
        {"policy": ROLE_POLICY_OK},
        bad=(
            {"policy": policy_doc({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::1:role/r"})},
            {
                "policy": policy_doc(
                    {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "arn:aws:iam::1:user/u"}
                )
            },
            {"policy": policy_doc({"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": "*"})},
        ),
        unknown=("policy",),
    ),
    Case(
        "iam-no-privilege-escalation",
        ROLE_POLICY,
        {"policy": policy_doc({"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": "arn:aws:s3:::mine"})},
    ),
    Case(
        "iam-no-aws-managed-policies",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"policyArn": "arn:aws:iam::123456789012:policy/mine", "role": "r"},
        bad=({"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},),
        unknown=("policyArn",),
    ),
    Case(
        "iam-no-aws-managed-policies",
        ROLE,
        {"managedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"]},
        config={"allowedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"]},
        bad=({"managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]},),
    ),
    Case(
        "iam-no-inline-policies",
        ROLE,
        {"inlinePolicies": []},
        bad=({"inlinePolicies": [{"name": "x", "policy": ROLE_POLICY_OK}]},),
    ),
    Case(
        "iam-role-trust-specific",
        ROLE,
        {"assumeRolePolicy": TRUST_OK},
        bad=(
            {
                "assumeRolePolicy": policy_doc(
                    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
                )
            },
            {
                "assumeRolePolicy": policy_doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                    }
                )
            },
            {
                "assumeRolePolicy": policy_doc(
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:*"}
                )
            },
            # every principal of an account (its root, or the bare id) without aws:PrincipalArn
            {
                "assumeRolePolicy": policy_doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                        "Action": "sts:AssumeRole",
                    }
                )
            },
            {
                "assumeRolePolicy": policy_doc(
                    {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}
                )
            },
        ),
        missing=("assumeRolePolicy",),
        unknown=("assumeRolePolicy",),
    ),
    Case(
        "iam-no-user-policies",
        "aws:iam/policyAttachment:PolicyAttachment",
        {"roles": ["r"], "policyArn": "arn:aws:iam::1:policy/p"},
        bad=({"users": ["u"]},),
    ),
    Case(
        "iam-account-password-policy",
        "aws:iam/accountPasswordPolicy:AccountPasswordPolicy",
        {
            "minimumPasswordLength": 14.0,
            "requireLowercaseCharacters": True,
            "requireUppercaseCharacters": True,
            "requireNumbers": True,
            "requireSymbols": True,
            "passwordReusePrevention": 24.0,
            "maxPasswordAge": 90.0,
        },
        bad=({"minimumPasswordLength": 8.0}, {"requireSymbols": False}, {"maxPasswordAge": 365.0}),
        missing=("passwordReusePrevention", "requireNumbers"),
        unknown=("minimumPasswordLength",),
    ),
]

ALWAYS_VIOLATING: list[tuple[str, str]] = [
    ("iam-no-user-policies", "aws:iam/userPolicyAttachment:UserPolicyAttachment"),
    ("iam-no-users", "aws:iam/user:User"),
    ("iam-no-users", "aws:iam/accessKey:AccessKey"),
    ("iam-no-inline-policies", ROLE_POLICY),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    check_case(case)


@pytest.mark.parametrize(("policy", "res_type"), ALWAYS_VIOLATING)
def test_type_is_itself_a_violation(policy: str, res_type: str) -> None:
    assert validate_resource(policy, res_type, {}), f"{policy} accepted a {res_type}"


def test_account_root_trust_pinned_to_a_named_principal_passes() -> None:
    pinned = policy_doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/deployer"}},
        }
    )
    assert validate_resource("iam-role-trust-specific", ROLE, {"assumeRolePolicy": pinned}) == []
    role = policy_doc(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/deployer"}, "Action": "sts:AssumeRole"}
    )
    assert validate_resource("iam-role-trust-specific", ROLE, {"assumeRolePolicy": role}) == []
