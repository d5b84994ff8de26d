"""The one SQS queue construct of the program: KMS-encrypted with the given key, a queue
policy that refuses every request without TLS, optional redrive into a dead-letter queue
(which then admits that source queue only), and a retention.

Used for the notification events queue and its DLQ, every function's dead-letter queue and
the alarm topics' delivery DLQs. Like ``secure_bucket`` and ``secure_topic``, it is not a
component of its own: the children are registered under the calling component, so their
names and URNs stay ``<component>-<role>...``.

AWS references:
- "Amazon SQS security best practices", "Enforce encryption of data in transit"
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-security-best-practices.html):
  only HTTPS requests, through a queue policy that denies ``aws:SecureTransport`` false.
- "Encryption at rest" (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html):
  SSE-KMS with a customer-managed key; the data key is reused for ``kms_data_key_reuse_period_seconds``.
- "Using dead-letter queues in Amazon SQS" and "Redrive allow policy"
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html):
  the source queue's ``redrivePolicy`` names the DLQ and ``maxReceiveCount``; the DLQ's
  ``redriveAllowPolicy`` ``byQueue`` names the source queues allowed to use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.validation import ArgsError, require_int_range

#: Seconds SQS reuses a data key before calling KMS again (the AWS default; fewer KMS calls).
DATA_KEY_REUSE_SECONDS = 300
#: What a dead-letter queue keeps: SQS's maximum, so a failure is inspected before it expires.
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
#: The Sid of the TLS-only statement.
TLS_SID = "DenyInsecureTransport"


@dataclass(frozen=True, kw_only=True)
class ServiceSender:
    """An AWS service that sends to the queue on behalf of one source resource (SNS moving
    a topic's undeliverable notifications): the queue policy allows exactly
    ``sqs:SendMessage`` from ``service_principal`` with ``aws:SourceArn`` = ``source_arn``.

    A function's execution role, by contrast, needs no queue-policy statement: Lambda sends
    to a function's dead-letter queue with the execution role's own permissions."""

    sid: str
    service_principal: str
    source_arn: pulumi.Input[str]


@dataclass(frozen=True)
class SecureQueue:
    """The queue and its policy (TLS-only, plus any service senders)."""

    resource_name: str
    queue: aws.sqs.Queue
    policy: aws.sqs.QueuePolicy
    fifo: bool

    @property
    def arn(self) -> pulumi.Output[str]:
        return self.queue.arn

    @property
    def url(self) -> pulumi.Output[str]:
        return self.queue.url


@dataclass(frozen=True, kw_only=True)
class QueueSpec:
    #: The queue's Pulumi resource name (its child names derive from it).
    resource_name: str
    #: The queue's AWS name (``.fifo`` for a FIFO queue).
    queue_name: str
    kms_key_arn: pulumi.Input[str]
    #: Seconds SQS keeps a message (60 to 1,209,600).
    retention_seconds: int
    fifo: bool = False
    #: FIFO high throughput: deduplication and throughput per message group.
    per_message_group: bool = False
    visibility_timeout_seconds: int | None = None
    #: Redrive into this queue after ``max_receive_count`` receives; the DLQ then admits
    #: only this source queue (its redrive allow policy).
    dead_letter: SecureQueue | None = None
    max_receive_count: int = 5
    senders: Sequence[ServiceSender] = ()
    #: Where the queue lives (pulumi-aws v7 per-resource ``region``); None: the stack's region.
    #: ``kms_key_arn`` must be a key of that region.
    region: str | None = None
    #: The policy's resource name and the TLS statement's Sid, for queues deployed before this
    #: construct (renaming them would replace the policy or rewrite it for nothing).
    policy_resource_name: str | None = None
    tls_sid: str = TLS_SID
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_int_range("retention_seconds", self.retention_seconds, 60, 1_209_600)
        if self.fifo != self.queue_name.endswith(".fifo"):
            raise ArgsError(
                "queue_name",
                f"ends with .fifo exactly when the queue is FIFO (fifo={self.fifo}), got {self.queue_name!r}",
            )
        if self.per_message_group and not self.fifo:
            raise ArgsError("per_message_group", "only a FIFO queue has message groups")
        if self.visibility_timeout_seconds is not None:
            require_int_range("visibility_timeout_seconds", self.visibility_timeout_seconds, 0, 43_200)
        if self.dead_letter is not None:
            require_int_range("max_receive_count", self.max_receive_count, 1, 1000)
            if self.dead_letter.fifo != self.fifo:
                raise ArgsError("dead_letter", "a queue and its dead-letter queue are both FIFO or both standard")


def secure_queue(spec: QueueSpec, parent: pulumi.Resource) -> SecureQueue:
    child = pulumi.ResourceOptions(parent=parent)
    queue = aws.sqs.Queue(
        spec.resource_name,
        name=spec.queue_name,
        region=spec.region,
        fifo_queue=spec.fifo or None,
        # FIFO: deduplication by the sender's explicit id, never by content.
        content_based_deduplication=False if spec.fifo else None,
        deduplication_scope="messageGroup" if spec.per_message_group else None,
        fifo_throughput_limit="perMessageGroupId" if spec.per_message_group else None,
        kms_master_key_id=spec.kms_key_arn,
        kms_data_key_reuse_period_seconds=DATA_KEY_REUSE_SECONDS,
        message_retention_seconds=spec.retention_seconds,
        visibility_timeout_seconds=spec.visibility_timeout_seconds,
        redrive_policy=(
            pulumi.Output.json_dumps(
                {"deadLetterTargetArn": spec.dead_letter.arn, "maxReceiveCount": spec.max_receive_count}
            )
            if spec.dead_letter is not None
            else None
        ),
        tags=dict(spec.tags),
        opts=child,
    )
    if spec.dead_letter is not None:
        aws.sqs.RedriveAllowPolicy(
            f"{spec.dead_letter.resource_name}-allow",
            queue_url=spec.dead_letter.url,
            region=spec.region,
            redrive_allow_policy=pulumi.Output.json_dumps(
                {"redrivePermission": "byQueue", "sourceQueueArns": [queue.arn]}
            ),
            opts=child,
        )
    policy = aws.sqs.QueuePolicy(
        spec.policy_resource_name or f"{spec.resource_name}-policy",
        # pulumi-aws sqs.Queue: ``url`` is "Same as id: The URL for the created Amazon SQS queue"
        # (the alarm DLQs passed ``id``; the value AWS gets is the same).
        queue_url=queue.url,
        region=spec.region,
        policy=pulumi.Output.json_dumps(
            {"Version": "2012-10-17", "Statement": queue_policy_statements(spec, queue.arn)}
        ),
        opts=child,
    )
    return SecureQueue(spec.resource_name, queue, policy, spec.fifo)


def queue_policy_statements(spec: QueueSpec, queue_arn: pulumi.Input[str]) -> list[dict[str, Any]]:
    """The service senders' Allow statements, then the TLS-only Deny (every action, everyone)."""
    return [
        *(
            {
                "Sid": sender.sid,
                "Effect": "Allow",
                "Principal": {"Service": sender.service_principal},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": sender.source_arn}},
            }
            for sender in spec.senders
        ),
        {
            "Sid": spec.tls_sid,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sqs:*",
            "Resource": queue_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ]
