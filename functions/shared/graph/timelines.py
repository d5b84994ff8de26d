"""The home-feed timeline store (DynamoDB): written by the stream poller, read by graph_api.

One table (``components/timelines.py``), two kinds of partition (``userId``):

- ``<userId>``: the user's **timeline**, one entry per post of an account they follow that
  was fanned out to them (accounts at or below the fan-in threshold);
- ``posts#<authorId>``: the author's **outbox**, one entry per post of theirs; the feed
  reads it on fan-in for followed accounts above the threshold.

The sort key ``entry`` is ``<createdAt>#<postId>``: ``createdAt`` is ISO-8601 UTC with
milliseconds (fixed width, so lexical order is time order) and the post id breaks ties, the
same (``createdAt``, ``id``) keyset order as :mod:`shared.graph.cursors`. A page after a
cursor is one ``Query`` with ``entry < "<createdAt>#<id>"``, newest first
("Query operations in DynamoDB": a key condition on the sort key reads only the matching
range of one partition, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.html).

``expiresAt`` (epoch seconds: the post's time plus the entry TTL) is the table's TTL
attribute ("Using time to live (TTL) in DynamoDB",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from shared.graph.cursors import Position
from shared.graph.repository import PageRows

OUTBOX_PREFIX = "posts#"
SEPARATOR = "#"
#: BatchWriteItem's limit per request.
BATCH = 25


def outbox(author_id: str) -> str:
    """The partition holding every post of ``author_id`` (read on fan-in)."""
    return OUTBOX_PREFIX + author_id


def entry_key(created_at: str, post_id: str) -> str:
    return f"{created_at}{SEPARATOR}{post_id}"


def expires_at(created_at: str, ttl_days: int) -> int:
    """Epoch seconds when an entry for a post made at ``created_at`` expires."""
    posted = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    return int(posted.timestamp()) + ttl_days * 86_400


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One post in one partition (a follower's timeline or its author's outbox)."""

    partition: str
    post_id: str
    author_id: str
    created_at: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.partition, entry_key(self.created_at, self.post_id))


class TimelineReader(Protocol):
    def page(self, partition: str, position: Position | None, limit: int) -> PageRows:
        """Up to ``limit`` rows (``id``, ``createdAt``) after ``position``, newest first."""
        ...


class DynamoDBTimelines:
    """The store over a low-level ``dynamodb`` client (boto3 ships no types: ``Any``)."""

    def __init__(
        self,
        client: Any,
        table: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 6,
    ) -> None:
        self._client = client
        self._table = table
        self._sleep = sleep
        self._max_attempts = max_attempts

    # -- reads (graph_api) --------------------------------------------------------------

    def page(self, partition: str, position: Position | None, limit: int) -> PageRows:
        values: dict[str, Any] = {":p": {"S": partition}}
        condition = "userId = :p"
        if position is not None:
            condition += " AND entry < :after"
            values[":after"] = {"S": entry_key(position.created_at, position.id)}
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ProjectionExpression="postId, createdAt",
            ScanIndexForward=False,
            # One extra row tells whether there is a next page, as the graph pages do.
            Limit=limit + 1,
        )
        rows = [{"id": item["postId"]["S"], "createdAt": item["createdAt"]["S"]} for item in response.get("Items", [])]
        return PageRows(rows=rows[:limit], has_next=len(rows) > limit)

    # -- writes (the stream poller) -----------------------------------------------------

    def entries_by(self, partition: str, author_id: str) -> list[str]:
        """The sort keys of ``author_id``'s entries in ``partition`` (an unfollow removes them)."""
        found: list[str] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "userId = :p",
            "FilterExpression": "authorId = :a",
            "ExpressionAttributeValues": {":p": {"S": partition}, ":a": {"S": author_id}},
            "ProjectionExpression": "entry",
        }
        while True:
            response = self._client.query(**request)
            found += [item["entry"]["S"] for item in response.get("Items", [])]
            last = response.get("LastEvaluatedKey")
            if not last:
                return found
            request["ExclusiveStartKey"] = last

    def write(self, puts: Iterable[Entry], deletes: Iterable[tuple[str, str]], *, ttl_days: int) -> int:
        """Puts and deletes (distinct keys), 25 per BatchWriteItem, unprocessed items retried
        with backoff; raises when DynamoDB keeps refusing (the checkpoint then stays)."""
        requests: list[dict[str, Any]] = [{"PutRequest": {"Item": _item(entry, ttl_days)}} for entry in puts] + [
            {"DeleteRequest": {"Key": {"userId": {"S": p}, "entry": {"S": e}}}} for p, e in deletes
        ]
        for chunk in _chunks(requests, BATCH):
            pending = chunk
            for attempt in range(self._max_attempts):
                response = self._client.batch_write_item(RequestItems={self._table: pending})
                pending = (response.get("UnprocessedItems") or {}).get(self._table) or []
                if not pending:
                    break
                self._sleep(min(2.0, 0.05 * 2**attempt))
            else:
                raise TimelineWriteError(f"DynamoDB left {len(pending)} timeline writes unprocessed")
        return len(requests)


class TimelineWriteError(RuntimeError):
    """Timeline writes DynamoDB did not accept: the checkpoint must not move."""


def _item(entry: Entry, ttl_days: int) -> Mapping[str, Any]:
    partition, sort_key = entry.key
    return {
        "userId": {"S": partition},
        "entry": {"S": sort_key},
        "postId": {"S": entry.post_id},
        "authorId": {"S": entry.author_id},
        "createdAt": {"S": entry.created_at},
        "expiresAt": {"N": str(expires_at(entry.created_at, ttl_days))},
    }


def _chunks[T](items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def merge_pages(pages: Sequence[PageRows], limit: int) -> PageRows:
    """One page from several keyset pages over the same order: newest first by
    (``createdAt``, ``id``), each post once, at most ``limit``.

    Nothing is skipped: a part returns its newest ``limit`` rows after the cursor, so any
    row it did not return is older than ``limit`` rows of that part alone and cannot be among
    the newest ``limit`` of the union. Stable across pages: every part is read strictly after
    the same cursor (this page's last row), so the next page neither repeats nor skips a row.
    A post in two parts (fanned out before its author crossed the threshold, and in the
    outbox) has the same key in both and is kept once.
    """
    rows: dict[str, dict[str, Any]] = {}
    for page in pages:
        for row in page.rows:
            rows.setdefault(row["id"], row)
    ordered = sorted(rows.values(), key=lambda row: (row["createdAt"], row["id"]), reverse=True)
    more = len(ordered) > limit or any(page.has_next for page in pages)
    return PageRows(rows=ordered[:limit], has_next=more)
