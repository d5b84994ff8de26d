"""The notifier: consumes the events queue (an SQS event source, partial batch failures)
and publishes each notification to AppSync subscribers (the IAM-only publish mutation)
and, when push is configured, to the recipient's devices; Powertools idempotency drops
duplicates. Children of the ``Notifications`` component."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

# The handlers' own contracts (functions/ is on sys.path: see components/__init__.py).
from shared.environment import NotifierEnvironment

from components.notifications_push import PUSH_DOC, PushPlatforms
from components.notifications_queue import EventQueues
from components.notifications_tables import NotificationTables
from components.python_function import PythonFunction, PythonFunctionArgs
from offline.flows.model import Flow, declare

if TYPE_CHECKING:
    from components.notifications import NotificationsArgs

#: Lambda developer guide, "Using Lambda with Amazon SQS": the event source mapping polls
#: the queue with the function's execution role.
SQS_EVENT_SOURCE_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html"


def notifier(
    name: str,
    args: NotificationsArgs,
    queues: EventQueues,
    tables: NotificationTables,
    push: PushPlatforms,
    parent: pulumi.Resource,
) -> PythonFunction:
    ctx, settings = args.context, args.settings
    child = pulumi.ResourceOptions(parent=parent)
    publish_field = pulumi.Output.concat(args.graphql_api_arn, "/types/Mutation/fields/publishNotification")
    function = PythonFunction(
        f"{name}-notifier",
        PythonFunctionArgs(
            source="notifier",
            description="Publishes notification events to AppSync subscribers and mobile devices",
            timeout_seconds=settings.notifier_timeout_seconds,
            reserved_concurrency=settings.notifier_reserved_concurrency,
            environment=NotifierEnvironment(
                graphql_url=args.graphql_url,
                graphql_region=ctx.region,  # the API is this stack's
                devices_table=tables.devices.name,
                idempotency_table=tables.idempotency.name,
                idempotency_ttl_seconds=settings.idempotency_ttl_hours * 3600,
                push=push.environment(),
            ),
            statements=[
                {
                    "Sid": "PublishNotificationMutationOnly",
                    "Effect": "Allow",
                    "Action": ["appsync:GraphQL"],
                    "Resource": [publish_field],
                },
                {
                    "Sid": "ConsumeEvents",
                    "Effect": "Allow",
                    "Action": [
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes",
                    ],
                    "Resource": [queues.queue.arn],
                },
                {
                    "Sid": "DecryptEvents",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt"],
                    "Resource": [args.data_key_arn],
                },
                {
                    "Sid": "IdempotencyRecords",
                    "Effect": "Allow",
                    "Action": [
                        "dynamodb:GetItem",
                        "dynamodb:PutItem",
                        "dynamodb:UpdateItem",
                        "dynamodb:DeleteItem",
                    ],
                    "Resource": [tables.idempotency.arn],
                },
                *push.notifier_statements(tables.devices.arn),
            ],
            **args.function_defaults(),
        ),
        opts=child,
    )
    aws.lambda_.EventSourceMapping(
        f"{name}-notifier-events",
        event_source_arn=queues.queue.arn,
        function_name=function.function.arn,
        batch_size=settings.notifier_batch_size,
        function_response_types=["ReportBatchItemFailures"],
        tags=dict(args.tags),
        opts=child,
    )
    role = function.role.arn
    flows = [
        *(
            Flow(
                caller=role,
                action=action,
                resource=queues.queue.arn,
                purpose="the notifier's SQS event source",
                doc=SQS_EVENT_SOURCE_DOC,
                function="notifier",
            )
            for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
        ),
        Flow(
            caller=role,
            action="appsync:GraphQL",
            resource=publish_field,
            purpose="publishNotification fans the notification out to subscribers",
            doc="https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html#aws-iam-authorization",
            function="notifier",
        ),
        *(
            Flow(
                caller=role,
                action=action,
                resource=tables.idempotency.arn,
                purpose="Powertools idempotency records (one notification per event)",
                doc="https://docs.powertools.aws.dev/lambda/python/latest/utilities/idempotency/#iam-permissions",
                function="notifier",
            )
            for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
        ),
    ]
    if push.applications:
        endpoint = push.device_endpoint()
        flows += [
            *(
                Flow(
                    caller=role,
                    action=action,
                    resource=endpoint,
                    purpose="push to a device, prune dead endpoints",
                    doc=PUSH_DOC,
                    function="notifier",
                )
                for action in ("sns:Publish", "sns:GetEndpointAttributes", "sns:DeleteEndpoint")
            ),
            *(
                Flow(
                    caller=role,
                    action=action,
                    resource=tables.devices.arn,
                    purpose="a user's devices, pruning dead ones",
                    doc=PUSH_DOC,
                    function="notifier",
                )
                for action in ("dynamodb:Query", "dynamodb:DeleteItem")
            ),
        ]
    declare(*flows)
    return function
