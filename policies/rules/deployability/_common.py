"""Joins the deployability rules share: encryption of buckets, keys and their policies, regions."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Final

from policies import iamdoc
from policies.core import Res, Stack, UnknownInput, is_unknown
from policies.rules._helpers import KMS_KEY_TYPES, s3

KEY: Final = "aws:kms/key:Key"
KEY_POLICY: Final = "aws:kms/keyPolicy:KeyPolicy"
ALIAS: Final = "aws:kms/alias:Alias"
SSE_TYPES: Final = s3("BucketServerSideEncryptionConfiguration")
US_EAST_1: Final = "us-east-1"


class DocumentError(Exception):
    """A policy document the rule needs is not valid JSON (reported as a finding)."""


@dataclass(frozen=True)
class KmsDefault:
    """A bucket's SSE-KMS default encryption rule."""

    sse: Res
    #: The configured key id or ARN; None when the rule names no key (the AWS managed aws/s3 key).
    key_id: str | None
    #: The stack's keys the rule names (empty when the key is not declared in this stack).
    keys: tuple[Res, ...]

    @property
    def aws_managed(self) -> bool:
        return self.key_id is None or "alias/aws/" in self.key_id


def bucket_kms(stack: Stack, bucket: Res) -> list[KmsDefault]:
    """The bucket's default-encryption rules that use SSE-KMS (empty: SSE-S3, the S3 default)."""
    found: list[KmsDefault] = []
    for sse in stack.referrers(bucket, "bucket", *SSE_TYPES):
        for rule in sse.items("rules"):
            default = (rule or {}).get("applyServerSideEncryptionByDefault") or {}
            algorithm = default.get("sseAlgorithm")
            if is_unknown(algorithm):
                raise UnknownInput("rules.applyServerSideEncryptionByDefault.sseAlgorithm", algorithm)
            if not (isinstance(algorithm, str) and algorithm.startswith("aws:kms")):
                continue
            keys = tuple(keys_behind(stack, sse, "rules"))
            key_id = default.get("kmsMasterKeyId")
            if is_unknown(key_id):
                if not keys:
                    raise UnknownInput("rules.applyServerSideEncryptionByDefault.kmsMasterKeyId", key_id)
                key_id = keys[0].name
            found.append(KmsDefault(sse, str(key_id) if key_id not in (None, "") else None, keys))
    return found


def keys_behind(stack: Stack, res: Res, prop: str) -> list[Res]:
    """The stack's KMS keys ``res.<prop>`` names, directly or through an alias."""
    keys: list[Res] = []
    for linked in stack.linked(res, prop, *KMS_KEY_TYPES):
        if linked.type == ALIAS:
            keys += stack.linked(linked, "targetKeyId", KEY)
        else:
            keys.append(linked)
    return list({k.urn: k for k in keys}.values())


@dataclass(frozen=True)
class KeyPolicyDocument:
    """A key's effective policy and the resource that carries it."""

    #: The key itself (inline ``policy``) or the aws.kms.KeyPolicy that replaces it.
    holder: Res
    statements: tuple[iamdoc.Statement, ...]

    def depends_on(self, urn: str) -> bool:
        return urn in self.holder.deps_of("policy")


def key_policy(stack: Stack, key: Res) -> KeyPolicyDocument:
    """The policy KMS enforces for ``key``: a key has exactly one, so an aws.kms.KeyPolicy
    for it (declared after what its statements name, e.g. a CloudFront distribution)
    replaces the inline one (pulumi-aws: "KeyPolicy ... conflicts with policy on the key")."""
    holders = stack.referrers(key, "keyId", KEY_POLICY)
    holder = holders[0] if holders else key
    try:
        document = iamdoc.parse(holder.req("policy"), "policy")
    except iamdoc.DocumentError as error:
        raise DocumentError(f"{holder.label}: {error}") from None
    return KeyPolicyDocument(holder, tuple(iamdoc.statements(document)))


def action_matches(patterns: list[str], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


def allows(statement: iamdoc.Statement, action: str) -> bool:
    return statement.allows and action_matches(statement.actions, action)


def region_of(res: Res) -> str | None:
    """The region a resource lives in: its ``region`` input, else its provider's (None: the stack default)."""
    value = res.req("region")
    if isinstance(value, str) and value:
        return value
    return res.provider_region


def arn_region(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" and parts[3] else None


def describe_region(region: str | None) -> str:
    return region if region is not None else "the stack's default region (no region input)"
