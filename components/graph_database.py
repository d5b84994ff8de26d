"""The Neptune cluster that holds the social graph."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

# The handlers' own contract (functions/ is on sys.path: see components/__init__.py).
from shared.environment import NeptuneSettings

from components.context import DeploymentContext
from components.log_group import log_group
from components.validation import ArgsError, require_int_range, require_log_retention
from offline.flows.model import Flow

#: The one port of the cluster: its security group rules, the cluster itself and every
#: client's ``NEPTUNE_PORT`` come from here.
NEPTUNE_PORT = 8182
#: Neptune user guide, "IAM actions for accessing data in Amazon Neptune"
#: (https://docs.aws.amazon.com/neptune/latest/userguide/iam-dp-actions.html): the query actions
#: (reads, CREATE/MERGE/SET writes, DELETE) each carry the action context key
#: ``neptune-db:QueryLanguage``; ``GetStreamRecords`` (the Streams API) is no query and does not.
QUERY_ACTIONS = ("neptune-db:ReadDataViaQuery", "neptune-db:WriteDataViaQuery", "neptune-db:DeleteDataViaQuery")
STREAM_ACTION = "neptune-db:GetStreamRecords"
#: Neptune user guide, "IAM condition keys for accessing data in Amazon Neptune"
#: (https://docs.aws.amazon.com/neptune/latest/userguide/iam-data-condition-keys.html):
#: ``neptune-db:QueryLanguage`` (its one service-specific key) grants access only when the named
#: query language is used. Every client gets openCypher (the graph repository's language), never
#: Gremlin or SPARQL.
OPENCYPHER: Mapping[str, str] = {"neptune-db:QueryLanguage": "opencypher"}
NEPTUNE_DATA_ACTIONS_DOC = "https://docs.aws.amazon.com/neptune/latest/userguide/iam-dp-actions.html"
ENGINE_VERSION = re.compile(r"^1\.(\d+)\.(\d+)\.(\d+)$")
INSTANCE_CLASS = re.compile(r"^db\.(serverless|[a-z0-9]+\.[a-z0-9]+)$")
BACKUP_WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
MAINTENANCE_WINDOW = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$"
)
SERVERLESS_CLASS = "db.serverless"


@dataclass(frozen=True, kw_only=True)
class ServerlessScaling:
    """Neptune Serverless v2 capacity range in NCUs (AWS: 1-128, steps of 0.5)."""

    min_capacity: float
    max_capacity: float

    def __post_init__(self) -> None:
        for name in ("min_capacity", "max_capacity"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 128 or value * 2 % 1:
                raise ArgsError(name, f"must be between 1 and 128 NCUs in steps of 0.5, got {value!r}")
        if self.min_capacity > self.max_capacity:
            raise ArgsError("min_capacity", f"{self.min_capacity} is above the maximum capacity {self.max_capacity}")


@dataclass(frozen=True, kw_only=True)
class GraphDatabaseSettings:
    """The cluster's configurable shape (``<project>:graphDb`` in the stack config)."""

    engine_version: str = "1.4.5.1"
    instance_class: str = "db.r6g.large"
    instance_count: int = 2
    #: Require two or more instances (in distinct AZs) so a zone failure fails over.
    require_multi_az: bool = True
    serverless: ServerlessScaling | None = None
    backup_retention_days: int = 7
    preferred_backup_window: str = "02:00-03:00"
    preferred_maintenance_window: str = "sun:03:30-sun:04:30"
    deletion_protection: bool = True
    #: Take a final snapshot when the cluster is deleted.
    final_snapshot: bool = True
    #: Pulumi ``protect``: refuse to delete the cluster from the program at all.
    protect: bool = True
    audit_log_retention_days: int = 365
    #: How long Neptune keeps change records for the stream poller (AWS: 1-90 days).
    streams_expiry_days: int = 7
    query_timeout_ms: int = 120_000
    apply_immediately: bool = False

    def __post_init__(self) -> None:
        match = ENGINE_VERSION.match(self.engine_version)
        if match is None or int(match.group(1)) < 2:
            raise ArgsError(
                "engine_version",
                f"must be a pinned Neptune engine version 1.2.0.0 or later such as 1.4.5.1, got {self.engine_version!r}",
            )
        if not INSTANCE_CLASS.match(self.instance_class):
            raise ArgsError(
                "instance_class",
                f"must be a Neptune instance class such as db.r6g.large or db.serverless, got {self.instance_class!r}",
            )
        if (self.serverless is not None) != (self.instance_class == SERVERLESS_CLASS):
            raise ArgsError(
                "serverless",
                f"serverless scaling and instance class {SERVERLESS_CLASS} go together (instance_class is {self.instance_class!r})",
            )
        require_int_range("instance_count", self.instance_count, 1, 16)
        if self.require_multi_az and self.instance_count < 2:
            raise ArgsError(
                "instance_count", f"must be at least 2 when require_multi_az is set, got {self.instance_count}"
            )
        require_int_range("backup_retention_days", self.backup_retention_days, 1, 35)
        if not BACKUP_WINDOW.match(self.preferred_backup_window):
            raise ArgsError(
                "preferred_backup_window", f"must look like hh:mm-hh:mm (UTC), got {self.preferred_backup_window!r}"
            )
        if not MAINTENANCE_WINDOW.match(self.preferred_maintenance_window):
            raise ArgsError(
                "preferred_maintenance_window",
                f"must look like ddd:hh:mm-ddd:hh:mm (UTC), got {self.preferred_maintenance_window!r}",
            )
        require_log_retention("audit_log_retention_days", self.audit_log_retention_days)
        require_int_range("streams_expiry_days", self.streams_expiry_days, 1, 90)
        require_int_range("query_timeout_ms", self.query_timeout_ms, 10, 2_147_483_647)

    @property
    def parameter_group_family(self) -> str:
        major, minor = self.engine_version.split(".")[:2]
        return f"neptune{major}.{minor}"

    def check_fits(self, zone_count: int) -> None:
        """Each instance is pinned to a distinct AZ, so there must be enough of them."""
        if self.instance_count > zone_count:
            raise ArgsError(
                "instance_count",
                f"{self.instance_count} instances need {self.instance_count} distinct AZs but the network spans {zone_count}",
            )


