"""Notifications and Secrets through a small program that builds them with stand-in inputs."""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.context import DeploymentContext
from components.notifications import ApnsSettings, NotificationsSettings
from components.python_function import FUNCTIONS_ROOT, STAMP, requirements_digest
from components.secrets import SecretsArgs
from components.validation import ArgsError
from offline.runner import ProgramError, ProgramRun, run_program

PROGRAM = Path(__file__).parent / "fixtures" / "realtime_program"
FUNCTIONS = ("stream_poller", "notifier", "devices")
CONTEXT = DeploymentContext(account_id="123456789012", region="eu-west-1", partition="aws", prefix="fixture-test")
PREFIX = "arn:aws:"


@functools.cache
def _run(stack: str) -> ProgramRun:
    layers = Path(tempfile.mkdtemp(prefix="realtime-layers-"))
    for name in FUNCTIONS:  # what scripts/build_layers.py leaves behind (the build needs PyPI)
        (layers / name / "python").mkdir(parents=True)
        (layers / name / STAMP).write_text(requirements_digest(FUNCTIONS_ROOT / name / "requirements.txt") + "\n")
    return run_program(PROGRAM, stack, config_overrides={"realtime-fixture:layersRoot": str(layers)})


def _settings(stack: str) -> dict[str, Any]:
    doc = yaml.safe_load((PROGRAM / f"Pulumi.{stack}.yaml").read_text())
    settings: dict[str, Any] = doc["config"]["realtime-fixture:notifications"]
    return settings


@pytest.fixture(params=["test", "push"])
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def run(stack: str) -> ProgramRun:
    return _run(stack)


def statements(run: ProgramRun, policy_name: str) -> dict[str, dict[str, Any]]:
    document = json.loads(run.one("aws:iam/policy:Policy", policy_name).inputs["policy"])
    return {s["Sid"]: s for s in document["Statement"]}


def resources(statement: dict[str, Any]) -> list[str]:
    value = statement["Resource"]
    return [value] if isinstance(value, str) else list(value)


def test_queue_is_fifo_encrypted_with_a_redriven_dlq(run: ProgramRun, stack: str) -> None:
    queue = run.one("aws:sqs/queue:Queue", "notifications-events")
    dlq = run.one("aws:sqs/queue:Queue", "notifications-events-dlq")
    for q in (queue, dlq):
        assert q.inputs["fifoQueue"] is True and q.inputs["name"].endswith(".fifo")
        assert q.inputs["contentBasedDeduplication"] is False
        assert q.inputs["kmsMasterKeyId"] == "arn:aws:kms:eu-west-1:123456789012:key/data"
    redrive = json.loads(queue.inputs["redrivePolicy"])
    assert redrive == {"deadLetterTargetArn": dlq.state["arn"], "maxReceiveCount": _settings(stack)["maxReceiveCount"]}
    notifier = run.one("aws:lambda/function:Function", "notifications-notifier-function").inputs
    assert queue.inputs["visibilityTimeoutSeconds"] >= 6 * notifier["timeout"]
    allow = json.loads(
        run.one("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy", "notifications-events-dlq-allow").inputs[
            "redriveAllowPolicy"
        ]
    )
    assert allow == {"redrivePermission": "byQueue", "sourceQueueArns": [queue.state["arn"]]}
    for name in ("notifications-events-tls", "notifications-events-dlq-tls"):
        (deny,) = json.loads(run.one("aws:sqs/queuePolicy:QueuePolicy", name).inputs["policy"])["Statement"]
        assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_event_source_mapping_reports_partial_failures(run: ProgramRun) -> None:
    mapping = run.one("aws:lambda/eventSourceMapping:EventSourceMapping", "notifications-notifier-events").inputs
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["eventSourceArn"] == run.one("aws:sqs/queue:Queue", "notifications-events").state["arn"]


def test_tables_have_pitr_cmk_and_configured_protection(run: ProgramRun, stack: str) -> None:
    settings = _settings(stack)
    tables = run.by_type("aws:dynamodb/table:Table")
    assert {t.name for t in tables} == {
        "notifications-stream-checkpoint",
        "notifications-devices",
        "notifications-notify-idempotency",
    }
    for table in tables:
        assert table.inputs["pointInTimeRecovery"] == {"enabled": True}
        assert table.inputs["serverSideEncryption"] == {
            "enabled": True,
            "kmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/data",
        }
        assert table.inputs["deletionProtectionEnabled"] is settings["deletionProtection"]
        assert table.protect is settings["protect"]
        assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    idempotency = run.one("aws:dynamodb/table:Table", "notifications-notify-idempotency").inputs
    assert idempotency["ttl"] == {"attributeName": "expiration", "enabled": True}
    devices = run.one("aws:dynamodb/table:Table", "notifications-devices").inputs
    assert devices["globalSecondaryIndexes"][0]["name"] == "byTokenHash"


