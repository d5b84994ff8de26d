"""Row 160: the controls an input unknown at preview leaves undecided, listed by name.

Rules read critical inputs with ``Res.req``; when a value is unknown the rule cannot decide
and records an "unknown" finding instead of passing. At preview (``Stack.preview``) one
policy per pack lists those findings, naming the control, the resource and the unknown
input; every stack's config makes it advisory, because ``pulumi up`` re-runs each resource
policy on the real inputs before it creates the resource and stops on a mandatory
violation, and the offline gate (``python -m policies.check``) decides stack policies
before both. Outside preview this policy reports nothing: the rules' own policies report
their undecided controls and fail closed (``policies.core.reports_undecided``).
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
    if not stack.preview:
        return
    for violation in unknown_findings(stack, pack):
        res = stack.by_urn.get(violation.urn)
        yield res, f"{violation.rule.name}: {violation.message}"


_META = {
    "severity": "high",
    "category": "fail-closed",
    "rows": [160],
    "remediation": (
        "Nothing to do before `pulumi up`, which decides the control on the real value before it creates the "
        "resource; the offline gate (`python -m policies.check`) must have decided it. To decide it at preview, "
        "make the value known (a literal, an ARN built from known parts, or a value of an existing resource)."
    ),
}


@stack_rule(
    UNKNOWN_POLICY[SECURITY],
    pack=SECURITY,
    description="Lists the security-pack controls an input unknown at preview leaves undecided (decided by `pulumi up`).",
    **_META,  # type: ignore[arg-type]
)
def security_unknowns(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    yield from _report(stack, SECURITY)


@stack_rule(
    UNKNOWN_POLICY[COMPLIANCE],
    pack=COMPLIANCE,
    description="Lists the compliance-pack controls an input unknown at preview leaves undecided (decided by `pulumi up`).",
    **_META,  # type: ignore[arg-type]
)
def compliance_unknowns(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    yield from _report(stack, COMPLIANCE)


@stack_rule(
    UNKNOWN_POLICY[DEPLOYABILITY],
    pack=DEPLOYABILITY,
    description="Lists the deployability-pack controls an input unknown at preview leaves undecided (decided by `pulumi up`).",
    **_META,  # type: ignore[arg-type]
)
def deployability_unknowns(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    yield from _report(stack, DEPLOYABILITY)
