"""Hand-built policy arguments, shaped as the Pulumi engine hands them to a pack.

Props go through ``unknown_checking_proxy`` exactly as the analyzer wraps them, so a
value built with ``UNKNOWN`` behaves like an input that is unknown during preview.
Rules are run through their real ``pulumi_policy`` policy objects (``to_policy``).

Hand-built arguments are judged as the engine's preview judges them (``PULUMI_DRY_RUN=true``,
autouse fixture below) unless a test switches to the update phase with ``phase(False)``:
unknown inputs are only ever sent at preview.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policies.core import REGISTRY, Rule, to_policy
from policies.rules import all_rules

UNKNOWN = UNKNOWN_STRING_VALUE
UNKNOWN_BOOL = UNKNOWN_BOOLEAN_VALUE
DELETE = object()


@pytest.fixture(autouse=True)
def _engine_previews(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_DRY_RUN", "true")


@contextmanager
def phase(preview: bool) -> Iterator[None]:
    """Judge as the engine does at preview (True) or during ``pulumi up`` (False)."""
    before = os.environ.get("PULUMI_DRY_RUN")
    os.environ["PULUMI_DRY_RUN"] = "true" if preview else "false"
    try:
        yield
    finally:
        if before is None:
            del os.environ["PULUMI_DRY_RUN"]
        else:
            os.environ["PULUMI_DRY_RUN"] = before


def rule(name: str) -> Rule:
    for candidate in REGISTRY:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def opts(protect: bool = False, parent: str | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def urn_of(res_type: str, name: str, stack: str = "dev") -> str:
    return f"urn:pulumi:{stack}::proj::{res_type}::{name}"


def resource_args(
    res_type: str,
    props: Mapping[str, Any],
    *,
    name: str = "subject",
    config: Mapping[str, Any] | None = None,
    protect: bool = False,
) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        res_type,
        unknown_checking_proxy(copy.deepcopy(dict(props))),
        urn_of(res_type, name),
        name,
        opts(protect),
        None,
        dict(config) if config is not None else None,
    )


def validate_resource(
    policy_name: str,
    res_type: str,
    props: Mapping[str, Any],
    *,
    name: str = "subject",
    config: Mapping[str, Any] | None = None,
    protect: bool = False,
) -> list[str]:
    """Run one policy on one resource; returns the reported messages."""
    messages: list[str] = []

    def report(message: str, _urn: str | None = None) -> None:
        messages.append(message)

    policy = to_policy(rule(policy_name))
    assert isinstance(policy, ResourceValidationPolicy)
    policy.validate(resource_args(res_type, props, name=name, config=config, protect=protect), report)
    return messages


@dataclass
class R:
    """A resource for a stack test; ``deps`` maps a property to the names of resources feeding it."""

    type: str
    name: str
    props: dict[str, Any] = field(default_factory=dict)
    deps: dict[str, list[str]] = field(default_factory=dict)
    protect: bool = False
    parent: str | None = None
    #: Names of resources in ``depends_on`` (dependencies without a property).
    depends_on: list[str] = field(default_factory=list)

    @property
    def urn(self) -> str:
        return urn_of(self.type, self.name)


def stack_args(resources: list[R], config: Mapping[str, Any] | None = None) -> StackValidationArgs:
    by_name = {r.name: r for r in resources}
    built: dict[str, PolicyResource] = {}
    for r in resources:
        built[r.name] = PolicyResource(
            r.type,
            unknown_checking_proxy(copy.deepcopy(r.props)),
            r.urn,
            r.name,
            opts(r.protect),
            None,
            None,
            [],
            {},
        )
    for r in resources:
        target = built[r.name]
        for prop, names in r.deps.items():
            # Like the engine: dependencies on resources outside the set are dropped.
            target.property_dependencies[prop] = [built[n] for n in names if n in built]
            target.dependencies += [built[n] for n in names if n in built]
        target.dependencies += [built[n] for n in r.depends_on if n in built]
        if r.parent is not None:
            target.parent = built[by_name[r.parent].name]
    return StackValidationArgs(list(built.values()), dict(config) if config is not None else None)


@dataclass(frozen=True)
class Reported:
    message: str
    urn: str | None


def validate_stack(policy_name: str, resources: list[R], config: Mapping[str, Any] | None = None) -> list[Reported]:
    found: list[Reported] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(Reported(message, urn))

    policy = to_policy(rule(policy_name))
    assert isinstance(policy, StackValidationPolicy)
    policy.validate(stack_args(resources, config), report)
    return found


def with_path(props: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``props`` with ``a.b.0.c`` set to ``value`` (or removed with DELETE)."""
    result = copy.deepcopy(dict(props))
    set_path(result, path, value)
    return result


