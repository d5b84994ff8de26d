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

from components.audit_trail import AuditTrailSettings
from components.compliance import ComplianceSettings
from components.config_loader import camel
from components.graph_database import GraphDatabaseSettings
from components.keys import KeysArgs
from components.network import NetworkSettings
from components.observability import ObservabilitySettings
from offline.runner import REPO_ROOT

PROJECT = "social-backend"
#: Config section -> settings class, in the order the README lists them.
SECTIONS: Mapping[str, type[Any]] = {
    "keys": KeysArgs,
    "network": NetworkSettings,
    "graphDb": GraphDatabaseSettings,
    "auditTrail": AuditTrailSettings,
    "compliance": ComplianceSettings,
    "observability": ObservabilitySettings,
}
#: Fields filled by the program, not by config.
WIRED = {"context", "tags", "cloudtrail_trail_arn", "config_delivery"}

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
    "auditTrail.create": "Create the account's CloudTrail trail in this stack (an account-level singleton: one stack per account).",
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
    "compliance.createRecorder": "Create the AWS Config recorder, delivery channel and bucket (an account-level singleton: one stack per account).",
    "compliance.includeGlobalResourceTypes": "Record IAM and other global resource types (true in exactly one region per account).",
    "compliance.createServiceLinkedRole": "Create `AWSServiceRoleForConfig`; false where the account already has it.",
    "compliance.deliveryFrequency": "How often configuration snapshots are delivered (`One_Hour` ... `TwentyFour_Hours`).",
    "compliance.snapshotExpireDays": "Days snapshots and history stay in the delivery bucket (at least 91).",
    "compliance.createRules": "Create the AWS managed Config rules listed in the README (need a recorder in the region).",
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


def _rows(prefix: str, cls: type[Any]) -> Iterator[tuple[str, str, Any]]:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in WIRED or not f.init:
            continue
        default = f.default if f.default_factory is dataclasses.MISSING else f.default_factory()
        key = f"{prefix}.{camel(f.name)}"
        yield key, _type_name(hints[f.name]), default
        hint = hints[f.name]
        candidates = [hint, *typing.get_args(hint)]
        nested = [a for a in candidates if isinstance(a, type) and dataclasses.is_dataclass(a)]
        if nested:
            yield from _rows(key, nested[0])


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