@dataclass(frozen=True, kw_only=True)
class GraphAccess:
    """What a client of the graph is handed: where to connect (its ``NeptuneSettings``
    environment section) and what IAM lets it do there (statements and runtime flows on the
    cluster's data ARN, openCypher only). Every graph client takes both from here."""

    context: DeploymentContext
    writer_endpoint: pulumi.Input[str]
    reader_endpoint: pulumi.Input[str]
    #: ``neptune-db:`` actions name the cluster by its resource id, not its ARN.
    cluster_resource_id: pulumi.Input[str]
    port: int = NEPTUNE_PORT

    @property
    def data_arn(self) -> pulumi.Output[str]:
        """The data resource of every ``neptune-db:`` action on this cluster (Neptune user guide,
        "Specifying data resources in IAM data-access policies")."""
        return pulumi.Output.concat(self.context.arn("neptune-db", ""), self.cluster_resource_id, "/*")

    @property
    def environment(self) -> NeptuneSettings[pulumi.Input[str]]:
        """The client's Neptune environment section (``NEPTUNE_WRITER_ENDPOINT``, ...)."""
        return NeptuneSettings(
            writer_endpoint=self.writer_endpoint, reader_endpoint=self.reader_endpoint, port=self.port
        )

    def query_statement(self, sid: str, actions: Sequence[str]) -> dict[str, object]:
        """Allow ``actions`` (query actions only) on this cluster, for openCypher queries only."""
        unknown = [action for action in actions if action not in QUERY_ACTIONS]
        if not actions or unknown:
            raise ArgsError("actions", f"must be query actions among {', '.join(QUERY_ACTIONS)}, got {list(actions)}")
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": list(actions),
            "Resource": [self.data_arn],
            "Condition": {"StringEqualsIgnoreCase": dict(OPENCYPHER)},
        }

    def stream_statement(self, sid: str) -> dict[str, object]:
        """Allow reading Neptune Streams of this cluster (no query language applies)."""
        return {"Sid": sid, "Effect": "Allow", "Action": [STREAM_ACTION], "Resource": [self.data_arn]}

    def query_flows(self, caller: pulumi.Input[str], function: str, purposes: Mapping[str, str]) -> list[Flow]:
        """The runtime flows of a client's openCypher calls: one per query action, with its purpose."""
        return [
            Flow(
                caller=caller,
                action=action,
                resource=self.data_arn,
                context=dict(OPENCYPHER),
                purpose=purpose,
                doc=NEPTUNE_DATA_ACTIONS_DOC,
                function=function,
            )
            for action, purpose in purposes.items()
        ]


