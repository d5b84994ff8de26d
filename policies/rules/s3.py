"""S3 (pulumi-aws v7 split resources and their deprecated V2 tokens): rows 33-49."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from policies import iamdoc
from policies.core import COMPLIANCE, SECURITY, Res, Settings, Stack, StackFinding, guarded, resource_rule, stack_rule
from policies.rules._helpers import BUCKET_TYPES, document, public_statements, s3

PAB = s3("BucketPublicAccessBlock")
ACL = s3("BucketAcl")
POLICY = s3("BucketPolicy")
LOGGING = s3("BucketLogging")
OWNERSHIP = s3("BucketOwnershipControls")
LIFECYCLE = s3("BucketLifecycleConfiguration")
SSE = s3("BucketServerSideEncryptionConfiguration")
VERSIONING = s3("BucketVersioning")
OBJECT_LOCK = s3("BucketObjectLockConfiguration")
NOTIFICATION = ("aws:s3/bucketNotification:BucketNotification",)
REPLICATION = ("aws:s3/bucketReplicationConfig:BucketReplicationConfig",)
ACCOUNT_PAB = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")
PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


def _per_bucket(
    stack: Stack, kinds: tuple[str, ...], judge: Callable[[Res, list[Res]], Iterator[str]]
) -> Iterator[StackFinding]:
    """For every bucket, the split resources of ``kinds`` that point at it, judged together."""
    for bucket in stack.of(*BUCKET_TYPES):

        def check(bucket: Res = bucket) -> Iterator[str]:
            yield from judge(bucket, stack.referrers(bucket, "bucket", *kinds))

        yield from guarded(bucket, check)


def _flags_on(r: Res) -> list[str]:
    return [flag for flag in PAB_FLAGS if not r.flag(flag)]


@stack_rule(
    "s3-bucket-public-access-block",
    pack=SECURITY,
    description="Every bucket has a public access block with all four flags on.",
    severity="critical",
    remediation="Add aws.s3.BucketPublicAccessBlock(bucket=b.id, block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True).",
    category="network",
    rows=[33],
    fsbp=["S3.8"],
    cdk_nag=["S2"],
    checkov=["CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6"],
)
def public_access_block(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    def judge(bucket: Res, blocks: list[Res]) -> Iterator[str]:
        if not blocks:
            yield f"{bucket.label}: no public access block"
        for block in blocks:
            off = _flags_on(block)
            if off:
                yield f"{bucket.label}: public access block {block.name!r} leaves {', '.join(off)} off"

    yield from _per_bucket(stack, PAB, judge)


@resource_rule(
    "s3-account-public-access-block",
    pack=SECURITY,
    types=[ACCOUNT_PAB],
    description="A declared account-level S3 public access block has all four flags on.",
    severity="high",
    remediation="Set all four flags to True on aws.s3.AccountPublicAccessBlock.",
    category="network",
    rows=[34],
    fsbp=["S3.1"],
)
def account_pab(r: Res, _: Settings) -> Iterator[str]:
    off = _flags_on(r)
    if off:
        yield f"{r.label}: {', '.join(off)} off"


@resource_rule(
    "s3-bucket-no-public-acl",
    pack=SECURITY,
    types=list(ACL),
    description="Bucket ACLs grant nothing to AllUsers or AuthenticatedUsers (no public read or write).",
    severity="critical",
    remediation="Remove the ACL; use BucketOwnerEnforced ownership and a bucket policy for access.",
    category="network",
    rows=[35, 36],
    fsbp=["S3.2", "S3.3"],
    cdk_nag=["NIST5:S3BucketPublicReadProhibited", "NIST5:S3BucketPublicWriteProhibited"],
    checkov=["CKV_AWS_20", "CKV_AWS_57", "CKV2_AWS_43", "CKV_AWS_375"],
    other=["pulumi-cp:s3-bucket-disallow-public-read"],
)
def public_acl(r: Res, _: Settings) -> Iterator[str]:
    acl = r.req("acl")
    if acl in PUBLIC_ACLS:
        yield f"{r.label}: canned ACL {acl!r} makes the bucket public"
    for grant in r.items("accessControlPolicy.grants"):
        grantee = grant.get("grantee", {}) if isinstance(grant, dict) else {}
        uri = str(grantee.get("uri") or "")
        if uri in PUBLIC_GRANTEES:
            yield f"{r.label}: grants {grant.get('permission')} to {uri.rsplit('/', 1)[-1]}"


@resource_rule(
    "s3-bucket-policy-not-public",
    pack=SECURITY,
    types=list(POLICY),
    description="Bucket policies allow nothing to the wildcard principal without a limiting condition.",
    severity="critical",
    remediation="Name the principal (e.g. cloudfront.amazonaws.com with AWS:SourceArn) instead of '*'.",
    category="least-privilege",
    rows=[35, 36, 38],
    fsbp=["S3.2", "S3.3", "S3.6"],
    cdk_nag=["S5"],
    checkov=["CKV_AWS_70"],
)
def policy_not_public(r: Res, _: Settings) -> Iterator[str]:
    if r.get("policy") in (None, ""):
        yield f"{r.label}: empty bucket policy"
        return
    yield from public_statements(r, "policy")


@stack_rule(
    "s3-bucket-tls-only",
    pack=SECURITY,
    description="Every bucket's policy denies requests without TLS (aws:SecureTransport false).",
    severity="high",
    remediation="Add a Deny statement for Principal '*' on the bucket and its objects with Condition Bool aws:SecureTransport false.",
    category="encryption",
    rows=[37],
    fsbp=["S3.5"],
    cdk_nag=["S10"],
    checkov=["CKV_AWS_379"],
)
def tls_only(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    def judge(bucket: Res, policies: list[Res]) -> Iterator[str]:
        for policy in policies:
            try:
                if iamdoc.denies_insecure_transport(document(policy, "policy")):
                    return
            except iamdoc.DocumentError as error:
                yield f"{policy.label}: {error}"
                return
        yield f"{bucket.label}: no bucket policy denies non-TLS requests"

    yield from _per_bucket(stack, POLICY, judge)


@stack_rule(
    "s3-bucket-access-logging",
    pack=COMPLIANCE,
    description="Every bucket has server access logging (buckets that receive access logs are themselves exempt).",
    severity="medium",
    remediation="Add aws.s3.BucketLogging(bucket=b.id, target_bucket=<log bucket>.id, target_prefix=...).",
    category="logging",
    rows=[39],
    fsbp=["S3.9"],
    cdk_nag=["S1"],
    checkov=["CKV_AWS_18"],
    other=["awsguard:s3-bucket-logging-enabled"],
)
def access_logging(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    targets = access_log_targets(stack)

    def judge(bucket: Res, logs: list[Res]) -> Iterator[str]:
        if not logs and bucket.urn not in targets:
            yield f"{bucket.label}: no server access logging"

    yield from _per_bucket(stack, LOGGING, judge)


@stack_rule(
    "s3-bucket-owner-enforced",
    pack=SECURITY,
    description="Every bucket disables ACLs (object ownership BucketOwnerEnforced).",
    severity="medium",
    remediation="Add aws.s3.BucketOwnershipControls(bucket=b.id, rule={'object_ownership': 'BucketOwnerEnforced'}).",
    category="least-privilege",
    rows=[40],
    fsbp=["S3.12"],
    checkov=["CKV2_AWS_65"],
)
def owner_enforced(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    def judge(bucket: Res, controls: list[Res]) -> Iterator[str]:
        if not any(c.req("rule.objectOwnership") == "BucketOwnerEnforced" for c in controls):
            yield f"{bucket.label}: ACLs are not disabled (no BucketOwnerEnforced ownership controls)"

    yield from _per_bucket(stack, OWNERSHIP, judge)


@stack_rule(
    "s3-bucket-lifecycle",
    pack=COMPLIANCE,
    description="Every bucket has an enabled lifecycle rule, including aborting incomplete multipart uploads.",
    severity="low",
    remediation="Add aws.s3.BucketLifecycleConfiguration with abort_incomplete_multipart_upload and expiry/transition rules.",
    category="hygiene",
    rows=[41],
    fsbp=["S3.13"],
    checkov=["CKV2_AWS_61", "CKV_AWS_300"],
)
def lifecycle(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    def judge(bucket: Res, configs: list[Res]) -> Iterator[str]:
        rules = [
            rule
            for c in configs
            for rule in c.items("rules")
            if isinstance(rule, dict) and rule.get("status") == "Enabled"
        ]
        if not rules:
            yield f"{bucket.label}: no enabled lifecycle rule"
        elif not any(rule.get("abortIncompleteMultipartUpload") for rule in rules):
            yield f"{bucket.label}: no rule aborts incomplete multipart uploads"

    yield from _per_bucket(stack, LIFECYCLE, judge)


#: S3 server access logging writes only into buckets whose default encryption is SSE-S3:
#: "Enabling Amazon S3 server access logging", Amazon S3 User Guide,
#: https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
#: (the destination bucket may use default encryption only with SSE-S3; SSE-KMS is not supported).
SSE_S3 = "AES256"


def access_log_targets(stack: Stack) -> set[str]:
    """URNs of the buckets some ``BucketLogging`` of the stack delivers server access logs into."""
    return {t.urn for log in stack.of(*LOGGING) for t in stack.linked(log, "targetBucket", *BUCKET_TYPES)}


@stack_rule(
    "s3-bucket-sse-kms",
    pack=SECURITY,
    description=(
        "Every bucket declares default encryption with SSE-KMS, a customer-managed key and S3 Bucket Keys; "
        "a server access log target uses SSE-S3, the only default encryption S3 log delivery supports."
    ),
    severity="high",
    remediation=(
        "Add aws.s3.BucketServerSideEncryptionConfiguration with sse_algorithm='aws:kms', kms_master_key_id=<CMK>.arn, "
        "bucket_key_enabled=True; for a bucket that receives S3 server access logs, sse_algorithm='AES256'."
    ),
    category="encryption",
    rows=[42, 43],
    fsbp=["S3.17"],
    cdk_nag=["NIST5:S3DefaultEncryptionKMS"],
    checkov=["CKV_AWS_19", "CKV_AWS_145"],
    other=[
        "pulumi-cp:s3-bucket-enable-server-side-encryption",
        "pulumi-cp:s3-bucket-configure-server-side-encryption-customer-managed-key",
    ],
)
def sse_kms(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    log_targets = access_log_targets(stack)

    def judge(bucket: Res, configs: list[Res]) -> Iterator[str]:
        if not configs:
            yield f"{bucket.label}: no default encryption configuration"
        for config in configs:
            for index, _rule in enumerate(config.items("rules")):
                default = f"rules.{index}.applyServerSideEncryptionByDefault"
                algorithm = config.req(f"{default}.sseAlgorithm")
                if algorithm == SSE_S3 and bucket.urn in log_targets:
                    continue  # S3 server access logging refuses any other default encryption
                if algorithm not in ("aws:kms", "aws:kms:dsse"):
                    yield f"{bucket.label}: rule #{index + 1} uses {algorithm!r}, not SSE-KMS" + (
                        " (SSE-S3 is accepted only on a server access log target)" if algorithm == SSE_S3 else ""
                    )
                    continue
                if config.get(f"{default}.kmsMasterKeyId") in (None, ""):  # unknown at preview: a computed key ARN
                    yield f"{bucket.label}: rule #{index + 1} uses the AWS-managed aws/s3 key"
                if not config.flag(f"rules.{index}.bucketKeyEnabled"):
                    yield f"{bucket.label}: rule #{index + 1} does not enable S3 Bucket Keys"

    yield from _per_bucket(stack, SSE, judge)


@stack_rule(
    "s3-bucket-versioning",
    pack=COMPLIANCE,
    description="Every bucket has versioning enabled.",
    severity="medium",
    remediation="Add aws.s3.BucketVersioning(bucket=b.id, versioning_configuration={'status': 'Enabled'}).",
    category="resilience",
    rows=[44],
    fsbp=["S3.14"],
    cdk_nag=["NIST5:S3BucketVersioningEnabled"],
    checkov=["CKV_AWS_21"],
)
def versioning(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    def judge(bucket: Res, configs: list[Res]) -> Iterator[str]:
        if not any(c.req("versioningConfiguration.status") == "Enabled" for c in configs):
            yield f"{bucket.label}: versioning is not enabled"

    yield from _per_bucket(stack, VERSIONING, judge)


@stack_rule(
    "s3-bucket-mfa-delete",
    pack=COMPLIANCE,
    description="Versioned buckets require MFA delete.",
    severity="low",
    remediation="MFA delete can only be enabled by the root user with an MFA device; do it out of band and record it.",
    category="resilience",
    rows=[48],
    fsbp=["S3.20"],
)
def mfa_delete(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    def judge(bucket: Res, configs: list[Res]) -> Iterator[str]:
        if not any(c.req("versioningConfiguration.mfaDelete") == "Enabled" for c in configs):
            yield f"{bucket.label}: MFA delete is not enabled"

    yield from _per_bucket(stack, VERSIONING, judge)


@stack_rule(
    "s3-bucket-replication",
    pack=COMPLIANCE,
    description="Buckets replicate to another Region.",
    severity="low",
    remediation="Add aws.s3.BucketReplicationConfig with an enabled rule to a bucket in another Region.",
    category="resilience",
    rows=[45],
    fsbp=["S3.7"],
    cdk_nag=["NIST5:S3BucketReplicationEnabled"],
    checkov=["CKV_AWS_144"],
)
def replication(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    def judge(bucket: Res, configs: list[Res]) -> Iterator[str]:
        if not any(
            isinstance(rule, dict) and rule.get("status") == "Enabled" for c in configs for rule in c.items("rules")
        ):
            yield f"{bucket.label}: no cross-Region replication"

    yield from _per_bucket(stack, REPLICATION, judge)


@stack_rule(
    "s3-bucket-object-lock",
    pack=COMPLIANCE,
    description="Buckets have Object Lock enabled.",
    severity="low",
    remediation="Create the bucket with object_lock_enabled=True and add a BucketObjectLockConfiguration.",
    category="resilience",
    rows=[46],
    fsbp=["S3.15"],
    cdk_nag=["NIST4:S3BucketDefaultLockEnabled"],
    checkov=["CKV_AWS_143"],
)
def object_lock(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    def judge(bucket: Res, configs: list[Res]) -> Iterator[str]:
        if not bucket.flag("objectLockEnabled") and not configs:
            yield f"{bucket.label}: Object Lock is not enabled"

    yield from _per_bucket(stack, OBJECT_LOCK, judge)


@stack_rule(
    "s3-bucket-event-notifications",
    pack=COMPLIANCE,
    description="Buckets publish event notifications.",
    severity="low",
    remediation="Add aws.s3.BucketNotification (EventBridge or a function/queue/topic).",
    category="logging",
    rows=[47],
    fsbp=["S3.11"],
    checkov=["CKV2_AWS_62"],
)
def notifications(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    def judge(bucket: Res, configs: list[Res]) -> Iterator[str]:
        if not configs:
            yield f"{bucket.label}: no event notifications"

    yield from _per_bucket(stack, NOTIFICATION, judge)
