"""Identity-policy checks for component tests, on the project's one IAM engine
(``offline.iam_engine``: principalmapper 1.1.5, imported there with its Python 3.12 shim)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offline.iam_engine import ResourcePolicyEvalResult, policy_has_matching_statement, resource_policy_authorization

__all__ = ["ResourcePolicyEvalResult", "allows", "policy_has_matching_statement", "resource_policy_authorization"]


def allows(
    documents: list[dict[str, object]] | list[dict[str, Any]], action: str, resource: str, context: Mapping[str, object]
) -> bool:
    """Do these identity policies allow ``action`` on ``resource`` in ``context`` (no explicit deny)?"""
    keys = dict(context)
    matched = any(policy_has_matching_statement(d, "Allow", action, resource, keys) for d in documents)
    denied = any(policy_has_matching_statement(d, "Deny", action, resource, keys) for d in documents)
    return bool(matched and not denied)
