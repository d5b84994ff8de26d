"""The rule framework: pure predicates over resources, wrapped into Pulumi policies.

A rule is a plain function plus metadata (name, pack, severity, the control ids it
implements, remediation). Rule modules under ``policies.rules`` only declare rules; the
packs' entry points assemble them, and the offline checker calls the same functions.
Nothing here starts the policy analyzer.

Values are read through ``Res`` views whose props are plain Python data: the engine's
unknown sentinels become ``UNKNOWN`` and state-file secrets become ``SECRET``. A
security-critical value that is unknown (at preview) or opaque (a secret in a state file)
is never treated as compliant: ``Res.req`` raises ``UnknownInput`` and the rule records an
"unknown" (undecided) finding. Who reports it depends on the engine's phase, in one place
(``reports_undecided``):

- at preview (``at_preview()``: the engine sets ``PULUMI_DRY_RUN=true``), the rule's own
  policy stays silent and the pack's ``preview-unknown-*-inputs`` policy lists the control,
  the resource and the unknown input (docs/controls.md#c-160; advisory in every stack's config:
  ``pulumi up`` re-runs each resource policy on the real inputs before it creates the
  resource and stops on a mandatory violation, and the offline gate decides stack policies
  before both);
- outside preview every control is decided on real values; a control still undecided
  (an opaque secret, an input unknown during an update) fails closed through the rule's
  own policy, at the rule's own enforcement level.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, NotRequired, TypedDict, Unpack

from pulumi_policy import (
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)
from pulumi_policy.secret import Secret

SECURITY: Final = "security"
COMPLIANCE: Final = "compliance"
DEPLOYABILITY: Final = "deployability"
PACKS: Final = (SECURITY, COMPLIANCE, DEPLOYABILITY)

_UNKNOWN_SENTINELS: Final = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)
#: The engine's marker for a secret value inside serialized properties and state files.
SECRET_SIG_KEY: Final = "4dabf18193072939515e22adb298388d"  # noqa: S105 - engine marker, not a secret
SECRET_SIG: Final = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - engine marker, not a secret


class _Unknown:
    """A value the engine does not know yet (preview of a computed input)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:
        raise TypeError("an unknown value has no truth value; check is_unknown() first")


class _Secret:
    """An encrypted secret from a state file: present, but its value cannot be inspected."""

    _instance: _Secret | None = None

    def __new__(cls) -> _Secret:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<secret>"


UNKNOWN: Final = _Unknown()
SECRET: Final = _Secret()


def at_preview() -> bool:
    """Is the engine previewing (``pulumi preview``, or the preview step of ``pulumi up``)?

    The CLI starts a policy pack with ``PULUMI_DRY_RUN`` in its environment and
    pulumi_policy configures ``pulumi.runtime`` from it (``_configure_runtime_settings``,
    which also needs ``PULUMI_PROJECT``/``PULUMI_STACK``), so both are read: the variable
    itself when present, ``pulumi.runtime.is_dry_run()`` otherwise. (The engine started
    passing it to packs in pulumi/pulumi#3612 "PaC: Support Config/getProject/getStack/isDryRun";
    pulumi/pulumi#20565 tests it for Python packs. pulumi-policy 1.21 ignores the
    ``dry_run`` of ``ConfigureStack``.) Neither set means "not a preview": undecided controls
    then fail closed, the safe side.
    """
    flag = os.environ.get("PULUMI_DRY_RUN")
    if flag is not None:
        return flag.strip().lower() == "true"
    import pulumi.runtime

    return bool(pulumi.runtime.is_dry_run())


def reports_undecided(preview: bool) -> bool:
    """Does a rule's own policy report its undecided (unknown-input) findings in this phase?

    Not at preview (the pack's ``preview-unknown-*-inputs`` policy lists them, advisory);
    always outside preview, where an undecided control fails closed at the rule's level.
    """
    return not preview


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN or value is SECRET


def plain(value: Any) -> Any:
    """Turn engine props (proxies, sentinels, secrets) into plain data with markers."""
    if isinstance(value, Mapping):
        target = _proxy_target(value)
        if SECRET_SIG_KEY in target and target.get(SECRET_SIG_KEY) == SECRET_SIG:
            if "value" in target:
                return plain(target["value"])
            return SECRET
        return {str(k): plain(v) for k, v in target.items()}
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, str):
        return UNKNOWN if value in _UNKNOWN_SENTINELS else value
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        target_seq = _proxy_target(value)
        return [plain(v) for v in target_seq]
    return value


def _proxy_target(value: Any) -> Any:
    """The raw container behind pulumi_policy's unknown-checking proxies (no sentinel checks)."""
    try:
        return value["__target"]
    except (KeyError, TypeError, IndexError):
        return value


class UnknownInput(Exception):  # noqa: N818 - a signal, not an error condition
    """A security-critical input is unknown or opaque; the rule cannot pass."""

    def __init__(self, path: str, value: Any) -> None:
        kind = "an encrypted secret in the state" if value is SECRET else "unknown during preview"
        super().__init__(f"{path} is {kind}, so this control cannot be verified (fail closed)")
        self.path = path


