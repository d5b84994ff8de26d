"""The rule builder: a policy's metadata plus its pure check, declared once and registered.

A rule is a plain function plus metadata (name, pack, severity, the control ids it
implements, remediation). Rule modules under ``policies.rules`` only declare rules (with
``resource_rule`` / ``stack_rule``); the packs' entry points assemble them, and the offline
checker calls the same functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, NotRequired, TypedDict, Unpack

from pulumi_policy import PolicyComplianceFramework, PolicyConfigSchema

from policies.settings import EXEMPTION_SCHEMA, Param, Settings, parse_settings
from policies.view import Res, Stack

SECURITY: Final = "security"
COMPLIANCE: Final = "compliance"
DEPLOYABILITY: Final = "deployability"
PACKS: Final = (SECURITY, COMPLIANCE, DEPLOYABILITY)


class Severity_(StrEnum):  # noqa: N801 - mirrors pulumi_policy.Severity for plain data
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


CheckResource = Callable[[Res, Settings], Iterable[str]]
StackFinding = tuple[Res | None, str]
CheckStack = Callable[[Stack, Settings], Iterable[StackFinding]]


@dataclass(frozen=True)
class Rule:
    """One policy: metadata plus a pure check (per resource or over the stack)."""

    name: str
    pack: str
    description: str
    severity: Severity_
    remediation: str
    category: str
    rows: tuple[int, ...]
    fsbp: tuple[str, ...] = ()
    cdk_nag: tuple[str, ...] = ()
    checkov: tuple[str, ...] = ()
    other: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    #: The AWS documentation page that defines the behaviour the rule checks (title, URL).
    doc_title: str = ""
    doc_url: str = ""
    types: tuple[str, ...] = ()
    check_resource: CheckResource | None = None
    check_stack: CheckStack | None = None

    @property
    def is_stack(self) -> bool:
        return self.check_stack is not None

    @property
    def control_ids(self) -> list[str]:
        ids = [f"FSBP {c}" for c in self.fsbp]
        ids += [c if ":" in c else f"AwsSolutions-{c}" for c in self.cdk_nag]
        ids += list(self.checkov)
        ids += list(self.other)
        ids += [f"docs/controls.md#c-{row}" for row in self.rows]
        return ids

    @property
    def tags(self) -> list[str]:
        tags = [f"category:{self.category}", f"pack:{self.pack}"]
        tags += [f"fsbp:{c}" for c in self.fsbp]
        tags += [f"cdk-nag:{c}" for c in self.cdk_nag]
        tags += [f"checkov:{c}" for c in self.checkov]
        tags += list(self.other)
        tags += [f"controls-row:{row}" for row in self.rows]
        return tags

    @property
    def framework(self) -> PolicyComplianceFramework:
        if self.fsbp:
            return PolicyComplianceFramework(
                name="AWS Foundational Security Best Practices",
                version="1.0.0",
                reference=", ".join(self.fsbp),
                specification="https://docs.aws.amazon.com/securityhub/latest/userguide/fsbp-standard.html",
            )
        if self.cdk_nag:
            return PolicyComplianceFramework(name="cdk-nag", reference=", ".join(self.cdk_nag))
        if self.checkov:
            return PolicyComplianceFramework(name="checkov", reference=", ".join(self.checkov))
        if not self.rows and self.doc_url:
            # No framework has these controls: the AWS page defining the behaviour is the reference.
            return PolicyComplianceFramework(
                name="AWS documentation", reference=self.doc_title, specification=self.doc_url
            )
        return PolicyComplianceFramework(
            name="mobile-backend controls",
            version="1",
            reference=", ".join(f"row {r}" for r in self.rows),
            specification="docs/controls.md",
        )

    def config_schema(self) -> PolicyConfigSchema:
        properties: dict[str, dict[str, Any]] = {"exemptions": EXEMPTION_SCHEMA}
        for param in self.params:
            properties[param.name] = {**param.schema, "description": param.description, "default": param.default}
        return PolicyConfigSchema(properties=properties)

    def settings(self, config: Mapping[str, Any] | None) -> Settings:
        """Parse this rule's config: parameters with defaults and validated exemptions."""
        return parse_settings(self.name, self.params, config)


# -- declaration helpers --------------------------------------------------------------

REGISTRY: list[Rule] = []


def _register(rule: Rule) -> Rule:
    if any(existing.name == rule.name for existing in REGISTRY):
        raise ValueError(f"duplicate policy name {rule.name}")
    if rule.pack not in PACKS:
        raise ValueError(f"{rule.name}: unknown pack {rule.pack}")
    REGISTRY.append(rule)
    return rule


class RuleMeta(TypedDict):
    """What every policy declares beside its name and check (see ``Rule``)."""

    pack: str
    description: str
    severity: str
    remediation: str
    category: str
    rows: Sequence[int]
    fsbp: NotRequired[Sequence[str]]
    cdk_nag: NotRequired[Sequence[str]]
    checkov: NotRequired[Sequence[str]]
    other: NotRequired[Sequence[str]]
    params: NotRequired[Sequence[Param]]
    doc_title: NotRequired[str]
    doc_url: NotRequired[str]


def _rule(name: str, meta: RuleMeta, **check: Any) -> Rule:
    return _register(
        Rule(
            name=name,
            pack=meta["pack"],
            description=meta["description"],
            severity=Severity_(meta["severity"]),
            remediation=meta["remediation"],
            category=meta["category"],
            rows=tuple(meta["rows"]),
            fsbp=tuple(meta.get("fsbp", ())),
            cdk_nag=tuple(meta.get("cdk_nag", ())),
            checkov=tuple(meta.get("checkov", ())),
            other=tuple(meta.get("other", ())),
            params=tuple(meta.get("params", ())),
            doc_title=meta.get("doc_title", ""),
            doc_url=meta.get("doc_url", ""),
            **check,
        )
    )


def resource_rule(name: str, *, types: Sequence[str], **meta: Unpack[RuleMeta]) -> Callable[[CheckResource], Rule]:
    """Declare a resource rule; the decorated function yields violation messages."""

    def wrap(check: CheckResource) -> Rule:
        return _rule(name, meta, types=tuple(types), check_resource=check)

    return wrap


def stack_rule(name: str, **meta: Unpack[RuleMeta]) -> Callable[[CheckStack], Rule]:
    """Declare a stack rule; the decorated function yields ``(resource | None, message)``."""

    def wrap(check: CheckStack) -> Rule:
        return _rule(name, meta, check_stack=check)

    return wrap
