"""The handle and display name a new user starts with, derived from the Cognito sub and the
name the user chose (never the email). Shared by the post confirmation trigger and by
graph_api, which creates a missing profile on first use."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from shared.validation import InvalidInputError, user_text

#: Longest stem kept from the chosen name: with "_" and 8 hex digits of the sub it stays a valid handle.
STEM_MAX = 21


def derive_handles(sub: str, attributes: Mapping[str, str]) -> tuple[str, str, str]:
    """``(handle, fallback handle, display name)`` for a new user, from the sub and the
    name the user chose (never the email)."""
    digits = sub.replace("-", "")
    chosen = attributes.get("preferred_username") or attributes.get("name") or ""
    chosen = chosen.strip() if isinstance(chosen, str) else ""
    ascii_name = unicodedata.normalize("NFKD", chosen).encode("ascii", "ignore").decode().lower()
    stem = re.sub(r"[^a-z0-9]+", "_", ascii_name).strip("_")
    stem = re.sub(r"^[^a-z]+", "", stem)[:STEM_MAX].rstrip("_") or "user"
    try:
        # The same rules as a display name set through updateProfile: a name that is
        # invisible, reverses itself or is not valid text is replaced by the stem.
        without_controls = "".join(ch for ch in chosen if unicodedata.category(ch) != "Cc")
        display = user_text(without_controls, "name", max_length=len(without_controls) + 1)[:50].strip()
    except InvalidInputError:
        display = stem
    return f"{stem}_{digits[:8]}", f"u{digits}", display
