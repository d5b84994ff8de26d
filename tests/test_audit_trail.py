"""The CloudTrail trail of both stacks: settings, ordering, selectors, the audit key and
the locked buckets; and what the stack looks like when another stack owns the trail."""

from __future__ import annotations

import functools
import json
from typing import Any

from components.audit_trail import event_selectors
from offline.mocks import RecordedResource, comparable
from offline.runner import REPO_ROOT, ProgramRun, run_program
from policies.evaluate import evaluate
from policies.packconfig import load
from policies.render import text
from tests.conftest import _config, policy

TRAIL = "aws:cloudtrail/trail:Trail"
KEY = "aws:kms/key:Key"
BUCKET = "aws:s3/bucket:Bucket"
COMPONENT = "social-backend:audit_trail:AuditTrail"
ACCOUNT = "123456789012"


def _trail_arn(stack: str) -> str:
    return f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/social-backend-{stack}-trail"


def _of_bucket(run: ProgramRun, type_token: str, bucket: RecordedResource) -> RecordedResource:
    (match,) = [r for r in run.by_type(type_token) if r.inputs["bucket"] == bucket.id]
    return match


def test_trail_covers_every_region_and_validates_log_files(run: ProgramRun) -> None:
    trail = run.one(TRAIL, "audit-trail")
    inputs = trail.inputs
    assert inputs["name"] == f"social-backend-{run.stack}-trail"
    assert trail.state["arn"] == _trail_arn(run.stack), "key and bucket policies name the real trail ARN"
    assert inputs["isMultiRegionTrail"] is True
    assert inputs["includeGlobalServiceEvents"] is True
    assert inputs["enableLogFileValidation"] is True
    assert inputs["enableLogging"] is True
    assert inputs["kmsKeyId"] == run.one(KEY, "keys-audit").state["arn"]
    assert inputs["s3BucketName"] == run.one(BUCKET, "audit-bucket").id
    group = run.one("aws:cloudwatch/logGroup:LogGroup", "audit-log-group")
    assert inputs["cloudWatchLogsGroupArn"] == f"{group.state['arn']}:*"
    assert inputs["cloudWatchLogsRoleArn"] == run.one("aws:iam/role:Role", "audit-logs-role").state["arn"]
    assert run.outputs["trailArn"] == trail.state["arn"]


def test_bucket_policy_and_delivery_role_exist_before_the_trail(run: ProgramRun) -> None:
    trail = run.one(TRAIL, "audit-trail")
    for type_token, name in (
        ("aws:s3/bucketPolicy:BucketPolicy", "audit-bucket-policy"),
        ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "audit-bucket-public-access"),
        (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "audit-bucket-encryption",
        ),
        ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "audit-logs-attach"),
    ):
        assert run.one(type_token, name).urn in trail.dependencies, name


def test_what_cloudtrail_validates_at_create_trail_exists_first(run: ProgramRun) -> None:
    """CreateTrail fails unless the SNS topic's policy already lets CloudTrail publish
    ("Amazon SNS topic policy for CloudTrail") and the bucket policy already lets it write
    ("Amazon S3 bucket policy for CloudTrail"), and the CloudWatch Logs role can be assumed
    and write: each must be a recorded dependency of the trail, or Pulumi may create them
    in parallel and the first `pulumi up` fails."""
    trail = run.one(TRAIL, "audit-trail")
    topic = run.one("aws:sns/topic:Topic", "audit-delivery-topic")
    (topic_policy,) = [
        p for p in run.by_type("aws:sns/topicPolicy:TopicPolicy") if p.inputs["arn"] == topic.state["arn"]
    ]
    bucket_policy = _of_bucket(run, "aws:s3/bucketPolicy:BucketPolicy", run.one(BUCKET, "audit-bucket"))
    role = run.one("aws:iam/role:Role", "audit-logs-role")
    (role_grant,) = [
        a
        for a in run.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == role.state["name"]
    ]
    for needed in (topic_policy, bucket_policy, role, role_grant):
        assert needed.urn in trail.dependencies, f"{needed.name} must exist before CreateTrail"


def test_management_events_and_the_config_history_bucket(run: ProgramRun) -> None:
    trail = run.one(TRAIL, "audit-trail")
    management, data, invocations = trail.inputs["advancedEventSelectors"]
    assert management == {
        "name": "All management events, read and write",
        "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}],
    }
    fields = {f["field"]: f for f in data["fieldSelectors"]}
    assert fields["resources.type"]["equals"] == ["AWS::S3::Object"]
    # The app's uploads and media buckets, and the Config delivery bucket where this stack has one.
    app_buckets = [run.one(BUCKET, name).state["arn"] + "/" for name in ("content-uploads", "content-media")]
    config_buckets = [f"{b.state['arn']}/" for b in run.by_type(BUCKET) if b.name == "compliance-bucket"]
    assert fields["resources.ARN"]["startsWiths"] == [*app_buckets, *config_buckets]
    assert fields["resources.ARN"]["notStartsWiths"] == [f"{run.one(BUCKET, 'audit-bucket').state['arn']}/"]
    assert "eventSelectors" not in trail.inputs, "advanced and basic selectors exclude each other"
    invoked = {f["field"]: f for f in invocations["fieldSelectors"]}
    assert invoked["resources.type"]["equals"] == ["AWS::Lambda::Function"]
    functions = {f.state["arn"] for f in run.by_type("aws:lambda/function:Function")}
    assert set(invoked["resources.ARN"]["equals"]) == functions, "every function's invocations are recorded"


