"""CloudTrail (rows 49, 77-83) and AWS Config (rows 84-85)."""

from __future__ import annotations

from collections.abc import Iterator

from policies.core import COMPLIANCE, SECURITY, Res, Settings, Stack, StackFinding, guarded, resource_rule, stack_rule
from policies.rules._helpers import BUCKET_TYPES, require_set, require_true, s3

TRAIL = "aws:cloudtrail/trail:Trail"
RECORDER = "aws:cfg/recorder:Recorder"
RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
DELIVERY_CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
AGGREGATOR = "aws:cfg/configurationAggregator:ConfigurationAggregator"
FUNCTION = "aws:lambda/function:Function"


@resource_rule(
    "cloudtrail-multi-region-management-events",
    pack=COMPLIANCE,
    types=[TRAIL],
    description="Trails are multi-Region, include global service events and record read and write management events.",
    severity="high",
    remediation="Set is_multi_region_trail=True, include_global_service_events=True and leave management events at ReadWriteType All.",
    category="logging",
    rows=[77],
    fsbp=["CloudTrail.1"],
    checkov=["CKV_AWS_67"],
)
def multi_region(r: Res, _: Settings) -> Iterator[str]:
    if not r.flag("isMultiRegionTrail"):
        yield f"{r.label}: not a multi-Region trail"
    if r.req("includeGlobalServiceEvents") is False:
        yield f"{r.label}: global service events are excluded"
    for index, selector in enumerate(r.items("eventSelectors")):
        if not isinstance(selector, dict):
            continue
        if selector.get("includeManagementEvents") is False or selector.get("readWriteType", "All") != "All":
            yield f"{r.label}: event selector #{index + 1} does not record all read and write management events"


require_true(
    "cloudtrail-log-file-validation",
    path="enableLogFileValidation",
    what="log file integrity validation is off",
    pack=COMPLIANCE,
    types=[TRAIL],
    description="Trails validate log file integrity (digest files).",
    severity="medium",
    remediation="Set enable_log_file_validation=True.",
    category="logging",
    rows=[80],
    fsbp=["CloudTrail.4"],
    cdk_nag=["NIST5:CloudTrailLogFileValidationEnabled"],
    checkov=["CKV_AWS_36"],
)


@resource_rule(
    "cloudtrail-logging-enabled",
    pack=COMPLIANCE,
    types=[TRAIL],
    description="Trails are logging (enable_logging is not false).",
    severity="high",
    remediation="Remove enable_logging=False.",
    category="logging",
    rows=[78],
    fsbp=["CloudTrail.3"],
    checkov=["CKV_AWS_251"],
)
def logging_enabled(r: Res, _: Settings) -> Iterator[str]:
    if r.req("enableLogging") is False:
        yield f"{r.label}: logging is stopped"


require_set(
    "cloudtrail-kms",
    path="kmsKeyId",
    what="logs are not encrypted with a customer-managed key",
    pack=SECURITY,
    types=[TRAIL],
    description="Trails encrypt log files with SSE-KMS using a customer-managed key.",
    severity="medium",
    remediation="Pass kms_key_id=<stack CMK>.arn (the key policy must allow cloudtrail.amazonaws.com with aws:SourceArn).",
    category="encryption",
    rows=[79],
    fsbp=["CloudTrail.2"],
    cdk_nag=["NIST5:CloudTrailEncryptionEnabled"],
    checkov=["CKV_AWS_35"],
)


@resource_rule(
    "cloudtrail-cloudwatch-logs",
    pack=COMPLIANCE,
    types=[TRAIL],
    description="Trails deliver to CloudWatch Logs (log group and role set).",
    severity="medium",
    remediation="Set cloud_watch_logs_group_arn='<group arn>:*' and cloud_watch_logs_role_arn.",
    category="logging",
    rows=[81],
    fsbp=["CloudTrail.5"],
    cdk_nag=["NIST5:CloudTrailCloudWatchLogsEnabled"],
    checkov=["CKV2_AWS_10"],
)
def cloudwatch_logs(r: Res, _: Settings) -> Iterator[str]:
    for key in ("cloudWatchLogsGroupArn", "cloudWatchLogsRoleArn"):
        if r.get(key) in (None, ""):
            yield f"{r.label}: {key} is not set"


require_set(
    "cloudtrail-sns-notification",
    path="snsTopicName",
    what="no SNS notification on log delivery",
    pack=COMPLIANCE,
    types=[TRAIL],
    description="Trails notify an SNS topic when log files are delivered.",
    severity="low",
    remediation="Set sns_topic_name to an encrypted topic of this stack.",
    category="logging",
    rows=[83],
    checkov=["CKV_AWS_252"],
)


