"""Input rules of the social API. Each check returns the clean value or raises
:class:`ValidationError` with a message that names the argument and the rule."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from shared.graph.errors import ValidationError
from shared.validation import BIDI_CONTROLS, has_unpaired_surrogate, visible

#: Every pattern ends in ``\Z``, not ``$``: with ``re.match`` a ``$`` also accepts a final
#: "\n", so "<key>\n" passed as a second, different key (and a second copy of a media key
#: passed the no-repeat check). This module uses ``fullmatch``; ``\Z`` keeps callers that
#: still use ``match`` (auth_triggers imports UUID) exact too.
#: Cognito subs, post and comment ids are all UUIDs (lower-case, hyphenated).
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
#: Lower-case letter first, then letters, digits and underscores; 3 to 40 characters.
HANDLE = re.compile(r"^[a-z][a-z0-9_]{2,39}\Z")
#: ``media/<sub>/`` then path segments of safe characters (no ``..``, no empty segment).
MEDIA_KEY_TAIL = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}){0,3}\Z")

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
    if not isinstance(value, str) or not UUID.fullmatch(value):
        raise ValidationError(f"{argument} must be an id (a lower-case UUID), got {_preview(value)}")
    return value


def handle(argument: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{argument} must be a string")
    normalised = value.strip().lower()
    if not HANDLE.fullmatch(normalised):
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
    newline and tab, no unpaired surrogates (not text: the engine fails on them) and no
    bidirectional overrides or isolates (text that displays reversed); a required text, and
    any non-empty one, must have something visible once invisible characters (zero-width
    spaces, joiners, blank fillers) are removed."""
    if not isinstance(value, str):
        raise ValidationError(f"{argument} must be a string")
    if len(value) > maximum * 4:
        raise ValidationError(f"{argument} must be at most {maximum} characters, got {len(value)}")
    if has_unpaired_surrogate(value):
        raise ValidationError(f"{argument} must be valid Unicode text (it holds an unpaired surrogate)")
    normalised = unicodedata.normalize("NFC", value)
    bidi = next((character for character in normalised if character in BIDI_CONTROLS), None)
    if bidi is not None:
        raise ValidationError(f"{argument} must not contain bidirectional control characters (found U+{ord(bidi):04X})")
    if len(normalised) > maximum:
        raise ValidationError(f"{argument} must be at most {maximum} characters, got {len(normalised)}")
    if required and not normalised.strip():
        raise ValidationError(f"{argument} must not be empty")
    if (required or normalised) and not visible(normalised):
        raise ValidationError(f"{argument} must contain visible characters, not only invisible ones")
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
    if not MEDIA_KEY_TAIL.fullmatch(tail) or any(part in ("..", ".") for part in tail.split("/")):
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
