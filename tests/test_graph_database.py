"""The Neptune cluster of both stacks, driven by each stack's graphDb config."""

from __future__ import annotations

from typing import Any

from offline.runner import ProgramRun
from policies.packconfig import load

CLUSTER = "aws:neptune/cluster:Cluster"
INSTANCE = "aws:neptune/clusterInstance:ClusterInstance"


def test_cluster_security_settings(run: ProgramRun) -> None:
    cluster = run.one(CLUSTER, "graph-cluster").inputs
    assert cluster["storageEncrypted"] is True
    assert cluster["kmsKeyArn"] == run.one("aws:kms/key:Key", "keys-data").state["arn"]
    assert cluster["iamDatabaseAuthenticationEnabled"] is True
    assert cluster["enableCloudwatchLogsExports"] == ["audit"]
    assert cluster["copyTagsToSnapshot"] is True
    assert cluster["port"] == 8182
    assert cluster["engine"] == "neptune"


def test_cluster_resilience_follows_config(run: ProgramRun, config: dict[str, Any]) -> None:
    graph = config["graphDb"]
    cluster = run.one(CLUSTER, "graph-cluster")
    assert cluster.inputs["engineVersion"] == graph["engineVersion"]
    assert cluster.inputs["backupRetentionPeriod"] == graph["backupRetentionDays"]
    assert cluster.inputs["deletionProtection"] is graph["deletionProtection"]
    assert cluster.inputs["skipFinalSnapshot"] is (not graph["finalSnapshot"])
    if graph["finalSnapshot"]:
        assert cluster.inputs["finalSnapshotIdentifier"] == f"{cluster.inputs['clusterIdentifier']}-final"
    assert cluster.protect is graph["protect"]
    serverless = graph.get("serverless")
    if serverless:
        assert cluster.inputs["serverlessV2ScalingConfiguration"] == serverless
    else:
        assert "serverlessV2ScalingConfiguration" not in cluster.inputs


def test_multi_az_where_the_stack_requires_it(stack: str, run: ProgramRun) -> None:
    """Whether the cluster must span AZs is the stack's compliance pack config (neptune-multi-az-instances)."""
    level, required = load(stack).requirement("neptune-multi-az-instances")
    zones = required["minimumZones"] if level == "mandatory" else 1
    assert len({i.inputs["availabilityZone"] for i in run.by_type(INSTANCE)}) >= zones


def test_parameter_group_enables_audit_log_and_streams(run: ProgramRun, config: dict[str, Any]) -> None:
    group = run.one("aws:neptune/clusterParameterGroup:ClusterParameterGroup", "graph-cluster-params")
    parameters = {p["name"]: p["value"] for p in group.inputs["parameters"]}
    assert parameters["neptune_enable_audit_log"] == "1"
    assert parameters["neptune_streams"] == "1"
    assert parameters["neptune_streams_expiry_days"] == str(config["graphDb"]["streamsExpiryDays"])
    assert parameters["neptune_enforce_ssl"] == "1"
    assert group.inputs["family"] == "neptune" + ".".join(config["graphDb"]["engineVersion"].split(".")[:2])
    cluster = run.one(CLUSTER, "graph-cluster")
    assert cluster.inputs["neptuneClusterParameterGroupName"] == group.inputs["name"]
    assert cluster.property_dependencies["neptuneClusterParameterGroupName"] == [group.urn]


def test_instances_pinned_to_distinct_azs(run: ProgramRun, config: dict[str, Any]) -> None:
    instances = sorted(run.by_type(INSTANCE), key=lambda r: r.name)
    assert len(instances) == config["graphDb"]["instanceCount"]
    zones = [i.inputs["availabilityZone"] for i in instances]
    assert len(set(zones)) == len(zones)
    assert set(zones) <= {s.inputs["availabilityZone"] for s in run.by_type("aws:ec2/subnet:Subnet")}
    assert [i.inputs["promotionTier"] for i in instances] == list(range(len(instances)))
    cluster = run.one(CLUSTER, "graph-cluster")
    instance_params = run.one("aws:neptune/parameterGroup:ParameterGroup", "graph-instance-params")
    for instance in instances:
        assert instance.inputs["clusterIdentifier"] == cluster.id
        assert instance.inputs["instanceClass"] == config["graphDb"]["instanceClass"]
        assert instance.inputs["publiclyAccessible"] is False
        assert instance.inputs["autoMinorVersionUpgrade"] is True
        assert instance.inputs["neptuneParameterGroupName"] == instance_params.inputs["name"]


