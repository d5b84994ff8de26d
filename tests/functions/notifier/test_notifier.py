"""notifier: real SQS FIFO event shapes through the handler; moto for SNS, SQS and DynamoDB;
a local HTTP server standing in for AppSync that records the SigV4 headers it receives."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.sns.models import sns_backends

from tests.realtime_support import ACCOUNT, REGION, FakeContext, add_function_paths, aws_env

add_function_paths()

from notifier import handler as app  # noqa: E402
from notifier.appsync import PUBLISH_MUTATION, AppSyncPublisher, PublishError  # noqa: E402
from notifier.push import PushSender, push_message  # noqa: E402
from shared.device_registry import TOKEN_HASH_INDEX, Device, DeviceTable  # noqa: E402
from shared.notification_events import NotificationEvent, NotificationKind  # noqa: E402

DEVICES = "fixture-devices"
IDEMPOTENCY = "fixture-idempotency"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:fixture-events.fifo"


class AppSyncStub:
    """http.server on 127.0.0.1 (random port): records each request, fails chosen recipients."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_recipients: set[str] = set()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append({"headers": dict(self.headers.items()), "body": body})
                notification = body["variables"]["input"]
                if notification["recipientId"] in stub.fail_recipients:
                    self.send_response(503)
                    self.end_headers()
                    return
                payload = json.dumps({"data": {"publishNotification": notification}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/graphql"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def published_ids(self) -> list[str]:
        return [r["body"]["variables"]["input"]["id"] for r in self.requests]


@pytest.fixture
def appsync() -> Iterator[AppSyncStub]:
    stub = AppSyncStub()
    stub.thread.start()
    yield stub
    stub.server.shutdown()
    stub.server.server_close()
    stub.thread.join()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, appsync: AppSyncStub) -> Iterator[dict[str, Any]]:
    aws_env(monkeypatch, "notifier")
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName=DEVICES,
            KeySchema=[
                {"AttributeName": "userId", "KeyType": "HASH"},
                {"AttributeName": "deviceId", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "userId", "AttributeType": "S"},
                {"AttributeName": "deviceId", "AttributeType": "S"},
                {"AttributeName": "tokenHash", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": TOKEN_HASH_INDEX,
                    "KeySchema": [{"AttributeName": "tokenHash", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.create_table(
            TableName=IDEMPOTENCY,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sns = boto3.client("sns", region_name=REGION)
        application = sns.create_platform_application(
            Name="fixture-apns", Platform="APNS", Attributes={"PlatformCredential": "k", "PlatformPrincipal": "p"}
        )["PlatformApplicationArn"]
        monkeypatch.setenv("GRAPHQL_URL", appsync.url)
        monkeypatch.setenv("GRAPHQL_REGION", REGION)
        monkeypatch.setenv("DEVICES_TABLE", DEVICES)
        monkeypatch.setenv("IDEMPOTENCY_TABLE", IDEMPOTENCY)
        monkeypatch.setenv("IDEMPOTENCY_TTL_SECONDS", "86400")
        monkeypatch.setenv("APNS_PLATFORM_APPLICATION_ARN", application)
        app._service.cache_clear()
        yield {"dynamodb": dynamodb, "sns": sns, "application": application}
        app._service.cache_clear()


def register(aws: dict[str, Any], user: str, device: str, token: str) -> str:
    arn: str = aws["sns"].create_platform_endpoint(PlatformApplicationArn=aws["application"], Token=token)[
        "EndpointArn"
    ]
    DeviceTable(aws["dynamodb"], DEVICES).put(
        Device(
            user_id=user,
            device_id=device,
            platform="APNS",
            endpoint_arn=arn,
            token_hash=f"hash-{device}",
            created_at="2026-01-01T00:00:00Z",
        )
    )
    return arn


def pushed(arn: str) -> list[dict[str, Any]]:
    endpoint = sns_backends[ACCOUNT][REGION].platform_endpoints.get(arn)
    return [json.loads(m) for m in endpoint.messages.values()] if endpoint else []


def event(event_id: str, recipient: str, kind: NotificationKind = NotificationKind.POST_LIKED) -> NotificationEvent:
    return NotificationEvent(
        id=event_id,
        recipientId=recipient,
        kind=kind,
        actorId="actor",
        postId="p1",
        createdAt="2026-01-01T00:00:00.000Z",
    )


def sqs_event(*events: NotificationEvent | str) -> dict[str, Any]:
    records = []
    for index, item in enumerate(events):
        body = item if isinstance(item, str) else item.to_json()
        group = "poison" if isinstance(item, str) else item.recipientId
        records.append(
            {
                "messageId": f"m-{index}",
                "receiptHandle": f"handle-{index}",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1767225600000",
                    "SequenceNumber": str(18_000_000_000_000_000_000 + index),
                    "MessageGroupId": group,
                    "SenderId": "AROAEXAMPLE:fixture-stream-poller",
                    "MessageDeduplicationId": json.loads(body)["id"] if not isinstance(item, str) else "poison",
                    "ApproximateFirstReceiveTimestamp": "1767225600001",
                },
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": QUEUE_ARN,
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


def test_publishes_signed_mutation_and_pushes_to_every_device(aws: dict[str, Any], appsync: AppSyncStub) -> None:
    phone = register(aws, "u1", "d-phone", "a" * 64)
    tablet = register(aws, "u1", "d-tablet", "b" * 64)

    response = app.handler(sqs_event(event("104:1", "u1")), FakeContext())

    assert response == {"batchItemFailures": []}
    (request,) = appsync.requests
    assert request["body"]["query"] == PUBLISH_MUTATION
    assert request["body"]["variables"]["input"]["recipientId"] == "u1"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert re.match(
        rf"AWS4-HMAC-SHA256 Credential=\w+/\d{{8}}/{REGION}/appsync/aws4_request, "
        r"SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$",
        headers["authorization"],
    )
    assert re.match(r"^\d{8}T\d{6}Z$", headers["x-amz-date"]) and headers["x-amz-security-token"]
    for arn in (phone, tablet):
        (message,) = pushed(arn)
        apns = json.loads(message["APNS"])
        assert apns["aps"]["alert"]["title"] == "New like" and apns["id"] == "104:1"
        assert json.loads(message["GCM"])["fcmV1Message"]["message"]["data"]["postId"] == "p1"


def test_one_failing_event_never_blocks_other_recipients(aws: dict[str, Any], appsync: AppSyncStub) -> None:
    appsync.fail_recipients.add("u-broken")
    batch = sqs_event(
        event("1:1", "u1"), event("2:1", "u-broken"), event("3:1", "u2"), event("4:1", "u-broken"), "not json"
    )

    response = app.handler(batch, FakeContext())

    failed = sorted(f["itemIdentifier"] for f in response["batchItemFailures"])
    assert failed == ["m-1", "m-3", "m-4"], "the failed group's later message and the poison message come back"
    published = [
        r["body"]["variables"]["input"]["id"]
        for r in appsync.requests
        if r["body"]["variables"]["input"]["recipientId"] != "u-broken"
    ]
    assert published == ["1:1", "3:1"]
    # the retry of the failed event is delivered once the endpoint recovers
    appsync.fail_recipients.clear()
    assert app.handler(sqs_event(event("2:1", "u-broken")), FakeContext()) == {"batchItemFailures": []}


def test_duplicate_events_are_delivered_once(aws: dict[str, Any], appsync: AppSyncStub) -> None:
    phone = register(aws, "u1", "d-phone", "a" * 64)
    app.handler(sqs_event(event("7:2", "u1")), FakeContext())
    app.handler(sqs_event(event("7:2", "u1")), FakeContext(aws_request_id="request-2"))
    assert appsync.published_ids() == ["7:2"]
    assert len(pushed(phone)) == 1
    stored = aws["dynamodb"].scan(TableName=IDEMPOTENCY)["Items"]
    assert len(stored) == 1 and stored[0]["status"]["S"] == "COMPLETED" and "expiration" in stored[0]


def test_disabled_endpoints_are_pruned(aws: dict[str, Any], appsync: AppSyncStub) -> None:
    live = register(aws, "u1", "d-live", "a" * 64)
    dead = register(aws, "u1", "d-dead", "c" * 64)
    aws["sns"].set_endpoint_attributes(EndpointArn=dead, Attributes={"Enabled": "false"})

    assert app.handler(sqs_event(event("9:1", "u1")), FakeContext()) == {"batchItemFailures": []}

    assert len(pushed(live)) == 1
    assert dead not in sns_backends[ACCOUNT][REGION].platform_endpoints, "the SNS endpoint is deleted"
    remaining = [d.device_id for d in DeviceTable(aws["dynamodb"], DEVICES).devices_of("u1")]
    assert remaining == ["d-live"], "and so is its registry item"
    assert appsync.published_ids() == ["9:1"]


def test_endpoint_disabled_on_publish_is_pruned_too(aws: dict[str, Any]) -> None:
    arn = register(aws, "u1", "d-1", "a" * 64)
    calls: list[str] = []

    class RacingSns:
        """Enabled when asked, disabled by the time we publish (APNs feedback in between)."""

        def get_endpoint_attributes(self, EndpointArn: str) -> dict[str, Any]:  # noqa: N803
            return {"Attributes": {"Enabled": "true"}}

        def publish(self, **_: Any) -> None:
            raise ClientError({"Error": {"Code": "EndpointDisabled", "Message": "Endpoint is disabled"}}, "Publish")

        def delete_endpoint(self, EndpointArn: str) -> None:  # noqa: N803
            calls.append(EndpointArn)

    devices = DeviceTable(aws["dynamodb"], DEVICES)
    outcome = PushSender(RacingSns(), devices).send(event("1:1", "u1"))
    assert (outcome.sent, outcome.pruned, outcome.failed) == (0, 1, 0)
    assert calls == [arn] and devices.devices_of("u1") == []


def test_without_platform_applications_publishes_in_app_only_and_says_so_once(
    aws: dict[str, Any], appsync: AppSyncStub, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("APNS_PLATFORM_APPLICATION_ARN")  # as deployed without push credentials
    app._service.cache_clear()
    phone = register(aws, "u1", "d-phone", "a" * 64)

    for number in range(2):
        response = app.handler(sqs_event(event(f"{number}:1", "u1")), FakeContext(aws_request_id=f"r{number}"))
        assert response == {"batchItemFailures": []}

    assert appsync.published_ids() == ["0:1", "1:1"]
    assert pushed(phone) == []
    said = [m for m in caplog.messages if m.startswith("push disabled: no SNS platform applications configured")]
    assert len(said) == 1, "once per cold start, not per message"


def test_unreachable_appsync_fails_the_event() -> None:
    publisher = AppSyncPublisher("http://127.0.0.1:9/graphql", REGION, lambda: Credentials("AKIDEXAMPLE", "secret"))
    with pytest.raises(PublishError, match="AppSync unreachable for event 1:1"):
        publisher.publish(event("1:1", "u1"))


def test_graphql_errors_fail_the_event(appsync: AppSyncStub) -> None:
    class ErrorsHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            payload = json.dumps({"data": None, "errors": [{"errorType": "Unauthorized", "message": "no"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    appsync.server.RequestHandlerClass = ErrorsHandler
    publisher = AppSyncPublisher(appsync.url, REGION, lambda: Credentials("AKIDEXAMPLE", "secret"))
    with pytest.raises(PublishError, match="AppSync rejected event 1:1: Unauthorized"):
        publisher.publish(event("1:1", "u1"))


def test_refuses_a_plain_http_endpoint_that_is_not_loopback() -> None:
    with pytest.raises(ValueError, match="must be an https URL"):
        AppSyncPublisher("http://example.com/graphql", REGION, lambda: Credentials("AKIDEXAMPLE", "secret"))


def test_push_message_has_a_payload_per_platform() -> None:
    message = json.loads(push_message(event("5:1", "u1", NotificationKind.NEW_FOLLOWER)))
    assert set(message) == {"default", "APNS", "APNS_SANDBOX", "GCM"}
    assert json.loads(message["APNS_SANDBOX"])["aps"]["alert"]["body"] == "Someone started following you."
