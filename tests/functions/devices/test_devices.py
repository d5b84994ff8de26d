"""devices: AppSync direct-resolver events through the handler, moto for SNS and DynamoDB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

import boto3
import pytest
from moto import mock_aws

from tests.realtime_support import REGION, FakeContext, add_function_paths, aws_env

add_function_paths()

from aws_lambda_powertools.utilities.typing import LambdaContext  # noqa: E402
from devices import handler as app  # noqa: E402
from shared.device_registry import TOKEN_HASH_INDEX, DeviceTable  # noqa: E402

TABLE = "fixture-devices"
APNS_TOKEN = "ab" * 32
FCM_TOKEN = "fcm-instance:" + "A1_-" * 30


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    aws_env(monkeypatch, "devices")
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "userId", "KeyType": "HASH"},
                {"AttributeName": "deviceId", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": a, "AttributeType": "S"} for a in ("userId", "deviceId", "tokenHash")
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
        sns = boto3.client("sns", region_name=REGION)
        apps = {
            name: sns.create_platform_application(
                Name=f"fixture-{name.lower()}", Platform=platform, Attributes={"PlatformCredential": "c"}
            )["PlatformApplicationArn"]
            for name, platform in (("APNS", "APNS"), ("FCM", "GCM"))
        }
        monkeypatch.setenv("DEVICES_TABLE", TABLE)
        monkeypatch.setenv("APNS_PLATFORM_APPLICATION_ARN", apps["APNS"])
        monkeypatch.setenv("FCM_PLATFORM_APPLICATION_ARN", apps["FCM"])
        app._clients.cache_clear()
        yield {"dynamodb": dynamodb, "sns": sns, "apps": apps}
        app._clients.cache_clear()


def call(field: str, arguments: dict[str, Any], sub: str | None = "user-1") -> Any:
    event: dict[str, Any] = {
        "arguments": arguments,
        "identity": {"sub": sub, "username": sub, "claims": {"sub": sub}} if sub else None,
        "source": None,
        "request": {"headers": {}},
        "info": {"fieldName": field, "parentTypeName": "Mutation", "variables": {}, "selectionSetList": ["id"]},
        "prev": None,
        "stash": {},
    }
    # FakeContext has the fields Powertools and the handler read (duck-typed LambdaContext).
    return app.handler(event, cast(LambdaContext, FakeContext()))


def endpoints(aws: dict[str, Any], platform: str) -> list[str]:
    found = aws["sns"].list_endpoints_by_platform_application(PlatformApplicationArn=aws["apps"][platform])
    return [e["EndpointArn"] for e in found["Endpoints"]]


def test_register_is_idempotent_for_the_same_token(aws: dict[str, Any]) -> None:
    first = call("registerDevice", {"input": {"platform": "APNS", "token": APNS_TOKEN}})
    again = call("registerDevice", {"input": {"platform": "APNS", "token": APNS_TOKEN.upper()}})
    assert first == again and first["platform"] == "APNS"
    (device,) = DeviceTable(aws["dynamodb"], TABLE).devices_of("user-1")
    assert device.device_id == first["id"] and APNS_TOKEN not in json.dumps(device.to_item()), "only a hash is stored"
    assert endpoints(aws, "APNS") == [device.endpoint_arn]


def test_registering_someone_elses_token_never_removes_their_device(aws: dict[str, Any]) -> None:
    """A push token is not a secret; whoever learns one must not be able to cut its owner off."""
    call("registerDevice", {"input": {"platform": "FCM", "token": FCM_TOKEN}}, sub="user-1")
    call("registerDevice", {"input": {"platform": "FCM", "token": FCM_TOKEN}}, sub="user-2")
    table = DeviceTable(aws["dynamodb"], TABLE)
    assert len(table.devices_of("user-1")) == 1, "the owner's record survives the takeover attempt"
    assert len(table.devices_of("user-2")) == 1
    # The second account unregistering leaves the owner's (shared) endpoint in place.
    (mine,) = table.devices_of("user-2")
    call("unregisterDevice", {"deviceId": mine.device_id}, sub="user-2")
    assert len(table.devices_of("user-1")) == 1 and endpoints(aws, "FCM") == [mine.endpoint_arn]


def test_unregister_only_your_own_device(aws: dict[str, Any]) -> None:
    device = call("registerDevice", {"input": {"platform": "APNS", "token": APNS_TOKEN}}, sub="user-1")
    with pytest.raises(Exception, match="device not found"):
        call("unregisterDevice", {"deviceId": device["id"]}, sub="user-2")
    assert len(DeviceTable(aws["dynamodb"], TABLE).devices_of("user-1")) == 1
    assert call("unregisterDevice", {"deviceId": device["id"]}, sub="user-1") == {"id": device["id"], "deleted": True}
    assert DeviceTable(aws["dynamodb"], TABLE).devices_of("user-1") == [] and endpoints(aws, "APNS") == []


@pytest.mark.parametrize(
    ("platform", "token", "message"),
    [
        ("APNS", "ab" * 31, "an APNs token is 64 hexadecimal characters"),
        ("APNS_SANDBOX", "zz" * 32, "an APNs token is 64 hexadecimal characters"),
        ("FCM", "short", "an FCM registration token is 100-4096 characters"),
        ("FCM", "x" * 120 + "<script>", "an FCM registration token is 100-4096 characters"),
        ("WNS", APNS_TOKEN, "platform must be one of APNS, APNS_SANDBOX, FCM"),
    ],
)
def test_bad_tokens_are_refused_before_sns(aws: dict[str, Any], platform: str, token: str, message: str) -> None:
    with pytest.raises(Exception, match=message):
        call("registerDevice", {"input": {"platform": platform, "token": token}})
    assert endpoints(aws, "APNS") == [] and endpoints(aws, "FCM") == []


def test_unconfigured_platform_and_anonymous_caller_are_refused(aws: dict[str, Any]) -> None:
    with pytest.raises(Exception, match="push platform APNS_SANDBOX is not configured"):
        call("registerDevice", {"input": {"platform": "APNS_SANDBOX", "token": APNS_TOKEN}})
    with pytest.raises(Exception, match="Unauthorized"):
        call("registerDevice", {"input": {"platform": "APNS", "token": APNS_TOKEN}}, sub=None)
