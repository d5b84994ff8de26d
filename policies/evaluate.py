"""Evaluate all three packs over a list of resources, in-process (no CLI, no analyzer)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from policies.core import (
    IDENTIFIER_OUTPUTS,
    Res,
    Rule,
    Stack,
    Violation,
    plain,
    reports_undecided,
    run_resource_rule,
    run_stack_rule,
)
from policies.packconfig import PackConfig
from policies.packs import PACK_NAMES
from policies.rules import all_rules


class Recorded(Protocol):
    """What ``offline.mocks.RecordedResource`` provides (kept structural to avoid importing offline)."""

    urn: str
    type: str
    name: str
    inputs: dict[str, Any]
    state: dict[str, Any]
    id: str
    protect: bool
    parent: str
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]


def res_from_recorded(r: Recorded) -> Res:
    state = r.state or {}
    values = (r.id, *(state.get(key) for key in IDENTIFIER_OUTPUTS))
    identifiers = tuple(dict.fromkeys(str(v) for v in values if isinstance(v, str) and v))
    return Res(
        type=r.type,
        name=r.name,
        urn=r.urn,
        props=plain(dict(r.inputs)),
        protect=bool(r.protect),
        parent=r.parent or None,
        dependencies=list(r.dependencies),
        property_dependencies={k: list(v) for k, v in r.property_dependencies.items()},
        identifiers=identifiers,
    )


@dataclass(frozen=True)
class Finding:
    """A violation with the enforcement it has for this stack."""

    violation: Violation
    enforcement: str

    @property
    def rule(self) -> Rule:
        return self.violation.rule

    def as_dict(self) -> dict[str, Any]:
        v = self.violation
        return {
            "pack": PACK_NAMES[v.rule.pack],
            "policy": v.rule.name,
            "enforcement": self.enforcement,
            "severity": v.rule.severity.value,
            "resourceType": v.res_type or None,
            "resourceName": v.res_name or None,
            "urn": v.urn or None,
            "message": v.message,
            "controlIds": v.rule.control_ids,
        }


@dataclass
class Report:
    stack: str
    resource_count: int
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    exempted: list[tuple[str, str, str]] = field(default_factory=list)
    #: Controls an unknown or opaque input left undecided (with the level they have here).
    #: At preview they are what the ``preview-unknown-*`` policies list; outside preview
    #: they are also in ``findings`` (failing closed through their own rule).
    undecided: list[Finding] = field(default_factory=list)

    @property
    def mandatory(self) -> list[Finding]:
        return [f for f in self.findings if f.enforcement == "mandatory"]

    @property
    def advisory(self) -> list[Finding]:
        return [f for f in self.findings if f.enforcement == "advisory"]

    @property
    def passed(self) -> bool:
        return not self.mandatory

    def summary(self) -> str:
        """One line for ``make plan``: counts and the verdict."""
        verdict = "PASS" if self.passed else "FAIL"
        return (
            f"policies {verdict}: {len(self.mandatory)} mandatory, {len(self.advisory)} advisory violation(s) "
            f"over {self.resource_count} resource(s) in stack {self.stack!r}"
            + (f"; {len(self.warnings)} warning(s)" if self.warnings else "")
        )

    def by_urn(self) -> dict[str, list[Finding]]:
        """Findings grouped by resource URN ('' for stack-wide findings), to print under a resource tree."""
        grouped: dict[str, list[Finding]] = {}
        for finding in self.findings:
            grouped.setdefault(finding.violation.urn, []).append(finding)
        return grouped


def evaluate(
    resources: Iterable[Res | Recorded],
    *,
    stack: str = "",
    config: PackConfig | None = None,
    warnings: Iterable[str] = (),
    rules: Iterable[Rule] | None = None,
    preview: bool = False,
) -> Report:
    """Run every resource rule on every resource and every stack rule on the whole set.

    ``preview``: the resources carry what the engine sends at preview; undecided controls
    are then listed by the ``preview-unknown-*`` policies instead of failing closed through
    their own rule, exactly as the packs do under ``PULUMI_DRY_RUN=true``.
    """
    config = config or PackConfig()
    views = [r if isinstance(r, Res) else res_from_recorded(r) for r in resources]
    report = Report(stack=stack, resource_count=len(views), warnings=list(warnings))
    whole = Stack(views, preview=preview)
    for rule in rules if rules is not None else all_rules():
        level = config.level(rule)
        if level == "disabled":
            continue
        settings = rule.settings(config.config_for(rule))
        found: list[Violation] = []
        if rule.is_stack:
            found = run_stack_rule(rule, whole, settings)
        else:
            for res in views:
                if res.type in rule.types:
                    exemption = settings.exempt(res)
                    if exemption is not None:
                        report.exempted.append((rule.name, res.urn, exemption.reason))
                    found += run_resource_rule(rule, res, settings)
        report.findings += [Finding(v, level) for v in found if not v.unknown or reports_undecided(preview)]
        report.undecided += [Finding(v, level) for v in found if v.unknown]
    return report
