"""Graph benchmark: home-feed query latency and graph_api handler overhead per call.

    python benchmarks/graph_bench.py                       # 10k users, 100k follows, 100k posts
    python benchmarks/graph_bench.py --users 2000 --follows 20000 --posts 20000 --samples 200
    python benchmarks/graph_bench.py --growth-base 100     # growth series at 100, 1k, 10k

Growth series (issue 16): ``user(id)`` of an account followed by ``base``, 10x and 100x
users, and ``post(id)`` of a post with that many likes and comments, each with its
ratio to the 1x figure (kept counters: the ratio should stay near 1).

Runs on the embedded openCypher engine the tests use (FalkorDBLite, one process on
this machine), with the SAME named queries graph_api sends to Neptune, on a generated
graph: uniformly random follows (no self-follows, no duplicates), posts spread over
random authors and a year of timestamps, and likes. It prints figures; it asserts
nothing. Latencies on Neptune differ (network round trip inside the VPC, another
engine); what carries over is the shape: how the feed scales with the graph, how many
round trips a field costs, and how little the handler adds on top.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "functions"), str(REPO)]
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "SocialBackendBench")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "graph_api")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import graph_api.handler as graph_api  # noqa: E402
from shared.graph import cursors, queries  # noqa: E402
from shared.graph.counters import CounterRepair  # noqa: E402
from shared.graph.repository import GraphRepository  # noqa: E402
from shared.graph.service import SocialService  # noqa: E402

from tests.functions.appsync_events import appsync_event  # noqa: E402
from tests.functions.conftest import FakeLambdaContext  # noqa: E402
from tests.functions.embedded_graph import EmbeddedExecutor, EmbeddedServer  # noqa: E402

BATCH = 5000
# Bulk loading only (one UNWIND per batch instead of one request per item); it writes the
# same vertices, edges and properties as CREATE_USER, FOLLOW, CREATE_POST and LIKE_POST,
# except the kept counters. The feed figures leave them out (a missing counter reads as
# 0, at the same cost as any value); the growth series has the repair job
# (shared.graph.counters) write them from the edges, as after a bulk import on Neptune,
# and checks each figure is of an account with the degree it claims.
LOAD_USERS = (
    "UNWIND $rows AS row CREATE (:User {id: row.id, handle: row.handle, displayName: row.handle, "
    "createdAt: row.createdAt})"
)
LOAD_FOLLOWS = (
    "UNWIND $rows AS row MATCH (a:User {id: row.a}), (b:User {id: row.b}) "
    "CREATE (a)-[:FOLLOWS {createdAt: row.createdAt}]->(b)"
)
LOAD_POSTS = (
    "UNWIND $rows AS row MATCH (a:User {id: row.author}) "
    "CREATE (a)-[:POSTED]->(:Post {id: row.id, text: row.text, mediaKeys: '[]', createdAt: row.createdAt})"
)
LOAD_LIKES = (
    "UNWIND $rows AS row MATCH (u:User {id: row.u}), (p:Post {id: row.p}) CREATE (u)-[:LIKES {createdAt: row.at}]->(p)"
)


def stamp(rng: random.Random) -> str:
    seconds = rng.randrange(365 * 24 * 3600)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1_735_689_600 + seconds)) + f".{rng.randrange(1000):03d}Z"


def generate(executor: EmbeddedExecutor, options: argparse.Namespace) -> tuple[list[str], list[str]]:
    rng = random.Random(options.seed)  # noqa: S311 - reproducible test data, not security
    users = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(options.users)]
    posts = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(options.posts)]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < min(options.follows, options.users * (options.users - 1)):
        a, b = rng.randrange(options.users), rng.randrange(options.users)
        if a != b:
            pairs.add((a, b))

    def load(query: str, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), BATCH):
            executor.graph.query(query, {"rows": rows[start : start + BATCH]})

    load(LOAD_USERS, [{"id": u, "handle": f"user_{i}", "createdAt": stamp(rng)} for i, u in enumerate(users)])
    load(LOAD_FOLLOWS, [{"a": users[a], "b": users[b], "createdAt": stamp(rng)} for a, b in sorted(pairs)])
    load(
        LOAD_POSTS,
        [
            {"id": p, "author": rng.choice(users), "text": f"post {i}", "createdAt": stamp(rng)}
            for i, p in enumerate(posts)
        ],
    )
    likes = {(rng.randrange(options.users), rng.randrange(options.posts)) for _ in range(options.likes)}
    load(LOAD_LIKES, [{"u": users[u], "p": posts[p], "at": stamp(rng)} for u, p in sorted(likes)])
    return users, posts


LOAD_COMMENTS = (
    "UNWIND $rows AS row MATCH (u:User {id: row.u}), (p:Post {id: row.p}) "
    "CREATE (u)-[:WROTE]->(:Comment {id: row.id, postId: row.p, text: 'c', createdAt: row.at})-[:ON]->(p)"
)


def load_rows(executor: EmbeddedExecutor, query: str, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        executor.graph.query(query, {"rows": rows[start : start + BATCH]})


def growth_user_post(options: argparse.Namespace) -> None:
    """``user(id)`` and ``post(id)`` through the service at degree 1x, 10x and 100x:
    an account with ``base`` x followers, a post with that many likes and comments."""
    rng = random.Random(options.seed)  # noqa: S311 - reproducible test data, not security
    factors = (1, 10, 100)
    fans = options.growth_base * factors[-1]
    server = EmbeddedServer()
    executor = server.graph("growth-user-post")
    try:
        executor.create_indexes()
        start = time.perf_counter()
        fan_ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(fans)]
        targets = {f: str(uuid.UUID(int=rng.getrandbits(128), version=4)) for f in factors}
        posts = {f: str(uuid.UUID(int=rng.getrandbits(128), version=4)) for f in factors}
        viewer = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        people = [*fan_ids, *targets.values(), viewer]
        load_rows(
            executor, LOAD_USERS, [{"id": u, "handle": f"g{i}", "createdAt": stamp(rng)} for i, u in enumerate(people)]
        )
        load_rows(
            executor,
            LOAD_POSTS,
            [{"id": posts[f], "author": targets[f], "text": f"{f}x", "createdAt": stamp(rng)} for f in factors],
        )
        for factor in factors:
            degree_fans = fan_ids[: options.growth_base * factor]
            load_rows(
                executor,
                LOAD_FOLLOWS,
                [{"a": fan, "b": targets[factor], "createdAt": stamp(rng)} for fan in degree_fans],
            )
            load_rows(executor, LOAD_LIKES, [{"u": fan, "p": posts[factor], "at": stamp(rng)} for fan in degree_fans])
            load_rows(
                executor,
                LOAD_COMMENTS,
                [{"id": str(uuid.uuid4()), "u": fan, "p": posts[factor], "at": stamp(rng)} for fan in degree_fans],
            )
        load_seconds = time.perf_counter() - start
        start = time.perf_counter()
        repaired = CounterRepair(GraphRepository(executor), batch_size=1000).run()
        repair_seconds = time.perf_counter() - start
        service = SocialService(GraphRepository(executor))
        calls: dict[str, Callable[[int], Any]] = {
            "user(id)": lambda factor: service.user(viewer, targets[factor]),
            "post(id)": lambda factor: service.post(viewer, posts[factor]),
        }
        for factor in factors:
            shown, post = service.user(viewer, targets[factor]), service.post(viewer, posts[factor])
            degree = options.growth_base * factor
            counts = (shown or {}).get("followerCount"), (post or {}).get("likeCount"), (post or {}).get("commentCount")
            if counts != (degree,) * 3:  # a figure of the wrong graph is worse than none
                raise RuntimeError(
                    f"growth series {factor}x: followers, likes, comments {counts}, loaded {degree} each"
                )
        # Round-robin over the degrees, so a change in the machine's load (it is shared)
        # falls on every degree alike instead of on whichever ran then.
        samples: dict[str, dict[int, list[float]]] = {label: {f: [] for f in factors} for label in calls}
        for _ in range(options.samples):
            for label, call in calls.items():
                for factor in factors:
                    begin = time.perf_counter()
                    call(factor)
                    samples[label][factor].append((time.perf_counter() - begin) * 1000)
        rows = {label: {f: statistics.median(ms) for f, ms in by.items()} for label, by in samples.items()}
    finally:
        executor.delete()
        server.close()

    print(
        f"\ngrowth series, user(id) and post(id) (followers of one account; likes and comments of one post):"
        f" {fans:,} fans loaded in {load_seconds:.1f} s; counter repair wrote"
        f" {len(repaired.changes):,} counters on {sum(repaired.checked.values()):,} vertices in {repair_seconds:.1f} s"
    )
    header = "".join(f"{f'{f}x ({options.growth_base * f:,})':>18}" for f in factors)
    print(f"{'median ms per call (ratio to 1x)':40}{header}")
    for label, figures in rows.items():
        cells = "".join(f"{f'{figures[f]:.2f} ({figures[f] / figures[1]:.2f}x)':>18}" for f in factors)
        print(f"{label + ' through the service':40}{cells}")


def timed(samples: int, call: Callable[[int], Any]) -> list[float]:
    call(0)  # warm-up
    result = []
    for index in range(samples):
        start = time.perf_counter()
        call(index)
        result.append((time.perf_counter() - start) * 1000)
    return result


def summary(label: str, millis: list[float]) -> str:
    ordered = sorted(millis)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    return f"{label:58}{statistics.median(ordered):>9.2f}{p95:>9.2f}{p99:>9.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--follows", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--likes", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=300, help="calls per figure")
    parser.add_argument("--page", type=int, default=20, help="feed page size (first)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--growth-base", type=int, default=100, help="growth series 1x degree (then 10x, 100x)")
    options = parser.parse_args()

    server = EmbeddedServer()
    executor = server.graph("bench")
    try:
        executor.create_indexes()
        start = time.perf_counter()
        users, _ = generate(executor, options)
        load_seconds = time.perf_counter() - start
        size = executor.read(
            "MATCH (u:User) WITH count(u) AS users MATCH ()-[f:FOLLOWS]->() WITH users, count(f) AS follows "
            "MATCH (p:Post) WITH users, follows, count(p) AS posts MATCH ()-[l:LIKES]->() "
            "RETURN users, follows, posts, count(l) AS likes",
            {},
        )[0]
        rng = random.Random(options.seed + 1)  # noqa: S311 - reproducible sampling
        viewers = [rng.choice(users) for _ in range(options.samples + 1)]
        repository = GraphRepository(executor)
        service = SocialService(repository)
        executor.calls.clear()

        # Second-page cursors, one per viewer, taken from a real first page.
        second: dict[str, str | None] = {}
        for viewer in set(viewers):
            second[viewer] = service.home_feed(viewer, options.page)["pageInfo"]["endCursor"]
        feed_sizes = [
            int(
                executor.read(
                    "MATCH (:User {id: $v})-[:FOLLOWS]->()-[:POSTED]->(p:Post) RETURN count(p) AS n", {"v": v}
                )[0]["n"]
            )
            for v in viewers[:50]
        ]

        def page_query(index: int) -> Any:
            viewer = viewers[index]
            return repository.home_feed_page(viewer, None, options.page)

        def page_query_after(index: int) -> Any:
            viewer = viewers[index]
            return repository.home_feed_page(viewer, cursors.decode(f"homeFeed:{viewer}", second[viewer]), options.page)

        def feed_service(index: int) -> Any:
            return service.home_feed(viewers[index], options.page)

        context = FakeLambdaContext()
        sink = open(os.devnull, "w")  # noqa: SIM115 - closed with the process
        graph_api._service = service

        def feed_handler(index: int) -> Any:
            with redirect_stdout(sink):  # EMF metrics go to stdout, as in Lambda
                return graph_api.handler(
                    appsync_event("homeFeed", {"first": options.page}, sub=viewers[index]), context
                )

        class NoGraph:
            """A service that answers at once: what remains is the handler's own cost."""

            def home_feed(self, viewer: str, first: Any = None, after: Any = None) -> dict[str, Any]:
                return {"items": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}

        def bare_handler(index: int) -> Any:
            graph_api._service = NoGraph()  # type: ignore[assignment]
            try:
                return feed_handler(index)
            finally:
                graph_api._service = service

        rows = [
            summary(f"HOME_FEED_PAGE, first page of {options.page}", timed(options.samples, page_query)),
            summary("HOME_FEED_PAGE, second page (cursor)", timed(options.samples, page_query_after)),
            summary("homeFeed service (page + POSTS_BY_IDS + USERS_BY_IDS)", timed(options.samples, feed_service)),
            summary("homeFeed through graph_api.handler", timed(options.samples, feed_handler)),
            summary("graph_api.handler with a no-op service (handler overhead)", timed(options.samples, bare_handler)),
        ]
    finally:
        executor.delete()
        server.close()

    print(
        f"graph: {size['users']:,} users, {size['follows']:,} follows, {size['posts']:,} posts, {size['likes']:,} likes"
        f" (generated and loaded in {load_seconds:.1f} s; seed {options.seed})"
    )
    print(
        f"feed candidates per viewer (posts by followed users, 50 viewers): median {statistics.median(feed_sizes):.0f},"
        f" max {max(feed_sizes)}"
    )
    print(f"engine: FalkorDBLite (embedded, this machine, {os.cpu_count()} cores); {options.samples} calls per row\n")
    print(f"{'milliseconds per call':58}{'median':>9}{'p95':>9}{'p99':>9}")
    for row in rows:
        print(row)
    named = {text: name for name, text in queries.ALL.items()}
    sent = sorted({named.get(query, "bench-only") for _, query, _ in executor.calls})
    print(f"\nnamed queries exercised: {', '.join(sent)}")
    growth_user_post(options)


if __name__ == "__main__":
    main()
