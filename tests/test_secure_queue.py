"""Every SQS queue of both stacks is encrypted with a stack key and refuses requests without
TLS; the construct's own rules (FIFO names, redrive pairs) fail with the field named."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.secure_queue import QueueSpec, SecureQueue
from components.validation import ArgsError
from offline.mocks import RecordedResource
from offline.runner import ProgramRun

QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
KEY = "aws:kms/key:Key"


def _policies_of(run: ProgramRun, queue: RecordedResource) -> list[dict[str, Any]]:
    # A queue policy names its queue by URL (an SQS queue's id is its URL).
    return [
        json.loads(policy.inputs["policy"])
        for policy in run.by_type(QUEUE_POLICY)
        if policy.inputs["queueUrl"] == queue.state["url"]
    ]


def _is_tls_only(statement: dict[str, Any], queue_arn: str) -> bool:
    return (
        statement["Effect"] == "Deny"
        and statement["Principal"] == "*"
        and statement["Action"] in ("sqs:*", ["sqs:*"])
        and statement["Resource"] in (queue_arn, [queue_arn])
        and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    )


def test_every_queue_refuses_requests_without_tls(run: ProgramRun) -> None:
    """SQS accepts plain-HTTP requests unless the queue policy denies them ("Amazon SQS
    security best practices": enforce encryption of data in transit), function DLQs too:
    a failed event holds the same user data as the event itself."""
    queues = run.by_type(QUEUE)
    assert queues, "the stack has queues"
    for queue in queues:
        policies = _policies_of(run, queue)
        assert len(policies) == 1, f"{queue.name}: exactly one queue policy (SQS keeps one), found {len(policies)}"
        statements = policies[0]["Statement"]
        assert any(_is_tls_only(s, queue.state["arn"]) for s in statements), f"{queue.name} accepts plain HTTP"


def test_every_queue_is_encrypted_with_a_stack_key_of_its_region(run: ProgramRun) -> None:
    """SSE-KMS with a customer-managed key of the stack (not SQS-managed SSE), and of the
    queue's region: SQS can only use a key in the queue's own region."""
    keys = {key.state["arn"]: key for key in run.by_type(KEY)}
    for queue in run.by_type(QUEUE):
        key = keys.get(queue.inputs.get("kmsMasterKeyId", ""))
        assert key is not None, f"{queue.name} is not encrypted with a key of this stack"
        assert key.inputs.get("region") == queue.inputs.get("region"), f"{queue.name}: key of another region"


def test_function_dead_letter_queues_admit_the_execution_role_without_a_queue_grant(run: ProgramRun) -> None:
    """Lambda sends to a function's DLQ with the execution role (its identity policy grants
    sqs:SendMessage), so the DLQ's policy grants nobody anything: it only denies plain HTTP."""
    function_dlqs = [q for q in run.by_type(QUEUE) if ":function:PythonFunction::" in q.parent]
    assert function_dlqs, "some functions are invoked asynchronously and have a DLQ"
    for queue in function_dlqs:
        (policy,) = _policies_of(run, queue)
        assert [s["Effect"] for s in policy["Statement"]] == ["Deny"], queue.name


def _dead_letter(fifo: bool) -> SecureQueue:
    # Only its kind is read by the spec's validation.
    return SecureQueue("dlq", None, None, fifo)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"queue_name": "events"}, "queue_name"),  # FIFO without .fifo
        ({"fifo": False}, "queue_name"),  # .fifo on a standard queue
        ({"retention_seconds": 30}, "retention_seconds"),
        ({"dead_letter": _dead_letter(fifo=False)}, "dead_letter"),
        ({"dead_letter": _dead_letter(fifo=True), "max_receive_count": 0}, "max_receive_count"),
        ({"fifo": False, "queue_name": "events", "per_message_group": True}, "per_message_group"),
    ],
)
def test_queue_spec_refuses_what_sqs_would_reject(changes: dict[str, Any], field: str) -> None:
    spec: dict[str, Any] = {
        "resource_name": "events",
        "queue_name": "events.fifo",
        "kms_key_arn": pulumi.Output.from_input("arn:aws:kms:eu-west-1:123456789012:key/k"),
        "retention_seconds": 3600,
        "fifo": True,
        **changes,
    }
    with pytest.raises(ArgsError) as raised:
        QueueSpec(**spec)
    assert raised.value.field == field
