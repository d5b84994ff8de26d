"""The named openCypher queries, run for real on the embedded engine over a seeded graph."""

from __future__ import annotations

import re

import pytest
from shared.graph import queries
from shared.graph.errors import ForbiddenError, NotFoundError
from shared.graph.repository import GraphRepository
from shared.graph.service import SocialService

from tests.functions.conftest import SocialGraph, create_users, uid
from tests.functions.embedded_graph import EmbeddedExecutor


def count(executor: EmbeddedExecutor, pattern: str, **parameters: str) -> int:
    """Count matches of a fixed test pattern (test-only query text, values as parameters)."""
    rows = executor.read(f"MATCH {pattern} RETURN count(*) AS n", parameters)
    return int(rows[0]["n"])


def feed_texts(service: SocialService, viewer: str, first: int = 50) -> list[str]:
    return [post["text"] for post in service.home_feed(viewer, first)["items"]]


@pytest.mark.parametrize("name", sorted(queries.ALL))
def test_every_query_takes_values_only_as_parameters(name: str) -> None:
    text = queries.ALL[name]
    assert "'" not in text and '"' not in text, f"{name} embeds a string literal"
    assert "$" in text, f"{name} takes no parameters"
    assert not re.search(r"\{\s*\w+\s*\}", text.replace("{id: userId}", "")), f"{name} has a format placeholder"


def test_home_feed_is_posts_of_followed_users_newest_first_ties_by_id(
    service: SocialService, social: SocialGraph
) -> None:
    feed = service.home_feed(social["alice"], 50)["items"]
    # alice follows bob and carol: her own and dave's posts are not in her feed.
    assert {post["author"]["handle"] for post in feed} == {"bob", "carol"}
    assert len(feed) == 3 + 3
    keys = [(post["createdAt"], post["id"]) for post in feed]
    assert keys == sorted(keys, reverse=True)
    tie = [post for post in feed if post["createdAt"] == "2025-01-01T05:00:00.000Z"]
    assert len(tie) == 2 and tie[0]["id"] > tie[1]["id"]
    assert feed_texts(service, social["erin"]) == []


