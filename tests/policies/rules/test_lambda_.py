"""Rule table for policies/rules/lambda_.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import pytest

from tests.policies.conftest import Case, check_case

FN = "aws:lambda/function:Function"

FUNCTION_OK = {
    "runtime": "python3.12",
    "role": "arn:aws:iam::1:role/r",
    "vpcConfig": {"subnetIds": ["s-1", "s-2"], "securityGroupIds": ["sg-1"]},
    "tracingConfig": {"mode": "Active"},
    "reservedConcurrentExecutions": 5.0,
    "kmsKeyArn": "arn:aws:kms:eu-west-1:1:key/k",
    "environment": {
        "variables": {
            "TABLE_NAME": "devices",
            "APNS_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:apns",
            "TOKEN_TTL_SECONDS": "3600",
            "AUTH_MODE": "cognito",
        }
    },
    "codeSigningConfigArn": "arn:aws:lambda:eu-west-1:1:code-signing-config:csc-1",
    "memorySize": 512.0,
    "timeout": 30.0,
}

CASES: list[Case] = [
    Case(
        "lambda-permission-scoped",
        "aws:lambda/permission:Permission",
        {"principal": "s3.amazonaws.com", "sourceArn": "arn:aws:s3:::uploads", "action": "lambda:InvokeFunction"},
        bad=({"principal": "*"}, {"sourceArn": None}),
        missing=("principal", "sourceArn"),
        unknown=("principal",),
    ),
    Case(
        "lambda-supported-runtime",
        FN,
        FUNCTION_OK,
        bad=({"runtime": "python3.8"},),
        missing=("runtime",),
        unknown=("runtime",),
    ),
    Case("lambda-supported-runtime", FN, {"packageType": "Image"}),
    Case(
        "lambda-in-vpc",
        FN,
        FUNCTION_OK,
        bad=({"vpcConfig.subnetIds": []},),
        missing=("vpcConfig",),
        unknown=("vpcConfig.subnetIds",),
    ),
    Case(
        "lambda-xray-tracing",
        FN,
        FUNCTION_OK,
        bad=({"tracingConfig.mode": "PassThrough"},),
        missing=("tracingConfig",),
        unknown=("tracingConfig.mode",),
    ),
    Case(
        "lambda-reserved-concurrency",
        FN,
        FUNCTION_OK,
        bad=({"reservedConcurrentExecutions": -1.0},),
        missing=("reservedConcurrentExecutions",),
        unknown=("reservedConcurrentExecutions",),
    ),
    Case("lambda-environment-cmk", FN, FUNCTION_OK, missing=("kmsKeyArn",), unknown=("environment.variables",)),
    Case("lambda-environment-cmk", FN, {"runtime": "python3.12"}),
    Case(
        "lambda-no-secrets-in-environment",
        FN,
        FUNCTION_OK,
        bad=(
            {"environment.variables.FCM_API_KEY": "AAAA-secret"},
            {"environment.variables.CONFIG": "AKIAABCDEFGHIJKLMNOP"},
        ),
        optional=("environment",),
        unknown=("environment.variables",),
    ),
    Case("lambda-code-signing", FN, FUNCTION_OK, missing=("codeSigningConfigArn",)),
    Case(
        "lambda-url-iam-auth",
        "aws:lambda/functionUrl:FunctionUrl",
        {"authorizationType": "AWS_IAM"},
        bad=({"authorizationType": "NONE"},),
        missing=("authorizationType",),
        unknown=("authorizationType",),
    ),
    Case("lambda-explicit-memory-timeout", FN, FUNCTION_OK, missing=("memorySize", "timeout")),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    check_case(case)