@dataclass(frozen=True, kw_only=True)
class GraphDatabaseArgs:
    context: DeploymentContext
    settings: GraphDatabaseSettings
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    #: The AZ of each subnet, in the same order; instance ``i`` is pinned to ``zones[i]``.
    zones: Sequence[str]
    #: Security group of the only clients (the in-VPC Lambdas): the sole source on 8182.
    client_security_group_id: pulumi.Input[str]
    data_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.subnet_ids) != len(self.zones):
            raise ArgsError("zones", f"{len(self.zones)} zones given for {len(self.subnet_ids)} subnets")
        # Whether the instances fit the zones is a cross-section check of the stack config
        # (graphDb against network), made once by components/config_loader.py before anything exists.


class GraphDatabase(pulumi.ComponentResource):
    """Neptune cluster: encrypted with the data key, IAM database auth, audit log on and
    exported, streams on for the poller, backups, deletion protection, a final snapshot,
    one instance per AZ, reachable on 8182 only from the client security group."""

    cluster: aws.neptune.Cluster
    instances: list[aws.neptune.ClusterInstance]
    security_group: aws.ec2.SecurityGroup
    cluster_parameter_group: aws.neptune.ClusterParameterGroup
    cluster_identifier: str
    settings: GraphDatabaseSettings
    #: What every client of the graph gets (endpoints, port, IAM grant, flows).
    access: GraphAccess

    def __init__(self, name: str, args: GraphDatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social-backend:graphdb:GraphDatabase", name, None, opts)
        ctx, settings = args.context, args.settings
        self.settings = settings
        child = pulumi.ResourceOptions(parent=self)
        self.cluster_identifier = f"{ctx.prefix}-graph"

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="Neptune: openCypher over HTTPS on 8182 from the Lambda security group only",
            tags={**args.tags, "Name": f"{ctx.prefix}-neptune"},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-ingress-from-clients",
            security_group_id=self.security_group.id,
            referenced_security_group_id=args.client_security_group_id,
            ip_protocol="tcp",
            from_port=NEPTUNE_PORT,
            to_port=NEPTUNE_PORT,
            description="Neptune HTTPS from the Lambda security group",
            tags=dict(args.tags),
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-client-egress-to-neptune",
            security_group_id=args.client_security_group_id,
            referenced_security_group_id=self.security_group.id,
            ip_protocol="tcp",
            from_port=NEPTUNE_PORT,
            to_port=NEPTUNE_PORT,
            description="Neptune HTTPS to the graph database",
            tags=dict(args.tags),
            opts=child,
        )

        subnet_group = aws.neptune.SubnetGroup(
            f"{name}-subnets",
            name=f"{ctx.prefix}-graph",
            description="Private subnets of the stack's VPC, one per AZ",
            subnet_ids=list(args.subnet_ids),
            tags=dict(args.tags),
            opts=child,
        )
        self.cluster_parameter_group = aws.neptune.ClusterParameterGroup(
            f"{name}-cluster-params",
            name=f"{ctx.prefix}-graph-cluster",
            family=settings.parameter_group_family,
            description="Audit log and streams on, TLS enforced",
            parameters=[
                # The log export alone ships nothing: audit logging must be on here.
                aws.neptune.ClusterParameterGroupParameterArgs(
                    name="neptune_enable_audit_log", value="1", apply_method="pending-reboot"
                ),
                aws.neptune.ClusterParameterGroupParameterArgs(
                    name="neptune_streams", value="1", apply_method="pending-reboot"
                ),
                aws.neptune.ClusterParameterGroupParameterArgs(
                    name="neptune_streams_expiry_days",
                    value=str(settings.streams_expiry_days),
                    apply_method="pending-reboot",
                ),
                aws.neptune.ClusterParameterGroupParameterArgs(
                    name="neptune_enforce_ssl", value="1", apply_method="pending-reboot"
                ),
            ],
            tags=dict(args.tags),
            opts=child,
        )
        instance_parameter_group = aws.neptune.ParameterGroup(
            f"{name}-instance-params",
            name=f"{ctx.prefix}-graph-instance",
            family=settings.parameter_group_family,
            description="Query timeout for the graph API",
            parameters=[
                aws.neptune.ParameterGroupParameterArgs(
                    name="neptune_query_timeout", value=str(settings.query_timeout_ms), apply_method="pending-reboot"
                ),
            ],
            tags=dict(args.tags),
            opts=child,
        )
        # Declared so retention and KMS apply; Neptune would otherwise create it bare.
        audit_log_group = log_group(
            f"{name}-audit-logs",
            group_name=f"/aws/neptune/{self.cluster_identifier}/audit",
            retention_days=settings.audit_log_retention_days,
            kms_key_arn=args.logs_key_arn,
            tags=args.tags,
            parent=self,
        )

        self.cluster = aws.neptune.Cluster(
            f"{name}-cluster",
            cluster_identifier=self.cluster_identifier,
            engine="neptune",
            engine_version=settings.engine_version,
            port=NEPTUNE_PORT,
            storage_encrypted=True,
            kms_key_arn=args.data_key_arn,
            iam_database_authentication_enabled=True,
            enable_cloudwatch_logs_exports=["audit"],
            neptune_cluster_parameter_group_name=self.cluster_parameter_group.name,
            neptune_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[self.security_group.id],
            backup_retention_period=settings.backup_retention_days,
            preferred_backup_window=settings.preferred_backup_window,
            preferred_maintenance_window=settings.preferred_maintenance_window,
            copy_tags_to_snapshot=True,
            deletion_protection=settings.deletion_protection,
            skip_final_snapshot=not settings.final_snapshot,
            final_snapshot_identifier=f"{self.cluster_identifier}-final" if settings.final_snapshot else None,
            serverless_v2_scaling_configuration=(
                aws.neptune.ClusterServerlessV2ScalingConfigurationArgs(
                    min_capacity=settings.serverless.min_capacity, max_capacity=settings.serverless.max_capacity
                )
                if settings.serverless is not None
                else None
            ),
            apply_immediately=settings.apply_immediately,
            tags={**args.tags, "Name": self.cluster_identifier},
            opts=pulumi.ResourceOptions(parent=self, protect=settings.protect, depends_on=[audit_log_group]),
        )

        self.instances = [
            aws.neptune.ClusterInstance(
                f"{name}-instance-{index}",
                identifier=f"{self.cluster_identifier}-{index}",
                cluster_identifier=self.cluster.id,
                engine="neptune",
                instance_class=settings.instance_class,
                availability_zone=zone,
                # Tier 0 first: the instance failed over to is the next one in AZ order.
                promotion_tier=index,
                neptune_parameter_group_name=instance_parameter_group.name,
                neptune_subnet_group_name=subnet_group.name,
                auto_minor_version_upgrade=True,
                publicly_accessible=False,
                apply_immediately=settings.apply_immediately,
                tags={**args.tags, "Name": f"{self.cluster_identifier}-{index}"},
                opts=child,
            )
            for index, zone in enumerate(args.zones[: settings.instance_count])
        ]
        self.access = GraphAccess(
            context=ctx,
            writer_endpoint=self.cluster.endpoint,
            reader_endpoint=self.cluster.reader_endpoint,
            cluster_resource_id=self.cluster.cluster_resource_id,
        )
        self.register_outputs(
            {
                "writerEndpoint": self.cluster.endpoint,
                "readerEndpoint": self.cluster.reader_endpoint,
                "port": self.cluster.port,
                "clusterResourceId": self.cluster.cluster_resource_id,
            }
        )
