"""Events -> SQS FIFO: group per recipient, deduplicated by the event id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from shared.notification_events import NotificationEvent

BATCH = 10  # SendMessageBatch's limit


class SendError(RuntimeError):
    """SQS did not accept every event: the checkpoint must not move."""


class EventSink(Protocol):
    def send(self, events: Sequence[NotificationEvent]) -> None: ...


class SqsFifoSink:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def send(self, events: Sequence[NotificationEvent]) -> None:
        for start in range(0, len(events), BATCH):
            chunk = events[start : start + BATCH]
            response = self._client.send_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {
                        "Id": str(index),
                        "MessageBody": event.to_json(),
                        # Per-recipient order; different recipients are delivered in parallel.
                        "MessageGroupId": event.recipientId,
                        "MessageDeduplicationId": event.id,
                    }
                    for index, event in enumerate(chunk)
                ],
            )
            failed = response.get("Failed") or []
            if failed:
                codes = sorted({str(f.get("Code")) for f in failed})
                raise SendError(f"SQS rejected {len(failed)} of {len(chunk)} events ({', '.join(codes)})")
