"""auth_triggers under hostile Cognito events: an unknown trigger source is refused (never
passed unchecked), a malformed sign-up is rejected with a message, a malformed post
confirmation writes nothing, and a chosen name that is invisible or reverses itself
never becomes a display name."""

from __future__ import annotations

from typing import Any

import auth_triggers.handler as auth_triggers
import pytest

from tests.functions.auth_triggers.test_auth_triggers import (
    cognito_event,
    confirmed,
    graph,  # noqa: F401 - the fixture
    invoke,
    policy,  # noqa: F401 - the fixture
)
from tests.functions.embedded_graph import EmbeddedExecutor
from tests.functions.graph_api.test_graph_api import snapshot

SUB = "9e1c6f1a-0000-4000-8000-00000000abcd"

UNKNOWN_SOURCES = [
    "PreSignUp_Future",
    "PreSignUp_signup",
    "PreSignUp_SignUp\n",
    "PostConfirmation_ConfirmSignUp ",
    "PostConfirmation_Other",
    "PreAuthentication_Authentication",
    "TokenGeneration_HostedAuth",
    "CustomMessage_SignUp",
    "",
]


@pytest.mark.parametrize("source", UNKNOWN_SOURCES)
def test_an_unknown_trigger_source_is_refused(
    policy: None,  # noqa: F811 - the fixture
    graph: EmbeddedExecutor,  # noqa: F811 - the fixture
    source: str,
) -> None:
    before = snapshot(graph)
    event = cognito_event("PostConfirmation_ConfirmSignUp", {"sub": SUB, "email": "ada@example.org"})
    event["triggerSource"] = source
    with pytest.raises((auth_triggers.SignUpRejected, auth_triggers.UnknownTriggerError)):
        invoke(event)
    assert snapshot(graph) == before


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.update(triggerSource=None),
        lambda e: e.update(triggerSource=["PreSignUp_SignUp"]),
        lambda e: e.pop("triggerSource"),
    ],
    ids=["null-source", "list-source", "no-source"],
)
def test_a_malformed_trigger_source_is_refused(
    policy: None,  # noqa: F811
    mutate: Any,
) -> None:
    event = cognito_event("PreSignUp_SignUp", {"email": "ada@example.org"})
    mutate(event)
    with pytest.raises(auth_triggers.UnknownTriggerError):
        invoke(event)


SIGN_UPS: dict[str, Any] = {
    "no request": lambda e: e.pop("request"),
    "request null": lambda e: e.update(request=None),
    "attributes a list": lambda e: e["request"].update(userAttributes=[["email", "a@example.org"]]),
    "attributes null": lambda e: e["request"].update(userAttributes=None),
    "email missing": lambda e: e["request"].update(userAttributes={}),
    "email a list": lambda e: e["request"]["userAttributes"].update(email=["a@example.org"]),
    "email trailing newline inside": lambda e: e["request"]["userAttributes"].update(email="a\n@example.org"),
    "email two ats": lambda e: e["request"]["userAttributes"].update(email="a@b@example.org"),
    "email lone surrogate": lambda e: e["request"]["userAttributes"].update(email="a\ud800@example.org"),
    "email domain with newline": lambda e: e["request"]["userAttributes"].update(email="a@exa\nmple.org"),
    "email 1 MB": lambda e: e["request"]["userAttributes"].update(email="a" * 1_000_000 + "@example.org"),
}


@pytest.mark.parametrize("name", sorted(SIGN_UPS))
def test_a_malformed_sign_up_is_rejected_with_a_message(policy: None, name: str) -> None:  # noqa: F811
    event = cognito_event("PreSignUp_SignUp", {"email": "ada@example.org"})
    SIGN_UPS[name](event)
    with pytest.raises(auth_triggers.SignUpRejected):
        invoke(event)


@pytest.mark.parametrize(
    "sub",
    [None, 7, ["x"], "", SUB + "\n", SUB.upper(), "../" + SUB, "x' OR 1=1"],
    ids=["null", "number", "list", "empty", "newline", "upper", "traversal", "injection"],
)
def test_post_confirmation_without_a_valid_sub_writes_nothing(
    graph: EmbeddedExecutor,  # noqa: F811 - the fixture
    sub: Any,
) -> None:
    before = snapshot(graph)
    event = confirmed(SUB)
    event["request"]["userAttributes"]["sub"] = sub
    with pytest.raises(RuntimeError, match="without a Cognito sub"):
        invoke(event)
    assert snapshot(graph) == before


@pytest.mark.parametrize(
    "name",
    ["\u200b\u200b", "evil\u202etxt.exe", "a\u2066b", "\u3164", "ada\ud800"],
    ids=["zero-width", "rtl-override", "bidi-isolate", "hangul-filler", "lone-surrogate"],
)
def test_a_hostile_chosen_name_never_becomes_the_display_name(
    graph: EmbeddedExecutor,  # noqa: F811 - the fixture
    name: str,
) -> None:
    invoke(confirmed(SUB, preferred_username=name))
    (row,) = graph.read("MATCH (u:User {id: $id}) RETURN u.displayName AS displayName", {"id": SUB})
    display = row["displayName"]
    assert display and display.isascii() and display.isprintable(), f"{display!r} is the derived stem"
