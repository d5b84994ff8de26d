"""Pulumi-specific invariants: row 159 (row 160 is the framework's fail-closed reading of unknowns)."""

from __future__ import annotations

from collections.abc import Iterator

from policies.core import COMPLIANCE, Param, Res, Settings, resource_rule

STATEFUL = [
    "aws:neptune/cluster:Cluster",
    "aws:cognito/userPool:UserPool",
    "aws:kms/key:Key",
    "aws:dynamodb/table:Table",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:secretsmanager/secret:Secret",
]


@resource_rule(
    "stateful-resources-protected",
    pack=COMPLIANCE,
    types=STATEFUL,
    description="Stateful resources (graph cluster, user pool, keys, tables, buckets, secrets) are protected from deletion by Pulumi.",
    severity="medium",
    remediation="Pass opts=ResourceOptions(protect=True) (driven by stack config, so dev can stay disposable).",
    category="resilience",
    rows=[159, 75],
    fsbp=["KMS.3"],
    params=[Param("types", {"type": "array", "items": {"type": "string"}}, STATEFUL, "types that must be protected")],
)
def protected(r: Res, cfg: Settings) -> Iterator[str]:
    if r.type in cfg["types"] and not r.protect:
        yield f"{r.label}: not protected (opts.protect is false)"
