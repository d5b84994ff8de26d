"""The stream poller: a VPC function that reads Neptune Streams after its checkpoint and
sends one FIFO message per notification event, started every minute by EventBridge
Scheduler (a schedule group of the stack's own, a role only that group may assume).
Children of the ``Notifications`` component; the poller's graph access (statement,
environment, flows) is the graph client contract ``Notifications`` passes in."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

# The handlers' own contracts (functions/ is on sys.path: see components/__init__.py).
from shared.environment import NeptuneSettings, StreamPollerEnvironment

from components.notifications_flows import function_flows
from components.notifications_queue import EventQueues
from components.notifications_tables import NotificationTables
from components.python_function import PythonFunction, PythonFunctionArgs, VpcPlacement
from offline.flows.model import Flow, declare

if TYPE_CHECKING:
    from components.notifications import NotificationsArgs

#: EventBridge Scheduler user guide, "Setting up the execution role": Scheduler assumes the
#: role with aws:SourceAccount and aws:SourceArn = the SCHEDULE GROUP's ARN.
SCHEDULER_DOC = "https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role"


@dataclass(frozen=True)
class StreamPoller:
    function: PythonFunction
    schedule_group: aws.scheduler.ScheduleGroup
    schedule: aws.scheduler.Schedule


def stream_poller(
    name: str,
    args: NotificationsArgs,
    queues: EventQueues,
    tables: NotificationTables,
    *,
    neptune: NeptuneSettings[pulumi.Input[str]],
    graph_statements: Sequence[Mapping[str, Any]],
    parent: pulumi.Resource,
) -> StreamPoller:
    ctx, settings = args.context, args.settings
    child = pulumi.ResourceOptions(parent=parent)
    poller = PythonFunction(
        f"{name}-stream-poller",
        PythonFunctionArgs(
            source="stream_poller",
            description="Reads Neptune Streams after the checkpoint and sends notification events to SQS FIFO",
            dead_letter_queue=True,  # the schedule invokes it asynchronously
            vpc=VpcPlacement(subnet_ids=args.subnet_ids, security_group_ids=[args.lambda_security_group_id]),
            environment=StreamPollerEnvironment(
                checkpoint_table=tables.checkpoint.name,
                queue_url=queues.queue.url,
                neptune=neptune,
                page_limit=settings.stream_page_limit,
            ),
            statements=[
                *graph_statements,
                {
                    "Sid": "LeaseAndCheckpoint",
                    "Effect": "Allow",
                    # UpdateItem only (poller/checkpoint.py): conditional for the lease and checkpoint, plain for
                    # parked poison records (``parked#…`` items); it never reads with GetItem.
                    "Action": ["dynamodb:UpdateItem"],
                    "Resource": [tables.checkpoint.arn],
                },
                {
                    "Sid": "SendEvents",
                    "Effect": "Allow",
                    "Action": ["sqs:SendMessage"],
                    "Resource": [queues.queue.arn],
                },
                {
                    "Sid": "EncryptEvents",
                    "Effect": "Allow",
                    "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                    "Resource": [args.data_key_arn],
                },
            ],
            **args.functions.stream_poller.function_args(),
            **args.function_defaults(),
        ),
        opts=child,
    )

    # Scheduler assumes the execution role with aws:SourceArn = the schedule GROUP's ARN,
    # never the schedule's ("Confused deputy prevention in EventBridge Scheduler",
    # https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html:
    # "Do not scope the aws:SourceArn statement to a specific schedule ... The ARN you
    # specify must be a schedule group"). A group of the stack's own, not "default", so the
    # condition admits only this stack's schedules.
    schedule_name = f"{ctx.prefix}-stream-poller"
    group_name = f"{ctx.prefix}-schedules"
    tags = dict(args.tags)
    schedule_group = aws.scheduler.ScheduleGroup(f"{name}-schedule-group", name=group_name, tags=tags, opts=child)
    group_arn = ctx.arn("scheduler", f"schedule-group/{group_name}")
    scheduler_role = aws.iam.Role(
        f"{name}-scheduler-role",
        description=f"EventBridge Scheduler invokes {poller.function_name}",
        assume_role_policy=json.dumps(
            ctx.trust_policy("scheduler.amazonaws.com", source_arn=group_arn, source_arn_test="StringEquals")
        ),
        tags=tags,
        opts=child,
    )
    scheduler_policy = aws.iam.Policy(
        f"{name}-scheduler-policy",
        description=f"Invoke {poller.function_name} only",
        policy=pulumi.Output.json_dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "InvokePollerOnly",
                        "Effect": "Allow",
                        "Action": ["lambda:InvokeFunction"],
                        # From the function's fixed name: known at preview, decided there.
                        "Resource": [ctx.arn("lambda", f"function:{poller.function_name}")],
                    }
                ],
            }
        ),
        tags=tags,
        opts=child,
    )
    attachment = aws.iam.RolePolicyAttachment(
        f"{name}-scheduler-policy-attach", role=scheduler_role.name, policy_arn=scheduler_policy.arn, opts=child
    )
    schedule = aws.scheduler.Schedule(
        f"{name}-poller-schedule",
        name=schedule_name,
        group_name=schedule_group.name,
        description="Polls Neptune Streams",
        schedule_expression=settings.poller_schedule,
        flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
        target=aws.scheduler.ScheduleTargetArgs(
            arn=poller.function.arn,
            role_arn=scheduler_role.arn,
            # A missed minute is picked up by the next one; never pile up retries.
            retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(maximum_retry_attempts=0),
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[attachment]),
    )
    declare(
        Flow(
            caller="scheduler.amazonaws.com",
            action="sts:AssumeRole",
            resource=scheduler_role.arn,
            context={
                "aws:SourceAccount": ctx.account_id,
                "aws:SourceArn": pulumi.Output.concat(ctx.arn("scheduler", "schedule-group/"), schedule_group.name),
            },
            purpose="every minute Scheduler assumes its role to start the stream poller",
            doc=SCHEDULER_DOC,
        ),
        Flow(
            caller=scheduler_role.arn,
            action="lambda:InvokeFunction",
            resource=poller.function.arn,
            purpose="the schedule's target: invoke the stream poller",
            doc=SCHEDULER_DOC,
        ),
        *function_flows(
            poller.role.arn,
            "stream_poller",
            [
                (
                    "dynamodb:UpdateItem",
                    tables.checkpoint.arn,
                    "take the lease and move the checkpoint (conditional updates); park poison records (parked#…)",
                    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html",
                ),
                (
                    "sqs:SendMessage",
                    queues.queue.arn,
                    "one FIFO message per notification event",
                    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html",
                ),
            ],
        ),
    )
    return StreamPoller(poller, schedule_group, schedule)
