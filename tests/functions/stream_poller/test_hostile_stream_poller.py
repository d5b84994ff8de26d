"""stream_poller under hostile and malformed stream records: a record the poller cannot
interpret is parked (raw record and reason, in the checkpoint table under ``parked#…``),
counted in PoisonRecordsParked, and skipped; every record behind it is still delivered and
the checkpoint moves past it. Before this, such a record raised on every run and the
checkpoint never moved: every later notification waited until stream retention lost it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.functions.stream_poller.test_stream_poller import (
    DOMAIN_IDS,
    T0,
    TABLE,
    Clock,
    aws,  # noqa: F401 - the fixture
    checkpoint_item,
    drain,
    make_poller,
    metric,
    page,
)
from tests.realtime_support import FakeContext, add_function_paths

add_function_paths()

from stream_poller import handler as app  # noqa: E402
from stream_poller.checkpoint import DynamoDBParkedRecords  # noqa: E402

#: Commits 100-102 (two users, a FOLLOWS edge) of the recorded page, then the LIKES commit.
_RECORDS = page("social_page_1")["records"]
BEFORE = _RECORDS[:6]
LIKES = _RECORDS[10:12]
VALID_EVENTS = [("102:1", "NEW_FOLLOWER", "sub-ada", "sub-bob"), ("104:1", "POST_LIKED", "sub-ada", "sub-bob")]


def _record(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "commitTimestampInMillis": T0 + 3_000,
        "eventId": {"commitNum": "103", "opNum": "1"},
        "data": {"id": "v-1", "type": "vl", "key": "label", "value": {"value": "Post", "dataType": "String"}},
        "op": "ADD",
        "isLastOp": True,
    }
    record.update(changes)
    return {k: v for k, v in record.items() if v is not _DROP}


_DROP = object()

#: Each sits at commit 103, between the FOLLOWS (102) and LIKES (104) commits. The name says what is wrong.
POSITIONED_POISON: dict[str, dict[str, Any]] = {
    "no data": _record(data=_DROP),
    "data is null": _record(data=None),
    "data is a list": _record(data=[1, 2]),
    "data is a string": _record(data="edge"),
    "data without id": _record(data={"type": "e", "key": "label", "value": "FOLLOWS"}),
    "data without type": _record(data={"id": "e-1", "key": "label", "value": "FOLLOWS"}),
    "data without key": _record(data={"id": "e-1", "type": "e", "value": "FOLLOWS"}),
    "empty id": _record(data={"id": "", "type": "e", "key": "label", "value": "FOLLOWS"}),
    "from is a number": _record(
        data={"id": "e", "type": "e", "key": "label", "value": "FOLLOWS", "from": 7, "to": "b"}
    ),
    "to is an object": _record(data={"id": "e", "type": "e", "key": "label", "value": "LIKES", "from": "a", "to": {}}),
    "no op": _record(op=_DROP),
    "empty op": _record(op=""),
    "no commit timestamp": _record(commitTimestampInMillis=_DROP),
    "commit timestamp text": _record(commitTimestampInMillis="yesterday"),
    "commit timestamp float": _record(commitTimestampInMillis=1.5),
    "commit timestamp negative": _record(commitTimestampInMillis=-1),
    "commit timestamp boolean": _record(commitTimestampInMillis=True),
}
#: No position of their own: parked by content hash, the neighbours' positions move the checkpoint.
UNPOSITIONED_POISON: dict[str, Any] = {
    "record is a string": "not a record",
    "record is a number": 42,
    "record is null": None,
    "record is a list": [1, 2, 3],
    "no eventId": _record(eventId=_DROP),
    "eventId is a string": _record(eventId="103:1"),
    "commitNum text": _record(eventId={"commitNum": "abc", "opNum": "1"}),
    "commitNum float": _record(eventId={"commitNum": 103.5, "opNum": "1"}),
    "opNum missing": _record(eventId={"commitNum": "103"}),
    "opNum negative": _record(eventId={"commitNum": "103", "opNum": "-1"}),
    "commitNum boolean": _record(eventId={"commitNum": True, "opNum": "1"}),
    "lone surrogate in commitNum": _record(eventId={"commitNum": "\ud800", "opNum": "1"}),
    "commitNum huge float string": _record(eventId={"commitNum": "1e999", "opNum": "1"}),
}


def _poisoned_page(poison: Any) -> dict[str, Any]:
    return {
        "lastEventId": {"commitNum": "104", "opNum": "2"},
        "format": "PG_JSON",
        "records": [*copy.deepcopy(BEFORE), poison, *copy.deepcopy(LIKES)],
    }


def _parked(aws: dict[str, Any]) -> list[dict[str, Any]]:  # noqa: F811 - the fixture
    items = aws["dynamodb"].scan(TableName=TABLE)["Items"]
    return sorted((i for i in items if i["id"]["S"].startswith("parked#")), key=lambda i: str(i["id"]["S"]))


class FakeStream:
    """Serves the pages as given, then "no records". botocore's Stubber validates responses
    against the service model, so it cannot serve the malformed pages this suite is about."""

    def __init__(self, *pages: Any) -> None:
        self.pages = list(pages)
        self.calls: list[dict[str, Any]] = []

    def get_propertygraph_stream(self, **params: Any) -> Any:
        self.calls.append(params)
        if self.pages:
            return self.pages.pop(0)
        raise ClientError({"Error": {"Code": "StreamRecordsNotFoundException"}}, "GetPropertygraphStream")


def _run(aws: dict[str, Any], response: dict[str, Any]) -> Any:  # noqa: F811 - the fixture
    stream = FakeStream(response)
    poller = make_poller(aws, stream, Clock(T0 + 9_000))
    poller._parking = DynamoDBParkedRecords(aws["dynamodb"], TABLE)
    return poller.run("run-1", lambda: 50_000)


def _delivered(aws: dict[str, Any]) -> list[tuple[str, str, str, str]]:  # noqa: F811 - the fixture
    return sorted((m["id"], m["kind"], m["recipientId"], m["actorId"]) for m in drain(aws["sqs"], aws["queue_url"]))


@pytest.mark.parametrize("name", sorted(POSITIONED_POISON))
def test_a_positioned_poison_record_is_parked_and_the_records_behind_it_delivered(
    aws: dict[str, Any],  # noqa: F811 - the fixture
    name: str,
) -> None:
    result = _run(aws, _poisoned_page(POSITIONED_POISON[name]))

    assert _delivered(aws) == VALID_EVENTS, "the events on both sides of the poison record are delivered"
    (parked,) = _parked(aws)
    assert parked["id"]["S"] == "parked#103:1" and parked["position"]["S"] == "103:1"
    assert parked["reason"]["S"], "an operator needs to know why it was parked"
    assert json.loads(parked["raw"]["S"]) == json.loads(json.dumps(POSITIONED_POISON[name])), "the raw record"
    assert checkpoint_item(aws)["commitNum"]["N"] == "104", "the checkpoint moved past the poison record"
    assert result.parked == 1


@pytest.mark.parametrize("name", sorted(UNPOSITIONED_POISON))
def test_a_poison_record_without_a_position_is_parked_by_content(
    aws: dict[str, Any],  # noqa: F811 - the fixture
    name: str,
) -> None:
    result = _run(aws, _poisoned_page(UNPOSITIONED_POISON[name]))

    assert _delivered(aws) == VALID_EVENTS
    (parked,) = _parked(aws)
    assert parked["id"]["S"].startswith("parked#sha256:") and parked["position"]["S"] == "unknown"
    assert parked["reason"]["S"]
    assert checkpoint_item(aws)["commitNum"]["N"] == "104"
    assert result.parked == 1


@pytest.mark.parametrize("records", ["a string", 17, {"records": "nested"}, True])
def test_records_that_are_not_a_list_are_parked_and_the_poller_resumes_after_the_page(
    aws: dict[str, Any],  # noqa: F811 - the fixture
    records: Any,
) -> None:
    result = _run(aws, {"lastEventId": {"commitNum": "104", "opNum": "2"}, "records": records})

    assert _delivered(aws) == [], "nothing could be read, so nothing is sent"
    (parked,) = _parked(aws)
    assert parked["reason"]["S"] == "records is not a list"
    assert checkpoint_item(aws)["commitNum"]["N"] == "104", "resumed after the page's lastEventId"
    assert result.parked == 1


def test_records_not_a_list_without_a_last_event_id_stops_without_moving_the_checkpoint(
    aws: dict[str, Any],  # noqa: F811 - the fixture
) -> None:
    result = _run(aws, {"records": {"x": 1}})
    assert "commitNum" not in checkpoint_item(aws), "no position to move to: never guess one"
    assert len(_parked(aws)) == 1 and result.parked == 1


def test_the_same_poison_record_read_twice_is_parked_once(aws: dict[str, Any]) -> None:  # noqa: F811
    poison = POSITIONED_POISON["no data"]
    stream = FakeStream(_poisoned_page(poison))
    poller = make_poller(aws, stream, Clock(T0 + 9_000))
    poller._parking = DynamoDBParkedRecords(aws["dynamodb"], TABLE)
    poller.run("run-1", lambda: 50_000)
    stream.pages.append(_poisoned_page(poison))
    # A re-seeded checkpoint (an operator's replay) reads the same page again.
    aws["dynamodb"].delete_item(TableName=TABLE, Key={"id": {"S": "neptune-stream"}})
    poller.run("run-2", lambda: 50_000)

    (parked,) = _parked(aws)
    assert parked["timesParked"]["N"] == "2", "one item per record, however often it is read"
    assert len(_delivered(aws)) == 2, "SQS FIFO deduplicated the re-sent events"


def test_without_a_parking_store_a_poison_record_is_never_skipped(aws: dict[str, Any]) -> None:  # noqa: F811
    stream = FakeStream(_poisoned_page(POSITIONED_POISON["no data"]))
    with pytest.raises(RuntimeError, match="no parking store"):
        make_poller(aws, stream, Clock(T0)).run("run-1", lambda: 50_000)
    assert "commitNum" not in checkpoint_item(aws), "skipping a record nobody recorded would lose it"
    assert _delivered(aws) == []


class ExplodingLookups:
    """Returns rows of the wrong shape for one post: a content error inside the mapping."""

    def domain_ids(self, vertex_ids: Any) -> dict[str, str]:
        return {v: DOMAIN_IDS[v] for v in vertex_ids if v in DOMAIN_IDS}

    def post_authors(self, post_ids: Any) -> dict[str, str]:
        raise KeyError("authorId")

    def followers(self, author_ids: Any) -> dict[str, list[str]]:
        return {}


def test_a_transaction_whose_mapping_fails_is_parked_and_the_others_delivered(
    aws: dict[str, Any],  # noqa: F811 - the fixture
) -> None:
    stream = FakeStream(_poisoned_page(POSITIONED_POISON["no data"]))
    poller = make_poller(aws, stream, Clock(T0 + 9_000), lookups=ExplodingLookups())
    poller._parking = DynamoDBParkedRecords(aws["dynamodb"], TABLE)
    result = poller.run("run-1", lambda: 50_000)

    assert _delivered(aws) == VALID_EVENTS[:1], "the FOLLOWS event is delivered; the LIKES commit is parked"
    assert [p["id"]["S"] for p in _parked(aws)] == ["parked#103:1", "parked#104:2"]
    assert "mapping failed" in _parked(aws)[1]["reason"]["S"]
    assert checkpoint_item(aws)["commitNum"]["N"] == "104" and result.parked == 2


def test_a_poisoned_record_between_two_valid_ones_emits_the_alarms_metric(
    aws: dict[str, Any],  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The issue's show case, through the handler: both events out, the poison parked, the metric emitted."""
    stream = FakeStream(_poisoned_page(POSITIONED_POISON["no data"]))

    def poller() -> Any:
        made = make_poller(aws, stream, Clock(T0 + 9_000))
        made._parking = DynamoDBParkedRecords(aws["dynamodb"], TABLE)
        return made

    monkeypatch.setattr(app, "_poller", poller)
    app.handler({"source": "aws.scheduler"}, FakeContext())

    assert _delivered(aws) == VALID_EVENTS
    (parked,) = _parked(aws)
    assert "KeyError" in parked["reason"]["S"] and "data" in parked["reason"]["S"]
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(metric(m, "PoisonRecordsParked") == 1 for m in emf), "the stream-poison alarm's metric"
