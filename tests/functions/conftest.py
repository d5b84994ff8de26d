"""Fixtures for the Lambda code: ``functions/`` on ``sys.path`` (as the package root is
in Lambda, so ``from shared.graph import ...`` resolves the same way), one embedded
openCypher engine per session, a fresh graph per test, and a small seeded social graph."""

from __future__ import annotations

import itertools
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
if str(FUNCTIONS) not in sys.path:
    sys.path.insert(0, str(FUNCTIONS))
# What Lambda and the stack set, with fake credentials: set before any handler module
# is imported (Powertools reads them at import), and no test can reach a real account.
for _name, _value in {
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_METRICS_NAMESPACE": "SocialBackendTest",
    "NEPTUNE_WRITER_ENDPOINT": "writer.cluster-test.eu-west-1.neptune.amazonaws.com",
    "NEPTUNE_READER_ENDPOINT": "reader.cluster-ro-test.eu-west-1.neptune.amazonaws.com",
    "NEPTUNE_PORT": "8182",
}.items():
    os.environ[_name] = _value

from shared.graph.repository import GraphRepository  # noqa: E402
from shared.graph.service import SocialService  # noqa: E402

from tests.functions.embedded_graph import EmbeddedExecutor, EmbeddedServer  # noqa: E402


def uid(name: str) -> str:
    """A stable UUID per name, so failures name the same ids every run."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"social-test:{name}"))


class FakeClock:
    """Strictly increasing ``createdAt`` values, one second apart (or pinned by ``at``)."""

    def __init__(self) -> None:
        self._ticks = itertools.count(1)
        self.pinned: str | None = None

    def __call__(self) -> str:
        if self.pinned is not None:
            return self.pinned
        tick = next(self._ticks)
        return f"2025-01-01T{tick // 3600:02d}:{tick // 60 % 60:02d}:{tick % 60:02d}.000Z"


@pytest.fixture(scope="session")
def engine() -> Iterator[EmbeddedServer]:
    server = EmbeddedServer()
    yield server
    server.close()


@pytest.fixture
def executor(engine: EmbeddedServer) -> Iterator[EmbeddedExecutor]:
    graph = engine.graph(f"test-{uuid.uuid4().hex}")
    graph.create_indexes()
    yield graph
    graph.delete()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(executor: EmbeddedExecutor, clock: FakeClock) -> SocialService:
    return SocialService(GraphRepository(executor), clock=clock)


USERS = ("alice", "bob", "carol", "dave", "erin")


@dataclass
class SocialGraph:
    """alice follows bob and carol; bob, carol and dave follow alice; erin follows nobody.
    bob and carol have 3 posts each, dave 2, alice 1; two of them share a timestamp."""

    users: dict[str, str]
    posts: dict[str, list[str]] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return self.users[name]


def create_users(service: SocialService, names: tuple[str, ...] = USERS) -> dict[str, str]:
    users = {name: uid(name) for name in names}
    for name, user_id in users.items():
        service.repository.create_user(
            user_id=user_id,
            handle=name,
            fallback_handle=f"u{user_id.replace('-', '')}",
            display_name=name.title(),
            created_at=service.clock(),
        )
    return users


@pytest.fixture
def social(service: SocialService, clock: FakeClock) -> SocialGraph:
    graph = SocialGraph(create_users(service))
    for follower, followee in [
        ("alice", "bob"),
        ("alice", "carol"),
        ("bob", "alice"),
        ("carol", "alice"),
        ("dave", "alice"),
    ]:
        service.follow(graph[follower], graph[followee])
    post: Callable[[str, str], str] = lambda author, text: service.create_post(graph[author], {"text": text})["id"]  # noqa: E731
    for author in ("alice", "bob", "carol", "dave"):
        graph.posts[author] = []
    for index, author in enumerate(["bob", "carol", "dave", "bob", "carol", "alice", "dave"]):
        graph.posts[author].append(post(author, f"{author} post {index}"))
    clock.pinned = "2025-01-01T05:00:00.000Z"  # a tie: the feed breaks it by id
    graph.posts["bob"].append(post("bob", "bob tie"))
    graph.posts["carol"].append(post("carol", "carol tie"))
    clock.pinned = None
    graph.comments["bob_on_carol"] = service.add_comment(
        graph["bob"], {"postId": graph.posts["carol"][0], "text": "nice"}
    )["id"]
    service.like_post(graph["alice"], graph.posts["bob"][0])
    return graph


@dataclass
class FakeLambdaContext:
    function_name: str = "social-test-graph-api"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:social-test-graph-api"
    aws_request_id: str = "5f1a7c2e-0000-4000-8000-000000000001"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials and Powertools settings for handlers that create AWS clients (moto)."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "POWERTOOLS_SERVICE_NAME": "test",
        "POWERTOOLS_DEV": "false",
    }.items():
        monkeypatch.setenv(name, value)
    yield
