"""How graph changes become notifications: which added edge notifies whom.

The labels and keys are :mod:`shared.graph.model`'s, the module graph_api's queries are
built from, so the two cannot drift apart; so is the mapping from the ``~id`` a stream
record names a vertex by to its domain id (the Cognito ``sub``, a post's id).

    FOLLOWS  user -> user                  NEW_FOLLOWER   to the followed user
    LIKES    user -> post                  POST_LIKED     to the post's author
    WROTE    user -> comment (ON -> post)  POST_COMMENTED to the post's author
    POSTED   user -> post                  NEW_POST       to each follower of the author

Only added edges notify (an unlike or unfollow notifies nobody), and nobody is notified
about their own action. Every id in an event is a domain id.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final

from shared.graph.model import VERTEX_DOMAIN_IDS, Edge, Key, Vertex
from shared.notification_events import NotificationKind


class Recipient(Enum):
    EDGE_TARGET = "the edge's target vertex"
    POST_AUTHOR = "the author of the post"
    ACTOR_FOLLOWERS = "every follower of the actor"


@dataclass(frozen=True, kw_only=True)
class EdgeRule:
    """An added edge with this label notifies ``recipient``; the actor is the edge's source."""

    kind: NotificationKind
    recipient: Recipient
    #: The post is the edge's target.
    post_is_target: bool = False
    #: The comment is the edge's target; its post is its ``Key.COMMENT_POST`` property,
    #: or else the target of this edge (comment -> post).
    comment_post_edge: Edge | None = None


EDGE_RULES: Final[dict[Edge, EdgeRule]] = {
    Edge.FOLLOWS: EdgeRule(kind=NotificationKind.NEW_FOLLOWER, recipient=Recipient.EDGE_TARGET),
    Edge.LIKES: EdgeRule(kind=NotificationKind.POST_LIKED, recipient=Recipient.POST_AUTHOR, post_is_target=True),
    Edge.WROTE: EdgeRule(
        kind=NotificationKind.POST_COMMENTED, recipient=Recipient.POST_AUTHOR, comment_post_edge=Edge.ON
    ),
    Edge.POSTED: EdgeRule(kind=NotificationKind.NEW_POST, recipient=Recipient.ACTOR_FOLLOWERS, post_is_target=True),
}

# Named, parameterised openCypher run on the writer endpoint (never behind the stream); each batched over a whole
# page. The first names vertices by ``~id``; the others by domain id.
DOMAIN_IDS_QUERY: Final = VERTEX_DOMAIN_IDS
POST_AUTHORS_QUERY: Final = (
    f"MATCH (author:{Vertex.USER})-[:{Edge.POSTED}]->(post:{Vertex.POST}) "
    f"WHERE post.{Key.DOMAIN_ID} IN $postIds RETURN post.{Key.DOMAIN_ID} AS postId, author.{Key.DOMAIN_ID} AS authorId"
)
FOLLOWERS_QUERY: Final = (
    f"MATCH (follower:{Vertex.USER})-[:{Edge.FOLLOWS}]->(author:{Vertex.USER}) "
    f"WHERE author.{Key.DOMAIN_ID} IN $authorIds "
    f"RETURN author.{Key.DOMAIN_ID} AS authorId, follower.{Key.DOMAIN_ID} AS followerId "
    "ORDER BY authorId, followerId SKIP $skip LIMIT $limit"
)

# --- timelines (fan-out on write; docs/scaling.md, "Timelines") ---------------------------
#: Each author's follower count: the kept counter (``Key.FOLLOWER_COUNT``), 0 on a vertex
#: the counter repair job has not written yet, as graph_api reads it.
FOLLOWER_COUNTS_QUERY: Final = (
    f"MATCH (author:{Vertex.USER}) WHERE author.{Key.DOMAIN_ID} IN $authorIds "
    f"RETURN author.{Key.DOMAIN_ID} AS authorId, coalesce(author.{Key.FOLLOWER_COUNT}, 0) AS followerCount"
)
#: Each author's followers with the time they followed: a post is fanned out only to those
#: who followed by its time (a later follower gets it from the follow's backfill).
FOLLOWERS_SINCE_QUERY: Final = (
    f"MATCH (follower:{Vertex.USER})-[edge:{Edge.FOLLOWS}]->(author:{Vertex.USER}) "
    f"WHERE author.{Key.DOMAIN_ID} IN $authorIds "
    f"RETURN author.{Key.DOMAIN_ID} AS authorId, follower.{Key.DOMAIN_ID} AS followerId, edge.createdAt AS followedAt "
    "ORDER BY authorId, followerId SKIP $skip LIMIT $limit"
)
#: Posts by domain id with their author and time (a post whose time its transaction does not state).
POSTS_QUERY: Final = (
    f"MATCH (author:{Vertex.USER})-[:{Edge.POSTED}]->(post:{Vertex.POST}) WHERE post.{Key.DOMAIN_ID} IN $postIds "
    f"RETURN post.{Key.DOMAIN_ID} AS postId, author.{Key.DOMAIN_ID} AS authorId, post.createdAt AS createdAt"
)
#: The newest ``$limit`` posts of ``$authorId``: a new follower's backfill.
RECENT_POSTS_QUERY: Final = (
    f"MATCH (:{Vertex.USER} {{{Key.DOMAIN_ID}: $authorId}})-[:{Edge.POSTED}]->(post:{Vertex.POST}) "
    f"RETURN post.{Key.DOMAIN_ID} AS postId, post.createdAt AS createdAt "
    "ORDER BY createdAt DESC, postId DESC LIMIT $limit"
)
