"""Neptune: docs/controls.md rows 1-14 and the Neptune joins of gap 7.3."""

from __future__ import annotations

from collections.abc import Iterator

from policies.core import (
    COMPLIANCE,
    SECURITY,
    Param,
    Res,
    Settings,
    Stack,
    StackFinding,
    guarded,
    resource_rule,
    stack_rule,
)
from policies.rules._helpers import require_true

CLUSTER = "aws:neptune/cluster:Cluster"
INSTANCE = "aws:neptune/clusterInstance:ClusterInstance"
CLUSTER_PG = "aws:neptune/clusterParameterGroup:ClusterParameterGroup"
SNAPSHOT = "aws:neptune/clusterSnapshot:ClusterSnapshot"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
NEPTUNE_PORT = 8182

require_true(
    "neptune-cluster-storage-encrypted",
    path="storageEncrypted",
    what="cluster storage is not encrypted at rest",
    pack=SECURITY,
    types=[CLUSTER],
    description="Neptune clusters encrypt storage at rest (the provider default is unencrypted).",
    severity="critical",
    remediation="Set storage_encrypted=True and kms_key_arn to a customer-managed key (needs a new cluster).",
    category="encryption",
    rows=[1],
    fsbp=["Neptune.1"],
    cdk_nag=["N4"],
    checkov=["CKV_AWS_44"],
)


@resource_rule(
    "neptune-cluster-cmk",
    pack=SECURITY,
    types=[CLUSTER],
    description="Neptune cluster storage is encrypted with a customer-managed KMS key.",
    severity="medium",
    remediation="Pass kms_key_arn=<stack CMK>.arn to the cluster.",
    category="encryption",
    rows=[2],
    checkov=["CKV_AWS_347"],
)
def cluster_cmk(r: Res, _: Settings) -> Iterator[str]:
    if r.get("kmsKeyArn") in (None, ""):
        yield f"{r.label}: no customer-managed key (kmsKeyArn is not set; the AWS-managed key would be used)"


@resource_rule(
    "neptune-cluster-audit-log-export",
    pack=COMPLIANCE,
    types=[CLUSTER],
    description="Neptune clusters export audit logs to CloudWatch Logs.",
    severity="medium",
    remediation='Set enable_cloudwatch_logs_exports=["audit"] (and declare the /aws/neptune/<id>/audit log group).',
    category="logging",
    rows=[3],
    fsbp=["Neptune.2"],
    checkov=["CKV_AWS_101"],
)
def audit_export(r: Res, _: Settings) -> Iterator[str]:
    if "audit" not in r.items("enableCloudwatchLogsExports"):
        yield f"{r.label}: audit logs are not exported (enableCloudwatchLogsExports lacks 'audit')"


def _parameters(group: Res) -> dict[str, str]:
    values: dict[str, str] = {}
    for parameter in group.items("parameters"):
        if isinstance(parameter, dict) and isinstance(parameter.get("name"), str):
            value = parameter.get("value", "")
            if isinstance(value, float | int) and not isinstance(value, bool) and float(value).is_integer():
                value = int(value)
            values[parameter["name"]] = str(value).strip()
    return values


@stack_rule(
    "neptune-parameter-group-audit-and-streams",
    pack=COMPLIANCE,
    description=(
        "The cluster parameter group a Neptune cluster references sets neptune_enable_audit_log=1 "
        "(and neptune_streams=1 when streams are required)."
    ),
    severity="high",
    remediation=(
        "Create an aws.neptune.ClusterParameterGroup with parameters neptune_enable_audit_log=1 and "
        "neptune_streams=1 and pass its name as neptune_cluster_parameter_group_name."
    ),
    category="logging",
    rows=[4],
    other=["gap:7.3"],
    params=[Param("requireStreams", {"type": "boolean"}, True, "also require neptune_streams=1")],
)
def parameter_group(stack: Stack, cfg: Settings) -> Iterator[StackFinding]:
    for cluster in stack.of(CLUSTER):

        def check(cluster: Res = cluster) -> Iterator[str]:
            groups = stack.linked(cluster, "neptuneClusterParameterGroupName", CLUSTER_PG)
            if not groups:
                name = cluster.req("neptuneClusterParameterGroupName")
                yield (
                    f"{cluster.label}: uses {'the default' if not name else repr(name)} cluster parameter group, "
                    "not one declared in this stack, so audit logging and streams cannot be on"
                )
                return
            for group in groups:
                params = _parameters(group)
                if params.get("neptune_enable_audit_log") != "1":
                    yield f"{cluster.label}: parameter group {group.name!r} does not set neptune_enable_audit_log=1"
                if cfg["requireStreams"] and params.get("neptune_streams") != "1":
                    yield f"{cluster.label}: parameter group {group.name!r} does not set neptune_streams=1"

        yield from guarded(cluster, check)


