"""The graph model: the one owner of the labels and keys that graph_api writes
(:mod:`shared.graph.queries`) and the stream poller reads (``stream_poller.graph_model``).
Both build their query texts from the names here; no label is spelled anywhere else.

Model::

    (:User {id, handle, displayName, bio, avatarKey, createdAt,
            followerCount, followingCount, postCount})
    (:User)-[:FOLLOWS {createdAt}]->(:User)
    (:User)-[:POSTED]->(:Post {id, text, mediaKeys, createdAt, likeCount, commentCount})
    (:User)-[:LIKES {createdAt}]->(:Post)
    (:User)-[:WROTE]->(:Comment {id, postId, text, createdAt})-[:ON]->(:Post)

Counters (:data:`COUNTERS`)
---------------------------
Each count a profile or a post shows is a property of its vertex, kept by the statement
that adds or removes the edge it counts (in the same transaction), so a read costs the
same at 10 followers and at 10 million. Which edge each counter counts:

==================  ======  ==============================================
counter             vertex  edges counted
==================  ======  ==============================================
``followerCount``   User    ``(:User)-[:FOLLOWS]->(this)``
``followingCount``  User    ``(this)-[:FOLLOWS]->(:User)``
``postCount``       User    ``(this)-[:POSTED]->(:Post)``
``likeCount``       Post    ``(:User)-[:LIKES]->(this)``
``commentCount``    Post    ``(:Comment)-[:ON]->(this)``
==================  ======  ==============================================

A vertex written before counters existed has none of these properties; a read takes a
missing counter as 0 until the repair job (:mod:`shared.graph.counters`) has written it
from the edges (docs/scaling.md, "Counters").

How a vertex's domain id maps to Neptune's ``~id``
--------------------------------------------------
The domain id (a User's Cognito ``sub``; the uuid graph_api generates for a Post or a
Comment) is the ordinary property ``id`` (:attr:`Key.DOMAIN_ID`). Vertices are
``MERGE``d on it and ``~id`` is never set, so Neptune generates each vertex's ``~id``
(a UUID string, unrelated to the domain id); the embedded FalkorDB engine the tests run
uses its own integer id. Neptune's note on exactly this: "The property ``~id`` is used
to specify the ID, whereas ``id`` is just stored as any other property" ("Prefer using
custom IDs for node/relationship", Neptune best practices:
https://docs.aws.amazon.com/neptune/latest/userguide/best-practices-content-15.html).

Why the domain id stays a property rather than becoming ``~id``: setting ``~id`` is
Neptune-only syntax (``CREATE (n {`~id`: ...})``, an openCypher extension since engine
1.2.0.2 that makes ``~id`` a reserved key: "openCypher extensions in Amazon Neptune",
https://docs.aws.amazon.com/neptune/latest/userguide/access-graph-opencypher-extensions.html).
On FalkorDB it would be just another property and ``id(v)`` would stay the engine's
integer, so the query texts would have to differ per engine and the tests would no
longer run what Neptune runs. Keeping one text for both is worth one lookup per page in
the poller; ``~id`` lookups would be faster on Neptune, and that trade is deliberate.

What this means for a reader of Neptune Streams: PG_JSON records name every element by
its ``~id`` (``data.id``, and an edge's ``from``/``to``; "Serialization Formats in Neptune
Streams", https://docs.aws.amazon.com/neptune/latest/userguide/streams-change-formats.html),
never by domain id. The poller resolves a vertex's domain id

1. from the same page's own ``vp`` record of :attr:`Key.DOMAIN_ID` when the vertex was
   created there (no query, and no dependence on the reader replica having caught up
   with a vertex committed moments ago), else
2. with :data:`VERTEX_DOMAIN_IDS`, one batched, parameterised query on the writer (a
   replica may lag the stream).
   openCypher's ``id(v)`` is the ``~id`` on Neptune and the engine's id on FalkorDB, so
   the same text runs on both (on FalkorDB the parameter values are integers).

A vertex resolved by neither no longer exists, and a change that needs it notifies
nobody.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Vertex(StrEnum):
    """Vertex (node) labels."""

    USER = "User"
    POST = "Post"
    COMMENT = "Comment"


class Edge(StrEnum):
    """Edge (relationship) labels."""

    FOLLOWS = "FOLLOWS"  # user -> user they follow
    POSTED = "POSTED"  # author -> post
    LIKES = "LIKES"  # user -> post
    WROTE = "WROTE"  # author -> comment
    ON = "ON"  # comment -> post


class Key(StrEnum):
    """Property keys that more than the queries that write them rely on."""

    #: Every vertex's domain id (see the module docstring for how it maps to ``~id``).
    DOMAIN_ID = "id"
    #: A Comment's post, by domain id: written with the comment, so a stream reader
    #: finds the post in the comment's own transaction.
    COMMENT_POST = "postId"
    #: The counters (see "Counters" above); each name is also the GraphQL field that shows it.
    FOLLOWER_COUNT = "followerCount"
    FOLLOWING_COUNT = "followingCount"
    POST_COUNT = "postCount"
    LIKE_COUNT = "likeCount"
    COMMENT_COUNT = "commentCount"


#: The counters of each vertex label, in the order the repair job reports them.
COUNTERS: Final[dict[Vertex, tuple[Key, ...]]] = {
    Vertex.USER: (Key.FOLLOWER_COUNT, Key.FOLLOWING_COUNT, Key.POST_COUNT),
    Vertex.POST: (Key.LIKE_COUNT, Key.COMMENT_COUNT),
}


#: ``~id`` -> domain id for ``$vertexIds`` (vertices that no longer exist are absent).
VERTEX_DOMAIN_IDS: Final = (
    f"MATCH (v) WHERE id(v) IN $vertexIds RETURN id(v) AS vertexId, v.{Key.DOMAIN_ID} AS domainId"
)
