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
from components.context import DeploymentContext
from components.graph_database import GraphDatabase, GraphDatabaseArgs, GraphDatabaseSettings
from components.keys import Keys, KeysArgs
from components.network import Network, NetworkArgs, NetworkSettings
from components.observability import (
    Observability,
    ObservabilityArgs,
    ObservabilitySettings,
    WatchedNeptuneCluster,
)
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

    # Account-level singleton: only the stack whose config says so creates the trail.
    audit = (
        AuditTrail(
            "audit",
            AuditTrailArgs(
                context=context,
                settings=audit_settings,
                audit_key_arn=keys.audit.arn,
                logs_key_arn=keys.logs.arn,
                # Who reads the Config history is audit evidence too. The uploads and
                # media buckets join here when the media pipeline lands.
                data_event_bucket_arns=[delivery_bucket_arn(context)] if compliance_settings.create_recorder else [],
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
            trail_log_group_name=audit.log_group.name if audit is not None else None,
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
    if audit is not None:
        pulumi.export("trailArn", audit.trail.arn)
    pulumi.export("alarmTopicArn", observability.topic.arn)
    if observability.dashboard is not None:
        pulumi.export("dashboardName", observability.dashboard.dashboard_name)


main()