#: Provider-assigned outputs that identify a resource inside ARNs and references.
IDENTIFIER_OUTPUTS: Final = (
    "id",
    "arn",
    "name",
    "bucket",
    "keyId",
    "clusterIdentifier",
    "clusterResourceId",
    "apiId",
    "identifier",
)


def lookup(data: Any, path: str) -> Any:
    """Walk ``a.b.0.c``; missing gives None, an unknown container gives UNKNOWN."""
    current = data
    for part in path.split("."):
        if is_unknown(current):
            return current
        if isinstance(current, Mapping):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit():
            index = int(part)
            current = current[index] if index < len(current) else None
        else:
            return None
        if current is None:
            return None
    return current


@dataclass
class Res:
    """One resource as a rule sees it: type, names, plain props and links."""

    type: str
    name: str
    urn: str
    props: dict[str, Any]
    protect: bool = False
    parent: str | None = None
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    #: Provider-assigned identifiers (id, ARN, physical name) when known, for joins by value.
    identifiers: tuple[str, ...] = ()
    #: The region of the resource's provider when the engine sends it (None: not known here).
    provider_region: str | None = None

    def get(self, path: str, default: Any = None) -> Any:
        value = lookup(self.props, path)
        return default if value is None else value

    def req(self, path: str, default: Any = None) -> Any:
        """Like ``get`` but an unknown or opaque value raises ``UnknownInput``."""
        value = self.get(path, default)
        if is_unknown(value):
            raise UnknownInput(path, value)
        return value

    def flag(self, path: str, default: bool = False) -> bool:
        """A boolean input, coerced the way the provider does (strings 'true'/'false')."""
        value = self.req(path)
        if value is None:
            return default
        if isinstance(value, str):
            return value.strip().lower() == "true"
        return bool(value)

    def number(self, path: str) -> float | None:
        value = self.req(path)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            return None

    def items(self, path: str) -> list[Any]:
        """A list input; None when absent. An unknown list raises ``UnknownInput``."""
        value = self.req(path)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        return [value]

    def deps_of(self, prop: str) -> list[str]:
        return list(self.property_dependencies.get(prop, []))

    def derived_from(self, prop: str, *types: str) -> bool:
        """Is ``prop`` unknown and built only from outputs of this stack's resources of ``types``?

        Property dependencies name the resources an input's value comes from (the URN
        carries the type), so at preview an unknown ``policyArn`` that depends only on a
        stack ``aws:iam/policy:Policy`` is that policy's ARN, not an AWS-managed one. A
        known value is never "derived": rules judge known values themselves.
        """
        deps = self.deps_of(prop)
        return bool(deps) and is_unknown(self.get(prop)) and all(urn_type(u) in types for u in deps)

    @property
    def label(self) -> str:
        return f"{self.type.rsplit(':', 1)[-1]} '{self.name}'"


def _string_leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _string_leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _string_leaves(item)


def urn_type(urn: str) -> str:
    """The type token inside a URN (``urn:pulumi:stack::project::[parent$]type::name``)."""
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


class Stack:
    """All resources of a stack, indexed for the joins stack rules make.

    ``preview``: the values are what the engine sends at preview (unknowns expected), see
    ``reports_undecided``.
    """

    def __init__(self, resources: Iterable[Res], *, preview: bool = False) -> None:
        self.resources = list(resources)
        self.by_urn = {r.urn: r for r in self.resources}
        self.preview = preview

    def of(self, *types: str) -> list[Res]:
        wanted = set(types)
        return [r for r in self.resources if r.type in wanted]

    def deps(self, res: Res, prop: str, *types: str) -> list[Res]:
        """Resources that feed ``res.<prop>`` (property dependencies), optionally by type."""
        found = [self.by_urn[u] for u in res.deps_of(prop) if u in self.by_urn]
        return [r for r in found if not types or r.type in types]

    def referrers(self, target: Res, prop: str, *types: str) -> list[Res]:
        """Resources of ``types`` whose ``prop`` points at ``target`` (see ``refers``)."""
        return [r for r in self.of(*types) if self.refers(r, prop, target)]

    def refers(self, res: Res, prop: str, target: Res, *target_values: str) -> bool:
        """Does ``res.<prop>`` point at ``target``?

        Through property dependencies first (works at preview); otherwise by comparing
        the known value with the target's identifiers (name, id, physical name fields).
        """
        if target.urn in res.deps_of(prop):
            return True
        value = res.get(prop)
        if value is None or is_unknown(value):
            return False
        values = list(_string_leaves(value))
        identifiers = {str(v) for v in (target.name, *target.identifiers, *target_values) if v}
        for key in ("id", "name", "arn", "bucket", "clusterIdentifier", "identifier", "keyId", "apiId"):
            ident = target.get(key)
            if isinstance(ident, str) and ident:
                identifiers.add(ident)
        return any(isinstance(v, str) and v in identifiers for v in values)

    def linked(self, res: Res, prop: str, *types: str) -> list[Res]:
        """Resources of ``types`` that ``res.<prop>`` points at (see ``refers``)."""
        return [t for t in self.of(*types) if self.refers(res, prop, t)]

    def reaches(self, res: Res, target: Res) -> bool:
        """Does the engine create ``target`` before ``res``?

        True when ``target`` is reachable through ``res``'s dependencies (``depends_on`` and
        inputs built from other resources' outputs) and property dependencies, transitively:
        the engine waits for every dependency before it creates a resource.
        """
        seen: set[str] = set()
        pending = [res.urn]
        while pending:
            current = self.by_urn.get(pending.pop())
            if current is None:
                continue
            for urn in [*current.dependencies, *(u for us in current.property_dependencies.values() for u in us)]:
                if urn == target.urn:
                    return True
                if urn not in seen:
                    seen.add(urn)
                    pending.append(urn)
        return False


