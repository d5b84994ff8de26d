"""The social API's domain logic: validation, authorisation, pagination and the shapes
of the GraphQL types. Pure Python over :class:`GraphRepository`; no AWS, no event parsing.

Authorisation takes the caller's id (the Cognito ``sub``) as ``viewer`` and never from
arguments:

- a user updates only their own profile (``updateProfile`` has no user argument at all);
- a user creates posts and comments only as themselves, and deletes only their own posts;
- a comment may be deleted by its author **or by the author of the post it is on**
  (a post author moderates their own thread; nobody else's);
- a user cannot follow themselves; media keys must be under the caller's own prefix.

Every mutation validates all of its input before its first write, so a rejected
request writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from shared.graph import cursors, validation
from shared.graph.cursors import Position
from shared.graph.errors import ForbiddenError, NotFoundError, ValidationError
from shared.graph.handles import derive_handles
from shared.graph.repository import GraphRepository, PageRows
from shared.graph.timelines import TimelineReader, merge_pages, outbox

JSON = dict[str, Any]


def timestamp() -> str:
    """``createdAt`` format: ISO-8601 UTC with milliseconds (lexical order is time order)."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class SocialService:
    def __init__(
        self,
        repository: GraphRepository,
        *,
        clock: Callable[[], str] = timestamp,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        timelines: TimelineReader | None = None,
        fan_in_threshold: int = 0,
    ) -> None:
        """``timelines``: the fanned-out home feed (``shared.graph.timelines``); without it
        (tests of the graph alone) every followed account is read on fan-in from the graph."""
        self.repository = repository
        self.timelines = timelines
        self.fan_in_threshold = fan_in_threshold
        self.clock = clock
        self.new_id = new_id

    # --- queries -------------------------------------------------------------------

    def viewer(self, viewer: str, claims: Mapping[str, str] | None = None) -> JSON:
        """The caller's profile. Cognito confirms a user even when the post confirmation
        trigger could not reach Neptune, so with the caller's token ``claims`` a missing
        profile is created here, exactly as that trigger would (idempotent MERGE)."""
        found = self._users([viewer], viewer)
        if viewer not in found and claims is not None:
            handle, fallback, display_name = derive_handles(viewer, claims)
            self.repository.create_user(
                user_id=viewer,
                handle=handle,
                fallback_handle=fallback,
                display_name=display_name,
                created_at=self.clock(),
            )
            found = self._users([viewer], viewer)
        if viewer not in found:
            raise NotFoundError("your profile does not exist yet; it is created when sign-up is confirmed")
        return found[viewer]

    def user(self, viewer: str, user_id: Any) -> JSON | None:
        user_id = validation.entity_id("id", user_id)
        return self._users([user_id], viewer).get(user_id)

    def user_by_handle(self, viewer: str, handle: Any) -> JSON | None:
        user_id = self.repository.user_id_by_handle(validation.handle("handle", handle))
        return None if user_id is None else self._users([user_id], viewer).get(user_id)

    def followers(self, viewer: str, user_id: Any, first: Any = None, after: Any = None) -> JSON:
        user_id = validation.entity_id("userId", user_id)
        scope = f"followers:{user_id}"
        limit, position = validation.page_size(first), cursors.decode(scope, after)
        page = self.repository.followers_page(user_id, position, limit)
        return self._connection(scope, page, self._users([row["id"] for row in page.rows], viewer))

    def following(self, viewer: str, user_id: Any, first: Any = None, after: Any = None) -> JSON:
        user_id = validation.entity_id("userId", user_id)
        scope = f"following:{user_id}"
        limit, position = validation.page_size(first), cursors.decode(scope, after)
        page = self.repository.following_page(user_id, position, limit)
        return self._connection(scope, page, self._users([row["id"] for row in page.rows], viewer))

    def post(self, viewer: str, post_id: Any) -> JSON | None:
        post_id = validation.entity_id("id", post_id)
        return self._posts([post_id], viewer).get(post_id)

    def posts_by_user(self, viewer: str, user_id: Any, first: Any = None, after: Any = None) -> JSON:
        user_id = validation.entity_id("userId", user_id)
        scope = f"postsByUser:{user_id}"
        limit, position = validation.page_size(first), cursors.decode(scope, after)
        page = self.repository.posts_by_user_page(user_id, position, limit)
        return self._connection(scope, page, self._posts([row["id"] for row in page.rows], viewer))

    def comments(self, viewer: str, post_id: Any, first: Any = None, after: Any = None) -> JSON:
        post_id = validation.entity_id("postId", post_id)
        scope = f"comments:{post_id}"
        limit, position = validation.page_size(first), cursors.decode(scope, after)
        page = self.repository.comments_page(post_id, position, limit)
        return self._connection(scope, page, self._comments([row["id"] for row in page.rows], viewer))

    def home_feed(self, viewer: str, first: Any = None, after: Any = None) -> JSON:
        # The feed is the viewer's own: the cursor is bound to them, not shareable.
        scope = f"homeFeed:{viewer}"
        limit, position = validation.page_size(first), cursors.decode(scope, after)
        if self.timelines is None:
            page = self.repository.home_feed_page(viewer, position, limit)
        else:
            # One page of the viewer's timeline (fan-out on write) merged with one page of each
            # followed high-follower account's outbox (fan-in on read), under the same cursor.
            # Projected through the graph: a deleted post, or one whose entry outlived it, drops out.
            timelines = self.timelines
            celebrities = self.repository.fan_in_followees(viewer, self.fan_in_threshold)
            parts = [timelines.page(viewer, position, limit)]
            parts += [timelines.page(outbox(author), position, limit) for author in celebrities]
            page = merge_pages(parts, limit)
        return self._connection(scope, page, self._posts([row["id"] for row in page.rows], viewer))

    # --- mutations -----------------------------------------------------------------

    def update_profile(self, viewer: str, profile: Any) -> JSON:
        _input_object(profile, {"displayName", "bio", "avatarKey"})
        changes: dict[str, str | None] = {}
        if "displayName" in profile:
            if profile["displayName"] is None:
                raise ValidationError("input.displayName cannot be null (omit it to keep the current name)")
            changes["displayName"] = validation.text(
                "input.displayName", profile["displayName"], maximum=validation.DISPLAY_NAME_MAX
            ).strip()
        if "bio" in profile:
            bio = profile["bio"]
            changes["bio"] = (
                None if bio is None else validation.text("input.bio", bio, maximum=validation.BIO_MAX, required=False)
            )
        if "avatarKey" in profile:
            key = profile["avatarKey"]
            changes["avatarKey"] = None if key is None else validation.media_key("input.avatarKey", key, owner=viewer)
        if not changes:
            raise ValidationError("input must set at least one of displayName, bio, avatarKey")
        if not self.repository.update_profile(viewer, changes):
            raise NotFoundError("your profile does not exist yet; it is created when sign-up is confirmed")
        return self.viewer(viewer)

    def follow(self, viewer: str, user_id: Any) -> JSON:
        user_id = validation.entity_id("userId", user_id)
        if user_id == viewer:
            raise ValidationError("you cannot follow yourself")
        if not self.repository.follow(viewer, user_id, self.clock()):
            raise NotFoundError(f"user {user_id} does not exist")
        return {"user": self._user_or_not_found(user_id, viewer), "following": True}

    def unfollow(self, viewer: str, user_id: Any) -> JSON:
        user_id = validation.entity_id("userId", user_id)
        if user_id == viewer:
            raise ValidationError("you cannot unfollow yourself")
        self.repository.unfollow(viewer, user_id)
        return {"user": self._user_or_not_found(user_id, viewer), "following": False}

    def create_post(self, viewer: str, post: Any) -> JSON:
        _input_object(post, {"text", "mediaKeys"})
        text = validation.text("input.text", post.get("text"), maximum=validation.POST_TEXT_MAX)
        media = validation.media_keys("input.mediaKeys", post.get("mediaKeys"), owner=viewer)
        post_id = self.new_id()
        if not self.repository.create_post(
            post_id=post_id, author_id=viewer, text=text, media_keys=media, created_at=self.clock()
        ):
            raise NotFoundError("your profile does not exist yet; it is created when sign-up is confirmed")
        return self._post_or_not_found(post_id, viewer)

    def delete_post(self, viewer: str, post_id: Any) -> JSON:
        post_id = validation.entity_id("id", post_id)
        # The delete itself matches on the author, so a concurrent change of ownership
        # cannot slip through; the lookup below only explains a refusal.
        if self.repository.delete_post(post_id, viewer):
            return {"id": post_id, "deleted": True}
        author = self.repository.post_author(post_id)
        if author is None:
            raise NotFoundError(f"post {post_id} does not exist")
        raise ForbiddenError("you can delete only your own posts")

    def like_post(self, viewer: str, post_id: Any) -> JSON:
        post_id = validation.entity_id("postId", post_id)
        if not self.repository.like(viewer, post_id, self.clock()):
            raise NotFoundError(f"post {post_id} does not exist")
        return self._post_or_not_found(post_id, viewer)

    def unlike_post(self, viewer: str, post_id: Any) -> JSON:
        post_id = validation.entity_id("postId", post_id)
        self.repository.unlike(viewer, post_id)
        return self._post_or_not_found(post_id, viewer)

    def add_comment(self, viewer: str, comment: Any) -> JSON:
        _input_object(comment, {"postId", "text"})
        post_id = validation.entity_id("input.postId", comment.get("postId"))
        text = validation.text("input.text", comment.get("text"), maximum=validation.COMMENT_TEXT_MAX)
        comment_id = self.new_id()
        if not self.repository.add_comment(
            comment_id=comment_id, post_id=post_id, author_id=viewer, text=text, created_at=self.clock()
        ):
            raise NotFoundError(f"post {post_id} does not exist")
        found = self._comments([comment_id], viewer)
        if comment_id not in found:  # pragma: no cover - deleted between the two calls
            raise NotFoundError(f"comment {comment_id} does not exist")
        return found[comment_id]

    def delete_comment(self, viewer: str, comment_id: Any) -> JSON:
        comment_id = validation.entity_id("id", comment_id)
        if self.repository.delete_comment(comment_id, viewer):
            return {"id": comment_id, "deleted": True}
        if self.repository.comment_owners(comment_id) is None:
            raise NotFoundError(f"comment {comment_id} does not exist")
        raise ForbiddenError("you can delete only your own comments and comments on your posts")

    # --- shapes --------------------------------------------------------------------

    def _users(self, ids: list[str], viewer: str) -> dict[str, JSON]:
        rows = self.repository.users(ids, viewer)
        return {user_id: _user(rows[user_id]) for user_id in ids if user_id in rows}

    def _user_or_not_found(self, user_id: str, viewer: str) -> JSON:
        found = self._users([user_id], viewer)
        if user_id not in found:
            raise NotFoundError(f"user {user_id} does not exist")
        return found[user_id]

    def _posts(self, ids: list[str], viewer: str) -> dict[str, JSON]:
        rows = self.repository.posts(ids, viewer)
        authors = self._users(sorted({row["authorId"] for row in rows.values()}), viewer)
        return {
            post_id: _post(rows[post_id], authors[rows[post_id]["authorId"]])
            for post_id in ids
            if post_id in rows and rows[post_id]["authorId"] in authors
        }

    def _post_or_not_found(self, post_id: str, viewer: str) -> JSON:
        found = self._posts([post_id], viewer)
        if post_id not in found:
            raise NotFoundError(f"post {post_id} does not exist")
        return found[post_id]

    def _comments(self, ids: list[str], viewer: str) -> dict[str, JSON]:
        rows = self.repository.comments(ids)
        authors = self._users(sorted({row["authorId"] for row in rows.values()}), viewer)
        return {
            comment_id: _comment(rows[comment_id], authors[rows[comment_id]["authorId"]])
            for comment_id in ids
            if comment_id in rows and rows[comment_id]["authorId"] in authors
        }

    @staticmethod
    def _connection(scope: str, page: PageRows, items: dict[str, JSON]) -> JSON:
        # Items deleted between the page query and the projection simply drop out; the
        # cursor still points after the last keyset row, so nothing is skipped twice.
        last = page.rows[-1] if page.rows else None
        end_cursor = cursors.encode(scope, Position(last["createdAt"], last["id"])) if last else None
        return {
            "items": [items[row["id"]] for row in page.rows if row["id"] in items],
            "pageInfo": {"hasNextPage": page.has_next, "endCursor": end_cursor},
        }


