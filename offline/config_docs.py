"""The README's configuration table, generated from the settings classes and stack files.

    python -m offline.config_docs > /tmp/table.md

A test checks that the README holds exactly this table, so a new key, a changed default
or a changed stack value cannot go undocumented.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import yaml

from components.config_loader import KEYS_WIRED, SECTIONS, camel
from components.python_function import FunctionsSettings
from offline.runner import REPO_ROOT

PROJECT = "social-backend"
#: Fields filled by the program, not by config (the loader wires them into ``keys``).
WIRED = set(KEYS_WIRED)

DESCRIPTIONS: Mapping[str, str] = {
    "aws:region": "AWS region of the stack (the Pulumi AWS provider's own key).",
    "tags": "Extra tags on every taggable resource, merged over Project, Stack and ManagedBy.",
    "keys.deletionWindowDays": "Days KMS waits before deleting a key scheduled for deletion (7-30).",
    "keys.rotationPeriodDays": "Days between automatic key-material rotations (90-2560).",
    "keys.protect": "Pulumi `protect` on the KMS keys: `pulumi destroy` refuses to delete them.",
    "network.azCount": "Availability zones, one isolated private subnet each (2-6, at most what the region offers).",
    "network.cidrBlock": "VPC IPv4 range: private (RFC 1918), /16 to /24.",
    "network.subnetPrefixLength": "Prefix length of each private subnet carved from `cidrBlock`.",
    "network.flowLogRetentionDays": "Retention of the VPC flow-log group (a value CloudWatch Logs accepts).",
    "network.interfaceEndpointServices": "Interface endpoints for the in-VPC Lambdas (subset of sqs, kms, secretsmanager, xray, logs, monitoring).",
    "graphDb.engineVersion": "Pinned Neptune engine version (1.2.0.0 or later); the parameter-group family follows it.",
    "graphDb.instanceClass": "Instance class, or `db.serverless` together with `serverless`.",
    "graphDb.instanceCount": "Instances, each pinned to its own AZ (at most `network.azCount`); the first is the writer.",
    "graphDb.requireMultiAz": "Refuse fewer than 2 instances, so an AZ failure fails over.",
    "graphDb.serverless": "Serverless v2 capacity range `{minCapacity, maxCapacity}` in NCUs (1-128, steps of 0.5), or null.",
    "graphDb.serverless.minCapacity": "Lowest serverless capacity in NCUs.",
    "graphDb.serverless.maxCapacity": "Highest serverless capacity in NCUs.",
    "graphDb.backupRetentionDays": "Automated backup retention (1-35 days).",
    "graphDb.preferredBackupWindow": "Daily backup window, `hh:mm-hh:mm` UTC.",
    "graphDb.preferredMaintenanceWindow": "Weekly maintenance window, `ddd:hh:mm-ddd:hh:mm` UTC.",
    "graphDb.deletionProtection": "Neptune deletion protection.",
    "graphDb.finalSnapshot": "Take a final snapshot `<project>-<stack>-graph-final` when the cluster is deleted.",
    "graphDb.protect": "Pulumi `protect` on the cluster.",
    "graphDb.auditLogRetentionDays": "Retention of the exported audit log group.",
    "graphDb.streamsExpiryDays": "Days Neptune keeps stream records for the poller (1-90).",
    "graphDb.queryTimeoutMs": "Neptune query timeout in milliseconds.",
    "graphDb.applyImmediately": "Apply modifications now instead of in the maintenance window.",
    **{
        f"functions.{fn}.{key}": text
        for fn in (camel(function.name) for function in dataclasses.fields(FunctionsSettings))
        for key, text in {
            "memoryMb": "Memory in MB (128-10240); CPU scales with it.",
            "timeoutSeconds": "Timeout in seconds (1-900; a synchronous caller's own limit caps it).",
            "reservedConcurrency": "Reserved concurrency (1-1000), or null for unreserved.",
            "logRetentionDays": "Retention of the function's log group.",
            "logLevel": "Powertools log level: DEBUG, INFO, WARNING or ERROR.",
        }.items()
    },
    "functions.graphApi": "The AppSync resolver function (timeout at most 30 s, AppSync's limit).",
    "functions.authTriggers": "The Cognito trigger function (timeout at most 5 s, Cognito's limit).",
    "functions.uploadUrl": "The presigned-POST issuer behind the REST API (reserved concurrency caps presigning bursts).",
    "functions.thumbnailer": "The thumbnailer (at least 512 MB to decode large images, at least 5 s; reserved concurrency caps parallel decodes).",
    "functions.streamPoller": "The stream poller: reserved concurrency must be 1 (one reader at a time); timeout 20-840 s, it polls while records come and this time lasts.",
    "functions.notifier": "The notifier: timeout 5-150 s (the events queue's visibility timeout is 6x this); reserved concurrency caps fan-out against AppSync and SNS quotas.",
    "functions.devices": "The device registry resolver (an AppSync resolver: timeout at most 30 s).",
    "identity.mfaMode": "User pool MFA: `OFF`, `OPTIONAL` (users may enrol TOTP) or `ON` (TOTP required).",
    "identity.threatProtection": "Cognito threat protection: `OFF`, `AUDIT` or `ENFORCED` (not OFF selects the Plus plan).",
    "identity.passwordMinLength": "Minimum password length (8-99); upper, lower, digit and symbol are always required.",
    "identity.temporaryPasswordValidityDays": "Days an admin-issued temporary password stays valid (1-7).",
    "identity.deletionProtection": "Cognito deletion protection on the user pool.",
    "identity.protect": "Pulumi `protect` on the user pool.",
    "identity.accessTokenValidityMinutes": "Access token lifetime in minutes (5-1440).",
    "identity.idTokenValidityMinutes": "ID token lifetime in minutes (5-1440).",
    "identity.refreshTokenValidityDays": "Refresh token lifetime in days (1-3650).",
    "identity.allowedEmailDomains": "Sign-ups only from these email domains (empty: any domain not blocked).",
    "identity.blockedEmailDomains": "Sign-ups never from these email domains.",
    "graphqlApi.fieldLogLevel": "AppSync field-level logging: `ERROR`, `INFO`, `DEBUG` or `ALL` (never off).",
    "graphqlApi.excludeVerboseContent": "Keep headers, tokens and resolver payloads out of the request logs.",
    "graphqlApi.logRetentionDays": "Retention of the API's log group `/aws/appsync/apis/<apiId>`.",
    "graphqlApi.introspection": "Allow schema introspection (developer tooling); off in prod.",
    "graphqlApi.queryDepthLimit": "Deepest query nesting accepted (1-75).",
    "graphqlApi.resolverCountLimit": "Most resolver invocations per request (1-10000).",
    "webFirewall.action": "`COUNT` (record matches only, for tuning) or `BLOCK` for the rate limit and managed rule groups.",
    "webFirewall.rateLimit": "Requests per client IP per `rateWindowSeconds` before WAF limits it (10-2000000000).",
    "webFirewall.rateWindowSeconds": "Rate-limit evaluation window: 60, 120, 300 or 600 seconds.",
    "webFirewall.logRetentionDays": "Retention of the WAF log group `aws-waf-logs-<prefix>-<scope>`.",
    "observability.thresholds.streamLagMs": "Alarm when the stream poller's lag (ms) exceeds this.",
    "notifications.maxReceiveCount": "Receives of an event before it moves to the FIFO dead-letter queue (1-1000).",
    "notifications.messageRetentionDays": "Days the event queue keeps a message (1-14; the DLQ keeps 14).",
    "notifications.pollerSchedule": "EventBridge Scheduler expression that runs the stream poller (`rate(...)` or `cron(...)`).",
    "notifications.streamPageLimit": "Records per Neptune Streams read (1-100000; doubled for a larger transaction).",
    "notifications.notifierBatchSize": "Events per notifier invocation (1-10, FIFO limit).",
    "notifications.idempotencyTtlHours": "Hours a delivered event id is remembered to drop duplicates (1-720).",
    "notifications.deletionProtection": "DynamoDB deletion protection on the checkpoint, device and idempotency tables.",
    "notifications.protect": "Pulumi `protect` on those tables.",
    "notifications.apns": "Token-based APNs `{keyId, teamId, bundleId, sandbox}`, with the secret `apnsSigningKey`; null: no APNs application.",
    "notifications.apns.keyId": "APNs signing key id (10 characters).",
    "notifications.apns.teamId": "Apple developer team id (10 characters).",
    "notifications.apns.bundleId": "The app's bundle id.",
    "notifications.apns.sandbox": "Use the APNs sandbox (development builds).",
    "secrets.recoveryWindowDays": "Days a deleted secret stays recoverable (7-30).",
    "secrets.readerArns": "IAM role ARNs that alone may read the push credentials (operators rotating one); empty: no deny, reads need IAM and the data key within the account.",
    "auditTrail.create": "Create this stack's multi-region CloudTrail trail (opt-in: an account that already has one, e.g. Control Tower's, pays twice for a second).",
    "auditTrail.logRetentionDays": "Retention of the trail's CloudWatch log group, which the CIS metric filters read.",
    "auditTrail.lifecycle": "Ageing of trail log files `{infrequentAccessAfterDays, glacierAfterDays, expireAfterDays}`.",
    "auditTrail.lifecycle.infrequentAccessAfterDays": "Days until log files move to STANDARD_IA (at least 30).",
    "auditTrail.lifecycle.glacierAfterDays": "Days until log files move to Glacier (after the STANDARD_IA transition).",
    "auditTrail.lifecycle.expireAfterDays": "Days until log files are deleted (after the Glacier transition).",
    "auditTrail.objectLock": "S3 Object Lock default retention `{mode, days}` on the trail bucket, or null for none.",
    "auditTrail.objectLock.mode": "`GOVERNANCE` (privileged users may lift it) or `COMPLIANCE` (nobody can, not even root).",
    "auditTrail.objectLock.days": "Days each log file version is locked (at most `lifecycle.expireAfterDays`).",
    "auditTrail.accessLogExpireDays": "Days the audit buckets' S3 server access logs are kept (at least 32).",
    "auditTrail.protect": "Pulumi `protect` on the trail and access-log buckets.",
    "compliance.protect": "Pulumi `protect` on the Config delivery bucket.",
    "observability.deliveryLogRetentionDays": "Retention of the SNS delivery-status log groups of the alarm topic.",
    "compliance.createRecorder": "Create the AWS Config recorder, delivery channel and bucket (opt-in: one per account and region; `pulumi up` fails where Config, Security Hub or Control Tower left one).",
    "compliance.includeGlobalResourceTypes": "Record IAM and other global resource types (true in exactly one region per account).",
    "compliance.createServiceLinkedRole": "Create `AWSServiceRoleForConfig` (opt-in: one per account; fails where Config was ever enabled).",
    "compliance.deliveryFrequency": "How often configuration snapshots are delivered (`One_Hour` ... `TwentyFour_Hours`).",
    "compliance.snapshotExpireDays": "Days snapshots and history stay in the delivery bucket (at least 91).",
    "compliance.createRules": "Create the AWS managed Config rules listed in the README (they need a recorder in the region, this stack's or the account's).",
    "compliance.minimumLogRetentionDays": "`MinRetentionTime` of the log-group retention rule, mirroring the packs' setting.",
    "observability.emailEndpoints": "Email addresses subscribed to the alarm topic (each confirms the subscription once).",
    "observability.httpsEndpoints": "`https://` endpoints (an incident tool's webhook) subscribed to the alarm topic.",
    "observability.thresholds": "Alarm thresholds per signal; unset keys keep their defaults.",
    "observability.thresholds.neptuneCpuPercent": "Neptune CPU (cluster and, when provisioned, each instance) that raises an alarm.",
    "observability.thresholds.neptuneFreeableMemoryMib": "Neptune freeable memory, in MiB, at or below which an alarm is raised.",
    "observability.thresholds.neptuneServerlessCapacityPercent": "Share of `graphDb.serverless.maxCapacity` in use that raises an alarm.",
    "observability.thresholds.neptuneReplicaLagMs": "Replica lag (milliseconds) that raises an alarm, with 2 or more instances.",
    "observability.thresholds.lambdaErrors": "Lambda errors per period that raise an alarm.",
    "observability.thresholds.lambdaThrottles": "Lambda throttles per period that raise an alarm.",
    "observability.thresholds.graphqlServerErrors": "AppSync 5XX errors per period that raise an alarm.",
    "observability.thresholds.graphqlLatencyP99Ms": "AppSync p99 latency (ms) that raises an alarm.",
    "observability.thresholds.restServerErrors": "API Gateway 5XX errors per period that raise an alarm.",
    "observability.thresholds.restLatencyP99Ms": "API Gateway p99 latency (ms) that raises an alarm.",
    "observability.thresholds.queueOldestMessageSeconds": "Age of the oldest SQS message (seconds) that raises an alarm.",
    "observability.thresholds.deadLetterMessages": "Messages in a dead-letter queue that raise an alarm.",
    "observability.thresholds.wafBlockedRequests": "WAF blocked requests per period that raise an alarm (attack or false positives).",
    "observability.thresholds.periodSeconds": "Seconds per evaluated datapoint (a multiple of 60).",
    "observability.thresholds.evaluationPeriods": "Datapoints that must breach before an alarm fires.",
    "observability.cisAlarms": "CIS metric filters and alarms on the trail's log group (only in the stack that creates the trail).",
    "observability.dashboard": "Create the stack's CloudWatch dashboard `<project>-<stack>-overview`.",
    "contentDelivery.domainName": "Custom CDN domain with a DNS-validated ACM certificate in us-east-1 (TLS 1.2+); null serves `*.cloudfront.net`, whose minimum TLS cannot be raised.",
    "contentDelivery.hostedZoneId": "Route 53 hosted zone of `domainName` (certificate validation and alias record); set together with it.",
    "contentDelivery.priceClass": "CloudFront price class: PriceClass_100, PriceClass_200 or PriceClass_All.",
    "contentDelivery.blockedCountries": "ISO 3166 alpha-2 codes CloudFront refuses (geo restriction); empty: none.",
    "contentDelivery.noncurrentVersionDays": "Days a replaced or deleted object version is kept in every bucket.",
    "contentDelivery.abortIncompleteUploadDays": "Days before S3 aborts an incomplete multipart upload.",
    "contentDelivery.logExpiryDays": "Days S3 access logs and CloudFront logs are kept in the logs bucket.",
    "contentDelivery.firewall": "The CloudFront-scope web ACL (in us-east-1); the regional one is `webFirewall`.",
    "contentDelivery.firewall.action": "`COUNT` (rules only count matches) or `BLOCK` (rules enforce).",
    "contentDelivery.firewall.rateLimit": "Requests per client IP per `rateWindowSeconds` before the rate rule acts.",
    "contentDelivery.firewall.rateWindowSeconds": "Rate-limit evaluation window: 60, 120, 300 or 600 seconds.",
    "contentDelivery.firewall.logRetentionDays": "Retention of the `aws-waf-logs-` log groups.",
    "contentDelivery.protect": "Pulumi `protect` on the four buckets and the us-east-1 logs key.",
    "uploads.allowedContentTypes": "Image types the app may upload (subset of image/jpeg, image/png, image/webp).",
    "uploads.maxBytes": "Largest upload in bytes (request validation and the presigned POST's content-length-range).",
    "uploads.minBytes": "Smallest upload in bytes.",
    "uploads.urlExpirySeconds": "Lifetime of a presigned POST (30-3600 s).",
    "uploads.rawExpiryDays": "Days raw uploads stay under `uploads/` (renditions are made within seconds).",
    "uploads.rejectedExpiryDays": "Days rejected uploads stay under `rejected/` for inspection.",
    "thumbnails.format": "Rendition format: `webp` (keeps alpha) or `jpeg`.",
    "thumbnails.quality": "Encoder quality of the renditions (1-100).",
    "thumbnails.maxPixels": "Decompression-bomb limit: images declaring more pixels are rejected before decoding.",
    "restApi.stageName": "Stage name (the URL's first path segment).",
    "restApi.allowedOrigins": "Exact `https://` origins admitted by CORS (never `*`); empty: no browser access.",
    "restApi.throttleRateLimit": "Stage-wide steady requests per second.",
    "restApi.throttleBurstLimit": "Stage-wide burst above the steady rate.",
    "restApi.accessLogRetentionDays": "Retention of the access and execution log groups.",
    "restApi.manageAccountLoggingRole": "Set API Gateway's account-wide CloudWatch Logs role (opt-in: it replaces the account's existing one; a fresh account needs it once per region for stage logging).",
}


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_type_name(a) for a in typing.get_args(tp) if a is not type(None)) + " or null"
    if dataclasses.is_dataclass(tp):
        return "object"
    if origin in (Sequence, list, tuple):
        return f"list of {_type_name(typing.get_args(tp)[0])}"
    return {int: "integer", float: "number", bool: "boolean", str: "string"}.get(tp, str(tp))


def _value(value: Any) -> str:
    if value is dataclasses.MISSING:
        return "required"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {camel(k): v for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, tuple):
        value = list(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {camel(k): list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(value).items()}
    return f"`{json.dumps(value)}`"


def _stack_values(stack: str) -> dict[str, Any]:
    doc = yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    flat: dict[str, Any] = {}
    for key, value in doc.items():
        name = key.removeprefix(f"{PROJECT}:")
        flat[name] = value
        if isinstance(value, dict) and name in SECTIONS:
            for sub, sub_value in value.items():
                flat[f"{name}.{sub}"] = sub_value
                if isinstance(sub_value, dict):
                    for leaf, leaf_value in sub_value.items():
                        flat[f"{name}.{sub}.{leaf}"] = leaf_value
    return flat


def _rows(prefix: str, cls: type[Any], instance: Any = None) -> Iterator[tuple[str, str, Any]]:
    """Keys of ``cls``; defaults come from ``instance`` when the enclosing default is an object."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in WIRED or not f.init:
            continue
        if instance is not None:
            default = getattr(instance, f.name)
        else:
            default = f.default if f.default_factory is dataclasses.MISSING else f.default_factory()
        key = f"{prefix}.{camel(f.name)}"
        yield key, _type_name(hints[f.name]), default
        candidates = (hints[f.name], *typing.get_args(hints[f.name]))
        nested = [a for a in candidates if isinstance(a, type) and dataclasses.is_dataclass(a)]
        if nested:
            yield from _rows(key, nested[0], default if dataclasses.is_dataclass(default) else None)