def test_scheduler_role_invokes_only_the_poller(run: ProgramRun) -> None:
    poller = run.one("aws:lambda/function:Function", "notifications-stream-poller-function")
    schedule = run.one("aws:scheduler/schedule:Schedule", "notifications-poller-schedule").inputs
    role = run.one("aws:iam/role:Role", "notifications-scheduler-role")
    assert schedule["target"]["arn"] == poller.state["arn"]
    assert schedule["target"]["roleArn"] == role.state["arn"]
    assert schedule["scheduleExpression"] == "rate(1 minute)"
    (only,) = statements(run, "notifications-scheduler-policy").values()
    assert only["Action"] == ["lambda:InvokeFunction"] and resources(only) == [poller.state["arn"]]


def test_scheduler_can_assume_its_role(run: ProgramRun) -> None:
    """Scheduler assumes the execution role with aws:SourceArn = the ARN of the schedule's
    GROUP (Scheduler user guide, "Confused deputy prevention"), never the schedule's own ARN:
    the trust must admit exactly that group of this account, and the group must be the
    stack's own (not "default", shared by every schedule of the account)."""
    schedule = run.one("aws:scheduler/schedule:Schedule", "notifications-poller-schedule").inputs
    group = schedule.get("groupName") or "default"
    assert group != "default", "a dedicated group keeps other schedules of the account out of the role"
    (group_resource,) = [
        g for g in run.by_type("aws:scheduler/scheduleGroup:ScheduleGroup") if g.inputs.get("name") == group
    ]
    role = run.one("aws:iam/role:Role", "notifications-scheduler-role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    sent = {
        "aws:SourceAccount": CONTEXT.account_id,
        "aws:SourceArn": f"arn:aws:scheduler:{CONTEXT.region}:{CONTEXT.account_id}:schedule-group/{group}",
    }
    assert trust["Condition"] == {"StringEquals": sent}
    assert group_resource.inputs.get("tags"), "the group is tagged like every child"


