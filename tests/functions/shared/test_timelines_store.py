"""The timeline store (shared.graph.timelines): keyset pages from DynamoDB, merged without gaps or repeats."""

from __future__ import annotations

import random
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.realtime_support import REGION, add_function_paths

add_function_paths()

from shared.graph.cursors import Position  # noqa: E402
from shared.graph.repository import PageRows  # noqa: E402
from shared.graph.timelines import (  # noqa: E402
    DynamoDBTimelines,
    Entry,
    TimelineWriteError,
    entry_key,
    expires_at,
    merge_pages,
)

TABLE = "store-timelines"


def _stamp(second: int) -> str:
    return f"2025-01-01T00:{second // 60:02d}:{second % 60:02d}.000Z"


def _page(rows: list[dict[str, str]], position: Position | None, limit: int) -> PageRows:
    """What one partition's Query returns: its rows after the position, newest first, limit + 1."""
    ordered = sorted(rows, key=lambda r: (r["createdAt"], r["id"]), reverse=True)
    if position is not None:
        ordered = [r for r in ordered if (r["createdAt"], r["id"]) < (position.created_at, position.id)]
    return PageRows(rows=ordered[:limit], has_next=len(ordered) > limit)


@pytest.mark.parametrize("seed", range(25))
def test_paging_the_merge_yields_every_post_once_newest_first(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - reproducible cases, not security
    posts = [{"id": f"{i:08d}-0000-4000-8000-000000000000", "createdAt": _stamp(rng.randrange(40))} for i in range(60)]
    # A post may be in several partitions (fanned out, and in its author's outbox).
    partitions = [[p for p in posts if rng.random() < 0.4] for _ in range(rng.randint(1, 4))]
    expected = sorted(
        {p["id"]: p for part in partitions for p in part}.values(), key=lambda r: (r["createdAt"], r["id"])
    )
    limit = rng.randint(1, 7)
    seen: list[dict[str, str]] = []
    position: Position | None = None
    for _ in range(200):
        page = merge_pages([_page(part, position, limit) for part in partitions], limit)
        assert len(page.rows) <= limit
        seen += page.rows
        if not page.has_next:
            break
        position = Position(page.rows[-1]["createdAt"], page.rows[-1]["id"])
    assert seen == expected[::-1]


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TIMELINE_TABLE", TABLE)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "userId", "KeyType": "HASH"}, {"AttributeName": "entry", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "userId", "AttributeType": "S"},
                {"AttributeName": "entry", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield DynamoDBTimelines(client, TABLE), client


def test_a_page_is_one_partition_newest_first_strictly_after_the_cursor(store: Any) -> None:
    timelines, client = store
    entries = [Entry(partition="reader", post_id=f"p{i}", author_id="a", created_at=_stamp(i)) for i in range(30)]
    other = Entry(partition="someone-else", post_id="x", author_id="a", created_at=_stamp(59))
    assert timelines.write([*entries, other], [], ttl_days=30) == 31  # two BatchWriteItem calls of at most 25
    first = timelines.page("reader", None, 10)
    assert [r["id"] for r in first.rows] == [f"p{i}" for i in range(29, 19, -1)] and first.has_next
    last = Position(first.rows[-1]["createdAt"], first.rows[-1]["id"])
    second = timelines.page("reader", last, 25)
    assert [r["id"] for r in second.rows] == [f"p{i}" for i in range(19, -1, -1)] and not second.has_next
    item = client.get_item(TableName=TABLE, Key={"userId": {"S": "reader"}, "entry": {"S": entry_key(_stamp(3), "p3")}})
    # The TTL is the post's time plus the entry TTL: a feed covers that many days.
    assert int(item["Item"]["expiresAt"]["N"]) == expires_at(_stamp(3), 30) == 1_735_689_603 + 30 * 86_400


def test_an_authors_entries_are_found_for_an_unfollow(store: Any) -> None:
    timelines, _ = store
    timelines.write(
        [
            Entry(partition="r", post_id=f"p{i}", author_id="ada" if i % 2 else "bob", created_at=_stamp(i))
            for i in range(8)
        ],
        [],
        ttl_days=30,
    )
    assert sorted(timelines.entries_by("r", "ada")) == sorted(entry_key(_stamp(i), f"p{i}") for i in (1, 3, 5, 7))
    timelines.write([], [("r", key) for key in timelines.entries_by("r", "ada")], ttl_days=30)
    assert timelines.entries_by("r", "ada") == [] and len(timelines.entries_by("r", "bob")) == 4


class Throttled:
    """BatchWriteItem that leaves ``refusals`` responses' worth of items unprocessed."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.calls: list[int] = []

    def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        requests = RequestItems[TABLE]
        self.calls.append(len(requests))
        if self.refusals:
            self.refusals -= 1
            return {"UnprocessedItems": {TABLE: requests[1:] or requests}}
        return {"UnprocessedItems": {}}


def test_unprocessed_items_are_retried_and_a_persistent_refusal_raises() -> None:
    entries = [Entry(partition="r", post_id=f"p{i}", author_id="a", created_at=_stamp(i)) for i in range(3)]
    client = Throttled(refusals=2)
    DynamoDBTimelines(client, TABLE, sleep=lambda _: None).write(entries, [], ttl_days=1)
    assert client.calls == [3, 2, 1], "only what DynamoDB left unprocessed is sent again"
    with pytest.raises(TimelineWriteError):
        DynamoDBTimelines(Throttled(refusals=99), TABLE, sleep=lambda _: None, max_attempts=3).write(
            entries, [], ttl_days=1
        )
