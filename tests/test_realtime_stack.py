"""Real-time notifications as wired in both stacks (component details: test_notifications_component.py)."""

from __future__ import annotations

import json
from typing import Any

from offline.runner import ProgramRun

QUEUE = "aws:sqs/queue:Queue"
FUNCTION = "aws:lambda/function:Function"


def test_event_queue_is_fifo_encrypted_with_a_dlq(run: ProgramRun, config: dict[str, Any]) -> None:
    queue, dlq = run.one(QUEUE, "notifications-events"), run.one(QUEUE, "notifications-events-dlq")
    data_key = run.one("aws:kms/key:Key", "keys-data").state["arn"]
    assert queue.inputs["fifoQueue"] is True and dlq.inputs["fifoQueue"] is True
    assert queue.inputs["contentBasedDeduplication"] is False, "the poller sets commitNum:opNum dedup ids"
    assert queue.inputs["kmsMasterKeyId"] == data_key == dlq.inputs["kmsMasterKeyId"]
    redrive = json.loads(queue.inputs["redrivePolicy"])
    assert redrive == {
        "deadLetterTargetArn": dlq.state["arn"],
        "maxReceiveCount": config["notifications"]["maxReceiveCount"],
    }
    notifier = run.one(FUNCTION, "notifications-notifier-function").inputs
    assert queue.inputs["visibilityTimeoutSeconds"] >= 6 * notifier["timeout"]


def test_poller_is_a_single_reader_in_the_vpc_on_a_schedule(run: ProgramRun) -> None:
    poller = run.one(FUNCTION, "notifications-stream-poller-function")
    assert poller.inputs["reservedConcurrentExecutions"] == 1
    subnets = {s.id for s in run.by_type("aws:ec2/subnet:Subnet")}
    assert set(poller.inputs["vpcConfig"]["subnetIds"]) == subnets
    assert poller.inputs["vpcConfig"]["securityGroupIds"] == [
        run.one("aws:ec2/securityGroup:SecurityGroup", "network-lambda-sg").id
    ]
    cluster = run.one("aws:neptune/cluster:Cluster", "graph-cluster").state
    env = poller.inputs["environment"]["variables"]
    # Streams are read from the writer; follower lookups from the reader.
    assert env["NEPTUNE_WRITER_ENDPOINT"] == cluster["endpoint"]
    assert env["NEPTUNE_READER_ENDPOINT"] == cluster["readerEndpoint"]
    assert int(env["NEPTUNE_PORT"]) == cluster["port"]
    # The lag and expiry alarms watch the metrics under the service name the poller emits.
    lag = run.one("aws:cloudwatch/metricAlarm:MetricAlarm", "observability-custom-stream-lag")
    assert lag.inputs["dimensions"] == {"service": env["POWERTOOLS_SERVICE_NAME"]}
    # A parked poison record means a notification was not sent: one is enough to alarm.
    poison = run.one("aws:cloudwatch/metricAlarm:MetricAlarm", "observability-custom-stream-poison").inputs
    assert poison["metricName"] == "PoisonRecordsParked" and poison["threshold"] == 1
    assert poison["dimensions"] == {"service": env["POWERTOOLS_SERVICE_NAME"]}
    (schedule,) = run.by_type("aws:scheduler/schedule:Schedule")
    assert schedule.inputs["target"]["arn"] == poller.state["arn"]


def test_notifier_consumes_the_queue_with_partial_batch_failures(run: ProgramRun) -> None:
    (mapping,) = run.by_type("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mapping.inputs["eventSourceArn"] == run.one(QUEUE, "notifications-events").state["arn"]
    assert mapping.inputs["functionName"] == run.one(FUNCTION, "notifications-notifier-function").state["arn"]
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    notifier = run.one(FUNCTION, "notifications-notifier-function").inputs
    assert "vpcConfig" not in notifier, "AppSync publish and SNS push have no VPC endpoints"
    api = run.one("aws:appsync/graphQLApi:GraphQLApi", "graphql-api").state
    assert notifier["environment"]["variables"]["GRAPHQL_URL"] == api["uris"]["GRAPHQL"]


def test_no_push_credentials_means_no_platform_applications(run: ProgramRun) -> None:
    # Neither stack file sets notifications.apns or the push secrets: in-app notifications only.
    assert run.by_type("aws:sns/platformApplication:PlatformApplication") == []
    assert run.by_type("aws:secretsmanager/secret:Secret") == []
    notifier = run.one(FUNCTION, "notifications-notifier-function").inputs
    assert not [name for name in notifier["environment"]["variables"] if name.endswith("_PLATFORM_APPLICATION_ARN")]


def test_tables_recover_and_follow_the_protection_config(run: ProgramRun, config: dict[str, Any]) -> None:
    # The timelines table is tests/test_timelines.py's.
    tables = [t for t in run.by_type("aws:dynamodb/table:Table") if t.name.startswith("notifications-")]
    assert {t.name for t in tables} == {
        "notifications-devices",
        "notifications-notify-idempotency",
        "notifications-stream-checkpoint",
    }
    data_key = run.one("aws:kms/key:Key", "keys-data").state["arn"]
    for table in tables:
        assert table.inputs["pointInTimeRecovery"] == {"enabled": True}
        assert table.inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": data_key}
        assert table.inputs["deletionProtectionEnabled"] is config["notifications"]["deletionProtection"]
        assert table.protect is config["notifications"]["protect"]
