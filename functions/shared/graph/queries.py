"""Every openCypher statement the backend sends to Neptune, as named constants.

Rules the texts follow (so they run unchanged on Neptune and on the embedded engine the
tests use):

- Every value comes from a ``$parameter``; nothing here is ever formatted with user input.
- Only scalar columns are returned (no nodes, maps or paths), so result shapes are the
  same on every engine.
- Timestamps are ISO-8601 UTC strings with milliseconds (``2025-01-31T12:00:00.000Z``):
  their lexical order is their time order. Ties are broken by id, so keyset pagination
  (``createdAt``, ``id``) is total and stable.
- ``mediaKeys`` is stored as a JSON string: Neptune advises against array property
  values in openCypher (it treats them as multi-valued sets, losing order).
- Page sizes are a ``LIMIT $limit`` parameter: Neptune refuses only row-dependent
  (non-static) SKIP/LIMIT expressions; a parameter is fixed for the whole query. This and
  every other text here is checked on the embedded engine, not on a live cluster.
- Counts are computed when read (``OPTIONAL MATCH`` + ``count``) rather than kept as
  counters, so concurrent follows and likes cannot drift a number.
- Follows and likes are ``MERGE``d, so repeating a mutation never adds a second edge;
  posts and comments are ``MERGE``d on an id generated once per request, so a retried
  request cannot create a duplicate.

Model::

    (:User {id, handle, displayName, bio, avatarKey, createdAt})
    (:User)-[:FOLLOWS {createdAt}]->(:User)
    (:User)-[:POSTED]->(:Post {id, text, mediaKeys, createdAt})
    (:User)-[:LIKES {createdAt}]->(:Post)
    (:User)-[:WROTE]->(:Comment {id, postId, text, createdAt})-[:ON]->(:Post)
"""

from __future__ import annotations

# --- Users -------------------------------------------------------------------------

#: Profiles of ``$ids`` as seen by ``$viewerId`` (counts and whether the viewer follows).
USERS_BY_IDS = """
UNWIND $ids AS userId
MATCH (u:User {id: userId})
OPTIONAL MATCH (follower:User)-[:FOLLOWS]->(u)
WITH u, count(follower) AS followerCount
OPTIONAL MATCH (u)-[:FOLLOWS]->(followed:User)
WITH u, followerCount, count(followed) AS followingCount
OPTIONAL MATCH (u)-[:POSTED]->(post:Post)
WITH u, followerCount, followingCount, count(post) AS postCount
OPTIONAL MATCH (viewer:User {id: $viewerId})-[edge:FOLLOWS]->(u)
RETURN u.id AS id, u.handle AS handle, u.displayName AS displayName, u.bio AS bio,
       u.avatarKey AS avatarKey, u.createdAt AS createdAt,
       followerCount, followingCount, postCount, count(edge) > 0 AS viewerFollows
"""

#: The id of the user with ``$handle`` (handles are stored lower-case).
USER_ID_BY_HANDLE = """
MATCH (u:User {handle: $handle})
RETURN u.id AS id
"""

#: Post confirmation: the user's vertex, created once per Cognito ``sub``. The handle is
#: ``$handle`` unless another user already holds it, then ``$fallbackHandle`` (unique
#: because it is derived from the sub alone). Re-running it changes nothing.
CREATE_USER = """
OPTIONAL MATCH (taken:User {handle: $handle})
WHERE taken.id <> $userId
WITH count(taken) AS clashes
MERGE (u:User {id: $userId})
ON CREATE SET u.handle = CASE WHEN clashes = 0 THEN $handle ELSE $fallbackHandle END,
              u.displayName = $displayName,
              u.createdAt = $createdAt
RETURN u.id AS id, u.handle AS handle
"""

