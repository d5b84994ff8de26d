"""The social-engagement backend: the only place that reads config.

All config is parsed and validated before the first resource is registered, so a bad
value stops ``pulumi up`` with a one-line error and nothing half-created. The program
never branches on the stack's name: stacks differ only in their config values.
"""

from __future__ import annotations

import re

import pulumi
import pulumi_aws as aws

from components.audit_trail import AuditTrail, AuditTrailArgs, AuditTrailSettings, trail_arn
from components.compliance import Compliance, ComplianceArgs, ComplianceSettings, delivery_bucket_arn
from components.config_loader import ConfigError, config_error, load_section
from components.content_delivery import ContentDelivery, ContentDeliveryArgs, ContentDeliverySettings
from components.context import DeploymentContext
from components.graph_database import NEPTUNE_PORT, GraphDatabase, GraphDatabaseArgs, GraphDatabaseSettings
from components.graphql_api import GraphqlApi, GraphqlApiArgs, GraphqlApiSettings
from components.identity import Identity, IdentityArgs, IdentitySettings
from components.keys import Keys, KeysArgs
from components.media_pipeline import MediaPipeline, MediaPipelineArgs, ThumbnailSettings, UploadSettings
from components.network import Network, NetworkArgs, NetworkSettings
from components.notifications import GraphEndpoints, Notifications, NotificationsArgs, NotificationsSettings
from components.observability import (
    CustomMetricAlarm,
    Observability,
    ObservabilityArgs,
    ObservabilitySettings,
    WatchedFunction,
    WatchedGraphqlApi,
    WatchedNeptuneCluster,
    WatchedQueue,
    WatchedRestStage,
    WatchedWebAcl,
)
from components.python_function import FunctionsSettings, PythonFunction, PythonFunctionArgs, VpcPlacement
from components.rest_api import RestApi, RestApiArgs, RestApiSettings
from components.secrets import Secrets, SecretsArgs, SecretsSettings
from components.timelines import Timelines, TimelinesArgs, TimelinesSettings
from components.validation import ArgsError
from components.web_firewall import WebFirewall, WebFirewallArgs, WebFirewallSettings
from offline.flows.model import Flow, declare

# isort: split
# The functions' environment contracts, the module their handlers import: importing
# `components` put functions/ on sys.path for it (see components/__init__.py).
from shared.environment import AuthTriggersEnvironment, GraphApiEnvironment, NeptuneSettings

#: Resolved by the device registry function (outside the VPC: it calls SNS), not graph_api.
DEVICE_FIELDS = ("Mutation.registerDevice", "Mutation.unregisterDevice")

#: Physical names are ``<project>-<stack>-<role>``; Neptune identifiers allow 63 chars.
NAME_PREFIX = re.compile(r"^[a-z][a-z0-9-]{0,38}$")


def deployment_context() -> DeploymentContext:
    prefix = f"{pulumi.get_project()}-{pulumi.get_stack()}".lower()
    if not NAME_PREFIX.match(prefix) or "--" in prefix:
        raise ConfigError(
            f"project and stack names give the resource prefix {prefix!r}: it must start with a letter, "
            "use only lowercase letters, digits and single hyphens, and be at most 39 characters"
        )
    identity = aws.get_caller_identity()
    region = aws.get_region()
    partition = aws.get_partition()
    return DeploymentContext(
        account_id=identity.account_id, region=region.region, partition=partition.partition, prefix=prefix
    )


def stack_tags(config: pulumi.Config) -> dict[str, str]:
    extra = config.get_object("tags") or {}
    if not isinstance(extra, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in extra.items()):
        raise ConfigError(f"{config.name}:tags: must be a map of strings to strings")
    return {"Project": pulumi.get_project(), "Stack": pulumi.get_stack(), "ManagedBy": "pulumi", **extra}


def neptune_data_arn(context: DeploymentContext, graph: GraphDatabase) -> pulumi.Output[str]:
    """``neptune-db:`` actions name the cluster by its resource id, not its ARN."""
    return pulumi.Output.concat(
        f"arn:{context.partition}:neptune-db:{context.region}:{context.account_id}:",
        graph.cluster.cluster_resource_id,
        "/*",
    )


def neptune_statement(sid: str, actions: list[str], cluster_arn: pulumi.Input[str]) -> dict[str, object]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": [cluster_arn],
        # Only openCypher (the graph repository's language), never Gremlin or SPARQL.
        "Condition": {"StringEqualsIgnoreCase": {"neptune-db:QueryLanguage": "opencypher"}},
    }


