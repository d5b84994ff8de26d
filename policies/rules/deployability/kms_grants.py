"""CloudFront OAC origins on SSE-KMS buckets need a key-policy grant for the distribution.

AWS: Amazon CloudFront Developer Guide, "Restrict access to an Amazon S3 origin", section
"SSE-KMS" (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html):
with OAC, CloudFront's service principal ``cloudfront.amazonaws.com`` calls ``kms:Decrypt``
on the bucket's customer managed key for the distribution (``AWS:SourceArn`` is the
distribution ARN); without that key-policy statement every object CloudFront fetches is a
403. The AWS managed ``aws/s3`` key cannot be used, because its key policy cannot be changed.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from policies.core import DEPLOYABILITY, Res, Settings, Stack, StackFinding, guarded, is_unknown, stack_rule
from policies.rules._helpers import BUCKET_TYPES
from policies.rules.deployability._common import DocumentError, KeyPolicyDocument, allows, bucket_kms, key_policy

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
CLOUDFRONT = "cloudfront.amazonaws.com"


def oac_buckets(stack: Stack, dist: Res) -> list[Res]:
    """The stack's buckets behind the distribution's origins that sign with an OAC."""
    buckets = stack.deps(dist, "origins", *BUCKET_TYPES)
    found: dict[str, Res] = {}
    for origin in dist.items("origins"):
        if not isinstance(origin, dict) or origin.get("originAccessControlId") in (None, ""):
            continue
        domain = origin.get("domainName")
        if is_unknown(domain) or not isinstance(domain, str):
            # A new bucket's domain name is unknown at preview: every bucket feeding the
            # origins is a candidate (the join is by property dependency, not by value).
            found.update({b.urn: b for b in buckets})
            continue
        name = domain.split(".s3", 1)[0]
        for bucket in stack.of(*BUCKET_TYPES):
            if name and name in (bucket.get("bucket"), *bucket.identifiers):
                found[bucket.urn] = bucket
    return list(found.values())


def grants_distribution(statement_values: list[str], dist: Res, policy: KeyPolicyDocument) -> bool:
    """Does a statement's ``aws:SourceArn`` condition admit this distribution (absent: any)?"""
    if not statement_values:
        return True
    arns = [i for i in dist.identifiers if i.startswith("arn:")]
    for value in statement_values:
        if any(fnmatch.fnmatchcase(arn, value) for arn in arns):
            return True
        if not arns and ":distribution/" in value and (value.endswith("*") or policy.depends_on(dist.urn)):
            return True
    return False


@stack_rule(
    "cloudfront-oac-kms-key-grants-distribution",
    pack=DEPLOYABILITY,
    description="An SSE-KMS bucket behind a CloudFront OAC origin uses a customer managed key whose policy lets cloudfront.amazonaws.com kms:Decrypt for that distribution.",
    severity="high",
    remediation=(
        "Add a key-policy statement: Principal {Service: cloudfront.amazonaws.com}, Action kms:Decrypt, "
        "Resource *, Condition StringEquals AWS:SourceArn <distribution ARN> (or ArnLike "
        "arn:aws:cloudfront::<account>:distribution/* to avoid a dependency cycle); never use the aws/s3 key "
        "on an OAC origin. CloudFront Developer Guide, 'Restrict access to an Amazon S3 origin' (SSE-KMS)."
    ),
    category="deployability",
    rows=[],
    other=["none: gap"],
    doc_title="Amazon CloudFront Developer Guide: Restrict access to an Amazon S3 origin (SSE-KMS)",
    doc_url="https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html",
)
def oac_key_grant(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for dist in stack.of(DISTRIBUTION):

        def check(dist: Res = dist) -> Iterator[str]:
            for bucket in oac_buckets(stack, dist):
                for default in bucket_kms(stack, bucket):
                    if default.aws_managed:
                        yield (
                            f"{dist.label}: OAC origin bucket {bucket.name!r} uses the AWS managed aws/s3 key, "
                            "whose policy cannot admit CloudFront: every object request is a 403"
                        )
                        continue
                    if not default.keys:
                        yield (
                            f"{dist.label}: OAC origin bucket {bucket.name!r} uses key {default.key_id!r}, which is not "
                            "declared in this stack, so its grant for CloudFront cannot be verified"
                        )
                    for key in default.keys:
                        try:
                            policy = key_policy(stack, key)
                        except DocumentError as problem:
                            yield str(problem)
                            continue
                        if not any(
                            allows(s, "kms:Decrypt")
                            and CLOUDFRONT in s.principals_of("Service")
                            and grants_distribution(s.condition_values("aws:SourceArn"), dist, policy)
                            for s in policy.statements
                        ):
                            yield (
                                f"{dist.label}: OAC origin bucket {bucket.name!r} is SSE-KMS with key {key.name!r}, whose "
                                "policy has no statement letting cloudfront.amazonaws.com kms:Decrypt for this "
                                "distribution: every object request is a 403"
                            )

        yield from guarded(dist, check)