@stack_rule(
    "neptune-snapshot-encrypted",
    pack=SECURITY,
    description="Manual Neptune cluster snapshots come from encrypted clusters with a customer-managed key.",
    severity="high",
    remediation="Only snapshot clusters that have storage_encrypted=True and kms_key_arn set.",
    category="encryption",
    rows=[8],
    fsbp=["Neptune.6"],
    checkov=["CKV_AWS_279", "CKV_AWS_280"],
)
def snapshot_encrypted(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for snapshot in stack.of(SNAPSHOT):

        def check(snapshot: Res = snapshot) -> Iterator[str]:
            clusters = stack.linked(snapshot, "dbClusterIdentifier", CLUSTER)
            if not clusters:
                yield f"{snapshot.label}: its cluster is not in this stack, so its encryption cannot be verified"
            for cluster in clusters:
                if not cluster.flag("storageEncrypted") or cluster.get("kmsKeyArn") in (None, ""):
                    yield f"{snapshot.label}: cluster {cluster.name!r} is not encrypted with a customer-managed key"

        yield from guarded(snapshot, check)


require_true(
    "neptune-cluster-deletion-protection",
    path="deletionProtection",
    what="deletion protection is off",
    pack=COMPLIANCE,
    types=[CLUSTER],
    description="Neptune clusters have deletion protection enabled.",
    severity="medium",
    remediation="Set deletion_protection=True (the stack config key for it must be true in prod).",
    category="resilience",
    rows=[6],
    fsbp=["Neptune.4"],
    checkov=["CKV2_AWS_58"],
)


@resource_rule(
    "neptune-cluster-backup-retention",
    pack=COMPLIANCE,
    types=[CLUSTER],
    description="Neptune automated backups are retained for at least the configured number of days (default 7).",
    severity="medium",
    remediation="Set backup_retention_period to at least the policy's minimumRetentionDays.",
    category="resilience",
    rows=[7],
    fsbp=["Neptune.5"],
    cdk_nag=["N3"],
    checkov=["CKV_AWS_361"],
    params=[Param("minimumRetentionDays", {"type": "integer", "minimum": 1}, 7, "minimum backup retention")],
)
def backup_retention(r: Res, cfg: Settings) -> Iterator[str]:
    days = r.number("backupRetentionPeriod")
    minimum = cfg["minimumRetentionDays"]
    if days is None or days < minimum:
        shown = "not set (AWS keeps 1 day)" if days is None else f"{days:g} days"
        yield f"{r.label}: backup retention is {shown}; at least {minimum} days required"


require_true(
    "neptune-cluster-iam-auth",
    path="iamDatabaseAuthenticationEnabled",
    what="IAM database authentication is off",
    pack=SECURITY,
    types=[CLUSTER],
    description="Neptune clusters require IAM database authentication (SigV4).",
    severity="high",
    remediation="Set iam_database_authentication_enabled=True and grant neptune-db:* actions per cluster resource id.",
    category="least-privilege",
    rows=[9],
    fsbp=["Neptune.7"],
    cdk_nag=["N5"],
    checkov=["CKV_AWS_359"],
)

require_true(
    "neptune-cluster-copy-tags-to-snapshot",
    path="copyTagsToSnapshot",
    what="tags are not copied to snapshots",
    pack=COMPLIANCE,
    types=[CLUSTER],
    description="Neptune clusters copy their tags to snapshots.",
    severity="low",
    remediation="Set copy_tags_to_snapshot=True.",
    category="hygiene",
    rows=[10],
    fsbp=["Neptune.8"],
    checkov=["CKV_AWS_362"],
)


@stack_rule(
    "neptune-multi-az-instances",
    pack=COMPLIANCE,
    description="Each Neptune cluster has instances in at least two distinct Availability Zones.",
    severity="high",
    remediation="Create at least two aws.neptune.ClusterInstance resources with distinct availability_zone values.",
    category="resilience",
    rows=[11],
    fsbp=["Neptune.9"],
    cdk_nag=["N1"],
    other=["gap:7.3"],
    params=[Param("minimumZones", {"type": "integer", "minimum": 1}, 2, "distinct AZs required")],
)
def multi_az(stack: Stack, cfg: Settings) -> Iterator[StackFinding]:
    for cluster in stack.of(CLUSTER):

        def check(cluster: Res = cluster) -> Iterator[str]:
            instances = stack.referrers(cluster, "clusterIdentifier", INSTANCE)
            zones = set()
            unplaced = []
            for instance in instances:
                zone = instance.req("availabilityZone")
                if zone:
                    zones.add(zone)
                else:
                    unplaced.append(instance.name)
            if len(zones) < cfg["minimumZones"]:
                detail = f"; instances without an explicit availability_zone: {', '.join(unplaced)}" if unplaced else ""
                yield (
                    f"{cluster.label}: {len(instances)} instance(s) in {len(zones)} distinct AZ(s) "
                    f"({', '.join(sorted(zones)) or 'none known'}); at least {cfg['minimumZones']} required{detail}"
                )

        yield from guarded(cluster, check)


require_true(
    "neptune-instance-auto-minor-upgrade",
    path="autoMinorVersionUpgrade",
    what="automatic minor version upgrades are off",
    pack=COMPLIANCE,
    types=[INSTANCE],
    description="Neptune instances take automatic minor engine upgrades.",
    severity="low",
    remediation="Set auto_minor_version_upgrade=True on every cluster instance.",
    category="hygiene",
    rows=[12],
    cdk_nag=["N2"],
)


@resource_rule(
    "neptune-instance-not-public",
    pack=SECURITY,
    types=[INSTANCE],
    description="Neptune instances are explicitly not publicly accessible.",
    severity="critical",
    remediation="Set publicly_accessible=False on every cluster instance.",
    category="network",
    rows=[13],
    checkov=["CKV_AWS_102"],
)
def instance_not_public(r: Res, _: Settings) -> Iterator[str]:
    value = r.req("publiclyAccessible")
    if value is None:
        yield f"{r.label}: publiclyAccessible is not set explicitly to false"
    elif r.flag("publiclyAccessible"):
        yield f"{r.label}: the instance is publicly accessible"


@resource_rule(
    "neptune-cluster-final-snapshot",
    pack=COMPLIANCE,
    types=[CLUSTER],
    description="Deleting a Neptune cluster takes a final snapshot.",
    severity="medium",
    remediation="Set skip_final_snapshot=False and final_snapshot_identifier.",
    category="resilience",
    rows=[14],
)
def final_snapshot(r: Res, _: Settings) -> Iterator[str]:
    if r.flag("skipFinalSnapshot", default=False):
        yield f"{r.label}: skipFinalSnapshot is true, so deleting the cluster loses its data"
    elif r.get("finalSnapshotIdentifier") in (None, ""):
        yield f"{r.label}: finalSnapshotIdentifier is not set"


def _port_range(rule: Res, from_key: str, to_key: str) -> tuple[float | None, float | None]:
    return rule.number(from_key), rule.number(to_key)


@stack_rule(
    "neptune-sg-ingress-from-security-groups",
    pack=SECURITY,
    description=(
        "A Neptune cluster's security groups admit only the cluster port, and only from other security groups "
        "(no CIDR or prefix-list sources)."
    ),
    severity="high",
    remediation=(
        "Give the cluster its own security group and add aws.vpc.SecurityGroupIngressRule resources with "
        "referenced_security_group_id=<client SG> and from_port=to_port=8182."
    ),
    category="network",
    rows=[121],
    other=["gap:7.3"],
)
def sg_ingress(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for cluster in stack.of(CLUSTER):

        def check(cluster: Res = cluster) -> Iterator[str]:
            port = cluster.number("port") or NEPTUNE_PORT
            groups = stack.linked(cluster, "vpcSecurityGroupIds", SG)
            if not groups:
                yield f"{cluster.label}: no security group of this stack is attached (vpcSecurityGroupIds)"
                return
            for group in groups:
                for index, inline in enumerate(group.items("ingress")):
                    yield from _judge_inline(cluster, group, index, inline, port)
                for rule in stack.of(INGRESS_RULE):
                    if stack.refers(rule, "securityGroupId", group):
                        yield from _judge_rule(
                            rule, group, port, "referencedSecurityGroupId", ("cidrIpv4", "cidrIpv6", "prefixListId")
                        )
                for rule in stack.of(SG_RULE):
                    if stack.refers(rule, "securityGroupId", group) and rule.req("type") == "ingress":
                        yield from _judge_rule(
                            rule,
                            group,
                            port,
                            "sourceSecurityGroupId",
                            ("cidrBlocks", "ipv6CidrBlocks", "prefixListIds"),
                        )

        yield from guarded(cluster, check)


def _judge_rule(rule: Res, group: Res, port: float, source_key: str, cidr_keys: tuple[str, ...]) -> Iterator[str]:
    for key in cidr_keys:
        if rule.get(key) not in (None, "", []):
            yield f"{rule.label} on {group.name!r}: admits a CIDR/prefix-list source ({key}); only security groups may reach Neptune"
    if rule.get(source_key) in (None, "") and not rule.get("self"):
        yield f"{rule.label} on {group.name!r}: has no source security group"
    low, high = _port_range(rule, "fromPort", "toPort")
    if low != port or high != port:
        yield f"{rule.label} on {group.name!r}: opens ports {low}-{high}; only {port:g} is allowed"


def _judge_inline(cluster: Res, group: Res, index: int, inline: object, port: float) -> Iterator[str]:
    if not isinstance(inline, dict):
        return
    where = f"{group.label} inline ingress #{index + 1}"
    if inline.get("cidrBlocks") or inline.get("ipv6CidrBlocks") or inline.get("prefixListIds"):
        yield f"{where}: admits CIDR/prefix-list sources to {cluster.name!r}; only security groups may reach Neptune"
    if not inline.get("securityGroups") and not inline.get("self"):
        yield f"{where}: has no source security group"
    if inline.get("fromPort") != port or inline.get("toPort") != port:
        yield f"{where}: opens ports {inline.get('fromPort')}-{inline.get('toPort')}; only {port:g} is allowed"
