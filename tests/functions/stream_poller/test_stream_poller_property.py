"""No event is lost, whatever interrupts the poller: hypothesis over random streams and crashes.

In-memory fakes keep 1,000 interrupted runs fast: a DynamoDB client that evaluates the
store's conditional updates the way DynamoDB does (the condition and the update are one
atomic step; a failed condition changes nothing), a Neptune stream that pages by
``limit`` after a position, and a FIFO queue that drops a repeated deduplication id. A
crash is a process death: nothing the dead run would still do (its ``finally``, its
lease release) reaches the fakes.

Records follow Neptune's id semantics (shared.graph.model): a vertex is named by its
``~id`` (here ``v-`` + its domain id, so the two can never be mistaken for each other),
and a vertex created in a transaction carries its domain id as an ``id`` property.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.realtime_support import add_function_paths

add_function_paths()

from shared.graph.model import Edge, Key, Vertex  # noqa: E402
from stream_poller.checkpoint import DynamoDBCheckpointStore  # noqa: E402
from stream_poller.loop import Poller, PollerSettings  # noqa: E402
from stream_poller.mapping import map_transactions  # noqa: E402
from stream_poller.records import ChangeRecord, StreamPage, StreamPosition, complete_transactions  # noqa: E402
from stream_poller.stream import StreamThrottledError  # noqa: E402

USERS = [f"u{i}" for i in range(4)]
POSTS = {f"p{i}": USERS[i % len(USERS)] for i in range(4)}
FOLLOWERS = {"u0": ["u1", "u2"], "u1": ["u0"], "u2": [], "u3": ["u0", "u1", "u2"]}
INTERRUPTED_RUNS_PER_EXAMPLE = 10
EXAMPLES = 100  # x 10 interrupted runs = 1,000


class Crash(Exception):  # noqa: N818 - a simulated process death, not an error condition
    pass


class Faults:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.armed = False
        self.dead = False

    def maybe_crash(self) -> None:
        if self.dead:
            raise Crash("already dead")
        if self.armed and self.rng.random() < 0.15:
            self.dead = True
            raise Crash("process died")


class _ConditionalCheckFailedError(Exception):
    pass


class FakeDynamoDB:
    """Exactly the update_item calls DynamoDBCheckpointStore makes, with DynamoDB's semantics."""

    class exceptions:  # noqa: N801 - mirrors botocore's client.exceptions
        ConditionalCheckFailedException = _ConditionalCheckFailedError

    def __init__(self, faults: Faults) -> None:
        self.item: dict[str, dict[str, str]] = {}
        self.faults = faults

    def update_item(self, **call: Any) -> dict[str, Any]:
        self.faults.maybe_crash()  # before the write reaches DynamoDB
        values = {k: next(iter(v.values())) for k, v in call["ExpressionAttributeValues"].items()}
        item = self.item
        owner = item.get("leaseOwner", {}).get("S")
        expires = int(item["leaseExpiresAt"]["N"]) if "leaseExpiresAt" in item else None
        condition = call["ConditionExpression"]
        if condition.startswith("attribute_not_exists(leaseOwner)"):
            ok = owner is None or (expires is not None and expires < int(values[":now"])) or owner == values[":owner"]
        else:
            ok = owner == values[":owner"]
        if not ok:
            raise _ConditionalCheckFailedError()
        update = call["UpdateExpression"]
        if update.startswith("REMOVE"):
            item.pop("leaseOwner", None)
            item.pop("leaseExpiresAt", None)
        elif "commitNum" in update:
            item.update(
                commitNum={"N": values[":commit"]},
                opNum={"N": values[":op"]},
                lastCommitTimestamp={"N": values[":ts"]},
                leaseExpiresAt={"N": values[":expires"]},
            )
        else:
            item.update(leaseOwner={"S": values[":owner"]}, leaseExpiresAt={"N": values[":expires"]})
        self.faults.maybe_crash()  # after the write: the caller never learns it succeeded
        return {"Attributes": dict(item)}


class FakeStream:
    def __init__(self, records: Sequence[ChangeRecord], faults: Faults, rng: random.Random) -> None:
        self.records = list(records)
        self.faults = faults
        self.rng = rng

    def read(self, after: StreamPosition | None, limit: int) -> StreamPage:
        self.faults.maybe_crash()
        if self.faults.armed and self.rng.random() < 0.1:
            raise StreamThrottledError("ThrottlingException")
        start = (
            0
            if after is None
            else next((i for i, r in enumerate(self.records) if r.position > after), len(self.records))
        )
        return StreamPage(records=tuple(self.records[start : start + limit]))


class FakeFifoQueue:
    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.delivered: dict[str, str] = {}

    def send(self, events: Sequence[Any]) -> None:
        for event in events:
            self.faults.maybe_crash()  # a crash part-way through a batch
            self.delivered.setdefault(event.id, event.to_json())  # FIFO deduplication by id


