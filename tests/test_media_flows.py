"""The media flows as a real account would judge them: who may use which key for which bucket.

The mock runtime accepts any inputs, so these tests evaluate the recorded policies with
principalmapper's local policy simulation (an existing IAM evaluation engine) for the
request each AWS service sends:

- CloudFront reading an SSE-KMS origin through OAC calls kms:Decrypt as
  ``cloudfront.amazonaws.com`` with ``AWS:SourceArn`` = the distribution's ARN
  ("Restricting access to an Amazon S3 origin", CloudFront developer guide,
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html).
- S3 server access logging writes only into SSE-S3 buckets ("Enabling Amazon S3 server
  access logging", S3 user guide,
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
- A browser POSTs the presigned form straight to the uploads bucket: S3 answers its CORS
  check only from the bucket's CORS configuration.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.mocks import RecordedResource
from offline.runner import REPO_ROOT, ProgramRun, run_program
from tests.conftest import _config, policy
from tests.iam_simulation import ResourcePolicyEvalResult, allows, resource_policy_authorization

BUCKET = "aws:s3/bucket:Bucket"
KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
CORS = "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
ACCOUNT = "123456789012"
REGION = "eu-west-1"
OTHER_DISTRIBUTION = f"arn:aws:cloudfront::{ACCOUNT}:distribution/EOTHERDISTRIBUTION"


def _for_bucket(run: ProgramRun, type_token: str, bucket: RecordedResource) -> list[RecordedResource]:
    return [r for r in run.by_type(type_token) if bucket.urn in r.property_dependencies.get("bucket", [])]


def _encryption(run: ProgramRun, bucket: RecordedResource) -> dict[str, Any]:
    (config,) = _for_bucket(run, SSE, bucket)
    (rule,) = config.inputs["rules"]
    return dict(rule["applyServerSideEncryptionByDefault"])


def _bucket_key(run: ProgramRun, bucket: RecordedResource) -> RecordedResource:
    """The KMS key the bucket's default encryption names."""
    key_arn = _encryption(run, bucket)["kmsMasterKeyId"]
    (key,) = [k for k in run.by_type(KEY) if k.state["arn"] == key_arn]
    return key


def _effective_key_policy(run: ProgramRun, key: RecordedResource) -> dict[str, Any]:
    """The key policy AWS ends up with: an aws.kms.KeyPolicy for the key replaces the inline one."""
    attached = [p for p in run.by_type(KEY_POLICY) if p.inputs["keyId"] == key.id]
    assert len(attached) <= 1
    if attached:
        assert "policy" not in key.inputs, "inline policy and KeyPolicy would overwrite each other"
        return policy(attached[0].inputs)
    return policy(key.inputs)


def _role_documents(run: ProgramRun, policy_name: str) -> list[dict[str, Any]]:
    return [policy(run.one("aws:iam/policy:Policy", policy_name).inputs)]


@pytest.mark.parametrize("role", ["static", "media"])
def test_cloudfront_may_decrypt_origin_objects_for_this_distribution_only(run: ProgramRun, role: str) -> None:
    """Without the key grant every object CloudFront fetches through OAC is a 403."""
    bucket = run.one(BUCKET, f"content-{role}")
    distribution = run.one(DISTRIBUTION, "content-distribution")
    encryption = _encryption(run, bucket)
    assert encryption["sseAlgorithm"] == "aws:kms"
    key = _bucket_key(run, bucket)
    document = _effective_key_policy(run, key)

    def cloudfront(source_arn: str) -> ResourcePolicyEvalResult:
        return resource_policy_authorization(
            "cloudfront.amazonaws.com",
            ACCOUNT,
            document,
            "kms:Decrypt",
            key.state["arn"],
            {"AWS:SourceArn": source_arn},
        )

    assert cloudfront(distribution.state["arn"]) == ResourcePolicyEvalResult.SERVICE_MATCH
    # Near misses: another distribution (confused deputy), and no source at all.
    assert cloudfront(OTHER_DISTRIBUTION) != ResourcePolicyEvalResult.SERVICE_MATCH
    assert (
        resource_policy_authorization(
            "cloudfront.amazonaws.com", ACCOUNT, document, "kms:Decrypt", key.state["arn"], {}
        )
        != ResourcePolicyEvalResult.SERVICE_MATCH
    )
    # CloudFront only reads: it may not create data keys (write) with this key.
    assert (
        resource_policy_authorization(
            "cloudfront.amazonaws.com",
            ACCOUNT,
            document,
            "kms:GenerateDataKey",
            key.state["arn"],
            {"AWS:SourceArn": distribution.state["arn"]},
        )
        != ResourcePolicyEvalResult.SERVICE_MATCH
    )


def test_cdn_key_policy_is_pinned_to_the_distribution_and_keeps_key_hygiene(
    run: ProgramRun, config: dict[str, Any]
) -> None:
    distribution = run.one(DISTRIBUTION, "content-distribution")
    keys = {_bucket_key(run, run.one(BUCKET, f"content-{role}")).urn for role in ("static", "media")}
    assert len(keys) == 1, "both origins share the CDN content key"
    key = run.by_urn()[keys.pop()]
    assert key.inputs["enableKeyRotation"] is True
    # Deleting the key makes every asset and rendition unreadable: protected like its buckets.
    assert key.protect is config["contentDelivery"]["protect"]
    # The data key (Neptune, DynamoDB, SQS, secrets) is never readable by CloudFront.
    assert key.name != "keys-data"
    for statement in _effective_key_policy(run, key)["Statement"]:
        principal = statement["Principal"]
        assert principal != "*" and principal.get("AWS") != "*"
        if principal.get("Service") == "cloudfront.amazonaws.com":
            assert statement["Condition"] == {"StringEquals": {"AWS:SourceArn": distribution.state["arn"]}}
    (key_policy,) = [p for p in run.by_type(KEY_POLICY) if p.inputs["keyId"] == key.id]
    assert distribution.urn in key_policy.property_dependencies["policy"], "created after the distribution"
    assert key_policy.inputs.get("bypassPolicyLockoutSafetyCheck") in (None, False)


