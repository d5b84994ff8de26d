"""The notification events queue: SQS FIFO (one message group per recipient, deduplicated
by the poller's explicit id) with its FIFO dead-letter queue, both through the queue
construct. Children of the ``Notifications`` component."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from components.secure_queue import DEAD_LETTER_RETENTION_SECONDS, QueueSpec, secure_queue

if TYPE_CHECKING:
    from components.notifications import NotificationsArgs

#: SQS guidance for Lambda event sources: visibility timeout at least 6x the function timeout.
VISIBILITY_FACTOR = 6
#: The TLS statement's Sid on the events queues (deployed before the queue construct's own).
LEGACY_TLS_SID = "DenyWithoutTls"


@dataclass(frozen=True)
class EventQueues:
    queue: aws.sqs.Queue
    dead_letter_queue: aws.sqs.Queue


def event_queues(name: str, args: NotificationsArgs, parent: pulumi.Resource) -> EventQueues:
    ctx, settings = args.context, args.settings
    # The policies' names and TLS Sid are the ones deployed before the queue construct.
    dead_letter = secure_queue(
        QueueSpec(
            resource_name=f"{name}-events-dlq",
            queue_name=f"{ctx.prefix}-events-dlq.fifo",
            fifo=True,
            kms_key_arn=args.data_key_arn,
            retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
            policy_resource_name=f"{name}-events-dlq-tls",
            tls_sid=LEGACY_TLS_SID,
            tags=args.tags,
        ),
        parent,
    )
    events = secure_queue(
        QueueSpec(
            resource_name=f"{name}-events",
            queue_name=f"{ctx.prefix}-events.fifo",
            fifo=True,
            per_message_group=True,
            kms_key_arn=args.data_key_arn,
            retention_seconds=settings.message_retention_days * 24 * 3600,
            visibility_timeout_seconds=VISIBILITY_FACTOR * args.functions.notifier.timeout_seconds,
            dead_letter=dead_letter,
            max_receive_count=settings.max_receive_count,
            policy_resource_name=f"{name}-events-tls",
            tls_sid=LEGACY_TLS_SID,
            tags=args.tags,
        ),
        parent,
    )
    return EventQueues(events.queue, dead_letter.queue)
