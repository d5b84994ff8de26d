"""Input rules of the social API. Each check returns the clean value or raises
:class:`ValidationError` with a message that names the argument and the rule."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from shared.graph.errors import ValidationError

#: Cognito subs, post and comment ids are all UUIDs (lower-case, hyphenated).
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
#: Lower-case letter first, then letters, digits and underscores; 3 to 40 characters.
HANDLE = re.compile(r"^[a-z][a-z0-9_]{2,39}$")
#: ``media/<sub>/`` then path segments of safe characters (no ``..``, no empty segment).
MEDIA_KEY_TAIL = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}){0,3}$")

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 50
POST_TEXT_MAX = 2000
COMMENT_TEXT_MAX = 1000
DISPLAY_NAME_MAX = 50
BIO_MAX = 300
MEDIA_KEYS_MAX = 4
MEDIA_KEY_MAX = 300
#: Newlines and tabs are text; every other control character is rejected.
ALLOWED_CONTROLS = frozenset("\n\t")


def entity_id(argument: str, value: Any) -> str:
    if not isinstance(value, str) or not UUID.match(value):
        raise ValidationError(f"{argument} must be an id (a lower-case UUID), got {_preview(value)}")
    return value


def handle(argument: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{argument} must be a string")
    normalised = value.strip().lower()
    if not HANDLE.match(normalised):
        raise ValidationError(
            f"{argument} must be 3-40 characters of a-z, 0-9 and _, starting with a letter, got {_preview(value)}"
        )
    return normalised


def page_size(value: Any) -> int:
    if value is None:
        return PAGE_SIZE_DEFAULT
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= PAGE_SIZE_MAX:
        raise ValidationError(f"first must be an integer from 1 to {PAGE_SIZE_MAX}, got {_preview(value)}")
    return value


def text(argument: str, value: Any, *, maximum: int, required: bool = True) -> str:
    """Unicode text (NFC), at most ``maximum`` characters, no control characters but
    newline and tab; a required text must not be blank."""
    if not isinstance(value, str):
        raise ValidationError(f"{argument} must be a string")
    normalised = unicodedata.normalize("NFC", value)
    if len(normalised) > maximum:
        raise ValidationError(f"{argument} must be at most {maximum} characters, got {len(normalised)}")
    if required and not normalised.strip():
        raise ValidationError(f"{argument} must not be empty")
    for character in normalised:
        if unicodedata.category(character) == "Cc" and character not in ALLOWED_CONTROLS:
            raise ValidationError(f"{argument} must not contain control characters (found U+{ord(character):04X})")
    return normalised


def media_key(argument: str, value: Any, *, owner: str) -> str:
    """A key the owner uploaded: ``media/<owner sub>/...`` in the media bucket."""
    prefix = f"media/{owner}/"
    if not isinstance(value, str) or len(value) > MEDIA_KEY_MAX:
        raise ValidationError(f"{argument} must be a string of at most {MEDIA_KEY_MAX} characters")
    if not value.startswith(prefix):
        raise ValidationError(f"{argument} must start with {prefix} (your own media), got {_preview(value)}")
    tail = value[len(prefix) :]
    if not MEDIA_KEY_TAIL.match(tail) or any(part in ("..", ".") for part in tail.split("/")):
        raise ValidationError(f"{argument} has an invalid path after {prefix}: {_preview(value)}")
    return value


def media_keys(argument: str, values: Any, *, owner: str) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise ValidationError(f"{argument} must be a list of strings")
    if len(values) > MEDIA_KEYS_MAX:
        raise ValidationError(f"{argument} may hold at most {MEDIA_KEYS_MAX} keys, got {len(values)}")
    keys = [media_key(f"{argument}[{index}]", value, owner=owner) for index, value in enumerate(values)]
    if len(set(keys)) != len(keys):
        raise ValidationError(f"{argument} must not repeat a key")
    return keys


def _preview(value: Any) -> str:
    """The offending value, shortened, for an error message (never echo a whole payload)."""
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."
