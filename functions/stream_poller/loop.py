"""The polling loop: lease, read after the checkpoint, map, send, then checkpoint."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.notification_events import NotificationEvent
from stream_poller.checkpoint import CheckpointStore, ParkedRecordStore
from stream_poller.mapping import GraphLookups, map_transactions
from stream_poller.records import MAX_PARKED_RAW_CHARS, PoisonRecord, StreamPosition, Transaction, complete_transactions
from stream_poller.sink import EventSink
from stream_poller.stream import StreamReader, StreamThrottledError
from stream_poller.timeline import TimelineWriter

#: Neptune's largest page (GetPropertygraphStream ``limit``).
MAX_PAGE = 100_000


@dataclass(frozen=True, kw_only=True)
class PollerSettings:
    page_limit: int = 1000
    #: Stop starting new pages when less than this is left of the invocation.
    safety_margin_ms: int = 10_000
    max_throttle_retries: int = 5
    backoff_base_ms: int = 200
    backoff_cap_ms: int = 5_000


@dataclass(kw_only=True)
class PollResult:
    leased: bool = True
    records: int = 0
    transactions: int = 0
    events: int = 0
    pages: int = 0
    throttled: int = 0
    #: Now minus the commit time of the last transaction sent (0 when caught up, None when unknown).
    lag_ms: int | None = None
    position: StreamPosition | None = None
    stopped_because: str = ""
    event_ids: list[str] = field(default_factory=list)
    #: Records parked as poison (recorded, then skipped): the PoisonRecordsParked metric.
    parked: int = 0
    #: Timeline entries written and removed (fan-out, backfill, unfollow, deleted posts).
    timeline_puts: int = 0
    timeline_deletes: int = 0


#: What a record's content (not the infrastructure) can make mapping raise.
CONTENT_ERRORS = (KeyError, TypeError, ValueError, AttributeError, OverflowError, IndexError)


class Poller:
    def __init__(
        self,
        *,
        store: CheckpointStore,
        stream: StreamReader,
        lookups: GraphLookups,
        sink: EventSink,
        settings: PollerSettings,
        now_ms: Callable[[], int],
        sleep: Callable[[float], None],
        rng: random.Random | None = None,
        parking: ParkedRecordStore | None = None,
        timelines: TimelineWriter | None = None,
    ) -> None:
        self._store = store
        self._stream = stream
        self._lookups = lookups
        self._sink = sink
        self._settings = settings
        self._now_ms = now_ms
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._parking = parking
        self._timelines = timelines

    def _park(self, poison: PoisonRecord, result: PollResult) -> None:
        if self._parking is None:
            # Skipping a record nobody recorded would lose it silently: stop instead.
            raise RuntimeError(f"poison stream record at {poison.position} and no parking store: {poison.reason}")
        self._parking.park(poison, now_ms=self._now_ms())
        result.parked += 1

    def _map(self, transactions: list[Transaction], result: PollResult) -> list[NotificationEvent]:
        """Events for every transaction; one whose content breaks the mapping is parked, not raised.

        Infrastructure errors (the lookups' botocore errors) are not content errors and
        propagate: the checkpoint stays and the next run retries.
        """
        try:
            return map_transactions(transactions, self._lookups)
        except CONTENT_ERRORS:
            pass
        events: list[NotificationEvent] = []
        for transaction in transactions:
            try:
                events += map_transactions([transaction], self._lookups)
            except CONTENT_ERRORS as error:
                raw = repr(transaction.records)[:MAX_PARKED_RAW_CHARS]
                reason = f"mapping failed: {type(error).__name__}: {error}"[:500]
                self._park(PoisonRecord(raw=raw, reason=reason, position=transaction.last_position), result)
        return events

    def run(self, owner: str, remaining_ms: Callable[[], int]) -> PollResult:
        """Poll while records come and time is left. Raises StreamExpiredError, SendError, LeaseLostError."""
        settings = self._settings
        result = PollResult()
        lease_ms = remaining_ms() + settings.safety_margin_ms
        checkpoint = self._store.acquire(owner, now_ms=self._now_ms(), lease_ms=lease_ms)
        if checkpoint is None:
            result.leased = False
            result.stopped_because = "another poller holds the lease"
            return result
        position = checkpoint.position
        result.position = position
        limit = settings.page_limit
        throttle_attempt = 0
        try:
            while True:
                if remaining_ms() < settings.safety_margin_ms:
                    result.stopped_because = "time is up"
                    return result
                try:
                    page = self._stream.read(position, limit)
                except StreamThrottledError:
                    result.throttled += 1
                    if throttle_attempt >= settings.max_throttle_retries:
                        result.stopped_because = "throttled"
                        return result
                    delay_ms = min(settings.backoff_cap_ms, settings.backoff_base_ms * 2**throttle_attempt)
                    throttle_attempt += 1
                    self._sleep(self._rng.uniform(delay_ms / 2, delay_ms) / 1000)
                    continue
                throttle_attempt = 0
                result.pages += 1
                # Recorded before anything moves past them: a parked record is never lost.
                for poison in page.poison:
                    self._park(poison, result)
                if not page.records and page.poison:
                    # Nothing with a position of its own: resume after the page's lastEventId.
                    if page.last_event is None or (position is not None and page.last_event <= position):
                        result.stopped_because = "unpositioned poison records: parked, stream position unknown"
                        return result
                    self._store.advance(
                        owner,
                        page.last_event,
                        commit_timestamp_ms=checkpoint.last_commit_timestamp_ms or 0,
                        now_ms=self._now_ms(),
                        lease_ms=remaining_ms() + settings.safety_margin_ms,
                    )
                    position = page.last_event
                    result.position = position
                    continue
                if not page.records:
                    result.stopped_because = "no new records"
                    result.lag_ms = 0  # caught up with the stream's head
                    return result
                transactions = complete_transactions(page.records)
                if not transactions:
                    if limit >= MAX_PAGE:
                        raise RuntimeError(f"a transaction after {position} exceeds {MAX_PAGE} records")
                    limit = min(MAX_PAGE, limit * 2)  # one transaction larger than the page: read more
                    continue
                events = self._map(transactions, result)
                if self._timelines is not None:
                    # Before the checkpoint moves, like the events: a failure re-reads the page,
                    # and the idempotent writes converge (stream_poller.timeline).
                    written = self._timelines.apply(transactions)
                    result.timeline_puts += written.puts
                    result.timeline_deletes += written.deletes
                self._sink.send(events)
                last = transactions[-1]
                self._store.advance(
                    owner,
                    last.last_position,
                    commit_timestamp_ms=last.commit_timestamp_ms,
                    now_ms=self._now_ms(),
                    lease_ms=remaining_ms() + settings.safety_margin_ms,
                )
                position = last.last_position
                result.position = position
                result.lag_ms = max(0, self._now_ms() - last.commit_timestamp_ms)
                result.records += sum(len(t.records) for t in transactions)
                result.transactions += len(transactions)
                result.events += len(events)
                result.event_ids.extend(event.id for event in events)
                limit = settings.page_limit
        finally:
            self._store.release(owner)
