"""Rule tests for policies/rules/deployability/kms_grants.py: passing, violating, property-missing and unknown-at-preview stacks."""

from __future__ import annotations

from typing import Any

from tests.policies.conftest import UNKNOWN, R
from tests.policies.rules.deployability._stacks import (
    ACCOUNT,
    DIST,
    KEY_ARN,
    ROOT,
    bucket,
    doc,
    key,
    messages,
    sse,
    undecided,
)

KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"


DIST_ARN = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1"


CLOUDFRONT_DECRYPT = {
    "Effect": "Allow",
    "Principal": {"Service": "cloudfront.amazonaws.com"},
    "Action": "kms:Decrypt",
    "Resource": "*",
    "Condition": {"StringEquals": {"AWS:SourceArn": DIST_ARN}},
}


OAC = "cloudfront-oac-kms-key-grants-distribution"


def oac_stack(key_policy: Any, *, algorithm: str = "aws:kms", key_name: str | None = "key") -> list[R]:
    origin = {"originId": "static", "domainName": UNKNOWN, "originAccessControlId": UNKNOWN}
    return [
        key(key_policy),
        bucket("static"),
        sse("static", algorithm, key_name),
        R(DIST, "cdn", {"origins": [origin], "arn": UNKNOWN}, deps={"origins": ["static"]}),
    ]


class TestOacKeyGrant:
    def test_key_policy_granting_the_distribution_passes(self) -> None:
        # ArnLike on the account's distributions is what a key created before the distribution can say.
        wildcard = {
            **CLOUDFRONT_DECRYPT,
            "Condition": {"ArnLike": {"AWS:SourceArn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/*"}},
        }
        assert messages(OAC, oac_stack(doc(ROOT, wildcard))) == []

    def test_sse_s3_origin_needs_no_key_grant(self) -> None:
        assert messages(OAC, oac_stack(doc(ROOT), algorithm="AES256")) == []

    def test_key_without_cloudfront_statement_is_a_403(self) -> None:
        found = messages(OAC, oac_stack(doc(ROOT)))
        assert len(found) == 1 and "cloudfront.amazonaws.com kms:Decrypt" in found[0]

    def test_grant_for_another_distribution_is_caught(self) -> None:
        other = {**CLOUDFRONT_DECRYPT, "Condition": {"StringEquals": {"AWS:SourceArn": "arn:aws:s3:::not-a-dist"}}}
        assert messages(OAC, oac_stack(doc(ROOT, other)))

    def test_aws_managed_key_cannot_admit_cloudfront(self) -> None:
        # No kmsMasterKeyId: S3 uses aws/s3, whose key policy cannot be changed.
        found = messages(OAC, oac_stack(doc(ROOT), key_name=None))
        assert any("aws/s3" in m for m in found)

    def test_missing_key_policy_is_caught(self) -> None:
        assert messages(OAC, oac_stack(None))

    def test_unknown_key_policy_fails_closed(self) -> None:
        found = undecided(OAC, oac_stack(UNKNOWN))
        assert len(found) == 1 and "unknown during preview" in found[0]

    # A key has one policy: an aws.kms.KeyPolicy declared after the distribution (so it can
    # name the distribution's ARN) replaces the key's inline policy, and is what KMS enforces.
    def _with_key_policy(self, inline: Any, separate: str) -> list[R]:
        resources = oac_stack(inline)
        resources[-1] = R(DIST, "cdn", {**resources[-1].props, "arn": DIST_ARN}, deps=resources[-1].deps)
        return [
            *resources,
            R(KEY_POLICY, "key-policy", {"keyId": KEY_ARN, "policy": separate}, deps={"keyId": ["key"]}),
        ]

    def test_separate_key_policy_granting_the_distribution_passes(self) -> None:
        assert messages(OAC, self._with_key_policy(None, doc(ROOT, CLOUDFRONT_DECRYPT))) == []

    def test_separate_key_policy_replaces_the_inline_grant(self) -> None:
        found = messages(OAC, self._with_key_policy(doc(ROOT, CLOUDFRONT_DECRYPT), doc(ROOT)))
        assert len(found) == 1 and "cloudfront.amazonaws.com kms:Decrypt" in found[0]
