"""The social-engagement backend: the components, built in dependency order.

The whole stack config is read and checked first (components/config_loader.py), so a bad
value stops ``pulumi up`` with a one-line error and nothing half-created. The program
never branches on the stack's name: stacks differ only in their config values.
"""

from __future__ import annotations

import pulumi

from components.audit_trail import AuditTrail, AuditTrailArgs
from components.compliance import Compliance, ComplianceArgs, delivery_bucket_arn
from components.config_loader import load_stack_config
from components.content_delivery import ContentDelivery, ContentDeliveryArgs
from components.graph_database import GraphDatabase, GraphDatabaseArgs
from components.graph_functions import GraphFunctionsArgs, graph_functions
from components.graphql_api import GraphqlApi, GraphqlApiArgs
from components.identity import Identity, IdentityArgs
from components.keys import Keys
from components.media_pipeline import MediaPipeline, MediaPipelineArgs
from components.network import Network, NetworkArgs
from components.notifications import Notifications, NotificationsArgs
from components.observability import Observability, ObservabilityArgs
from components.rest_api import RestApi, RestApiArgs
from components.secrets import Secrets, SecretsArgs
from components.web_firewall import WebFirewall, WebFirewallArgs

#: Resolved by the device registry function (outside the VPC: it calls SNS), not graph_api.
DEVICE_FIELDS = ("Mutation.registerDevice", "Mutation.unregisterDevice")


def main() -> None:
    stack = load_stack_config(pulumi.Config())
    context, tags, settings = stack.context, stack.tags, stack.settings
    keys = Keys("keys", settings.keys)
    network = Network(
        "network",
        NetworkArgs(
            context=context, settings=settings.network, zones=stack.zones, logs_key_arn=keys.logs.arn, tags=tags
        ),
    )
    graph = GraphDatabase(
        "graph",
        GraphDatabaseArgs(
            context=context,
            settings=settings.graph_db,
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
            settings=settings.content_delivery,
            data_key_arn=keys.data.arn,
            raw_upload_expiry_days=settings.uploads.raw_expiry_days,
            rejected_upload_expiry_days=settings.uploads.rejected_expiry_days,
            key_deletion_window_days=settings.keys.deletion_window_days,
            key_rotation_period_days=settings.keys.rotation_period_days,
            # Browsers POST the presigned form to the uploads bucket from the API's origins.
            upload_origins=settings.rest_api.allowed_origins,
            tags=tags,
        ),
    )
    media = MediaPipeline(
        "media",
        MediaPipelineArgs(
            context=context,
            uploads=settings.uploads,
            thumbnails=settings.thumbnails,
            functions=settings.functions,
            allowed_origins=settings.rest_api.allowed_origins,
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
    graph_api, auth_triggers = graph_functions(
        GraphFunctionsArgs(
            context=context,
            functions=settings.functions,
            identity=settings.identity,
            graph=graph.access,
            network=network,
            logs_key_arn=keys.logs.arn,
            data_key_arn=keys.data.arn,
            tags=tags,
        )
    )
    identity = Identity(
        "identity",
        IdentityArgs(
            context=context,
            settings=settings.identity,
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
            settings=settings.graphql_api,
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
            settings=settings.web_firewall,
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
            settings=settings.rest_api,
            user_pool_arn=identity.user_pool.arn,
            upload_function_name=media.upload_url.function.name,
            upload_function_invoke_arn=media.upload_url.function.invoke_arn,
            content_types=settings.uploads.allowed_content_types,
            min_bytes=settings.uploads.min_bytes,
            max_bytes=settings.uploads.max_bytes,
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
            settings=settings.notifications,
            functions=settings.functions,
            graph=graph.access,
            graphql_api_arn=api.api.arn,
            graphql_url=api.api.uris["GRAPHQL"],
            subnet_ids=[subnet.id for subnet in network.subnets],
            lambda_security_group_id=network.lambda_security_group.id,
            data_key_arn=keys.data.arn,
            logs_key_arn=keys.logs.arn,
            apns_signing_key=stack.apns_signing_key,
            fcm_service_account=stack.fcm_service_account,
            tags=tags,
        ),
    )
    api.attach_lambda_fields("devices", notifications.devices.function.arn, "the device registry function")
    credentials = stack.push_credentials
    if credentials:
        Secrets(
            "secrets",
            SecretsArgs(
                context=context, settings=settings.secrets, values=credentials, data_key_arn=keys.data.arn, tags=tags
            ),
        )
    functions = [
        graph_api,
        auth_triggers,
        notifications.poller,
        notifications.notifier,
        notifications.devices,
        media.upload_url,
        media.thumbnailer,
    ]
    # Account-level singleton: only the stack whose config says so creates the trail.
    audit = (
        AuditTrail(
            "audit",
            AuditTrailArgs(
                context=context,
                settings=settings.audit_trail,
                audit_key_arn=keys.audit.arn,
                logs_key_arn=keys.logs.arn,
                # The app's buckets, and the Config history: who reads it is audit evidence too.
                data_event_bucket_arns=[
                    delivery.uploads.arn,
                    delivery.media.arn,
                    *([delivery_bucket_arn(context)] if settings.compliance.create_recorder else []),
                ],
                data_event_function_arns=[function.function.arn for function in functions],
                tags=tags,
            ),
        )
        if settings.audit_trail.create
        else None
    )
    # The recorder is an account-level singleton too; the rules are this stack's own.
    Compliance(
        "compliance",
        ComplianceArgs(
            context=context,
            settings=settings.compliance,
            audit_key_arn=keys.audit.arn,
            access_log_bucket=audit.access_log_bucket.id if audit is not None else None,
            tags=tags,
        ),
    )
    observability = Observability(
        "observability",
        ObservabilityArgs(
            context=context,
            settings=settings.observability,
            alarm_key_arn=keys.audit.arn,
            logs_key_arn=keys.logs.arn,
            graph_database=graph,
            functions=functions,
            notifications=notifications,
            graphql_api=api,
            rest_api=rest_api,
            regional_firewall=firewall,
            cloudfront_firewall=delivery.firewall,
            trail=audit,
            edge_key_deletion_window_days=settings.keys.deletion_window_days,
            edge_key_protect=settings.keys.protect,
            tags=tags,
        ),
    )
    export_outputs(
        network, graph, keys, identity, api, firewall, notifications, delivery, rest_api, audit, observability
    )


def export_outputs(
    network: Network,
    graph: GraphDatabase,
    keys: Keys,
    identity: Identity,
    api: GraphqlApi,
    firewall: WebFirewall,
    notifications: Notifications,
    delivery: ContentDelivery,
    rest_api: RestApi,
    audit: AuditTrail | None,
    observability: Observability,
) -> None:
    """The stack outputs the app's clients and operators read."""
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
