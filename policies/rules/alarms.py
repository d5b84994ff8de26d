"""CloudWatch alarms: rows 139-140 and alarm coverage (section 7.9)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policies import iamdoc
from policies.core import COMPLIANCE, Param, Res, Settings, Stack, StackFinding, guarded, resource_rule, stack_rule
from policies.rules._helpers import KMS_KEY_TYPES, document

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"

#: Resource type -> (metric namespace, config parameter naming the required metrics, dimension key).
COVERED: dict[str, tuple[str, str, str]] = {
    "aws:lambda/function:Function": ("AWS/Lambda", "lambdaMetrics", "FunctionName"),
    "aws:appsync/graphQLApi:GraphQLApi": ("AWS/AppSync", "appsyncMetrics", "GraphQLAPIId"),
    "aws:neptune/cluster:Cluster": ("AWS/Neptune", "neptuneMetrics", "DBClusterIdentifier"),
    "aws:wafv2/webAcl:WebAcl": ("AWS/WAFV2", "wafMetrics", "WebACL"),
}


@resource_rule(
    "alarm-has-action",
    pack=COMPLIANCE,
    types=[ALARM],
    description="Metric alarms have an ALARM action and actions enabled.",
    severity="medium",
    remediation="Set alarm_actions=[<encrypted alerts topic>.arn] and leave actions_enabled True.",
    category="logging",
    rows=[139],
    fsbp=["CloudWatch.15", "CloudWatch.17"],
    cdk_nag=["NIST5:CloudWatchAlarmAction"],
    checkov=["CKV_AWS_319"],
)
def has_action(r: Res, _: Settings) -> Iterator[str]:
    if not r.items("alarmActions"):
        yield f"{r.label}: no alarm action"
    if r.req("actionsEnabled") is False:
        yield f"{r.label}: actions are disabled"


def _alarm_metrics_for(stack: Stack, alarm: Res, target: Res, namespace: str, dimension: str) -> set[str]:
    """Metric names of ``alarm`` that watch ``target`` (by property dependency or dimension value)."""
    metrics: list[tuple[Any, Any, Any]] = [(alarm.get("namespace"), alarm.get("metricName"), alarm.get("dimensions"))]
    for query in alarm.items("metricQueries"):
        metric = (query or {}).get("metric") or {}
        metrics.append((metric.get("namespace"), metric.get("metricName"), metric.get("dimensions")))
    linked = target.urn in alarm.deps_of("dimensions") or target.urn in alarm.deps_of("metricQueries")
    found = set()
    for ns, name, dims in metrics:
        if ns != namespace or not name:
            continue
        value = (dims or {}).get(dimension) if isinstance(dims, dict) else None
        if linked or (
            isinstance(value, str)
            and value in (target.name, *target.identifiers, target.get("name"), target.get("clusterIdentifier"))
        ):
            found.add(str(name))
    return found


@stack_rule(
    "alarm-coverage",
    pack=COMPLIANCE,
    description="Critical resources have alarms on their key metrics (Lambda errors/throttles, AppSync 5xx, Neptune CPU/memory, WAF blocks).",
    severity="medium",
    remediation="Add aws.cloudwatch.MetricAlarm per resource and metric with the resource in its dimensions, routed to the alerts topic.",
    category="logging",
    rows=[139],
    other=["gap:7.9"],
    params=[
        Param(
            "lambdaMetrics", {"type": "array", "items": {"type": "string"}}, ["Errors", "Throttles"], "Lambda metrics"
        ),
        Param("appsyncMetrics", {"type": "array", "items": {"type": "string"}}, ["5XXError"], "AppSync metrics"),
        Param(
            "neptuneMetrics",
            {"type": "array", "items": {"type": "string"}},
            ["CPUUtilization", "FreeableMemory"],
            "Neptune metrics",
        ),
        Param("wafMetrics", {"type": "array", "items": {"type": "string"}}, ["BlockedRequests"], "WAF metrics"),
    ],
)
def coverage(stack: Stack, cfg: Settings) -> Iterator[StackFinding]:
    alarms = stack.of(ALARM)
    for res_type, (namespace, param, dimension) in COVERED.items():
        for target in stack.of(res_type):

            def check(
                target: Res = target, namespace: str = namespace, param: str = param, dimension: str = dimension
            ) -> Iterator[str]:
                watched: set[str] = set()
                for alarm in alarms:
                    watched |= _alarm_metrics_for(stack, alarm, target, namespace, dimension)
                missing = [m for m in cfg[param] if m not in watched]
                if missing:
                    yield f"{target.label}: no alarm on {namespace} {', '.join(missing)}"

            yield from guarded(target, check)


@stack_rule(
    "alarm-topic-encrypted",
    pack=COMPLIANCE,
    description="Alarms notify SNS topics of this stack that are KMS-encrypted with a key whose policy lets CloudWatch use it.",
    severity="medium",
    remediation="Route alarm_actions to the observability topic; its CMK policy needs a statement for cloudwatch.amazonaws.com (kms:Decrypt, kms:GenerateDataKey*).",
    category="logging",
    rows=[139, 131],
    other=["gap:7.9"],
)
def topic_encrypted(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for alarm in stack.of(ALARM):

        def check(alarm: Res = alarm) -> Iterator[str]:
            topics = stack.linked(alarm, "alarmActions", TOPIC)
            if alarm.items("alarmActions") and not topics:
                yield f"{alarm.label}: its actions are not topics of this stack"
            for topic in topics:
                if topic.get("kmsMasterKeyId") in (None, ""):
                    yield f"{alarm.label}: topic {topic.name!r} is not KMS-encrypted"
                    continue
                keys = stack.linked(topic, "kmsMasterKeyId", *KMS_KEY_TYPES)
                if not keys:
                    yield f"{alarm.label}: topic {topic.name!r} key is not declared in this stack"
                for key in keys:
                    if key.type.endswith(":Alias"):
                        continue
                    try:
                        doc = document(key, "policy")
                    except iamdoc.DocumentError:
                        doc = None
                    if not any(
                        "cloudwatch.amazonaws.com" in s.principals_of("Service")
                        for s in iamdoc.statements(doc)
                        if s.allows
                    ):
                        yield f"{alarm.label}: key {key.name!r} of topic {topic.name!r} does not allow cloudwatch.amazonaws.com"

        yield from guarded(alarm, check)


METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TRAIL = "aws:cloudtrail/trail:Trail"
#: CIS AWS Foundations 4.x / FSBP CloudWatch.1-14: one marker the filter pattern must mention per control.
CIS_MARKERS = [
    "Root",
    "UnauthorizedOperation",
    "MFAUsed",
    "PutRolePolicy",
    "StopLogging",
    "Failed authentication",
    "ScheduleKeyDeletion",
    "PutBucketPolicy",
    "StopConfigurationRecorder",
    "AuthorizeSecurityGroupIngress",
    "CreateNetworkAcl",
    "AttachInternetGateway",
    "CreateRoute",
    "CreateVpc",
]


@stack_rule(
    "cis-metric-filters",
    pack=COMPLIANCE,
    description=(
        "When the stack owns a trail delivering to CloudWatch Logs, that log group has the CIS metric filters "
        "(root use, unauthorized calls, IAM/CloudTrail/KMS/S3/Config/SG/NACL/gateway/route/VPC changes), each alarmed."
    ),
    severity="medium",
    remediation="Add aws.cloudwatch.LogMetricFilter per CIS control on the trail's log group and a MetricAlarm on each metric.",
    category="logging",
    rows=[140],
    fsbp=[f"CloudWatch.{n}" for n in range(1, 15)],
    params=[
        Param(
            "requiredMarkers",
            {"type": "array", "items": {"type": "string"}},
            CIS_MARKERS,
            "text each filter set must cover",
        )
    ],
)
def cis_filters(stack: Stack, cfg: Settings) -> Iterator[StackFinding]:
    alarms = stack.of(ALARM)
    for trail in stack.of(TRAIL):

        def check(trail: Res = trail) -> Iterator[str]:
            groups = stack.linked(trail, "cloudWatchLogsGroupArn", LOG_GROUP)
            if not groups:
                return  # cloudtrail-cloudwatch-logs judges the delivery itself
            filters = [f for g in groups for f in stack.referrers(g, "logGroupName", METRIC_FILTER)]
            alarmed = []
            for metric_filter in filters:
                metric = metric_filter.req("metricTransformation.name")
                if any(a.get("metricName") == metric or metric_filter.urn in a.deps_of("metricName") for a in alarms):
                    alarmed.append(str(metric_filter.req("pattern") or ""))
            text = " ".join(alarmed)
            missing = [m for m in cfg["requiredMarkers"] if m not in text]
            if missing:
                yield f"{trail.label}: no alarmed metric filter on its log group for {', '.join(missing)}"

        yield from guarded(trail, check)
