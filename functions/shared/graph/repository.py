"""The data access layer: one method per graph operation, each running one named query
from :mod:`shared.graph.queries` with its values as parameters. Reads go to the reader,
writes (and the ownership checks that decide a write) to the writer."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.graph import queries
from shared.graph.client import CypherExecutor, Row
from shared.graph.cursors import Position
from shared.graph.model import Vertex

#: The repair job's queries per vertex label: (ids after a cursor, recount and fix).
_REPAIR_QUERIES = {
    Vertex.USER: (queries.USER_IDS_AFTER, queries.REPAIR_USER_COUNTERS),
    Vertex.POST: (queries.POST_IDS_AFTER, queries.REPAIR_POST_COUNTERS),
}


@dataclass(frozen=True)
class PageRows:
    """Up to ``limit`` keyset rows (``id``, ``createdAt``) and whether more exist."""

    rows: list[Row]
    has_next: bool


def _parameters_for_page(position: Position | None, limit: int) -> dict[str, Any]:
    return {
        "afterCreatedAt": position.created_at if position else None,
        "afterId": position.id if position else None,
        # One extra row tells whether there is a next page without a count query.
        "limit": limit + 1,
    }


class GraphRepository:
    def __init__(self, executor: CypherExecutor) -> None:
        self.executor = executor

    # --- users ---------------------------------------------------------------------

    def users(self, ids: Sequence[str], viewer_id: str) -> dict[str, Row]:
        if not ids:
            return {}
        rows = self.executor.read(queries.USERS_BY_IDS, {"ids": list(dict.fromkeys(ids)), "viewerId": viewer_id})
        return {row["id"]: row for row in rows}

    def user_id_by_handle(self, handle: str) -> str | None:
        rows = self.executor.read(queries.USER_ID_BY_HANDLE, {"handle": handle})
        return str(rows[0]["id"]) if rows else None

    def create_user(
        self, *, user_id: str, handle: str, fallback_handle: str, display_name: str, created_at: str
    ) -> Row:
        rows = self.executor.write(
            queries.CREATE_USER,
            {
                "userId": user_id,
                "handle": handle,
                "fallbackHandle": fallback_handle,
                "displayName": display_name,
                "createdAt": created_at,
            },
        )
        return rows[0]

    def update_profile(self, user_id: str, changes: dict[str, str | None]) -> bool:
        parameters: dict[str, Any] = {"userId": user_id}
        for field in ("displayName", "bio", "avatarKey"):
            parameters[f"set{field[0].upper()}{field[1:]}"] = field in changes
            parameters[field] = changes.get(field)
        return bool(self.executor.write(queries.UPDATE_PROFILE, parameters))

    # --- follows -------------------------------------------------------------------

    def follow(self, follower_id: str, followee_id: str, created_at: str) -> bool:
        rows = self.executor.write(
            queries.FOLLOW, {"followerId": follower_id, "followeeId": followee_id, "createdAt": created_at}
        )
        return bool(rows)

    def unfollow(self, follower_id: str, followee_id: str) -> int:
        rows = self.executor.write(queries.UNFOLLOW, {"followerId": follower_id, "followeeId": followee_id})
        return int(rows[0]["removed"]) if rows else 0

    def followers_page(self, user_id: str, position: Position | None, limit: int) -> PageRows:
        return self._page(queries.FOLLOWERS_PAGE, {"userId": user_id}, position, limit)

    def following_page(self, user_id: str, position: Position | None, limit: int) -> PageRows:
        return self._page(queries.FOLLOWING_PAGE, {"userId": user_id}, position, limit)

    # --- posts ---------------------------------------------------------------------

    def posts(self, ids: Sequence[str], viewer_id: str) -> dict[str, Row]:
        if not ids:
            return {}
        rows = self.executor.read(queries.POSTS_BY_IDS, {"ids": list(dict.fromkeys(ids)), "viewerId": viewer_id})
        return {row["id"]: {**row, "mediaKeys": json.loads(row["mediaKeys"] or "[]")} for row in rows}

    def create_post(self, *, post_id: str, author_id: str, text: str, media_keys: list[str], created_at: str) -> bool:
        rows = self.executor.write(
            queries.CREATE_POST,
            {
                "postId": post_id,
                "authorId": author_id,
                "text": text,
                "mediaKeys": json.dumps(media_keys),
                "createdAt": created_at,
            },
        )
        return bool(rows)

    def post_author(self, post_id: str) -> str | None:
        rows = self.executor.write(queries.POST_AUTHOR, {"postId": post_id})
        return str(rows[0]["authorId"]) if rows else None

    def delete_post(self, post_id: str, author_id: str) -> bool:
        rows = self.executor.write(queries.DELETE_POST, {"postId": post_id, "authorId": author_id})
        return bool(rows) and int(rows[0]["deleted"]) > 0

    def posts_by_user_page(self, user_id: str, position: Position | None, limit: int) -> PageRows:
        return self._page(queries.POSTS_BY_USER_PAGE, {"userId": user_id}, position, limit)

    def home_feed_page(self, viewer_id: str, position: Position | None, limit: int) -> PageRows:
        return self._page(queries.HOME_FEED_PAGE, {"viewerId": viewer_id}, position, limit)

    # --- likes ---------------------------------------------------------------------

    def like(self, user_id: str, post_id: str, created_at: str) -> bool:
        rows = self.executor.write(queries.LIKE_POST, {"userId": user_id, "postId": post_id, "createdAt": created_at})
        return bool(rows)

    def unlike(self, user_id: str, post_id: str) -> int:
        rows = self.executor.write(queries.UNLIKE_POST, {"userId": user_id, "postId": post_id})
        return int(rows[0]["removed"]) if rows else 0

    # --- comments ------------------------------------------------------------------

    def add_comment(self, *, comment_id: str, post_id: str, author_id: str, text: str, created_at: str) -> bool:
        rows = self.executor.write(
            queries.ADD_COMMENT,
            {"commentId": comment_id, "postId": post_id, "authorId": author_id, "text": text, "createdAt": created_at},
        )
        return bool(rows)

    def comments(self, ids: Sequence[str]) -> dict[str, Row]:
        if not ids:
            return {}
        rows = self.executor.read(queries.COMMENTS_BY_IDS, {"ids": list(dict.fromkeys(ids))})
        return {row["id"]: row for row in rows}

    def comment_owners(self, comment_id: str) -> Row | None:
        rows = self.executor.write(queries.COMMENT_OWNERS, {"commentId": comment_id})
        return rows[0] if rows else None

    def delete_comment(self, comment_id: str, user_id: str) -> bool:
        rows = self.executor.write(queries.DELETE_COMMENT, {"commentId": comment_id, "userId": user_id})
        return bool(rows) and int(rows[0]["deleted"]) > 0

    def comments_page(self, post_id: str, position: Position | None, limit: int) -> PageRows:
        return self._page(queries.COMMENTS_PAGE, {"postId": post_id}, position, limit)

    # --- counter repair (shared.graph.counters) -------------------------------------
    # On the writer: the ids decide what the repair writes, and the writer sees every
    # vertex committed so far.

    def vertex_ids_after(self, vertex: Vertex, after_id: str | None, limit: int) -> list[str]:
        rows = self.executor.write(_REPAIR_QUERIES[vertex][0], {"afterId": after_id, "limit": limit})
        return [str(row["id"]) for row in rows]

    def repair_counters(self, vertex: Vertex, ids: Sequence[str]) -> list[Row]:
        """Recounts ``ids`` and fixes those that differ; one row per fixed vertex, with
        its stored counters (``stored...``, ``None`` when missing) and the recounts."""
        return self.executor.write(_REPAIR_QUERIES[vertex][1], {"ids": list(ids)})

    # -------------------------------------------------------------------------------

    def _page(self, query: str, parameters: dict[str, Any], position: Position | None, limit: int) -> PageRows:
        rows = self.executor.read(query, {**parameters, **_parameters_for_page(position, limit)})
        return PageRows(rows=rows[:limit], has_next=len(rows) > limit)
