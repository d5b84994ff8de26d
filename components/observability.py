"""Alarms on every critical signal of the stack, routed to a KMS-encrypted SNS topic,
the CIS metric filters on the trail's log group, and a dashboard.

Callers pass the components to watch (``ObservabilityArgs``): the graph database, the
functions, the notification path, the APIs and the web firewalls; Observability reads
what it watches from their public attributes (a function's dead-letter queue, the
notification queues, the cluster's instances...) and gives each kind its default alarms
with thresholds from config. The test suite fails for any function, API, stage, queue or
cluster that no alarm covers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from components.context import DeploymentContext
from components.keys import KeySpec, alarms_through_sns_statement, customer_key, logs_statement, sns_topics_statement
from components.secure_queue import DEAD_LETTER_RETENTION_SECONDS, QueueSpec, ServiceSender, secure_queue
from components.secure_topic import TopicSpec, secure_topic
from components.validation import ArgsError, require_choice, require_int_range, require_log_retention
from offline.flows.model import Flow, declare

if TYPE_CHECKING:  # the watched components; none of their modules imports this one
    from components.audit_trail import AuditTrail
    from components.graph_database import GraphDatabase
    from components.graphql_api import GraphqlApi
    from components.notifications import Notifications
    from components.python_function import PythonFunction
    from components.rest_api import RestApi
    from components.web_firewall import WebFirewall

LABEL = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TREAT_MISSING = ("breaching", "notBreaching", "ignore", "missing")
COMPARISONS = (
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)
MIB = 1024 * 1024
WEB_ACL_SCOPES = ("REGIONAL", "CLOUDFRONT")
#: The only region where CloudWatch has some metrics, whatever the stack's region.
EDGE_REGION = "us-east-1"
#: Namespaces whose metrics exist in us-east-1 only: CloudFront's ("Monitoring CloudFront
#: metrics with Amazon CloudWatch", https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/monitoring-using-cloudwatch.html:
#: metrics are in US East (N. Virginia)) and billing's ("Create a billing alarm",
#: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/monitor_estimated_charges_with_cloudwatch.html:
#: billing metric data is stored in US East (N. Virginia)).
US_EAST_1_ONLY_NAMESPACES = ("AWS/CloudFront", "AWS/Billing")


def metric_region(namespace: str, dimensions: Mapping[str, object], stack_region: str) -> str:
    """Where CloudWatch keeps a metric, so where an alarm on it must be created. WAF's
    CloudFront-scope metrics are in us-east-1 and have no ``Region`` dimension, which is
    "Required for all protected resource types except for Amazon CloudFront distributions"
    (WAF developer guide, "Monitoring with Amazon CloudWatch",
    https://docs.aws.amazon.com/waf/latest/developerguide/monitoring-cloudwatch.html)."""
    if namespace in US_EAST_1_ONLY_NAMESPACES:
        return EDGE_REGION
    if namespace == "AWS/WAFV2" and "Region" not in dimensions:
        return EDGE_REGION
    return stack_region


def _positive(field_name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ArgsError(field_name, f"must be a positive number, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class AlarmThresholds:
    """Per-kind alarm thresholds (``observability.thresholds`` in the stack config)."""

    neptune_cpu_percent: float = 80
    neptune_freeable_memory_mib: int = 512
    #: Alarm when serverless capacity reaches this share of ``graphDb.serverless.maxCapacity``.
    neptune_serverless_capacity_percent: float = 90
    neptune_replica_lag_ms: int = 1000
    lambda_errors: int = 1
    lambda_throttles: int = 1
    graphql_server_errors: int = 1
    graphql_latency_p99_ms: int = 2000
    rest_server_errors: int = 1
    rest_latency_p99_ms: int = 3000
    queue_oldest_message_seconds: int = 300
    dead_letter_messages: int = 1
    waf_blocked_requests: int = 500
    #: Stream poller lag (ms between a graph change and its notification event).
    stream_lag_ms: int = 120_000
    #: Seconds per evaluated datapoint (60 or a multiple of 60).
    period_seconds: int = 300
    evaluation_periods: int = 1

    def __post_init__(self) -> None:
        for name in ("neptune_cpu_percent", "neptune_serverless_capacity_percent"):
            value = getattr(self, name)
            _positive(name, value)
            if value > 100:
                raise ArgsError(name, f"must be a percentage between 0 and 100, got {value}")
        for name in (
            "neptune_freeable_memory_mib",
            "neptune_replica_lag_ms",
            "lambda_errors",
            "lambda_throttles",
            "graphql_server_errors",
            "graphql_latency_p99_ms",
            "rest_server_errors",
            "rest_latency_p99_ms",
            "queue_oldest_message_seconds",
            "dead_letter_messages",
            "waf_blocked_requests",
            "stream_lag_ms",
        ):
            _positive(name, getattr(self, name))
        require_int_range("period_seconds", self.period_seconds, 60, 86400)
        if self.period_seconds % 60:
            raise ArgsError("period_seconds", f"must be a multiple of 60, got {self.period_seconds}")
        require_int_range("evaluation_periods", self.evaluation_periods, 1, 100)


@dataclass(frozen=True, kw_only=True)
class ObservabilitySettings:
    """``<project>:observability`` in the stack config."""

    #: Email addresses subscribed to the alarm topic (each confirms once, by mail).
    email_endpoints: Sequence[str] = ()
    #: HTTPS endpoints (an incident tool's webhook) subscribed to the alarm topic.
    https_endpoints: Sequence[str] = ()
    thresholds: AlarmThresholds = field(default_factory=AlarmThresholds)
    #: CIS metric filters and alarms on the trail's log group (only where the trail exists).
    cis_alarms: bool = True
    dashboard: bool = True
    #: Retention of the alarm topic's delivery-status log groups.
    delivery_log_retention_days: int = 365

    def __post_init__(self) -> None:
        require_log_retention("delivery_log_retention_days", self.delivery_log_retention_days)
        for index, email in enumerate(self.email_endpoints):
            if not isinstance(email, str) or not EMAIL.match(email):
                raise ArgsError("email_endpoints", f"entry {index} must be an email address, got {email!r}")
        for index, url in enumerate(self.https_endpoints):
            if not isinstance(url, str) or not url.startswith("https://") or len(url) <= len("https://"):
                raise ArgsError("https_endpoints", f"entry {index} must be an https:// URL, got {url!r}")


# -- what is watched, read from the components ----------------------------------------


@dataclass(frozen=True, kw_only=True)
class WatchedNeptuneCluster:
    cluster_identifier: pulumi.Input[str]
    instance_identifiers: Sequence[pulumi.Input[str]]
    #: Serverless v2 maximum NCUs, or None for provisioned instances.
    serverless_max_capacity: float | None = None


@dataclass(frozen=True, kw_only=True)
class WatchedFunction:
    label: str
    function_name: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class WatchedQueue:
    label: str
    queue_name: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class WatchedGraphqlApi:
    label: str
    api_id: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class WatchedRestStage:
    label: str
    api_name: pulumi.Input[str]
    stage_name: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class WatchedWebAcl:
    label: str
    #: The ACL's CloudWatch metric name (its ``visibilityConfig.metricName``).
    web_acl_name: pulumi.Input[str]
    #: REGIONAL (metrics in the stack's region, with a Region dimension) or CLOUDFRONT
    #: (metrics in us-east-1, without one).
    scope: str = "REGIONAL"

    def __post_init__(self) -> None:
        require_choice("scope", self.scope, WEB_ACL_SCOPES)


@dataclass(frozen=True, kw_only=True)
class CustomMetricAlarm:
    """An alarm on a metric the app emits itself, such as the stream poller's lag."""

    label: str
    description: str
    namespace: str
    metric_name: str
    dimensions: Mapping[str, pulumi.Input[str]]
    statistic: str
    comparison_operator: str
    threshold: float
    treat_missing_data: str

    def __post_init__(self) -> None:
        require_choice("comparison_operator", self.comparison_operator, COMPARISONS)
        require_choice("treat_missing_data", self.treat_missing_data, TREAT_MISSING)


@dataclass(frozen=True, kw_only=True)
class ObservabilityArgs:
    context: DeploymentContext
    settings: ObservabilitySettings
    #: Key of the alarm topic and its dead-letter queue; its policy must admit
    #: cloudwatch.amazonaws.com and sns.amazonaws.com through SNS.
    alarm_key_arn: pulumi.Input[str]
    #: Key of the topic's delivery-status log groups.
    logs_key_arn: pulumi.Input[str]
    graph_database: GraphDatabase | None = None
    #: Every function: errors and throttles, and its dead-letter queue where it has one.
    functions: Sequence[PythonFunction] = ()
    #: The event queue, its dead-letter queue and the stream poller's own metrics.
    notifications: Notifications | None = None
    graphql_api: GraphqlApi | None = None
    rest_api: RestApi | None = None
    #: The regional web ACL (metrics in the stack's region) and the CloudFront one (us-east-1).
    regional_firewall: WebFirewall | None = None
    cloudfront_firewall: WebFirewall | None = None
    #: The stack's trail when it owns it: the CIS filters read its log group.
    trail: AuditTrail | None = None
    #: Deletion window and Pulumi ``protect`` of the us-east-1 key of the edge alarm topic
    #: (the stack's keys settings); used only where alarms must live in us-east-1.
    edge_key_deletion_window_days: int = 30
    edge_key_protect: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Watched:
    """What the alarms and the dashboard cover, read from the components once."""

    neptune_cluster: WatchedNeptuneCluster | None
    functions: Sequence[WatchedFunction]
    queues: Sequence[WatchedQueue]
    dead_letter_queues: Sequence[WatchedQueue]
    graphql_apis: Sequence[WatchedGraphqlApi]
    rest_api_stages: Sequence[WatchedRestStage]
    web_acls: Sequence[WatchedWebAcl]
    custom_metric_alarms: Sequence[CustomMetricAlarm]
    trail_log_group_name: pulumi.Input[str] | None

    def __post_init__(self) -> None:
        kinds: Mapping[str, Sequence[Any]] = {
            "functions": self.functions,
            "queues": self.queues,
            "dead_letter_queues": self.dead_letter_queues,
            "graphql_apis": self.graphql_apis,
            "rest_api_stages": self.rest_api_stages,
            "web_acls": self.web_acls,
            "custom_metric_alarms": self.custom_metric_alarms,
        }
        for kind, watched in kinds.items():
            labels = [w.label for w in watched]
            bad = [label for label in labels if not LABEL.match(label)]
            if bad:
                raise ArgsError(kind, f"labels must be lowercase words joined by hyphens, got {bad}")
            if len(set(labels)) != len(labels):
                raise ArgsError(kind, f"labels must be unique, got {labels}")

    @classmethod
    def of(cls, args: ObservabilityArgs) -> Watched:
        prefix = f"{args.context.prefix}-"
        # A function's label is its name without the stack prefix (graph-api, stream-poller...).
        functions = [(fn.function_name.removeprefix(prefix), fn) for fn in args.functions]
        graph, notifications = args.graph_database, args.notifications
        dead_letter_queues = [
            WatchedQueue(label=f"{label}-dlq", queue_name=fn.dead_letter_queue.name)
            for label, fn in functions
            if fn.dead_letter_queue is not None
        ]
        if notifications is not None:
            dead_letter_queues.insert(
                0, WatchedQueue(label="notification-events-dlq", queue_name=notifications.dead_letter_queue.name)
            )
        firewalls = (
            ("regional", args.regional_firewall, "REGIONAL"),
            ("cloudfront", args.cloudfront_firewall, "CLOUDFRONT"),
        )
        return cls(
            neptune_cluster=(
                WatchedNeptuneCluster(
                    cluster_identifier=graph.cluster.cluster_identifier,
                    instance_identifiers=[instance.identifier for instance in graph.instances],
                    serverless_max_capacity=(
                        graph.settings.serverless.max_capacity if graph.settings.serverless is not None else None
                    ),
                )
                if graph is not None
                else None
            ),
            functions=[WatchedFunction(label=label, function_name=fn.function.name) for label, fn in functions],
            queues=(
                [WatchedQueue(label="notification-events", queue_name=notifications.queue.name)]
                if notifications is not None
                else []
            ),
            dead_letter_queues=dead_letter_queues,
            graphql_apis=(
                [WatchedGraphqlApi(label="graphql", api_id=args.graphql_api.api.id)]
                if args.graphql_api is not None
                else []
            ),
            rest_api_stages=(
                [
                    WatchedRestStage(
                        label="uploads-api",
                        api_name=args.rest_api.rest_api.name,
                        stage_name=args.rest_api.stage.stage_name,
                    )
                ]
                if args.rest_api is not None
                else []
            ),
            web_acls=[
                WatchedWebAcl(label=label, web_acl_name=firewall.web_acl.name, scope=scope)
                for label, firewall, scope in firewalls
                if firewall is not None
            ],
            custom_metric_alarms=stream_poller_alarms(args.settings) if notifications is not None else [],
            trail_log_group_name=args.trail.log_group.name if args.trail is not None else None,
        )


def stream_poller_alarms(settings: ObservabilitySettings) -> list[CustomMetricAlarm]:
    """The stream poller's own signals: it fell behind, parked a poison record, or Neptune expired records."""
    dimensions = {"service": "stream_poller"}
    return [
        CustomMetricAlarm(
            label="stream-lag",
            description="Neptune Streams poller is behind: notifications arrive late",
            namespace="SocialBackend",
            metric_name="StreamLagMs",
            dimensions=dimensions,
            statistic="Maximum",
            comparison_operator="GreaterThanThreshold",
            threshold=settings.thresholds.stream_lag_ms,
            treat_missing_data="notBreaching",
        ),
        CustomMetricAlarm(
            label="stream-poison",
            description=(
                "The stream poller parked a Neptune Streams record it could not interpret (README, "
                "'Poison stream records'): its notification was not sent"
            ),
            namespace="SocialBackend",
            metric_name="PoisonRecordsParked",
            dimensions=dimensions,
            statistic="Sum",
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=1,
            treat_missing_data="notBreaching",
        ),
        CustomMetricAlarm(
            label="stream-expired",
            description="Neptune Streams records expired before the poller read them: notifications were lost",
            namespace="SocialBackend",
            metric_name="StreamExpired",
            dimensions=dimensions,
            statistic="Sum",
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=1,
            treat_missing_data="notBreaching",
        ),
    ]


# -- CIS CloudWatch controls (CIS AWS Foundations 4.x / Security Hub CloudWatch.1-14) ----


@dataclass(frozen=True)
class CisFilter:
    slug: str
    control: str
    title: str
    pattern: str


CIS_FILTERS: tuple[CisFilter, ...] = (
    CisFilter(
        "root-usage",
        "CloudWatch.1",
        "Root user activity",
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    ),
    CisFilter(
        "unauthorized-api-calls",
        "CloudWatch.2",
        "Unauthorized API calls",
        '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
    ),
    CisFilter(
        "console-signin-without-mfa",
        "CloudWatch.3",
        "Console sign-in without MFA",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") '
        '&& ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    ),
    CisFilter(
        "iam-policy-changes",
        "CloudWatch.4",
        "IAM policy changes",
        "{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy) "
        "|| ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy) "
        "|| ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || ($.eventName = CreatePolicyVersion) "
        "|| ($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) "
        "|| ($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) "
        "|| ($.eventName = DetachGroupPolicy) }",
    ),
    CisFilter(
        "cloudtrail-changes",
        "CloudWatch.5",
        "CloudTrail configuration changes",
        "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) "
        "|| ($.eventName = StartLogging) || ($.eventName = StopLogging) }",
    ),
    CisFilter(
        "console-auth-failures",
        "CloudWatch.6",
        "Console authentication failures",
        '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
    ),
    CisFilter(
        "kms-key-disable-or-deletion",
        "CloudWatch.7",
        "Customer managed key disabled or scheduled for deletion",
        "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }",
    ),
    CisFilter(
        "s3-bucket-policy-changes",
        "CloudWatch.8",
        "S3 bucket policy changes",
        "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) "
        "|| ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) "
        "|| ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) "
        "|| ($.eventName = DeleteBucketReplication)) }",
    ),
    CisFilter(
        "config-changes",
        "CloudWatch.9",
        "AWS Config configuration changes",
        "{ ($.eventSource = config.amazonaws.com) && (($.eventName = StopConfigurationRecorder) "
        "|| ($.eventName = DeleteDeliveryChannel) || ($.eventName = PutDeliveryChannel) "
        "|| ($.eventName = PutConfigurationRecorder)) }",
    ),
    CisFilter(
        "security-group-changes",
        "CloudWatch.10",
        "Security group changes",
        "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) "
        "|| ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) "
        "|| ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }",
    ),
    CisFilter(
        "nacl-changes",
        "CloudWatch.11",
        "Network ACL changes",
        "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) "
        "|| ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) "
        "|| ($.eventName = ReplaceNetworkAclAssociation) }",
    ),
    CisFilter(
        "network-gateway-changes",
        "CloudWatch.12",
        "Network gateway changes",
        "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) "
        "|| ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) "
        "|| ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }",
    ),
    CisFilter(
        "route-table-changes",
        "CloudWatch.13",
        "Route table changes",
        "{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) "
        "|| ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) "
        "|| ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }",
    ),
    CisFilter(
        "vpc-changes",
        "CloudWatch.14",
        "VPC changes",
        "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) "
        "|| ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) "
        "|| ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) "
        "|| ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) "
        "|| ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }",
    ),
)


class Observability(pulumi.ComponentResource):
    """The alarm topic (KMS, TLS-only, no public access), its subscriptions, the default
    alarms of every registered resource, the CIS filters and a dashboard."""

    topic: aws.sns.Topic
    dead_letter_queue: aws.sqs.Queue
    #: The us-east-1 alarm topic, where an alarm watches a us-east-1-only metric and the
    #: stack runs elsewhere (an alarm's SNS action must be a topic of its region).
    edge_topic: aws.sns.Topic | None
    alarms: list[aws.cloudwatch.MetricAlarm]
    dashboard: aws.cloudwatch.Dashboard | None

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social-backend:observability:Observability", name, None, opts)
        self._name, self._args = name, args
        self._watched = watched = Watched.of(args)
        ctx = args.context
        self.alarms = []

        self.topic, self.dead_letter_queue = self._alarm_topic(
            f"{ctx.prefix}-alarms", None, args.alarm_key_arn, args.logs_key_arn
        )
        self.edge_topic = None
        self._edge_dead_letter_queue: aws.sqs.Queue | None = None

        if watched.neptune_cluster is not None:
            self._neptune(watched.neptune_cluster)
        self._functions()
        self._queues()
        self._apis()
        self._web_acls()
        for custom in watched.custom_metric_alarms:
            self._alarm(
                f"custom-{custom.label}",
                custom.description,
                namespace=custom.namespace,
                metric_name=custom.metric_name,
                dimensions=custom.dimensions,
                statistic=custom.statistic,
                comparison=custom.comparison_operator,
                threshold=custom.threshold,
                treat_missing_data=custom.treat_missing_data,
            )
        if watched.trail_log_group_name is not None and args.settings.cis_alarms:
            self._cis(watched.trail_log_group_name)

        self.dashboard = self._dashboard() if args.settings.dashboard else None
        self.register_outputs(
            {
                "alarmTopicArn": self.topic.arn,
                "dashboardName": self.dashboard.dashboard_name if self.dashboard is not None else None,
            }
        )

    # -- alarm topics ------------------------------------------------------------------
    def _alarm_topic(
        self,
        topic_name: str,
        region: str | None,
        key_arn: pulumi.Input[str],
        logs_key_arn: pulumi.Input[str],
    ) -> tuple[aws.sns.Topic, aws.sqs.Queue]:
        """An alarm topic of ``region`` (None: the stack's) with its dead-letter queue and
        the configured subscriptions; every child in that region, encrypted with keys of
        that region (an SNS topic's, and an SQS queue's, KMS key is in its region)."""
        name, args, ctx = self._name, self._args, self._args.context
        child = pulumi.ResourceOptions(parent=self)
        suffix = "" if region is None else f"-{region}"
        where = region or ctx.region
        topic = secure_topic(
            name,
            TopicSpec(
                role=f"alarm-topic{suffix}",
                topic_name=topic_name,
                kms_key_arn=key_arn,
                logs_key_arn=logs_key_arn,
                log_retention_days=args.settings.delivery_log_retention_days,
                publisher="cloudwatch",
                publisher_source_arn=f"arn:{ctx.partition}:cloudwatch:{where}:{ctx.account_id}:alarm:*",
                region=region,
                tags=args.tags,
            ),
            ctx,
            self,
        ).topic
        # Notifications a subscriber could not take are kept, not lost. SNS requires a
        # subscription's dead-letter queue in the subscription's region.
        dead_letter_queue = secure_queue(
            QueueSpec(
                resource_name=f"{name}-delivery-dlq{suffix}",
                queue_name=f"{topic_name}-delivery-dlq" if region is not None else f"{ctx.prefix}-alarm-delivery-dlq",
                region=region,
                kms_key_arn=key_arn,
                retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
                senders=[
                    ServiceSender(
                        sid="AllowTheAlarmTopic",
                        service_principal=ctx.service_principal("sns"),
                        source_arn=f"arn:{ctx.partition}:sns:{where}:{ctx.account_id}:{topic_name}",
                    )
                ],
                tags=args.tags,
            ),
            self,
        ).queue
        redrive = pulumi.Output.json_dumps({"deadLetterTargetArn": dead_letter_queue.arn})
        for protocol, endpoints in (("email", args.settings.email_endpoints), ("https", args.settings.https_endpoints)):
            for index, endpoint in enumerate(endpoints):
                aws.sns.TopicSubscription(
                    f"{name}-{protocol}-{index}{suffix}",
                    topic=topic.arn,
                    region=region,
                    protocol=protocol,
                    endpoint=endpoint,
                    redrive_policy=redrive,
                    opts=child,
                )
        # Runtime flows. CloudWatch user guide, "Using Amazon CloudWatch alarms" (SNS actions:
        # cloudwatch.amazonaws.com publishes with aws:SourceArn = the alarm; on an encrypted topic
        # the key must allow it through SNS); SNS developer guide, "Amazon SNS dead-letter queues":
        # SNS sends to the DLQ with aws:SourceArn = the topic, and SQS SSE needs the key for it.
        declare(
            Flow(
                caller=ctx.service_principal("cloudwatch"),
                action="sns:Publish",
                resource=topic.arn,
                context={
                    "aws:SourceArn": f"arn:{ctx.partition}:cloudwatch:{where}:{ctx.account_id}:alarm:{ctx.prefix}-alarm",
                    "aws:SourceAccount": ctx.account_id,
                },
                purpose=f"alarm state changes in {where} reach the on-call people",
                doc="https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-actions.html",
                broad="every alarm of this account and region may notify the topic (alarms are created after it)",
            ),
            Flow(
                caller=ctx.service_principal("sns"),
                action="sqs:SendMessage",
                resource=dead_letter_queue.arn,
                context={"aws:SourceArn": topic.arn, "aws:SourceAccount": ctx.account_id},
                purpose="a notification a subscriber could not take is kept",
                doc="https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html",
            ),
        )
        return topic, dead_letter_queue

    def _topic_in(self, region: str) -> aws.sns.Topic:
        """The alarm topic of ``region``: the stack's own, or the us-east-1 one (created
        with its key on first use)."""
        ctx = self._args.context
        if region == ctx.region:
            return self.topic
        if region != EDGE_REGION:
            raise ValueError(f"no alarm topic for region {region}")
        if self.edge_topic is None:
            topic_name = f"{ctx.prefix}-alarms-{EDGE_REGION}"
            key = self._edge_key(topic_name)
            self.edge_topic, self._edge_dead_letter_queue = self._alarm_topic(topic_name, EDGE_REGION, key.arn, key.arn)
            self._alarm(
                f"alarm-delivery-dlq-{EDGE_REGION}-messages",
                f"Alarm notifications from {EDGE_REGION} could not be delivered to a subscriber (see its dead-letter queue)",
                namespace="AWS/SQS",
                metric_name="ApproximateNumberOfMessagesVisible",
                dimensions={"QueueName": self._edge_dead_letter_queue.name},
                statistic="Maximum",
                comparison="GreaterThanOrEqualToThreshold",
                threshold=1,
                treat_missing_data="notBreaching",
                region=EDGE_REGION,
            )
        return self.edge_topic

    def _edge_key(self, topic_name: str) -> aws.kms.Key:
        """The us-east-1 key of the edge alarm topic, its dead-letter queue and its
        delivery-status log groups: an SNS topic's KMS key must be in the topic's region."""
        args, ctx = self._args, self._args.context
        log_groups = f"arn:{ctx.partition}:logs:{EDGE_REGION}:{ctx.account_id}:log-group:sns/{EDGE_REGION}/{ctx.account_id}/{topic_name}*"
        statements = [
            alarms_through_sns_statement(ctx, EDGE_REGION),
            # SNS moves undeliverable notifications into the encrypted dead-letter queue.
            sns_topics_statement(
                ctx,
                "AllowSnsForTheEdgeAlarmTopic",
                "ArnEquals",
                f"arn:{ctx.partition}:sns:{EDGE_REGION}:{ctx.account_id}:{topic_name}",
            ),
            logs_statement(ctx, EDGE_REGION, log_groups, sid="AllowCloudWatchLogsForTheTopicsDeliveryLogs"),
        ]
        return customer_key(
            f"{self._name}-edge-alarm-key",
            KeySpec(
                role="edge-alarms",
                description=f"the {EDGE_REGION} alarm topic, its dead-letter queue and delivery logs",
                region=EDGE_REGION,
                deletion_window_days=args.edge_key_deletion_window_days,
                policy_statements=statements,
                protect=args.edge_key_protect,
                tags=args.tags,
            ),
            ctx,
            self,
        )

    # -- one alarm ---------------------------------------------------------------------
    def _alarm(
        self,
        role: str,
        description: str,
        *,
        namespace: str,
        metric_name: str,
        dimensions: Mapping[str, pulumi.Input[str]],
        comparison: str,
        threshold: float,
        treat_missing_data: str,
        statistic: str | None = None,
        extended_statistic: str | None = None,
        depends_on: Sequence[pulumi.Resource] = (),
        region: str | None = None,
    ) -> aws.cloudwatch.MetricAlarm:
        """An alarm in the region of its metric (an alarm sees only its own region's
        metrics), notifying that region's alarm topic."""
        ctx, thresholds = self._args.context, self._args.settings.thresholds
        where = region or metric_region(namespace, dimensions, ctx.region)
        topic = self._topic_in(where)
        alarm = aws.cloudwatch.MetricAlarm(
            f"{self._name}-{role}",
            name=f"{ctx.prefix}-{role}",
            region=where if where != ctx.region else None,
            alarm_description=description,
            namespace=namespace,
            metric_name=metric_name,
            dimensions=dict(dimensions),
            statistic=statistic,
            extended_statistic=extended_statistic,
            period=thresholds.period_seconds,
            evaluation_periods=thresholds.evaluation_periods,
            comparison_operator=comparison,
            threshold=threshold,
            treat_missing_data=treat_missing_data,
            actions_enabled=True,
            alarm_actions=[topic.arn],
            ok_actions=[topic.arn],
            tags=dict(self._args.tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )
        self.alarms.append(alarm)
        return alarm

    # -- per kind ------------------------------------------------------------------------
    def _neptune(self, cluster: WatchedNeptuneCluster) -> None:
        t = self._args.settings.thresholds
        dims = {"DBClusterIdentifier": cluster.cluster_identifier}
        # A database that stops reporting is down, not healthy: missing data breaches.
        self._alarm(
            "neptune-cpu",
            f"Neptune cluster CPU at or above {t.neptune_cpu_percent:g}%",
            namespace="AWS/Neptune",
            metric_name="CPUUtilization",
            dimensions=dims,
            statistic="Maximum",
            comparison="GreaterThanOrEqualToThreshold",
            threshold=t.neptune_cpu_percent,
            treat_missing_data="breaching",
        )
        self._alarm(
            "neptune-freeable-memory",
            f"Neptune cluster freeable memory at or below {t.neptune_freeable_memory_mib} MiB",
            namespace="AWS/Neptune",
            metric_name="FreeableMemory",
            dimensions=dims,
            statistic="Minimum",
            comparison="LessThanOrEqualToThreshold",
            threshold=t.neptune_freeable_memory_mib * MIB,
            treat_missing_data="breaching",
        )
        if cluster.serverless_max_capacity is not None:
            capacity = cluster.serverless_max_capacity * t.neptune_serverless_capacity_percent / 100
            self._alarm(
                "neptune-serverless-capacity",
                f"Neptune serverless capacity at or above {capacity:g} NCUs "
                f"({t.neptune_serverless_capacity_percent:g}% of the maximum): raise maxCapacity",
                namespace="AWS/Neptune",
                metric_name="ServerlessDatabaseCapacity",
                dimensions=dims,
                statistic="Maximum",
                comparison="GreaterThanOrEqualToThreshold",
                threshold=capacity,
                treat_missing_data="breaching",
            )
        else:
            for index, instance in enumerate(cluster.instance_identifiers):
                instance_dims = {"DBInstanceIdentifier": instance}
                self._alarm(
                    f"neptune-instance-{index}-cpu",
                    f"Neptune instance {index} CPU at or above {t.neptune_cpu_percent:g}%",
                    namespace="AWS/Neptune",
                    metric_name="CPUUtilization",
                    dimensions=instance_dims,
                    statistic="Maximum",
                    comparison="GreaterThanOrEqualToThreshold",
                    threshold=t.neptune_cpu_percent,
                    treat_missing_data="breaching",
                )
                self._alarm(
                    f"neptune-instance-{index}-freeable-memory",
                    f"Neptune instance {index} freeable memory at or below {t.neptune_freeable_memory_mib} MiB",
                    namespace="AWS/Neptune",
                    metric_name="FreeableMemory",
                    dimensions=instance_dims,
                    statistic="Minimum",
                    comparison="LessThanOrEqualToThreshold",
                    threshold=t.neptune_freeable_memory_mib * MIB,
                    treat_missing_data="breaching",
                )
        if len(cluster.instance_identifiers) > 1:
            self._alarm(
                "neptune-replica-lag",
                f"Neptune read replica lag at or above {t.neptune_replica_lag_ms} ms",
                namespace="AWS/Neptune",
                metric_name="ClusterReplicaLagMaximum",
                dimensions=dims,
                statistic="Maximum",
                comparison="GreaterThanOrEqualToThreshold",
                threshold=t.neptune_replica_lag_ms,
                treat_missing_data="breaching",
            )

    def _functions(self) -> None:
        t = self._args.settings.thresholds
        for fn in self._watched.functions:
            dims = {"FunctionName": fn.function_name}
            # No invocations means no errors: missing data is healthy for event metrics.
            for metric, threshold in (("Errors", t.lambda_errors), ("Throttles", t.lambda_throttles)):
                self._alarm(
                    f"lambda-{fn.label}-{metric.lower()}",
                    f"Lambda {fn.label}: {metric.lower()} at or above {threshold} per period",
                    namespace="AWS/Lambda",
                    metric_name=metric,
                    dimensions=dims,
                    statistic="Sum",
                    comparison="GreaterThanOrEqualToThreshold",
                    threshold=threshold,
                    treat_missing_data="notBreaching",
                )

    def _queues(self) -> None:
        t = self._args.settings.thresholds
        self._alarm(
            "alarm-delivery-dlq-messages",
            "Alarm notifications could not be delivered to a subscriber (see the dead-letter queue)",
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": self.dead_letter_queue.name},
            statistic="Maximum",
            comparison="GreaterThanOrEqualToThreshold",
            threshold=1,
            treat_missing_data="notBreaching",
        )
        for queue in self._watched.queues:
            self._alarm(
                f"sqs-{queue.label}-oldest-message",
                f"SQS {queue.label}: a message has waited {t.queue_oldest_message_seconds} s or more",
                namespace="AWS/SQS",
                metric_name="ApproximateAgeOfOldestMessage",
                dimensions={"QueueName": queue.queue_name},
                statistic="Maximum",
                comparison="GreaterThanOrEqualToThreshold",
                threshold=t.queue_oldest_message_seconds,
                treat_missing_data="notBreaching",
            )
        for dlq in self._watched.dead_letter_queues:
            self._alarm(
                f"dlq-{dlq.label}-messages",
                f"Dead-letter queue {dlq.label}: {t.dead_letter_messages} or more failed messages",
                namespace="AWS/SQS",
                metric_name="ApproximateNumberOfMessagesVisible",
                dimensions={"QueueName": dlq.queue_name},
                statistic="Maximum",
                comparison="GreaterThanOrEqualToThreshold",
                threshold=t.dead_letter_messages,
                treat_missing_data="notBreaching",
            )

    def _apis(self) -> None:
        t = self._args.settings.thresholds
        for api in self._watched.graphql_apis:
            self._errors_and_latency(
                f"appsync-{api.label}",
                f"AppSync {api.label}",
                namespace="AWS/AppSync",
                dimensions={"GraphQLAPIId": api.api_id},
                server_errors=t.graphql_server_errors,
                latency_p99_ms=t.graphql_latency_p99_ms,
            )
        for stage in self._watched.rest_api_stages:
            self._errors_and_latency(
                f"apigw-{stage.label}",
                f"REST API {stage.label}",
                namespace="AWS/ApiGateway",
                dimensions={"ApiName": stage.api_name, "Stage": stage.stage_name},
                server_errors=t.rest_server_errors,
                latency_p99_ms=t.rest_latency_p99_ms,
            )

    def _errors_and_latency(
        self,
        role: str,
        title: str,
        *,
        namespace: str,
        dimensions: Mapping[str, pulumi.Input[str]],
        server_errors: int,
        latency_p99_ms: int,
    ) -> None:
        """An API's pair of alarms: server errors (``5XXError``) and p99 ``Latency``."""
        self._alarm(
            f"{role}-5xx",
            f"{title}: {server_errors} or more server errors per period",
            namespace=namespace,
            metric_name="5XXError",
            dimensions=dimensions,
            statistic="Sum",
            comparison="GreaterThanOrEqualToThreshold",
            threshold=server_errors,
            treat_missing_data="notBreaching",
        )
        self._alarm(
            f"{role}-latency",
            f"{title}: p99 latency at or above {latency_p99_ms} ms",
            namespace=namespace,
            metric_name="Latency",
            dimensions=dimensions,
            extended_statistic="p99",
            comparison="GreaterThanOrEqualToThreshold",
            threshold=latency_p99_ms,
            treat_missing_data="notBreaching",
        )

    def _web_acls(self) -> None:
        t = self._args.settings.thresholds
        for acl in self._watched.web_acls:
            self._alarm(
                f"waf-{acl.label}-blocked",
                f"WAF {acl.label}: {t.waf_blocked_requests} or more blocked requests per period (attack or false positives)",
                namespace="AWS/WAFV2",
                metric_name="BlockedRequests",
                dimensions={
                    "WebACL": acl.web_acl_name,
                    "Rule": "ALL",
                    **({"Region": self._args.context.region} if acl.scope == "REGIONAL" else {}),
                },
                statistic="Sum",
                comparison="GreaterThanOrEqualToThreshold",
                threshold=t.waf_blocked_requests,
                treat_missing_data="notBreaching",
            )

    def _cis(self, log_group_name: pulumi.Input[str]) -> None:
        ctx = self._args.context
        namespace = f"{ctx.prefix}/CISBenchmark"
        for cis in CIS_FILTERS:
            metric = "".join(part.title() for part in cis.slug.split("-"))
            metric_filter = aws.cloudwatch.LogMetricFilter(
                f"{self._name}-cis-{cis.slug}",
                name=f"{ctx.prefix}-cis-{cis.slug}",
                log_group_name=log_group_name,
                pattern=cis.pattern,
                metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    name=metric, namespace=namespace, value="1"
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            # The metric only exists once an event matched: no data means nothing happened.
            self._alarm(
                f"cis-{cis.slug}",
                f"{cis.title} ({cis.control})",
                namespace=namespace,
                metric_name=metric,
                dimensions={},
                statistic="Sum",
                comparison="GreaterThanOrEqualToThreshold",
                threshold=1,
                treat_missing_data="notBreaching",
                depends_on=[metric_filter],
            )

    def _dashboard(self) -> aws.cloudwatch.Dashboard:
        ctx = self._args.context
        widgets: list[dict[str, Any]] = [
            {
                "type": "alarm",
                "x": 0,
                "y": 0,
                "width": 24,
                "height": 8,
                "properties": {"title": "Alarms", "alarms": [alarm.arn for alarm in self.alarms]},
            }
        ]
        cluster = self._watched.neptune_cluster
        if cluster is not None:
            metrics: list[list[Any]] = [
                ["AWS/Neptune", "CPUUtilization", "DBClusterIdentifier", cluster.cluster_identifier],
                [
                    "AWS/Neptune",
                    "FreeableMemory",
                    "DBClusterIdentifier",
                    cluster.cluster_identifier,
                    {"yAxis": "right"},
                ],
            ]
            if cluster.serverless_max_capacity is not None:
                metrics.append(
                    ["AWS/Neptune", "ServerlessDatabaseCapacity", "DBClusterIdentifier", cluster.cluster_identifier]
                )
            widgets.append(_metric_widget("Neptune", metrics, ctx.region, y=8))
        for offset, fn in enumerate(self._watched.functions):
            widgets.append(
                _metric_widget(
                    f"Lambda {fn.label}",
                    [
                        ["AWS/Lambda", metric, "FunctionName", fn.function_name, {"stat": "Sum"}]
                        for metric in ("Invocations", "Errors", "Throttles")
                    ],
                    ctx.region,
                    y=14 + 6 * offset,
                )
            )
        return aws.cloudwatch.Dashboard(
            f"{self._name}-dashboard",
            dashboard_name=f"{ctx.prefix}-overview",
            dashboard_body=pulumi.Output.json_dumps({"widgets": widgets}),
            opts=pulumi.ResourceOptions(parent=self),
        )


def _metric_widget(title: str, metrics: list[list[Any]], region: str, *, y: int) -> dict[str, Any]:
    return {
        "type": "metric",
        "x": 0,
        "y": y,
        "width": 24,
        "height": 6,
        "properties": {"title": title, "metrics": metrics, "region": region, "stat": "Average", "period": 300},
    }
