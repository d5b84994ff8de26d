"""PG_JSON stream records (the ``get_propertygraph_stream`` response) as typed values."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: The raw record is stored with its reason; DynamoDB items are at most 400 KB.
MAX_PARKED_RAW_CHARS = 64_000

#: The ``type`` given to a record whose position is known but whose content is not: it
#: keeps its place in its transaction (so the checkpoint can move past it) and matches
#: no notification rule.
POISON_TYPE = "poison"


class RecordError(ValueError):
    """A stream record this poller cannot interpret."""


@dataclass(frozen=True, order=True)
class StreamPosition:
    """A stream event id: the transaction (``commitNum``) and the operation in it (``opNum``)."""

    commit_num: int
    op_num: int

    def __str__(self) -> str:
        return f"{self.commit_num}:{self.op_num}"


@dataclass(frozen=True, kw_only=True)
class ChangeRecord:
    """One PG_JSON record. ``type``: vl (vertex label), vp (vertex property), e (edge), ep (edge property)."""

    position: StreamPosition
    commit_timestamp_ms: int
    op: str
    element_id: str
    type: str
    key: str
    value: Any
    from_id: str | None = None
    to_id: str | None = None
    is_last_op: bool = False

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> ChangeRecord:
        """Raises RecordError for anything not shaped like a PG_JSON record."""
        try:
            record = cls._parse(raw)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
            raise RecordError(f"{type(error).__name__}: {error}"[:500]) from None
        for name in ("element_id", "type", "key", "op"):
            if not getattr(record, name):
                raise RecordError(f"{name} is empty")
        if record.from_id is not None and not isinstance(record.from_id, str):
            raise RecordError("data.from is not a string")
        if record.to_id is not None and not isinstance(record.to_id, str):
            raise RecordError("data.to is not a string")
        return record

    @classmethod
    def _parse(cls, raw: Mapping[str, Any]) -> ChangeRecord:
        if not isinstance(raw, Mapping):
            raise TypeError("record is not an object")
        data = raw["data"]
        if not isinstance(data, Mapping):
            raise TypeError("data is not an object")
        value = data.get("value")
        return cls(
            position=position_of(raw),
            commit_timestamp_ms=_int(raw["commitTimestampInMillis"], "commitTimestampInMillis"),
            op=str(raw["op"]),
            element_id=str(data["id"]),
            type=str(data["type"]),
            key=str(data["key"]),
            value=value.get("value") if isinstance(value, Mapping) else value,
            from_id=data.get("from"),
            to_id=data.get("to"),
            is_last_op=bool(raw.get("isLastOp", False)),
        )


@dataclass(frozen=True, kw_only=True)
class Transaction:
    """Every record of one commit, in operation order."""

    commit_num: int
    records: tuple[ChangeRecord, ...]

    @property
    def last_position(self) -> StreamPosition:
        return self.records[-1].position

    @property
    def commit_timestamp_ms(self) -> int:
        return self.records[-1].commit_timestamp_ms

    def added_edges(self, label: str) -> list[ChangeRecord]:
        return [r for r in self.records if r.op == "ADD" and r.type == "e" and r.value == label]

    def vertex_property(self, element_id: str, key: str) -> Any:
        for record in self.records:
            if record.op == "ADD" and record.type == "vp" and record.element_id == element_id and record.key == key:
                return record.value
        return None


def _int(value: Any, name: str) -> int:
    # bool is an int in Python and a float would be truncated silently: neither is a stream number.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"{name} is not an integer")
    number = int(value)  # ValueError for "abc"; Neptune sends numbers as strings or integers
    if number < 0:
        raise ValueError(f"{name} is negative")
    return number


def position_of(raw: Any) -> StreamPosition:
    """The record's ``eventId``; raises KeyError/TypeError/ValueError when it has none."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("eventId"), Mapping):
        raise TypeError("eventId is not an object")
    event_id = raw["eventId"]
    return StreamPosition(_int(event_id["commitNum"], "commitNum"), _int(event_id["opNum"], "opNum"))


