"""One validation layer per kind of value, for every function: identifiers, user text, JSON bodies.

Each check raises :class:`InvalidInputError` naming the field, which each handler maps to
its caller's error shape (AppSync error, API Gateway 400, Cognito rejection).

- **Identifiers, keys, tokens**: ``re.fullmatch`` only. Under ``re.match`` a pattern ending
  in ``$`` also accepts a final ``"\\n"`` (``$`` matches before a trailing newline), so
  ``"<key>\\n"`` passed as a second, different value.
- **User text**: NFC-normalised (Unicode UAX #15), refused when it holds unpaired
  surrogates (not encodable as UTF-8: it fails later inside the database engine), a
  bidirectional embedding, override or isolate (U+202A-U+202E, U+2066-U+2069: text that
  displays reversed, the "Trojan Source" trick), other control characters, or nothing
  visible once invisible characters (format characters such as U+200B, whitespace, and
  the blank "filler" letters) are removed.
- **JSON bodies**: size bounded before parsing and nesting depth bounded before
  ``json.loads`` (which raises RecursionError, not a ValueError, on deep input).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any, Final


class InvalidInputError(ValueError):
    """A value a caller sent is not acceptable; ``str()`` names the field and the rule."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field


BIDI_CONTROLS: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Letters that render as nothing (Unicode "default ignorable" or blank by design).
BLANK_LETTERS: Final = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5\u180e")


def identifier(value: object, field: str, pattern: re.Pattern[str], rule: str) -> str:
    """``value`` when it is a string wholly matching ``pattern``."""
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise InvalidInputError(field, rule)
    return value


def has_unpaired_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def visible(text: str) -> str:
    """``text`` without the characters that render as nothing."""
    return "".join(
        char
        for char in text
        if not char.isspace()
        and unicodedata.category(char) not in ("Cf", "Cc", "Zs", "Mn", "Me")
        and char not in BLANK_LETTERS
    )


def user_text(value: object, field: str, *, max_length: int, allow_newlines: bool = False) -> str:
    """Text a person typed, NFC-normalised and stripped, or InvalidInputError."""
    if not isinstance(value, str):
        raise InvalidInputError(field, "must be a string")
    if has_unpaired_surrogate(value):
        raise InvalidInputError(field, "contains an unpaired surrogate (not valid Unicode text)")
    if len(value) > max_length * 4:  # before normalising: NFC can only shrink or keep this order
        raise InvalidInputError(field, f"must be at most {max_length} characters")
    text = unicodedata.normalize("NFC", value).strip()
    if any(char in BIDI_CONTROLS for char in text):
        raise InvalidInputError(field, "contains a bidirectional override or isolate character")
    allowed_controls = {"\n"} if allow_newlines else set()
    if any(unicodedata.category(char) == "Cc" and char not in allowed_controls for char in text):
        raise InvalidInputError(field, "contains control characters")
    if not visible(text):
        raise InvalidInputError(field, "must contain visible characters")
    if len(text) > max_length:
        raise InvalidInputError(field, f"must be at most {max_length} characters")
    return text


def json_depth_exceeds(text: str, max_depth: int) -> bool:
    """Whether ``text`` nests objects/arrays deeper than ``max_depth`` (strings skipped)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif char in "]}":
            depth -= 1
    return False


def bounded_json(body: object, field: str, *, max_bytes: int, max_depth: int) -> Any:
    """Parse ``body`` (a JSON text) after bounding its size and nesting."""
    if not isinstance(body, str | bytes):
        raise InvalidInputError(field, "must be JSON text")
    size = len(body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body)
    if size > max_bytes:
        raise InvalidInputError(field, f"must be at most {max_bytes} bytes")
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    if json_depth_exceeds(text, max_depth):
        raise InvalidInputError(field, f"must not nest deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidInputError(field, "is not valid JSON") from None
