"""The domain event the stream poller sends and the notifier delivers: the queue's contract.

One event is one notification for one recipient. Its ``id`` is derived from the Neptune
stream position of the change that caused it (``commitNum:opNum``, plus the recipient
when one change fans out to many), so a re-read of the stream yields the same id: SQS
FIFO drops the duplicate within its 5-minute window and the notifier's idempotency table
after that.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum


class NotificationKind(StrEnum):
    """Mirrors ``enum NotificationKind`` in api/schema.graphql."""

    NEW_FOLLOWER = "NEW_FOLLOWER"
    POST_LIKED = "POST_LIKED"
    POST_COMMENTED = "POST_COMMENTED"
    NEW_POST = "NEW_POST"


class InvalidEventError(ValueError):
    """A queue message is not a notification event."""


#: Bounds on what the queue may carry (the poller writes ids of at most ~80 characters).
MAX_BODY_CHARS = 8192
MAX_FIELD_CHARS = 256
#: Printable ASCII without spaces: stream positions, Cognito subs, UUIDs. fullmatch only.
_ID = re.compile(r"[!-~]{1,256}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")


@dataclass(frozen=True, kw_only=True)
class NotificationEvent:
    """Field names match ``PublishNotificationInput`` in the GraphQL schema."""

    id: str
    recipientId: str  # noqa: N815 - the GraphQL field name
    kind: NotificationKind
    actorId: str  # noqa: N815
    createdAt: str  # noqa: N815 - AWSDateTime (ISO 8601, UTC)
    postId: str | None = None  # noqa: N815
    commentId: str | None = None  # noqa: N815

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None}, sort_keys=True)

    @classmethod
    def from_json(cls, body: str) -> NotificationEvent:
        try:
            if not isinstance(body, str) or len(body) > MAX_BODY_CHARS:
                raise TypeError(f"the body must be JSON text of at most {MAX_BODY_CHARS} characters")
            raw = json.loads(body)
            if not isinstance(raw, dict):
                raise TypeError("not an object")
            optional = {key: _optional_str(raw, key) for key in ("postId", "commentId")}
            unknown = sorted(set(raw) - {"id", "recipientId", "kind", "actorId", "createdAt", "postId", "commentId"})
            if unknown:
                raise TypeError(f"unknown field(s) {', '.join(unknown)[:100]}")
            if not _TIMESTAMP.fullmatch(_str(raw, "createdAt")):
                raise TypeError("createdAt must be an ISO 8601 UTC timestamp")
            return cls(
                id=_str(raw, "id"),
                recipientId=_str(raw, "recipientId"),
                kind=NotificationKind(_str(raw, "kind")),
                actorId=_str(raw, "actorId"),
                createdAt=_str(raw, "createdAt"),
                **optional,
            )
        except (ValueError, TypeError, KeyError, RecursionError) as error:
            raise InvalidEventError(f"not a notification event: {error}") from None


def _str(raw: dict[str, object], key: str) -> str:
    value = raw[key]
    if not isinstance(value, str) or not value:
        raise TypeError(f"{key} must be a non-empty string")
    if key != "createdAt" and key != "kind" and not _ID.fullmatch(value):
        raise TypeError(f"{key} must be 1-{MAX_FIELD_CHARS} printable ASCII characters without spaces")
    return value


def _optional_str(raw: dict[str, object], key: str) -> str | None:
    return _str(raw, key) if raw.get(key) is not None else None


def iso_timestamp(epoch_millis: int) -> str:
    """AWSDateTime for a Neptune commit timestamp (milliseconds since the epoch)."""
    moment = datetime.fromtimestamp(epoch_millis / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
