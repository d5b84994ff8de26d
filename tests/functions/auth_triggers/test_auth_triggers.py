"""auth_triggers with real Cognito trigger events; the User vertex on the embedded engine."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import auth_triggers.handler as auth_triggers
import boto3
import pytest
from botocore.stub import Stubber
from shared.graph import queries
from shared.graph.client import CLIENT_CONFIG, NeptuneExecutor, NeptuneSettings
from shared.graph.handles import derive_handles
from shared.graph.repository import GraphRepository
from shared.graph.validation import HANDLE

from tests.functions.conftest import FakeLambdaContext, uid
from tests.functions.embedded_graph import EmbeddedExecutor

POOL = "eu-west-1_AbCdEf123"


def cognito_event(source: str, attributes: dict[str, str]) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "1",
        "region": "eu-west-1",
        "userPoolId": POOL,
        "userName": attributes.get("sub", "9e1c6f1a-0000-4000-8000-00000000abcd"),
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "7example23456789012345678"},
        "triggerSource": source,
        "request": {"userAttributes": attributes},
        "response": {},
    }
    if source.startswith("PreSignUp"):
        event["request"].update({"validationData": None, "clientMetadata": {}})
        event["response"] = {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False}
    else:
        event["request"]["clientMetadata"] = {}
    return event


def confirmed(sub: str, **attributes: str) -> dict[str, Any]:
    return cognito_event(
        "PostConfirmation_ConfirmSignUp",
        {
            "sub": sub,
            "email": "ada@example.org",
            "email_verified": "true",
            "cognito:user_status": "CONFIRMED",
            **attributes,
        },
    )


def invoke(event: dict[str, Any]) -> Any:
    return auth_triggers.handler(event, FakeLambdaContext(function_name="social-test-auth-triggers"))


@pytest.fixture
def policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_EMAIL_DOMAINS", "example.org, @Partner.COM ")
    monkeypatch.setenv("BLOCKED_EMAIL_DOMAINS", "mailinator.com,spam.example.org")


@pytest.fixture
def graph(executor: EmbeddedExecutor, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedExecutor]:
    monkeypatch.setattr(auth_triggers, "_repository", GraphRepository(executor))
    yield executor


SIGN_UP_SOURCES = ["PreSignUp_SignUp", "PreSignUp_AdminCreateUser", "PreSignUp_ExternalProvider"]


@pytest.mark.parametrize("source", SIGN_UP_SOURCES)
@pytest.mark.parametrize("email", ["ada@example.org", "  Ada.Lovelace+tag@EXAMPLE.org ", "bob@eu.partner.com"])
def test_allowed_sign_ups_return_the_event_unchanged(policy: None, source: str, email: str) -> None:
    event = cognito_event(source, {"email": email})
    original = copy.deepcopy(event)
    assert invoke(event) == original


REJECTED = [
    ("blocked domain", "x@mailinator.com", "sign-ups with mailinator.com email addresses are not allowed"),
    ("blocked, case and spaces", "  X@MailInator.COM\t", "mailinator.com email addresses are not allowed"),
    (
        "blocked subdomain of an allowed domain",
        "x@spam.example.org",
        "spam.example.org email addresses are not allowed",
    ),
    ("subdomain of a blocked domain", "x@eu.mailinator.com", "eu.mailinator.com email addresses are not allowed"),
    ("not on the allow list", "x@gmail.com", "allowed domain; gmail.com is not one"),
    ("look-alike of an allowed domain", "x@evilexample.org", "evilexample.org is not one"),
    ("no email", "", "an email address is required"),
    ("two @", "a@b@example.org", "not valid"),
    ("space inside", "a b@example.org", "not valid"),
    ("no domain dot", "a@localhost", "not valid"),
]


@pytest.mark.parametrize("source", SIGN_UP_SOURCES)
@pytest.mark.parametrize(("email", "message"), [case[1:] for case in REJECTED], ids=[case[0] for case in REJECTED])
def test_rejected_sign_ups_say_why(policy: None, source: str, email: str, message: str) -> None:
    with pytest.raises(auth_triggers.SignUpRejected, match=message):
        invoke(cognito_event(source, {"email": email} if email else {}))


def test_empty_allow_list_allows_everything_not_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_EMAIL_DOMAINS", "")  # as deployed for an empty identity.allowedEmailDomains
    monkeypatch.setenv("BLOCKED_EMAIL_DOMAINS", "mailinator.com")
    assert invoke(cognito_event("PreSignUp_SignUp", {"email": "x@anything.io"}))["triggerSource"] == "PreSignUp_SignUp"
    with pytest.raises(auth_triggers.SignUpRejected):
        invoke(cognito_event("PreSignUp_SignUp", {"email": "x@mailinator.com"}))


@pytest.mark.filterwarnings("ignore:No application metrics")  # a crash before any metric
def test_a_malformed_domain_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_EMAIL_DOMAINS", "")
    monkeypatch.setenv("BLOCKED_EMAIL_DOMAINS", "ok.com, not a domain")
    with pytest.raises(RuntimeError, match="BLOCKED_EMAIL_DOMAINS: 'not a domain' is not a domain name"):
        invoke(cognito_event("PreSignUp_SignUp", {"email": "x@ok.com"}))


def test_post_confirmation_creates_the_user_once(graph: EmbeddedExecutor) -> None:
    sub = uid("ada")
    event = confirmed(sub, name="Ada Lovelace")
    original = copy.deepcopy(event)
    assert invoke(event) == original
    assert invoke(copy.deepcopy(original)) == original
    rows = graph.read("MATCH (u:User {id: $id}) RETURN u.handle AS handle, u.displayName AS displayName", {"id": sub})
    assert rows == [{"handle": f"ada_lovelace_{sub.replace('-', '')[:8]}", "displayName": "Ada Lovelace"}]
    assert [query for query, _ in graph.writes()] == [queries.CREATE_USER, queries.CREATE_USER]


def test_forgot_password_confirmation_is_ignored(graph: EmbeddedExecutor) -> None:
    event = confirmed(uid("reset"))
    event["triggerSource"] = "PostConfirmation_ConfirmForgotPassword"
    assert invoke(event) == event
    assert graph.calls == []


def test_handle_clash_falls_back_to_the_sub(graph: EmbeddedExecutor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        auth_triggers, "derive_handles", lambda sub, _: ("same_handle", f"u{sub.replace('-', '')}", "X")
    )
    invoke(confirmed(uid("one")))
    invoke(confirmed(uid("two")))
    handles = {row["handle"] for row in graph.read("MATCH (u:User) RETURN u.handle AS handle", {})}
    assert handles == {"same_handle", f"u{uid('two').replace('-', '')}"}


@pytest.mark.parametrize(
    ("attributes", "stem", "display"),
    [
        ({"preferred_username": "Zoë_Q", "name": "ignored"}, "zoe_q", "Zoë_Q"),
        ({"name": "  José María O'Neil  "}, "jose_maria_o_neil", "José María O'Neil"),
        ({"name": "42 \x07 !!"}, "user", "42  !!"),
        ({}, "user", "user"),
        ({"name": "x" * 80}, "x" * 21, "x" * 50),
    ],
)
def test_handles_are_deterministic_valid_and_never_from_the_email(
    attributes: dict[str, str], stem: str, display: str
) -> None:
    sub = uid("handle")
    handle, fallback, display_name = derive_handles(sub, {"email": "secret.person@example.org", **attributes})
    assert handle == f"{stem}_{sub.replace('-', '')[:8]}"
    assert HANDLE.match(handle) and HANDLE.match(fallback) and "secret" not in handle
    assert display_name == display
    assert derive_handles(sub, attributes) == derive_handles(sub, attributes)


def test_post_confirmation_writes_to_the_writer_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = NeptuneSettings.from_environment()
    stubbers: dict[str, Stubber] = {}

    def factory(url: str) -> Any:
        client = boto3.client("neptunedata", endpoint_url=url, config=CLIENT_CONFIG)
        stubbers[url] = Stubber(client)
        return client

    executor = NeptuneExecutor(settings, client_factory=factory)
    monkeypatch.setattr(auth_triggers, "_repository", GraphRepository(executor))
    monkeypatch.setattr(auth_triggers, "timestamp", lambda: "2025-05-01T00:00:00.000Z")
    sub = uid("stubbed")
    writer = stubbers[executor.client("writer").meta.endpoint_url]
    parameters = {
        "userId": sub,
        "handle": f"grace_{sub.replace('-', '')[:8]}",
        "fallbackHandle": f"u{sub.replace('-', '')}",
        "displayName": "Grace",
        "createdAt": "2025-05-01T00:00:00.000Z",
    }
    writer.add_response(
        "execute_open_cypher_query",
        {"results": [{"id": sub, "handle": parameters["handle"]}]},
        {"openCypherQuery": queries.CREATE_USER, "parameters": json.dumps(parameters, sort_keys=True)},
    )
    with writer:
        invoke(confirmed(sub, preferred_username="Grace"))
    writer.assert_no_pending_responses()
    assert list(stubbers) == ["https://" + settings.writer_endpoint + ":8182"]
