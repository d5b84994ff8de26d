"""The lease and checkpoint: one DynamoDB item, changed only by conditional writes.

``acquire`` succeeds when nobody holds the lease, it has expired, or the caller already
holds it. ``advance`` succeeds only while the caller still holds it (the lease owner is
the fencing token), so a poller that lost its lease can never move the checkpoint.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Protocol

from stream_poller.records import PoisonRecord, StreamPosition


class LeaseLostError(RuntimeError):
    """Another poller took the lease: stop without moving the checkpoint."""


@dataclass(frozen=True, kw_only=True)
class Checkpoint:
    #: None before the first successful run: read from TRIM_HORIZON.
    position: StreamPosition | None
    last_commit_timestamp_ms: int | None = None


class CheckpointStore(Protocol):
    def acquire(self, owner: str, *, now_ms: int, lease_ms: int) -> Checkpoint | None:
        """The checkpoint if ``owner`` now holds the lease, None if another poller does."""
        ...

    def advance(
        self, owner: str, position: StreamPosition, *, commit_timestamp_ms: int, now_ms: int, lease_ms: int
    ) -> None:
        """Move the checkpoint (and extend the lease); raises LeaseLostError if ``owner`` lost it."""
        ...

    def release(self, owner: str) -> None: ...


class DynamoDBCheckpointStore:
    """``{id, leaseOwner, leaseExpiresAt, commitNum, opNum, lastCommitTimestamp}`` in a table keyed on ``id``."""

    def __init__(self, client: Any, table_name: str, stream_name: str = "neptune-stream") -> None:
        self._client = client
        self._table = table_name
        self._key = {"id": {"S": stream_name}}

    def acquire(self, owner: str, *, now_ms: int, lease_ms: int) -> Checkpoint | None:
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression="SET leaseOwner = :owner, leaseExpiresAt = :expires",
                ConditionExpression="attribute_not_exists(leaseOwner) OR leaseExpiresAt < :now OR leaseOwner = :owner",
                ExpressionAttributeValues={
                    ":owner": {"S": owner},
                    ":expires": {"N": str(now_ms + lease_ms)},
                    ":now": {"N": str(now_ms)},
                },
                ReturnValues="ALL_NEW",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        item = response["Attributes"]
        if "commitNum" not in item:
            return Checkpoint(position=None)
        return Checkpoint(
            position=StreamPosition(int(item["commitNum"]["N"]), int(item["opNum"]["N"])),
            last_commit_timestamp_ms=int(item["lastCommitTimestamp"]["N"]) if "lastCommitTimestamp" in item else None,
        )

    def advance(
        self, owner: str, position: StreamPosition, *, commit_timestamp_ms: int, now_ms: int, lease_ms: int
    ) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression=(
                    "SET commitNum = :commit, opNum = :op, lastCommitTimestamp = :ts, "
                    "leaseExpiresAt = :expires, updatedAt = :now"
                ),
                ConditionExpression="leaseOwner = :owner",
                ExpressionAttributeValues={
                    ":owner": {"S": owner},
                    ":commit": {"N": str(position.commit_num)},
                    ":op": {"N": str(position.op_num)},
                    ":ts": {"N": str(commit_timestamp_ms)},
                    ":expires": {"N": str(now_ms + lease_ms)},
                    ":now": {"N": str(now_ms)},
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            raise LeaseLostError(f"lease lost before checkpointing {position}") from None

    def release(self, owner: str) -> None:
        # A failed condition means someone else holds it now: nothing of ours to release.
        with contextlib.suppress(self._client.exceptions.ConditionalCheckFailedException):
            self._client.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression="REMOVE leaseOwner, leaseExpiresAt",
                ConditionExpression="leaseOwner = :owner",
                ExpressionAttributeValues={":owner": {"S": owner}},
            )


class ParkedRecordStore(Protocol):
    def park(self, record: PoisonRecord, *, now_ms: int) -> None:
        """Record ``record`` durably; the poller skips it only after this returned."""
        ...


class DynamoDBParkedRecords:
    """Poison stream records as items ``parked#<commitNum>:<opNum>`` (or ``parked#sha256:…``
    when the record has no readable position) in the checkpoint table: no new table, and
    the poller's grant (UpdateItem on that table) already covers it.

    ``{id, raw, reason, position, firstParkedAt, lastParkedAt, timesParked}``; README
    "Poison stream records" says how an operator replays one.
    """

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def park(self, record: PoisonRecord, *, now_ms: int) -> None:
        self._client.update_item(
            TableName=self._table,
            Key={"id": {"S": record.key}},
            UpdateExpression=(
                "SET #raw = :raw, reason = :reason, #position = :position, lastParkedAt = :now, "
                "firstParkedAt = if_not_exists(firstParkedAt, :now) ADD timesParked :one"
            ),
            ExpressionAttributeNames={"#raw": "raw", "#position": "position"},
            ExpressionAttributeValues={
                ":raw": {"S": record.raw or "(empty)"},
                ":reason": {"S": record.reason or "(no reason)"},
                ":position": {"S": str(record.position) if record.position else "unknown"},
                ":now": {"N": str(now_ms)},
                ":one": {"N": "1"},
            },
        )