def set_path(props: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b.0.c`` of ``props`` in place to ``value`` (``DELETE`` removes it)."""
    parts = path.split(".")
    current: Any = props
    for part in parts[:-1]:
        key: Any = int(part) if isinstance(current, list) else part
        if isinstance(current, dict) and key not in current:
            current[key] = {}
        current = current[key]
    last: Any = int(parts[-1]) if isinstance(current, list) else parts[-1]
    if value is DELETE:
        if isinstance(current, dict):
            current.pop(last, None)
        else:
            del current[last]
    else:
        current[last] = value


def apply(props: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(props)
    for path, value in changes.items():
        result = with_path(result, path, value)
    return result


@dataclass(frozen=True)
class Case:
    """Table row for a resource policy: a compliant resource and ways to break it.

    ``bad``: override sets that must each be reported; ``missing``: paths whose absence must be
    reported; ``optional``: paths whose absence is fine; ``unknown``: paths that must fail
    closed when unknown at preview; ``config``: policy config used for every run.
    """

    policy: str
    type: str
    good: dict[str, Any]
    bad: tuple[dict[str, Any], ...] = ()
    missing: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    config: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return f"{self.policy}[{self.type.rsplit(':', 1)[-1]}]"


def check_case(case: Case) -> None:
    """Assert every property of a table row (shared by the per-service test modules)."""
    good = validate_resource(case.policy, case.type, case.good, config=case.config)
    assert good == [], f"compliant resource reported: {good}"
    for changes in case.bad:
        found = validate_resource(case.policy, case.type, apply(case.good, changes), config=case.config)
        assert found, f"violation not reported for {changes}"
    for path in case.missing:
        found = validate_resource(case.policy, case.type, with_path(case.good, path, DELETE), config=case.config)
        assert found, f"missing {path} not reported"
    for path in case.optional:
        found = validate_resource(case.policy, case.type, with_path(case.good, path, DELETE), config=case.config)
        assert found == [], f"absent {path} wrongly reported: {found}"
    for path in case.unknown:
        props = with_path(case.good, path, UNKNOWN)
        own = validate_resource(case.policy, case.type, props, config=case.config)
        assert not any("cannot be verified" in m for m in own), (
            "unknowns are reported by the preview policy, not the rule"
        )
        assert unknown_reported(case.policy, case.type, props), f"unknown {path} passed silently"
        with phase(False):  # outside preview an undecided control fails closed through its own rule
            own = validate_resource(case.policy, case.type, props, config=case.config)
            assert any("cannot be verified" in m for m in own), f"unknown {path} passed outside preview"
            assert not unknown_reported(case.policy, case.type, props), "the preview list is for previews only"
    other = validate_resource(case.policy, "aws:other/thing:Thing", case.good, config=case.config)
    assert other == [], "a policy judged a resource type it does not cover"


def unknown_reported(policy_name: str, res_type: str, props: Mapping[str, Any]) -> list[str]:
    """Messages the pack's preview-unknown policy reports for ``policy_name`` on one resource."""
    from policies.rules.preview import UNKNOWN_POLICY

    found = validate_stack(UNKNOWN_POLICY[rule(policy_name).pack], [R(res_type, "subject", dict(props))])
    return [f.message for f in found if f.message.startswith(f"{policy_name}: ") and "cannot be verified" in f.message]


@pytest.fixture(scope="session")
def resource_rule_names() -> set[str]:
    return {r.name for r in all_rules() if not r.is_stack}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The mutation suite's rate (only when tests/policies/test_mutations.py ran)."""
    from tests.policies.mutations import summary_lines

    for line in summary_lines():
        terminalreporter.write_line(line)
