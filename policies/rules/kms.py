"""KMS: CONTROLS rows 70-76 and key linkage (section 7.5)."""

from __future__ import annotations

import fnmatch
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
from policies.rules._helpers import KMS_KEY_TYPES, document, kms_key_linked, public_statements, require_not_true

KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"


@resource_rule(
    "kms-key-rotation",
    pack=SECURITY,
    types=[KEY],
    description="Symmetric customer-managed KMS keys rotate automatically (at most yearly by default).",
    severity="medium",
    remediation="Set enable_key_rotation=True (and rotation_period_in_days <= maximumRotationDays if set).",
    category="encryption",
    rows=[70],
    fsbp=["KMS.4"],
    cdk_nag=["KMS5"],
    checkov=["CKV_AWS_7"],
    other=["awsguard:cmk-backing-key-rotation-enabled", "pulumi-cp:kms-key-enable-key-rotation"],
    params=[Param("maximumRotationDays", {"type": "integer", "minimum": 90}, 365, "longest rotation period allowed")],
)
def key_rotation(r: Res, cfg: Settings) -> Iterator[str]:
    spec = r.req("customerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    usage = r.req("keyUsage") or "ENCRYPT_DECRYPT"
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        return
    if not r.flag("enableKeyRotation"):
        yield f"{r.label}: automatic key rotation is off (enableKeyRotation must be true)"
        return
    period = r.number("rotationPeriodInDays")
    if period is not None and period > cfg["maximumRotationDays"]:
        yield f"{r.label}: rotation period {period:g} days exceeds {cfg['maximumRotationDays']} days"


@resource_rule(
    "kms-key-policy-no-public-principal",
    pack=SECURITY,
    types=[KEY, KEY_POLICY],
    description="KMS key policies grant nothing to the wildcard principal without a limiting condition.",
    severity="critical",
    remediation="Name the account root, roles or service principals instead of '*', or add aws:PrincipalOrgID / kms:CallerAccount conditions.",
    category="least-privilege",
    rows=[71],
    fsbp=["KMS.5"],
    checkov=["CKV_AWS_33"],
)
def key_policy_public(r: Res, _: Settings) -> Iterator[str]:
    yield from public_statements(r, "policy")


@resource_rule(
    "kms-key-policy-service-principals-scoped",
    pack=SECURITY,
    types=[KEY, KEY_POLICY],
    description=(
        "Key policy statements for AWS service principals are scoped with aws:SourceArn / aws:SourceAccount, "
        "kms:EncryptionContext or kms:ViaService conditions."
    ),
    severity="medium",
    remediation="Add a condition such as ArnLike aws:SourceArn or StringEquals aws:SourceAccount to each service statement.",
    category="least-privilege",
    rows=[71],
    other=["gap:7.5"],
)
def service_principals_scoped(r: Res, _: Settings) -> Iterator[str]:
    try:
        doc = document(r, "policy")
    except iamdoc.DocumentError as error:
        yield f"{r.label}: {error}"
        return
    for index, statement in enumerate(iamdoc.statements(doc)):
        services = statement.principals_of("Service")
        if not statement.allows or not services:
            continue
        scoped = statement.has_condition_key(
            "aws:SourceArn", "aws:SourceAccount", "kms:ViaService", "kms:CallerAccount"
        ) or any(
            key.lower().startswith("kms:encryptioncontext") for block in statement.conditions.values() for key in block
        )
        if not scoped:
            yield (
                f"{r.label}: statement {statement.sid or '#' + str(index + 1)} grants {', '.join(services)} "
                "without a source or encryption-context condition"
            )


@stack_rule(
    "kms-key-policy-defined",
    pack=SECURITY,
    description="Every KMS key has an explicit key policy (inline or through aws.kms.KeyPolicy).",
    severity="medium",
    remediation="Pass policy=<JSON document> to the key, or declare an aws.kms.KeyPolicy for it.",
    category="least-privilege",
    rows=[72],
    checkov=["CKV2_AWS_64"],
)
def key_policy_defined(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for key in stack.of(KEY):

        def check(key: Res = key) -> Iterator[str]:
            if key.get("policy") in (None, "") and not stack.referrers(key, "keyId", KEY_POLICY):
                yield f"{key.label}: no explicit key policy (AWS would apply its default policy)"

        yield from guarded(key, check)


require_not_true(
    "kms-key-no-lockout-bypass",
    path="bypassPolicyLockoutSafetyCheck",
    what="the key policy lockout safety check is bypassed",
    pack=SECURITY,
    types=[KEY, KEY_POLICY],
    description="KMS keys never bypass the policy lockout safety check.",
    severity="high",
    remediation="Remove bypass_policy_lockout_safety_check (or set it False).",
    category="least-privilege",
    rows=[74],
    other=["pulumi-cp:kms-key-disallow-bypass-policy-lockout-safety-check"],
)


@resource_rule(
    "kms-key-deletion-window",
    pack=COMPLIANCE,
    types=[KEY],
    description="KMS keys keep the longest deletion window (30 days unless configured), so a mistaken delete can be cancelled.",
    severity="medium",
    remediation="Leave deletion_window_in_days unset (30) or set it >= minimumDeletionWindowDays; protect the key too.",
    category="resilience",
    rows=[75],
    fsbp=["KMS.3"],
    params=[Param("minimumDeletionWindowDays", {"type": "integer", "minimum": 7}, 30, "shortest deletion window")],
)
def deletion_window(r: Res, cfg: Settings) -> Iterator[str]:
    days = r.number("deletionWindowInDays")
    if days is not None and days < cfg["minimumDeletionWindowDays"]:
        yield f"{r.label}: deletion window is {days:g} days; at least {cfg['minimumDeletionWindowDays']} required"


@resource_rule(
    "kms-key-enabled",
    pack=COMPLIANCE,
    types=[KEY],
    description="KMS keys declared by the stack are enabled.",
    severity="low",
    remediation="Remove is_enabled=False, or delete the key if it is unused.",
    category="hygiene",
    rows=[76],
    checkov=["CKV_AWS_227"],
)
def key_enabled(r: Res, _: Settings) -> Iterator[str]:
    if r.req("isEnabled") is False:
        yield f"{r.label}: the key is disabled"


#: Resource type -> the input naming its KMS key; every encrypted resource must use a stack CMK.
ENCRYPTED_BY = {
    "aws:neptune/cluster:Cluster": "kmsKeyArn",
    "aws:cloudwatch/logGroup:LogGroup": "kmsKeyId",
    "aws:sns/topic:Topic": "kmsMasterKeyId",
    "aws:sqs/queue:Queue": "kmsMasterKeyId",
    "aws:secretsmanager/secret:Secret": "kmsKeyId",
    "aws:lambda/function:Function": "kmsKeyArn",
    "aws:cloudtrail/trail:Trail": "kmsKeyId",
    "aws:dynamodb/table:Table": "serverSideEncryption",
    "aws:scheduler/schedule:Schedule": "kmsKeyArn",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "rules",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": "rules",
}


@stack_rule(
    "kms-encryption-uses-stack-keys",
    pack=SECURITY,
    description="Resources that name a KMS key use a customer-managed key declared in this stack, not an AWS-managed or foreign key.",
    severity="medium",
    remediation="Create the key with the keys component and pass its arn (not an alias/aws/... or a hard-coded ARN).",
    category="encryption",
    rows=[2, 43, 68, 79, 100, 131, 137, 145],
    other=["gap:7.5"],
)
def uses_stack_keys(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for res_type, prop in ENCRYPTED_BY.items():
        for res in stack.of(res_type):

            def check(res: Res = res, prop: str = prop) -> Iterator[str]:
                if kms_key_linked(stack, res, prop):
                    return
                named = [k for k in _key_values(res, prop) if k not in (None, "")]
                if not named or all(_is_stack_key(stack, k) for k in named):
                    return  # absence is judged by the service's own encryption rule
                for key in named:
                    if isinstance(key, str) and key.startswith("alias/aws/"):
                        yield f"{res.label}: {prop} uses the AWS-managed key {key!r}, not a stack CMK"
                        return
                yield f"{res.label}: {prop} does not refer to a KMS key declared in this stack"

            yield from guarded(res, check)


def _key_values(res: Res, prop: str) -> list[object]:
    """The key identifiers a resource names, including nested DynamoDB / S3 SSE fields."""
    if prop == "serverSideEncryption":
        return [res.req("serverSideEncryption.kmsKeyArn")]
    if prop == "rules":
        return [
            res.req(f"rules.{i}.applyServerSideEncryptionByDefault.kmsMasterKeyId")
            for i in range(len(res.items("rules")))
        ]
    return [res.req(prop)]


def _is_stack_key(stack: Stack, value: object) -> bool:
    for key in stack.of(*KMS_KEY_TYPES):
        idents = {
            i for i in (*key.identifiers, key.get("keyId"), key.get("arn"), key.get("name")) if isinstance(i, str) and i
        }
        if value in idents:
            return True
    return False


#: Key-policy actions that administer the key rather than use it ("Key administrators",
#: "Default key policy", AWS KMS developer guide): whoever holds one can change who may use
#: the key, or destroy it.
KEY_ADMIN_ACTIONS = frozenset(
    a.lower()
    for a in (
        "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion",
        "kms:DisableKey",
        "kms:EnableKey",
        "kms:DisableKeyRotation",
        "kms:CreateGrant",
        "kms:RevokeGrant",
        "kms:RetireGrant",
        "kms:UpdateKeyDescription",
        "kms:UpdateAlias",
        "kms:DeleteAlias",
        "kms:CreateAlias",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:ReplicateKey",
        "kms:UpdatePrimaryRegion",
        "kms:ImportKeyMaterial",
        "kms:DeleteImportedKeyMaterial",
    )
)


def _admin_actions(statement: iamdoc.Statement) -> list[str]:
    found: set[str] = set()
    for action in statement.actions:
        lowered = action.lower()
        if lowered in ("*", "kms:*"):
            return [action]
        if "*" in lowered:
            found |= {a for a in KEY_ADMIN_ACTIONS if fnmatch.fnmatchcase(a, lowered)}
        elif lowered in KEY_ADMIN_ACTIONS:
            found.add(action)
    if statement.not_actions:
        return ["NotAction"]
    return sorted(found)


@resource_rule(
    "kms-key-administration-by-account-only",
    pack=SECURITY,
    types=[KEY, KEY_POLICY],
    description=(
        "Only the account root (so IAM policies decide) or the configured key administrators may administer a key "
        "(kms:* or PutKeyPolicy, ScheduleKeyDeletion, CreateGrant, DisableKey ...); services and workload roles "
        "get use actions only."
    ),
    severity="high",
    remediation=(
        "Grant services and roles the use actions they need (kms:Decrypt, kms:GenerateDataKey* ...) with conditions; "
        "leave kms:* to the account-root statement, or list the administrators in keyAdministrators."
    ),
    category="least-privilege",
    rows=[71],
    params=[
        Param(
            "keyAdministrators",
            {"type": "array", "items": {"type": "string"}},
            [],
            "ARN globs of the IAM principals that may administer the stack's keys",
        )
    ],
    doc_title="Default key policy - AWS Key Management Service",
    doc_url="https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html",
)
def administration(r: Res, cfg: Settings) -> Iterator[str]:
    try:
        doc = document(r, "policy")
    except iamdoc.DocumentError as error:
        yield f"{r.label}: {error}"
        return
    for index, statement in enumerate(iamdoc.statements(doc)):
        if not statement.allows:
            continue
        admin = _admin_actions(statement)
        if not admin:
            continue
        sid = statement.sid or f"#{index + 1}"
        if statement.has_not_principal or statement.raw.get("Principal") == "*":
            continue  # judged by kms-key-policy-no-public-principal
        for principal in statement.principals:
            is_root = principal.endswith(":root") or (principal.isdigit() and len(principal) == 12)
            if is_root or any(fnmatch.fnmatchcase(principal, p) for p in cfg["keyAdministrators"]):
                continue
            yield f"{r.label}: statement {sid} lets {principal} administer the key ({', '.join(admin[:4])})"
