"""Roles that read or write a CMK-encrypted store but may not use its key.

With a customer managed key, the store calls KMS *as the caller*: the caller's identity
policy must allow the KMS action on the key, and the key policy must either delegate to the
account's IAM policies (principal ``arn:aws:iam::<account>:root``) or name the caller.
- S3: "Using server-side encryption with AWS KMS keys (SSE-KMS)": PutObject needs
  kms:GenerateDataKey, GetObject needs kms:Decrypt.
- SQS: "Key management": SendMessage needs kms:GenerateDataKey and kms:Decrypt,
  ReceiveMessage kms:Decrypt.
- SNS: "Key management" (encryption at rest): Publish needs kms:GenerateDataKey and kms:Decrypt.
- Secrets Manager: "Secret encryption and decryption": GetSecretValue needs kms:Decrypt.
- DynamoDB: AWS KMS Developer Guide, "How Amazon DynamoDB uses AWS KMS"
  (https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html): KMS
  authorizes the caller of a table with a customer managed key (the default key policy's
  "Allow access through Amazon DynamoDB for all principals in the account that are authorized
  to use Amazon DynamoDB" statement, kms:ViaService dynamodb); item calls need kms:Decrypt.
- KMS: "Key policies in AWS KMS" (default key policy, allowing IAM policies).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from policies import iamdoc
from policies.core import DEPLOYABILITY, Res, Settings, Stack, StackFinding, guarded, stack_rule
from policies.rules._helpers import BUCKET_TYPES
from policies.rules.deployability._common import (
    DocumentError,
    action_matches,
    allows,
    bucket_kms,
    key_policy,
    keys_behind,
)

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY = "aws:iam/policy:Policy"
TABLE = "aws:dynamodb/table:Table"
QUEUE = "aws:sqs/queue:Queue"
TOPIC = "aws:sns/topic:Topic"
SECRET = "aws:secretsmanager/secret:Secret"  # noqa: S105 - a type token

DECRYPT, GENERATE = "kms:Decrypt", "kms:GenerateDataKey"
_ITEM_ACTIONS: Final = (
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
)
#: Store type -> data action -> the KMS actions the caller needs on the store's key.
NEEDS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "bucket": {"s3:GetObject": (DECRYPT,), "s3:PutObject": (GENERATE,)},
    TABLE: {f"dynamodb:{a}": (DECRYPT,) for a in _ITEM_ACTIONS},
    QUEUE: {"sqs:SendMessage": (GENERATE, DECRYPT), "sqs:ReceiveMessage": (DECRYPT,)},
    TOPIC: {"sns:Publish": (GENERATE, DECRYPT)},
    SECRET: {"secretsmanager:GetSecretValue": (DECRYPT,)},
}


@dataclass(frozen=True)
class Store:
    res: Res
    kind: str
    arns: tuple[str, ...]
    keys: tuple[Res, ...]


def _stores(stack: Stack) -> Iterator[Store]:
    for bucket in stack.of(*BUCKET_TYPES):
        keys = {k.urn: k for d in bucket_kms(stack, bucket) if not d.aws_managed for k in d.keys}
        name = bucket.get("bucket")
        arns = tuple(i for i in bucket.identifiers if i.startswith("arn:"))
        if isinstance(name, str) and name:
            arns += (f"arn:aws:s3:::{name}",)
        if keys:
            yield Store(bucket, "bucket", arns, tuple(keys.values()))
    for kind, prop in (
        (TABLE, "serverSideEncryption"),
        (QUEUE, "kmsMasterKeyId"),
        (TOPIC, "kmsMasterKeyId"),
        (SECRET, "kmsKeyId"),
    ):
        for res in stack.of(kind):
            if kind == TABLE and res.get("serverSideEncryption.enabled") is not True:
                continue
            store_keys = keys_behind(stack, res, prop)
            if store_keys:
                yield Store(res, kind, tuple(i for i in res.identifiers if i.startswith("arn:")), tuple(store_keys))


def _documents(stack: Stack, role: Res) -> list[tuple[Res, dict[str, object] | None]]:
    """(resource holding it, document) for each identity policy of the role."""
    docs: list[tuple[Res, dict[str, object] | None]] = []
    for holder in stack.referrers(role, "role", ROLE_POLICY):
        docs.append((holder, iamdoc.parse(holder.req("policy"), "policy")))
    for attachment in stack.referrers(role, "role", ATTACHMENT):
        for policy in stack.linked(attachment, "policyArn", POLICY):
            docs.append((policy, iamdoc.parse(policy.req("policy"), "policy")))
    for index, inline in enumerate(role.items("inlinePolicies")):
        if isinstance(inline, dict):
            docs.append((role, iamdoc.parse(inline.get("policy"), f"inlinePolicies.{index}.policy")))
    return docs


def _resource_matches(patterns: list[str], arns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        for arn in arns:
            if fnmatch.fnmatchcase(arn, pattern) or pattern.startswith(arn + "/"):
                return True
    return False


def _identity_allows(statements: list[iamdoc.Statement], action: str, key: Res) -> bool:
    arns = tuple(i for i in key.identifiers if i.startswith("arn:")) or (key.name,)
    return any(allows(s, action) and ("*" in s.resources or _resource_matches(s.resources, arns)) for s in statements)


def _key_policy_admits(stack: Stack, key: Res, role: Res, action: str) -> tuple[bool, bool]:
    """(names the role or everyone directly, delegates to the account's IAM policies)."""
    role_arns = {i for i in role.identifiers if i.startswith("arn:")}
    direct = delegates = False
    policy = key_policy(stack, key)
    for statement in policy.statements:
        if not allows(statement, action):
            continue
        for principal in statement.principals_of("AWS") + (["*"] if statement.raw.get("Principal") == "*" else []):
            if (
                principal == "*"
                or principal in role_arns
                or (policy.depends_on(role.urn) and not principal.endswith(":root"))
            ):
                direct = True
            elif principal.endswith(":root") or (principal.isdigit() and len(principal) == 12):
                delegates = True
    return direct, delegates


@stack_rule(
    "cmk-store-access-has-key-grant",
    pack=DEPLOYABILITY,
    description="A role that reads or writes a store encrypted with a customer managed key (S3, DynamoDB, SQS, SNS, Secrets Manager) may use that key for the calls the store makes on its behalf.",
    severity="high",
    remediation=(
        "Grant the role kms:Decrypt (reads) and kms:GenerateDataKey (writes) on the store's key ARN in its identity "
        "policy, and keep the key policy delegating to the account (arn:aws:iam::<account>:root) or naming the role."
    ),
    category="deployability",
    rows=[],
    other=["none: gap"],
    doc_title="Amazon S3 User Guide: Using server-side encryption with AWS KMS keys (SSE-KMS)",
    doc_url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
)
def store_key_grant(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    stores = list(_stores(stack))
    if not stores:
        return
    for role in stack.of(ROLE):

        def check(role: Res = role) -> Iterator[str]:
            statements: list[iamdoc.Statement] = []
            try:
                for _holder, document in _documents(stack, role):
                    statements += list(iamdoc.statements(document))
            except iamdoc.DocumentError as error:
                yield f"{role.label}: {error}"
                return
            for store in stores:
                needs = NEEDS[store.kind]
                used = {
                    action
                    for s in statements
                    if s.allows and ("*" in s.resources or _resource_matches(s.resources, store.arns))
                    for action in needs
                    if action_matches(s.actions, action)
                }
                wanted = sorted({k for action in used for k in needs[action]})
                for key in store.keys:
                    for kms_action in wanted:
                        try:
                            direct, delegates = _key_policy_admits(stack, key, role, kms_action)
                        except DocumentError as problem:
                            yield str(problem)
                            continue
                        if direct:
                            continue
                        if not delegates:
                            yield (
                                f"{role.label}: uses {store.res.label} ({', '.join(sorted(used))}) but key {key.name!r}'s "
                                f"policy neither names the role nor delegates {kms_action} to the account's IAM policies"
                            )
                        elif not _identity_allows(statements, kms_action, key):
                            yield (
                                f"{role.label}: may {', '.join(sorted(used))} on {store.res.label}, which is encrypted "
                                f"with customer managed key {key.name!r}, but has no {kms_action} on that key: "
                                "every such request fails with AccessDenied"
                            )

        yield from guarded(role, check)
