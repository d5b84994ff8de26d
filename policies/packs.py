"""Assemble the rules into the three packs (no analyzer is started here)."""

from __future__ import annotations

from typing import Final

from pulumi_policy import Policy

from policies.core import COMPLIANCE, DEPLOYABILITY, PACKS, SECURITY, Rule, to_policy
from policies.rules import all_rules

PACK_NAMES: Final = {
    SECURITY: "mobile-backend-security",
    COMPLIANCE: "mobile-backend-compliance",
    DEPLOYABILITY: "mobile-backend-deployability",
}
PACK_DESCRIPTIONS: Final = {
    SECURITY: "Encryption at rest and in transit, least privilege, network exposure.",
    COMPLIANCE: "Audit and logging, resilience (multi-AZ, backups, deletion protection, failure destinations), hygiene.",
    DEPLOYABILITY: (
        "AWS semantics that fail a deploy or leave a feature silently dead although every resource is secure: "
        "key grants for the services that use a key, log targets a service can write, trust conditions a service "
        "sends, alarms on metrics that exist in their region, creation order AWS validates."
    ),
}


def rules_of(pack: str) -> list[Rule]:
    if pack not in PACKS:
        raise ValueError(f"unknown pack {pack!r}; expected one of {', '.join(PACKS)}")
    return [rule for rule in all_rules() if rule.pack == pack]


def policies_of(pack: str) -> list[Policy]:
    """The pack's Pulumi policy objects, ready for ``PolicyPack(policies=...)``."""
    return [to_policy(rule) for rule in rules_of(pack)]


def pack_of(policy_name: str) -> str | None:
    for rule in all_rules():
        if rule.name == policy_name:
            return rule.pack
    return None
