"""How graph changes become notifications: the one place that knows the graph's labels.

The graph_api function writes the model below (vertex ids are the domain ids, set as
Neptune ``~id``). If its labels change, adjust ``LABELS`` and the rules follow; the
lookup queries are built from the same names, once, at import.

    (:User)-[:FOLLOWS]->(:User)                 -> NEW_FOLLOWER   to the followed user
    (:User)-[:LIKES]->(:Post)                   -> POST_LIKED     to the post's author
    (:User)-[:COMMENTED]->(:Comment)-[:ON]->(:Post)
                                                -> POST_COMMENTED to the post's author
    (:User)-[:POSTED]->(:Post)                  -> NEW_POST       to each follower of the author

Only added edges notify (an unlike or unfollow notifies nobody), and nobody is notified
about their own action.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final

from shared.notification_events import NotificationKind


@dataclass(frozen=True)
class Labels:
    user: str = "User"
    post: str = "Post"
    follows: str = "FOLLOWS"
    posted: str = "POSTED"
    likes: str = "LIKES"
    commented: str = "COMMENTED"
    comment_on: str = "ON"
    #: Vertex property on a Comment naming its post, used when the ON edge is not in the same transaction.
    comment_post_property: str = "postId"


LABELS: Final = Labels()


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
    #: The comment is the edge's target; its post is found through this edge label (comment -> post).
    comment_post_edge: str | None = None


EDGE_RULES: Final[dict[str, EdgeRule]] = {
    LABELS.follows: EdgeRule(kind=NotificationKind.NEW_FOLLOWER, recipient=Recipient.EDGE_TARGET),
    LABELS.likes: EdgeRule(kind=NotificationKind.POST_LIKED, recipient=Recipient.POST_AUTHOR, post_is_target=True),
    LABELS.commented: EdgeRule(
        kind=NotificationKind.POST_COMMENTED, recipient=Recipient.POST_AUTHOR, comment_post_edge=LABELS.comment_on
    ),
    LABELS.posted: EdgeRule(kind=NotificationKind.NEW_POST, recipient=Recipient.ACTOR_FOLLOWERS, post_is_target=True),
}

# Named, parameterised openCypher run on the reader endpoint; batched over a whole page.
POST_AUTHORS_QUERY: Final = (
    f"MATCH (author:{LABELS.user})-[:{LABELS.posted}]->(post:{LABELS.post}) "
    "WHERE id(post) IN $postIds RETURN id(post) AS postId, id(author) AS authorId"
)
FOLLOWERS_QUERY: Final = (
    f"MATCH (follower:{LABELS.user})-[:{LABELS.follows}]->(author:{LABELS.user}) "
    "WHERE id(author) IN $authorIds "
    "RETURN id(author) AS authorId, id(follower) AS followerId "
    "ORDER BY authorId, followerId SKIP $skip LIMIT $limit"
)
