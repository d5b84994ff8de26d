"""Rule table for policies/rules/s3.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import pytest

from tests.policies.conftest import Case, check_case
from tests.policies.rules._values import PUBLIC, SCOPED, policy_doc

CASES: list[Case] = [
    Case(
        "s3-account-public-access-block",
        "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
        {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": True},
        bad=({"blockPublicPolicy": False},),
        missing=("restrictPublicBuckets",),
        unknown=("ignorePublicAcls",),
    ),
    Case(
        "s3-bucket-no-public-acl",
        "aws:s3/bucketAcl:BucketAcl",
        {"acl": "private"},
        bad=(
            {"acl": "public-read"},
            {
                "accessControlPolicy": {
                    "grants": [
                        {
                            "permission": "READ",
                            "grantee": {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"},
                        }
                    ]
                }
            },
        ),
        optional=("acl",),
        unknown=("acl",),
    ),
    Case(
        "s3-bucket-no-public-acl",
        "aws:s3/bucketAclV2:BucketAclV2",
        {"acl": "private"},
        bad=({"acl": "public-read-write"},),
    ),
    Case(
        "s3-bucket-policy-not-public",
        "aws:s3/bucketPolicy:BucketPolicy",
        {"bucket": "b", "policy": SCOPED},
        bad=(
            {"policy": PUBLIC},
            {
                "policy": policy_doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::b/*",
                    }
                )
            },
        ),
        missing=("policy",),
        unknown=("policy",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    check_case(case)
