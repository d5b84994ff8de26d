"""Running one rule: its findings, failing closed on an unknown or opaque input."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from policies.builder import Rule, StackFinding
from policies.settings import Settings
from policies.view import Res, Stack, UnknownInput


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
