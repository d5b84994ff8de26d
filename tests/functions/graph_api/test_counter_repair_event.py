"""How operators run the counter repair (docs/scaling.md, "Counters"): graph_api's own
``counterRepair`` event, which no AppSync request can produce."""

from __future__ import annotations

from typing import Any

import graph_api.handler as graph_api
import pytest
from shared.graph.errors import ValidationError
from shared.graph.service import SocialService

from tests.functions.appsync_events import appsync_event
from tests.functions.conftest import FakeLambdaContext
from tests.functions.embedded_graph import EmbeddedExecutor
from tests.functions.graph_counts import edge_counts, legacy, stored_counts


class ShrinkingContext(FakeLambdaContext):
    """A Lambda context whose remaining time falls by ``step_ms`` at each look."""

    def __init__(self, remaining_ms: int, step_ms: int) -> None:
        super().__init__()
        self.remaining_ms, self.step_ms = remaining_ms, step_ms

    def get_remaining_time_in_millis(self) -> int:
        self.remaining_ms -= self.step_ms
        return self.remaining_ms


@pytest.fixture
def wired(service: SocialService, monkeypatch: pytest.MonkeyPatch) -> SocialService:
    monkeypatch.setattr(graph_api, "_service", service)
    return service


def test_an_operator_repairs_by_invoking_graph_api_with_the_counter_repair_event(
    wired: SocialService, executor: EmbeddedExecutor
) -> None:
    ids = legacy(executor)
    report = graph_api.handler({"counterRepair": {}}, FakeLambdaContext())
    assert report["complete"] is True and report["next"] is None
    assert report["checked"] == {"User": 3, "Post": 1}
    assert report["changed"] == {
        "followerCount": 3, "followingCount": 3, "postCount": 3, "likeCount": 1, "commentCount": 1
    }  # fmt: skip
    assert {"vertex": "User", "id": ids["b"], "counter": "followerCount", "before": None, "after": 2} in report[
        "changes"
    ]
    assert wired.user(ids["a"], ids["b"])["followerCount"] == 2  # type: ignore[index]
    again = graph_api.handler({"counterRepair": {"batchSize": 1}}, FakeLambdaContext())
    assert again["complete"] is True and again["changedVertices"] == 0 and again["changes"] == []


def test_a_repair_near_the_timeout_returns_where_the_next_invocation_resumes(
    wired: SocialService, executor: EmbeddedExecutor
) -> None:
    legacy(executor)
    # 10 s left, each look 3 s later: a few batches fit, then it stops with time to spare.
    first = graph_api.handler({"counterRepair": {"batchSize": 1}}, ShrinkingContext(10_000, 3_000))
    assert first["complete"] is False and first["next"] is not None
    assert 1 <= sum(first["checked"].values()) < 4
    rest = graph_api.handler({"counterRepair": {"after": first["next"]}}, FakeLambdaContext())
    assert rest["complete"] is True
    assert sum(first["checked"].values()) + sum(rest["checked"].values()) == 4
    assert stored_counts(executor) == edge_counts(executor)


def test_an_appsync_request_cannot_start_the_repair(wired: SocialService, executor: EmbeddedExecutor) -> None:
    """AppSync builds the event and puts a client's input (schema-checked) under
    ``arguments``; the repair needs an event that is that one key and nothing else."""
    ids = legacy(executor)
    event = appsync_event("user", {"id": ids["b"]}, sub=ids["a"])
    event["counterRepair"] = {}  # not even beside a resolver event's own keys
    shown = graph_api.handler(event, FakeLambdaContext())
    assert shown["followerCount"] == 0  # a resolver answered; nothing was repaired
    assert stored_counts(executor)[("User", ids["b"])]["followerCount"] is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "counterRepair must be an object"),
        ({"batch": 5}, "unknown field.*batch"),
        ({"batchSize": 0}, "counterRepair.batchSize must be an integer from 1 to 1000"),
        ({"batchSize": "10"}, "counterRepair.batchSize"),
        ({"after": {"vertex": "Comment", "afterId": None}}, 'counterRepair.after must be the "next"'),
        ({"after": "User"}, "counterRepair.after"),
    ],
)
def test_a_malformed_repair_request_names_its_field_and_changes_nothing(
    wired: SocialService, executor: EmbeddedExecutor, body: Any, message: str
) -> None:
    legacy(executor)
    before = stored_counts(executor)
    with pytest.raises(ValidationError, match=message):
        graph_api.handler({"counterRepair": body}, FakeLambdaContext())
    assert stored_counts(executor) == before
