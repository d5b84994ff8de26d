"""Opaque, tamper-evident pagination cursors.

A cursor is the keyset position of the last item of a page (its ``createdAt`` and ``id``)
plus a check value, as unpadded base64url of compact JSON::

    {"v": 1, "t": "2025-01-31T12:00:00.000Z", "i": "<uuid>", "s": "<16 hex>"}

``s`` is a SHA-256 digest over the connection the cursor belongs to (field name and the
id it pages, e.g. ``followers:<userId>``) and the position. A cursor that was edited,
truncated, or taken from another connection fails the check and is rejected with a
clear error instead of silently paging from somewhere else.

Cursors are not secrets and grant nothing: every page query still filters by the ids in
the arguments and the caller's identity, so a cursor someone computed by hand can only
choose where a page starts in data the caller may already read. That is why a keyless
digest suffices (no signing key to provision and rotate).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from shared.graph.errors import ValidationError
from shared.graph.validation import UUID

VERSION = 1
MAX_LENGTH = 256
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z")  # \Z: no trailing-newline hole
BASE64URL = re.compile(r"^[A-Za-z0-9_-]+\Z")


@dataclass(frozen=True)
class Position:
    created_at: str
    id: str


def _check(scope: str, position: Position) -> str:
    material = "\x1f".join((str(VERSION), scope, position.created_at, position.id))
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def encode(scope: str, position: Position) -> str:
    payload = {"v": VERSION, "t": position.created_at, "i": position.id, "s": _check(scope, position)}
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(scope: str, cursor: Any) -> Position | None:
    """The position after which the next page starts; ``None`` for the first page."""
    if cursor is None:
        return None
    if not isinstance(cursor, str) or not cursor:
        raise ValidationError("after must be a cursor string from a previous page's pageInfo.endCursor")
    if len(cursor) > MAX_LENGTH or not BASE64URL.match(cursor):
        raise ValidationError("after is not a valid cursor (not base64url, or too long)")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise ValidationError("after is not a valid cursor (undecodable)") from error
    if not isinstance(payload, dict) or set(payload) != {"v", "t", "i", "s"} or payload["v"] != VERSION:
        raise ValidationError("after is not a valid cursor (unexpected content)")
    created_at, item_id, check = payload["t"], payload["i"], payload["s"]
    if not isinstance(created_at, str) or not TIMESTAMP.match(created_at):
        raise ValidationError("after is not a valid cursor (bad timestamp)")
    if not isinstance(item_id, str) or not UUID.match(item_id):
        raise ValidationError("after is not a valid cursor (bad id)")
    position = Position(created_at, item_id)
    if check != _check(scope, position):
        raise ValidationError("after is not a cursor of this list (modified, or from another query)")
    return position
