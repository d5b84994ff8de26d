"""devices under hostile input: each attempt is refused as a DeviceError naming the field
(never a Python or botocore message), and the registry and SNS are unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functions.devices.test_devices import (
    APNS_TOKEN,
    FCM_TOKEN,
    TABLE,
    aws,  # noqa: F401 - the fixture
    call,
    endpoints,
)
from tests.realtime_support import add_function_paths

add_function_paths()

from devices import handler as app  # noqa: E402


def _state(aws: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str], list[str]]:  # noqa: F811 - the fixture
    items = aws["dynamodb"].scan(TableName=TABLE)["Items"]
    return sorted(items, key=repr), endpoints(aws, "APNS"), endpoints(aws, "FCM")


REGISTER_INPUTS: dict[str, Any] = {
    "input null": None,
    "input a string": "APNS",
    "input a list": [{"platform": "APNS", "token": APNS_TOKEN}],
    "input empty": {},
    "platform missing": {"token": APNS_TOKEN},
    "platform null": {"platform": None, "token": APNS_TOKEN},
    "platform a number": {"platform": 1, "token": APNS_TOKEN},
    "platform a list": {"platform": ["APNS"], "token": APNS_TOKEN},
    "platform lower case": {"platform": "apns", "token": APNS_TOKEN},
    "platform with newline": {"platform": "APNS\n", "token": APNS_TOKEN},
    "platform GCM": {"platform": "GCM", "token": FCM_TOKEN},
    "token missing": {"platform": "APNS"},
    "token null": {"platform": "APNS", "token": None},
    "token a number": {"platform": "APNS", "token": 12345},
    "token a list": {"platform": "APNS", "token": [APNS_TOKEN]},
    "token an object": {"platform": "FCM", "token": {"$ne": ""}},
    "token empty": {"platform": "APNS", "token": ""},
    "apns token trailing newline": {"platform": "APNS", "token": APNS_TOKEN + "\n"},
    "apns token leading space": {"platform": "APNS", "token": " " + APNS_TOKEN},
    "apns token 63 chars": {"platform": "APNS", "token": APNS_TOKEN[:63]},
    "apns token 65 chars": {"platform": "APNS", "token": APNS_TOKEN + "a"},
    "apns token fullwidth digits": {"platform": "APNS", "token": "\uff11" * 64},
    "apns token with zero-width space": {"platform": "APNS", "token": APNS_TOKEN[:32] + "\u200b" + APNS_TOKEN[32:]},
    "fcm token trailing newline": {"platform": "FCM", "token": FCM_TOKEN + "\n"},
    "fcm token 99 chars": {"platform": "FCM", "token": "a" * 99},
    "fcm token 4097 chars": {"platform": "FCM", "token": "a" * 4097},
    "fcm token 1 MB": {"platform": "FCM", "token": "a" * 1_000_000},
    "fcm token with slash": {"platform": "FCM", "token": FCM_TOKEN + "/../x"},
    "fcm token with NUL": {"platform": "FCM", "token": FCM_TOKEN + "\x00"},
    "fcm token lone surrogate": {"platform": "FCM", "token": FCM_TOKEN + "\ud800"},
    "fcm token RTL override": {"platform": "FCM", "token": FCM_TOKEN + "\u202e"},
    "fcm token non-ascii letters": {"platform": "FCM", "token": "é" * 120},
}


@pytest.mark.parametrize("name", sorted(REGISTER_INPUTS))
def test_hostile_registration_is_refused_and_writes_nothing(
    aws: dict[str, Any],  # noqa: F811 - the fixture
    name: str,
) -> None:
    before = _state(aws)
    with pytest.raises(app.DeviceError, match=r"^input") as refused:
        call("registerDevice", {"input": REGISTER_INPUTS[name]})
    assert "Traceback" not in str(refused.value) and "botocore" not in str(refused.value)
    assert _state(aws) == before, "no registry item and no SNS endpoint"


UNREGISTER_IDS: dict[str, Any] = {
    "missing": ...,
    "null": None,
    "a number": 7,
    "a list": ["a" * 32],
    "an object": {"S": "a" * 32},
    "empty": "",
    "too short": "a" * 31,
    "upper case": "A" * 32,
    "trailing newline": "a" * 32 + "\n",
    "key injection": "a' OR '1'='1",
    "1 MB": "a" * 1_000_000,
}


@pytest.mark.parametrize("name", sorted(UNREGISTER_IDS))
def test_hostile_unregister_is_refused_without_sdk_detail(
    aws: dict[str, Any],  # noqa: F811 - the fixture
    name: str,
) -> None:
    call("registerDevice", {"input": {"platform": "APNS", "token": APNS_TOKEN}})
    before = _state(aws)
    arguments = {} if UNREGISTER_IDS[name] is ... else {"deviceId": UNREGISTER_IDS[name]}
    with pytest.raises(app.DeviceError, match=r"^deviceId") as refused:
        call("unregisterDevice", arguments)
    assert "ParamValidationError" not in str(refused.value) and "Key.deviceId" not in str(refused.value)
    assert _state(aws) == before


def test_another_users_device_id_is_not_found(aws: dict[str, Any]) -> None:  # noqa: F811 - the fixture
    device = call("registerDevice", {"input": {"platform": "APNS", "token": APNS_TOKEN}}, sub="user-1")
    before = _state(aws)
    with pytest.raises(app.DeviceError, match="deviceId: device not found"):
        call("unregisterDevice", {"deviceId": device["id"]}, sub="user-2")
    assert _state(aws) == before


def test_a_trailing_newline_token_is_not_a_second_device(aws: dict[str, Any]) -> None:  # noqa: F811
    call("registerDevice", {"input": {"platform": "APNS", "token": APNS_TOKEN}})
    before = _state(aws)
    with pytest.raises(app.DeviceError):
        call("registerDevice", {"input": {"platform": "APNS", "token": APNS_TOKEN + "\n"}})
    assert _state(aws) == before and len(before[0]) == 1


def test_identity_comes_from_cognito_not_arguments(aws: dict[str, Any]) -> None:  # noqa: F811 - the fixture
    call("registerDevice", {"input": {"platform": "APNS", "token": APNS_TOKEN, "userId": "victim"}}, sub="user-1")
    (item,) = _state(aws)[0]
    assert item["userId"]["S"] == "user-1", "a userId argument is ignored"


def test_one_account_cannot_fill_the_registry(aws: dict[str, Any]) -> None:  # noqa: F811 - the fixture
    for index in range(app.MAX_DEVICES_PER_USER):
        call("registerDevice", {"input": {"platform": "APNS", "token": f"{index:064x}"}})
    before = _state(aws)
    with pytest.raises(app.DeviceError, match="at most"):
        call("registerDevice", {"input": {"platform": "APNS", "token": "f" * 64}})
    assert _state(aws) == before
    assert call("registerDevice", {"input": {"platform": "APNS", "token": f"{0:064x}"}})["id"], "re-registering is fine"


def test_an_unexpected_failure_reaches_the_client_as_internal_error_only(
    aws: dict[str, Any],  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEVICES_TABLE", "no-such-table")
    app._clients.cache_clear()
    with pytest.raises(app.InternalError) as failed:
        call("registerDevice", {"input": {"platform": "APNS", "token": APNS_TOKEN}})
    assert str(failed.value) == "internal error", "no botocore message (it names tables and keys)"
