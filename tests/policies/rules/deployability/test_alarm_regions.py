"""Rule tests for policies/rules/deployability/alarm_regions.py: passing, violating, property-missing and unknown-at-preview stacks."""

from __future__ import annotations

from typing import Any

from tests.policies.conftest import UNKNOWN, R
from tests.policies.rules.deployability._stacks import ACCOUNT, TOPIC, messages, undecided

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


ACL = "aws:wafv2/webAcl:WebAcl"


METRIC_REGION = "alarm-metric-in-alarm-region"


ACTION_REGION = "alarm-actions-in-alarm-region"


def waf_alarm(scope: str, alarm_region: str | None, acl_region: str | None = "us-east-1") -> list[R]:
    acl_props: dict[str, Any] = {"scope": scope, "name": "edge"}
    if acl_region is not None:
        acl_props["region"] = acl_region
    alarm_props: dict[str, Any] = {"namespace": "AWS/WAFV2", "dimensions": {"WebACL": UNKNOWN, "Rule": "ALL"}}
    if alarm_region is not None:
        alarm_props["region"] = alarm_region
    return [R(ACL, "edge", acl_props), R(ALARM, "blocked", alarm_props, deps={"dimensions": ["edge"]})]


class TestAlarmMetricRegion:
    def test_cloudfront_waf_alarm_in_us_east_1_passes(self) -> None:
        assert messages(METRIC_REGION, waf_alarm("CLOUDFRONT", "us-east-1")) == []

    def test_cloudfront_waf_alarm_in_stack_region_never_fires(self) -> None:
        found = messages(METRIC_REGION, waf_alarm("CLOUDFRONT", None))
        assert len(found) == 1 and "us-east-1" in found[0]

    def test_regional_acl_alarm_beside_its_acl_passes(self) -> None:
        assert messages(METRIC_REGION, waf_alarm("REGIONAL", None, acl_region=None)) == []
        assert messages(METRIC_REGION, waf_alarm("REGIONAL", "eu-west-1", acl_region="us-east-1"))

    def test_billing_and_cloudfront_namespaces(self) -> None:
        for namespace in ("AWS/Billing", "AWS/CloudFront"):
            assert messages(METRIC_REGION, [R(ALARM, "a", {"namespace": namespace})])
            assert messages(METRIC_REGION, [R(ALARM, "a", {"namespace": namespace, "region": "us-east-1"})]) == []

    def test_regional_metrics_are_not_judged(self) -> None:
        # Missing property: no region input means the stack's region, right for AWS/Lambda metrics.
        assert messages(METRIC_REGION, [R(ALARM, "a", {"namespace": "AWS/Lambda"})]) == []

    def test_unknown_scope_fails_closed(self) -> None:
        resources = waf_alarm("CLOUDFRONT", "us-east-1")
        resources[0].props["scope"] = UNKNOWN
        assert undecided(METRIC_REGION, resources)


class TestAlarmActionRegion:
    def stack(self, alarm_region: str | None, topic_region: str | None) -> list[R]:
        topic = R(TOPIC, "alarms", {} if topic_region is None else {"region": topic_region})
        alarm = R(ALARM, "a", {"namespace": "AWS/Lambda", "alarmActions": [UNKNOWN]}, deps={"alarmActions": ["alarms"]})
        if alarm_region is not None:
            alarm.props["region"] = alarm_region
        return [topic, alarm]

    def test_same_region_passes(self) -> None:
        assert messages(ACTION_REGION, self.stack(None, None)) == []
        assert messages(ACTION_REGION, self.stack("us-east-1", "us-east-1")) == []

    def test_topic_in_another_region_is_caught(self) -> None:
        assert messages(ACTION_REGION, self.stack("us-east-1", None))
        known = R(ALARM, "a", {"region": "us-east-1", "alarmActions": [f"arn:aws:sns:eu-west-1:{ACCOUNT}:alarms"]})
        assert messages(ACTION_REGION, [known])

    def test_alarm_without_actions_is_not_judged(self) -> None:
        assert messages(ACTION_REGION, [R(ALARM, "a", {"region": "us-east-1"})]) == []

    def test_unknown_region_fails_closed(self) -> None:
        assert undecided(ACTION_REGION, self.stack(UNKNOWN, None))


def test_provider_region_from_the_engine_places_the_alarm() -> None:
    """At preview the engine sends each resource's provider: a us-east-1 provider satisfies the rule."""
    from pulumi_policy import PolicyProviderResource, StackValidationPolicy

    from policies.core import to_policy
    from tests.policies.conftest import rule, stack_args

    def run(provider_region: str) -> list[str]:
        args = stack_args(waf_alarm("CLOUDFRONT", None))
        for resource in args.resources:
            resource.provider = PolicyProviderResource(
                "pulumi:providers:aws", {"region": provider_region}, "urn:provider", "default"
            )
        found: list[str] = []

        def report(message: str, _urn: str | None = None) -> None:
            found.append(message)

        policy = to_policy(rule(METRIC_REGION))
        assert isinstance(policy, StackValidationPolicy)
        policy.validate(args, report)
        return found

    assert run("us-east-1") == []
    assert run("eu-west-1") and "eu-west-1" in run("eu-west-1")[0]