#: Sets only the fields whose ``$set<Field>`` flag is true; setting ``null`` removes a property.
UPDATE_PROFILE = """
MATCH (u:User {id: $userId})
SET u.displayName = CASE WHEN $setDisplayName THEN $displayName ELSE u.displayName END,
    u.bio = CASE WHEN $setBio THEN $bio ELSE u.bio END,
    u.avatarKey = CASE WHEN $setAvatarKey THEN $avatarKey ELSE u.avatarKey END
RETURN u.id AS id
"""

# --- Follows -----------------------------------------------------------------------

#: Idempotent: a second follow finds the edge and keeps its first ``createdAt``.
FOLLOW = """
MATCH (follower:User {id: $followerId}), (followee:User {id: $followeeId})
MERGE (follower)-[edge:FOLLOWS]->(followee)
ON CREATE SET edge.createdAt = $createdAt
RETURN followee.id AS id
"""

UNFOLLOW = """
MATCH (follower:User {id: $followerId})-[edge:FOLLOWS]->(followee:User {id: $followeeId})
DELETE edge
RETURN count(*) AS removed
"""

#: Who follows ``$userId``, most recent follow first, after the cursor (if any).
FOLLOWERS_PAGE = """
MATCH (u:User)-[edge:FOLLOWS]->(:User {id: $userId})
WHERE $afterCreatedAt IS NULL
   OR edge.createdAt < $afterCreatedAt
   OR (edge.createdAt = $afterCreatedAt AND u.id < $afterId)
RETURN u.id AS id, edge.createdAt AS createdAt
ORDER BY createdAt DESC, id DESC
LIMIT $limit
"""

#: Whom ``$userId`` follows, most recent follow first, after the cursor (if any).
FOLLOWING_PAGE = """
MATCH (:User {id: $userId})-[edge:FOLLOWS]->(u:User)
WHERE $afterCreatedAt IS NULL
   OR edge.createdAt < $afterCreatedAt
   OR (edge.createdAt = $afterCreatedAt AND u.id < $afterId)
RETURN u.id AS id, edge.createdAt AS createdAt
ORDER BY createdAt DESC, id DESC
LIMIT $limit
"""

# --- Posts -------------------------------------------------------------------------

#: Posts ``$ids`` with their author's id and counts as seen by ``$viewerId``.
POSTS_BY_IDS = """
UNWIND $ids AS postId
MATCH (author:User)-[:POSTED]->(p:Post {id: postId})
OPTIONAL MATCH (liker:User)-[:LIKES]->(p)
WITH author, p, count(liker) AS likeCount
OPTIONAL MATCH (comment:Comment)-[:ON]->(p)
WITH author, p, likeCount, count(comment) AS commentCount
OPTIONAL MATCH (viewer:User {id: $viewerId})-[like:LIKES]->(p)
RETURN p.id AS id, author.id AS authorId, p.text AS text, p.mediaKeys AS mediaKeys,
       p.createdAt AS createdAt, likeCount, commentCount, count(like) > 0 AS viewerLiked
"""

#: Idempotent on ``$postId`` (generated once per request).
CREATE_POST = """
MATCH (author:User {id: $authorId})
MERGE (p:Post {id: $postId})
ON CREATE SET p.text = $text, p.mediaKeys = $mediaKeys, p.createdAt = $createdAt
MERGE (author)-[:POSTED]->(p)
RETURN p.id AS id
"""

#: The author of post ``$postId`` (no row: no such post).
POST_AUTHOR = """
MATCH (author:User)-[:POSTED]->(p:Post {id: $postId})
RETURN author.id AS authorId
"""

#: Deletes post ``$postId`` of ``$authorId`` with its comments; likes and the other
#: edges go with ``DETACH``. ``deleted`` is 0 when the post is not the author's.
DELETE_POST = """
MATCH (:User {id: $authorId})-[:POSTED]->(p:Post {id: $postId})
OPTIONAL MATCH (comment:Comment)-[:ON]->(p)
DETACH DELETE comment, p
RETURN count(*) AS deleted
"""