def test_subnet_group_spans_the_private_subnets(run: ProgramRun) -> None:
    group = run.one("aws:neptune/subnetGroup:SubnetGroup", "graph-subnets")
    assert set(group.inputs["subnetIds"]) == {s.id for s in run.by_type("aws:ec2/subnet:Subnet")}
    assert run.one(CLUSTER, "graph-cluster").inputs["neptuneSubnetGroupName"] == group.inputs["name"]


def test_port_8182_only_from_the_lambda_security_group(run: ProgramRun) -> None:
    neptune_sg = run.one("aws:ec2/securityGroup:SecurityGroup", "graph-sg")
    lambda_sg = run.one("aws:ec2/securityGroup:SecurityGroup", "network-lambda-sg")
    assert run.one(CLUSTER, "graph-cluster").inputs["vpcSecurityGroupIds"] == [neptune_sg.id]
    ingress = [
        r.inputs
        for r in run.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == neptune_sg.id
    ]
    assert len(ingress) == 1
    assert (ingress[0]["fromPort"], ingress[0]["toPort"]) == (8182, 8182)
    assert ingress[0]["referencedSecurityGroupId"] == lambda_sg.id
    egress = [
        r.inputs
        for r in run.by_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        if r.inputs.get("referencedSecurityGroupId") == neptune_sg.id
    ]
    assert [(e["securityGroupId"], e["fromPort"]) for e in egress] == [(lambda_sg.id, 8182)]


def test_audit_log_group_declared_before_the_cluster(run: ProgramRun, config: dict[str, Any]) -> None:
    cluster = run.one(CLUSTER, "graph-cluster")
    group = run.one("aws:cloudwatch/logGroup:LogGroup", "graph-audit-logs")
    assert group.inputs["name"] == f"/aws/neptune/{cluster.inputs['clusterIdentifier']}/audit"
    assert group.inputs["retentionInDays"] == config["graphDb"]["auditLogRetentionDays"]
    assert group.urn in cluster.dependencies


def test_outputs_expose_the_endpoints(run: ProgramRun) -> None:
    cluster = run.one(CLUSTER, "graph-cluster").state
    assert run.outputs["neptuneWriterEndpoint"] == cluster["endpoint"]
    assert run.outputs["neptuneReaderEndpoint"] == cluster["readerEndpoint"]
    assert run.outputs["neptuneReaderEndpoint"] != run.outputs["neptuneWriterEndpoint"]
    assert run.outputs["neptunePort"] == 8182
    assert run.outputs["neptuneClusterResourceId"] == cluster["clusterResourceId"]
    assert run.outputs["vpcId"] == run.one("aws:ec2/vpc:Vpc", "network-vpc").id
    subnets = sorted(run.by_type("aws:ec2/subnet:Subnet"), key=lambda s: int(s.name.rsplit("-", 1)[1]))
    assert run.outputs["privateSubnetIds"] == [s.id for s in subnets]
    assert (
        run.outputs["lambdaSecurityGroupId"] == run.one("aws:ec2/securityGroup:SecurityGroup", "network-lambda-sg").id
    )
    assert run.outputs["keyArns"] == {
        "data": run.one("aws:kms/key:Key", "keys-data").state["arn"],
        "logs": run.one("aws:kms/key:Key", "keys-logs").state["arn"],
        "audit": run.one("aws:kms/key:Key", "keys-audit").state["arn"],
    }
