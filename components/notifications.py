"""Realtime notifications: Neptune Streams -> poller -> SQS FIFO -> notifier -> AppSync + SNS push.

Builds the FIFO queue and its DLQ, the checkpoint/lease, device-registry and idempotency
tables, the SNS platform applications (only for the credentials that are configured),
the every-minute schedule, and the three functions (stream_poller in the VPC, notifier
and devices outside it), each with a policy that names only this stack's resources.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

# The handlers' own contracts (functions/ is on sys.path: see components/__init__.py).
from shared.environment import (
    DevicesEnvironment,
    NotifierEnvironment,
    PlatformApplications,
    StreamPollerEnvironment,
)

from components.context import DeploymentContext
from components.graph_database import GraphAccess
from components.python_function import LAYERS_ROOT, PythonFunction, PythonFunctionArgs, VpcPlacement
from components.validation import ArgsError, require_int_range, require_log_retention, require_non_empty
from offline.flows.model import Flow, declare

#: SQS guidance for Lambda event sources: visibility timeout at least 6x the function timeout.
VISIBILITY_FACTOR = 6


@dataclass(frozen=True, kw_only=True)
class ApnsSettings:
    """Token-based APNs (a .p8 signing key; the key itself is the secret ``apnsSigningKey``)."""

    key_id: str
    team_id: str
    bundle_id: str
    #: Use the APNs sandbox (development builds) instead of production.
    sandbox: bool = False

    def __post_init__(self) -> None:
        for name in ("key_id", "team_id"):
            value = getattr(self, name)
            if not (isinstance(value, str) and len(value) == 10 and value.isalnum()):
                raise ArgsError(name, f"must be Apple's 10-character identifier, got {value!r}")
        require_non_empty("bundle_id", self.bundle_id)


@dataclass(frozen=True, kw_only=True)
class NotificationsSettings:
    #: Receives of a message before it moves to the dead-letter queue.
    max_receive_count: int = 5
    #: Days the queue (and its DLQ, which keeps 14) retain a message.
    message_retention_days: int = 4
    poller_schedule: str = "rate(1 minute)"
    poller_timeout_seconds: int = 50
    stream_page_limit: int = 1000
    notifier_timeout_seconds: int = 30
    notifier_batch_size: int = 10
    #: Reserved concurrency of the notifier (caps fan-out against AppSync and SNS quotas).
    notifier_reserved_concurrency: int = 20
    #: Reserved concurrency of the device registry resolver.
    devices_reserved_concurrency: int = 20
    #: Hours a delivered event id is remembered (duplicates within it are dropped).
    idempotency_ttl_hours: int = 24
    deletion_protection: bool = True
    #: Pulumi ``protect`` on the tables.
    protect: bool = True
    log_retention_days: int = 365
    apns: ApnsSettings | None = None

    def __post_init__(self) -> None:
        require_int_range("max_receive_count", self.max_receive_count, 1, 1000)
        require_int_range("message_retention_days", self.message_retention_days, 1, 14)
        if not (self.poller_schedule.startswith("rate(") or self.poller_schedule.startswith("cron(")):
            raise ArgsError(
                "poller_schedule", f"must be a rate(...) or cron(...) expression, got {self.poller_schedule!r}"
            )
        require_int_range("poller_timeout_seconds", self.poller_timeout_seconds, 20, 840)
        require_int_range("stream_page_limit", self.stream_page_limit, 1, 100_000)
        require_int_range("notifier_timeout_seconds", self.notifier_timeout_seconds, 5, 150)
        require_int_range("notifier_batch_size", self.notifier_batch_size, 1, 10)
        require_int_range("notifier_reserved_concurrency", self.notifier_reserved_concurrency, 1, 1000)
        require_int_range("devices_reserved_concurrency", self.devices_reserved_concurrency, 1, 1000)
        require_int_range("idempotency_ttl_hours", self.idempotency_ttl_hours, 1, 720)
        require_log_retention("log_retention_days", self.log_retention_days)


@dataclass(frozen=True, kw_only=True)
class NotificationsArgs:
    context: DeploymentContext
    settings: NotificationsSettings
    #: The graph database's client contract (GraphDatabase.access): endpoints, port, IAM grant.
    graph: GraphAccess
    #: The AppSync API (for the IAM-only publish mutation).
    graphql_api_arn: pulumi.Input[str]
    graphql_url: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    lambda_security_group_id: pulumi.Input[str]
    data_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    #: Platform credentials from Secrets Manager's source values (Pulumi secrets); None: not configured.
    apns_signing_key: pulumi.Output[str] | None = None
    fcm_service_account: pulumi.Output[str] | None = None
    layers_root: Path = LAYERS_ROOT
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.apns_signing_key is None) != (self.settings.apns is None):
            raise ArgsError(
                "apns",
                "set both notifications.apns {keyId, teamId, bundleId} and the secret apnsSigningKey, or neither",
            )


class Notifications(pulumi.ComponentResource):
    queue: aws.sqs.Queue
    dead_letter_queue: aws.sqs.Queue
    checkpoint_table: aws.dynamodb.Table
    devices_table: aws.dynamodb.Table
    idempotency_table: aws.dynamodb.Table
    platform_applications: dict[str, aws.sns.PlatformApplication]
    poller: PythonFunction
    notifier: PythonFunction
    devices: PythonFunction

    def __init__(self, name: str, args: NotificationsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social-backend:notifications:Notifications", name, None, opts)
        ctx, settings = args.context, args.settings
        self._args = args
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        # -- queue ------------------------------------------------------------------
        self.dead_letter_queue = aws.sqs.Queue(
            f"{name}-events-dlq",
            name=f"{ctx.prefix}-events-dlq.fifo",
            fifo_queue=True,
            content_based_deduplication=False,
            kms_master_key_id=args.data_key_arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=14 * 24 * 3600,
            tags=tags,
            opts=child,
        )
        self.queue = aws.sqs.Queue(
            f"{name}-events",
            name=f"{ctx.prefix}-events.fifo",
            fifo_queue=True,
            # Deduplication by the explicit id from the stream position, never by content.
            content_based_deduplication=False,
            deduplication_scope="messageGroup",
            fifo_throughput_limit="perMessageGroupId",
            kms_master_key_id=args.data_key_arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=settings.message_retention_days * 24 * 3600,
            visibility_timeout_seconds=VISIBILITY_FACTOR * settings.notifier_timeout_seconds,
            redrive_policy=pulumi.Output.json_dumps(
                {"deadLetterTargetArn": self.dead_letter_queue.arn, "maxReceiveCount": settings.max_receive_count}
            ),
            tags=tags,
            opts=child,
        )
        aws.sqs.RedriveAllowPolicy(
            f"{name}-events-dlq-allow",
            queue_url=self.dead_letter_queue.url,
            redrive_allow_policy=pulumi.Output.json_dumps(
                {"redrivePermission": "byQueue", "sourceQueueArns": [self.queue.arn]}
            ),
            opts=child,
        )
        for role, queue in (("events", self.queue), ("events-dlq", self.dead_letter_queue)):
            aws.sqs.QueuePolicy(
                f"{name}-{role}-tls",
                queue_url=queue.url,
                policy=pulumi.Output.json_dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "DenyWithoutTls",
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "sqs:*",
                                "Resource": queue.arn,
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ],
                    }
                ),
                opts=child,
            )

        # -- tables -----------------------------------------------------------------
        self.checkpoint_table = self._table(name, "stream-checkpoint", [("id", "S")], hash_key="id")
        self.devices_table = self._table(
            name,
            "devices",
            [("userId", "S"), ("deviceId", "S"), ("tokenHash", "S")],
            hash_key="userId",
            range_key="deviceId",
            indexes=[
                aws.dynamodb.TableGlobalSecondaryIndexArgs(
                    name="byTokenHash",
                    # key_schemas, not the deprecated hash_key (pulumi-aws 7.x)
                    key_schemas=[
                        aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name="tokenHash", key_type="HASH")
                    ],
                    projection_type="KEYS_ONLY",
                )
            ],
        )
        self.idempotency_table = self._table(name, "notify-idempotency", [("id", "S")], hash_key="id", ttl="expiration")

        # -- platform applications (only for configured credentials) ----------------
        self.platform_applications = {}
        if args.apns_signing_key is not None and settings.apns is not None:
            apns = settings.apns
            platform = "APNS_SANDBOX" if apns.sandbox else "APNS"
            self.platform_applications[platform] = self._platform_application(
                name,
                "apns",
                platform,
                args.apns_signing_key,
                principal=apns.key_id,
                team_id=apns.team_id,
                bundle_id=apns.bundle_id,
            )
        if args.fcm_service_account is not None:
            self.platform_applications["FCM"] = self._platform_application(name, "fcm", "GCM", args.fcm_service_account)
        push = PlatformApplications.of({key: app.arn for key, app in self.platform_applications.items()})

        # -- functions --------------------------------------------------------------
        common = {
            "context": ctx,
            "logs_key_arn": args.logs_key_arn,
            "data_key_arn": args.data_key_arn,
            "log_retention_days": settings.log_retention_days,
            "layers_root": args.layers_root,
            "tags": tags,
        }
        neptune_resource = args.graph.data_arn
        self.poller = PythonFunction(
            f"{name}-stream-poller",
            PythonFunctionArgs(
                source="stream_poller",
                description="Reads Neptune Streams after the checkpoint and sends notification events to SQS FIFO",
                timeout_seconds=settings.poller_timeout_seconds,
                reserved_concurrency=1,  # one reader at a time (the lease is the second guard)
                dead_letter_queue=True,  # the schedule invokes it asynchronously
                vpc=VpcPlacement(subnet_ids=args.subnet_ids, security_group_ids=[args.lambda_security_group_id]),
                environment=StreamPollerEnvironment(
                    checkpoint_table=self.checkpoint_table.name,
                    queue_url=self.queue.url,
                    neptune=args.graph.environment,
                    page_limit=settings.stream_page_limit,
                ),
                statements=[
                    args.graph.stream_statement("ReadStream"),
                    args.graph.query_statement("LookUpUsersInTheGraph", ["neptune-db:ReadDataViaQuery"]),
                    {
                        "Sid": "LeaseAndCheckpoint",
                        "Effect": "Allow",
                        # UpdateItem only (poller/checkpoint.py): conditional for the lease and checkpoint, plain for
                        # parked poison records (``parked#…`` items); it never reads with GetItem.
                        "Action": ["dynamodb:UpdateItem"],
                        "Resource": [self.checkpoint_table.arn],
                    },
                    {
                        "Sid": "SendEvents",
                        "Effect": "Allow",
                        "Action": ["sqs:SendMessage"],
                        "Resource": [self.queue.arn],
                    },
                    {
                        "Sid": "EncryptEvents",
                        "Effect": "Allow",
                        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                        "Resource": [args.data_key_arn],
                    },
                ],
                **common,  # type: ignore[arg-type]
            ),
            opts=child,
        )
        endpoint_arns = [
            pulumi.Output.concat(ctx.arn("sns", "endpoint/"), platform_of(key), "/", app.name, "/*")
            for key, app in self.platform_applications.items()
        ]
        push_statements = (
            [
                {
                    "Sid": "PushAndPruneOwnEndpoints",
                    "Effect": "Allow",
                    "Action": ["sns:Publish", "sns:GetEndpointAttributes", "sns:DeleteEndpoint"],
                    "Resource": endpoint_arns,
                },
                {
                    "Sid": "ReadAndPruneDeviceRegistry",
                    "Effect": "Allow",
                    "Action": ["dynamodb:Query", "dynamodb:DeleteItem"],
                    "Resource": [self.devices_table.arn],
                },
            ]
            if self.platform_applications
            else []
        )
        self.notifier = PythonFunction(
            f"{name}-notifier",
            PythonFunctionArgs(
                source="notifier",
                description="Publishes notification events to AppSync subscribers and mobile devices",
                timeout_seconds=settings.notifier_timeout_seconds,
                reserved_concurrency=settings.notifier_reserved_concurrency,
                environment=NotifierEnvironment(
                    graphql_url=args.graphql_url,
                    graphql_region=ctx.region,  # the API is this stack's
                    devices_table=self.devices_table.name,
                    idempotency_table=self.idempotency_table.name,
                    idempotency_ttl_seconds=settings.idempotency_ttl_hours * 3600,
                    push=push,
                ),
                statements=[
                    {
                        "Sid": "PublishNotificationMutationOnly",
                        "Effect": "Allow",
                        "Action": ["appsync:GraphQL"],
                        "Resource": [
                            pulumi.Output.concat(args.graphql_api_arn, "/types/Mutation/fields/publishNotification")
                        ],
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
                        "Resource": [self.queue.arn],
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
                        "Resource": [self.idempotency_table.arn],
                    },
                    *push_statements,
                ],
                **common,  # type: ignore[arg-type]
            ),
            opts=child,
        )
        aws.lambda_.EventSourceMapping(
            f"{name}-notifier-events",
            event_source_arn=self.queue.arn,
            function_name=self.notifier.function.arn,
            batch_size=settings.notifier_batch_size,
            function_response_types=["ReportBatchItemFailures"],
            tags=tags,
            opts=child,
        )
        self.devices = PythonFunction(
            f"{name}-devices",
            PythonFunctionArgs(
                source="devices",
                description="registerDevice / unregisterDevice: SNS endpoints and the device registry",
                reserved_concurrency=settings.devices_reserved_concurrency,
                environment=DevicesEnvironment(devices_table=self.devices_table.name, push=push),
                statements=[
                    {
                        "Sid": "DeviceRegistry",
                        "Effect": "Allow",
                        "Action": ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
                        "Resource": [
                            self.devices_table.arn,
                            pulumi.Output.concat(self.devices_table.arn, "/index/byTokenHash"),
                        ],
                    },
                    # The table is encrypted with the data key: DynamoDB calls kms:Decrypt with the
                    # caller's identity ("How Amazon DynamoDB uses AWS KMS").
                    {
                        "Sid": "ReadDeviceTableKey",
                        "Effect": "Allow",
                        "Action": ["kms:Decrypt"],
                        "Resource": [args.data_key_arn],
                    },
                    *(
                        [
                            {
                                "Sid": "CreateEndpointsOnOwnApplications",
                                "Effect": "Allow",
                                "Action": ["sns:CreatePlatformEndpoint"],
                                "Resource": [app.arn for app in self.platform_applications.values()],
                            },
                            {
                                "Sid": "ManageOwnEndpoints",
                                "Effect": "Allow",
                                "Action": ["sns:SetEndpointAttributes", "sns:DeleteEndpoint"],
                                "Resource": endpoint_arns,
                            },
                        ]
                        if self.platform_applications
                        else []
                    ),
                ],
                **common,  # type: ignore[arg-type]
            ),
            opts=child,
        )

        # -- schedule ---------------------------------------------------------------
        # Scheduler assumes the execution role with aws:SourceArn = the schedule GROUP's ARN,
        # never the schedule's ("Confused deputy prevention in EventBridge Scheduler",
        # https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html:
        # "Do not scope the aws:SourceArn statement to a specific schedule ... The ARN you
        # specify must be a schedule group"). A group of the stack's own, not "default", so the
        # condition admits only this stack's schedules.
        schedule_name = f"{ctx.prefix}-stream-poller"
        group_name = f"{ctx.prefix}-schedules"
        self.schedule_group = aws.scheduler.ScheduleGroup(
            f"{name}-schedule-group", name=group_name, tags=tags, opts=child
        )
        group_arn = ctx.arn("scheduler", f"schedule-group/{group_name}")
        scheduler_role = aws.iam.Role(
            f"{name}-scheduler-role",
            description=f"EventBridge Scheduler invokes {self.poller.function_name}",
            assume_role_policy=json.dumps(
                ctx.trust_policy("scheduler.amazonaws.com", source_arn=group_arn, source_arn_test="StringEquals")
            ),
            tags=tags,
            opts=child,
        )
        scheduler_policy = aws.iam.Policy(
            f"{name}-scheduler-policy",
            description=f"Invoke {self.poller.function_name} only",
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "InvokePollerOnly",
                            "Effect": "Allow",
                            "Action": ["lambda:InvokeFunction"],
                            # From the function's fixed name: known at preview, decided there.
                            "Resource": [ctx.arn("lambda", f"function:{self.poller.function_name}")],
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
        self.schedule = aws.scheduler.Schedule(
            f"{name}-poller-schedule",
            name=schedule_name,
            group_name=self.schedule_group.name,
            description="Polls Neptune Streams",
            schedule_expression=settings.poller_schedule,
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            target=aws.scheduler.ScheduleTargetArgs(
                arn=self.poller.function.arn,
                role_arn=scheduler_role.arn,
                # A missed minute is picked up by the next one; never pile up retries.
                retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(maximum_retry_attempts=0),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
        )
        self._declare_flows(scheduler_role.arn, neptune_resource, endpoint_arns)
        self.register_outputs(
            {
                "queueUrl": self.queue.url,
                "deadLetterQueueUrl": self.dead_letter_queue.url,
                "devicesFunctionArn": self.devices.function.arn,
                "platformApplicationArns": {k: v.arn for k, v in self.platform_applications.items()},
            }
        )

    def _declare_flows(
        self,
        scheduler_role_arn: pulumi.Output[str],
        neptune_resource: pulumi.Output[str],
        endpoint_arns: list[pulumi.Output[str]],
    ) -> None:
        """The runtime flows of the notification path (offline/flows evaluates them)."""
        ctx = self._args.context
        # EventBridge Scheduler user guide, "Setting up the execution role": Scheduler assumes
        # the role with aws:SourceAccount and aws:SourceArn = the SCHEDULE GROUP's ARN
        # (https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role).
        scheduler_doc = (
            "https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role"
        )
        poller, notifier, devices = self.poller.role.arn, self.notifier.role.arn, self.devices.role.arn
        opencypher = {"neptune-db:QueryLanguage": "opencypher"}
        neptune_doc = "https://docs.aws.amazon.com/neptune/latest/userguide/iam-dp-actions.html"
        # Lambda developer guide, "Using Lambda with Amazon SQS": the event source mapping polls
        # the queue with the function's execution role.
        sqs_doc = "https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html"
        devices_index = pulumi.Output.concat(self.devices_table.arn, "/index/byTokenHash")
        flows = [
            Flow(
                caller="scheduler.amazonaws.com",
                action="sts:AssumeRole",
                resource=scheduler_role_arn,
                context={
                    "aws:SourceAccount": ctx.account_id,
                    "aws:SourceArn": pulumi.Output.concat(
                        ctx.arn("scheduler", "schedule-group/"), self.schedule_group.name
                    ),
                },
                purpose="every minute Scheduler assumes its role to start the stream poller",
                doc=scheduler_doc,
            ),
            Flow(
                caller=scheduler_role_arn,
                action="lambda:InvokeFunction",
                resource=self.poller.function.arn,
                purpose="the schedule's target: invoke the stream poller",
                doc=scheduler_doc,
            ),
            Flow(
                caller=poller,
                action="neptune-db:GetStreamRecords",
                resource=neptune_resource,
                purpose="read Neptune Streams after the checkpoint",
                doc=neptune_doc,
                function="stream_poller",
            ),
            Flow(
                caller=poller,
                action="neptune-db:ReadDataViaQuery",
                resource=neptune_resource,
                context=opencypher,
                purpose="look up the users an event concerns",
                doc=neptune_doc,
                function="stream_poller",
            ),
            Flow(
                caller=poller,
                action="dynamodb:UpdateItem",
                resource=self.checkpoint_table.arn,
                purpose="take the lease and move the checkpoint (conditional updates); park poison records (parked#…)",
                doc="https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html",
                function="stream_poller",
            ),
            Flow(
                caller=poller,
                action="sqs:SendMessage",
                resource=self.queue.arn,
                purpose="one FIFO message per notification event",
                doc="https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html",
                function="stream_poller",
            ),
            *(
                Flow(
                    caller=notifier,
                    action=action,
                    resource=self.queue.arn,
                    purpose="the notifier's SQS event source",
                    doc=sqs_doc,
                    function="notifier",
                )
                for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
            ),
            Flow(
                caller=notifier,
                action="appsync:GraphQL",
                resource=pulumi.Output.concat(self._args.graphql_api_arn, "/types/Mutation/fields/publishNotification"),
                purpose="publishNotification fans the notification out to subscribers",
                doc="https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html#aws-iam-authorization",
                function="notifier",
            ),
            *(
                Flow(
                    caller=notifier,
                    action=action,
                    resource=self.idempotency_table.arn,
                    purpose="Powertools idempotency records (one notification per event)",
                    doc="https://docs.powertools.aws.dev/lambda/python/latest/utilities/idempotency/#iam-permissions",
                    function="notifier",
                )
                for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
            ),
            *(
                Flow(
                    caller=devices,
                    action=action,
                    resource=resource,
                    purpose="registerDevice / unregisterDevice keep the device registry",
                    doc="https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/using-identity-based-policies.html",
                    function="devices",
                )
                for action, resource in (
                    ("dynamodb:Query", self.devices_table.arn),
                    ("dynamodb:Query", devices_index),
                    ("dynamodb:GetItem", self.devices_table.arn),
                    ("dynamodb:PutItem", self.devices_table.arn),
                    ("dynamodb:DeleteItem", self.devices_table.arn),
                )
            ),
        ]
        if self.platform_applications:
            endpoint = pulumi.Output.concat(endpoint_arns[0].apply(lambda arn: arn.removesuffix("/*")), "/device")
            push_doc = "https://docs.aws.amazon.com/sns/latest/dg/sns-mobile-application-as-subscriber.html"
            flows += [
                *(
                    Flow(
                        caller=notifier,
                        action=action,
                        resource=endpoint,
                        purpose="push to a device, prune dead endpoints",
                        doc=push_doc,
                        function="notifier",
                    )
                    for action in ("sns:Publish", "sns:GetEndpointAttributes", "sns:DeleteEndpoint")
                ),
                *(
                    Flow(
                        caller=notifier,
                        action=action,
                        resource=self.devices_table.arn,
                        purpose="a user's devices, pruning dead ones",
                        doc=push_doc,
                        function="notifier",
                    )
                    for action in ("dynamodb:Query", "dynamodb:DeleteItem")
                ),
                *(
                    Flow(
                        caller=devices,
                        action="sns:CreatePlatformEndpoint",
                        resource=app.arn,
                        purpose="register a device token",
                        doc=push_doc,
                        function="devices",
                    )
                    for app in self.platform_applications.values()
                ),
                *(
                    Flow(
                        caller=devices,
                        action=action,
                        resource=endpoint,
                        purpose="refresh or remove a device endpoint",
                        doc=push_doc,
                        function="devices",
                    )
                    for action in ("sns:SetEndpointAttributes", "sns:DeleteEndpoint")
                ),
            ]
        declare(*flows)

    def _table(
        self,
        name: str,
        role: str,
        attributes: Sequence[tuple[str, str]],
        *,
        hash_key: str,
        range_key: str | None = None,
        indexes: Sequence[aws.dynamodb.TableGlobalSecondaryIndexArgs] = (),
        ttl: str | None = None,
    ) -> aws.dynamodb.Table:
        args, settings = self._args, self._args.settings
        return aws.dynamodb.Table(
            f"{name}-{role}",
            name=f"{args.context.prefix}-{role}",
            billing_mode="PAY_PER_REQUEST",
            hash_key=hash_key,
            range_key=range_key,
            attributes=[aws.dynamodb.TableAttributeArgs(name=n, type=t) for n, t in attributes],
            global_secondary_indexes=list(indexes) or None,
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(
                enabled=True, kms_key_arn=args.data_key_arn
            ),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            deletion_protection_enabled=settings.deletion_protection,
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=ttl, enabled=True) if ttl else None,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=settings.protect),
        )

    def _platform_application(
        self,
        name: str,
        role: str,
        platform: str,
        credential: pulumi.Output[str],
        *,
        principal: str | None = None,
        team_id: str | None = None,
        bundle_id: str | None = None,
    ) -> aws.sns.PlatformApplication:
        # SNS needs the credential itself as an input; it stays a Pulumi secret (encrypted in
        # state, masked in output). Secrets Manager keeps the source of truth for rotation.
        return aws.sns.PlatformApplication(
            f"{name}-{role}",
            name=f"{self._args.context.prefix}-{role}",
            platform=platform,
            platform_credential=pulumi.Output.secret(credential),  # type: ignore[arg-type]
            platform_principal=principal,
            apple_platform_team_id=team_id,
            apple_platform_bundle_id=bundle_id,
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["platformCredential"]),
        )


def platform_of(key: str) -> str:
    """SNS's platform segment in an endpoint ARN for a platform-application key."""
    return "GCM" if key == "FCM" else key
