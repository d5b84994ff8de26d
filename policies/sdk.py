"""Adapters to the Pulumi policy SDK: a rule as a Pulumi policy, the engine's arguments as views."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.builder import Rule, Severity_
from policies.findings import run_resource_rule, run_stack_rule
from policies.phase import at_preview, reports_undecided
from policies.view import IDENTIFIER_OUTPUTS, UNKNOWN_SENTINELS, Res, Stack, plain, proxy_target

_SEVERITY: Final = {
    Severity_.LOW: Severity.LOW,
    Severity_.MEDIUM: Severity.MEDIUM,
    Severity_.HIGH: Severity.HIGH,
    Severity_.CRITICAL: Severity.CRITICAL,
}


def res_from_args(args: ResourceValidationArgs) -> Res:
    return Res(
        type=args.resource_type,
        name=args.name,
        urn=args.urn,
        props=plain(args.props),
        protect=bool(args.opts.protect) if args.opts is not None else False,
        parent=args.opts.parent if args.opts is not None else None,
    )


def stack_from_args(args: StackValidationArgs, *, preview: bool = False) -> Stack:
    resources = []
    for r in args.resources:
        resources.append(
            Res(
                type=r.resource_type,
                name=r.name,
                urn=r.urn,
                props=plain(r.props),
                protect=bool(r.opts.protect) if r.opts is not None else False,
                parent=r.parent.urn if r.parent is not None else None,
                dependencies=[d.urn for d in r.dependencies],
                property_dependencies={k: [d.urn for d in v] for k, v in r.property_dependencies.items()},
                identifiers=_known_identifiers(r.props),
                provider_region=_provider_region(r.provider.props if r.provider is not None else None),
            )
        )
    return Stack(resources, preview=preview)


def _provider_region(props: Any) -> str | None:
    """The ``region`` the resource's provider is configured with, when the engine sends it."""
    target = proxy_target(props) if props is not None else None
    value = target.get("region") if isinstance(target, Mapping) else None
    return value if isinstance(value, str) and value and value not in UNKNOWN_SENTINELS else None


def _known_identifiers(props: Any) -> tuple[str, ...]:
    """The id / ARN / name outputs the engine sends for existing resources (unknown for new ones)."""
    target = proxy_target(props)
    found = []
    for key in IDENTIFIER_OUTPUTS:
        value = target.get(key) if isinstance(target, Mapping) else None
        if isinstance(value, str) and value and value not in UNKNOWN_SENTINELS:
            found.append(value)
    return tuple(found)


def to_policy(rule: Rule) -> ResourceValidationPolicy | StackValidationPolicy:
    """Wrap a rule as a Pulumi policy object (enforcement comes from the pack's config)."""
    common: dict[str, Any] = {
        "name": rule.name,
        "description": rule.description,
        "config_schema": rule.config_schema(),
        "severity": _SEVERITY[rule.severity],
        "framework": rule.framework,
        "tags": rule.tags,
        "remediation_steps": rule.remediation,
    }
    if rule.check_stack is not None:

        def validate_stack(args: StackValidationArgs, report: ReportViolation) -> None:
            settings = rule.settings(args.get_config())
            preview = at_preview()
            for violation in run_stack_rule(rule, stack_from_args(args, preview=preview), settings):
                if not violation.unknown or reports_undecided(preview):
                    report(violation.message, violation.urn or None)

        return StackValidationPolicy(validate=validate_stack, **common)

    def validate_resource(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in rule.types:
            return
        settings = rule.settings(args.get_config())
        preview = at_preview()
        for violation in run_resource_rule(rule, res_from_args(args), settings):
            if not violation.unknown or reports_undecided(preview):
                report(violation.message, None)

    return ResourceValidationPolicy(validate=validate_resource, **common)
