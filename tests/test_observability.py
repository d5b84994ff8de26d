"""Alarms of both stacks: the encrypted topic, its policy and subscriptions, coverage of
every critical resource (walked generically), the CIS filters and the dashboard."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from offline.mocks import RecordedResource
from offline.runner import ProgramRun
from tests.conftest import policy
from tests.test_audit_trail import _without_trail

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
ACCOUNT = "123456789012"

#: Resource types that must carry at least one alarm with an action, and the alarm
#: dimensions that name them. A new kind of critical resource belongs here.
WATCHED: dict[str, tuple[str, ...]] = {
    "aws:lambda/function:Function": ("FunctionName",),
    "aws:appsync/graphQLApi:GraphQLApi": ("GraphQLAPIId",),
    "aws:apigateway/stage:Stage": ("Stage",),
    "aws:sqs/queue:Queue": ("QueueName",),
    "aws:neptune/cluster:Cluster": ("DBClusterIdentifier",),
}


def _identifiers(resource: RecordedResource) -> set[str]:
    values = (
        resource.id,
        resource.state.get("name"),
        resource.state.get("arn"),
        resource.state.get("clusterIdentifier"),
        resource.state.get("stageName"),
        resource.inputs.get("name"),
    )
    return {v for v in values if isinstance(v, str) and v}


def _acts(alarm: RecordedResource) -> bool:
    return alarm.inputs.get("actionsEnabled") is True and bool(alarm.inputs.get("alarmActions"))


def uncovered(run: ProgramRun) -> list[str]:
    """Watched resources no alarm with an action points at, through a property dependency
    of its dimensions (preview-safe) or a dimension value naming the resource."""
    alarms = [a for a in run.by_type(ALARM) if _acts(a)]
    missing = []
    for type_token, dimension_names in WATCHED.items():
        for resource in run.by_type(type_token):
            names = _identifiers(resource)
            covered = any(
                resource.urn in alarm.property_dependencies.get("dimensions", [])
                or any(alarm.inputs.get("dimensions", {}).get(d) in names for d in dimension_names)
                for alarm in alarms
            )
            if not covered:
                missing.append(f"{type_token} {resource.name}")
    return missing


def test_every_critical_resource_has_an_alarm_with_an_action(run: ProgramRun) -> None:
    assert run.by_type("aws:neptune/cluster:Cluster"), "the walker must see something to judge"
    assert uncovered(run) == []


def test_the_walker_catches_a_resource_nobody_watches(run: ProgramRun) -> None:
    function = RecordedResource(
        urn="urn:pulumi:dev::social-backend::aws:lambda/function:Function::unwatched",
        type="aws:lambda/function:Function",
        name="unwatched",
        custom=True,
        parent="",
        inputs={"name": "social-backend-dev-unwatched"},
        state={"name": "social-backend-dev-unwatched", "arn": "arn:aws:lambda:eu-west-1:1:function:x"},
        id="unwatched-id",
    )
    with_function = dataclasses.replace(run, resources=[*run.resources, function])
    assert uncovered(with_function) == ["aws:lambda/function:Function unwatched"]
    # An alarm without actions does not count.
    silent = [
        dataclasses.replace(r, inputs={**r.inputs, "actionsEnabled": False}) if r.type == ALARM else r
        for r in run.resources
    ]
    everything_watched = sorted(f"{r.type} {r.name}" for r in run.resources if r.type in WATCHED)
    assert len(everything_watched) > 5
    assert sorted(uncovered(dataclasses.replace(run, resources=silent))) == everything_watched


def test_every_alarm_notifies_the_topic_both_ways(run: ProgramRun) -> None:
    topic = run.one(TOPIC, "observability-alarm-topic")
    for alarm in run.by_type(ALARM):
        inputs = alarm.inputs
        assert inputs["alarmActions"] == [topic.state["arn"]], alarm.name
        assert inputs["okActions"] == [topic.state["arn"]], alarm.name
        assert inputs["actionsEnabled"] is True
        assert inputs["treatMissingData"] in ("breaching", "notBreaching"), "a deliberate choice, never the default"
        assert topic.urn in alarm.property_dependencies["alarmActions"]
    assert run.outputs["alarmTopicArn"] == topic.state["arn"]


def test_topic_encrypted_with_a_key_that_admits_cloudwatch(run: ProgramRun) -> None:
    topic = run.one(TOPIC, "observability-alarm-topic")
    key = run.one("aws:kms/key:Key", "keys-audit")
    assert topic.inputs["kmsMasterKeyId"] == key.state["arn"]
    statements = policy(key.inputs)["Statement"]
    (cloudwatch,) = [s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert cloudwatch["Condition"]["StringEquals"]["kms:ViaService"] == "sns.eu-west-1.amazonaws.com"


def test_topic_policy_is_tls_only_and_admits_only_this_accounts_alarms(run: ProgramRun) -> None:
    topic = run.one(TOPIC, "observability-alarm-topic")
    (topic_policy,) = [
        p for p in run.by_type("aws:sns/topicPolicy:TopicPolicy") if p.inputs["arn"] == topic.state["arn"]
    ]
    statements = {s["Sid"]: s for s in policy(topic_policy.inputs)["Statement"]}
    deny = statements["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    allows = [s for s in statements.values() if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allows] == [{"Service": "cloudwatch.amazonaws.com"}], "no public or foreign access"
    (publish,) = allows
    assert publish["Action"] == "sns:Publish"
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert publish["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:*"}


def test_subscriptions_follow_config(run: ProgramRun, config: dict[str, Any]) -> None:
    topic = run.one(TOPIC, "observability-alarm-topic")
    subscriptions = run.by_type("aws:sns/topicSubscription:TopicSubscription")
    wanted = [("email", e) for e in config["observability"].get("emailEndpoints", [])] + [
        ("https", u) for u in config["observability"].get("httpsEndpoints", [])
    ]
    assert sorted((s.inputs["protocol"], s.inputs["endpoint"]) for s in subscriptions) == sorted(wanted)
    assert all(s.inputs["topic"] == topic.state["arn"] for s in subscriptions)


def test_neptune_alarms_fit_the_capacity_model(run: ProgramRun, config: dict[str, Any]) -> None:
    alarms = {a.name.removeprefix("observability-"): a.inputs for a in run.by_type(ALARM)}
    graph, thresholds = config["graphDb"], config["observability"]["thresholds"]
    assert alarms["neptune-cpu"]["threshold"] == thresholds["neptuneCpuPercent"]
    assert alarms["neptune-cpu"]["treatMissingData"] == "breaching", "a silent database is a down database"
    assert alarms["neptune-freeable-memory"]["threshold"] == thresholds["neptuneFreeableMemoryMib"] * 1024 * 1024
    assert alarms["neptune-freeable-memory"]["comparisonOperator"] == "LessThanOrEqualToThreshold"
    serverless = graph.get("serverless")
    if serverless:
        capacity = alarms["neptune-serverless-capacity"]
        assert capacity["metricName"] == "ServerlessDatabaseCapacity"
        assert capacity["threshold"] == serverless["maxCapacity"] * thresholds["neptuneServerlessCapacityPercent"] / 100
        assert not [name for name in alarms if name.startswith("neptune-instance-")]
    else:
        instances = run.by_type("aws:neptune/clusterInstance:ClusterInstance")
        for instance in instances:
            index = instance.name.rsplit("-", 1)[1]
            for metric in ("cpu", "freeable-memory"):
                alarm = alarms[f"neptune-instance-{index}-{metric}"]
                assert alarm["dimensions"] == {"DBInstanceIdentifier": instance.inputs["identifier"]}
        assert "neptune-serverless-capacity" not in alarms
    assert ("neptune-replica-lag" in alarms) is (graph["instanceCount"] > 1)


def test_cis_filters_watch_the_trail_log_group(run: ProgramRun) -> None:
    group = run.one("aws:cloudwatch/logGroup:LogGroup", "audit-log-group")
    filters = run.by_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
    assert len(filters) == 14, "CloudWatch.1-14"
    alarms = {a.name: a for a in run.by_type(ALARM)}
    for metric_filter in filters:
        assert metric_filter.inputs["logGroupName"] == group.inputs["name"]
        transformation = metric_filter.inputs["metricTransformation"]
        alarm = alarms[metric_filter.name.replace("observability-cis-", "observability-cis-")]
        assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == (
            transformation["namespace"],
            transformation["name"],
        )
        assert metric_filter.urn in alarm.dependencies
    patterns = " ".join(f.inputs["pattern"] for f in filters)
    for needle in ('$.userIdentity.type = "Root"', "StopLogging", "ScheduleKeyDeletion", "StopConfigurationRecorder"):
        assert needle in patterns


def test_no_cis_filters_without_the_trail(run: ProgramRun) -> None:
    off = _without_trail(run.stack)
    assert not off.by_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
    assert not [a for a in off.by_type(ALARM) if "-cis-" in a.name]
    assert uncovered(off) == [], "the app's alarms do not depend on the trail"
    assert off.outputs["alarmTopicArn"]


def test_dashboard_shows_every_alarm(run: ProgramRun) -> None:
    (dashboard,) = run.by_type("aws:cloudwatch/dashboard:Dashboard")
    assert dashboard.inputs["dashboardName"] == f"social-backend-{run.stack}-overview"
    assert run.outputs["dashboardName"] == dashboard.inputs["dashboardName"]
    body = json.loads(dashboard.inputs["dashboardBody"])
    (alarm_widget,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert sorted(alarm_widget["properties"]["alarms"]) == sorted(a.state["arn"] for a in run.by_type(ALARM))
