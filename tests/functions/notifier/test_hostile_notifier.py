"""notifier under hostile queue messages: a message that is not a notification event fails
only itself (reported in batchItemFailures, so SQS moves it to the DLQ after
maxReceiveCount receives: components/notifications.py's redrive policy), nothing is
published or pushed for it, and every valid event in the batch is delivered."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.functions.notifier.test_notifier import (
    AppSyncStub,
    appsync,  # noqa: F401 - the fixture
    aws,  # noqa: F401 - the fixture
    event,
    pushed,
    register,
    sqs_event,
)
from tests.realtime_support import FakeContext, add_function_paths

add_function_paths()

from notifier import handler as app  # noqa: E402

VALID = {
    "id": "9:1",
    "recipientId": "u1",
    "kind": "POST_LIKED",
    "actorId": "a1",
    "createdAt": "2026-01-01T00:00:00.000Z",
}


def _with(**changes: Any) -> str:
    body = {**VALID, **changes}
    return json.dumps({k: v for k, v in body.items() if v is not ...})


POISON: dict[str, str] = {
    "not json": "not json",
    "empty body": "",
    "json null": "null",
    "json list": "[1, 2]",
    "json string": '"event"',
    "deeply nested": "[" * 100_000 + "]" * 100_000,
    "body 1 MB": _with(postId="p" * 1_000_000),
    "no id": _with(id=...),
    "id null": _with(id=None),
    "id a number": _with(id=9),
    "id empty": _with(id=""),
    "id with newline": _with(id="9:1\n"),
    "id with space": _with(id="9 1"),
    "id 10k chars": _with(id="9" * 10_000),
    "no recipient": _with(recipientId=...),
    "recipient a list": _with(recipientId=["u1"]),
    "recipient with NUL": _with(recipientId="u1\x00"),
    "recipient lone surrogate": '{"id": "9:1", "recipientId": "u\\ud800", "kind": "POST_LIKED", "actorId": "a",'
    ' "createdAt": "2026-01-01T00:00:00.000Z"}',
    "recipient non-ascii": _with(recipientId="ü1"),
    "unknown kind": _with(kind="DELETE_ACCOUNT"),
    "kind lower case": _with(kind="post_liked"),
    "kind a number": _with(kind=1),
    "no actor": _with(actorId=...),
    "actor an object": _with(actorId={"id": "a"}),
    "createdAt not a date": _with(createdAt="yesterday"),
    "createdAt with newline": _with(createdAt="2026-01-01T00:00:00.000Z\n"),
    "createdAt a number": _with(createdAt=1767225600000),
    "postId a number": _with(postId=5),
    "commentId empty": _with(commentId=""),
    "extra field": _with(script="<script>"),
    "extra recipient field": _with(recipients=["u2", "u3"]),
}


@pytest.mark.parametrize("name", sorted(POISON))
def test_a_poison_message_fails_only_itself_and_delivers_nothing(
    aws: dict[str, Any],  # noqa: F811 - the fixture
    appsync: AppSyncStub,  # noqa: F811 - the fixture
    name: str,
) -> None:
    phone = register(aws, "u1", "d-phone", "a" * 64)
    batch = sqs_event(event("1:1", "u2"), POISON[name], event("3:1", "u3"))

    response = app.handler(batch, FakeContext())

    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == ["m-1"], "only the poison message"
    assert appsync.published_ids() == ["1:1", "3:1"], "the valid events on both sides are delivered"
    assert pushed(phone) == [], "nothing pushed for the poison message"


def test_the_same_event_twice_in_a_batch_is_delivered_once(
    aws: dict[str, Any],  # noqa: F811 - the fixture
    appsync: AppSyncStub,  # noqa: F811 - the fixture
) -> None:
    response = app.handler(sqs_event(event("5:1", "u1"), event("5:1", "u1")), FakeContext())
    assert response == {"batchItemFailures": []}
    assert appsync.published_ids() == ["5:1"]
