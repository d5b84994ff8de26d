"""A runtime flow: who calls which IAM action on which resource, with what request context.

Components declare the flows their integrations perform with :func:`declare`, next to
the resource that creates the integration. Declaring is plain data: under ``pulumi up``
(or any run without :func:`collect`) it does nothing at all; under ``collect`` each flow's
inputs are resolved once and the flow is recorded for ``offline.flows.evaluate``.

A caller is either a role ARN (a function's execution role, a service's role) or a
service principal such as ``cloudfront.amazonaws.com``. ``context`` is the request context
AWS sends with the call (``aws:SourceArn``, ``aws:SourceAccount``, ``s3:x-amz-acl``...);
the evaluator adds what every call carries (``aws:SecureTransport``) and derives the KMS
calls a service makes for the caller on a CMK-encrypted store.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import pulumi

ContextValue = pulumi.Input[str] | Sequence[pulumi.Input[str]]


@dataclass(frozen=True, kw_only=True)
class Flow:
    """One interaction of the deployed system, declared where the integration is created."""

    #: A role ARN, or a service principal (``scheduler.amazonaws.com``).
    caller: pulumi.Input[str]
    action: str
    resource: pulumi.Input[str]
    #: What the flow is for, in the words of the feature it serves.
    purpose: str
    #: The AWS page that defines the principal and the request context.
    doc: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    #: The function whose code makes the call ("" for a service's own call).
    function: str = ""
    #: Why a sibling resource may be reached too (the "other resource" near miss is skipped).
    broad: str = ""
    #: The caller makes its own KMS call (declared as a flow of its own), so the store's
    #: service calls none for it (CloudTrail's SSE-KMS log files).
    kms_by_caller: bool = False


@dataclass(frozen=True)
class ResolvedFlow:
    """A flow with every input resolved to the stack's values."""

    caller: str
    action: str
    resource: str
    purpose: str
    doc: str
    context: dict[str, str | list[str]]
    function: str
    broad: str
    kms_by_caller: bool = False
    #: The KMS call a service makes for the caller ("" for a declared flow).
    derived_from: str = ""

    @property
    def is_service(self) -> bool:
        return not self.caller.startswith("arn:")

    @property
    def label(self) -> str:
        caller = self.caller.rsplit("/", 1)[-1] if not self.is_service else self.caller.split(".")[0]
        label = f"{caller} {self.action} {self.resource.split(':', 5)[-1]}"
        return f"{label} for {self.derived_from.split(':', 5)[-1]}" if self.derived_from else label


_collected: list[ResolvedFlow] | None = None


@contextmanager
def collect() -> Iterator[list[ResolvedFlow]]:
    """Record the flows declared while the block runs (a program run under the mocks)."""
    global _collected
    flows: list[ResolvedFlow] = []
    previous, _collected = _collected, flows
    try:
        yield flows
    finally:
        _collected = previous


def declare(*flows: Flow) -> None:
    """Declare runtime flows; a no-op unless a ``collect`` block is recording."""
    sink = _collected
    if sink is None:
        return
    for flow in flows:
        resolved = pulumi.Output.all(
            pulumi.Output.from_input(flow.caller),
            pulumi.Output.from_input(flow.resource),
            pulumi.Output.from_input(dict(flow.context)),
        )
        resolved.apply(functools.partial(_record, sink, flow))


def _record(sink: list[ResolvedFlow], flow: Flow, values: list[object]) -> None:
    sink.append(_resolved(flow, values))


def _resolved(flow: Flow, values: list[object]) -> ResolvedFlow:
    caller, resource, context = values
    assert isinstance(caller, str) and isinstance(resource, str) and isinstance(context, dict)  # noqa: S101
    return ResolvedFlow(
        caller=caller,
        action=flow.action,
        resource=resource,
        purpose=flow.purpose,
        doc=flow.doc,
        context={
            str(key): value if isinstance(value, str) else [str(v) for v in value] for key, value in context.items()
        },
        function=flow.function,
        broad=flow.broad,
        kms_by_caller=flow.kms_by_caller,
    )