def test_thumbnailer_may_encrypt_renditions_with_the_media_key(run: ProgramRun) -> None:
    media = run.one(BUCKET, "content-media")
    key = _bucket_key(run, media).state["arn"]
    documents = _role_documents(run, "media-thumbnailer-policy")
    context = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    assert allows(documents, "s3:PutObject", f"{media.state['arn']}/media/sub/id/300.webp", context)
    assert allows(documents, "kms:GenerateDataKey", key, context)
    # It never needs to read renditions back, so it may not decrypt with the CDN key.
    assert not allows(documents, "kms:Decrypt", key, context)


def _access_log_targets(run: ProgramRun) -> list[RecordedResource]:
    by_urn = run.by_urn()
    targets = {urn for log in run.by_type(LOGGING) for urn in log.property_dependencies["targetBucket"]}
    return [by_urn[urn] for urn in sorted(targets) if by_urn[urn].type == BUCKET]


def test_every_server_access_log_target_uses_sse_s3(run: ProgramRun) -> None:
    targets = _access_log_targets(run)
    names = {t.name for t in targets}
    assert {"content-logs", "audit-access-logs"} <= names, names
    for target in targets:
        assert _encryption(run, target) == {"sseAlgorithm": "AES256"}, target.name


def test_access_log_targets_admit_log_delivery_only_from_this_account(run: ProgramRun) -> None:
    """logging.s3.amazonaws.com writes with aws:SourceArn = the source bucket and aws:SourceAccount."""
    by_urn = run.by_urn()
    for target in _access_log_targets(run):
        sources = [
            by_urn[log.property_dependencies["bucket"][0]]
            for log in run.by_type(LOGGING)
            if target.urn in log.property_dependencies["targetBucket"]
        ]
        (bucket_policy,) = _for_bucket(run, "aws:s3/bucketPolicy:BucketPolicy", target)
        document = policy(bucket_policy.inputs)
        for source in sources:
            (log,) = [
                g
                for g in run.by_type(LOGGING)
                if source.urn in g.property_dependencies["bucket"]
                and target.urn in g.property_dependencies["targetBucket"]
            ]
            obj = f"{target.state['arn']}/{log.inputs['targetPrefix']}2026-01-01-00-00-00-ABCDEF"

            def delivery(
                context: dict[str, str], obj: str = obj, document: dict[str, Any] = document
            ) -> ResourcePolicyEvalResult:
                return resource_policy_authorization(
                    "logging.s3.amazonaws.com", ACCOUNT, document, "s3:PutObject", obj, context
                )

            good = {"aws:SourceArn": source.state["arn"], "aws:SourceAccount": ACCOUNT, "aws:SecureTransport": "true"}
            assert delivery(good) == ResourcePolicyEvalResult.SERVICE_MATCH, (target.name, source.name)
            assert delivery({**good, "aws:SourceAccount": "999999999999"}) != ResourcePolicyEvalResult.SERVICE_MATCH
            foreign = {**good, "aws:SourceArn": "arn:aws:s3:::somebody-elses-bucket"}
            assert delivery(foreign) != ResourcePolicyEvalResult.SERVICE_MATCH


def test_uploads_bucket_admits_browser_posts_from_the_allowed_origins(run: ProgramRun, config: dict[str, Any]) -> None:
    uploads = run.one(BUCKET, "content-uploads")
    origins = config["restApi"]["allowedOrigins"]
    assert origins, "both stacks configure a browser origin"
    (cors,) = _for_bucket(run, CORS, uploads)
    (rule,) = cors.inputs["corsRules"]
    assert sorted(rule["allowedOrigins"]) == sorted(origins)
    # The presigned form is a POST; nothing else crosses origins to this bucket.
    assert rule["allowedMethods"] == ["POST"]
    assert "*" not in json.dumps(rule)


def test_no_cors_configuration_without_browser_origins() -> None:
    section = {**_config("dev")["restApi"], "allowedOrigins": []}
    run = run_program(REPO_ROOT, "dev", config_overrides={"social-backend:restApi": json.dumps(section)})
    assert run.by_type(CORS) == []


def test_a_log_target_bucket_cannot_be_declared_with_a_kms_key() -> None:
    """The construct refuses the combination S3 server access logging cannot write into."""
    from components.secure_bucket import BucketSpec
    from components.validation import ArgsError

    with pytest.raises(ArgsError, match=r"^kms_key_arn: logs-1 receives S3 server access logs.*SSE-S3"):
        BucketSpec(
            role="logs",
            bucket_name="logs-1",
            kms_key_arn="arn:aws:kms:eu-west-1:1:key/k",
            lifecycle_rules=[],
            receives_server_access_logs=True,
        )
    with pytest.raises(ArgsError, match=r"^kms_key_arn: data-1: SSE-KMS needs a customer-managed key"):
        BucketSpec(role="data", bucket_name="data-1", lifecycle_rules=[])
    target = BucketSpec(role="logs", bucket_name="logs-1", lifecycle_rules=[], receives_server_access_logs=True)
    assert target.kms_key_arn is None
