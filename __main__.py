"""The social-engagement backend: the only place that reads config.

All config is parsed and validated before the first resource is registered, so a bad
value stops ``pulumi up`` with a one-line error and nothing half-created. The program
never branches on the stack's name: stacks differ only in their config values.
"""

from __future__ import annotations

import re

import pulumi
import pulumi_aws as aws

from components.config_loader import ConfigError, config_error, load_section
from components.context import DeploymentContext
from components.graph_database import NEPTUNE_PORT, GraphDatabase, GraphDatabaseArgs, GraphDatabaseSettings
from components.graphql_api import GraphqlApi, GraphqlApiArgs, GraphqlApiSettings
from components.identity import Identity, IdentityArgs, IdentitySettings
from components.keys import Keys, KeysArgs
from components.network import Network, NetworkArgs, NetworkSettings
from components.notifications import GraphEndpoints, Notifications, NotificationsArgs, NotificationsSettings
from components.python_function import FunctionsSettings, PythonFunction, PythonFunctionArgs, VpcPlacement
from components.secrets import Secrets, SecretsArgs, SecretsSettings
from components.validation import ArgsError
from components.web_firewall import WebFirewall, WebFirewallArgs, WebFirewallSettings

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
    tags: dict[str, str],
) -> tuple[PythonFunction, PythonFunction]:
    """The in-VPC functions that query Neptune: ``graph_api`` and ``auth_triggers``."""
    vpc = VpcPlacement(
        subnet_ids=[subnet.id for subnet in network.subnets],
        security_group_ids=[network.lambda_security_group.id],
    )
    cluster_arn = neptune_data_arn(context, graph)
    port = graph.cluster.port.apply(str)
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
                        "neptune-db:GetQueryStatus",
                    ],
                    cluster_arn,
                )
            ],
            environment={
                "NEPTUNE_WRITER_ENDPOINT": graph.cluster.endpoint,
                "NEPTUNE_READER_ENDPOINT": graph.cluster.reader_endpoint,
                "NEPTUNE_PORT": port,
            },
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
            environment={
                "NEPTUNE_WRITER_ENDPOINT": graph.cluster.endpoint,
                "NEPTUNE_PORT": port,
                "ALLOWED_EMAIL_DOMAINS": ",".join(identity_settings.allowed_email_domains),
                "BLOCKED_EMAIL_DOMAINS": ",".join(identity_settings.blocked_email_domains),
            },
            logs_key_arn=keys.logs.arn,
            data_key_arn=keys.data.arn,
            vpc=vpc,
            tags=tags,
            **settings.auth_triggers.function_args(),
        ),
    )
    return graph_api, auth_triggers


def main() -> None:
    config = pulumi.Config()
    context = deployment_context()
    tags = stack_tags(config)

    keys_args = load_section(config, "keys", KeysArgs, context=context, tags=tags)
    network_settings = load_section(config, "network", NetworkSettings)
    graph_settings = load_section(config, "graphDb", GraphDatabaseSettings)
    functions_settings = load_section(config, "functions", FunctionsSettings)
    identity_settings = load_section(config, "identity", IdentitySettings)
    api_settings = load_section(config, "graphqlApi", GraphqlApiSettings)
    firewall_settings = load_section(config, "webFirewall", WebFirewallSettings)
    notification_settings = load_section(config, "notifications", NotificationsSettings)
    secrets_settings = load_section(config, "secrets", SecretsSettings)
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

    graph_api, auth_triggers = graph_functions(
        context, functions_settings, identity_settings, keys, network, graph, tags
    )
    identity = Identity(
        "identity",
        IdentityArgs(
            context=context,
            settings=identity_settings,
            trigger_function_arn=auth_triggers.function.arn,
            trigger_function_name=auth_triggers.function.name,
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

    pulumi.export("vpcId", network.vpc.id)
    pulumi.export("privateSubnetIds", [subnet.id for subnet in network.subnets])
    pulumi.export("availabilityZones", network.zones)
    pulumi.export("lambdaSecurityGroupId", network.lambda_security_group.id)
    pulumi.export("neptuneWriterEndpoint", graph.cluster.endpoint)
    pulumi.export("neptuneReaderEndpoint", graph.cluster.reader_endpoint)
    pulumi.export("neptunePort", graph.cluster.port)
    pulumi.export("neptuneClusterResourceId", graph.cluster.cluster_resource_id)
    pulumi.export("keyArns", {"data": keys.data.arn, "logs": keys.logs.arn})
    pulumi.export("userPoolId", identity.user_pool.id)
    pulumi.export("userPoolClientId", identity.client.id)
    pulumi.export("identityPoolId", identity.identity_pool.id)
    pulumi.export("graphqlUrl", api.api.uris["GRAPHQL"])
    pulumi.export("graphqlApiId", api.api.id)
    pulumi.export("webAclArn", firewall.web_acl.arn)
    pulumi.export("notificationQueueUrl", notifications.queue.url)


main()
