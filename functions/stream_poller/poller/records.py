"""PG_JSON stream records (the ``get_propertygraph_stream`` response) as typed values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


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
        data = raw["data"]
        value = data.get("value")
        event_id = raw["eventId"]
        return cls(
            position=StreamPosition(int(event_id["commitNum"]), int(event_id["opNum"])),
            commit_timestamp_ms=int(raw["commitTimestampInMillis"]),
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


@dataclass(frozen=True, kw_only=True)
class StreamPage:
    records: tuple[ChangeRecord, ...]

    @classmethod
    def parse(cls, response: Mapping[str, Any]) -> StreamPage:
        return cls(records=tuple(ChangeRecord.parse(r) for r in response.get("records") or ()))


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
