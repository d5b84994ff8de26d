"""A policy's own config: its parameters (thresholds, options) and its exemptions.

Which enforcement level a policy has in a stack is the pack config's business
(``policies.packconfig``); this module parses the properties that config hands one policy.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from policies.view import Res


@dataclass(frozen=True)
class Param:
    """A threshold or option a policy takes from its config, with a default."""

    name: str
    schema: dict[str, Any]
    default: Any
    description: str


@dataclass(frozen=True)
class Exemption:
    resource: str
    reason: str
    type: str | None = None

    def matches(self, res_type: str, name: str, urn: str) -> bool:
        if self.type and self.type != res_type:
            return False
        return self.resource in (urn, name) or ("*" in self.resource and fnmatch.fnmatchcase(name, self.resource))


class PolicyConfigError(ValueError):
    """A policy's config is unusable (for example an exemption without a reason)."""


@dataclass(frozen=True)
class Settings:
    """A rule's effective config: its parameters and its valid exemptions."""

    values: Mapping[str, Any]
    exemptions: tuple[Exemption, ...]
    errors: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def exempt(self, res: Res) -> Exemption | None:
        for exemption in self.exemptions:
            if exemption.matches(res.type, res.name, res.urn):
                return exemption
        return None


EXEMPTION_SCHEMA: Final[dict[str, Any]] = {
    "type": "array",
    "description": "Resources this policy does not apply to, each with a written reason.",
    "items": {
        "type": "object",
        "properties": {
            "resource": {"type": "string", "minLength": 1, "description": "URN or logical name (glob allowed)"},
            "type": {"type": "string", "description": "optional type token, e.g. aws:s3/bucket:Bucket"},
            "reason": {"type": "string", "minLength": 1, "pattern": "\\S", "description": "why it is exempt"},
        },
        "required": ["resource", "reason"],
        "additionalProperties": False,
    },
}


def parse_settings(name: str, params: Sequence[Param], config: Mapping[str, Any] | None) -> Settings:
    """Parse policy ``name``'s config: parameters with defaults and validated exemptions."""
    config = dict(config or {})
    values = {p.name: config.get(p.name, p.default) for p in params}
    exemptions: list[Exemption] = []
    errors: list[str] = []
    raw = config.get("exemptions") or []
    if not isinstance(raw, list):
        errors.append(f"policy '{name}': 'exemptions' must be a list")
        raw = []
    for index, entry in enumerate(raw, start=1):
        where = f"policy '{name}': exemption #{index}"
        if not isinstance(entry, Mapping):
            errors.append(f"{where} must be an object with 'resource' and 'reason'")
            continue
        resource = entry.get("resource")
        reason = entry.get("reason")
        if not isinstance(resource, str) or not resource.strip():
            errors.append(f"{where} names no resource")
            continue
        if not isinstance(reason, str) or not reason.strip():
            errors.append(f"{where} (resource '{resource}') has no reason: every exemption needs a written reason")
            continue
        res_type = entry.get("type")
        exemptions.append(Exemption(resource, reason.strip(), res_type if isinstance(res_type, str) else None))
    for param in params:
        expected = param.schema.get("type")
        value = values[param.name]
        if expected in ("integer", "number") and (isinstance(value, bool) or not isinstance(value, int | float)):
            errors.append(f"policy '{name}': '{param.name}' must be a number, got {value!r}")
            values[param.name] = param.default
        elif expected in ("integer", "number") and value < param.schema.get("minimum", value):
            errors.append(f"policy '{name}': '{param.name}' must be >= {param.schema['minimum']}")
            values[param.name] = param.default
        elif expected == "array" and not isinstance(value, list):
            errors.append(f"policy '{name}': '{param.name}' must be a list")
            values[param.name] = param.default
    return Settings(values, tuple(exemptions), tuple(errors))