@stack_rule(
    "cloudtrail-bucket-secured",
    pack=SECURITY,
    description="A trail's S3 bucket is declared in this stack, blocks public access and has access logging.",
    severity="high",
    remediation="Deliver the trail to the audit-trail component's bucket (BPA on, access logging on).",
    category="network",
    rows=[82],
    fsbp=["CloudTrail.6", "CloudTrail.7"],
    other=["gap:7.11"],
)
def trail_bucket(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for trail in stack.of(TRAIL):

        def check(trail: Res = trail) -> Iterator[str]:
            buckets = stack.linked(trail, "s3BucketName", *BUCKET_TYPES)
            if not buckets:
                yield f"{trail.label}: its bucket is not declared in this stack, so its exposure cannot be verified"
            for bucket in buckets:
                blocks = stack.referrers(bucket, "bucket", *s3("BucketPublicAccessBlock"))
                if not any(
                    all(
                        b.flag(f)
                        for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
                    )
                    for b in blocks
                ):
                    yield f"{trail.label}: bucket {bucket.name!r} does not block all public access"
                if not stack.referrers(bucket, "bucket", *s3("BucketLogging")):
                    yield f"{trail.label}: bucket {bucket.name!r} has no access logging"

        yield from guarded(trail, check)


def _data_selectors(trail: Res) -> list[tuple[str, list[str], list[str]]]:
    """(resource type, ARN values or prefixes, dependency props) for each data-event selector."""
    found: list[tuple[str, list[str], list[str]]] = []
    for selector in trail.items("eventSelectors"):
        for data in (selector or {}).get("dataResources") or []:
            found.append((str(data.get("type")), [str(v) for v in data.get("values") or []], ["eventSelectors"]))
    for selector in trail.items("advancedEventSelectors"):
        fields = {str(f.get("field")): f for f in (selector or {}).get("fieldSelectors") or []}
        res_type = ((fields.get("resources.type") or {}).get("equals") or [""])[0]
        arns = [str(v) for key in ("equals", "startsWith") for v in (fields.get("resources.ARN") or {}).get(key) or []]
        if (fields.get("eventCategory") or {}).get("equals") == ["Data"]:
            found.append((str(res_type), arns, ["advancedEventSelectors"]))
    return found


@stack_rule(
    "cloudtrail-data-events-cover-app",
    pack=COMPLIANCE,
    description="A trail in the stack records S3 object-level (and Lambda invoke) data events for this stack's buckets and functions.",
    severity="medium",
    remediation="Add advanced event selectors (eventCategory Data, resources.type AWS::S3::Object / AWS::Lambda::Function) built from the buckets' and functions' ARNs.",
    category="logging",
    rows=[49],
    fsbp=["S3.22", "S3.23"],
    other=["gap:7.11"],
)
def data_events(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    trails = stack.of(TRAIL)
    if not trails:
        return
    for kind, targets in (("AWS::S3::Object", stack.of(*BUCKET_TYPES)), ("AWS::Lambda::Function", stack.of(FUNCTION))):
        for target in targets:

            def check(target: Res = target, kind: str = kind) -> Iterator[str]:
                for trail in trails:
                    for sel_type, arns, props in _data_selectors(trail):
                        if sel_type != kind:
                            continue
                        if not arns or any(
                            a.rstrip("/") in ("arn:aws:s3", "arn:aws:s3:::", "arn:aws:lambda") for a in arns
                        ):
                            return
                        if any(target.urn in trail.deps_of(p) for p in props):
                            return
                        if any(
                            ident and ident in a for a in arns for ident in (*target.identifiers, target.get("bucket"))
                        ):
                            return
                if not _is_trail_bucket(stack, target):
                    yield f"{target.label}: no trail records its {kind} data events"

            yield from guarded(target, check)


def _is_trail_bucket(stack: Stack, bucket: Res) -> bool:
    return any(stack.refers(t, "s3BucketName", bucket) for t in stack.of(TRAIL)) or any(
        stack.refers(log, "targetBucket", bucket) for log in stack.of(*s3("BucketLogging"))
    )


@stack_rule(
    "config-recorder-enabled",
    pack=COMPLIANCE,
    description="A declared AWS Config recorder records all supported resources including global ones, is enabled and has a delivery channel.",
    severity="high",
    remediation="Set recording_group all_supported=True and include_global_resource_types=True; add RecorderStatus(is_enabled=True) and a DeliveryChannel.",
    category="logging",
    rows=[84],
    fsbp=["Config.1"],
    checkov=["CKV2_AWS_45", "CKV2_AWS_48"],
)
def config_recorder(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for recorder in stack.of(RECORDER):

        def check(recorder: Res = recorder) -> Iterator[str]:
            if recorder.req("recordingGroup.allSupported") is not True:
                yield f"{recorder.label}: does not record all supported resource types"
            if recorder.req("recordingGroup.includeGlobalResourceTypes") is not True:
                yield f"{recorder.label}: does not record global resource types"
            statuses = stack.referrers(recorder, "name", RECORDER_STATUS)
            if not any(s.flag("isEnabled") for s in statuses):
                yield f"{recorder.label}: no enabled RecorderStatus"
            if not stack.of(DELIVERY_CHANNEL):
                yield f"{recorder.label}: no delivery channel"

        yield from guarded(recorder, check)


@resource_rule(
    "config-aggregator-all-regions",
    pack=COMPLIANCE,
    types=[AGGREGATOR],
    description="Config aggregators cover all Regions.",
    severity="low",
    remediation="Set all_regions=True on the account or organization aggregation source.",
    category="logging",
    rows=[85],
    checkov=["CKV_AWS_121"],
)
def aggregator(r: Res, _: Settings) -> Iterator[str]:
    if (
        r.req("accountAggregationSource.allRegions") is not True
        and r.req("organizationAggregationSource.allRegions") is not True
    ):
        yield f"{r.label}: does not aggregate all Regions"
