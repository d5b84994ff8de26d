"""The runtime flows of one notification function, written as rows: what the function's
code calls (action, resource), why, and the AWS page that defines it."""

from __future__ import annotations

from collections.abc import Iterable

import pulumi

from offline.flows.model import Flow

#: (action, resource, purpose, doc)
FlowRow = tuple[str, pulumi.Input[str], str, str]


def function_flows(role: pulumi.Input[str], function: str, rows: Iterable[FlowRow]) -> list[Flow]:
    """The flows ``function``'s code makes with its execution role ``role``."""
    return [
        Flow(caller=role, action=action, resource=resource, purpose=purpose, doc=doc, function=function)
        for action, resource, purpose, doc in rows
    ]
