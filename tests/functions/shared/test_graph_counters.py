"""Kept counters (issue 16): follower, following, post, like and comment counts live on
their vertices, change in the statement that changes the edge they count, and never drift
from the edges, under repeats, under concurrent mutations and across the repair job."""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable
from typing import Any

import pytest
from shared.graph import queries
from shared.graph.counters import CounterRepair, RepairPosition
from shared.graph.errors import GraphQLError, ValidationError
from shared.graph.model import Key, Vertex
from shared.graph.repository import GraphRepository
from shared.graph.service import SocialService

from tests.functions.conftest import FakeClock, SocialGraph, create_users, uid
from tests.functions.embedded_graph import EmbeddedExecutor
from tests.functions.graph_counts import POST_COUNTERS, USER_COUNTERS, edge_counts, legacy, stored_counts


def shown_counts(service: SocialService, executor: EmbeddedExecutor) -> dict[tuple[str, str], dict[str, int]]:
    """Every counter as a user sees it through ``user(id)`` and ``post(id)``."""
    viewer = uid("nobody")
    shown: dict[tuple[str, str], dict[str, int]] = {}
    for (label, vertex_id), _ in stored_counts(executor).items():
        if label == "User":
            user = service.user(viewer, vertex_id)
            assert user is not None
            shown[(label, vertex_id)] = {name: user[name] for name in USER_COUNTERS}
        else:
            post = service.post(viewer, vertex_id)
            assert post is not None
            shown[(label, vertex_id)] = {name: post[name] for name in POST_COUNTERS}
    return shown


def records_read(executor: EmbeddedExecutor, query: str, parameters: dict[str, Any]) -> int:
    """Records every operator of the engine's plan produced while running ``query``."""
    plan = executor.graph.profile(query, parameters)
    total, stack = 0, [plan.structured_plan]
    while stack:
        operation = stack.pop()
        total += operation.records_produced
        stack += operation.children
    return total


# --- reads cost the same at any degree -------------------------------------------------


def test_a_profile_and_a_post_cost_the_same_at_2_and_at_60_followers_likes_and_comments(
    service: SocialService, executor: EmbeddedExecutor
) -> None:
    """What issue 16 measured: ``user(id)`` and ``post(id)`` grew linearly with degree
    because they counted edges. The engine's own profile counts every record a plan
    touches; a read that counts nothing touches as many records at 60 as at 2."""
    names = tuple(f"fan{i}" for i in range(60))
    users = create_users(service, ("small", "big", "viewer", *names))
    small_post = service.create_post(users["small"], {"text": "small"})["id"]
    big_post = service.create_post(users["big"], {"text": "big"})["id"]
    for index, name in enumerate(names):
        if index < 2:
            service.follow(users[name], users["small"])
            service.like_post(users[name], small_post)
            service.add_comment(users[name], {"postId": small_post, "text": "hi"})
        service.follow(users[name], users["big"])
        service.like_post(users[name], big_post)
        service.add_comment(users[name], {"postId": big_post, "text": "hi"})

    def user_read(user: str) -> int:
        return records_read(executor, queries.USERS_BY_IDS, {"ids": [user], "viewerId": users["viewer"]})

    def post_read(post: str) -> int:
        return records_read(executor, queries.POSTS_BY_IDS, {"ids": [post], "viewerId": users["viewer"]})

    assert service.user(users["viewer"], users["big"])["followerCount"] == 60  # type: ignore[index]
    assert service.post(users["viewer"], big_post)["likeCount"] == 60  # type: ignore[index]
    assert user_read(users["big"]) == user_read(users["small"])
    assert post_read(big_post) == post_read(small_post)


# --- every mutation keeps its counters -------------------------------------------------