def _input_object(value: Any, fields: set[str]) -> None:
    """An input object with only the schema's fields: an author or owner id smuggled in
    is refused (AppSync validates against the schema too; this does not rely on it)."""
    if not isinstance(value, Mapping):
        raise ValidationError("input must be an object")
    unknown = set(value) - fields
    if unknown:
        raise ValidationError(f"input has unknown field(s): {', '.join(sorted(unknown))}")


def _user(row: Mapping[str, Any]) -> JSON:
    return {
        "id": row["id"],
        "handle": row["handle"],
        "displayName": row["displayName"],
        "bio": row.get("bio"),
        "avatarKey": row.get("avatarKey"),
        "followerCount": int(row["followerCount"]),
        "followingCount": int(row["followingCount"]),
        "postCount": int(row["postCount"]),
        "viewerFollows": bool(row["viewerFollows"]),
        "createdAt": row["createdAt"],
    }


def _post(row: Mapping[str, Any], author: JSON) -> JSON:
    return {
        "id": row["id"],
        "author": author,
        "text": row["text"],
        "mediaKeys": list(row["mediaKeys"]),
        "likeCount": int(row["likeCount"]),
        "commentCount": int(row["commentCount"]),
        "viewerLiked": bool(row["viewerLiked"]),
        "createdAt": row["createdAt"],
    }


def _comment(row: Mapping[str, Any], author: JSON) -> JSON:
    return {
        "id": row["id"],
        "postId": row["postId"],
        "author": author,
        "text": row["text"],
        "createdAt": row["createdAt"],
    }
