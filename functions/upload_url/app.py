"""Placeholder: replaced by the real handler in the next commit."""

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {}
