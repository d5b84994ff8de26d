"""graph_api handler with real AppSync direct Lambda resolver events, on the embedded engine."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import graph_api.handler as graph_api
import pytest
from shared.graph import cursors, queries
from shared.graph.errors import ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError
from shared.graph.service import SocialService

from offline.runner import REPO_ROOT
from tests.functions.appsync_events import appsync_event
from tests.functions.conftest import FakeLambdaContext, SocialGraph, uid
from tests.functions.embedded_graph import EmbeddedExecutor

SCHEMA = REPO_ROOT / "api" / "schema.graphql"


@pytest.fixture(autouse=True)
def wired(service: SocialService, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(graph_api, "_service", service)
    yield


def call(field: str, arguments: dict[str, Any] | None = None, *, sub: str | None) -> Any:
    return graph_api.handler(appsync_event(field, arguments, sub=sub), FakeLambdaContext())


def snapshot(executor: EmbeddedExecutor) -> tuple[Any, ...]:
    """Everything stored: every node's properties and every edge (test-only queries)."""
    nodes = executor.read(
        "MATCH (n) RETURN n.id AS id, n.handle AS handle, n.displayName AS displayName, n.bio AS bio, "
        "n.avatarKey AS avatarKey, n.text AS text, n.mediaKeys AS mediaKeys ORDER BY id",
        {},
    )
    edges = executor.read("MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS t, b.id AS b ORDER BY a, t, b", {})
    return tuple(json.dumps(row, sort_keys=True) for row in nodes + edges)


def schema_fields(type_name: str) -> set[str]:
    text = Path(SCHEMA).read_text()
    block = re.search(r"type " + type_name + r" \{(.*?)\n\}", text, re.S)
    assert block is not None
    return set(re.findall(r"^\s+(\w+)[(:]", block.group(1), re.M))


def test_every_query_and_mutation_field_but_publish_has_a_resolver() -> None:
    expected = {("Query", f) for f in schema_fields("Query")} | {("Mutation", f) for f in schema_fields("Mutation")}
    # publishNotification runs on a NONE data source; the device mutations on the devices function.
    expected -= {("Mutation", "publishNotification"), ("Mutation", "registerDevice"), ("Mutation", "unregisterDevice")}
    assert len(expected) == 18
    for type_name, field in sorted(expected):
        assert graph_api.app._resolver_registry.find_resolver(type_name, field), f"{type_name}.{field}"
    assert not graph_api.app._resolver_registry.find_resolver("Mutation", "publishNotification")


def test_viewer_is_the_cognito_identity(social: SocialGraph) -> None:
    me = call("viewer", sub=social["alice"])
    assert (me["id"], me["handle"], me["followerCount"], me["followingCount"]) == (social["alice"], "alice", 3, 2)


def test_flow_post_follow_feed_like_comment(social: SocialGraph) -> None:
    erin = social["erin"]
    created = call("createPost", {"input": {"text": "hello", "mediaKeys": [f"media/{erin}/a1/600.jpg"]}}, sub=erin)
    assert created["author"]["id"] == erin and created["mediaKeys"] == [f"media/{erin}/a1/600.jpg"]
    followed = call("follow", {"userId": erin}, sub=social["bob"])
    assert followed["following"] is True and followed["user"]["viewerFollows"] is True
    feed = call("homeFeed", {"first": 1}, sub=social["bob"])
    assert [post["id"] for post in feed["items"]] == [created["id"]] and feed["pageInfo"]["hasNextPage"] is True
    liked = call("likePost", {"postId": created["id"]}, sub=social["bob"])
    assert liked["likeCount"] == 1 and liked["viewerLiked"] is True
    comment = call("addComment", {"input": {"postId": created["id"], "text": "welcome"}}, sub=social["bob"])
    assert comment["postId"] == created["id"] and comment["author"]["handle"] == "bob"
    page = call("comments", {"postId": created["id"]}, sub=erin)
    assert [c["id"] for c in page["items"]] == [comment["id"]]
    assert call("deleteComment", {"id": comment["id"]}, sub=erin) == {"id": comment["id"], "deleted": True}
    assert call("unlikePost", {"postId": created["id"]}, sub=social["bob"])["likeCount"] == 0
    assert call("unfollow", {"userId": erin}, sub=social["bob"])["following"] is False
    assert call("deletePost", {"id": created["id"]}, sub=erin) == {"id": created["id"], "deleted": True}
    assert call("post", {"id": created["id"]}, sub=erin) is None


def test_queries_by_id_and_handle(social: SocialGraph) -> None:
    assert call("user", {"id": social["bob"]}, sub=social["alice"])["viewerFollows"] is True
    assert call("userByHandle", {"handle": "Carol"}, sub=social["alice"])["id"] == social["carol"]
    assert call("userByHandle", {"handle": "nobody"}, sub=social["alice"]) is None
    assert len(call("followers", {"userId": social["alice"], "first": 50}, sub=social["bob"])["items"]) == 3
    assert len(call("following", {"userId": social["alice"]}, sub=social["bob"])["items"]) == 2
    assert len(call("postsByUser", {"userId": social["dave"]}, sub=social["bob"])["items"]) == 2


