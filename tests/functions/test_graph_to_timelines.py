"""From graph_api's writes to the home feed people read, through the stream poller's fan-out.

The pipeline of tests/functions/test_graph_to_notifications.py (the same ``EmbeddedNeptune``: each of
graph_api's write queries becomes the PG_JSON stream records Neptune documents for it, named
by the engine's real element ids), with the timelines table in moto DynamoDB:

- users act through graph_api's AppSync handler, whose service reads the feed from the
  timelines table (one page of the viewer's timeline merged with the outboxes of the
  high-follower accounts they follow) and projects it through the graph;
- the stream poller's real handler fans new posts out, backfills follows, and removes
  unfollowed and deleted posts.

What is checked is what a user sees: the feed newest first, paged without repeats or gaps,
accounts above the fan-in threshold read on fan-in, and while fan-out is in flight a post
is on its author's profile at once and in followers' feeds once the poller has run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.realtime_support import REGION, FakeContext, add_function_paths, aws_env

add_function_paths()

import graph_api.handler as graph_api  # noqa: E402
from shared.graph.repository import GraphRepository  # noqa: E402
from shared.graph.service import SocialService  # noqa: E402
from shared.graph.timelines import DynamoDBTimelines, outbox  # noqa: E402
from stream_poller import handler as poller_handler  # noqa: E402
from stream_poller.checkpoint import DynamoDBCheckpointStore  # noqa: E402
from stream_poller.loop import Poller, PollerSettings  # noqa: E402
from stream_poller.mapping import NeptuneLookups  # noqa: E402
from stream_poller.sink import SqsFifoSink  # noqa: E402
from stream_poller.stream import NeptuneStreamReader  # noqa: E402
from stream_poller.timeline import TimelineSettings, TimelineWriter  # noqa: E402

from tests.functions.appsync_events import appsync_event  # noqa: E402
from tests.functions.conftest import FakeClock, FakeLambdaContext, engine, executor, uid  # noqa: E402, F401 - fixtures
from tests.functions.embedded_graph import EmbeddedExecutor  # noqa: E402
from tests.functions.test_graph_to_notifications import COMMIT_T0, EmbeddedNeptune  # noqa: E402

TIMELINES = "e2e-timelines"
CHECKPOINTS = "e2e-timeline-checkpoint"
QUEUE = "e2e-timeline-events.fifo"
#: Small pages: reads end inside transactions and the poller resumes from its checkpoint.
PAGE_LIMIT = 7
#: Low, so that three followers make a high-follower account.
FAN_IN_THRESHOLD = 2
BACKFILL = 2


@dataclass
class Feeds:
    neptune: EmbeddedNeptune
    dynamodb: Any
    poll: Callable[[], dict[str, Any]]

    def sign_up(self, name: str) -> str:
        sub = uid(name)
        self.act(sub, "viewer", {})  # creates the profile from the token's claims
        return sub

    def act(self, sub: str, field: str, arguments: dict[str, Any]) -> Any:
        return graph_api.handler(appsync_event(field, arguments, sub=sub), FakeLambdaContext())

    def post(self, sub: str, text: str) -> str:
        return str(self.act(sub, "createPost", {"input": {"text": text}})["id"])

    def feed(self, sub: str, first: int = 50) -> list[str]:
        return [item["text"] for item in self.act(sub, "homeFeed", {"first": first})["items"]]

    def paged(self, sub: str, first: int) -> list[str]:
        """The whole feed, ``first`` at a time, following endCursor until hasNextPage is false."""
        texts: list[str] = []
        after: str | None = None
        for _ in range(100):
            arguments: dict[str, Any] = {"first": first, **({"after": after} if after else {})}
            page = self.act(sub, "homeFeed", arguments)
            texts += [item["text"] for item in page["items"]]
            if not page["pageInfo"]["hasNextPage"]:
                return texts
            after = page["pageInfo"]["endCursor"]
        raise AssertionError("the feed never ended")

    def stored(self, partition: str) -> list[str]:
        """The post ids in one partition of the timelines table."""
        items = self.dynamodb.query(
            TableName=TIMELINES,
            KeyConditionExpression="userId = :p",
            ExpressionAttributeValues={":p": {"S": partition}},
        )["Items"]
        return sorted(item["postId"]["S"] for item in items)


@pytest.fixture
def feeds(executor: EmbeddedExecutor, monkeypatch: pytest.MonkeyPatch) -> Iterator[Feeds]:  # noqa: F811
    aws_env(monkeypatch, "graph-to-timelines")
    # The functions' own variable for the table, as their component renders it (the
    # recorded-call check maps each DynamoDB call to the stack's table through it).
    monkeypatch.setenv("TIMELINE_TABLE", TIMELINES)
    neptune = EmbeddedNeptune(executor)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName=TIMELINES,
            KeySchema=[{"AttributeName": "userId", "KeyType": "HASH"}, {"AttributeName": "entry", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "userId", "AttributeType": "S"},
                {"AttributeName": "entry", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.create_table(
            TableName=CHECKPOINTS,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(
            QueueName=QUEUE, Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"}
        )["QueueUrl"]
        store = DynamoDBTimelines(dynamodb, TIMELINES, sleep=lambda _: None)
        lookups = NeptuneLookups(neptune.client("reader"))
        poller = Poller(
            store=DynamoDBCheckpointStore(dynamodb, CHECKPOINTS),
            stream=NeptuneStreamReader(neptune.client("writer")),
            lookups=lookups,
            sink=SqsFifoSink(sqs, queue_url),
            settings=PollerSettings(page_limit=PAGE_LIMIT),
            now_ms=lambda: COMMIT_T0 + 3_600_000,
            sleep=lambda _: None,
            timelines=TimelineWriter(
                store,
                lookups,
                TimelineSettings(fan_in_threshold=FAN_IN_THRESHOLD, backfill_posts=BACKFILL, entry_ttl_days=30),
            ),
        )
        monkeypatch.setattr(poller_handler, "_poller", lambda: poller)
        service = SocialService(
            GraphRepository(neptune), clock=FakeClock(), timelines=store, fan_in_threshold=FAN_IN_THRESHOLD
        )
        monkeypatch.setattr(graph_api, "_service", service)
        polls = iter(range(1, 100))

        def poll() -> dict[str, Any]:
            context = FakeContext(function_name="e2e-stream-poller", aws_request_id=f"poll-{next(polls)}")
            result: dict[str, Any] = poller_handler.handler({"source": "aws.scheduler"}, context)
            assert result["stoppedBecause"] == "no new records", result
            return result

        yield Feeds(neptune=neptune, dynamodb=dynamodb, poll=poll)


def test_fan_out_and_fan_in_merge_into_one_feed_newest_first(feeds: Feeds) -> None:
    bob, ada, star, carol, dave = (feeds.sign_up(name) for name in ("bob", "ada", "star", "carol", "dave"))
    for fan in (bob, carol, dave):  # three followers: star is above the threshold of 2
        feeds.act(fan, "follow", {"userId": star})
    feeds.act(bob, "follow", {"userId": ada})  # one: ada is fanned out
    feeds.poll()

    texts = ["ada-1", "star-1", "ada-2", "star-2", "ada-3"]
    ids = {text: feeds.post(ada if text.startswith("ada") else star, text) for text in texts}

    # In flight: the author's own profile shows a post at once; followers' feeds once the poller has run.
    assert [p["text"] for p in feeds.act(ada, "postsByUser", {"userId": ada})["items"]] == ["ada-3", "ada-2", "ada-1"]
    assert feeds.feed(bob) == [], "nothing reaches a feed before the poller has run"
    feeds.poll()

    assert feeds.feed(bob) == ["ada-3", "star-2", "ada-2", "star-1", "ada-1"]
    assert feeds.feed(carol) == ["star-2", "star-1"], "a high-follower account is read on fan-in"
    # Fan-out wrote ada's posts into bob's timeline; star's went only to star's outbox.
    assert feeds.stored(bob) == sorted(ids[t] for t in texts if t.startswith("ada"))
    assert feeds.stored(outbox(star)) == sorted(ids[t] for t in texts if t.startswith("star"))
    assert feeds.stored(carol) == feeds.stored(dave) == []

    # Paged one, two or three at a time: the same feed, each post once, nothing skipped.
    for first in (1, 2, 3):
        assert feeds.paged(bob, first) == feeds.feed(bob), f"first={first}"


def test_backfill_on_follow_and_removal_on_unfollow_and_delete(feeds: Feeds) -> None:
    ada, bob, carol = (feeds.sign_up(name) for name in ("ada", "bob", "carol"))
    feeds.act(carol, "follow", {"userId": ada})
    posts = {text: feeds.post(ada, text) for text in ("old", "mid", "new")}
    feeds.act(bob, "follow", {"userId": ada})  # after ada's posts: backfilled with the newest two
    feeds.poll()
    assert feeds.feed(carol) == ["new", "mid", "old"], "fanned out as they were posted"
    assert feeds.feed(bob) == ["new", "mid"], f"a follow backfills the followee's newest {BACKFILL} posts"

    feeds.act(ada, "deletePost", {"id": posts["new"]})
    assert feeds.feed(carol) == ["mid", "old"], "a deleted post leaves every feed at once (filtered on read)"
    assert posts["new"] in feeds.stored(carol), "its entries are still there until the poller runs"
    feeds.act(bob, "unfollow", {"userId": ada})
    feeds.poll()

    assert posts["new"] not in feeds.stored(carol) and posts["new"] not in feeds.stored(outbox(ada))
    assert feeds.stored(bob) == [] and feeds.feed(bob) == [], "an unfollow removes the followee's entries"
    assert feeds.feed(carol) == ["mid", "old"]

    # Following again backfills again; a repeated poll changes nothing.
    feeds.act(bob, "follow", {"userId": ada})
    feeds.poll()
    feeds.poll()
    assert feeds.feed(bob) == ["mid", "old"]


def test_an_unfollow_in_the_same_page_as_the_post_leaves_nothing_behind(feeds: Feeds) -> None:
    """Writes keep stream order: the post's fan-out is written before the unfollow removes it."""
    ada, bob = (feeds.sign_up(name) for name in ("ada", "bob"))
    feeds.act(bob, "follow", {"userId": ada})
    feeds.poll()
    feeds.post(ada, "hello")
    feeds.act(bob, "unfollow", {"userId": ada})
    feeds.act(bob, "follow", {"userId": ada})
    feeds.act(bob, "unfollow", {"userId": ada})
    feeds.poll()
    assert feeds.stored(bob) == [] and feeds.feed(bob) == []


