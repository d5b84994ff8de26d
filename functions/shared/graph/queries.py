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
- Labels and the shared keys (the domain ``id``, a comment's ``postId``) come from
  :mod:`shared.graph.model`, which the stream poller reads too: each text is an f-string
  rendered once at import (``{{...}}`` is a literal openCypher map), so a constant's
  value is the exact text sent. The model, and how a vertex's domain id relates to
  Neptune's ``~id``, are described there.
"""

from __future__ import annotations

from shared.graph.model import Edge, Key, Vertex

#: SEAM (issue 16 item 1, the graph-counters work): the kept follower counter on the User
#: vertex. A vertex without it (before the counters land, or before their repair job ran)
#: has its FOLLOWS edges counted instead: see FAN_IN_FOLLOWEES and the stream poller's
#: ``stream_poller.graph_model.FOLLOWER_COUNTS_QUERY``. Becomes ``model.Key.FOLLOWER_COUNT`` (lower case
#: meanwhile: ``ALL`` lists only the upper-case names, the query texts).
follower_count = "followerCount"

# Short names for the texts below (lower case: ``ALL`` takes only upper-case names).
_user, _post, _comment = Vertex.USER, Vertex.POST, Vertex.COMMENT
_follows, _posted, _likes, _wrote, _on = Edge.FOLLOWS, Edge.POSTED, Edge.LIKES, Edge.WROTE, Edge.ON
_id, _post_id = Key.DOMAIN_ID, Key.COMMENT_POST

# --- Users -------------------------------------------------------------------------

#: Profiles of ``$ids`` as seen by ``$viewerId`` (counts and whether the viewer follows).
USERS_BY_IDS = f"""
UNWIND $ids AS userId
MATCH (u:{_user} {{{_id}: userId}})
OPTIONAL MATCH (follower:{_user})-[:{_follows}]->(u)
WITH u, count(follower) AS followerCount
OPTIONAL MATCH (u)-[:{_follows}]->(followed:{_user})
WITH u, followerCount, count(followed) AS followingCount
OPTIONAL MATCH (u)-[:{_posted}]->(post:{_post})
WITH u, followerCount, followingCount, count(post) AS postCount
OPTIONAL MATCH (viewer:{_user} {{{_id}: $viewerId}})-[edge:{_follows}]->(u)
RETURN u.{_id} AS id, u.handle AS handle, u.displayName AS displayName, u.bio AS bio,
       u.avatarKey AS avatarKey, u.createdAt AS createdAt,
       followerCount, followingCount, postCount, count(edge) > 0 AS viewerFollows
"""

#: The id of the user with ``$handle`` (handles are stored lower-case).
USER_ID_BY_HANDLE = f"""
MATCH (u:{_user} {{handle: $handle}})
RETURN u.{_id} AS id
"""

#: Post confirmation: the user's vertex, created once per Cognito ``sub``. The handle is
#: ``$handle`` unless another user already holds it, then ``$fallbackHandle`` (unique
#: because it is derived from the sub alone). Re-running it changes nothing.
CREATE_USER = f"""
OPTIONAL MATCH (taken:{_user} {{handle: $handle}})
WHERE taken.{_id} <> $userId
WITH count(taken) AS clashes
MERGE (u:{_user} {{{_id}: $userId}})
ON CREATE SET u.handle = CASE WHEN clashes = 0 THEN $handle ELSE $fallbackHandle END,
              u.displayName = $displayName,
              u.createdAt = $createdAt
RETURN u.{_id} AS id, u.handle AS handle
"""

#: Sets only the fields whose ``$set<Field>`` flag is true; setting ``null`` removes a property.
UPDATE_PROFILE = f"""
MATCH (u:{_user} {{{_id}: $userId}})
SET u.displayName = CASE WHEN $setDisplayName THEN $displayName ELSE u.displayName END,
    u.bio = CASE WHEN $setBio THEN $bio ELSE u.bio END,
    u.avatarKey = CASE WHEN $setAvatarKey THEN $avatarKey ELSE u.avatarKey END
RETURN u.{_id} AS id
"""

# --- Follows -----------------------------------------------------------------------

#: Idempotent: a second follow finds the edge and keeps its first ``createdAt``.
FOLLOW = f"""
MATCH (follower:{_user} {{{_id}: $followerId}}), (followee:{_user} {{{_id}: $followeeId}})
MERGE (follower)-[edge:{_follows}]->(followee)
ON CREATE SET edge.createdAt = $createdAt
RETURN followee.{_id} AS id
"""

UNFOLLOW = f"""
MATCH (follower:{_user} {{{_id}: $followerId}})-[edge:{_follows}]->(followee:{_user} {{{_id}: $followeeId}})
DELETE edge
RETURN count(*) AS removed
"""

#: Who follows ``$userId``, most recent follow first, after the cursor (if any).
FOLLOWERS_PAGE = f"""
MATCH (u:{_user})-[edge:{_follows}]->(:{_user} {{{_id}: $userId}})
WHERE $afterCreatedAt IS NULL
   OR edge.createdAt < $afterCreatedAt
   OR (edge.createdAt = $afterCreatedAt AND u.{_id} < $afterId)
RETURN u.{_id} AS id, edge.createdAt AS createdAt
ORDER BY createdAt DESC, id DESC
LIMIT $limit
"""

#: Whom ``$userId`` follows, most recent follow first, after the cursor (if any).
FOLLOWING_PAGE = f"""
MATCH (:{_user} {{{_id}: $userId}})-[edge:{_follows}]->(u:{_user})
WHERE $afterCreatedAt IS NULL
   OR edge.createdAt < $afterCreatedAt
   OR (edge.createdAt = $afterCreatedAt AND u.{_id} < $afterId)
RETURN u.{_id} AS id, edge.createdAt AS createdAt
ORDER BY createdAt DESC, id DESC
LIMIT $limit
"""

# --- Posts -------------------------------------------------------------------------

#: Posts ``$ids`` with their author's id and counts as seen by ``$viewerId``.
POSTS_BY_IDS = f"""
UNWIND $ids AS postId
MATCH (author:{_user})-[:{_posted}]->(p:{_post} {{{_id}: postId}})
OPTIONAL MATCH (liker:{_user})-[:{_likes}]->(p)
WITH author, p, count(liker) AS likeCount
OPTIONAL MATCH (comment:{_comment})-[:{_on}]->(p)
WITH author, p, likeCount, count(comment) AS commentCount
OPTIONAL MATCH (viewer:{_user} {{{_id}: $viewerId}})-[like:{_likes}]->(p)
RETURN p.{_id} AS id, author.{_id} AS authorId, p.text AS text, p.mediaKeys AS mediaKeys,
       p.createdAt AS createdAt, likeCount, commentCount, count(like) > 0 AS viewerLiked
"""

#: Idempotent on ``$postId`` (generated once per request).
CREATE_POST = f"""
MATCH (author:{_user} {{{_id}: $authorId}})
MERGE (p:{_post} {{{_id}: $postId}})
ON CREATE SET p.text = $text, p.mediaKeys = $mediaKeys, p.createdAt = $createdAt
MERGE (author)-[:{_posted}]->(p)
RETURN p.{_id} AS id
"""

#: The author of post ``$postId`` (no row: no such post).
POST_AUTHOR = f"""
MATCH (author:{_user})-[:{_posted}]->(p:{_post} {{{_id}: $postId}})
RETURN author.{_id} AS authorId
"""

#: Deletes post ``$postId`` of ``$authorId`` with its comments; likes and the other
#: edges go with ``DETACH``. ``deleted`` is 0 when the post is not the author's.
DELETE_POST = f"""
MATCH (:{_user} {{{_id}: $authorId}})-[:{_posted}]->(p:{_post} {{{_id}: $postId}})
OPTIONAL MATCH (comment:{_comment})-[:{_on}]->(p)
DETACH DELETE comment, p
RETURN count(*) AS deleted
"""

#: Posts by ``$userId``, newest first, after the cursor (if any).
POSTS_BY_USER_PAGE = f"""
MATCH (:{_user} {{{_id}: $userId}})-[:{_posted}]->(p:{_post})
WHERE $afterCreatedAt IS NULL
   OR p.createdAt < $afterCreatedAt
   OR (p.createdAt = $afterCreatedAt AND p.{_id} < $afterId)
RETURN p.{_id} AS id, p.createdAt AS createdAt
ORDER BY createdAt DESC, id DESC
LIMIT $limit
"""

#: Home feed: posts by the users ``$viewerId`` follows, newest first, after the cursor.
HOME_FEED_PAGE = f"""
MATCH (:{_user} {{{_id}: $viewerId}})-[:{_follows}]->(:{_user})-[:{_posted}]->(p:{_post})
WHERE $afterCreatedAt IS NULL
   OR p.createdAt < $afterCreatedAt
   OR (p.createdAt = $afterCreatedAt AND p.{_id} < $afterId)
RETURN p.{_id} AS id, p.createdAt AS createdAt
ORDER BY createdAt DESC, id DESC
LIMIT $limit
"""

#: Whom ``$viewerId`` follows that has more than ``$threshold`` followers: the home feed reads
#: their outboxes (fan-in) instead of expecting their posts in the viewer's timeline. The
#: kept counter when the vertex has it, else the edges counted (the seam in
#: :data:`follower_count`).
FAN_IN_FOLLOWEES = f"""
MATCH (:{_user} {{{_id}: $viewerId}})-[:{_follows}]->(u:{_user})
OPTIONAL MATCH (follower:{_user})-[:{_follows}]->(u) WHERE u.{follower_count} IS NULL
WITH u, count(follower) AS counted
WHERE coalesce(u.{follower_count}, counted) > $threshold
RETURN u.{_id} AS id
ORDER BY id
"""

# --- Likes -------------------------------------------------------------------------

#: Idempotent: a second like finds the edge. No row: no such user or post.
LIKE_POST = f"""
MATCH (u:{_user} {{{_id}: $userId}}), (p:{_post} {{{_id}: $postId}})
MERGE (u)-[like:{_likes}]->(p)
ON CREATE SET like.createdAt = $createdAt
RETURN p.{_id} AS id
"""

UNLIKE_POST = f"""
MATCH (:{_user} {{{_id}: $userId}})-[like:{_likes}]->(:{_post} {{{_id}: $postId}})
DELETE like
RETURN count(*) AS removed
"""

# --- Comments ----------------------------------------------------------------------

#: Idempotent on ``$commentId`` (generated once per request). No row: no such post.
ADD_COMMENT = f"""
MATCH (author:{_user} {{{_id}: $authorId}}), (p:{_post} {{{_id}: $postId}})
MERGE (c:{_comment} {{{_id}: $commentId}})
ON CREATE SET c.{_post_id} = $postId, c.text = $text, c.createdAt = $createdAt
MERGE (author)-[:{_wrote}]->(c)
MERGE (c)-[:{_on}]->(p)
RETURN c.{_id} AS id
"""

#: Comments ``$ids`` with their author's id.
COMMENTS_BY_IDS = f"""
UNWIND $ids AS commentId
MATCH (author:{_user})-[:{_wrote}]->(c:{_comment} {{{_id}: commentId}})
RETURN c.{_id} AS id, c.{_post_id} AS postId, author.{_id} AS authorId, c.text AS text, c.createdAt AS createdAt
"""

#: Who may delete comment ``$commentId``: its author and the author of its post.
COMMENT_OWNERS = f"""
MATCH (author:{_user})-[:{_wrote}]->(c:{_comment} {{{_id}: $commentId}})
      -[:{_on}]->(:{_post})<-[:{_posted}]-(postAuthor:{_user})
RETURN author.{_id} AS authorId, postAuthor.{_id} AS postAuthorId
"""

#: Deletes comment ``$commentId`` if ``$userId`` wrote it or wrote the post it is on.
DELETE_COMMENT = f"""
MATCH (author:{_user})-[:{_wrote}]->(c:{_comment} {{{_id}: $commentId}})
      -[:{_on}]->(:{_post})<-[:{_posted}]-(postAuthor:{_user})
WHERE author.{_id} = $userId OR postAuthor.{_id} = $userId
DETACH DELETE c
RETURN count(*) AS deleted
"""

#: Comments on ``$postId``, oldest first (reading order), after the cursor (if any).
COMMENTS_PAGE = f"""
MATCH (c:{_comment})-[:{_on}]->(:{_post} {{{_id}: $postId}})
WHERE $afterCreatedAt IS NULL
   OR c.createdAt > $afterCreatedAt
   OR (c.createdAt = $afterCreatedAt AND c.{_id} > $afterId)
RETURN c.{_id} AS id, c.createdAt AS createdAt
ORDER BY createdAt ASC, id ASC
LIMIT $limit
"""

#: Every named query, for tests that check each one runs and each one is parameterised.
ALL: dict[str, str] = {
    name: value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)
}
