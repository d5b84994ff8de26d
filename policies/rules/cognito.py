"""Cognito: rows 25-29, 31-32 (row 30 lives with API Gateway methods)."""

from __future__ import annotations

from collections.abc import Iterator

from policies import iamdoc
from policies.core import (
    COMPLIANCE,
    SECURITY,
    Param,
    Res,
    Settings,
    Stack,
    StackFinding,
    guarded,
    resource_rule,
    stack_rule,
)
from policies.rules.iam import ROLE

USER_POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
IDENTITY_POOL = "aws:cognito/identityPool:IdentityPool"
ROLE_ATTACHMENT = "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment"
UNIT_MINUTES = {"seconds": 1 / 60, "minutes": 1, "hours": 60, "days": 1440}


@resource_rule(
    "cognito-password-policy",
    pack=SECURITY,
    types=[USER_POOL],
    description="User pools require strong passwords (length, all character classes, temporary passwords valid <= 7 days).",
    severity="high",
    remediation="Set password_policy with minimum_length >= minimumLength, all require_* flags True and temporary_password_validity_days <= 7.",
    category="least-privilege",
    rows=[25],
    fsbp=["Cognito.3"],
    cdk_nag=["COG1"],
    params=[Param("minimumLength", {"type": "integer", "minimum": 8}, 8, "shortest password allowed")],
)
def password_policy(r: Res, cfg: Settings) -> Iterator[str]:
    length = r.number("passwordPolicy.minimumLength")
    if length is None or length < cfg["minimumLength"]:
        yield f"{r.label}: minimum password length {length} < {cfg['minimumLength']}"
    for flag in ("requireLowercase", "requireUppercase", "requireNumbers", "requireSymbols"):
        if not r.flag(f"passwordPolicy.{flag}"):
            yield f"{r.label}: passwordPolicy.{flag} is not true"
    days = r.number("passwordPolicy.temporaryPasswordValidityDays")
    if days is None or days > 7:
        yield f"{r.label}: temporary passwords valid for {days} days (at most 7)"


@resource_rule(
    "cognito-mfa-required",
    pack=SECURITY,
    types=[USER_POOL],
    description="User pools require MFA (mfa_configuration ON; OPTIONAL only where config allows it).",
    severity="high",
    remediation="Set mfa_configuration='ON' with software_token_mfa_configuration enabled.",
    category="least-privilege",
    rows=[26],
    fsbp=["Cognito.5"],
    cdk_nag=["COG2"],
    params=[Param("allowOptional", {"type": "boolean"}, False, "accept OPTIONAL (for dev stacks)")],
)
def mfa(r: Res, cfg: Settings) -> Iterator[str]:
    mode = r.req("mfaConfiguration")
    allowed = ("ON", "OPTIONAL") if cfg["allowOptional"] else ("ON",)
    if mode not in allowed:
        yield f"{r.label}: MFA is {mode or 'OFF'!r}"


@resource_rule(
    "cognito-threat-protection",
    pack=SECURITY,
    types=[USER_POOL],
    description="User pools enforce threat protection (advanced security ENFORCED, on the Plus tier).",
    severity="medium",
    remediation="Set user_pool_tier='PLUS' and user_pool_add_ons.advanced_security_mode='ENFORCED'.",
    category="least-privilege",
    rows=[27],
    fsbp=["Cognito.1", "Cognito.4"],
    cdk_nag=["COG8"],
    params=[Param("acceptAudit", {"type": "boolean"}, False, "accept AUDIT mode (log only)")],
)
def threat_protection(r: Res, cfg: Settings) -> Iterator[str]:
    mode = r.req("userPoolAddOns.advancedSecurityMode")
    allowed = ("ENFORCED", "AUDIT") if cfg["acceptAudit"] else ("ENFORCED",)
    if mode not in allowed:
        yield f"{r.label}: threat protection mode is {mode or 'OFF'!r}"
    tier = r.req("userPoolTier")
    if tier is not None and tier != "PLUS":
        yield f"{r.label}: tier {tier!r} does not include threat protection (PLUS)"


@resource_rule(
    "cognito-deletion-protection",
    pack=COMPLIANCE,
    types=[USER_POOL],
    description="User pools have deletion protection ACTIVE.",
    severity="medium",
    remediation="Set deletion_protection='ACTIVE'.",
    category="resilience",
    rows=[28],
    fsbp=["Cognito.6"],
)
def deletion_protection(r: Res, _: Settings) -> Iterator[str]:
    if r.req("deletionProtection") != "ACTIVE":
        yield f"{r.label}: deletion protection is {r.get('deletionProtection') or 'INACTIVE'!r}"


@resource_rule(
    "cognito-identity-pool-no-guests",
    pack=SECURITY,
    types=[IDENTITY_POOL],
    description="Identity pools allow no unauthenticated identities and no classic (basic) flow.",
    severity="high",
    remediation="Set allow_unauthenticated_identities=False and allow_classic_flow=False.",
    category="least-privilege",
    rows=[29],
    fsbp=["Cognito.2"],
    cdk_nag=["COG7"],
    checkov=["CKV_AWS_366"],
)
def no_guests(r: Res, _: Settings) -> Iterator[str]:
    if r.req("allowUnauthenticatedIdentities") is not False:
        yield f"{r.label}: unauthenticated (guest) identities are not explicitly disabled"
    if r.flag("allowClassicFlow", default=False):
        yield f"{r.label}: the classic authentication flow is enabled"