def rows() -> list[tuple[str, str, Any]]:
    result: list[tuple[str, str, Any]] = [("aws:region", "string", dataclasses.MISSING), ("tags", "map of string", {})]
    for section, cls in SECTIONS.items():
        result.extend(_rows(section, cls))
    return result


def _stack_value(values: Mapping[str, Any], key: str, defaults: Mapping[str, Any]) -> str:
    if key in values:
        return _value(values[key])
    parent = key.rsplit(".", 1)[0]
    if parent.count(".") and values.get(parent) is None and (parent in values or defaults.get(parent) is None):
        return "—"  # the enclosing object is unset (null)
    return "default"


def table() -> str:
    dev, prod = _stack_values("dev"), _stack_values("prod")
    lines = [
        "| key | type | default | dev | prod | meaning |",
        "|---|---|---|---|---|---|",
    ]
    all_rows = rows()
    defaults = {key: default for key, _, default in all_rows}
    for key, type_name, default in all_rows:
        shown_key = key if key.startswith("aws:") else f"{PROJECT}:{key}"
        dev_value, prod_value = (_stack_value(values, key, defaults) for values in (dev, prod))
        lines.append(
            f"| `{shown_key}` | {type_name} | {_value(default)} | {dev_value} | {prod_value} | {DESCRIPTIONS[key]} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
