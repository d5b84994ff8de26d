"""The neptunedata calls themselves: query constant, JSON parameters and endpoint, checked
with botocore's Stubber on real clients (moto does not implement neptunedata)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import graph_api.handler as graph_api
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from shared.graph import queries
from shared.graph.client import CLIENT_CONFIG, NeptuneExecutor, NeptuneSettings, RetryPolicy
from shared.graph.repository import GraphRepository
from shared.graph.service import SocialService

from tests.functions.appsync_events import appsync_event
from tests.functions.conftest import FakeLambdaContext, uid

SETTINGS = NeptuneSettings.from_environment()
WRITER_URL = f"https://{SETTINGS.writer_endpoint}:8182"
READER_URL = f"https://{SETTINGS.reader_endpoint}:8182"


class Stubs:
    """Real neptunedata clients, one per endpoint, each behind an active Stubber."""

    def __init__(self) -> None:
        self.created: list[str] = []
        self.stubbers: dict[str, Stubber] = {}

    def factory(self, endpoint_url: str) -> Any:
        client = boto3.client("neptunedata", endpoint_url=endpoint_url, config=CLIENT_CONFIG)
        self.created.append(endpoint_url)
        self.stubbers[endpoint_url] = Stubber(client)
        self.stubbers[endpoint_url].activate()
        return client

    def on(self, executor: NeptuneExecutor, role: str) -> Stubber:
        return self.stubbers[executor.client(role).meta.endpoint_url]


def expect(stubber: Stubber, query: str, parameters: dict[str, Any], results: list[dict[str, Any]]) -> None:
    stubber.add_response(
        "execute_open_cypher_query",
        {"results": results},
        {"openCypherQuery": query, "parameters": json.dumps(parameters, sort_keys=True)},
    )


@pytest.fixture
def stubs() -> Iterator[Stubs]:
    stubs = Stubs()
    yield stubs
    for stubber in stubs.stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def test_settings_come_from_the_environment() -> None:
    assert SETTINGS.url(SETTINGS.writer_endpoint) == WRITER_URL
    with pytest.raises(RuntimeError, match="NEPTUNE_READER_ENDPOINT"):
        NeptuneSettings.from_environment({"NEPTUNE_WRITER_ENDPOINT": "w"})
    with pytest.raises(RuntimeError, match="NEPTUNE_PORT"):
        NeptuneSettings.from_environment(
            {"NEPTUNE_WRITER_ENDPOINT": "w", "NEPTUNE_READER_ENDPOINT": "r", "NEPTUNE_PORT": "x"}
        )


def test_clients_are_created_lazily_per_endpoint(stubs: Stubs) -> None:
    executor = NeptuneExecutor(SETTINGS, client_factory=stubs.factory)
    assert stubs.created == []
    assert executor.client("writer").meta.endpoint_url == WRITER_URL
    assert executor.client("reader").meta.endpoint_url == READER_URL
    assert executor.client("writer") is executor.client("writer")
    assert executor.client("writer").meta.config.retries["mode"] == "standard"


def test_writes_go_to_the_writer_reads_to_the_reader(stubs: Stubs) -> None:
    alice, bob = uid("alice"), uid("bob")
    executor = NeptuneExecutor(SETTINGS, client_factory=stubs.factory)
    expect(
        stubs.on(executor, "writer"),
        queries.FOLLOW,
        {"followerId": alice, "followeeId": bob, "createdAt": "2025-01-01T00:00:00.000Z"},
        [{"id": bob}],
    )
    expect(
        stubs.on(executor, "reader"),
        queries.HOME_FEED_PAGE,
        {"viewerId": alice, "afterCreatedAt": None, "afterId": None, "limit": 3},
        [{"id": uid("p1"), "createdAt": "2025-01-01T00:00:01.000Z"}],
    )
    repository = GraphRepository(executor)
    assert repository.follow(alice, bob, "2025-01-01T00:00:00.000Z") is True
    page = repository.home_feed_page(alice, None, 2)
    assert page.has_next is False and page.rows[0]["id"] == uid("p1")


def test_handler_sends_named_queries_with_parameters(stubs: Stubs, monkeypatch: pytest.MonkeyPatch) -> None:
    """A whole follow mutation through the handler: one write, then the profile read."""
    alice, bob = uid("alice"), uid("bob")
    executor = NeptuneExecutor(SETTINGS, client_factory=stubs.factory)
    service = SocialService(GraphRepository(executor), clock=lambda: "2025-03-01T10:00:00.000Z")
    monkeypatch.setattr(graph_api, "_service", service)
    expect(
        stubs.on(executor, "writer"),
        queries.FOLLOW,
        {"followerId": alice, "followeeId": bob, "createdAt": "2025-03-01T10:00:00.000Z"},
        [{"id": bob}],
    )
    profile = {
        "id": bob,
        "handle": "bob",
        "displayName": "Bob",
        "bio": None,
        "avatarKey": None,
        "createdAt": "2025-01-01T00:00:00.000Z",
        "followerCount": 1,
        "followingCount": 0,
        "postCount": 0,
        "viewerFollows": True,
    }
    expect(stubs.on(executor, "reader"), queries.USERS_BY_IDS, {"ids": [bob], "viewerId": alice}, [profile])
    result = graph_api.handler(appsync_event("follow", {"userId": bob}, sub=alice), FakeLambdaContext())
    assert result == {"user": profile, "following": True}


def test_concurrent_modification_is_retried_with_jitter(stubs: Stubs) -> None:
    sleeps: list[float] = []
    executor = NeptuneExecutor(
        SETTINGS, client_factory=stubs.factory, sleep=sleeps.append, rng=lambda: 0.5, retry=RetryPolicy(attempts=4)
    )
    stubber = stubs.on(executor, "writer")
    for _ in range(2):
        stubber.add_client_error(
            "execute_open_cypher_query", service_error_code="ConcurrentModificationException", http_status_code=500
        )
    stubber.add_response("execute_open_cypher_query", {"results": [{"removed": 1}]})
    assert executor.write(queries.UNFOLLOW, {"followerId": "a", "followeeId": "b"}) == [{"removed": 1}]
    assert sleeps == [0.5 * 0.05, 0.5 * 0.1]


def test_retries_give_up_and_other_errors_are_not_retried(stubs: Stubs) -> None:
    sleeps: list[float] = []
    executor = NeptuneExecutor(
        SETTINGS, client_factory=stubs.factory, sleep=sleeps.append, retry=RetryPolicy(attempts=2)
    )
    stubber = stubs.on(executor, "writer")
    for _ in range(2):
        stubber.add_client_error(
            "execute_open_cypher_query", service_error_code="ConcurrentModificationException", http_status_code=500
        )
    stubber.add_client_error(
        "execute_open_cypher_query", service_error_code="MalformedQueryException", http_status_code=400
    )
    with pytest.raises(ClientError, match="ConcurrentModificationException"):
        executor.write(queries.UNFOLLOW, {})
    with pytest.raises(ClientError, match="MalformedQueryException"):
        executor.write(queries.UNFOLLOW, {})
    assert len(sleeps) == 1
