"""The resource view rules read: plain props, unknown and secret markers, and the stack's joins.

Values are read through ``Res`` views whose props are plain Python data: the engine's
unknown sentinels become ``UNKNOWN`` and state-file secrets become ``SECRET``. A
security-critical value that is unknown (at preview) or opaque (a secret in a state file)
is never treated as compliant: ``Res.req`` raises ``UnknownInput`` and the rule records an
"unknown" (undecided) finding (who reports it: ``policies.phase``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

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

UNKNOWN_SENTINELS: Final = frozenset(
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


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN or value is SECRET


def plain(value: Any) -> Any:
    """Turn engine props (proxies, sentinels, secrets) into plain data with markers."""
    if isinstance(value, Mapping):
        target = proxy_target(value)
        if SECRET_SIG_KEY in target and target.get(SECRET_SIG_KEY) == SECRET_SIG:
            if "value" in target:
                return plain(target["value"])
            return SECRET
        return {str(k): plain(v) for k, v in target.items()}
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        target_seq = proxy_target(value)
        return [plain(v) for v in target_seq]
    return value


def proxy_target(value: Any) -> Any:
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
