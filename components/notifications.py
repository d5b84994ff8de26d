"""Realtime notifications: Neptune Streams -> poller -> SQS FIFO -> notifier -> AppSync + SNS push.

``Notifications`` builds, in its own modules: the FIFO queue and its DLQ
(``notifications_queue``), the checkpoint/lease, device-registry and idempotency tables
(``notifications_tables``), the SNS platform applications, only for the credentials that
are configured (``notifications_push``), the stream poller in the VPC with its
every-minute schedule (``notifications_poller``), the notifier (``notifications_notifier``)
and the device registry (``notifications_devices``), each function with a policy that
names only this stack's resources. The poller's graph access is decided here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

# The handlers' own contracts (functions/ is on sys.path: see components/__init__.py).
from components.context import DeploymentContext
from components.graph_database import NEPTUNE_DATA_ACTIONS_DOC, STREAM_ACTION, GraphAccess
from components.notifications_devices import device_registry
from components.notifications_notifier import notifier
from components.notifications_poller import stream_poller
from components.notifications_push import platform_of, push_platforms
from components.notifications_queue import VISIBILITY_FACTOR, event_queues
from components.notifications_tables import notification_tables
from components.python_function import LAYERS_ROOT, FunctionsSettings, PythonFunction
from components.validation import ArgsError, require_int_range, require_non_empty
from offline.flows.model import Flow, declare

#: What ``components.notifications`` offers (``__main__.py`` and the tests import it from here).
__all__ = [
    "VISIBILITY_FACTOR",
    "ApnsSettings",
    "Notifications",
    "NotificationsArgs",
    "NotificationsSettings",
    "platform_of",
]


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
    stream_page_limit: int = 1000
    notifier_batch_size: int = 10
    #: Hours a delivered event id is remembered (duplicates within it are dropped).
    idempotency_ttl_hours: int = 24
    deletion_protection: bool = True
    #: Pulumi ``protect`` on the tables.
    protect: bool = True
    apns: ApnsSettings | None = None

    def __post_init__(self) -> None:
        require_int_range("max_receive_count", self.max_receive_count, 1, 1000)
        require_int_range("message_retention_days", self.message_retention_days, 1, 14)
        if not (self.poller_schedule.startswith("rate(") or self.poller_schedule.startswith("cron(")):
            raise ArgsError(
                "poller_schedule", f"must be a rate(...) or cron(...) expression, got {self.poller_schedule!r}"
            )
        require_int_range("stream_page_limit", self.stream_page_limit, 1, 100_000)
        require_int_range("notifier_batch_size", self.notifier_batch_size, 1, 10)
        require_int_range("idempotency_ttl_hours", self.idempotency_ttl_hours, 1, 720)


@dataclass(frozen=True, kw_only=True)
class NotificationsArgs:
    context: DeploymentContext
    settings: NotificationsSettings
    #: The graph database's client contract (GraphDatabase.access): endpoints, port, IAM grant.
    graph: GraphAccess
    #: Sizing of the poller, notifier and device registry (``<project>:functions``).
    functions: FunctionsSettings = field(default_factory=FunctionsSettings)
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
        # The stack-config loader refuses this pairing before any resource (a config error);
        # this is the component's own invariant for programs that build it without the loader.
        if (self.apns_signing_key is None) != (self.settings.apns is None):
            raise ArgsError(
                "apns",
                "set both notifications.apns {keyId, teamId, bundleId} and the secret apnsSigningKey, or neither",
            )

    def function_defaults(self) -> dict[str, Any]:
        """The ``PythonFunctionArgs`` fields the three functions share."""
        return {
            "context": self.context,
            "logs_key_arn": self.logs_key_arn,
            "data_key_arn": self.data_key_arn,
            "layers_root": self.layers_root,
            "tags": dict(self.tags),
        }


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
    schedule_group: aws.scheduler.ScheduleGroup
    schedule: aws.scheduler.Schedule

    def __init__(self, name: str, args: NotificationsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social-backend:notifications:Notifications", name, None, opts)
        queues = event_queues(name, args, self)
        self.queue, self.dead_letter_queue = queues.queue, queues.dead_letter_queue
        tables = notification_tables(name, args, self)
        self.checkpoint_table, self.devices_table, self.idempotency_table = (
            tables.checkpoint,
            tables.devices,
            tables.idempotency,
        )
        push = push_platforms(name, args, self)
        self.platform_applications = push.applications

        # -- the poller's graph access: the graph database's grant and environment ------
        poller = stream_poller(
            name,
            args,
            queues,
            tables,
            neptune=args.graph.environment,
            graph_statements=[
                args.graph.stream_statement("ReadStream"),
                args.graph.query_statement("LookUpUsersInTheGraph", ["neptune-db:ReadDataViaQuery"]),
            ],
            parent=self,
        )
        self.poller, self.schedule_group, self.schedule = poller.function, poller.schedule_group, poller.schedule
        self._declare_graph_flows(args.graph)

        self.notifier = notifier(name, args, queues, tables, push, self)
        self.devices = device_registry(name, args, tables, push, self)
        self.register_outputs(
            {
                "queueUrl": self.queue.url,
                "deadLetterQueueUrl": self.dead_letter_queue.url,
                "devicesFunctionArn": self.devices.function.arn,
                "platformApplicationArns": {k: v.arn for k, v in self.platform_applications.items()},
            }
        )

    def _declare_graph_flows(self, graph: GraphAccess) -> None:
        """The poller's runtime flows into Neptune (offline/flows evaluates them)."""
        poller = self.poller.role.arn
        declare(
            Flow(
                caller=poller,
                action=STREAM_ACTION,
                resource=graph.data_arn,
                purpose="read Neptune Streams after the checkpoint",
                doc=NEPTUNE_DATA_ACTIONS_DOC,
                function="stream_poller",
            ),
            *graph.query_flows(
                poller, "stream_poller", {"neptune-db:ReadDataViaQuery": "look up the users an event concerns"}
            ),
        )
