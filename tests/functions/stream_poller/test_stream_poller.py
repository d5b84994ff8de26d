"""stream_poller: recorded PG_JSON pages through the real loop, moto for DynamoDB and SQS,
botocore's Stubber for neptunedata (writer: the stream, reader: the lookups).

The pages carry Neptune's id semantics (see shared.graph.model): vertices are named by a
generated ``~id`` (a UUID string) and their domain id (a user's Cognito ``sub``, a post's
id) is an ordinary ``id`` property, written as a ``vp`` record when the vertex is created.
Earlier pages named vertices by their domain ids, the assumption that sent every
notification to a Neptune-generated id; events here must name domain ids only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from offline.runner import REPO_ROOT
from tests.realtime_support import REGION, FakeContext, add_function_paths, aws_env

add_function_paths()

from stream_poller import handler as app  # noqa: E402
from stream_poller.checkpoint import DynamoDBCheckpointStore, LeaseLostError  # noqa: E402
from stream_poller.graph_model import DOMAIN_IDS_QUERY, FOLLOWERS_QUERY, POST_AUTHORS_QUERY  # noqa: E402
from stream_poller.loop import Poller, PollerSettings  # noqa: E402
from stream_poller.mapping import NeptuneLookups, map_transactions  # noqa: E402
from stream_poller.records import StreamPage, StreamPosition, complete_transactions  # noqa: E402
from stream_poller.sink import SendError, SqsFifoSink  # noqa: E402
from stream_poller.stream import NeptuneStreamReader, StreamExpiredError  # noqa: E402

PAGES = REPO_ROOT / "tests" / "fixtures" / "neptune_streams"
T0 = 1767225600000
TABLE = "fixture-stream-checkpoint"
#: The vertices' ``~id``s in the recorded pages (Neptune-generated), and their domain ids.
ADA_VERTEX = "8cb4e9f6-1c39-4d4a-9e3b-5a1f0d7c2e11"
BOB_VERTEX = "4f0a2d7e-9b6c-4e85-a3d1-7c2b9e0f5a22"
POST_VERTEX = "b7e13c2a-6d4f-4a9b-8e0c-1f5d3a7b9c33"
DOMAIN_IDS = {ADA_VERTEX: "sub-ada", BOB_VERTEX: "sub-bob", POST_VERTEX: "post-1"}


def page(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((PAGES / f"{name}.json").read_text())
    return loaded


class Clock:
    def __init__(self, now_ms: int) -> None:
        self.now = now_ms
        self.sleeps: list[float] = []

    def __call__(self) -> int:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    aws_env(monkeypatch, "stream_poller")
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(
            QueueName="fixture-events.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"}
        )["QueueUrl"]
        yield {"dynamodb": dynamodb, "sqs": sqs, "queue_url": url}


def neptune(name: str) -> tuple[Any, Stubber]:
    client = boto3.client("neptunedata", endpoint_url=f"https://{name}.example:8182", region_name=REGION)
    stubber = Stubber(client)
    stubber.activate()
    return client, stubber


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message on the queue (body plus group and deduplication ids), deleting as it goes."""
    found: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"], VisibilityTimeout=30
        ).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            attributes = message["Attributes"]
            found.append(
                {
                    **json.loads(message["Body"]),
                    "_group": attributes["MessageGroupId"],
                    "_dedupe": attributes["MessageDeduplicationId"],
                }
            )
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def checkpoint_item(aws: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = (
        aws["dynamodb"].get_item(TableName=TABLE, Key={"id": {"S": "neptune-stream"}}).get("Item", {})
    )
    return item


def metric(emf: dict[str, Any], name: str) -> float:
    value = emf[name]
    return float(value[0] if isinstance(value, list) else value)


class FixedLookups:
    def domain_ids(self, vertex_ids: Any) -> dict[str, str]:
        return {v: DOMAIN_IDS[v] for v in vertex_ids if v in DOMAIN_IDS}

    def post_authors(self, post_ids: Any) -> dict[str, str]:
        return {"post-1": "sub-ada"}

    def followers(self, author_ids: Any) -> dict[str, list[str]]:
        return {"sub-ada": ["sub-bob", "sub-carol"]}


def make_poller(
    aws: dict[str, Any], stream_client: Any, clock: Clock, *, lookups: Any = None, **changes: Any
) -> Poller:
    return Poller(
        store=DynamoDBCheckpointStore(aws["dynamodb"], TABLE),
        stream=NeptuneStreamReader(stream_client),
        lookups=lookups or FixedLookups(),
        sink=changes.pop("sink", SqsFifoSink(aws["sqs"], aws["queue_url"])),
        settings=PollerSettings(page_limit=13, **changes),
        now_ms=clock,
        sleep=clock.sleep,
    )


def test_recorded_pages_become_events_grouped_per_transaction(aws: dict[str, Any]) -> None:
    stream, stream_stub = neptune("writer")
    reader, reader_stub = neptune("reader")
    stream_stub.add_response(
        "get_propertygraph_stream", page("social_page_1"), {"limit": 13, "iteratorType": "TRIM_HORIZON"}
    )
    # Page 1 creates every vertex its edges touch: their ids come from its own vp records.
    post_authors = (
        {"results": [{"postId": "post-1", "authorId": "sub-ada"}]},
        {"openCypherQuery": POST_AUTHORS_QUERY, "parameters": json.dumps({"postIds": ["post-1"]})},
    )
    reader_stub.add_response("execute_open_cypher_query", *post_authors)
    reader_stub.add_response(
        "execute_open_cypher_query",
        {"results": [{"authorId": "sub-ada", "followerId": "sub-bob"}]},
        {
            "openCypherQuery": FOLLOWERS_QUERY,
            "parameters": json.dumps({"authorIds": ["sub-ada"], "skip": 0, "limit": 1000}),
        },
    )
    after_first = {"limit": 13, "iteratorType": "AFTER_SEQUENCE_NUMBER", "commitNum": 104, "opNum": 2}
    stream_stub.add_response("get_propertygraph_stream", page("social_page_2"), after_first)
    # Page 2's edges touch vertices created on page 1: one batched ~id lookup resolves them.
    reader_stub.add_response(
        "execute_open_cypher_query",
        {"results": [{"vertexId": v, "domainId": d} for v, d in sorted(DOMAIN_IDS.items())]},
        {"openCypherQuery": DOMAIN_IDS_QUERY, "parameters": json.dumps({"vertexIds": sorted(DOMAIN_IDS)})},
    )
    reader_stub.add_response("execute_open_cypher_query", *post_authors)
    stream_stub.add_client_error(
        "get_propertygraph_stream",
        service_error_code="StreamRecordsNotFoundException",
        http_status_code=404,
        expected_params={"limit": 13, "iteratorType": "AFTER_SEQUENCE_NUMBER", "commitNum": 107, "opNum": 2},
    )
    clock = Clock(T0 + 60_000)

    result = make_poller(aws, stream, clock, lookups=NeptuneLookups(reader)).run("run-1", lambda: 50_000)

    stream_stub.assert_no_pending_responses()
    reader_stub.assert_no_pending_responses()
    assert result.stopped_because == "no new records" and result.lag_ms == 0
    assert result.position == StreamPosition(107, 2)
    messages = drain(aws["sqs"], aws["queue_url"])
    summary = [
        (m["id"], m["kind"], m["recipientId"], m["actorId"], m.get("postId"), m.get("commentId")) for m in messages
    ]
    assert sorted(summary) == sorted(
        [
            ("102:1", "NEW_FOLLOWER", "sub-ada", "sub-bob", None, None),
            ("103:4:sub-bob", "NEW_POST", "sub-bob", "sub-ada", "post-1", None),
            ("104:1", "POST_LIKED", "sub-ada", "sub-bob", "post-1", None),
            ("105:4", "POST_COMMENTED", "sub-ada", "sub-bob", "post-1", "comment-1"),
        ]
    ), "domain ids only; unfollow (REMOVE) and liking your own post notify nobody"
    assert all(m["_group"] == m["recipientId"] and m["_dedupe"] == m["id"] for m in messages)
    assert next(m for m in messages if m["id"] == "102:1")["createdAt"] == "2026-01-01T00:00:02.000Z"
    item = checkpoint_item(aws)
    assert (item["commitNum"]["N"], item["opNum"]["N"]) == ("107", "2")
    assert "leaseOwner" not in item, "the lease is released at the end of the run"


class NothingFound:
    """The reader knows none of the vertices: they were deleted before the poller ran."""

    def domain_ids(self, vertex_ids: Any) -> dict[str, str]:
        return {}

    def post_authors(self, post_ids: Any) -> dict[str, str]:
        return {}

    def followers(self, author_ids: Any) -> dict[str, list[str]]:
        return {}


def test_an_edge_whose_vertices_are_gone_notifies_nobody() -> None:
    # Page 2 creates none of the vertices its edges touch; with them gone there is nobody
    # to name, and a ~id must never stand in for a Cognito sub.
    transactions = complete_transactions(StreamPage.parse(page("social_page_2")).records)
    assert map_transactions(transactions, NothingFound()) == []


def test_checkpoint_does_not_move_when_the_send_fails(aws: dict[str, Any]) -> None:
    stream, stub = neptune("writer")
    stub.add_response("get_propertygraph_stream", page("social_page_1"), {"limit": 13, "iteratorType": "TRIM_HORIZON"})
    sqs, sqs_stub = aws["sqs"], Stubber(aws["sqs"])
    sqs_stub.add_response(
        "send_message_batch",
        {"Successful": [], "Failed": [{"Id": "0", "SenderFault": False, "Code": "InternalError"}]},
    )
    with sqs_stub, pytest.raises(SendError, match="SQS rejected 1 of"):
        make_poller(aws, stream, Clock(T0)).run("run-1", lambda: 50_000)
    item = checkpoint_item(aws)
    assert "commitNum" not in item, "no checkpoint before a successful send"
    assert "leaseOwner" not in item
    assert sqs is aws["sqs"]


class CrashOnce:
    """Wraps the real store: the first ``advance`` dies as if the function timed out."""

    def __init__(self, inner: DynamoDBCheckpointStore) -> None:
        self.inner = inner
        self.crashed = False

    def acquire(self, owner: str, **kwargs: Any) -> Any:
        return self.inner.acquire(owner, **kwargs)

    def advance(self, owner: str, position: StreamPosition, **kwargs: Any) -> None:
        if not self.crashed:
            self.crashed = True
            raise TimeoutError("crash between send and checkpoint")
        self.inner.advance(owner, position, **kwargs)

    def release(self, owner: str) -> None:
        self.inner.release(owner)


class RecordingSink:
    def __init__(self, inner: SqsFifoSink) -> None:
        self.inner = inner
        self.dedupe_ids: list[list[str]] = []

    def send(self, events: Any) -> None:
        self.dedupe_ids.append([event.id for event in events])
        self.inner.send(events)


def test_crash_between_send_and_checkpoint_resends_the_same_dedup_ids(aws: dict[str, Any]) -> None:
    stream, stub = neptune("writer")
    for _ in range(2):
        stub.add_response(
            "get_propertygraph_stream", page("social_page_1"), {"limit": 13, "iteratorType": "TRIM_HORIZON"}
        )
    stub.add_client_error(
        "get_propertygraph_stream", service_error_code="StreamRecordsNotFoundException", http_status_code=404
    )
    sink = RecordingSink(SqsFifoSink(aws["sqs"], aws["queue_url"]))
    clock = Clock(T0)
    poller = make_poller(aws, stream, clock, sink=sink)
    poller._store = CrashOnce(DynamoDBCheckpointStore(aws["dynamodb"], TABLE))

    with pytest.raises(TimeoutError):
        poller.run("run-1", lambda: 50_000)
    assert "commitNum" not in checkpoint_item(aws)
    clock.now += 60_000
    poller.run("run-2", lambda: 50_000)

    first, second = sink.dedupe_ids
    assert first == second == ["102:1", "103:4:sub-bob", "103:4:sub-carol", "104:1"]
    messages = drain(aws["sqs"], aws["queue_url"])
    assert sorted(m["_dedupe"] for m in messages) == sorted(first), "SQS FIFO dropped the re-sent duplicates"
    assert checkpoint_item(aws)["commitNum"]["N"] == "104"


def test_two_pollers_never_hold_the_lease_together(aws: dict[str, Any]) -> None:
    store = DynamoDBCheckpointStore(aws["dynamodb"], TABLE)
    assert store.acquire("a", now_ms=1_000, lease_ms=60_000) is not None
    assert store.acquire("b", now_ms=2_000, lease_ms=60_000) is None, "held and not expired"
    assert store.acquire("a", now_ms=3_000, lease_ms=60_000) is not None, "the holder may renew"
    store.advance("a", StreamPosition(5, 1), commit_timestamp_ms=1, now_ms=4_000, lease_ms=60_000)
    # a stalls past its lease; b takes over, and a can no longer move the checkpoint
    taken = store.acquire("b", now_ms=64_001, lease_ms=60_000)
    assert taken is not None and taken.position == StreamPosition(5, 1)
    with pytest.raises(LeaseLostError):
        store.advance("a", StreamPosition(9, 1), commit_timestamp_ms=1, now_ms=64_002, lease_ms=60_000)
    store.release("a")  # not a's to release: b keeps it
    assert store.acquire("a", now_ms=64_003, lease_ms=60_000) is None
    assert checkpoint_item(aws)["commitNum"]["N"] == "5"


def test_a_second_poller_backs_off_while_the_lease_is_held(aws: dict[str, Any]) -> None:
    DynamoDBCheckpointStore(aws["dynamodb"], TABLE).acquire("other", now_ms=T0, lease_ms=60_000)
    stream, stub = neptune("writer")  # no responses: the stream must not be read
    result = make_poller(aws, stream, Clock(T0 + 1)).run("run-1", lambda: 50_000)
    assert not result.leased and result.stopped_because == "another poller holds the lease"
    stub.assert_no_pending_responses()
    assert checkpoint_item(aws)["leaseOwner"]["S"] == "other"


def test_expired_stream_raises_and_never_skips_ahead(aws: dict[str, Any]) -> None:
    store = DynamoDBCheckpointStore(aws["dynamodb"], TABLE)
    store.acquire("seed", now_ms=0, lease_ms=1)
    store.advance("seed", StreamPosition(42, 3), commit_timestamp_ms=1, now_ms=0, lease_ms=1)
    stream, stub = neptune("writer")
    stub.add_client_error(
        "get_propertygraph_stream",
        service_error_code="ExpiredStreamException",
        http_status_code=400,
        expected_params={"limit": 13, "iteratorType": "AFTER_SEQUENCE_NUMBER", "commitNum": 42, "opNum": 3},
    )
    with pytest.raises(StreamExpiredError, match="after 42:3 have expired"):
        make_poller(aws, stream, Clock(T0)).run("run-1", lambda: 50_000)
    item = checkpoint_item(aws)
    assert (item["commitNum"]["N"], item["opNum"]["N"]) == ("42", "3"), "no silent jump to LATEST"


def test_throttling_backs_off_then_continues(aws: dict[str, Any]) -> None:
    stream, stub = neptune("writer")
    stub.add_client_error("get_propertygraph_stream", service_error_code="ThrottlingException", http_status_code=500)
    stub.add_client_error(
        "get_propertygraph_stream", service_error_code="TooManyRequestsException", http_status_code=429
    )
    stub.add_response("get_propertygraph_stream", page("social_page_1"))
    stub.add_client_error(
        "get_propertygraph_stream", service_error_code="StreamRecordsNotFoundException", http_status_code=404
    )
    clock = Clock(T0)
    result = make_poller(aws, stream, clock).run("run-1", lambda: 50_000)
    assert result.throttled == 2 and result.events == 4
    assert len(clock.sleeps) == 2 and clock.sleeps[0] <= 0.2 < clock.sleeps[1] + 0.2 and clock.sleeps[1] <= 0.4


def test_persistent_throttling_ends_the_run_without_losing_the_position(aws: dict[str, Any]) -> None:
    stream, stub = neptune("writer")
    for _ in range(3):
        stub.add_client_error(
            "get_propertygraph_stream", service_error_code="ThrottlingException", http_status_code=500
        )
    result = make_poller(aws, stream, Clock(T0), max_throttle_retries=2).run("run-1", lambda: 50_000)
    assert result.stopped_because == "throttled" and result.throttled == 3
    assert "commitNum" not in checkpoint_item(aws)


def test_a_transaction_larger_than_the_page_is_read_whole(aws: dict[str, Any]) -> None:
    records = page("social_page_2")["records"][:3]  # transaction 105 without its last operation
    partial = {**page("social_page_2"), "records": records, "totalRecords": 3}
    stream, stub = neptune("writer")
    stub.add_response("get_propertygraph_stream", partial, {"limit": 13, "iteratorType": "TRIM_HORIZON"})
    stub.add_response("get_propertygraph_stream", page("social_page_2"), {"limit": 26, "iteratorType": "TRIM_HORIZON"})
    stub.add_client_error(
        "get_propertygraph_stream", service_error_code="StreamRecordsNotFoundException", http_status_code=404
    )
    result = make_poller(aws, stream, Clock(T0)).run("run-1", lambda: 50_000)
    assert result.transactions == 3 and result.position == StreamPosition(107, 2)


def test_stops_starting_pages_when_time_runs_out(aws: dict[str, Any]) -> None:
    stream, stub = neptune("writer")
    stub.add_response("get_propertygraph_stream", page("social_page_1"))
    remaining = iter([50_000, 50_000, 50_000, 5_000])
    result = make_poller(aws, stream, Clock(T0)).run("run-1", lambda: next(remaining))
    assert result.stopped_because == "time is up" and result.position == StreamPosition(104, 2)
    stub.assert_no_pending_responses()


def test_handler_publishes_lag_and_counts(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stream, stub = neptune("writer")
    stub.add_response("get_propertygraph_stream", page("social_page_1"))
    stub.add_client_error("get_propertygraph_stream", service_error_code="ThrottlingException", http_status_code=500)
    monkeypatch.setattr(app, "_poller", lambda: make_poller(aws, stream, Clock(T0 + 9_000), max_throttle_retries=0))

    response = app.handler({"source": "aws.scheduler"}, FakeContext())

    assert response["stoppedBecause"] == "throttled"
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    (emf,) = metrics
    assert metric(emf, "RecordsProcessed") == 12 and metric(emf, "StreamThrottled") == 1
    assert metric(emf, "EventsSent") == 4 and metric(emf, "LeaseBusy") == 0
    assert metric(emf, "StreamLagMs") == 9_000 - 4_000, "now minus the last record's commit time"


def test_handler_emits_stream_expired_metric_and_fails(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stream, stub = neptune("writer")
    stub.add_client_error("get_propertygraph_stream", service_error_code="ExpiredStreamException", http_status_code=400)
    monkeypatch.setattr(app, "_poller", lambda: make_poller(aws, stream, Clock(T0)))
    with pytest.raises(StreamExpiredError):
        app.handler({}, FakeContext())
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(metric(m, "StreamExpired") == 1 for m in emf)


#: The poller's timeline settings (components/timelines.py renders them).
TIMELINE_VARIABLES = {
    "TIMELINE_TABLE": "timelines",
    "FAN_IN_THRESHOLD": "10000",
    "TIMELINE_BACKFILL_POSTS": "20",
    "TIMELINE_ENTRY_TTL_DAYS": "30",
}


def test_environment_is_parsed_once_into_clients(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHECKPOINT_TABLE", TABLE)
    monkeypatch.setenv("QUEUE_URL", aws["queue_url"])
    monkeypatch.setenv("NEPTUNE_WRITER_ENDPOINT", "writer.example")
    monkeypatch.setenv("NEPTUNE_READER_ENDPOINT", "reader.example")
    monkeypatch.setenv("NEPTUNE_PORT", "8182")
    monkeypatch.setenv("STREAM_PAGE_LIMIT", "1000")
    for name, value in TIMELINE_VARIABLES.items():
        monkeypatch.setenv(name, value)
    app._poller.cache_clear()
    assert app._poller() is app._poller()
    app._poller.cache_clear()


def test_lookups_read_the_writer_that_serves_the_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    """A replica lags the writer: a vertex named by a record committed moments ago may not
    be on a reader yet, and the poller would drop that notification as "vertex gone". So
    the lookups go to the same (writer) endpoint the stream is read from."""
    from shared.environment import StreamPollerEnvironment
    from stream_poller import handler as poller_handler

    aws_env(monkeypatch, "stream_poller")
    variables = {
        "CHECKPOINT_TABLE": "checkpoints",
        "QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/events.fifo",
        "NEPTUNE_WRITER_ENDPOINT": "writer.cluster-x.eu-west-1.neptune.amazonaws.com",
        "NEPTUNE_READER_ENDPOINT": "reader.cluster-ro-x.eu-west-1.neptune.amazonaws.com",
        "NEPTUNE_PORT": "8182",
        "STREAM_PAGE_LIMIT": "1000",
        **TIMELINE_VARIABLES,
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    env = StreamPollerEnvironment.from_environment(variables)
    endpoints: list[str] = []
    real_client = boto3.client

    def client(service: str, **kwargs: Any) -> Any:
        if service == "neptunedata":
            endpoints.append(kwargs["endpoint_url"])
        return real_client(service, **kwargs)

    monkeypatch.setattr(boto3, "client", client)  # the handler calls boto3.client(...)
    poller_handler._poller.cache_clear()
    try:
        poller_handler._poller()
    finally:
        poller_handler._poller.cache_clear()
    assert endpoints and set(endpoints) == {env.neptune.writer_url}