def _minutes(r: Res, key: str, default_unit: str) -> float | None:
    value = r.number(key)
    if value is None:
        return None
    unit = r.req(f"tokenValidityUnits.{key.removesuffix('Validity')}") or default_unit
    return value * UNIT_MINUTES.get(str(unit), 1)


@resource_rule(
    "cognito-client-hardening",
    pack=SECURITY,
    types=[CLIENT],
    description=(
        "App clients prevent user-existence errors, use no implicit grant or plain password auth, enable token "
        "revocation and keep token lifetimes short."
    ),
    severity="medium",
    remediation=(
        "Set prevent_user_existence_errors='ENABLED', enable_token_revocation=True, explicit_auth_flows without "
        "ALLOW_USER_PASSWORD_AUTH, no 'implicit' OAuth flow, access/id tokens <= 60 minutes, refresh <= 30 days."
    ),
    category="least-privilege",
    rows=[32],
    other=["gap:7.4"],
    params=[
        Param("maxAccessTokenMinutes", {"type": "integer", "minimum": 5}, 60, "longest access/id token lifetime"),
        Param("maxRefreshTokenDays", {"type": "integer", "minimum": 1}, 30, "longest refresh token lifetime"),
    ],
)
def client_hardening(r: Res, cfg: Settings) -> Iterator[str]:
    if r.req("preventUserExistenceErrors") != "ENABLED":
        yield f"{r.label}: preventUserExistenceErrors is not ENABLED (user enumeration)"
    if r.req("enableTokenRevocation") is not True:
        yield f"{r.label}: enableTokenRevocation is not explicitly true"
    if "implicit" in r.items("allowedOauthFlows"):
        yield f"{r.label}: the implicit OAuth grant is allowed"
    flows = [str(f) for f in r.items("explicitAuthFlows")]
    for flow in ("ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"):
        if flow in flows:
            yield f"{r.label}: {flow} sends passwords instead of SRP"
    for key in ("accessTokenValidity", "idTokenValidity"):
        minutes = _minutes(r, key, "hours")
        if minutes is None or minutes > cfg["maxAccessTokenMinutes"]:
            yield f"{r.label}: {key} is {'not set' if minutes is None else f'{minutes:g} minutes'} (max {cfg['maxAccessTokenMinutes']})"
    refresh = _minutes(r, "refreshTokenValidity", "days")
    if refresh is None or refresh > cfg["maxRefreshTokenDays"] * 1440:
        yield f"{r.label}: refreshTokenValidity is {'not set' if refresh is None else f'{refresh / 1440:g} days'} (max {cfg['maxRefreshTokenDays']})"


@stack_rule(
    "cognito-identity-roles-trust-this-pool",
    pack=SECURITY,
    description=(
        "Roles attached to an identity pool trust only cognito-identity.amazonaws.com for that pool "
        "(aud condition linked to the pool) and, for the authenticated role, amr = authenticated; no guest role."
    ),
    severity="critical",
    remediation=(
        "Trust policy: Federated cognito-identity.amazonaws.com, sts:AssumeRoleWithWebIdentity, StringEquals "
        "cognito-identity.amazonaws.com:aud = pool.id, ForAnyValue:StringLike cognito-identity.amazonaws.com:amr = authenticated."
    ),
    category="least-privilege",
    rows=[31],
    other=["gap:7.4"],
)
def identity_roles(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for attachment in stack.of(ROLE_ATTACHMENT):

        def check(attachment: Res = attachment) -> Iterator[str]:
            pools = stack.linked(attachment, "identityPoolId", IDENTITY_POOL)
            roles_map = attachment.req("roles") or {}
            if "unauthenticated" in roles_map:
                yield f"{attachment.label}: attaches an unauthenticated (guest) role"
            roles = stack.linked(attachment, "roles", ROLE)
            if not roles:
                yield f"{attachment.label}: its roles are not declared in this stack"
            for role in roles:
                yield from _judge_trust(role, pools)

        yield from guarded(attachment, check)


def _judge_trust(role: Res, pools: list[Res]) -> Iterator[str]:
    try:
        doc = iamdoc.parse(role.req("assumeRolePolicy"), "assumeRolePolicy")
    except iamdoc.DocumentError as error:
        yield f"{role.label}: {error}"
        return
    for statement in iamdoc.statements(doc):
        if not statement.allows:
            continue
        if statement.principals_of("Federated") != ["cognito-identity.amazonaws.com"]:
            yield f"{role.label}: trusts {', '.join(statement.principals) or 'nobody'} instead of cognito-identity.amazonaws.com"
            continue
        audiences = statement.condition_values("cognito-identity.amazonaws.com:aud", ("StringEquals",))
        linked = any(p.urn in role.deps_of("assumeRolePolicy") for p in pools) or any(
            a in (p.name, *p.identifiers) for a in audiences for p in pools
        )
        if not audiences or not linked:
            yield f"{role.label}: trust is not limited to this stack's identity pool (cognito-identity.amazonaws.com:aud)"
        amr = statement.condition_values("cognito-identity.amazonaws.com:amr")
        if "authenticated" not in amr:
            yield f"{role.label}: trust does not require amr = authenticated"
