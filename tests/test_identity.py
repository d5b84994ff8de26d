"""The user pool, app client and identity pool of both stacks, driven by the identity config."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.identity import IdentitySettings
from components.validation import ArgsError
from offline.runner import ProgramRun

POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
IDENTITY_POOL = "aws:cognito/identityPool:IdentityPool"


def _settings(config: dict[str, Any]) -> dict[str, Any]:
    defaults = IdentitySettings()
    return {
        "mfaMode": defaults.mfa_mode,
        "threatProtection": defaults.threat_protection,
        "protect": defaults.protect,
        "deletionProtection": defaults.deletion_protection,
        **config["identity"],
    }


def test_user_pool_sign_in_and_verification(run: ProgramRun) -> None:
    pool = run.one(POOL, "identity-user-pool").inputs
    assert pool["usernameAttributes"] == ["email"]
    assert pool["usernameConfiguration"] == {"caseSensitive": False}
    assert pool["autoVerifiedAttributes"] == ["email"]
    assert pool["userAttributeUpdateSettings"] == {"attributesRequireVerificationBeforeUpdates": ["email"]}
    assert pool["accountRecoverySetting"] == {"recoveryMechanisms": [{"name": "verified_email", "priority": 1}]}
    assert "schemas" not in pool, "no custom attributes: profile data lives in the graph"


def test_password_policy(run: ProgramRun, config: dict[str, Any]) -> None:
    policy = run.one(POOL, "identity-user-pool").inputs["passwordPolicy"]
    assert policy["minimumLength"] == config["identity"]["passwordMinLength"] >= 8
    assert policy["requireLowercase"] and policy["requireUppercase"]
    assert policy["requireNumbers"] and policy["requireSymbols"]
    assert policy["temporaryPasswordValidityDays"] == config["identity"]["temporaryPasswordValidityDays"] <= 7


def test_mfa_and_threat_protection_follow_config(run: ProgramRun, config: dict[str, Any]) -> None:
    settings = _settings(config)
    pool = run.one(POOL, "identity-user-pool")
    assert pool.inputs["mfaConfiguration"] == settings["mfaMode"]
    if settings["mfaMode"] != "OFF":
        assert pool.inputs["softwareTokenMfaConfiguration"] == {"enabled": True}
    assert "smsConfiguration" not in pool.inputs, "TOTP only"
    assert pool.inputs["userPoolAddOns"] == {"advancedSecurityMode": settings["threatProtection"]}
    assert pool.inputs["userPoolTier"] == ("ESSENTIALS" if settings["threatProtection"] == "OFF" else "PLUS")
    assert pool.inputs["deletionProtection"] == ("ACTIVE" if settings["deletionProtection"] else "INACTIVE")
    assert pool.protect is settings["protect"]


def test_prod_requires_mfa_and_enforces_threat_protection(stack: str, run: ProgramRun) -> None:
    pool = run.one(POOL, "identity-user-pool")
    if stack == "prod":
        assert pool.inputs["mfaConfiguration"] == "ON"
        assert pool.inputs["userPoolAddOns"]["advancedSecurityMode"] == "ENFORCED"
        assert pool.protect and pool.inputs["deletionProtection"] == "ACTIVE"
    else:
        assert pool.inputs["mfaConfiguration"] == "OPTIONAL"


def test_triggers_wired_with_a_scoped_permission(run: ProgramRun) -> None:
    pool = run.one(POOL, "identity-user-pool")
    function = run.one("aws:lambda/function:Function", "auth-triggers-function")
    assert pool.inputs["lambdaConfig"] == {
        "preSignUp": function.state["arn"],
        "postConfirmation": function.state["arn"],
    }
    permissions = [
        p for p in run.by_type("aws:lambda/permission:Permission") if p.inputs["function"] == function.inputs["name"]
    ]
    assert len(permissions) == 1
    permission = permissions[0].inputs
    assert permission["principal"] == "cognito-idp.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["sourceArn"] == pool.state["arn"]
    assert permission["sourceAccount"] == "123456789012"


def test_app_client_for_a_mobile_app(run: ProgramRun, config: dict[str, Any]) -> None:
    client = run.one(CLIENT, "identity-app-client").inputs
    identity = config["identity"]
    assert client["userPoolId"] == run.one(POOL, "identity-user-pool").id
    assert client["generateSecret"] is False
    assert sorted(client["explicitAuthFlows"]) == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]
    assert client["preventUserExistenceErrors"] == "ENABLED"
    assert client["enableTokenRevocation"] is True
    assert client["accessTokenValidity"] == identity["accessTokenValidityMinutes"]
    assert client["idTokenValidity"] == identity["idTokenValidityMinutes"]
    assert client["refreshTokenValidity"] == identity["refreshTokenValidityDays"]
    assert client["tokenValidityUnits"] == {"accessToken": "minutes", "idToken": "minutes", "refreshToken": "days"}
    assert client["allowedOauthFlowsUserPoolClient"] is False
    assert not client.get("allowedOauthFlows") and not client.get("callbackUrls")


def test_identity_pool_has_no_guests_and_no_classic_flow(run: ProgramRun) -> None:
    pool = run.one(IDENTITY_POOL, "identity-identity-pool").inputs
    user_pool = run.one(POOL, "identity-user-pool")
    assert pool["allowUnauthenticatedIdentities"] is False
    assert pool["allowClassicFlow"] is False
    (provider,) = pool["cognitoIdentityProviders"]
    assert provider["clientId"] == run.one(CLIENT, "identity-app-client").id
    assert provider["providerName"] == f"cognito-idp.eu-west-1.amazonaws.com/{user_pool.id}"
    assert provider["serverSideTokenCheck"] is True


def test_authenticated_role_trusts_only_this_pools_signed_in_identities(run: ProgramRun) -> None:
    identity_pool = run.one(IDENTITY_POOL, "identity-identity-pool")
    role = run.one("aws:iam/role:Role", "identity-authenticated-role")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Federated": "cognito-identity.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool.id},
        "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
    }
    attachment = run.one(
        "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment", "identity-identity-pool-roles"
    )
    assert attachment.inputs["identityPoolId"] == identity_pool.id
    assert attachment.inputs["roles"] == {"authenticated": role.state["arn"]}


def test_signed_in_users_may_only_write_their_own_uploads_prefix(run: ProgramRun) -> None:
    role = run.one("aws:iam/role:Role", "identity-authenticated-role")
    uploads = run.one("aws:s3/bucket:Bucket", "content-uploads")
    attached = {
        a.inputs["policyArn"]
        for a in run.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == role.state["name"]
    }
    policies = [p for p in run.by_type("aws:iam/policy:Policy") if p.state["arn"] in attached]
    assert len(policies) == 1 and not role.inputs.get("inlinePolicies")
    (statement,) = json.loads(policies[0].inputs["policy"])["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] in (["s3:PutObject"], "s3:PutObject")
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    assert resources == [uploads.state["arn"] + "/uploads/${cognito-identity.amazonaws.com:sub}/*"]


def test_outputs(run: ProgramRun) -> None:
    assert run.outputs["userPoolId"] == run.one(POOL, "identity-user-pool").id
    assert run.outputs["userPoolClientId"] == run.one(CLIENT, "identity-app-client").id
    assert run.outputs["identityPoolId"] == run.one(IDENTITY_POOL, "identity-identity-pool").id


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"allowed_email_domains": ["Example.COM"]}, r"allowed_email_domains\[0\]: must be a lowercase domain name"),
        ({"allowed_email_domains": ["a.com"], "blocked_email_domains": ["a.com"]}, "a.com is both allowed and blocked"),
        ({"password_min_length": 6}, "password_min_length: must be between 8 and 99"),
    ],
)
def test_settings_reject(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgsError, match=message):
        IdentitySettings(**changes)