def test_reading_the_whole_stream_again_converges_to_the_same_timelines(feeds: Feeds) -> None:
    """The poller may re-read a page (a failure before its checkpoint moved): every write is
    a put of the same key or a delete, in stream order, so replaying changes nothing."""
    ada, bob, carol, star = (feeds.sign_up(name) for name in ("ada", "bob", "carol", "star"))
    for fan in (ada, bob, carol):
        feeds.act(fan, "follow", {"userId": star})
    feeds.act(bob, "follow", {"userId": ada})
    first = feeds.post(ada, "first")
    feeds.post(star, "shine")
    feeds.act(carol, "follow", {"userId": ada})
    feeds.act(ada, "deletePost", {"id": first})
    feeds.post(ada, "second")
    feeds.act(bob, "unfollow", {"userId": ada})
    feeds.poll()

    def snapshot() -> list[dict[str, Any]]:
        items = feeds.dynamodb.scan(TableName=TIMELINES)["Items"]
        return sorted(items, key=lambda item: (item["userId"]["S"], item["entry"]["S"]))

    before = snapshot()
    assert before, "the scenario wrote entries"
    feeds.dynamodb.delete_item(TableName=CHECKPOINTS, Key={"id": {"S": "neptune-stream"}})  # back to TRIM_HORIZON
    feeds.poll()
    assert snapshot() == before
    assert feeds.feed(carol) == ["second", "shine"] and feeds.feed(bob) == ["shine"]