def test_counters_follow_their_edges_through_every_mutation_and_its_repeat(
    service: SocialService, social: SocialGraph, executor: EmbeddedExecutor, clock: FakeClock
) -> None:
    """Each mutation, done and then repeated (a retried request): what ``user(id)`` and
    ``post(id)`` show equals what the edges say, and every counter is stored."""
    post_id = social.posts["bob"][0]
    comment: dict[str, str] = {}

    def add_comment() -> None:
        comment["id"] = service.add_comment(social["erin"], {"postId": post_id, "text": "hey"})["id"]

    steps: list[tuple[str, Callable[[], object]]] = [
        ("follow", lambda: service.follow(social["erin"], social["bob"])),
        ("unfollow", lambda: service.unfollow(social["alice"], social["bob"])),
        ("like", lambda: service.like_post(social["erin"], post_id)),
        ("unlike", lambda: service.unlike_post(social["alice"], post_id)),
        ("unlike never liked", lambda: service.unlike_post(social["dave"], post_id)),
        ("comment", add_comment),
        ("delete comment", lambda: service.delete_comment(social["bob"], comment["id"])),
        ("create post", lambda: service.create_post(social["erin"], {"text": "first"})),
        ("delete post", lambda: service.delete_post(social["carol"], social.posts["carol"][0])),
    ]
    for name, step in steps:
        for attempt in ("first", "repeat"):
            try:
                step()
            except GraphQLError:
                assert attempt == "repeat" and name in {"delete comment", "delete post"}  # already gone
            assert stored_counts(executor) == edge_counts(executor), f"{name} ({attempt})"
            assert shown_counts(service, executor) == edge_counts(executor), f"{name} ({attempt})"


def test_a_retried_create_counts_its_post_and_comment_once(
    service: SocialService, social: SocialGraph, executor: EmbeddedExecutor
) -> None:
    """A Lambda retry re-runs CREATE_POST/ADD_COMMENT with the same generated id."""
    repository = service.repository
    for _ in range(2):
        repository.create_post(
            post_id=uid("retried"),
            author_id=social["erin"],
            text="t",
            media_keys=[],
            created_at="2025-02-01T00:00:00.000Z",
        )
        repository.add_comment(
            comment_id=uid("retried-c"), post_id=uid("retried"), author_id=social["bob"], text="c",
            created_at="2025-02-01T00:00:01.000Z",
        )  # fmt: skip
    assert service.user(social["bob"], social["erin"])["postCount"] == 1  # type: ignore[index]
    assert service.post(social["bob"], uid("retried"))["commentCount"] == 1  # type: ignore[index]


def test_a_counter_never_goes_below_zero(
    service: SocialService, social: SocialGraph, executor: EmbeddedExecutor
) -> None:
    """A counter already wrong (0 with an edge left) stays at 0 on the delete rather
    than showing -1; the repair job puts it right."""
    executor.write("MATCH (u:User {id: $id}) SET u.followerCount = 0", {"id": social["alice"]})
    executor.write("MATCH (p:Post {id: $id}) SET p.likeCount = 0", {"id": social.posts["bob"][0]})
    service.unfollow(social["bob"], social["alice"])
    service.unlike_post(social["alice"], social.posts["bob"][0])
    assert service.user(social["erin"], social["alice"])["followerCount"] == 0  # type: ignore[index]
    assert service.post(social["erin"], social.posts["bob"][0])["likeCount"] == 0  # type: ignore[index]
    CounterRepair(service.repository).run()
    assert service.user(social["erin"], social["alice"])["followerCount"] == 2  # type: ignore[index]


# --- the repair job --------------------------------------------------------------------


def test_vertices_older_than_the_counters_read_0_until_the_repair_then_exact(
    service: SocialService, executor: EmbeddedExecutor
) -> None:
    """The documented choice (docs/scaling.md): a missing counter reads as 0 and a
    mutation counts from 0; one repair run after the deploy makes them exact."""
    ids = legacy(executor)
    assert service.user(ids["a"], ids["b"])["followerCount"] == 0  # type: ignore[index]
    service.like_post(ids["b"], ids["p"])  # counts from 0: 1, while 2 users like it
    assert service.post(ids["a"], ids["p"])["likeCount"] == 1  # type: ignore[index]

    report = CounterRepair(service.repository).run()

    assert report.complete and report.checked == {Vertex.USER: 3, Vertex.POST: 1}
    changed = {(change.id, change.counter): (change.before, change.after) for change in report.changes}
    assert changed[(ids["b"], Key.FOLLOWER_COUNT)] == (None, 2)
    assert changed[(ids["b"], Key.POST_COUNT)] == (None, 1)
    assert changed[(ids["p"], Key.LIKE_COUNT)] == (1, 2)
    assert changed[(ids["p"], Key.COMMENT_COUNT)] == (None, 1)
    # Every user counter was missing (3 users x 3, a missing 0 is written too) and both
    # of the post's (the like count was there, but wrong).
    assert len(changed) == 3 * 3 + 2
    assert stored_counts(executor) == edge_counts(executor)
    assert shown_counts(service, executor) == edge_counts(executor)
    again = CounterRepair(service.repository).run()
    assert again.complete and again.changes == [] and again.checked == report.checked


