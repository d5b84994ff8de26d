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

from components.config_loader import camel
from components.content_delivery import ContentDeliverySettings
from components.graph_database import GraphDatabaseSettings
from components.keys import KeysArgs
from components.media_pipeline import ThumbnailSettings, UploadSettings
from components.network import NetworkSettings
from components.rest_api import RestApiSettings
from offline.runner import REPO_ROOT

PROJECT = "social-backend"
#: Config section -> settings class, in the order the README lists them.
SECTIONS: Mapping[str, type[Any]] = {
    "keys": KeysArgs,
    "network": NetworkSettings,
    "graphDb": GraphDatabaseSettings,
    "contentDelivery": ContentDeliverySettings,
    "uploads": UploadSettings,
    "thumbnails": ThumbnailSettings,
    "restApi": RestApiSettings,
}
#: Fields filled by the program, not by config.
WIRED = {"context", "tags"}

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
    "contentDelivery.domainName": "Custom CDN domain with a DNS-validated ACM certificate in us-east-1 (TLS 1.2+); null serves `*.cloudfront.net`, whose minimum TLS cannot be raised.",
    "contentDelivery.hostedZoneId": "Route 53 hosted zone of `domainName` (certificate validation and alias record); set together with it.",
    "contentDelivery.priceClass": "CloudFront price class: PriceClass_100, PriceClass_200 or PriceClass_All.",
    "contentDelivery.blockedCountries": "ISO 3166 alpha-2 codes CloudFront refuses (geo restriction); empty: none.",
    "contentDelivery.noncurrentVersionDays": "Days a replaced or deleted object version is kept in every bucket.",
    "contentDelivery.abortIncompleteUploadDays": "Days before S3 aborts an incomplete multipart upload.",
    "contentDelivery.logExpiryDays": "Days S3 access logs and CloudFront logs are kept in the logs bucket.",
    "contentDelivery.firewall": "Web ACLs (CloudFront, and the REST API's until the web firewall component is merged).",
    "contentDelivery.firewall.action": "`count` (rules only count) or `block` (rules enforce).",
    "contentDelivery.firewall.rateLimit": "Requests per client IP per 5 minutes before the rate rule acts.",
    "contentDelivery.firewall.logRetentionDays": "Retention of the `aws-waf-logs-` log groups.",
    "contentDelivery.protect": "Pulumi `protect` on the four buckets and the us-east-1 logs key.",
    "uploads.allowedContentTypes": "Image types the app may upload (subset of image/jpeg, image/png, image/webp).",
    "uploads.maxBytes": "Largest upload in bytes (request validation and the presigned POST's content-length-range).",
    "uploads.minBytes": "Smallest upload in bytes.",
    "uploads.urlExpirySeconds": "Lifetime of a presigned POST (30-3600 s).",
    "uploads.rawExpiryDays": "Days raw uploads stay under `uploads/` (renditions are made within seconds).",
    "uploads.rejectedExpiryDays": "Days rejected uploads stay under `rejected/` for inspection.",
    "uploads.logRetentionDays": "Retention of the upload_url log group.",
    "thumbnails.format": "Rendition format: `webp` (keeps alpha) or `jpeg`.",
    "thumbnails.quality": "Encoder quality of the renditions (1-100).",
    "thumbnails.maxPixels": "Decompression-bomb limit: images declaring more pixels are rejected before decoding.",
    "thumbnails.memoryMb": "Thumbnailer memory (also its CPU share).",
    "thumbnails.timeoutSeconds": "Thumbnailer timeout.",
    "thumbnails.reservedConcurrency": "Reserved concurrency of the thumbnailer (caps parallel decodes).",
    "thumbnails.logRetentionDays": "Retention of the thumbnailer log group.",
    "restApi.stageName": "Stage name (the URL's first path segment).",
    "restApi.allowedOrigins": "Exact `https://` origins admitted by CORS (never `*`); empty: no browser access.",
    "restApi.throttleRateLimit": "Stage-wide steady requests per second.",
    "restApi.throttleBurstLimit": "Stage-wide burst above the steady rate.",
    "restApi.accessLogRetentionDays": "Retention of the access and execution log groups.",
    "restApi.manageAccountLoggingRole": "Set API Gateway's account-wide CloudWatch Logs role (one stack per account and region).",
    "restApi.userPoolArn": "Placeholder until the identity component is merged: the user pool the authorizer trusts.",
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


def _rows(prefix: str, cls: type[Any]) -> Iterator[tuple[str, str, Any]]:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in WIRED or not f.init:
            continue
        default = f.default if f.default_factory is dataclasses.MISSING else f.default_factory()
        key = f"{prefix}.{camel(f.name)}"
        yield key, _type_name(hints[f.name]), default
        candidates = [hints[f.name], *typing.get_args(hints[f.name])]
        nested = [a for a in candidates if isinstance(a, type) and dataclasses.is_dataclass(a)]
        if nested:
            yield from _rows(key, nested[0])


def rows() -> list[tuple[str, str, Any]]:
    result: list[tuple[str, str, Any]] = [("aws:region", "string", dataclasses.MISSING), ("tags", "map of string", {})]
    for section, cls in SECTIONS.items():
        result.extend(_rows(section, cls))
    return result


def _stack_value(values: Mapping[str, Any], key: str) -> str:
    if key in values:
        return _value(values[key])
    parent = key.rsplit(".", 1)[0]
    if parent.count(".") and values.get(parent) is None:
        return "—"  # the enclosing object is unset
    return "default"


def table() -> str:
    dev, prod = _stack_values("dev"), _stack_values("prod")
    lines = [
        "| key | type | default | dev | prod | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for key, type_name, default in rows():
        shown_key = key if key.startswith("aws:") else f"{PROJECT}:{key}"
        dev_value, prod_value = (_stack_value(values, key) for values in (dev, prod))
        lines.append(
            f"| `{shown_key}` | {type_name} | {_value(default)} | {dev_value} | {prod_value} | {DESCRIPTIONS[key]} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
