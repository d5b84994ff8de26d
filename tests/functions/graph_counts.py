"""What the counter tests compare: every counter as the edges say (counted by test-only
queries), as stored on its vertex, and a graph as written before counters existed."""

from __future__ import annotations

from typing import Any

from tests.functions.conftest import uid
from tests.functions.embedded_graph import EmbeddedExecutor

USER_COUNTERS = ("followerCount", "followingCount", "postCount")
POST_COUNTERS = ("likeCount", "commentCount")


def edge_counts(executor: EmbeddedExecutor) -> dict[tuple[str, str], dict[str, int]]:
    """Every counter as the edges say it should be (test-only queries that count edges)."""
    users = executor.read(
        "MATCH (u:User) "
        "OPTIONAL MATCH (f:User)-[:FOLLOWS]->(u) WITH u, count(f) AS followerCount "
        "OPTIONAL MATCH (u)-[:FOLLOWS]->(g:User) WITH u, followerCount, count(g) AS followingCount "
        "OPTIONAL MATCH (u)-[:POSTED]->(p:Post) "
        "RETURN u.id AS id, followerCount, followingCount, count(p) AS postCount",
        {},
    )
    posts = executor.read(
        "MATCH (p:Post) "
        "OPTIONAL MATCH (:User)-[l:LIKES]->(p) WITH p, count(l) AS likeCount "
        "OPTIONAL MATCH (c:Comment)-[:ON]->(p) RETURN p.id AS id, likeCount, count(c) AS commentCount",
        {},
    )
    expected = {("User", row["id"]): {name: row[name] for name in USER_COUNTERS} for row in users}
    expected |= {("Post", row["id"]): {name: row[name] for name in POST_COUNTERS} for row in posts}
    return expected


def stored_counts(executor: EmbeddedExecutor) -> dict[tuple[str, str], dict[str, Any]]:
    """Every counter as stored on its vertex (``None``: the property is missing)."""
    users = executor.read(
        "MATCH (u:User) RETURN u.id AS id, u.followerCount AS followerCount, "
        "u.followingCount AS followingCount, u.postCount AS postCount",
        {},
    )
    posts = executor.read(
        "MATCH (p:Post) RETURN p.id AS id, p.likeCount AS likeCount, p.commentCount AS commentCount", {}
    )
    stored = {("User", row["id"]): {name: row[name] for name in USER_COUNTERS} for row in users}
    stored |= {("Post", row["id"]): {name: row[name] for name in POST_COUNTERS} for row in posts}
    return stored


#: A graph as written before counters existed: the same vertices and edges, no counters.
LEGACY_GRAPH = """
CREATE (a:User {id: $a, handle: 'old_a', displayName: 'A', createdAt: '2024-01-01T00:00:00.000Z'}),
       (b:User {id: $b, handle: 'old_b', displayName: 'B', createdAt: '2024-01-01T00:00:00.000Z'}),
       (c:User {id: $c, handle: 'old_c', displayName: 'C', createdAt: '2024-01-01T00:00:00.000Z'}),
       (a)-[:FOLLOWS {createdAt: '2024-01-02T00:00:00.000Z'}]->(b),
       (c)-[:FOLLOWS {createdAt: '2024-01-02T00:00:00.000Z'}]->(b),
       (b)-[:POSTED]->(p:Post {id: $p, text: 'old', mediaKeys: '[]', createdAt: '2024-01-03T00:00:00.000Z'}),
       (a)-[:LIKES {createdAt: '2024-01-04T00:00:00.000Z'}]->(p),
       (c)-[:WROTE]->(:Comment {id: $k, postId: $p, text: 'old', createdAt: '2024-01-05T00:00:00.000Z'})-[:ON]->(p)
"""


def legacy(executor: EmbeddedExecutor) -> dict[str, str]:
    ids = {name: uid(f"legacy-{name}") for name in "abcpk"}
    executor.write(LEGACY_GRAPH, ids)
    return ids
