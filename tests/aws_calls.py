"""Every AWS call the function tests make, recorded with a botocore event hook.

``install()`` appends a ``before-parameter-build`` handler to
``botocore.handlers.BUILTIN_HANDLERS`` (as moto does for its own hook), so every session and
client created afterwards reports each API call with its parameters. A call is kept only
when Lambda code (``functions/``) is on the stack — the tests' own arrangement (creating a
moto table, reading back a queue) is not a runtime flow. Each call is attributed to the
function under test (the ``functions/<name>/`` frame, or the test module for shared code)
and mapped to its IAM action and, through the environment variable the test set, to the
stack resource the function's environment names. ``uncovered()`` lists the calls no
declared flow of that function covers; the session fails on any.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline.flows.evaluate import Report
from offline.flows.model import ResolvedFlow

FUNCTIONS_ROOT = Path(__file__).resolve().parent.parent / "functions"

#: Parameters naming the resource a call acts on, and how the stack's ARN is built from the value.
_RESOURCE_PARAMS = {
    "TableName": "table",
    "Bucket": "bucket",
    "QueueUrl": "queue",
    "TargetArn": "arn",
    "EndpointArn": "arn",
}

_WRITE_CLAUSE = re.compile(r"\b(CREATE|MERGE|SET|REMOVE)\b", re.IGNORECASE)
_DELETE_CLAUSE = re.compile(r"\bDELETE\b", re.IGNORECASE)


@dataclass(frozen=True)
class Call:
    function: str
    service: str
    operation: str
    params: tuple[tuple[str, str], ...]
    #: param name -> the environment variable whose value the test passed (the function's own config)
    env: tuple[tuple[str, str], ...]

    @property
    def label(self) -> str:
        """The call without its per-request values (keys, ids), so each kind is listed once."""
        named = {k: v for k, v in self.params if k in ("TableName", "Bucket", "IndexName")}
        via = {k: f"${v}" for k, v in self.env}
        return f"{self.function}: {self.service}.{self.operation} {named | via}"


RECORDED: list[Call] = []


def _function_on_stack() -> str | None:
    """The function whose own code (``functions/<name>/``, not ``shared``) is making the call;
    None for the tests' arrangement, even when it goes through shared code (seeding a table)."""
    frame = sys._getframe(2)
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if FUNCTIONS_ROOT in path.parents:
            part = path.relative_to(FUNCTIONS_ROOT).parts[0]
            if part != "shared":
                return part
        frame = frame.f_back  # type: ignore[assignment]
    return None


def _record(params: dict[str, Any], model: Any, **_: Any) -> None:
    function = _function_on_stack()
    if function is None:
        return
    kept = {
        k: str(v)
        for k, v in params.items()
        if k in _RESOURCE_PARAMS or k in ("Key", "IndexName", "openCypherQuery", "CopySource")
    }
    operation = model.name
    presigned = _presigned_post_key()
    if presigned is not None:
        # botocore serialises a presigned POST through the CreateBucket model; what the
        # function grants is the PutObject the client makes with it, on the key it pins.
        operation, kept["Key"] = "PutObject", presigned
    env = {
        k: name for k, v in kept.items() for name, value in os.environ.items() if value == v and k in _RESOURCE_PARAMS
    }
    RECORDED.append(
        Call(
            function,
            model.service_model.service_name,
            operation,
            tuple(sorted(kept.items())),
            tuple(sorted(env.items())),
        )
    )


def _presigned_post_key() -> str | None:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name == "generate_presigned_post" and "botocore" in frame.f_code.co_filename:
            return str(frame.f_locals.get("Key", ""))
        frame = frame.f_back  # type: ignore[assignment]
    return None


#: Batch APIs are authorised by the single action (SQS developer guide, "Amazon SQS API permissions").
_BATCH_ACTIONS = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}


def install() -> None:
    import botocore.handlers

    handler = ("before-parameter-build", _record)
    if handler not in botocore.handlers.BUILTIN_HANDLERS:
        botocore.handlers.BUILTIN_HANDLERS.append(handler)


# -- mapping a call to its IAM action -------------------------------------------------------
def iam_actions(call: Call) -> list[str]:
    """The IAM actions AWS authorises ``call`` with (service authorization reference)."""
    params = dict(call.params)
    if call.service == "neptunedata":
        if call.operation == "GetPropertygraphStream":
            return ["neptune-db:GetStreamRecords"]
        if call.operation == "ExecuteOpenCypherQuery":
            query = params.get("openCypherQuery", "")
            actions = ["neptune-db:ReadDataViaQuery"]
            if _WRITE_CLAUSE.search(query):
                actions.append("neptune-db:WriteDataViaQuery")
            if _DELETE_CLAUSE.search(query):
                actions.append("neptune-db:DeleteDataViaQuery")
            return actions
    if call.service == "s3":
        if call.operation == "CopyObject":
            return ["s3:GetObject", "s3:PutObject"]
        if call.operation == "HeadObject":
            return ["s3:GetObject"]
    action = f"{call.service}:{call.operation}"
    return [_BATCH_ACTIONS.get(action, action)]


def _stack_value(report: Report, function: str, env_var: str) -> str | None:
    run = report.run
    for resource in run.by_type("aws:lambda/function:Function"):
        variables = ((resource.inputs.get("environment") or {}).get("variables")) or {}
        if variables.get("POWERTOOLS_SERVICE_NAME") == function:
            value = variables.get(env_var)
            return str(value) if value is not None else None
    return None


def covered(call: Call, report: Report) -> bool:
    flows = [f for f in report.declared if f.function == call.function]
    params, env = dict(call.params), dict(call.env)
    for action in iam_actions(call):
        candidates = [f for f in flows if f.action == action]
        if not any(_same_resource(call, action, f, params, env, report) for f in candidates):
            return False
    return True


def _same_resource(
    call: Call, action: str, flow: ResolvedFlow, params: dict[str, str], env: dict[str, str], report: Report
) -> bool:
    """The flow acts on the stack resource the call's environment variable names (when the
    stack's value is known); otherwise the action alone must match."""
    if "TableName" in env:
        table = _stack_value(report, call.function, env["TableName"])
        if table is None:
            return False
        suffix = f"/index/{params['IndexName']}" if "IndexName" in params else ""
        return flow.resource.endswith(f":table/{table}{suffix}")
    if "Bucket" in env:
        bucket = _stack_value(report, call.function, env["Bucket"])
        if bucket is None:
            return False
        key = params.get("Key", "")
        if call.operation == "CopyObject" and action == "s3:GetObject":
            source = re.search(r"'Key': '([^']*)'", params.get("CopySource", ""))
            key = source.group(1) if source else params.get("CopySource", "").split("/", 1)[-1]
        prefix = key.split("/", 1)[0]
        return flow.resource.startswith(f"arn:aws:s3:::{bucket}/{prefix}/")
    return True


def uncovered(reports: list[Report]) -> list[str]:
    """Calls no report's declared flows cover (a call needs one configuration that declares it)."""
    return sorted({call.label for call in RECORDED if not any(covered(call, report) for report in reports)})
