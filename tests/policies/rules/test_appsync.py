"""Rule table for policies/rules/appsync.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import pytest

from tests.policies.conftest import Case, check_case

API = "aws:appsync/graphQLApi:GraphQLApi"

API_OK = {
    "authenticationType": "AMAZON_COGNITO_USER_POOLS",
    "additionalAuthenticationProviders": [{"authenticationType": "AWS_IAM"}],
    "logConfig": {
        "fieldLogLevel": "ERROR",
        "cloudwatchLogsRoleArn": "arn:aws:iam::1:role/logs",
        "excludeVerboseContent": True,
    },
    "xrayEnabled": True,
    "visibility": "PRIVATE",
    "queryDepthLimit": 10.0,
    "resolverCountLimit": 100.0,
    "introspectionConfig": "DISABLED",
}

CASES: list[Case] = [
    Case(
        "appsync-field-logging",
        API,
        API_OK,
        bad=({"logConfig.fieldLogLevel": "NONE"},),
        missing=("logConfig",),
        unknown=("logConfig.fieldLogLevel",),
    ),
    Case(
        "appsync-field-logging",
        API,
        {**API_OK, "logConfig": {"fieldLogLevel": "ALL"}},
        bad=({"logConfig.fieldLogLevel": "INFO"},),
        config={"allowedLevels": ["ERROR", "ALL"]},
    ),
    Case("appsync-request-logging", API, API_OK, missing=("logConfig.cloudwatchLogsRoleArn",)),
    Case(
        "appsync-request-logging",
        API,
        {**API_OK, "logConfig": {"cloudwatchLogsRoleArn": "r", "excludeVerboseContent": False}},
        bad=({"logConfig.excludeVerboseContent": True},),
        missing=("logConfig.excludeVerboseContent",),
        config={"requireVerboseContent": True},
    ),
    Case(
        "appsync-no-api-key-auth",
        API,
        API_OK,
        bad=(
            {"authenticationType": "API_KEY"},
            {"additionalAuthenticationProviders": [{"authenticationType": "API_KEY"}]},
        ),
        unknown=("authenticationType",),
    ),
    Case(
        "appsync-cache-encrypted",
        "aws:appsync/apiCache:ApiCache",
        {"atRestEncryptionEnabled": True, "transitEncryptionEnabled": True},
        bad=({"transitEncryptionEnabled": False},),
        missing=("atRestEncryptionEnabled", "transitEncryptionEnabled"),
        unknown=("atRestEncryptionEnabled",),
    ),
    Case("appsync-xray", API, API_OK, bad=({"xrayEnabled": False},), missing=("xrayEnabled",)),
    Case(
        "appsync-private-visibility",
        API,
        API_OK,
        bad=({"visibility": "GLOBAL"},),
        missing=("visibility",),
        unknown=("visibility",),
    ),
    Case(
        "appsync-query-limits",
        API,
        API_OK,
        bad=({"queryDepthLimit": 0.0}, {"resolverCountLimit": 5000.0}),
        missing=("queryDepthLimit", "resolverCountLimit"),
        unknown=("queryDepthLimit",),
    ),
    Case(
        "appsync-query-limits",
        API,
        {**API_OK, "queryDepthLimit": 5.0},
        bad=({"queryDepthLimit": 8.0},),
        config={"maxQueryDepth": 5},
    ),
    Case(
        "appsync-introspection-disabled",
        API,
        API_OK,
        bad=({"introspectionConfig": "ENABLED"},),
        missing=("introspectionConfig",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    check_case(case)