def graph_functions(
    context: DeploymentContext,
    settings: FunctionsSettings,
    identity_settings: IdentitySettings,
    keys: Keys,
    network: Network,
    graph: GraphDatabase,
    timelines: Timelines,
    tags: dict[str, str],
) -> tuple[PythonFunction, PythonFunction]:
    """The in-VPC functions that query Neptune: ``graph_api`` and ``auth_triggers``."""
    vpc = VpcPlacement(
        subnet_ids=[subnet.id for subnet in network.subnets],
        security_group_ids=[network.lambda_security_group.id],
    )
    cluster_arn = neptune_data_arn(context, graph)
    neptune = NeptuneSettings(
        writer_endpoint=graph.cluster.endpoint,
        reader_endpoint=graph.cluster.reader_endpoint,
        port=NEPTUNE_PORT,  # the port GraphDatabase configures on the cluster
    )
    # AppSync and Cognito invoke both functions synchronously: the caller sees the error,
    # and a Lambda DLQ (async invocations only) would never receive anything.
    graph_api = PythonFunction(
        "graph-api",
        PythonFunctionArgs(
            context=context,
            source="graph_api",
            description="AppSync direct Lambda resolver: the social graph over openCypher",
            statements=[
                neptune_statement(
                    "QueryTheSocialGraph",
                    [
                        "neptune-db:ReadDataViaQuery",
                        "neptune-db:WriteDataViaQuery",
                        "neptune-db:DeleteDataViaQuery",
                    ],
                    cluster_arn,
                ),
                *timelines.reader_statements(),
            ],
            environment=GraphApiEnvironment(neptune=neptune, timelines=timelines.environment()),
            logs_key_arn=keys.logs.arn,
            data_key_arn=keys.data.arn,
            vpc=vpc,
            tags=tags,
            **settings.graph_api.function_args(),
        ),
    )
    auth_triggers = PythonFunction(
        "auth-triggers",
        PythonFunctionArgs(
            context=context,
            source="auth_triggers",
            description="Cognito pre sign-up checks and post confirmation User vertex",
            # MERGE of the User vertex reads and writes; it never deletes.
            statements=[
                neptune_statement(
                    "CreateUserVertex",
                    ["neptune-db:ReadDataViaQuery", "neptune-db:WriteDataViaQuery"],
                    cluster_arn,
                )
            ],
            # Post confirmation's repository needs both endpoints, like graph_api's.
            environment=AuthTriggersEnvironment(
                neptune=neptune,
                allowed_email_domains=tuple(identity_settings.allowed_email_domains),
                blocked_email_domains=tuple(identity_settings.blocked_email_domains),
            ),
            logs_key_arn=keys.logs.arn,
            data_key_arn=keys.data.arn,
            vpc=vpc,
            tags=tags,
            **settings.auth_triggers.function_args(),
        ),
    )
    # Runtime flows of the two functions' code (functions/shared/graph/client.py): openCypher
    # over HTTPS with IAM auth. Neptune user guide, "IAM actions for accessing data in a Neptune
    # DB cluster": reads need ReadDataViaQuery, CREATE/MERGE/SET WriteDataViaQuery, DELETE
    # DeleteDataViaQuery, with neptune-db:QueryLanguage = opencypher.
    neptune_doc = "https://docs.aws.amazon.com/neptune/latest/userguide/iam-dp-actions.html"
    opencypher = {"neptune-db:QueryLanguage": "opencypher"}
    declare(
        *(
            Flow(
                caller=graph_api.role.arn,
                action=action,
                resource=cluster_arn,
                context=opencypher,
                purpose=purpose,
                doc=neptune_doc,
                function="graph_api",
            )
            for action, purpose in (
                ("neptune-db:ReadDataViaQuery", "feed, profile and follower queries"),
                ("neptune-db:WriteDataViaQuery", "posts, follows, likes and comments"),
                ("neptune-db:DeleteDataViaQuery", "unfollow, unlike, deleting posts and comments"),
            )
        ),
        *(
            Flow(
                caller=auth_triggers.role.arn,
                action=action,
                resource=cluster_arn,
                context=opencypher,
                purpose="post confirmation MERGEs the User vertex",
                doc=neptune_doc,
                function="auth_triggers",
            )
            for action in ("neptune-db:ReadDataViaQuery", "neptune-db:WriteDataViaQuery")
        ),
    )
    timelines.declare_reader_flows(graph_api.role.arn, "graph_api")
    return graph_api, auth_triggers