class FixedLookups:
    def domain_ids(self, vertex_ids: Any) -> dict[str, str]:
        return {v: v.removeprefix("v-") for v in vertex_ids if v.startswith("v-")}

    def post_authors(self, post_ids: Any) -> dict[str, str]:
        return {p: POSTS[p] for p in post_ids if p in POSTS}

    def followers(self, author_ids: Any) -> dict[str, list[str]]:
        return {a: FOLLOWERS[a] for a in author_ids}


def _record(
    commit: int, op: int, typ: str, element: str, key: str, value: str, ends: tuple[str, str] | None = None
) -> ChangeRecord:
    return ChangeRecord(
        position=StreamPosition(commit, op),
        commit_timestamp_ms=1_000 * commit,
        op="ADD",
        element_id=element,
        type=typ,
        key=key,
        value=value,
        from_id=ends[0] if ends else None,
        to_id=ends[1] if ends else None,
    )


def _transaction(commit: int, action: tuple[str, int, int]) -> list[ChangeRecord]:
    kind, a, b = action
    user, other, post = f"v-{USERS[a % 4]}", f"v-{USERS[b % 4]}", f"v-p{b % 4}"
    if kind == "follow":
        records = [_record(commit, 1, "e", f"f{commit}", "label", Edge.FOLLOWS, (user, other))]
    elif kind == "like":
        records = [_record(commit, 1, "e", f"l{commit}", "label", Edge.LIKES, (user, post))]
    elif kind == "post":
        new_post = f"p{b % 4}"
        records = [
            _record(commit, 1, "vl", f"v-{new_post}", "label", Vertex.POST),
            _record(commit, 2, "vp", f"v-{new_post}", Key.DOMAIN_ID, new_post),
            _record(commit, 3, "e", f"posted{commit}", "label", Edge.POSTED, (f"v-{POSTS[new_post]}", f"v-{new_post}")),
        ]
    else:
        # Without the comment's post property: its post is the ON edge's target, resolved by ~id.
        comment = f"c{commit}"
        records = [
            _record(commit, 1, "vl", f"v-{comment}", "label", Vertex.COMMENT),
            _record(commit, 2, "vp", f"v-{comment}", Key.DOMAIN_ID, comment),
            _record(commit, 3, "e", f"w{commit}", "label", Edge.WROTE, (user, f"v-{comment}")),
            _record(commit, 4, "e", f"on{commit}", "label", Edge.ON, (f"v-{comment}", post)),
        ]
    last = records[-1]
    records[-1] = ChangeRecord(**{**last.__dict__, "is_last_op": True})
    return records


actions = st.tuples(st.sampled_from(["follow", "like", "post", "comment"]), st.integers(0, 3), st.integers(0, 3))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    transactions=st.lists(actions, min_size=1, max_size=25),
    page_limit=st.integers(1, 8),
    seed=st.integers(0, 2**32 - 1),
)
def test_no_event_is_lost_across_interrupted_runs(
    transactions: list[tuple[str, int, int]], page_limit: int, seed: int
) -> None:
    rng = random.Random(seed)  # noqa: S311 - reproducible fault injection
    records = [r for commit, action in enumerate(transactions, start=1) for r in _transaction(commit, action)]
    expected = {e.id: e.to_json() for e in map_transactions(complete_transactions(records), FixedLookups())}
    # The reference itself is not vacuous: a follow of someone else always notifies, and
    # events name people and posts by domain id, never by a vertex's ~id.
    assert expected or not any(kind == "follow" and a % 4 != b % 4 for kind, a, b in transactions)
    assert not any('"v-' in body for body in expected.values())

    faults = Faults(rng)
    dynamodb = FakeDynamoDB(faults)
    queue = FakeFifoQueue(faults)
    clock = {"now": 0}
    poller = Poller(
        store=DynamoDBCheckpointStore(dynamodb, "checkpoint"),
        stream=FakeStream(records, faults, rng),
        lookups=FixedLookups(),
        sink=queue,
        settings=PollerSettings(page_limit=page_limit, max_throttle_retries=1),
        now_ms=lambda: clock["now"],
        sleep=lambda _: None,
    )

    def run(number: int) -> str:
        faults.dead = False
        clock["now"] += 60_000  # the schedule: one run a minute
        try:
            return poller.run(f"run-{number}", lambda: 50_000).stopped_because
        except Crash:
            return "crashed"

    faults.armed = True
    for number in range(INTERRUPTED_RUNS_PER_EXAMPLE):
        run(number)
    faults.armed = False
    outcome, number = "", INTERRUPTED_RUNS_PER_EXAMPLE
    while outcome != "no new records":
        outcome = run(number)
        number += 1
        assert number < INTERRUPTED_RUNS_PER_EXAMPLE + 2 * len(records) + 5, "the poller stopped making progress"

    assert queue.delivered == expected, "every event exactly once after deduplication, none invented"
    assert dynamodb.item["commitNum"]["N"] == str(records[-1].position.commit_num)
