"""Rule table for policies/rules/apigateway.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import pytest

from tests.policies.conftest import Case, check_case

METHOD = "aws:apigateway/method:Method"

STAGE = "aws:apigateway/stage:Stage"

STAGE_OK = {
    "accessLogSettings": {"destinationArn": "arn:aws:logs:eu-west-1:1:log-group:api", "format": "{}"},
    "xrayTracingEnabled": True,
    "clientCertificateId": "cert-1",
    "cacheClusterEnabled": True,
}

CASES: list[Case] = [
    Case(
        "apigateway-method-authorized",
        METHOD,
        {"authorization": "COGNITO_USER_POOLS", "authorizerId": "auth-1", "requestValidatorId": "v"},
        bad=({"authorization": "NONE"}, {"authorizerId": None}),
        missing=("authorization",),
        unknown=("authorization",),
    ),
    Case(
        "apigateway-method-authorized",
        "aws:apigatewayv2/route:Route",
        {"authorizationType": "JWT", "authorizerId": "a"},
        bad=({"authorizationType": "NONE"},),
    ),
    Case("apigateway-request-validation", METHOD, {"requestValidatorId": "v"}, missing=("requestValidatorId",)),
    Case("apigateway-request-validation", METHOD, {"httpMethod": "OPTIONS"}),
    Case("apigateway-method-authorized", METHOD, {"httpMethod": "OPTIONS", "authorization": "NONE"}),
    Case(
        "apigateway-method-authorized",
        METHOD,
        {"httpMethod": "GET", "authorization": "AWS_IAM"},
        bad=({"httpMethod": "OPTIONS", "authorization": "NONE"},),
        config={"allowCorsPreflight": False},
    ),
    Case("apigateway-access-logging", STAGE, STAGE_OK, missing=("accessLogSettings", "accessLogSettings.format")),
    Case(
        "apigateway-access-logging",
        "aws:apigatewayv2/stage:Stage",
        {"accessLogSettings": {"destinationArn": "a", "format": "f"}},
        missing=("accessLogSettings.destinationArn",),
    ),
    Case("apigateway-xray", STAGE, STAGE_OK, bad=({"xrayTracingEnabled": False},), missing=("xrayTracingEnabled",)),
    Case("apigateway-client-certificate", STAGE, STAGE_OK, missing=("clientCertificateId",)),
    Case(
        "apigateway-stage-cache",
        STAGE,
        STAGE_OK,
        bad=({"cacheClusterEnabled": False},),
        missing=("cacheClusterEnabled",),
    ),
    Case(
        "apigateway-method-settings-secure",
        "aws:apigateway/methodSettings:MethodSettings",
        {
            "methodPath": "*/*",
            "settings": {"cachingEnabled": True, "cacheDataEncrypted": True, "dataTraceEnabled": False},
        },
        bad=({"settings.cacheDataEncrypted": False}, {"settings.dataTraceEnabled": True}),
        missing=("settings.cacheDataEncrypted",),
        optional=("settings.dataTraceEnabled",),
        unknown=("settings.cachingEnabled",),
    ),
    Case(
        "apigateway-endpoint-type",
        "aws:apigateway/restApi:RestApi",
        {"endpointConfiguration": {"types": "REGIONAL"}},
        bad=({"endpointConfiguration.types": "EDGE"},),
        missing=("endpointConfiguration",),
        unknown=("endpointConfiguration.types",),
    ),
    Case(
        "apigateway-domain-tls12",
        "aws:apigateway/domainName:DomainName",
        {"securityPolicy": "TLS_1_2"},
        bad=({"securityPolicy": "TLS_1_0"},),
        missing=("securityPolicy",),
        unknown=("securityPolicy",),
    ),
    Case(
        "apigateway-domain-tls12",
        "aws:apigatewayv2/domainName:DomainName",
        {"domainNameConfiguration": {"securityPolicy": "TLS_1_2"}},
        bad=({"domainNameConfiguration.securityPolicy": "TLS_1_0"},),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    check_case(case)