class Severity_(StrEnum):  # noqa: N801 - mirrors pulumi_policy.Severity for plain data
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


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
        config = dict(config or {})
        values = {p.name: config.get(p.name, p.default) for p in self.params}
        exemptions: list[Exemption] = []
        errors: list[str] = []
        raw = config.get("exemptions") or []
        if not isinstance(raw, list):
            errors.append(f"policy '{self.name}': 'exemptions' must be a list")
            raw = []
        for index, entry in enumerate(raw, start=1):
            where = f"policy '{self.name}': exemption #{index}"
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
        for param in self.params:
            expected = param.schema.get("type")
            value = values[param.name]
            if expected in ("integer", "number") and (isinstance(value, bool) or not isinstance(value, int | float)):
                errors.append(f"policy '{self.name}': '{param.name}' must be a number, got {value!r}")
                values[param.name] = param.default
            elif expected in ("integer", "number") and value < param.schema.get("minimum", value):
                errors.append(f"policy '{self.name}': '{param.name}' must be >= {param.schema['minimum']}")
                values[param.name] = param.default
            elif expected == "array" and not isinstance(value, list):
                errors.append(f"policy '{self.name}': '{param.name}' must be a list")
                values[param.name] = param.default
        return Settings(values, tuple(exemptions), tuple(errors))


# -- evaluation -------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """One finding of one rule (``urn`` empty for a stack-wide finding)."""

    rule: Rule
    message: str
    urn: str = ""
    res_type: str = ""
    res_name: str = ""
    #: The rule could not decide because an input was unknown or opaque. At preview the
    #: pack's ``preview-unknown-*-inputs`` policy reports these (docs/controls.md#c-160); outside
    #: preview the rule's own policy does, failing closed (see ``reports_undecided``).
    unknown: bool = False


class UnknownMessage(str):
    """A stack-rule message saying an input was unknown (see ``Violation.unknown``)."""

    __slots__ = ()


def run_resource_rule(rule: Rule, res: Res, settings: Settings) -> list[Violation]:
    """Evaluate a resource rule on one resource, fail-closed on unknown inputs."""
    assert rule.check_resource is not None  # noqa: S101 - programming error, not input
    if res.type not in rule.types:
        return []
    found = [Violation(rule, error, res.urn, res.type, res.name) for error in settings.errors]
    if settings.exempt(res) is not None:
        return found
    try:
        for message in rule.check_resource(res, settings):
            found.append(Violation(rule, message, res.urn, res.type, res.name))
    except UnknownInput as unknown:
        found.append(Violation(rule, f"{res.label}: {unknown}", res.urn, res.type, res.name, unknown=True))
    return found


def run_stack_rule(rule: Rule, stack: Stack, settings: Settings) -> list[Violation]:
    """Evaluate a stack rule; findings on exempted resources are dropped."""
    assert rule.check_stack is not None  # noqa: S101 - programming error, not input
    found = [Violation(rule, error) for error in settings.errors]
    try:
        for res, message in rule.check_stack(stack, settings):
            if res is not None and settings.exempt(res) is not None:
                continue
            is_unknown_ = isinstance(message, UnknownMessage)
            if res is None:
                found.append(Violation(rule, str(message), unknown=is_unknown_))
            else:
                found.append(Violation(rule, str(message), res.urn, res.type, res.name, unknown=is_unknown_))
    except UnknownInput as unknown:
        found.append(Violation(rule, str(unknown), unknown=True))
    return found


def guarded(res: Res, check: Callable[[], Iterable[str]]) -> Iterator[StackFinding]:
    """Run a per-resource part of a stack rule; an unknown input becomes a finding on ``res``."""
    try:
        for message in check():
            yield res, message
    except UnknownInput as unknown:
        yield res, UnknownMessage(f"{res.label}: {unknown}")


# -- adapters to the Pulumi policy SDK ----------------------------------------------

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
    target = _proxy_target(props) if props is not None else None
    value = target.get("region") if isinstance(target, Mapping) else None
    return value if isinstance(value, str) and value and value not in _UNKNOWN_SENTINELS else None


def _known_identifiers(props: Any) -> tuple[str, ...]:
    """The id / ARN / name outputs the engine sends for existing resources (unknown for new ones)."""
    target = _proxy_target(props)
    found = []
    for key in IDENTIFIER_OUTPUTS:
        value = target.get(key) if isinstance(target, Mapping) else None
        if isinstance(value, str) and value and value not in _UNKNOWN_SENTINELS:
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