#: Posts by ``$userId``, newest first, after the cursor (if any).
POSTS_BY_USER_PAGE = """
MATCH (:User {id: $userId})-[:POSTED]->(p:Post)
WHERE $afterCreatedAt IS NULL
   OR p.createdAt < $afterCreatedAt
   OR (p.createdAt = $afterCreatedAt AND p.id < $afterId)
RETURN p.id AS id, p.createdAt AS createdAt
ORDER BY createdAt DESC, id DESC
LIMIT $limit
"""

#: Home feed: posts by the users ``$viewerId`` follows, newest first, after the cursor.
HOME_FEED_PAGE = """
MATCH (:User {id: $viewerId})-[:FOLLOWS]->(:User)-[:POSTED]->(p:Post)
WHERE $afterCreatedAt IS NULL
   OR p.createdAt < $afterCreatedAt
   OR (p.createdAt = $afterCreatedAt AND p.id < $afterId)
RETURN p.id AS id, p.createdAt AS createdAt
ORDER BY createdAt DESC, id DESC
LIMIT $limit
"""

# --- Likes -------------------------------------------------------------------------

#: Idempotent: a second like finds the edge. No row: no such user or post.
LIKE_POST = """
MATCH (u:User {id: $userId}), (p:Post {id: $postId})
MERGE (u)-[like:LIKES]->(p)
ON CREATE SET like.createdAt = $createdAt
RETURN p.id AS id
"""

UNLIKE_POST = """
MATCH (:User {id: $userId})-[like:LIKES]->(:Post {id: $postId})
DELETE like
RETURN count(*) AS removed
"""

# --- Comments ----------------------------------------------------------------------

#: Idempotent on ``$commentId`` (generated once per request). No row: no such post.
ADD_COMMENT = """
MATCH (author:User {id: $authorId}), (p:Post {id: $postId})
MERGE (c:Comment {id: $commentId})
ON CREATE SET c.postId = $postId, c.text = $text, c.createdAt = $createdAt
MERGE (author)-[:WROTE]->(c)
MERGE (c)-[:ON]->(p)
RETURN c.id AS id
"""

#: Comments ``$ids`` with their author's id.
COMMENTS_BY_IDS = """
UNWIND $ids AS commentId
MATCH (author:User)-[:WROTE]->(c:Comment {id: commentId})
RETURN c.id AS id, c.postId AS postId, author.id AS authorId, c.text AS text, c.createdAt AS createdAt
"""

#: Who may delete comment ``$commentId``: its author and the author of its post.
COMMENT_OWNERS = """
MATCH (author:User)-[:WROTE]->(c:Comment {id: $commentId})-[:ON]->(:Post)<-[:POSTED]-(postAuthor:User)
RETURN author.id AS authorId, postAuthor.id AS postAuthorId
"""

#: Deletes comment ``$commentId`` if ``$userId`` wrote it or wrote the post it is on.
DELETE_COMMENT = """
MATCH (author:User)-[:WROTE]->(c:Comment {id: $commentId})-[:ON]->(:Post)<-[:POSTED]-(postAuthor:User)
WHERE author.id = $userId OR postAuthor.id = $userId
DETACH DELETE c
RETURN count(*) AS deleted
"""

#: Comments on ``$postId``, oldest first (reading order), after the cursor (if any).
COMMENTS_PAGE = """
MATCH (c:Comment)-[:ON]->(:Post {id: $postId})
WHERE $afterCreatedAt IS NULL
   OR c.createdAt > $afterCreatedAt
   OR (c.createdAt = $afterCreatedAt AND c.id > $afterId)
RETURN c.id AS id, c.createdAt AS createdAt
ORDER BY createdAt ASC, id ASC
LIMIT $limit
"""

#: Every named query, for tests that check each one runs and each one is parameterised.
ALL: dict[str, str] = {
    name: value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)
}