def test_update_profile_changes_only_the_callers_profile(social: SocialGraph, executor: EmbeddedExecutor) -> None:
    updated = call("updateProfile", {"input": {"displayName": "Erin E.", "bio": "hi"}}, sub=social["erin"])
    assert (updated["id"], updated["displayName"], updated["bio"]) == (social["erin"], "Erin E.", "hi")
    before = snapshot(executor)
    # Smuggling another user's id into the input is refused outright.
    with pytest.raises(ValidationError, match="unknown field"):
        call("updateProfile", {"input": {"id": social["alice"], "displayName": "pwned"}}, sub=social["erin"])
    assert snapshot(executor) == before
    assert call("user", {"id": social["alice"]}, sub=social["erin"])["displayName"] == "Alice"


# --- hostile input: a clear error and nothing written ---------------------------------

HOSTILE = [
    (
        "deletePost of another user's post",
        "deletePost",
        lambda g: {"id": g.posts["bob"][0]},
        ForbiddenError,
        "only your own posts",
    ),
    (
        "deleteComment by a stranger",
        "deleteComment",
        lambda g: {"id": g.comments["bob_on_carol"]},
        ForbiddenError,
        "your own comments",
    ),
    ("follow yourself", "follow", lambda g: {"userId": g["dave"]}, ValidationError, "cannot follow yourself"),
    (
        "oversized post",
        "createPost",
        lambda g: {"input": {"text": "x" * 2001}},
        ValidationError,
        "at most 2000 characters, got 2001",
    ),
    (
        "blank post",
        "createPost",
        lambda g: {"input": {"text": " \n "}},
        ValidationError,
        "input.text must not be empty",
    ),
    ("control characters", "createPost", lambda g: {"input": {"text": "a\x00b"}}, ValidationError, "U\\+0000"),
    (
        "someone else's media",
        "createPost",
        lambda g: {"input": {"text": "t", "mediaKeys": [f"media/{g['alice']}/x.jpg"]}},
        ValidationError,
        "your own media",
    ),
    (
        "media path traversal",
        "createPost",
        lambda g: {"input": {"text": "t", "mediaKeys": [f"media/{g['dave']}/../x.jpg"]}},
        ValidationError,
        "invalid path",
    ),
    (
        "too many media keys",
        "createPost",
        lambda g: {"input": {"text": "t", "mediaKeys": [f"media/{g['dave']}/{i}.jpg" for i in range(5)]}},
        ValidationError,
        "at most 4 keys",
    ),
    (
        "oversized comment",
        "addComment",
        lambda g: {"input": {"postId": g.posts["bob"][0], "text": "y" * 1001}},
        ValidationError,
        "at most 1000",
    ),
    (
        "another user's avatar",
        "updateProfile",
        lambda g: {"input": {"avatarKey": f"media/{g['alice']}/a.jpg"}},
        ValidationError,
        "your own media",
    ),
    (
        "null display name",
        "updateProfile",
        lambda g: {"input": {"displayName": None}},
        ValidationError,
        "cannot be null",
    ),
    ("oversized bio", "updateProfile", lambda g: {"input": {"bio": "b" * 301}}, ValidationError, "at most 300"),
    (
        "injection in an id",
        "follow",
        lambda g: {"userId": "x'}) MATCH (n) DETACH DELETE n //"},
        ValidationError,
        "must be an id",
    ),
    ("injection in a post id", "deletePost", lambda g: {"id": "1 OR 1=1"}, ValidationError, "must be an id"),
    (
        "author smuggled into a post",
        "createPost",
        lambda g: {"input": {"text": "t", "authorId": g["alice"]}},
        ValidationError,
        "unknown field\\(s\\): authorId",
    ),
    (
        "author smuggled into a comment",
        "addComment",
        lambda g: {"input": {"postId": g.posts["bob"][0], "text": "t", "authorId": g["alice"]}},
        ValidationError,
        "unknown field",
    ),
    ("unknown post", "likePost", lambda g: {"postId": uid("nope")}, NotFoundError, "does not exist"),
]


@pytest.mark.parametrize(
    ("field", "arguments", "error", "message"), [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE]
)
def test_hostile_mutations_fail_clearly_and_write_nothing(
    social: SocialGraph, executor: EmbeddedExecutor, field: str, arguments: Any, error: type[Exception], message: str
) -> None:
    before = snapshot(executor)
    with pytest.raises(error, match=message):
        call(field, arguments(social), sub=social["dave"])
    assert snapshot(executor) == before


