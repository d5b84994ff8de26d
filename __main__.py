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
from components.content_delivery import ContentDelivery, ContentDeliveryArgs, ContentDeliverySettings
from components.context import DeploymentContext
from components.edge_firewall import EdgeFirewall, EdgeFirewallArgs
from components.graph_database import GraphDatabase, GraphDatabaseArgs, GraphDatabaseSettings
from components.keys import Keys, KeysArgs
from components.media_pipeline import MediaPipeline, MediaPipelineArgs, ThumbnailSettings, UploadSettings
from components.network import Network, NetworkArgs, NetworkSettings
from components.rest_api import RestApi, RestApiArgs, RestApiSettings
from components.validation import ArgsError

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


def main() -> None:
    config = pulumi.Config()
    context = deployment_context()
    tags = stack_tags(config)

    keys_args = load_section(config, "keys", KeysArgs, context=context, tags=tags)
    network_settings = load_section(config, "network", NetworkSettings)
    graph_settings = load_section(config, "graphDb", GraphDatabaseSettings)
    delivery_settings = load_section(config, "contentDelivery", ContentDeliverySettings)
    upload_settings = load_section(config, "uploads", UploadSettings)
    thumbnail_settings = load_section(config, "thumbnails", ThumbnailSettings)
    rest_api_settings = load_section(config, "restApi", RestApiSettings)
    # MERGE PLACEHOLDER (identity): until the identity component lands, the authorizer's user
    # pool comes from config; the lead replaces this with the identity component's pool ARN.
    if rest_api_settings.user_pool_arn is None:
        raise ConfigError(
            f"{config.name}:restApi.userPoolArn: required until the identity component provides the user pool"
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

    delivery = ContentDelivery(
        "content",
        ContentDeliveryArgs(
            context=context,
            settings=delivery_settings,
            data_key_arn=keys.data.arn,
            raw_upload_expiry_days=upload_settings.raw_expiry_days,
            rejected_upload_expiry_days=upload_settings.rejected_expiry_days,
            key_deletion_window_days=keys_args.deletion_window_days,
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
            logs_key_arn=keys.logs.arn,
            tags=tags,
        ),
    )
    # MERGE PLACEHOLDER (web firewall): a minimal regional ACL for the REST API stage. The lead
    # dedupes it with the web_firewall component's regional ACL and passes that ARN instead.
    rest_api_firewall = EdgeFirewall(
        "rest-api-waf",
        EdgeFirewallArgs(
            context=context, settings=delivery_settings.firewall, scope="REGIONAL", role="api",
            logs_key_arn=keys.logs.arn, tags=tags,
        ),
    )  # fmt: skip
    rest_api = RestApi(
        "rest-api",
        RestApiArgs(
            context=context,
            settings=rest_api_settings,
            user_pool_arn=rest_api_settings.user_pool_arn,
            upload_function_name=media.upload_url.function.name,
            upload_function_invoke_arn=media.upload_url.function.invoke_arn,
            content_types=upload_settings.allowed_content_types,
            min_bytes=upload_settings.min_bytes,
            max_bytes=upload_settings.max_bytes,
            web_acl_arn=rest_api_firewall.web_acl.arn,
            logs_key_arn=keys.logs.arn,
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
    pulumi.export("keyArns", {"data": keys.data.arn, "logs": keys.logs.arn})
    pulumi.export("distributionDomainName", delivery.distribution.domain_name)
    pulumi.export(
        "bucketNames",
        {"static": delivery.static.name, "uploads": delivery.uploads.name, "media": delivery.media.name,
         "logs": delivery.logs.name},
    )  # fmt: skip
    pulumi.export("restApiUrl", rest_api.url)


main()
