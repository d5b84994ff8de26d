"""Alarms that can never fire: metrics from another region, actions in another region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from policies.core import (
    DEPLOYABILITY,
    Res,
    Settings,
    Stack,
    StackFinding,
    UnknownInput,
    guarded,
    is_unknown,
    stack_rule,
)
from policies.rules.deployability._common import US_EAST_1, arn_region, describe_region, region_of

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ACL = "aws:wafv2/webAcl:WebAcl"
TOPIC = "aws:sns/topic:Topic"
ACTION_PROPS: Final = ("alarmActions", "okActions", "insufficientDataActions")

#: Namespaces whose metrics CloudWatch stores in us-east-1 only.
#: - AWS/CloudFront: Amazon CloudFront Developer Guide, "Monitor CloudFront metrics with Amazon
#:   CloudWatch" (CloudFront is global; its metrics are in US East (N. Virginia)).
#: - AWS/Billing: Amazon CloudWatch User Guide, "Create a billing alarm to monitor your estimated
#:   AWS charges" (billing metric data is stored in US East (N. Virginia)).
US_EAST_1_ONLY: Final = {
    "AWS/CloudFront": "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/monitoring-using-cloudwatch.html",
    "AWS/Billing": "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/monitor_estimated_charges_with_cloudwatch.html",
}
#: AWS WAF Developer Guide, "Monitoring with Amazon CloudWatch": WAF metrics are in the web
#: ACL's region, and for CLOUDFRONT-scope web ACLs in US East (N. Virginia).
WAF_DOC: Final = "https://docs.aws.amazon.com/waf/latest/developerguide/monitoring-cloudwatch.html"


def _namespaces(alarm: Res) -> list[str]:
    found = [alarm.req("namespace")]
    for query in alarm.items("metricQueries"):
        metric = (query or {}).get("metric") or {}
        if is_unknown(metric.get("namespace")):
            raise UnknownInput("metricQueries.metric.namespace", metric.get("namespace"))
        found.append(metric.get("namespace"))
    return [str(v) for v in found if isinstance(v, str) and v]


def _waf_acls(stack: Stack, alarm: Res) -> list[Res]:
    """The web ACLs an AWS/WAFV2 alarm watches: by property dependency, else by WebACL dimension."""
    acls = stack.deps(alarm, "dimensions", ACL) + stack.deps(alarm, "metricQueries", ACL)
    if acls:
        return acls
    name = alarm.req("dimensions.WebACL")
    return [a for a in stack.of(ACL) if name and name in (a.get("name"), a.get("visibilityConfig.metricName"))]


def _metric_region(stack: Stack, alarm: Res) -> tuple[str | None, str, str] | None:
    """(region, why, doc) the alarm's metric lives in, when it is pinned to a region."""
    for namespace in _namespaces(alarm):
        if namespace in US_EAST_1_ONLY:
            return US_EAST_1, f"{namespace} metrics exist only in {US_EAST_1}", US_EAST_1_ONLY[namespace]
        if namespace == "AWS/WAFV2":
            for acl in _waf_acls(stack, alarm):
                if acl.req("scope") == "CLOUDFRONT":
                    return (
                        US_EAST_1,
                        f"CLOUDFRONT-scope web ACL {acl.name!r} publishes its metrics in {US_EAST_1}",
                        WAF_DOC,
                    )
                return region_of(acl), f"web ACL {acl.name!r} publishes its metrics in its own region", WAF_DOC
    return None


@stack_rule(
    "alarm-metric-in-alarm-region",
    pack=DEPLOYABILITY,
    description="An alarm lives in the region where its metric exists (CloudFront, billing and CLOUDFRONT-scope WAF metrics only in us-east-1).",
    severity="high",
    remediation=(
        "Create the alarm with region='us-east-1' (pulumi-aws v7 per-resource region, or a us-east-1 provider) for "
        "AWS/CloudFront, AWS/Billing and CLOUDFRONT-scope AWS/WAFV2 metrics, and in the web ACL's region for "
        "REGIONAL WAF metrics; with its SNS topic in the same region."
    ),
    category="deployability",
    rows=[],
    other=["none: gap"],
    doc_title="AWS WAF Developer Guide: Monitoring with Amazon CloudWatch",
    doc_url=WAF_DOC,
)
def alarm_metric_region(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for alarm in stack.of(ALARM):

        def check(alarm: Res = alarm) -> Iterator[str]:
            pinned = _metric_region(stack, alarm)
            if pinned is None:
                return
            wanted, why, doc = pinned
            actual = region_of(alarm)
            if actual != wanted:
                yield (
                    f"{alarm.label}: is created in {describe_region(actual)}, but {why} ({doc}): "
                    f"the alarm never sees a data point and never fires (set region={wanted!r})"
                    if wanted is not None
                    else f"{alarm.label}: is created in {describe_region(actual)}, but {why} ({doc})"
                )

        yield from guarded(alarm, check)


@stack_rule(
    "alarm-actions-in-alarm-region",
    pack=DEPLOYABILITY,
    description="An alarm's SNS actions are topics in the alarm's own region.",
    severity="medium",
    remediation="Create the alarm's SNS topic (and its key) in the alarm's region and pass that topic's ARN as the action.",
    category="deployability",
    rows=[],
    other=["none: gap"],
    # PutMetricAlarm: an SNS action is "arn:aws:sns:region:account-id:sns-topic-name" of the
    # alarm's Region; CloudWatch does not notify a topic in another region.
    doc_title="Amazon CloudWatch API Reference: PutMetricAlarm (AlarmActions)",
    doc_url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
)
def alarm_action_region(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for alarm in stack.of(ALARM):

        def check(alarm: Res = alarm) -> Iterator[str]:
            here = region_of(alarm)
            for prop in ACTION_PROPS:
                topics = stack.deps(alarm, prop, TOPIC)
                for topic in topics:
                    there = region_of(topic)
                    if there != here:
                        yield (
                            f"{alarm.label}: {prop} topic {topic.name!r} is in {describe_region(there)}, the alarm in "
                            f"{describe_region(here)}: CloudWatch never delivers the notification"
                        )
                if topics:
                    continue
                for action in alarm.items(prop):
                    if not isinstance(action, str) or not action.startswith("arn:aws:sns:"):
                        continue
                    there = arn_region(action)
                    if here is not None and there is not None and there != here:
                        yield f"{alarm.label}: {prop} topic {action!r} is in {there}, the alarm in {here}"

        yield from guarded(alarm, check)
