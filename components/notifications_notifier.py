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

from components.notifications_flows import FlowRow, function_flows
from components.notifications_push import PUSH_DOC, PushPlatforms
from components.notifications_queue import EventQueues
from components.notifications_tables import NotificationTables
from components.python_function import PythonFunction, PythonFunctionArgs
from offline.flows.model import declare

if TYPE_CHECKING:
    from components.notifications import NotificationsArgs

#: Lambda developer guide, "Using Lambda with Amazon SQS": the event source mapping polls
#: the queue with the function's execution role.
SQS_EVENT_SOURCE_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html"
#: AppSync developer guide, "AWS_IAM authorization": a field-level appsync:GraphQL grant.
IAM_AUTH_DOC = "https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html#aws-iam-authorization"
#: Powertools for AWS Lambda (Python), idempotency: the IAM permissions its table needs.
IDEMPOTENCY_DOC = "https://docs.powertools.aws.dev/lambda/python/latest/utilities/idempotency/#iam-permissions"


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
            **args.functions.notifier.function_args(),
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
    rows: list[FlowRow] = [
        *(
            (action, queues.queue.arn, "the notifier's SQS event source", SQS_EVENT_SOURCE_DOC)
            for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
        ),
        (
            "appsync:GraphQL",
            publish_field,
            "publishNotification fans the notification out to subscribers",
            IAM_AUTH_DOC,
        ),
        *(
            (
                action,
                tables.idempotency.arn,
                "Powertools idempotency records (one notification per event)",
                IDEMPOTENCY_DOC,
            )
            for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
        ),
    ]
    if push.applications:
        endpoint = push.device_endpoint()
        rows += [
            *(
                (action, endpoint, "push to a device, prune dead endpoints", PUSH_DOC)
                for action in ("sns:Publish", "sns:GetEndpointAttributes", "sns:DeleteEndpoint")
            ),
            *(
                (action, tables.devices.arn, "a user's devices, pruning dead ones", PUSH_DOC)
                for action in ("dynamodb:Query", "dynamodb:DeleteItem")
            ),
        ]
    declare(*function_flows(role, "notifier", rows))
    return function
