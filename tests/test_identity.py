"""The user pool, app client and identity pool of both stacks, driven by the identity config."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import pytest

from components.identity import IdentitySettings
from components.validation import ArgsError
from offline.runner import REPO_ROOT, ProgramRun
from policies.packconfig import load
from tests.iam_simulation import allows

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


def test_mfa_and_threat_protection_as_the_stack_requires(stack: str, run: ProgramRun) -> None:
    """What the pool must enforce is the stack's security pack config (cognito-mfa-required allowOptional,
    cognito-threat-protection acceptAudit), not its name."""
    pool = run.one(POOL, "identity-user-pool")
    config = load(stack)
    _, mfa = config.requirement("cognito-mfa-required")
    assert pool.inputs["mfaConfiguration"] in (["ON", "OPTIONAL"] if mfa["allowOptional"] else ["ON"])
    _, threat = config.requirement("cognito-threat-protection")
    allowed = ["ENFORCED", "AUDIT"] if threat["acceptAudit"] else ["ENFORCED"]
    assert pool.inputs["userPoolAddOns"]["advancedSecurityMode"] in allowed


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
    # Cognito tags the session with the mapped claims: without sts:TagSession the role is
    # never assumable once principal tags are mapped ("Using attributes for access control").
    assert sorted(statement["Action"]) == ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]
    assert statement["Condition"] == {
        "StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool.id},
        "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
    }
    attachment = run.one(
        "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment", "identity-identity-pool-roles"
    )
    assert attachment.inputs["identityPoolId"] == identity_pool.id
    assert attachment.inputs["roles"] == {"authenticated": role.state["arn"]}


def _role_documents(run: ProgramRun) -> list[dict[str, Any]]:
    role = run.one("aws:iam/role:Role", "identity-authenticated-role")
    attached = {
        a.inputs["policyArn"]
        for a in run.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == role.state["name"]
    }
    assert not role.inputs.get("inlinePolicies")
    return [json.loads(p.inputs["policy"]) for p in run.by_type("aws:iam/policy:Policy") if p.state["arn"] in attached]


def _session_context(run: ProgramRun, sub: str) -> dict[str, Any]:
    """The request context of a signed-in user's role session: the tags Cognito maps from the
    user pool ID token's claims (principal tag -> claim), with this user's ``sub`` claim."""
    identity_pool = run.one(IDENTITY_POOL, "identity-identity-pool")
    (provider,) = identity_pool.inputs["cognitoIdentityProviders"]
    (mapping,) = [
        m
        for m in run.by_type("aws:cognito/identityPoolProviderPrincipalTag:IdentityPoolProviderPrincipalTag")
        if m.inputs["identityPoolId"] == identity_pool.id
    ]
    assert mapping.inputs["identityProviderName"] == provider["providerName"]
    assert mapping.inputs.get("useDefaults") is False
    claims = {"sub": sub, "aud": provider["clientId"]}
    return {f"aws:PrincipalTag/{tag}": claims[claim] for tag, claim in mapping.inputs["principalTags"].items()} | {
        "kms:ViaService": "s3.eu-west-1.amazonaws.com"
    }


def _thumbnailer_upload_key() -> re.Pattern[str]:
    """The keys the thumbnailer accepts, from its own code (functions/ is its package root)."""
    functions = str(REPO_ROOT / "functions")
    if functions not in sys.path:
        sys.path.insert(0, functions)
    from thumbnailer.handler import UPLOAD_KEY

    return UPLOAD_KEY


def test_signed_in_users_may_only_write_their_own_uploads_prefix(run: ProgramRun) -> None:
    """What the thumbnailer accepts: ``uploads/<user pool sub>/<uuid>.<ext>``, attributed to that sub."""
    uploads = run.one("aws:s3/bucket:Bucket", "content-uploads").state["arn"]
    sub, other = "0b8f1c2e-7d44-4a4f-9c1b-2f6e5a7d8c90", "5d1e9a37-2b6c-4f08-8e3a-9c7b1d2e4f60"
    key = f"uploads/{sub}/4c2a7e51-93b8-4d6f-a0e2-6b1f8c3d9e74.jpg"
    match = _thumbnailer_upload_key().match(key)
    assert match is not None and match["sub"] == sub
    documents = _role_documents(run)
    context = _session_context(run, sub)
    assert allows(documents, "s3:PutObject", f"{uploads}/{key}", context)
    # Near misses: another user's prefix, outside uploads/, and the identity id (not a sub).
    assert not allows(documents, "s3:PutObject", f"{uploads}/uploads/{other}/x.jpg", context)
    assert not allows(documents, "s3:PutObject", f"{uploads}/media/{sub}/x.jpg", context)
    identity_id = "eu-west-1:1f7c5b3a-0d2e-4e6f-8a9b-3c4d5e6f7a8b"
    assert not allows(documents, "s3:PutObject", f"{uploads}/uploads/{identity_id}/x.jpg", context)
    assert not allows(documents, "s3:GetObject", f"{uploads}/{key}", context)


def test_signed_in_users_may_encrypt_their_upload_with_the_uploads_key_through_s3_only(run: ProgramRun) -> None:
    """SSE-KMS PutObject: S3 calls kms:GenerateDataKey as the caller, on the bucket's key."""
    uploads = run.one("aws:s3/bucket:Bucket", "content-uploads")
    (encryption,) = [
        e
        for e in run.by_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
        if uploads.urn in e.property_dependencies["bucket"]
    ]
    key = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
    documents = _role_documents(run)
    context = _session_context(run, "0b8f1c2e-7d44-4a4f-9c1b-2f6e5a7d8c90")
    assert allows(documents, "kms:GenerateDataKey", key, context)
    direct = {k: v for k, v in context.items() if k != "kms:ViaService"}
    assert not allows(documents, "kms:GenerateDataKey", key, direct), "only through S3"
    assert not allows(documents, "kms:Decrypt", key, context)
    other_key = run.one("aws:kms/key:Key", "keys-logs").state["arn"]
    assert not allows(documents, "kms:GenerateDataKey", other_key, context)


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


def test_uploads_bucket_and_its_key_come_together() -> None:
    from components.context import DeploymentContext
    from components.identity import IdentityArgs

    context = DeploymentContext(account_id="123456789012", region="eu-west-1", partition="aws", prefix="p-dev")
    with pytest.raises(ArgsError, match=r"^uploads_key_arn: pass the uploads bucket and its KMS key together"):
        IdentityArgs(
            context=context,
            settings=IdentitySettings(),
            trigger_function_arn="arn",
            trigger_function_name="fn",
            uploads_bucket_arn="arn:aws:s3:::uploads",
        )
