"""The timeline writer under stream records graph_api never writes: a post whose id or time
is malformed, or a follow between vertices that are not users' ids, is skipped (nothing
written, nothing raised), so such a record cannot stop the poller's checkpoint behind it."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pytest

from tests.realtime_support import add_function_paths

add_function_paths()

from shared.graph.timelines import Entry  # noqa: E402
from stream_poller.records import ChangeRecord, StreamPosition, Transaction  # noqa: E402
from stream_poller.timeline import TimelineSettings, TimelineWriter  # noqa: E402

ADA = "0b0e2c4a-7c1f-4c55-9a39-6a1d2b3c4d5e"
BOB = "1c1f3d5b-8d20-4d66-8b4a-7b2e3c4d5e6f"
POST = "2d204e6c-9e31-4e77-9c5b-8c3f4d5e6f70"
GOOD_TIME = "2025-01-01T00:00:01.000Z"


class Store:
    def __init__(self) -> None:
        self.puts: list[Entry] = []
        self.deletes: list[tuple[str, str]] = []

    def write(self, puts: Any, deletes: Any, *, ttl_days: int) -> int:
        self.puts += list(puts)
        self.deletes += list(deletes)
        return len(self.puts) + len(self.deletes)

    def entries_by(self, partition: str, author_id: str) -> list[str]:
        return []


class Lookups:
    def __init__(self, ids: dict[str, str]) -> None:
        self.ids = ids

    def domain_ids(self, vertex_ids: Collection[str]) -> dict[str, str]:
        return {v: self.ids[v] for v in vertex_ids if v in self.ids}

    def followers_since(self, author_ids: Collection[str]) -> dict[str, list[tuple[str, str]]]:
        return {author: [(BOB, "2024-01-01T00:00:00.000Z")] for author in author_ids}

    def follower_counts(self, author_ids: Collection[str]) -> dict[str, int]:
        return dict.fromkeys(author_ids, 1)

    def posts(self, post_ids: Collection[str]) -> dict[str, tuple[str, str]]:
        return {}

    def recent_posts(self, author_id: str, limit: int) -> list[tuple[str, str]]:
        return [("not-a-uuid", GOOD_TIME), (POST, "last tuesday")]


def _transaction(*records: dict[str, Any]) -> Transaction:
    parsed = tuple(
        ChangeRecord(position=StreamPosition(7, n), commit_timestamp_ms=0, is_last_op=n == len(records), **r)
        for n, r in enumerate(records, start=1)
    )
    return Transaction(commit_num=7, records=parsed)


def _post(post_id: Any, created_at: Any) -> Transaction:
    return _transaction(
        {"op": "ADD", "element_id": "p", "type": "vp", "key": "id", "value": post_id},
        {"op": "ADD", "element_id": "p", "type": "vp", "key": "createdAt", "value": created_at},
        {"op": "ADD", "element_id": "e", "type": "e", "key": "label", "value": "POSTED", "from_id": "a", "to_id": "p"},
    )


def _writer(ids: dict[str, str]) -> tuple[TimelineWriter, Store]:
    store = Store()
    settings = TimelineSettings(fan_in_threshold=10, backfill_posts=5, entry_ttl_days=30)
    return TimelineWriter(store, Lookups(ids), settings), store  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("post_id", "created_at"),
    [
        ("../../etc", GOOD_TIME),
        (POST, "yesterday"),
        (POST, f"{GOOD_TIME}\n"),
        ("x" * 5000, GOOD_TIME),
    ],
    ids=["path-like id", "not a timestamp", "trailing newline", "huge id"],
)
def test_a_post_with_a_malformed_id_or_time_is_skipped(post_id: str, created_at: str) -> None:
    writer, store = _writer({"a": ADA})
    assert writer.apply([_post(post_id, created_at)]).puts == 0
    assert store.puts == [] and store.deletes == []


def test_the_same_post_well_formed_is_fanned_out() -> None:
    """The control: what the cases above break is the id or the time, nothing else."""
    writer, store = _writer({"a": ADA})
    writer.apply([_post(POST, GOOD_TIME)])
    assert sorted(entry.partition for entry in store.puts) == sorted([f"posts#{ADA}", BOB])


def test_a_follow_of_a_non_user_or_a_malformed_backfill_writes_nothing() -> None:
    follow = {"op": "ADD", "element_id": "f", "type": "e", "key": "label", "value": "FOLLOWS"}
    writer, store = _writer({"u": BOB, "x": "not-a-sub"})
    writer.apply([_transaction({**follow, "from_id": "u", "to_id": "x"})])
    assert store.puts == []
    writer, store = _writer({"u": BOB, "a": ADA})
    writer.apply([_transaction({**follow, "from_id": "u", "to_id": "a"})])
    assert store.puts == [], "the followee's posts came back with a malformed id and time: none is copied"
