"""Complete transactions -> notification events, with batched graph lookups for ids and recipients.

Stream records name vertices by Neptune ``~id``; events name people and posts by domain
id (see :mod:`shared.graph.model`). Per page: the ``~id``s the notifying edges touch are
resolved from the page's own ``vp`` records of the domain id where the vertex was created
in it, the rest with one batched lookup; then the post authors and the followers the
events go to, each with one batched lookup by domain id.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shared.graph.model import Key
from shared.notification_events import NotificationEvent, iso_timestamp
from stream_poller.graph_model import (
    DOMAIN_IDS_QUERY,
    EDGE_RULES,
    FOLLOWER_COUNTS_QUERY,
    FOLLOWERS_QUERY,
    FOLLOWERS_SINCE_QUERY,
    POST_AUTHORS_QUERY,
    POSTS_QUERY,
    RECENT_POSTS_QUERY,
    EdgeRule,
    Recipient,
)
from stream_poller.records import ChangeRecord, Transaction


class GraphLookups(Protocol):
    def domain_ids(self, vertex_ids: Collection[str]) -> dict[str, str]:
        """Vertex ``~id`` -> domain id, for the vertices that exist."""
        ...

    def post_authors(self, post_ids: Collection[str]) -> dict[str, str]:
        """Post id -> author id (domain ids), for the posts that exist."""
        ...

    def followers(self, author_ids: Collection[str]) -> dict[str, list[str]]:
        """Author id -> follower ids (domain ids)."""
        ...


@dataclass(frozen=True, kw_only=True)
class _Change:
    """A notifying edge, its vertices still named by ``~id``."""

    edge: ChangeRecord
    rule: EdgeRule
    actor_vertex: str
    target_vertex: str
    #: The post's vertex, when the post is known only as a vertex.
    post_vertex: str | None = None
    #: The post's domain id, when the transaction states it (a comment's post property).
    post_id: str | None = None


def _changes(transaction: Transaction) -> Iterator[_Change]:
    for edge in transaction.records:
        rule = EDGE_RULES.get(edge.value) if edge.op == "ADD" and edge.type == "e" else None
        if rule is None or edge.from_id is None or edge.to_id is None:
            continue
        post_vertex = edge.to_id if rule.post_is_target else None
        post_id = None
        if rule.comment_post_edge is not None:
            stated = transaction.vertex_property(edge.to_id, Key.COMMENT_POST)
            if stated is not None:
                post_id = str(stated)  # the post's domain id, written with the comment: no lookup
            else:
                post_vertex = next(
                    (on.to_id for on in transaction.added_edges(rule.comment_post_edge) if on.from_id == edge.to_id),
                    None,
                )
                if post_vertex is None:
                    continue  # a comment without its post in the transaction: not one graph_api writes
        yield _Change(
            edge=edge,
            rule=rule,
            actor_vertex=edge.from_id,
            target_vertex=edge.to_id,
            post_vertex=post_vertex,
            post_id=post_id,
        )


def _created_domain_ids(transactions: Sequence[Transaction]) -> dict[str, str]:
    """``~id`` -> domain id of every vertex whose domain id the page itself adds."""
    return {
        record.element_id: str(record.value)
        for transaction in transactions
        for record in transaction.records
        if record.op == "ADD" and record.type == "vp" and record.key == Key.DOMAIN_ID and record.value is not None
    }


def map_transactions(transactions: Sequence[Transaction], lookups: GraphLookups) -> list[NotificationEvent]:
    """Every notification the transactions cause, in stream order; ids are stable across re-reads."""
    changes = [change for transaction in transactions for change in _changes(transaction)]
    if not changes:
        return []
    ids = _created_domain_ids(transactions)
    vertices = {v for c in changes for v in (c.actor_vertex, c.target_vertex, c.post_vertex) if v is not None}
    unknown = sorted(vertices - ids.keys())
    if unknown:
        ids.update(lookups.domain_ids(unknown))

    resolved: list[tuple[_Change, str, str, str | None, str | None]] = []
    for change in changes:
        actor, target = ids.get(change.actor_vertex), ids.get(change.target_vertex)
        post = change.post_id or (ids.get(change.post_vertex) if change.post_vertex else None)
        needs_post = change.rule.post_is_target or change.rule.comment_post_edge is not None
        if actor is None or target is None or (needs_post and post is None):
            continue  # a vertex deleted since: nothing left to notify about
        comment = target if change.rule.comment_post_edge is not None else None
        resolved.append((change, actor, target, post, comment))

    post_ids = {post for c, _, _, post, _ in resolved if c.rule.recipient is Recipient.POST_AUTHOR and post}
    author_ids = {actor for c, actor, _, _, _ in resolved if c.rule.recipient is Recipient.ACTOR_FOLLOWERS}
    authors = lookups.post_authors(sorted(post_ids)) if post_ids else {}
    followers = lookups.followers(sorted(author_ids)) if author_ids else {}

    events: list[NotificationEvent] = []
    for change, actor, target, post, comment in resolved:
        position = str(change.edge.position)
        if change.rule.recipient is Recipient.ACTOR_FOLLOWERS:
            recipients = sorted(set(followers.get(actor, ())))
            event_ids = [f"{position}:{recipient}" for recipient in recipients]
        else:
            recipient = target if change.rule.recipient is Recipient.EDGE_TARGET else authors.get(post or "")
            recipients = [recipient] if recipient else []
            event_ids = [position] * len(recipients)
        for event_id, recipient_id in zip(event_ids, recipients, strict=True):
            if recipient_id == actor:
                continue
            events.append(
                NotificationEvent(
                    id=event_id,
                    recipientId=recipient_id,
                    kind=change.rule.kind,
                    actorId=actor,
                    postId=post,
                    commentId=comment,
                    createdAt=iso_timestamp(change.edge.commit_timestamp_ms),
                )
            )
    return events


class NeptuneLookups:
    """The lookups as openCypher on the writer endpoint (``neptunedata`` client: a replica
    may not have the stream's latest commits yet), at most ``page_size`` ids or rows per request."""

    def __init__(self, client: Any, *, page_size: int = 1000) -> None:
        self._client = client
        self._page_size = page_size

    def _query(self, query: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
        response = self._client.execute_open_cypher_query(openCypherQuery=query, parameters=json.dumps(parameters))
        results: list[dict[str, Any]] = response["results"]
        return results

    def _chunks(self, ids: Collection[str]) -> Iterator[list[str]]:
        listed = list(ids)
        for start in range(0, len(listed), self._page_size):
            yield listed[start : start + self._page_size]

    def domain_ids(self, vertex_ids: Collection[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in self._chunks(vertex_ids):
            for row in self._query(DOMAIN_IDS_QUERY, {"vertexIds": chunk}):
                if row.get("domainId") is not None:
                    # Neptune's ~id is a string already; str() also reads an engine's integer id.
                    found[str(row["vertexId"])] = str(row["domainId"])
        return found

    def post_authors(self, post_ids: Collection[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in self._chunks(post_ids):
            for row in self._query(POST_AUTHORS_QUERY, {"postIds": chunk}):
                found[str(row["postId"])] = str(row["authorId"])
        return found

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

    # --- timelines (stream_poller.timeline.TimelineLookups) ----------------------------------

    def follower_counts(self, author_ids: Collection[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in self._chunks(author_ids):
            for row in self._query(FOLLOWER_COUNTS_QUERY, {"authorIds": chunk}):
                found[str(row["authorId"])] = int(row["followerCount"])
        return found

    def followers_since(self, author_ids: Collection[str]) -> dict[str, list[tuple[str, str]]]:
        found: dict[str, list[tuple[str, str]]] = {}
        skip = 0
        while True:
            parameters = {"authorIds": list(author_ids), "skip": skip, "limit": self._page_size}
            rows = self._query(FOLLOWERS_SINCE_QUERY, parameters)
            for row in rows:
                # A follow without a time (none graph_api writes) counts as older than any post.
                followed_at = "" if row.get("followedAt") is None else str(row["followedAt"])
                found.setdefault(str(row["authorId"]), []).append((str(row["followerId"]), followed_at))
            if len(rows) < self._page_size:
                return found
            skip += self._page_size

    def posts(self, post_ids: Collection[str]) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        for chunk in self._chunks(post_ids):
            for row in self._query(POSTS_QUERY, {"postIds": chunk}):
                found[str(row["postId"])] = (str(row["authorId"]), str(row["createdAt"]))
        return found

    def recent_posts(self, author_id: str, limit: int) -> list[tuple[str, str]]:
        rows = self._query(RECENT_POSTS_QUERY, {"authorId": author_id, "limit": limit})
        return [(str(row["postId"]), str(row["createdAt"])) for row in rows]
