"""Complete transactions -> notification events, with batched graph lookups for recipients."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shared.notification_events import NotificationEvent, iso_timestamp

from poller.graph_model import EDGE_RULES, FOLLOWERS_QUERY, LABELS, POST_AUTHORS_QUERY, EdgeRule, Recipient
from poller.records import ChangeRecord, Transaction


class GraphLookups(Protocol):
    def post_authors(self, post_ids: Collection[str]) -> dict[str, str]:
        """Post id -> author id, for the posts that exist."""
        ...

    def followers(self, author_ids: Collection[str]) -> dict[str, list[str]]:
        """Author id -> follower ids."""
        ...


@dataclass(frozen=True, kw_only=True)
class _Change:
    edge: ChangeRecord
    rule: EdgeRule
    actor_id: str
    post_id: str | None
    comment_id: str | None


def _changes(transaction: Transaction) -> list[_Change]:
    found: list[_Change] = []
    for label, rule in EDGE_RULES.items():
        for edge in transaction.added_edges(label):
            if edge.from_id is None or edge.to_id is None:
                continue
            post_id = edge.to_id if rule.post_is_target else None
            comment_id = None
            if rule.comment_post_edge is not None:
                comment_id = edge.to_id
                post_id = _comment_post(transaction, comment_id, rule.comment_post_edge)
                if post_id is None:
                    continue
            found.append(_Change(edge=edge, rule=rule, actor_id=edge.from_id, post_id=post_id, comment_id=comment_id))
    return found


def _comment_post(transaction: Transaction, comment_id: str, edge_label: str) -> str | None:
    for edge in transaction.added_edges(edge_label):
        if edge.from_id == comment_id:
            return edge.to_id
    value = transaction.vertex_property(comment_id, LABELS.comment_post_property)
    return str(value) if value is not None else None


def map_transactions(transactions: Sequence[Transaction], lookups: GraphLookups) -> list[NotificationEvent]:
    """Every notification the transactions cause, in stream order; ids are stable across re-reads."""
    changes = [change for transaction in transactions for change in _changes(transaction)]
    post_ids = {c.post_id for c in changes if c.rule.recipient is Recipient.POST_AUTHOR and c.post_id}
    author_ids = {c.actor_id for c in changes if c.rule.recipient is Recipient.ACTOR_FOLLOWERS}
    authors = lookups.post_authors(sorted(post_ids)) if post_ids else {}
    followers = lookups.followers(sorted(author_ids)) if author_ids else {}

    events: list[NotificationEvent] = []
    for change in changes:
        position = str(change.edge.position)
        if change.rule.recipient is Recipient.ACTOR_FOLLOWERS:
            recipients = sorted(set(followers.get(change.actor_id, ())))
            ids = [f"{position}:{recipient}" for recipient in recipients]
        else:
            recipient = (
                change.edge.to_id
                if change.rule.recipient is Recipient.EDGE_TARGET
                else authors.get(change.post_id or "")
            )
            recipients = [recipient] if recipient else []
            ids = [position] * len(recipients)
        for event_id, recipient_id in zip(ids, recipients, strict=True):
            if recipient_id == change.actor_id:
                continue
            events.append(
                NotificationEvent(
                    id=event_id,
                    recipientId=recipient_id,
                    kind=change.rule.kind,
                    actorId=change.actor_id,
                    postId=change.post_id,
                    commentId=change.comment_id,
                    createdAt=iso_timestamp(change.edge.commit_timestamp_ms),
                )
            )
    return events


class NeptuneLookups:
    """The lookups as openCypher on the reader endpoint (``neptunedata`` client)."""

    def __init__(self, client: Any, *, page_size: int = 1000) -> None:
        self._client = client
        self._page_size = page_size

    def _query(self, query: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
        response = self._client.execute_open_cypher_query(openCypherQuery=query, parameters=json.dumps(parameters))
        results: list[dict[str, Any]] = response["results"]
        return results

    def post_authors(self, post_ids: Collection[str]) -> dict[str, str]:
        rows = self._query(POST_AUTHORS_QUERY, {"postIds": list(post_ids)})
        return {str(row["postId"]): str(row["authorId"]) for row in rows}

    def followers(self, author_ids: Collection[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        skip = 0
        while True:
            rows = self._query(FOLLOWERS_QUERY, {"authorIds": list(author_ids), "skip": skip, "limit": self._page_size})
            for row in rows:
                found.setdefault(str(row["authorId"]), []).append(str(row["followerId"]))
            if len(rows) < self._page_size:
                return found
            skip += self._page_size