def test_feed_pagination_walks_every_post_once_in_order(service: SocialService, social: SocialGraph) -> None:
    everything = service.home_feed(social["alice"], 50)["items"]
    seen, after, pages = [], None, 0
    while True:
        page = service.home_feed(social["alice"], 4 if pages == 0 else 1, after)
        seen += [post["id"] for post in page["items"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [post["id"] for post in everything]
    assert pages == 3  # 4 + 1 + 1


def test_follower_and_following_counts_and_pages(service: SocialService, social: SocialGraph) -> None:
    alice = service.user(social["bob"], social["alice"])
    assert alice is not None
    assert (alice["followerCount"], alice["followingCount"], alice["postCount"]) == (3, 2, 1)
    assert alice["viewerFollows"] is True  # bob follows alice
    assert service.user(social["erin"], social["alice"])["viewerFollows"] is False  # type: ignore[index]
    followers = service.followers(social["erin"], social["alice"], 2)
    assert [user["handle"] for user in followers["items"]] == ["dave", "carol"]  # most recent follow first
    rest = service.followers(social["erin"], social["alice"], 2, followers["pageInfo"]["endCursor"])
    assert [user["handle"] for user in rest["items"]] == ["bob"] and rest["pageInfo"]["hasNextPage"] is False
    following = service.following(social["erin"], social["alice"])
    assert [user["handle"] for user in following["items"]] == ["carol", "bob"]


def test_follow_twice_leaves_one_edge_with_its_first_timestamp(
    service: SocialService, social: SocialGraph, executor: EmbeddedExecutor
) -> None:
    first = service.follow(social["erin"], social["bob"])
    service.follow(social["erin"], social["bob"])
    assert first["following"] is True
    edges = executor.read(
        "MATCH (:User {id: $a})-[f:FOLLOWS]->(:User {id: $b}) RETURN f.createdAt AS at",
        {"a": social["erin"], "b": social["bob"]},
    )
    assert len(edges) == 1
    assert service.user(social["erin"], social["bob"])["followerCount"] == 2  # type: ignore[index]
    service.unfollow(social["erin"], social["bob"])
    service.unfollow(social["erin"], social["bob"])  # idempotent too
    assert count(executor, "(:User {id: $a})-[:FOLLOWS]->(:User {id: $b})", a=social["erin"], b=social["bob"]) == 0


def test_like_twice_counts_once(service: SocialService, social: SocialGraph, executor: EmbeddedExecutor) -> None:
    post_id = social.posts["carol"][1]
    service.like_post(social["erin"], post_id)
    liked = service.like_post(social["erin"], post_id)
    assert liked["likeCount"] == 1 and liked["viewerLiked"] is True
    assert count(executor, "(:User {id: $u})-[:LIKES]->(:Post {id: $p})", u=social["erin"], p=post_id) == 1
    unliked = service.unlike_post(social["erin"], post_id)
    assert unliked["likeCount"] == 0 and unliked["viewerLiked"] is False


def test_delete_post_cascades_comments_and_likes(
    service: SocialService, social: SocialGraph, executor: EmbeddedExecutor
) -> None:
    post_id = social.posts["carol"][0]
    service.add_comment(social["alice"], {"postId": post_id, "text": "second comment"})
    service.like_post(social["bob"], post_id)
    assert service.post(social["carol"], post_id)["commentCount"] == 2  # type: ignore[index]
    assert service.delete_post(social["carol"], post_id) == {"id": post_id, "deleted": True}
    assert service.post(social["carol"], post_id) is None
    assert count(executor, "(c:Comment {postId: $p})", p=post_id) == 0
    assert count(executor, "(:User)-[:LIKES]->(:Post {id: $p})", p=post_id) == 0
    assert count(executor, "(:User {id: $u})-[:WROTE]->(:Comment)", u=social["alice"]) == 0
    assert service.user(social["carol"], social["carol"])["postCount"] == 2  # type: ignore[index]
    with pytest.raises(NotFoundError, match="does not exist"):
        service.delete_post(social["carol"], post_id)


def test_only_the_author_deletes_a_post(
    service: SocialService, social: SocialGraph, executor: EmbeddedExecutor
) -> None:
    post_id = social.posts["bob"][0]
    with pytest.raises(ForbiddenError, match="only your own posts"):
        service.delete_post(social["alice"], post_id)
    assert service.post(social["alice"], post_id) is not None


def test_comment_deleted_by_its_author_or_the_post_author_only(service: SocialService, social: SocialGraph) -> None:
    post_id = social.posts["carol"][0]
    by_alice = service.add_comment(social["alice"], {"postId": post_id, "text": "hello"})["id"]
    with pytest.raises(ForbiddenError, match="comments on your posts"):
        service.delete_comment(social["dave"], by_alice)
    assert service.delete_comment(social["carol"], by_alice)["deleted"] is True  # carol wrote the post
    assert service.delete_comment(social["bob"], social.comments["bob_on_carol"])["deleted"] is True
    with pytest.raises(NotFoundError):
        service.delete_comment(social["bob"], social.comments["bob_on_carol"])
    assert service.comments(social["bob"], post_id)["items"] == []


def test_comments_oldest_first_with_pages(service: SocialService, social: SocialGraph) -> None:
    post_id = social.posts["dave"][0]
    ids = [service.add_comment(social["erin"], {"postId": post_id, "text": f"c{i}"})["id"] for i in range(5)]
    first = service.comments(social["alice"], post_id, 3)
    second = service.comments(social["alice"], post_id, 3, first["pageInfo"]["endCursor"])
    assert [c["id"] for c in first["items"] + second["items"]] == ids
    assert first["pageInfo"]["hasNextPage"] is True and second["pageInfo"]["hasNextPage"] is False
    assert first["items"][0]["author"]["handle"] == "erin" and first["items"][0]["postId"] == post_id


def test_posts_by_user_newest_first(service: SocialService, social: SocialGraph) -> None:
    posts = service.posts_by_user(social["alice"], social["bob"])["items"]
    assert [post["text"] for post in posts] == ["bob tie", "bob post 3", "bob post 0"]
    assert posts[2]["viewerLiked"] is True and posts[2]["likeCount"] == 1


def test_create_user_is_idempotent_and_handles_stay_unique(service: SocialService, executor: EmbeddedExecutor) -> None:
    repository = service.repository
    first = repository.create_user(
        user_id=uid("x"),
        handle="sam_1a2b3c4d",
        fallback_handle="ux",
        display_name="Sam",
        created_at="2025-01-01T00:00:00.000Z",
    )
    again = repository.create_user(
        user_id=uid("x"),
        handle="other",
        fallback_handle="ux",
        display_name="Other",
        created_at="2025-02-01T00:00:00.000Z",
    )
    clash = repository.create_user(
        user_id=uid("y"),
        handle="sam_1a2b3c4d",
        fallback_handle="uy",
        display_name="Sam",
        created_at="2025-01-01T00:00:00.000Z",
    )
    assert first["handle"] == again["handle"] == "sam_1a2b3c4d"
    assert clash["handle"] == "uy"
    assert count(executor, "(u:User {id: $id})", id=uid("x")) == 1
    assert service.user_by_handle(uid("y"), " SAM_1A2B3C4D ")["id"] == uid("x")  # type: ignore[index]


def test_hostile_strings_are_stored_verbatim(service: SocialService, executor: EmbeddedExecutor) -> None:
    users = create_users(service, ("mallory",))
    hostile = "x'}) MATCH (n) DETACH DELETE n //\" $viewerId \\ 🙂"
    post = service.create_post(users["mallory"], {"text": hostile})
    assert post["text"] == hostile
    assert service.update_profile(users["mallory"], {"bio": hostile})["bio"] == hostile
    assert count(executor, "(n:User)") == 1


def test_profile_update_sets_and_clears_only_given_fields(service: SocialService) -> None:
    users = create_users(service, ("pat",))
    me = users["pat"]
    updated = service.update_profile(me, {"bio": "hi", "avatarKey": f"media/{me}/avatar/1.jpg"})
    assert (updated["displayName"], updated["bio"], updated["avatarKey"]) == ("Pat", "hi", f"media/{me}/avatar/1.jpg")
    cleared = service.update_profile(me, {"avatarKey": None, "displayName": "  Patricia "})
    assert (cleared["displayName"], cleared["bio"], cleared["avatarKey"]) == ("Patricia", "hi", None)


def test_repository_reads_and_writes_go_to_their_endpoints(executor: EmbeddedExecutor, service: SocialService) -> None:
    users = create_users(service, ("ann", "ben"))
    executor.calls.clear()
    service.follow(users["ann"], users["ben"])
    service.home_feed(users["ann"], 5)
    roles = {(role, name) for role, query, _ in executor.calls for name, text in queries.ALL.items() if text == query}
    assert roles == {("writer", "FOLLOW"), ("reader", "USERS_BY_IDS"), ("reader", "HOME_FEED_PAGE")}


def test_unknown_ids_are_not_found(service: SocialService) -> None:
    users = create_users(service, ("solo",))
    with pytest.raises(NotFoundError):
        service.follow(users["solo"], uid("ghost"))
    with pytest.raises(NotFoundError):
        service.like_post(users["solo"], uid("ghost-post"))
    with pytest.raises(NotFoundError):
        service.add_comment(users["solo"], {"postId": uid("ghost-post"), "text": "?"})
    assert service.user(users["solo"], uid("ghost")) is None
    assert isinstance(service.repository, GraphRepository)