def test_poller_runs_alone_in_the_vpc(run: ProgramRun) -> None:
    poller = run.one("aws:lambda/function:Function", "notifications-stream-poller-function").inputs
    assert poller["reservedConcurrentExecutions"] == 1
    assert poller["vpcConfig"] == {"subnetIds": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-lambda"]}
    assert poller["handler"] == "stream_poller.handler.handler"
    variables = poller["environment"]["variables"]
    # The stream is read from the writer, follower lookups from the reader (the endpoints it was given).
    assert variables["NEPTUNE_WRITER_ENDPOINT"] == "graph.cluster-abc.eu-west-1.neptune.amazonaws.com"
    assert variables["NEPTUNE_READER_ENDPOINT"] == "graph.cluster-ro-abc.eu-west-1.neptune.amazonaws.com"
    assert variables["NEPTUNE_PORT"] == "8182"
    for outside in ("notifications-notifier-function", "notifications-devices-function"):
        assert "vpcConfig" not in run.one("aws:lambda/function:Function", outside).inputs


def test_every_role_names_only_stack_resources(run: ProgramRun) -> None:
    stack_arns = {r.state.get("arn") for r in run.resources} | {
        "arn:aws:kms:eu-west-1:123456789012:key/data",
        "arn:aws:neptune-db:eu-west-1:123456789012:cluster-ABCDEFGHIJKL/*",
        "arn:aws:appsync:eu-west-1:123456789012:apis/fixtureapi/types/Mutation/fields/publishNotification",
    }
    apps = {
        r.inputs["name"]: r.inputs["platform"] for r in run.by_type("aws:sns/platformApplication:PlatformApplication")
    }
    stack_arns |= {f"arn:aws:sns:eu-west-1:123456789012:endpoint/{p}/{n}/*" for n, p in apps.items()}
    for function in ("stream-poller", "notifier", "devices"):
        for sid, statement in statements(run, f"notifications-{function}-policy").items():
            # The construct's own statements (logs, X-Ray, ENIs) are tested in test_python_function.py.
            if sid in (
                "XRayTraceUploadNeedsStar",
                "ManageOwnNetworkInterfaces",
                "ReleaseNetworkInterfaces",
                "DescribeNetworkNeedsStar",
                "WriteOwnLogGroup",
            ):
                continue
            for resource in resources(statement):
                base = resource.removesuffix("/index/byTokenHash")
                assert base in stack_arns, f"{function}:{sid} names {resource}, not a resource of this stack"


def test_notifier_may_call_only_the_publish_mutation(run: ProgramRun) -> None:
    publish = statements(run, "notifications-notifier-policy")["PublishNotificationMutationOnly"]
    assert publish["Action"] == ["appsync:GraphQL"]
    assert resources(publish) == [
        "arn:aws:appsync:eu-west-1:123456789012:apis/fixtureapi/types/Mutation/fields/publishNotification"
    ]
    poller = statements(run, "notifications-stream-poller-policy")
    assert poller["ReadStream"]["Action"] == ["neptune-db:GetStreamRecords"]
    assert poller["LookUpUsersInTheGraph"]["Action"] == ["neptune-db:ReadDataViaQuery"]


def test_no_credentials_means_no_platform_applications_and_no_push_rights() -> None:
    run = _run("test")
    assert run.by_type("aws:sns/platformApplication:PlatformApplication") == []
    assert run.by_type("aws:secretsmanager/secret:Secret") == []
    notifier = run.one("aws:lambda/function:Function", "notifications-notifier-function").inputs
    assert not [name for name in notifier["environment"]["variables"] if name.endswith("_PLATFORM_APPLICATION_ARN")]
    actions = [a for s in statements(run, "notifications-notifier-policy").values() for a in s["Action"]]
    assert not [a for a in actions if a.startswith("sns:")]


def test_configured_credentials_are_secret_everywhere() -> None:
    run = _run("push")
    apps = {r.name: r for r in run.by_type("aws:sns/platformApplication:PlatformApplication")}
    assert set(apps) == {"notifications-apns", "notifications-fcm"}
    assert apps["notifications-apns"].inputs["platform"] == "APNS"
    assert apps["notifications-apns"].inputs["platformPrincipal"] == "ABC123DEFG"
    assert apps["notifications-fcm"].inputs["platform"] == "GCM"
    for app in apps.values():
        assert "platformCredential" in app.additional_secret_outputs and app.has_secrets
    versions = run.by_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert len(versions) == 2
    assert all("secretString" in v.additional_secret_outputs and v.has_secrets for v in versions)
    for secret in run.by_type("aws:secretsmanager/secret:Secret"):
        assert secret.inputs["kmsKeyId"] == "arn:aws:kms:eu-west-1:123456789012:key/data"
        assert secret.inputs["recoveryWindowInDays"] == 7
    for policy in run.by_type("aws:secretsmanager/secretPolicy:SecretPolicy"):
        assert policy.inputs["blockPublicPolicy"] is True
        tls, reads = json.loads(policy.inputs["policy"])["Statement"]
        assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert reads["Effect"] == "Deny" and reads["Action"] == "secretsmanager:GetSecretValue"
        assert reads["Condition"] == {
            "ArnNotEquals": {"aws:PrincipalArn": ["arn:aws:iam::123456789012:role/fixture-operator"]}
        }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_receive_count": 0}, "max_receive_count: must be between 1 and 1000"),
        ({"notifier_batch_size": 11}, "notifier_batch_size: must be between 1 and 10"),
        ({"poller_schedule": "every minute"}, "poller_schedule: must be a rate"),
        ({"message_retention_days": 15}, "message_retention_days: must be between 1 and 14"),
    ],
)
def test_bad_settings_name_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgsError, match=message):
        NotificationsSettings(**changes)


def test_apns_identifiers_are_checked() -> None:
    with pytest.raises(ArgsError, match="key_id: must be Apple's 10-character identifier"):
        ApnsSettings(key_id="short", team_id="TEAM123456", bundle_id="com.example")


def test_apns_settings_without_the_secret_is_refused() -> None:
    with pytest.raises(ProgramError, match=r"set both notifications.apns .* and the secret apnsSigningKey, or neither"):
        run_program(
            PROGRAM,
            "test",
            config_overrides={
                "realtime-fixture:layersRoot": "/nonexistent",
                "realtime-fixture:notifications": json.dumps(
                    {"apns": {"keyId": "ABC123DEFG", "teamId": "TEAM123456", "bundleId": "com.example"}}
                ),
            },
        )


def test_secret_roles_are_checked() -> None:
    with pytest.raises(ArgsError, match="secret role 'APNS' must be lowercase"):
        SecretsArgs(context=CONTEXT, values={"APNS": None}, data_key_arn="k")  # type: ignore[dict-item]
