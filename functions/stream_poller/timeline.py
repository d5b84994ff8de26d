"""Complete transactions -> home-feed timeline writes (docs/scaling.md, "Timelines").

What the stream says, and what the timelines table (``shared.graph.timelines``) gets:

- a POSTED edge added (a new post): an entry in the author's outbox, and, unless the
  author has more followers than the fan-in threshold, one in the timeline of each
  follower who followed by the post's time (a later follower gets it from the backfill);
- a POSTED edge removed with its post (``deletePost``'s ``DETACH DELETE``: the post's own
  ``vp`` records go with it, so its id and time are in the transaction): the same entries
  deleted. graph_api never shows a deleted post anyway (a feed page is projected through
  the graph, where it no longer exists), so this cleanup is asynchronous and best effort:
  an entry it misses (an author who crossed the threshold since) expires with its TTL;
- a FOLLOWS edge added: the followee's newest ``backfill_posts`` posts into the
  follower's timeline (none for a high-follower followee: the feed reads their outbox);
- a FOLLOWS edge removed: the followee's entries removed from the follower's timeline.

Stream records name vertices by ``~id``; ids are resolved as the notification mapping
does (``stream_poller.mapping``): from the page's own ``vp`` records, else one batched lookup.
Every write is idempotent (a put of the same key, a delete), and writes keep stream order
(a later change to the same entry wins; an unfollow's removal runs after everything before
it is written), so re-reading a page after a failure converges to the same timelines.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from shared.graph.cursors import TIMESTAMP
from shared.graph.model import Edge, Key
from shared.graph.timelines import DynamoDBTimelines, Entry, outbox
from shared.graph.validation import UUID
from stream_poller.records import ChangeRecord, Transaction

CREATED_AT = "createdAt"


class TimelineLookups(Protocol):
    def domain_ids(self, vertex_ids: Collection[str]) -> dict[str, str]: ...

    def followers_since(self, author_ids: Collection[str]) -> dict[str, list[tuple[str, str]]]:
        """Author id -> (follower id, the follow's createdAt)."""
        ...

    def follower_counts(self, author_ids: Collection[str]) -> dict[str, int]:
        """Author id -> follower count, for the authors that exist."""
        ...

    def posts(self, post_ids: Collection[str]) -> dict[str, tuple[str, str]]:
        """Post id -> (author id, createdAt), for the posts that exist."""
        ...

    def recent_posts(self, author_id: str, limit: int) -> list[tuple[str, str]]:
        """The author's newest ``limit`` posts as (post id, createdAt), newest first."""
        ...


@dataclass(frozen=True, kw_only=True)
class TimelineSettings:
    fan_in_threshold: int
    backfill_posts: int
    entry_ttl_days: int


@dataclass(frozen=True, kw_only=True)
class _Change:
    kind: str  # "post", "unpost", "follow", "unfollow"
    source: str  # ~id: the author (posts) or the follower (follows)
    target: str  # ~id: the post, or the followee
    post_id: str | None = None
    created_at: str | None = None


def _property(transaction: Transaction, op: str, element_id: str, key: str) -> str | None:
    for record in transaction.records:
        if record.op == op and record.type == "vp" and record.element_id == element_id and record.key == key:
            return None if record.value is None else str(record.value)
    return None


def _edge(record: ChangeRecord, label: Edge) -> bool:
    return record.type == "e" and record.value == label and record.from_id is not None and record.to_id is not None


def _changes(transaction: Transaction) -> list[_Change]:
    changes: list[_Change] = []
    for record in transaction.records:
        if record.op not in ("ADD", "REMOVE"):
            continue
        if _edge(record, Edge.POSTED) and record.from_id and record.to_id:
            added = record.op == "ADD"
            changes.append(
                _Change(
                    kind="post" if added else "unpost",
                    source=record.from_id,
                    target=record.to_id,
                    post_id=_property(transaction, record.op, record.to_id, Key.DOMAIN_ID),
                    created_at=_property(transaction, record.op, record.to_id, CREATED_AT),
                )
            )
        elif _edge(record, Edge.FOLLOWS) and record.from_id and record.to_id:
            changes.append(
                _Change(kind="follow" if record.op == "ADD" else "unfollow", source=record.from_id, target=record.to_id)
            )
    return changes


@dataclass(kw_only=True)
class TimelineResult:
    puts: int = 0
    deletes: int = 0
    #: Posts of authors above the threshold: written to their outbox only.
    fanned_in: int = 0


class TimelineWriter:
    """Applies a page's transactions to the timelines table."""

    def __init__(self, store: DynamoDBTimelines, lookups: TimelineLookups, settings: TimelineSettings) -> None:
        self._store = store
        self._lookups = lookups
        self._settings = settings

    def apply(self, transactions: Sequence[Transaction]) -> TimelineResult:
        changes = [change for transaction in transactions for change in _changes(transaction)]
        result = TimelineResult()
        if not changes:
            return result
        ids = _page_domain_ids(transactions)
        unknown = sorted({v for c in changes for v in (c.source, c.target) if v not in ids and c.kind != "unpost"})
        unknown += sorted({c.source for c in changes if c.kind == "unpost" and c.source not in ids})
        if unknown:
            ids.update(self._lookups.domain_ids(unknown))
        resolved = [r for r in (_Resolved.of(change, ids) for change in changes) if r is not None]
        self._fill_post_times([r for r in resolved if r.kind == "post" and r.created_at is None])

        authors = {r.author for r in resolved if r.kind in ("post", "unpost", "follow")}
        counts = self._lookups.follower_counts(sorted(authors)) if authors else {}
        threshold = self._settings.fan_in_threshold
        fan_out = {author for author in authors if counts.get(author, 0) <= threshold}
        post_authors = sorted({r.author for r in resolved if r.kind in ("post", "unpost") and r.author in fan_out})
        followers = self._lookups.followers_since(post_authors) if post_authors else {}
        recent: dict[str, list[tuple[str, str]]] = {}

        pending: dict[tuple[str, str], Entry | None] = {}
        for change in resolved:
            if change.kind in ("post", "unpost"):
                if change.created_at is None or change.post_id is None:
                    continue  # a post gone before its time could be read: nothing to show or remove
                partitions = [outbox(change.author)]
                if change.author in fan_out:
                    # Followers by the post's time; a later follow is backfilled instead (it may
                    # be in this page: the poller reads the graph as it is now, not as it was).
                    # A deletion removes the entry wherever a follower may hold it.
                    partitions += [
                        follower
                        for follower, followed_at in followers.get(change.author, ())
                        if follower != change.author and (change.kind == "unpost" or followed_at <= change.created_at)
                    ]
                elif change.kind == "post":
                    result.fanned_in += 1
                for partition in partitions:
                    entry = Entry(
                        partition=partition,
                        post_id=change.post_id,
                        author_id=change.author,
                        created_at=change.created_at,
                    )
                    pending[entry.key] = entry if change.kind == "post" else None
            elif change.kind == "follow":
                if change.author not in fan_out or self._settings.backfill_posts == 0:
                    continue
                if change.author not in recent:
                    recent[change.author] = self._lookups.recent_posts(change.author, self._settings.backfill_posts)
                for post_id, created_at in recent[change.author]:
                    if not (_id(post_id) and TIMESTAMP.match(created_at)):
                        continue
                    entry = Entry(
                        partition=change.reader, post_id=post_id, author_id=change.author, created_at=created_at
                    )
                    pending[entry.key] = entry
            else:  # unfollow: what is pending goes first, then the followee's entries go
                self._flush(pending, result)
                for sort_key in self._store.entries_by(change.reader, change.author):
                    pending[(change.reader, sort_key)] = None
        self._flush(pending, result)
        return result

    def _fill_post_times(self, posts: list[_Resolved]) -> None:
        """A post whose transaction does not state its time (not one graph_api writes)."""
        wanted = sorted({r.post_id for r in posts if r.post_id})
        if not wanted:
            return
        found = self._lookups.posts(wanted)
        for change in posts:
            if change.post_id in found and TIMESTAMP.match(found[change.post_id][1]):
                change.created_at = found[change.post_id][1]

    def _flush(self, pending: dict[tuple[str, str], Entry | None], result: TimelineResult) -> None:
        if not pending:
            return
        puts = [entry for entry in pending.values() if entry is not None]
        deletes = [key for key, entry in pending.items() if entry is None]
        self._store.write(puts, deletes, ttl_days=self._settings.entry_ttl_days)
        result.puts += len(puts)
        result.deletes += len(deletes)
        pending.clear()


@dataclass(kw_only=True)
class _Resolved:
    kind: str
    #: The post's author, or the followee.
    author: str
    #: The follower (follows only).
    reader: str
    post_id: str | None
    created_at: str | None

    @classmethod
    def of(cls, change: _Change, ids: dict[str, str]) -> _Resolved | None:
        """None for a change that names a vertex gone since, or an id or time graph_api never
        writes (a hostile or corrupt record must not stop the stream: it is skipped)."""
        if change.kind in ("post", "unpost"):
            author = ids.get(change.source)
            post_id = change.post_id or ids.get(change.target)
            if not _id(author) or not _id(post_id):
                return None  # the author is gone: nobody to fan out for
            created_at = change.created_at if change.created_at and TIMESTAMP.match(change.created_at) else None
            if change.created_at is not None and created_at is None:
                return None
            assert author is not None and post_id is not None  # noqa: S101 - checked by _id
            return cls(kind=change.kind, author=author, reader="", post_id=post_id, created_at=created_at)
        follower, followee = ids.get(change.source), ids.get(change.target)
        if not _id(follower) or not _id(followee):
            return None
        assert follower is not None and followee is not None  # noqa: S101 - checked by _id
        return cls(kind=change.kind, author=followee, reader=follower, post_id=None, created_at=None)


def _id(value: str | None) -> bool:
    """A domain id as graph_api writes them (a Cognito sub, a uuid4)."""
    return value is not None and bool(UUID.match(value))


def _page_domain_ids(transactions: Sequence[Transaction]) -> dict[str, str]:
    """``~id`` -> domain id of every vertex whose domain id the page adds."""
    return {
        record.element_id: str(record.value)
        for transaction in transactions
        for record in transaction.records
        if record.op == "ADD" and record.type == "vp" and record.key == Key.DOMAIN_ID and record.value is not None
    }
