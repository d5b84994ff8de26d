"""Alarms of both stacks: the encrypted topic, its policy and subscriptions, coverage of
every critical resource (walked generically), the CIS filters and the dashboard."""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import Any

import yaml

from offline.mocks import RecordedResource
from offline.runner import ProgramRun
from tests.conftest import policy, repo_path
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


#: Namespaces whose metrics CloudWatch has only in US East (N. Virginia): CloudFront's
#: ("Monitoring CloudFront metrics with Amazon CloudWatch"), billing's ("Create a billing
#: alarm": billing metric data is stored in us-east-1), and CloudFront-scope WAF web ACLs'
#: (WAF developer guide, "Monitoring with Amazon CloudWatch").
US_EAST_1_ONLY = ("AWS/CloudFront", "AWS/Billing")
EDGE = "us-east-1"


@functools.cache
def _stack_region(stack: str) -> str:
    doc = yaml.safe_load(repo_path(f"Pulumi.{stack}.yaml").read_text())
    return str(doc["config"]["aws:region"])


def _region(run: ProgramRun, resource: RecordedResource) -> str:
    """A resource's region: pulumi-aws v7's per-resource ``region``, else the stack's."""
    return str(resource.inputs.get("region") or _stack_region(run.stack))


def _cloudfront_acl_metrics(run: ProgramRun) -> set[str]:
    return {
        acl.inputs["visibilityConfig"]["metricName"]
        for acl in run.by_type("aws:wafv2/webAcl:WebAcl")
        if acl.inputs["scope"] == "CLOUDFRONT"
    }


def _metric_region(run: ProgramRun, alarm: RecordedResource) -> str:
    inputs = alarm.inputs
    namespace, dimensions = inputs["namespace"], inputs.get("dimensions", {})
    if namespace in US_EAST_1_ONLY:
        return EDGE
    if namespace == "AWS/WAFV2" and dimensions.get("WebACL") in _cloudfront_acl_metrics(run):
        return EDGE
    # A resource's own metrics (a queue's, a function's) are in the resource's region.
    named = {v for v in dimensions.values() if isinstance(v, str)}
    regions = {_region(run, r) for r in run.resources if r.custom and named & _identifiers(r)}
    assert len(regions) <= 1, f"{alarm.name} names resources of several regions"
    return regions.pop() if regions else _stack_region(run.stack)


def test_alarms_live_where_their_metrics_are(run: ProgramRun) -> None:
    """An alarm only sees metrics of its own region: one on a us-east-1-only metric made
    in the stack's region can never fire. CloudFront-scope WAF metrics carry no Region
    dimension ("Required for all protected resource types except for Amazon CloudFront
    distributions"), so an alarm naming one watches a metric that never exists."""
    cloudfront_acls = _cloudfront_acl_metrics(run)
    assert cloudfront_acls, "the stack has a CloudFront web ACL to watch"
    watched = set()
    for alarm in run.by_type(ALARM):
        assert _region(run, alarm) == _metric_region(run, alarm), alarm.name
        dimensions = alarm.inputs.get("dimensions", {})
        if alarm.inputs["namespace"] == "AWS/WAFV2":
            if dimensions["WebACL"] in cloudfront_acls:
                watched.add(dimensions["WebACL"])
                assert "Region" not in dimensions, alarm.name
            else:
                assert dimensions["Region"] == _stack_region(run.stack), alarm.name
    assert watched == cloudfront_acls, "every CloudFront web ACL is alarmed"


def _topics_by_arn(run: ProgramRun) -> dict[str, RecordedResource]:
    return {t.state["arn"]: t for t in run.by_type(TOPIC)}


def test_every_alarm_notifies_a_topic_of_its_own_region_both_ways(run: ProgramRun) -> None:
    """A CloudWatch alarm's SNS action must be a topic in the alarm's region."""
    topics = _topics_by_arn(run)
    alarm_topics = {t.urn for t in run.by_type(TOPIC) if t.name.startswith("observability-")}
    for alarm in run.by_type(ALARM):
        inputs = alarm.inputs
        (action,) = inputs["alarmActions"]
        assert inputs["okActions"] == [action], alarm.name
        topic = topics[action]
        assert topic.urn in alarm_topics and topic.urn in alarm.property_dependencies["alarmActions"]
        assert _region(run, topic) == _region(run, alarm), alarm.name
        assert inputs["actionsEnabled"] is True
        assert inputs["treatMissingData"] in ("breaching", "notBreaching"), "a deliberate choice, never the default"
    main = run.one(TOPIC, "observability-alarm-topic")
    assert _region(run, main) == _stack_region(run.stack)
    assert run.outputs["alarmTopicArn"] == main.state["arn"]


def test_edge_alarm_topic_is_encrypted_in_its_region_and_reaches_the_same_people(run: ProgramRun) -> None:
    """The us-east-1 topic's key must be in us-east-1 (an SNS topic's key is in its region)
    and admit CloudWatch through SNS there; its policy admits this account's us-east-1
    alarms; it has the main topic's subscriptions, with a dead-letter queue of its region."""
    edge_topics = [t for t in run.by_type(TOPIC) if t.name.startswith("observability-") and _region(run, t) == EDGE]
    (edge,) = edge_topics
    keys = {k.state["arn"]: k for k in run.by_type("aws:kms/key:Key")}
    key = keys[edge.inputs["kmsMasterKeyId"]]
    assert _region(run, key) == EDGE
    (cloudwatch,) = [
        s for s in policy(key.inputs)["Statement"] if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert cloudwatch["Condition"]["StringEquals"]["kms:ViaService"] == "sns.us-east-1.amazonaws.com"

    (topic_policy,) = [
        p for p in run.by_type("aws:sns/topicPolicy:TopicPolicy") if p.inputs["arn"] == edge.state["arn"]
    ]
    assert _region(run, topic_policy) == EDGE
    (publish,) = [s for s in policy(topic_policy.inputs)["Statement"] if s["Effect"] == "Allow"]
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publish["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:*"}

    main = run.one(TOPIC, "observability-alarm-topic")
    subscriptions = run.by_type("aws:sns/topicSubscription:TopicSubscription")

    def endpoints(topic: RecordedResource) -> list[tuple[str, str]]:
        mine = [s for s in subscriptions if s.inputs["topic"] == topic.state["arn"]]
        assert all(_region(run, s) == _region(run, topic) for s in mine)
        return sorted((s.inputs["protocol"], s.inputs["endpoint"]) for s in mine)

    assert endpoints(edge) == endpoints(main) and endpoints(main)
    queues = {q.state["arn"]: q for q in run.by_type("aws:sqs/queue:Queue")}
    for subscription in subscriptions:
        if subscription.inputs["topic"] == edge.state["arn"]:
            dlq = queues[json.loads(subscription.inputs["redrivePolicy"])["deadLetterTargetArn"]]
            assert _region(run, dlq) == EDGE, "a subscription's dead-letter queue is in its region"
            assert keys[dlq.inputs["kmsMasterKeyId"]] is key


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
    mine = [s for s in subscriptions if s.inputs["topic"] == topic.state["arn"]]
    assert sorted((s.inputs["protocol"], s.inputs["endpoint"]) for s in mine) == sorted(wanted)


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