def forged(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


BAD_PAGES = [
    ("first zero", {"first": 0}, "first must be an integer from 1 to 50, got 0"),
    ("first too big", {"first": 51}, "got 51"),
    ("first as text", {"first": "10"}, "got '10'"),
    ("not base64", {"after": "%%%"}, "not base64url"),
    ("base64 of garbage", {"after": "bm90IGpzb24"}, "undecodable"),
    ("too long", {"after": "A" * 300}, "too long"),
    ("wrong keys", {"after": forged({"t": "2025-01-01T00:00:00.000Z", "i": uid("p")})}, "unexpected content"),
    (
        "forged check",
        {"after": forged({"v": 1, "t": "2025-01-01T00:00:00.000Z", "i": uid("p"), "s": "0" * 16})},
        "modified, or from another query",
    ),
    (
        "injection in the id",
        {"after": forged({"v": 1, "t": "2025-01-01T00:00:00.000Z", "i": "' OR 1=1", "s": "0" * 16})},
        "bad id",
    ),
    ("bad timestamp", {"after": forged({"v": 1, "t": "yesterday", "i": uid("p"), "s": "0" * 16})}, "bad timestamp"),
]


@pytest.mark.parametrize(
    ("arguments", "message"), [case[1:] for case in BAD_PAGES], ids=[case[0] for case in BAD_PAGES]
)
def test_bad_page_arguments_are_clear_errors(social: SocialGraph, arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        call("homeFeed", arguments, sub=social["alice"])


def test_cursor_of_another_list_or_user_is_rejected(social: SocialGraph) -> None:
    alices = call("homeFeed", {"first": 1}, sub=social["alice"])["pageInfo"]["endCursor"]
    assert call("homeFeed", {"first": 1, "after": alices}, sub=social["alice"])["items"]
    with pytest.raises(ValidationError, match="from another query"):
        call("homeFeed", {"first": 1, "after": alices}, sub=social["bob"])
    with pytest.raises(ValidationError, match="from another query"):
        call("postsByUser", {"userId": social["bob"], "after": alices}, sub=social["alice"])
    tampered = json.loads(base64.urlsafe_b64decode(alices + "=" * (-len(alices) % 4)))
    tampered["t"] = "2030-01-01T00:00:00.000Z"
    with pytest.raises(ValidationError, match="modified"):
        call("homeFeed", {"after": forged(tampered)}, sub=social["alice"])
    assert cursors.decode("x", None) is None


def test_injection_looking_text_goes_as_a_parameter(social: SocialGraph, executor: EmbeddedExecutor) -> None:
    hostile = "'}) MATCH (n) DETACH DELETE n RETURN 1 // $authorId"
    executor.calls.clear()
    created = call("createPost", {"input": {"text": hostile}}, sub=social["erin"])
    assert created["text"] == hostile
    writes = executor.writes()
    assert [query for query, _ in writes] == [queries.CREATE_POST]
    assert writes[0][1]["text"] == hostile and writes[0][1]["authorId"] == social["erin"]
    assert call("user", {"id": social["bob"]}, sub=social["erin"]) is not None


def test_requests_without_a_user_identity_are_refused(social: SocialGraph) -> None:
    with pytest.raises(UnauthenticatedError, match="signed-in user"):
        call("viewer", sub=None)
    iam = appsync_event("viewer", sub=social["alice"])
    iam["identity"] = {
        "accountId": "123456789012",
        "userArn": "arn:aws:sts::123456789012:assumed-role/notifier/x",
        "username": "AROAEXAMPLE:x",
        "sourceIp": ["10.0.0.1"],
        "cognitoIdentityPoolId": None,
    }
    with pytest.raises(UnauthenticatedError):
        graph_api.handler(iam, FakeLambdaContext())


def test_unexpected_failures_are_opaque(social: SocialGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any) -> Any:
        raise RuntimeError("neptune said: internal detail")

    monkeypatch.setattr(graph_api.social_service(), "viewer", broken)
    with pytest.raises(graph_api.InternalError) as raised:
        call("viewer", sub=social["alice"])
    assert "internal detail" not in str(raised.value)
    assert FakeLambdaContext.aws_request_id in str(raised.value)


def test_viewer_creates_a_missing_profile_once(executor: EmbeddedExecutor) -> None:
    """Cognito confirms users even if the post confirmation trigger failed: the first
    `viewer` call creates the profile from the caller's own claims, like the trigger."""
    newcomer = uid("newcomer")
    event = appsync_event("viewer", sub=newcomer)
    event["identity"]["claims"]["name"] = "Zoë Newcomer"
    first = graph_api.handler(event, FakeLambdaContext())
    digits = newcomer.replace("-", "")
    assert (first["id"], first["handle"], first["displayName"]) == (
        newcomer,
        f"zoe_newcomer_{digits[:8]}",
        "Zoë Newcomer",
    )
    assert (first["followerCount"], first["followingCount"], first["postCount"]) == (0, 0, 0)
    before = snapshot(executor)
    assert graph_api.handler(event, FakeLambdaContext()) == first, "idempotent: the MERGE creates nothing twice"
    assert snapshot(executor) == before
    users = executor.read("MATCH (u:User {id: $id}) RETURN count(u) AS n", {"id": newcomer})
    assert users == [{"n": 1}]


def test_a_missing_profile_never_takes_its_name_from_the_email(executor: EmbeddedExecutor) -> None:
    newcomer = uid("no-name")
    me = call("viewer", sub=newcomer)  # claims carry an email but no name
    assert me["handle"] == f"user_{newcomer.replace('-', '')[:8]}"
    assert "someone" not in me["handle"] and "someone" not in me["displayName"]