def test_data_event_selector_names_the_app_buckets_and_excludes_the_trail_bucket() -> None:
    uploads, media, trail = "arn:aws:s3:::uploads", "arn:aws:s3:::media", "arn:aws:s3:::trail"
    # Plain strings in, plain dicts out (the TypedDicts admit Outputs, which these are not).
    selectors: Any = event_selectors([uploads, media], trail)
    management, data = selectors
    assert management["field_selectors"] == [{"field": "eventCategory", "equals": ["Management"]}]
    fields = {f["field"]: f for f in data["field_selectors"]}
    assert fields["eventCategory"]["equals"] == ["Data"]
    assert fields["resources.type"]["equals"] == ["AWS::S3::Object"]
    assert "readOnly" not in fields, "reads and writes"
    assert fields["resources.ARN"]["starts_withs"] == ["arn:aws:s3:::uploads/", "arn:aws:s3:::media/"]
    assert fields["resources.ARN"]["not_starts_withs"] == ["arn:aws:s3:::trail/"]
    assert event_selectors([], trail) == [management]


def test_audit_key_admits_cloudtrail_only_for_this_trail(run: ProgramRun) -> None:
    key = run.one(KEY, "keys-audit")
    assert key.inputs["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in policy(key.inputs)["Statement"]}
    encrypt = statements["AllowCloudTrailToEncryptThisTrail"]
    assert encrypt["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert encrypt["Action"] == "kms:GenerateDataKey*"
    assert encrypt["Condition"]["StringEquals"] == {"aws:SourceArn": _trail_arn(run.stack)}
    assert encrypt["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/social-backend-{run.stack}-trail"
    }
    describe = statements["AllowCloudTrailToDescribeKey"]
    assert describe["Condition"] == {"StringEquals": {"aws:SourceArn": _trail_arn(run.stack)}}
    alarms = statements["AllowCloudWatchAlarmsThroughSns"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Condition"] == {"StringEquals": {"kms:ViaService": "sns.eu-west-1.amazonaws.com"}}
    for statement in statements.values():
        assert statement["Principal"] != "*"


def test_trail_bucket_is_private_versioned_encrypted_and_logged(run: ProgramRun, config: dict[str, Any]) -> None:
    bucket = run.one(BUCKET, "audit-bucket")
    access_logs = run.one(BUCKET, "audit-access-logs")
    assert bucket.inputs["bucket"] == f"social-backend-{run.stack}-trail-{ACCOUNT}"
    block = _of_bucket(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket).inputs
    assert all(
        block[flag] is True
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    ownership = _of_bucket(run, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", bucket).inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    versioning = _of_bucket(run, "aws:s3/bucketVersioning:BucketVersioning", bucket).inputs
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    (rule,) = _of_bucket(
        run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", bucket
    ).inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": run.one(KEY, "keys-audit").state["arn"],
    }
    assert rule["bucketKeyEnabled"] is True
    logging = _of_bucket(run, "aws:s3/bucketLogging:BucketLogging", bucket).inputs
    assert logging["targetBucket"] == access_logs.id
    (lifecycle,) = _of_bucket(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", bucket).inputs[
        "rules"
    ]
    wanted = config["auditTrail"]["lifecycle"]
    assert [t["storageClass"] for t in lifecycle["transitions"]] == ["STANDARD_IA", "GLACIER"]
    assert [t["days"] for t in lifecycle["transitions"]] == [
        wanted["infrequentAccessAfterDays"],
        wanted["glacierAfterDays"],
    ]
    assert lifecycle["expiration"]["days"] == wanted["expireAfterDays"]
    assert lifecycle["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7


def test_bucket_policy_is_tls_only_and_admits_cloudtrail_for_this_trail(run: ProgramRun) -> None:
    bucket = run.one(BUCKET, "audit-bucket")
    statements = {
        s["Sid"]: s for s in policy(_of_bucket(run, "aws:s3/bucketPolicy:BucketPolicy", bucket).inputs)["Statement"]
    }
    deny = statements["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [bucket.state["arn"], f"{bucket.state['arn']}/*"]
    for sid in ("AllowCloudTrailAclCheck", "AllowCloudTrailWrite"):
        statement = statements[sid]
        assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
        assert statement["Condition"]["StringEquals"]["aws:SourceArn"] == _trail_arn(run.stack)
    assert statements["AllowCloudTrailWrite"]["Resource"] == f"{bucket.state['arn']}/AWSLogs/{ACCOUNT}/*"
    allows = [s for s in statements.values() if s["Effect"] == "Allow"]
    assert all(s["Principal"] != "*" for s in allows)


def test_object_lock_where_config_asks(run: ProgramRun, config: dict[str, Any]) -> None:
    bucket = run.one(BUCKET, "audit-bucket")
    lock = config["auditTrail"].get("objectLock")
    assert bucket.inputs["objectLockEnabled"] is (lock is not None)
    configs = run.by_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    if lock is None:
        assert configs == []
        return
    (configured,) = configs
    assert configured.inputs["rule"]["defaultRetention"] == lock
    versioning = _of_bucket(run, "aws:s3/bucketVersioning:BucketVersioning", bucket)
    assert versioning.urn in configured.dependencies, "Object Lock needs versioning first"


def test_access_log_bucket_is_locked_down_too(run: ProgramRun) -> None:
    access_logs = run.one(BUCKET, "audit-access-logs")
    block = _of_bucket(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", access_logs).inputs
    assert all(
        block[flag] is True
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    (rule,) = _of_bucket(
        run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", access_logs
    ).inputs["rules"]
    # S3 server access logging writes only into SSE-S3 buckets (S3 user guide, "Enabling Amazon
    # S3 server access logging"), so the audit key no longer admits logging.s3.amazonaws.com.
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    key_statements = {s["Sid"]: s for s in policy(run.one(KEY, "keys-audit").inputs)["Statement"]}
    assert not [s for s in key_statements.values() if s["Principal"].get("Service") == "logging.s3.amazonaws.com"]
    statements = {
        s["Sid"]: s
        for s in policy(_of_bucket(run, "aws:s3/bucketPolicy:BucketPolicy", access_logs).inputs)["Statement"]
    }
    assert "DenyInsecureTransport" in statements
    delivery = statements["AllowServerAccessLogsFromThisStack"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert delivery["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:s3:::social-backend-{run.stack}-*"}


def test_delivery_role_writes_only_the_trail_log_group(run: ProgramRun, config: dict[str, Any]) -> None:
    group = run.one("aws:cloudwatch/logGroup:LogGroup", "audit-log-group")
    assert group.inputs["retentionInDays"] == config["auditTrail"]["logRetentionDays"]
    assert group.inputs["kmsKeyId"] == run.one(KEY, "keys-logs").state["arn"]
    trust = json.loads(run.one("aws:iam/role:Role", "audit-logs-role").inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": _trail_arn(run.stack)}
    (statement,) = json.loads(run.one("aws:iam/policy:Policy", "audit-logs-policy").inputs["policy"])["Statement"]
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == f"{group.state['arn']}:log-stream:*"


# -- the singleton switch --------------------------------------------------------------


@functools.cache
def _without_trail(stack: str) -> ProgramRun:
    section = {**_config(stack)["auditTrail"], "create": False}
    return run_program(REPO_ROOT, stack, config_overrides={"social-backend:auditTrail": json.dumps(section)})


def test_switch_off_creates_no_trail_and_changes_nothing_else(run: ProgramRun) -> None:
    off = _without_trail(run.stack)
    assert not off.by_type(TRAIL)
    assert not [r for r in off.resources if COMPONENT in r.urn]
    assert "trailArn" not in off.outputs
    sids = {s["Sid"] for s in policy(off.one(KEY, "keys-audit").inputs)["Statement"]}
    assert not [sid for sid in sids if "CloudTrail" in sid], "no grant to a trail that does not exist"

    on_rest = {r.urn: r for r in run.resources if COMPONENT not in r.urn}
    # Config's delivery bucket then logs into an access-log bucket of its own.
    off_rest = {r.urn: r for r in off.resources if not r.name.startswith("compliance-access-logs")}
    # Alarms and filters that read the trail's log group go with it; everything else stays.
    trail_readers = {urn for urn, r in on_rest.items() if "cis" in r.name}
    assert set(off_rest) == set(on_rest) - trail_readers
    # The audit key loses its CloudTrail grants and the dashboard the CIS alarms; nothing else changes.
    for urn, resource in off_rest.items():
        if resource.name in ("keys-audit", "observability-dashboard", "compliance-bucket-access-logging"):
            continue
        assert comparable(resource.inputs) == comparable(on_rest[urn].inputs), resource.name


def test_switch_off_leaves_a_stack_every_pack_passes(run: ProgramRun) -> None:
    """A stack whose account trail another stack owns, recording Config itself, is still
    deployable: Config's delivery bucket then logs into an access-log bucket of its own,
    which S3 server access logging writes only when it is SSE-S3 (the deployability pack's
    log-target rule)."""
    config = _config(run.stack)
    overrides = {
        "social-backend:auditTrail": json.dumps({**config["auditTrail"], "create": False}),
        "social-backend:compliance": json.dumps({**config["compliance"], "createRecorder": True}),
    }
    off = run_program(REPO_ROOT, run.stack, config_overrides=overrides)
    assert any(r.name == "compliance-access-logs" for r in off.resources), "the case this test is about"
    report = evaluate(off.resources, stack=run.stack, config=load(run.stack), warnings=off.warnings)
    assert report.mandatory == [], text(report)
