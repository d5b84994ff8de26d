"""Rule table for policies/rules/cognito.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.conftest import Case, check_case

POOL = "aws:cognito/userPool:UserPool"

CLIENT = "aws:cognito/userPoolClient:UserPoolClient"

POOL_OK: dict[str, Any] = {
    "passwordPolicy": {
        "minimumLength": 12.0,
        "requireLowercase": True,
        "requireUppercase": True,
        "requireNumbers": True,
        "requireSymbols": True,
        "temporaryPasswordValidityDays": 3.0,
    },
    "mfaConfiguration": "ON",
    "userPoolAddOns": {"advancedSecurityMode": "ENFORCED"},
    "userPoolTier": "PLUS",
    "deletionProtection": "ACTIVE",
}

CLIENT_OK = {
    "preventUserExistenceErrors": "ENABLED",
    "enableTokenRevocation": True,
    "explicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    "accessTokenValidity": 60.0,
    "idTokenValidity": 60.0,
    "refreshTokenValidity": 30.0,
    "tokenValidityUnits": {"accessToken": "minutes", "idToken": "minutes", "refreshToken": "days"},
}

CASES: list[Case] = [
    Case(
        "cognito-password-policy",
        POOL,
        POOL_OK,
        bad=(
            {"passwordPolicy.minimumLength": 6.0},
            {"passwordPolicy.requireSymbols": False},
            {"passwordPolicy.temporaryPasswordValidityDays": 30.0},
        ),
        missing=("passwordPolicy",),
        unknown=("passwordPolicy.requireNumbers",),
    ),
    Case(
        "cognito-password-policy",
        POOL,
        {**POOL_OK, "passwordPolicy": {**POOL_OK["passwordPolicy"], "minimumLength": 14.0}},
        bad=({"passwordPolicy.minimumLength": 12.0},),
        config={"minimumLength": 14},
    ),
    Case(
        "cognito-mfa-required",
        POOL,
        POOL_OK,
        bad=({"mfaConfiguration": "OPTIONAL"}, {"mfaConfiguration": "OFF"}),
        missing=("mfaConfiguration",),
        unknown=("mfaConfiguration",),
    ),
    Case(
        "cognito-mfa-required",
        POOL,
        {**POOL_OK, "mfaConfiguration": "OPTIONAL"},
        bad=({"mfaConfiguration": "OFF"},),
        config={"allowOptional": True},
    ),
    Case(
        "cognito-threat-protection",
        POOL,
        POOL_OK,
        bad=({"userPoolAddOns.advancedSecurityMode": "AUDIT"}, {"userPoolTier": "ESSENTIALS"}),
        missing=("userPoolAddOns",),
        optional=("userPoolTier",),
        unknown=("userPoolAddOns.advancedSecurityMode",),
    ),
    Case(
        "cognito-deletion-protection",
        POOL,
        POOL_OK,
        bad=({"deletionProtection": "INACTIVE"},),
        missing=("deletionProtection",),
    ),
    Case(
        "cognito-identity-pool-no-guests",
        "aws:cognito/identityPool:IdentityPool",
        {"allowUnauthenticatedIdentities": False, "allowClassicFlow": False},
        bad=({"allowUnauthenticatedIdentities": True}, {"allowClassicFlow": True}),
        missing=("allowUnauthenticatedIdentities",),
        optional=("allowClassicFlow",),
        unknown=("allowUnauthenticatedIdentities",),
    ),
    Case(
        "cognito-client-hardening",
        CLIENT,
        CLIENT_OK,
        bad=(
            {"preventUserExistenceErrors": "LEGACY"},
            {"allowedOauthFlows": ["implicit"]},
            {"explicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]},
            {"accessTokenValidity": 24.0, "tokenValidityUnits.accessToken": "hours"},
            {"refreshTokenValidity": 3650.0},
        ),
        missing=("preventUserExistenceErrors", "enableTokenRevocation", "idTokenValidity"),
        unknown=("preventUserExistenceErrors",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    check_case(case)
