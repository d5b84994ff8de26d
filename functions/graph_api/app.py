"""Placeholder: the real handler comes from the graph-functions branch."""

from typing import Any


def handler(event: dict[str, Any], context: Any) -> Any:
    raise NotImplementedError("replaced by the graph-functions branch")