def stream_alarms(settings: ObservabilitySettings) -> list[CustomMetricAlarm]:
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


def main() -> None:
    config = pulumi.Config()
    context = deployment_context()
    tags = stack_tags(config)

    audit_settings = load_section(config, "auditTrail", AuditTrailSettings)
    compliance_settings = load_section(config, "compliance", ComplianceSettings)
    observability_settings = load_section(config, "observability", ObservabilitySettings)
    keys_args = load_section(
        config,
        "keys",
        KeysArgs,
        context=context,
        tags=tags,
        cloudtrail_trail_arn=trail_arn(context) if audit_settings.create else None,
        config_delivery=compliance_settings.create_recorder,
    )
    network_settings = load_section(config, "network", NetworkSettings)
    graph_settings = load_section(config, "graphDb", GraphDatabaseSettings)
    functions_settings = load_section(config, "functions", FunctionsSettings)
    identity_settings = load_section(config, "identity", IdentitySettings)
    api_settings = load_section(config, "graphqlApi", GraphqlApiSettings)
    firewall_settings = load_section(config, "webFirewall", WebFirewallSettings)
    notification_settings = load_section(config, "notifications", NotificationsSettings)
    secrets_settings = load_section(config, "secrets", SecretsSettings)
    delivery_settings = load_section(config, "contentDelivery", ContentDeliverySettings)
    upload_settings = load_section(config, "uploads", UploadSettings)
    thumbnail_settings = load_section(config, "thumbnails", ThumbnailSettings)
    rest_api_settings = load_section(config, "restApi", RestApiSettings)
    timeline_settings = load_section(config, "timelines", TimelinesSettings)
    # Push credentials only ever come from `pulumi config set --secret` (or ESC).
    apns_key = config.get_secret("apnsSigningKey")
    fcm_account = config.get_secret("fcmServiceAccount")
    if (apns_key is None) != (notification_settings.apns is None):
        raise ConfigError(
            f"{config.name}:notifications.apns: set both notifications.apns {{keyId, teamId, bundleId}} "
            "and the secret apnsSigningKey, or neither"
        )

    available = aws.get_availability_zones(
        state="available", filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
    )
    try:
        zones = network_settings.select_zones(available.names)
    except ArgsError as error:
        raise config_error(config, "network", error) from None
    try:
        graph_settings.check_fits(len(zones))
    except ArgsError as error:
        raise config_error(config, "graphDb", error) from None

    keys = Keys("keys", keys_args)
    network = Network(
        "network",
        NetworkArgs(context=context, settings=network_settings, zones=zones, logs_key_arn=keys.logs.arn, tags=tags),
    )
    graph = GraphDatabase(
        "graph",
        GraphDatabaseArgs(
            context=context,
            settings=graph_settings,
            vpc_id=network.vpc.id,
            subnet_ids=[subnet.id for subnet in network.subnets],
            zones=network.zones,
            client_security_group_id=network.lambda_security_group.id,
            data_key_arn=keys.data.arn,
            logs_key_arn=keys.logs.arn,
            tags=tags,
        ),
    )

    # Buckets first: the identity pool's role is limited to the user's own uploads prefix.
    delivery = ContentDelivery(
        "content",
        ContentDeliveryArgs(
            context=context,
            settings=delivery_settings,
            data_key_arn=keys.data.arn,
            raw_upload_expiry_days=upload_settings.raw_expiry_days,
            rejected_upload_expiry_days=upload_settings.rejected_expiry_days,
            key_deletion_window_days=keys_args.deletion_window_days,
            key_rotation_period_days=keys_args.rotation_period_days,
            # Browsers POST the presigned form to the uploads bucket from the API's origins.
            upload_origins=rest_api_settings.allowed_origins,
            tags=tags,
        ),
    )
    media = MediaPipeline(
        "media",
        MediaPipelineArgs(
            context=context,
            uploads=upload_settings,
            thumbnails=thumbnail_settings,
            allowed_origins=rest_api_settings.allowed_origins,
            uploads_bucket_name=delivery.uploads.name,
            uploads_bucket_arn=delivery.uploads.arn,
            media_bucket_name=delivery.media.name,
            media_bucket_arn=delivery.media.arn,
            data_key_arn=keys.data.arn,
            media_key_arn=delivery.content_key.arn,
            logs_key_arn=keys.logs.arn,
            tags=tags,
        ),
    )

    timelines = Timelines(
        "timelines",
        TimelinesArgs(context=context, settings=timeline_settings, data_key_arn=keys.data.arn, tags=tags),
    )
    graph_api, auth_triggers = graph_functions(
        context, functions_settings, identity_settings, keys, network, graph, timelines, tags
    )
    identity = Identity(
        "identity",
        IdentityArgs(
            context=context,
            settings=identity_settings,
            trigger_function_arn=auth_triggers.function.arn,
            trigger_function_name=auth_triggers.function.name,
            uploads_bucket_arn=delivery.uploads.arn,
            uploads_key_arn=keys.data.arn,
            tags=tags,
        ),
    )

    api = GraphqlApi(
        "graphql",
        GraphqlApiArgs(
            context=context,
            settings=api_settings,
            user_pool_id=identity.user_pool.id,
            resolver_function_arn=graph_api.function.arn,
            logs_key_arn=keys.logs.arn,
            external_fields=DEVICE_FIELDS,
            tags=tags,
        ),
    )
    # One regional ACL for the stack's regional endpoints (the REST API's stage joins it).
    firewall = WebFirewall(
        "firewall",
        WebFirewallArgs(
            context=context,
            settings=firewall_settings,
            scope="REGIONAL",
            resource_arns=[api.api.arn],
            logs_key_arn=keys.logs.arn,
            tags=tags,
        ),
    )
    rest_api = RestApi(
        "rest-api",
        RestApiArgs(
            context=context,
            settings=rest_api_settings,
            user_pool_arn=identity.user_pool.arn,
            upload_function_name=media.upload_url.function.name,
            upload_function_invoke_arn=media.upload_url.function.invoke_arn,
            content_types=upload_settings.allowed_content_types,
            min_bytes=upload_settings.min_bytes,
            max_bytes=upload_settings.max_bytes,
            # The stack's one regional ACL guards both regional endpoints.
            web_acl_arn=firewall.web_acl.arn,
            logs_key_arn=keys.logs.arn,
            tags=tags,
        ),
    )

    notifications = Notifications(
        "notifications",
        NotificationsArgs(
            context=context,
            settings=notification_settings,
            graph=GraphEndpoints(
                writer_endpoint=graph.cluster.endpoint,
                reader_endpoint=graph.cluster.reader_endpoint,
                port=NEPTUNE_PORT,  # the port GraphDatabase configures on the cluster
                cluster_resource_id=graph.cluster.cluster_resource_id,
            ),
            graphql_api_arn=api.api.arn,
            graphql_url=api.api.uris["GRAPHQL"],
            subnet_ids=[subnet.id for subnet in network.subnets],
            lambda_security_group_id=network.lambda_security_group.id,
            data_key_arn=keys.data.arn,
            logs_key_arn=keys.logs.arn,
            timelines=timelines,
            apns_signing_key=apns_key,
            fcm_service_account=fcm_account,
            tags=tags,
        ),
    )
    api.attach_lambda_fields("devices", notifications.devices.function.arn, "the device registry function")
    credentials = {
        role: value for role, value in (("apns-signing-key", apns_key), ("fcm-service-account", fcm_account)) if value
    }
    if credentials:
        Secrets(
            "secrets",
            SecretsArgs(
                context=context, settings=secrets_settings, values=credentials, data_key_arn=keys.data.arn, tags=tags
            ),
        )

    functions = {
        "graph-api": graph_api,
        "auth-triggers": auth_triggers,
        "stream-poller": notifications.poller,
        "notifier": notifications.notifier,
        "devices": notifications.devices,
        "upload-url": media.upload_url,
        "thumbnailer": media.thumbnailer,
    }
    # Account-level singleton: only the stack whose config says so creates the trail.
    audit = (
        AuditTrail(
            "audit",
            AuditTrailArgs(
                context=context,
                settings=audit_settings,
                audit_key_arn=keys.audit.arn,
                logs_key_arn=keys.logs.arn,
                # The app's buckets, and the Config history: who reads it is audit evidence too.
                data_event_bucket_arns=[
                    delivery.uploads.arn,
                    delivery.media.arn,
                    *([delivery_bucket_arn(context)] if compliance_settings.create_recorder else []),
                ],
                data_event_function_arns=[function.function.arn for function in functions.values()],
                tags=tags,
            ),
        )
        if audit_settings.create
        else None
    )

    # The recorder is an account-level singleton too; the rules are this stack's own.
    Compliance(
        "compliance",
        ComplianceArgs(
            context=context,
            settings=compliance_settings,
            audit_key_arn=keys.audit.arn,
            access_log_bucket=audit.access_log_bucket.id if audit is not None else None,
            tags=tags,
        ),
    )
    observability = Observability(
        "observability",
        ObservabilityArgs(
            context=context,
            settings=observability_settings,
            alarm_key_arn=keys.audit.arn,
            logs_key_arn=keys.logs.arn,
            neptune_cluster=WatchedNeptuneCluster(
                cluster_identifier=graph.cluster.cluster_identifier,
                instance_identifiers=[instance.identifier for instance in graph.instances],
                serverless_max_capacity=(
                    graph_settings.serverless.max_capacity if graph_settings.serverless is not None else None
                ),
            ),
            functions=[
                WatchedFunction(label=label, function_name=function.function.name)
                for label, function in functions.items()
            ],
            queues=[WatchedQueue(label="notification-events", queue_name=notifications.queue.name)],
            dead_letter_queues=[
                WatchedQueue(label="notification-events-dlq", queue_name=notifications.dead_letter_queue.name),
                *(
                    WatchedQueue(label=f"{label}-dlq", queue_name=function.dead_letter_queue.name)
                    for label, function in functions.items()
                    if function.dead_letter_queue is not None
                ),
            ],
            graphql_apis=[WatchedGraphqlApi(label="graphql", api_id=api.api.id)],
            rest_api_stages=[
                WatchedRestStage(
                    label="uploads-api", api_name=rest_api.rest_api.name, stage_name=rest_api.stage.stage_name
                )
            ],
            web_acls=[
                WatchedWebAcl(label="regional", web_acl_name=firewall.web_acl.name, scope="REGIONAL"),
                WatchedWebAcl(label="cloudfront", web_acl_name=delivery.firewall.web_acl.name, scope="CLOUDFRONT"),
            ],
            custom_metric_alarms=stream_alarms(observability_settings),
            trail_log_group_name=audit.log_group.name if audit is not None else None,
            edge_key_deletion_window_days=keys_args.deletion_window_days,
            edge_key_protect=keys_args.protect,
            tags=tags,
        ),
    )

    pulumi.export("vpcId", network.vpc.id)
    pulumi.export("privateSubnetIds", [subnet.id for subnet in network.subnets])
    pulumi.export("availabilityZones", network.zones)
    pulumi.export("lambdaSecurityGroupId", network.lambda_security_group.id)
    pulumi.export("neptuneWriterEndpoint", graph.cluster.endpoint)
    pulumi.export("neptuneReaderEndpoint", graph.cluster.reader_endpoint)
    pulumi.export("neptunePort", graph.cluster.port)
    pulumi.export("neptuneClusterResourceId", graph.cluster.cluster_resource_id)
    pulumi.export("keyArns", {"data": keys.data.arn, "logs": keys.logs.arn, "audit": keys.audit.arn})
    pulumi.export("userPoolId", identity.user_pool.id)
    pulumi.export("userPoolClientId", identity.client.id)
    pulumi.export("identityPoolId", identity.identity_pool.id)
    pulumi.export("graphqlUrl", api.api.uris["GRAPHQL"])
    pulumi.export("graphqlApiId", api.api.id)
    pulumi.export("webAclArn", firewall.web_acl.arn)
    pulumi.export("notificationQueueUrl", notifications.queue.url)
    pulumi.export("distributionDomainName", delivery.distribution.domain_name)
    pulumi.export(
        "bucketNames",
        {
            "static": delivery.static.name,
            "uploads": delivery.uploads.name,
            "media": delivery.media.name,
            "logs": delivery.logs.name,
        },
    )
    pulumi.export("restApiUrl", rest_api.url)
    if audit is not None:
        pulumi.export("trailArn", audit.trail.arn)
    pulumi.export("alarmTopicArn", observability.topic.arn)
    if observability.dashboard is not None:
        pulumi.export("dashboardName", observability.dashboard.dashboard_name)


main()
