"""Resources and helpers shared by the deployability rule tests (tests/policies/rules/deployability/).

Each violating case is the AWS behaviour the rule's documentation page describes (cited in
the rule module): a stack that passes would deploy and work; one that violates fails to
deploy or leaves the feature dead.
"""

from __future__ import annotations

import json
from typing import Any

from tests.policies.conftest import R, validate_stack

ACCOUNT = "123456789012"


BUCKET = "aws:s3/bucket:Bucket"


SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


KEY = "aws:kms/key:Key"


DIST = "aws:cloudfront/distribution:Distribution"


ROLE = "aws:iam/role:Role"


TOPIC = "aws:sns/topic:Topic"


KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/k-1"


UNKNOWN_POLICY = "preview-unknown-deployability-inputs"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ROOT = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}


def key(policy: Any, name: str = "key") -> R:
    return R(KEY, name, {"policy": policy, "arn": KEY_ARN})


def bucket(name: str) -> R:
    return R(BUCKET, name, {"bucket": f"{name}-{ACCOUNT}"})


def sse(bucket_name: str, algorithm: str = "aws:kms", key_name: str | None = "key") -> R:
    default: dict[str, Any] = {"sseAlgorithm": algorithm}
    deps: dict[str, list[str]] = {"bucket": [bucket_name]}
    if key_name is not None and algorithm.startswith("aws:kms"):
        default["kmsMasterKeyId"] = KEY_ARN
        deps["rules"] = [key_name]
    return R(
        SSE,
        f"{bucket_name}-encryption",
        {"bucket": f"{bucket_name}-{ACCOUNT}", "rules": [{"applyServerSideEncryptionByDefault": default}]},
        deps=deps,
    )


def messages(policy: str, resources: list[R]) -> list[str]:
    return [f.message for f in validate_stack(policy, resources)]


def undecided(policy: str, resources: list[R]) -> list[str]:
    """What the pack's preview-unknown policy reports for ``policy`` (and the rule stays silent)."""
    assert not any("cannot be verified" in m for m in messages(policy, resources)), "the rule reported its own unknown"
    return [m for m in messages(UNKNOWN_POLICY, resources) if m.startswith(f"{policy}: ")]
