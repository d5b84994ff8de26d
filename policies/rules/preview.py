"""Row 160: security-critical inputs unknown at preview (or opaque in a state file) fail closed.

Rules read critical inputs with ``Res.req``; when a value is unknown the rule cannot decide
and records an "unknown" finding instead of passing. One policy per pack reports those
findings, so a stack sets the fail-closed behaviour in one place: mandatory in prod (a
preview that cannot prove compliance fails), advisory in dev, where ``pulumi up`` re-runs
every rule on the real values before it creates each resource.
"""

from __future__ import annotations

from collections.abc import Iterator

from policies.core import (
    COMPLIANCE,
    DEPLOYABILITY,
    REGISTRY,
    SECURITY,
    Settings,
    Stack,
    StackFinding,
    Violation,
    run_resource_rule,
    run_stack_rule,
    stack_rule,
)

UNKNOWN_POLICY = {
    SECURITY: "preview-unknown-security-inputs",
    COMPLIANCE: "preview-unknown-compliance-inputs",
    DEPLOYABILITY: "preview-unknown-deployability-inputs",
}


def unknown_findings(stack: Stack, pack: str) -> Iterator[Violation]:
    """Every "could not decide" finding of the pack's other rules over ``stack``."""
    for rule in REGISTRY:
        if rule.pack != pack or rule.name in UNKNOWN_POLICY.values():
            continue
        settings = rule.settings(None)
        if rule.is_stack:
            found = run_stack_rule(rule, stack, settings)
        else:
            found = [
                v for res in stack.resources if res.type in rule.types for v in run_resource_rule(rule, res, settings)
            ]
        yield from (v for v in found if v.unknown)


def _report(stack: Stack, pack: str) -> Iterator[StackFinding]:
    for violation in unknown_findings(stack, pack):
        res = stack.by_urn.get(violation.urn)
        yield res, f"{violation.rule.name}: {violation.message}"


_META = {
    "severity": "high",
    "category": "fail-closed",
    "rows": [160],
    "remediation": (
        "Make the value known at preview (a literal or a value of an existing resource), or let `pulumi up` "
        "check it (advisory in stacks that bootstrap new resources), or exempt the resource with a reason."
    ),
}


@stack_rule(
    UNKNOWN_POLICY[SECURITY],
    pack=SECURITY,
    description="No security-pack control is left undecided because an input is unknown at preview or an opaque secret.",
    **_META,  # type: ignore[arg-type]
)
def security_unknowns(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    yield from _report(stack, SECURITY)


@stack_rule(
    UNKNOWN_POLICY[COMPLIANCE],
    pack=COMPLIANCE,
    description="No compliance-pack control is left undecided because an input is unknown at preview or an opaque secret.",
    **_META,  # type: ignore[arg-type]
)
def compliance_unknowns(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    yield from _report(stack, COMPLIANCE)


@stack_rule(
    UNKNOWN_POLICY[DEPLOYABILITY],
    pack=DEPLOYABILITY,
    description="No deployability-pack control is left undecided because an input is unknown at preview or an opaque secret.",
    **_META,  # type: ignore[arg-type]
)
def deployability_unknowns(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    yield from _report(stack, DEPLOYABILITY)
