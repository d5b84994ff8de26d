"""The counter repair job: recomputes every kept counter (:data:`shared.graph.model.COUNTERS`)
from the edges it counts, and reports what it changed.

The mutations keep the counters exact by themselves (:mod:`shared.graph.queries`); the
repair is for what they cannot see: vertices written before counters existed (they have
none; reads show 0 until this has run once), a counter changed by hand, or a bug. It is

- batched: keyset pages of ``batch_size`` domain ids, users first, then posts; each
  batch is one statement, so one transaction on Neptune;
- idempotent: a batch writes only the counters that differ from the recount, so a second
  run over an exact graph writes nothing and reports nothing;
- safe beside live traffic: a batch recounts and writes in the same statement, so a
  follow or like racing it is either in the recount or waits for it (Neptune locks what
  a mutation reads, "Transaction Isolation Levels in Neptune",
  https://docs.aws.amazon.com/neptune/latest/userguide/transactions-neptune.html);
- resumable: :meth:`CounterRepair.run` stops between batches when ``should_stop`` says
  so (a Lambda near its timeout) and returns the position to continue from.

How an operator runs it: docs/scaling.md ("Counters"); the entry point is graph_api's
``counterRepair`` event, which only a principal allowed to invoke the function directly
can send (AppSync sends only its resolver events).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.graph.errors import ValidationError
from shared.graph.model import COUNTERS, Key, Vertex
from shared.graph.repository import GraphRepository

#: Vertices per batch: each is recounted edge by edge, so a batch's cost is the sum of
#: its vertices' degrees; small enough that one high-degree account keeps a batch short.
DEFAULT_BATCH_SIZE = 100
MAX_BATCH_SIZE = 1000

#: The order of the job: all users, then all posts.
ORDER: tuple[Vertex, ...] = tuple(COUNTERS)


@dataclass(frozen=True)
class RepairPosition:
    """Where a run stopped: the last ``vertex`` id done (``None``: none of that label yet)."""

    vertex: Vertex
    after_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"vertex": str(self.vertex), "afterId": self.after_id}


@dataclass(frozen=True)
class RepairRequest:
    """The operator's event body: ``{"after": <a report's "next">, "batchSize": n}``, both
    optional (``{}`` starts a full run with the default batch size)."""

    start: RepairPosition | None = None
    batch_size: int = DEFAULT_BATCH_SIZE

    @classmethod
    def from_event(cls, body: Any) -> RepairRequest:
        """Parses ``body``; a mistake is a :class:`ValidationError` naming the field."""
        if not isinstance(body, Mapping):
            raise ValidationError('counterRepair must be an object, e.g. {} or {"after": <next>}')
        unknown = set(body) - {"after", "batchSize"}
        if unknown:
            raise ValidationError(f"counterRepair has unknown field(s): {', '.join(sorted(map(str, unknown)))}")
        size = body.get("batchSize", DEFAULT_BATCH_SIZE)
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_BATCH_SIZE:
            raise ValidationError(f"counterRepair.batchSize must be an integer from 1 to {MAX_BATCH_SIZE}")
        after = body.get("after")
        if after is None:
            return cls(None, size)
        labels = {str(vertex): vertex for vertex in ORDER}
        if (
            not isinstance(after, Mapping)
            or set(after) != {"vertex", "afterId"}
            or after["vertex"] not in labels
            or not (after["afterId"] is None or isinstance(after["afterId"], str))
        ):
            raise ValidationError(
                'counterRepair.after must be the "next" of a previous report: '
                f'{{"vertex": one of {sorted(labels)}, "afterId": an id or null}}'
            )
        return cls(RepairPosition(labels[after["vertex"]], after["afterId"]), size)


@dataclass(frozen=True)
class CounterChange:
    """One counter the repair wrote: ``before`` is ``None`` when the vertex had none."""

    vertex: Vertex
    id: str
    counter: Key
    before: int | None
    after: int

    def to_json(self) -> dict[str, Any]:
        return {
            "vertex": str(self.vertex),
            "id": self.id,
            "counter": str(self.counter),
            "before": self.before,
            "after": self.after,
        }


@dataclass
class RepairReport:
    """What one run checked and changed; ``next`` is ``None`` once every vertex was checked."""

    checked: dict[Vertex, int] = field(default_factory=lambda: dict.fromkeys(ORDER, 0))
    changes: list[CounterChange] = field(default_factory=list)
    next: RepairPosition | None = None

    @property
    def complete(self) -> bool:
        return self.next is None

    def to_json(self, *, sample: int = 50) -> dict[str, Any]:
        """A summary fit for a Lambda response: totals per counter and the first ``sample``
        changes (a first run over old data may change every vertex)."""
        per_counter = {str(counter): 0 for counters in COUNTERS.values() for counter in counters}
        for change in self.changes:
            per_counter[str(change.counter)] += 1
        return {
            "complete": self.complete,
            "checked": {str(vertex): n for vertex, n in self.checked.items()},
            "changed": per_counter,
            "changedVertices": len({(change.vertex, change.id) for change in self.changes}),
            "changes": [change.to_json() for change in self.changes[:sample]],
            "next": None if self.next is None else self.next.to_json(),
        }


#: For each label, the repair query's (stored column, recounted column) per counter.
_COLUMNS: dict[Vertex, tuple[tuple[Key, str, str], ...]] = {
    Vertex.USER: (
        (Key.FOLLOWER_COUNT, "storedFollowers", "followers"),
        (Key.FOLLOWING_COUNT, "storedFollowing", "following"),
        (Key.POST_COUNT, "storedPosts", "posts"),
    ),
    Vertex.POST: (
        (Key.LIKE_COUNT, "storedLikes", "likes"),
        (Key.COMMENT_COUNT, "storedComments", "comments"),
    ),
}


class CounterRepair:
    def __init__(self, repository: GraphRepository, *, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ValidationError(f"batchSize must be between 1 and {MAX_BATCH_SIZE}, got {batch_size}")
        self.repository = repository
        self.batch_size = batch_size

    def run(
        self, start: RepairPosition | None = None, *, should_stop: Callable[[], bool] = lambda: False
    ) -> RepairReport:
        """Repairs from ``start`` (``None``: from the beginning) until every vertex is
        checked or ``should_stop()`` is true between two batches (at least one batch runs)."""
        report = RepairReport()
        position = start or RepairPosition(ORDER[0])
        while True:
            ids = self.repository.vertex_ids_after(position.vertex, position.after_id, self.batch_size)
            if ids:
                report.checked[position.vertex] += len(ids)
                report.changes += self._repair(position.vertex, ids)
                position = RepairPosition(position.vertex, ids[-1])
            if len(ids) < self.batch_size:  # that label is done
                following = ORDER.index(position.vertex) + 1
                if following == len(ORDER):
                    return report
                position = RepairPosition(ORDER[following])
            if should_stop():
                report.next = position
                return report

    def _repair(self, vertex: Vertex, ids: list[str]) -> list[CounterChange]:
        changes = []
        for row in self.repository.repair_counters(vertex, ids):
            for counter, stored, recounted in _COLUMNS[vertex]:
                before = None if row[stored] is None else int(row[stored])
                after = int(row[recounted])
                if before != after:
                    changes.append(CounterChange(vertex, str(row["id"]), counter, before, after))
        return changes
