"""principalmapper's local policy simulation, importable on Python 3.12.

principalmapper 1.1.5 imports ``Mapping``/``MutableMapping`` from ``collections`` (moved to
``collections.abc`` in 3.10); the two aliases below are all it needs.
"""

from __future__ import annotations

import collections
import collections.abc
from collections.abc import Mapping
from typing import Any

for _name in ("Mapping", "MutableMapping"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))

from principalmapper.querying.local_policy_simulation import (  # type: ignore[import-untyped]  # noqa: E402
    ResourcePolicyEvalResult,
    policy_has_matching_statement,
    resource_policy_authorization,
)

__all__ = ["ResourcePolicyEvalResult", "allows", "policy_has_matching_statement", "resource_policy_authorization"]


def allows(
    documents: list[dict[str, object]] | list[dict[str, Any]], action: str, resource: str, context: Mapping[str, object]
) -> bool:
    """Do these identity policies allow ``action`` on ``resource`` in ``context`` (no explicit deny)?"""
    keys = dict(context)
    matched = any(policy_has_matching_statement(d, "Allow", action, resource, keys) for d in documents)
    denied = any(policy_has_matching_statement(d, "Deny", action, resource, keys) for d in documents)
    return bool(matched and not denied)