def test_the_repair_goes_in_batches_stops_when_told_and_resumes_where_it_stopped(
    service: SocialService, social: SocialGraph, executor: EmbeddedExecutor
) -> None:
    executor.write("MATCH (n) WHERE n:User OR n:Post REMOVE n.followerCount, n.likeCount", {})
    repair = CounterRepair(service.repository, batch_size=2)
    executor.calls.clear()

    reports, position = [], None
    while True:
        report = repair.run(position, should_stop=lambda: True)  # stop after every batch
        reports.append(report)
        if report.complete:
            break
        position = report.next
    # 5 users and 9 posts in batches of 2: 3 + 5 batches (the last one of each short),
    # each batch recounted and fixed in one statement (one transaction on Neptune).
    assert len(reports) == 8
    repairs = [q for q, _ in executor.writes() if q in (queries.REPAIR_USER_COUNTERS, queries.REPAIR_POST_COUNTERS)]
    assert len(repairs) == 8
    assert sum(r.checked[Vertex.USER] for r in reports) == 5
    assert sum(r.checked[Vertex.POST] for r in reports) == len(stored_counts(executor)) - 5
    fixed = {(c.vertex, c.id, c.counter) for r in reports for c in r.changes}
    assert {counter for _, _, counter in fixed} == {Key.FOLLOWER_COUNT, Key.LIKE_COUNT}
    assert len(fixed) == len(stored_counts(executor))  # one per vertex: the removed one
    assert stored_counts(executor) == edge_counts(executor)
    assert reports[0].next == RepairPosition(Vertex.USER, sorted(social.users.values())[1])


def test_a_batch_size_out_of_range_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="batchSize must be between 1 and 1000"):
        CounterRepair(GraphRepository(EmbeddedExecutor(None)), batch_size=0)


# --- concurrency -----------------------------------------------------------------------


def test_racing_mutations_leave_every_counter_equal_to_its_edges(executor: EmbeddedExecutor, clock: FakeClock) -> None:
    """Threads race follows, unfollows, likes, unlikes, comments and comment deletions,
    each repeated, over a few users and posts (so most operations collide), through the
    real service and repository on the embedded engine."""
    service = SocialService(GraphRepository(executor), clock=clock)
    users = list(create_users(service, tuple(f"racer{i}" for i in range(6))).values())
    posts = [service.create_post(users[i], {"text": f"p{i}"})["id"] for i in range(3)]
    comments: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 - reproducible test traffic
        start.wait()
        try:
            for _ in range(120):
                me, other = rng.sample(users, 2)
                post = rng.choice(posts)
                action = rng.randrange(6)
                for _ in range(rng.choice((1, 2))):  # a repeat, as a retried request would
                    if action == 0:
                        service.follow(me, other)
                    elif action == 1:
                        service.unfollow(me, other)
                    elif action == 2:
                        service.like_post(me, post)
                    elif action == 3:
                        service.unlike_post(me, post)
                    elif action == 4:
                        comment = service.add_comment(me, {"postId": post, "text": "race"})["id"]
                        with lock:
                            comments.append(comment)
                    else:
                        with lock:
                            target = rng.choice(comments) if comments else None
                        if target is not None:
                            with contextlib.suppress(GraphQLError):  # another thread deleted it first
                                service.delete_comment(executor_author(executor, target), target)
        except BaseException as error:  # noqa: BLE001 - reported below, on the test's thread
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = edge_counts(executor)
    assert sum(counts.get("followerCount", 0) for counts in expected.values()) > 0  # the race did follow
    assert stored_counts(executor) == expected
    assert CounterRepair(service.repository).run().changes == []


def executor_author(executor: EmbeddedExecutor, comment_id: str) -> str:
    rows = executor.read("MATCH (u:User)-[:WROTE]->(:Comment {id: $id}) RETURN u.id AS id", {"id": comment_id})
    return str(rows[0]["id"]) if rows else uid("nobody")