@dataclass(frozen=True, kw_only=True)
class PoisonRecord:
    """A record parked instead of mapped: what it was, why, and where it sat (when known)."""

    raw: str
    reason: str
    position: StreamPosition | None

    @property
    def key(self) -> str:
        """Stable across re-reads, so parking the same record twice writes one item."""
        if self.position is not None:
            return f"parked#{self.position}"
        return "parked#sha256:" + hashlib.sha256(self.raw.encode("utf-8", "surrogatepass")).hexdigest()


def _raw_text(raw: Any) -> str:
    try:
        text = json.dumps(raw, sort_keys=True, default=repr)
    except (TypeError, ValueError, RecursionError):
        text = repr(raw)
    return text[:MAX_PARKED_RAW_CHARS]


@dataclass(frozen=True, kw_only=True)
class StreamPage:
    records: tuple[ChangeRecord, ...]
    poison: tuple[PoisonRecord, ...] = ()
    #: The response's ``lastEventId`` when readable: where to resume when a page holds
    #: nothing but records without a position of their own.
    last_event: StreamPosition | None = None

    @classmethod
    def parse(cls, response: Mapping[str, Any]) -> StreamPage:
        """Every record, the uninterpretable ones parked rather than raised: one bad record
        must never stop the records behind it (a raise here would never move the checkpoint)."""
        raw_records = response.get("records") if isinstance(response, Mapping) else None
        try:
            last_event: StreamPosition | None = position_of({"eventId": response.get("lastEventId")})
        except (KeyError, TypeError, ValueError, OverflowError, AttributeError):
            last_event = None
        if raw_records is None:
            return cls(records=(), last_event=last_event)
        if not isinstance(raw_records, list):
            return cls(
                records=(),
                poison=(PoisonRecord(raw=_raw_text(raw_records), reason="records is not a list", position=None),),
                last_event=last_event,
            )
        records: list[ChangeRecord] = []
        poison: list[PoisonRecord] = []
        for raw in raw_records:
            try:
                records.append(ChangeRecord.parse(raw))
                continue
            except RecordError as error:
                reason = str(error)
            try:
                position: StreamPosition | None = position_of(raw)
            except (KeyError, TypeError, ValueError, OverflowError):
                position = None
            poison.append(PoisonRecord(raw=_raw_text(raw), reason=reason, position=position))
            if position is not None:
                # Keeps its place in its transaction: the checkpoint moves past it like any other record.
                timestamp = raw.get("commitTimestampInMillis")
                records.append(
                    ChangeRecord(
                        position=position,
                        commit_timestamp_ms=_int(timestamp, "t") if _is_int(timestamp) else _last_ts(records),
                        op=POISON_TYPE,
                        element_id="",
                        type=POISON_TYPE,
                        key="",
                        value=None,
                        is_last_op=raw.get("isLastOp") is True,
                    )
                )
        return cls(records=tuple(records), poison=tuple(poison), last_event=last_event)


def _is_int(value: Any) -> bool:
    try:
        _int(value, "value")
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def _last_ts(records: Sequence[ChangeRecord]) -> int:
    return records[-1].commit_timestamp_ms if records else 0


def complete_transactions(records: Sequence[ChangeRecord]) -> list[Transaction]:
    """Group records per commit, keeping only transactions whose last operation is in the page.

    A page can end inside a transaction (the ``limit`` or the 10 MB response cap); that
    transaction is left for the next read, which starts right after the last complete
    one, so a transaction is always mapped whole.
    """
    transactions: list[Transaction] = []
    current: list[ChangeRecord] = []
    for record in records:
        if current and record.position.commit_num != current[0].position.commit_num:
            # A new commit began without isLastOp on the previous one: treat the earlier
            # commit as complete (records never interleave across commits).
            transactions.append(Transaction(commit_num=current[0].position.commit_num, records=tuple(current)))
            current = []
        current.append(record)
        if record.is_last_op:
            transactions.append(Transaction(commit_num=record.position.commit_num, records=tuple(current)))
            current = []
    return transactions
