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
- Counts are kept, not counted: follower, following, post, like and comment counts are
  properties of their vertices (:data:`shared.graph.model.COUNTERS`), changed by the very
  statement that adds or removes the edge they count. An edge a ``MERGE`` creates
  increments (``ON CREATE SET``), so a repeated follow or like changes nothing; a delete
  decrements only on the rows where it matched (and so deleted) an edge; a decrement
  never goes below 0. Every read of a count reads the property (a missing one is 0:
  vertices older than the counters, until the repair job has run), so a profile or a
  post costs the same at any degree. One statement is one transaction on Neptune, and
  the reads a mutation makes lock what they read (no non-repeatable or phantom reads;
  a conflicting concurrent write waits, or fails with ``ConcurrentModificationException``
  and the whole statement is rolled back and retried by the client): "Transaction
  Isolation Levels in Neptune",
  https://docs.aws.amazon.com/neptune/latest/userguide/transactions-neptune.html, and
  "Exception Handling and Retries",
  https://docs.aws.amazon.com/neptune/latest/userguide/transactions-exceptions.html.
  ``MERGE``, ``SET``, ``DELETE``, ``CASE`` and ``coalesce`` are all in Neptune's
  supported openCypher ("openCypher specification compliance in Amazon Neptune",
  https://docs.aws.amazon.com/neptune/latest/userguide/feature-opencypher-compliance.html);
  the embedded engine runs the same texts in the tests, including a concurrency test.
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

# Short names for the texts below (lower case: ``ALL`` takes only upper-case names).
_user, _post, _comment = Vertex.USER, Vertex.POST, Vertex.COMMENT
_follows, _posted, _likes, _wrote, _on = Edge.FOLLOWS, Edge.POSTED, Edge.LIKES, Edge.WROTE, Edge.ON
_id, _post_id = Key.DOMAIN_ID, Key.COMMENT_POST
_followers, _following, _posts = Key.FOLLOWER_COUNT, Key.FOLLOWING_COUNT, Key.POST_COUNT
_likes_n, _comments_n = Key.LIKE_COUNT, Key.COMMENT_COUNT


def _count(variable: str, counter: Key) -> str:
    """A counter as read: a vertex written before counters existed has none, read as 0."""
    return f"coalesce({variable}.{counter}, 0)"


def _increment(variable: str, counter: Key) -> str:
    return f"{variable}.{counter} = {_count(variable, counter)} + 1"


def _decrement(variable: str, counter: Key) -> str:
    """Never below 0 (a counter that is already wrong is the repair job's to fix)."""
    current = _count(variable, counter)
    return f"{variable}.{counter} = CASE WHEN {current} > 0 THEN {current} - 1 ELSE 0 END"


# --- Users -------------------------------------------------------------------------

#: Profiles of ``$ids`` as seen by ``$viewerId``: the kept counts (no edge is counted) and
#: whether the viewer follows. Both ends are bound before that edge is looked for, so the
#: engine checks the one edge between them instead of walking either's edges (found on
#: the embedded engine: with the viewer matched in the same pattern it walked all of
#: ``u``'s followers).
USERS_BY_IDS = f"""
UNWIND $ids AS userId
MATCH (u:{_user} {{{_id}: userId}})
OPTIONAL MATCH (viewer:{_user} {{{_id}: $viewerId}})
OPTIONAL MATCH (viewer)-[edge:{_follows}]->(u)
RETURN u.{_id} AS id, u.handle AS handle, u.displayName AS displayName, u.bio AS bio,
       u.avatarKey AS avatarKey, u.createdAt AS createdAt,
       {_count("u", _followers)} AS followerCount, {_count("u", _following)} AS followingCount,
       {_count("u", _posts)} AS postCount, count(edge) > 0 AS viewerFollows
"""

#: The id of the user with ``$handle`` (handles are stored lower-case).
USER_ID_BY_HANDLE = f"""
MATCH (u:{_user} {{handle: $handle}})
RETURN u.{_id} AS id
"""

#: Post confirmation: the user's vertex, created once per Cognito ``sub``. The handle is
#: ``$handle`` unless another user already holds it, then ``$fallbackHandle`` (unique
#: because it is derived from the sub alone). Re-running it changes nothing. A new user's
#: counters start at 0.
CREATE_USER = f"""
OPTIONAL MATCH (taken:{_user} {{handle: $handle}})
WHERE taken.{_id} <> $userId
WITH count(taken) AS clashes
MERGE (u:{_user} {{{_id}: $userId}})
ON CREATE SET u.handle = CASE WHEN clashes = 0 THEN $handle ELSE $fallbackHandle END,
              u.displayName = $displayName,
              u.createdAt = $createdAt,
              u.{_followers} = 0, u.{_following} = 0, u.{_posts} = 0
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

#: Idempotent: a second follow finds the edge, keeps its first ``createdAt`` and counts
#: nothing; the follow that creates the edge counts it on both users.
FOLLOW = f"""
MATCH (follower:{_user} {{{_id}: $followerId}}), (followee:{_user} {{{_id}: $followeeId}})
MERGE (follower)-[edge:{_follows}]->(followee)
ON CREATE SET edge.createdAt = $createdAt,
              {_increment("follower", _following)},
              {_increment("followee", _followers)}
RETURN followee.{_id} AS id
"""

#: Uncounts on both users only when it found (and so deletes) the edge; ``removed`` is 0
#: when there was none, and then nothing changes.
UNFOLLOW = f"""
MATCH (follower:{_user} {{{_id}: $followerId}})-[edge:{_follows}]->(followee:{_user} {{{_id}: $followeeId}})
DELETE edge
SET {_decrement("follower", _following)},
    {_decrement("followee", _followers)}
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

#: Posts ``$ids`` with their author's id, the kept counts and whether ``$viewerId`` liked
#: (the one edge between two bound vertices, as in :data:`USERS_BY_IDS`).
POSTS_BY_IDS = f"""
UNWIND $ids AS postId
MATCH (author:{_user})-[:{_posted}]->(p:{_post} {{{_id}: postId}})
OPTIONAL MATCH (viewer:{_user} {{{_id}: $viewerId}})
OPTIONAL MATCH (viewer)-[like:{_likes}]->(p)
RETURN p.{_id} AS id, author.{_id} AS authorId, p.text AS text, p.mediaKeys AS mediaKeys,
       p.createdAt AS createdAt, {_count("p", _likes_n)} AS likeCount,
       {_count("p", _comments_n)} AS commentCount, count(like) > 0 AS viewerLiked
"""

#: Idempotent on ``$postId`` (generated once per request): the ``POSTED`` edge that a
#: retry finds again counts nothing.
CREATE_POST = f"""
MATCH (author:{_user} {{{_id}: $authorId}})
MERGE (p:{_post} {{{_id}: $postId}})
ON CREATE SET p.text = $text, p.mediaKeys = $mediaKeys, p.createdAt = $createdAt,
              p.{_likes_n} = 0, p.{_comments_n} = 0
MERGE (author)-[:{_posted}]->(p)
ON CREATE SET {_increment("author", _posts)}
RETURN p.{_id} AS id
"""

#: The author of post ``$postId`` (no row: no such post).
POST_AUTHOR = f"""
MATCH (author:{_user})-[:{_posted}]->(p:{_post} {{{_id}: $postId}})
RETURN author.{_id} AS authorId
"""

#: Deletes post ``$postId`` of ``$authorId`` with its comments; likes and the other
#: edges go with ``DETACH`` (the post's own counters with it); the author's post count
#: drops by one, before the comments multiply the rows. ``deleted`` is 0 (and nothing
#: changes) when the post is not the author's.
DELETE_POST = f"""
MATCH (author:{_user} {{{_id}: $authorId}})-[:{_posted}]->(p:{_post} {{{_id}: $postId}})
SET {_decrement("author", _posts)}
WITH p
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

# --- Likes -------------------------------------------------------------------------

#: Idempotent: a second like finds the edge and counts nothing. No row: no such user or post.
LIKE_POST = f"""
MATCH (u:{_user} {{{_id}: $userId}}), (p:{_post} {{{_id}: $postId}})
MERGE (u)-[like:{_likes}]->(p)
ON CREATE SET like.createdAt = $createdAt, {_increment("p", _likes_n)}
RETURN p.{_id} AS id
"""

#: Uncounts only when it found (and so deletes) the like.
UNLIKE_POST = f"""
MATCH (:{_user} {{{_id}: $userId}})-[like:{_likes}]->(p:{_post} {{{_id}: $postId}})
DELETE like
SET {_decrement("p", _likes_n)}
RETURN count(*) AS removed
"""

# --- Comments ----------------------------------------------------------------------

#: Idempotent on ``$commentId`` (generated once per request): the ``ON`` edge a retry
#: finds again counts nothing. No row: no such post.
ADD_COMMENT = f"""
MATCH (author:{_user} {{{_id}: $authorId}}), (p:{_post} {{{_id}: $postId}})
MERGE (c:{_comment} {{{_id}: $commentId}})
ON CREATE SET c.{_post_id} = $postId, c.text = $text, c.createdAt = $createdAt
MERGE (author)-[:{_wrote}]->(c)
MERGE (c)-[:{_on}]->(p)
ON CREATE SET {_increment("p", _comments_n)}
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

#: Deletes comment ``$commentId`` if ``$userId`` wrote it or wrote the post it is on, and
#: uncounts it on that post (no row matched: nothing deleted, nothing uncounted).
DELETE_COMMENT = f"""
MATCH (author:{_user})-[:{_wrote}]->(c:{_comment} {{{_id}: $commentId}})
      -[:{_on}]->(p:{_post})<-[:{_posted}]-(postAuthor:{_user})
WHERE author.{_id} = $userId OR postAuthor.{_id} = $userId
SET {_decrement("p", _comments_n)}
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

# --- Counter repair (shared.graph.counters) ---------------------------------------
# Batches are keyset pages of domain ids; each batch recounts its vertices' edges and
# writes only the counters that differ, in one statement (one transaction), so a follow
# or like racing the repair is either counted in the recount or waits for it.

#: The next ``$limit`` user ids after ``$afterId`` (null: from the first), in id order.
USER_IDS_AFTER = f"""
MATCH (u:{_user})
WHERE $afterId IS NULL OR u.{_id} > $afterId
RETURN u.{_id} AS id
ORDER BY id
LIMIT $limit
"""

#: The next ``$limit`` post ids after ``$afterId`` (null: from the first), in id order.
POST_IDS_AFTER = f"""
MATCH (p:{_post})
WHERE $afterId IS NULL OR p.{_id} > $afterId
RETURN p.{_id} AS id
ORDER BY id
LIMIT $limit
"""

#: Recounts users ``$ids`` from their edges; sets and returns (stored value first) only
#: those whose stored counters differ or are missing.
REPAIR_USER_COUNTERS = f"""
UNWIND $ids AS userId
MATCH (u:{_user} {{{_id}: userId}})
OPTIONAL MATCH (follower:{_user})-[:{_follows}]->(u)
WITH u, count(follower) AS followers
OPTIONAL MATCH (u)-[:{_follows}]->(followed:{_user})
WITH u, followers, count(followed) AS following
OPTIONAL MATCH (u)-[:{_posted}]->(post:{_post})
WITH u, followers, following, count(post) AS posts,
     u.{_followers} AS storedFollowers, u.{_following} AS storedFollowing, u.{_posts} AS storedPosts
WHERE storedFollowers IS NULL OR storedFollowers <> followers
   OR storedFollowing IS NULL OR storedFollowing <> following
   OR storedPosts IS NULL OR storedPosts <> posts
SET u.{_followers} = followers, u.{_following} = following, u.{_posts} = posts
RETURN u.{_id} AS id, storedFollowers, followers, storedFollowing, following, storedPosts, posts
"""

#: Recounts posts ``$ids`` from their edges; sets and returns (stored value first) only
#: those whose stored counters differ or are missing.
REPAIR_POST_COUNTERS = f"""
UNWIND $ids AS postId
MATCH (p:{_post} {{{_id}: postId}})
OPTIONAL MATCH (liker:{_user})-[:{_likes}]->(p)
WITH p, count(liker) AS likes
OPTIONAL MATCH (comment:{_comment})-[:{_on}]->(p)
WITH p, likes, count(comment) AS comments, p.{_likes_n} AS storedLikes, p.{_comments_n} AS storedComments
WHERE storedLikes IS NULL OR storedLikes <> likes
   OR storedComments IS NULL OR storedComments <> comments
SET p.{_likes_n} = likes, p.{_comments_n} = comments
RETURN p.{_id} AS id, storedLikes, likes, storedComments, comments
"""

#: Every named query, for tests that check each one runs and each one is parameterised.
ALL: dict[str, str] = {
    name: value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)
}
