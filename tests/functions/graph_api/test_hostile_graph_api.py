"""graph_api under hostile arguments, on the embedded engine: each attempt is refused as a
ValidationError naming the argument (AppSync's error type), and the graph is unchanged."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

import graph_api.handler as graph_api
import pytest
from shared.graph.service import SocialService

from tests.functions.conftest import SocialGraph, uid
from tests.functions.embedded_graph import EmbeddedExecutor
from tests.functions.graph_api.test_graph_api import call, snapshot


@pytest.fixture(autouse=True)
def wired(service: SocialService, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(graph_api, "_service", service)
    yield


Args = Callable[[SocialGraph], dict[str, Any]]


def _media(g: SocialGraph, tail: str) -> str:
    return f"media/{g['dave']}/{tail}"


#: (field, arguments, message the refusal must contain). The name says what the attack is.
HOSTILE: dict[str, tuple[str, Args, str]] = {
    # unicode: text that renders as nothing, reverses itself, or is not text at all
    "zero-width-only display name": (
        "updateProfile",
        lambda g: {"input": {"displayName": "\u200b\u200c\u200d"}},
        "input.displayName must contain visible",
    ),
    "word-joiner-only display name": (
        "updateProfile",
        lambda g: {"input": {"displayName": "\u2060\ufeff"}},
        "input.displayName must contain visible",
    ),
    "hangul-filler display name": (
        "updateProfile",
        lambda g: {"input": {"displayName": "\u3164\u3164"}},
        "input.displayName must contain visible",
    ),
    "braille-blank display name": (
        "updateProfile",
        lambda g: {"input": {"displayName": "\u2800"}},
        "input.displayName must contain visible",
    ),
    "combining-marks-only display name": (
        "updateProfile",
        lambda g: {"input": {"displayName": "\u0301\u0302"}},
        "input.displayName must contain visible",
    ),
    "RTL override in display name": (
        "updateProfile",
        lambda g: {"input": {"displayName": "admin\u202egnp.exe"}},
        "input.displayName must not contain bidirectional",
    ),
    "RTL isolate in display name": (
        "updateProfile",
        lambda g: {"input": {"displayName": "a\u2067b"}},
        "input.displayName must not contain bidirectional",
    ),
    "LTR embedding in bio": ("updateProfile", lambda g: {"input": {"bio": "x\u202ay"}}, "input.bio must not contain"),
    "zero-width-only bio": ("updateProfile", lambda g: {"input": {"bio": "\u200b"}}, "input.bio must contain visible"),
    "lone surrogate in display name": (
        "updateProfile",
        lambda g: {"input": {"displayName": "a\ud800"}},
        "input.displayName must be valid Unicode",
    ),
    "lone low surrogate in bio": ("updateProfile", lambda g: {"input": {"bio": "\udc00"}}, "input.bio must be valid"),
    "lone surrogate in post": ("createPost", lambda g: {"input": {"text": "hi \ud83d"}}, "input.text must be valid"),
    "RTL override in post": ("createPost", lambda g: {"input": {"text": "pay \u202e01$"}}, "input.text must not"),
    "zero-width-only post": ("createPost", lambda g: {"input": {"text": "\u200b \u200b"}}, "input.text must"),
    "zero-width-only comment": (
        "addComment",
        lambda g: {"input": {"postId": g.posts["bob"][0], "text": "\u200d"}},
        "input.text must contain visible",
    ),
    "bidi isolate in comment": (
        "addComment",
        lambda g: {"input": {"postId": g.posts["bob"][0], "text": "a\u2066"}},
        "input.text must not contain bidirectional",
    ),
    "NUL in post": ("createPost", lambda g: {"input": {"text": "a\x00b"}}, "control characters"),
    "escape sequence in bio": ("updateProfile", lambda g: {"input": {"bio": "\x1b[2J"}}, "control characters"),
    # identifiers: the trailing-newline hole and friends
    "post id with trailing newline": ("likePost", lambda g: {"postId": g.posts["bob"][0] + "\n"}, "must be an id"),
    "user id with trailing newline": ("follow", lambda g: {"userId": g["alice"] + "\n"}, "must be an id"),
    "upper-case user id": ("follow", lambda g: {"userId": g["alice"].upper()}, "must be an id"),
    "user id a list": ("follow", lambda g: {"userId": [g["alice"]]}, "must be an id"),
    "user id an object": ("follow", lambda g: {"userId": {"id": g["alice"]}}, "must be an id"),
    "user id a number": ("follow", lambda g: {"userId": 12}, "must be an id"),
    "comment post id null": ("addComment", lambda g: {"input": {"postId": None, "text": "t"}}, "must be an id"),
    # media keys: newline copies, traversal, other owners
    "media key and its newline copy": (
        "createPost",
        lambda g: {"input": {"text": "t", "mediaKeys": [_media(g, "a/600.webp"), _media(g, "a/600.webp") + "\n"]}},
        "invalid path",
    ),
    "media key trailing newline": (
        "createPost",
        lambda g: {"input": {"text": "t", "mediaKeys": [_media(g, "a/600.webp\n")]}},
        "invalid path",
    ),
    "media key traversal": (
        "createPost",
        lambda g: {"input": {"text": "t", "mediaKeys": [_media(g, "../x/600.webp")]}},
        "invalid path",
    ),
    "media key of another user": (
        "createPost",
        lambda g: {"input": {"text": "t", "mediaKeys": [f"media/{g['alice']}/a/600.webp"]}},
        "your own media",
    ),
    "media keys a string": (
        "createPost",
        lambda g: {"input": {"text": "t", "mediaKeys": _media(g, "a")}},
        "must be a list",
    ),
    "avatar key with newline": (
        "updateProfile",
        lambda g: {"input": {"avatarKey": _media(g, "a/150.webp\n")}},
        "invalid path",
    ),
    # types and sizes
    "display name a number": ("updateProfile", lambda g: {"input": {"displayName": 5}}, "must be a string"),
    "post text a list": ("createPost", lambda g: {"input": {"text": ["a"]}}, "must be a string"),
    "post text 1 MB": ("createPost", lambda g: {"input": {"text": "a" * 1_000_000}}, "at most 2000"),
    "display name 10k combining": (
        "updateProfile",
        lambda g: {"input": {"displayName": "a" + "\u0301" * 10_000}},
        "at most 50",
    ),
    "page size huge": ("followers", lambda g: {"userId": g["alice"], "first": 10**12}, "first must be an integer"),
    "page size bool": ("followers", lambda g: {"userId": g["alice"], "first": True}, "first must be an integer"),
    "cursor with newline": ("followers", lambda g: {"userId": g["alice"], "after": "abc\n"}, "after"),
    "unknown post": ("likePost", lambda g: {"postId": uid("nope")}, "does not exist"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_arguments_are_refused_and_write_nothing(
    social: SocialGraph, executor: EmbeddedExecutor, name: str
) -> None:
    field, arguments, message = HOSTILE[name]
    before = snapshot(executor)
    with pytest.raises(Exception, match=message) as refused:
        call(field, arguments(social), sub=social["dave"])
    assert refused.type.__name__ in ("ValidationError", "NotFoundError"), "AppSync shows the type as errorType"
    assert "Traceback" not in str(refused.value)
    assert snapshot(executor) == before, "the graph is unchanged"


@pytest.mark.parametrize("text", ["café", "cafe\u0301", "日本語の名前", "أحمد", "👩‍💻 Ada", "नमस्ते"])
def test_real_names_in_any_script_are_accepted_and_nfc_normalised(
    social: SocialGraph, executor: EmbeddedExecutor, text: str
) -> None:
    profile = call("updateProfile", {"input": {"displayName": text}}, sub=social["dave"])
    assert profile["displayName"] == unicodedata.normalize("NFC", text)
