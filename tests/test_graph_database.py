"""The Neptune cluster of both stacks, driven by each stack's graphDb config."""

from __future__ import annotations

from typing import Any

import pytest

from components.context import DeploymentContext
from components.graph_database import NEPTUNE_PORT, GraphAccess
from components.validation import ArgsError
from offline.runner import ProgramRun
from tests.conftest import policy

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


def test_prod_is_protected_and_multi_az(stack: str, run: ProgramRun) -> None:
    if stack != "prod":
        return
    cluster = run.one(CLUSTER, "graph-cluster")
    assert cluster.protect and cluster.inputs["deletionProtection"] and not cluster.inputs["skipFinalSnapshot"]
    assert len({i.inputs["availabilityZone"] for i in run.by_type(INSTANCE)}) >= 2


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


#: The graph's query actions (Neptune user guide, "IAM actions for accessing data in Amazon
#: Neptune": their action context key is neptune-db:QueryLanguage) and the Streams action.
QUERY_ACTIONS = {"neptune-db:ReadDataViaQuery", "neptune-db:WriteDataViaQuery", "neptune-db:DeleteDataViaQuery"}
OPENCYPHER_ONLY = {"StringEqualsIgnoreCase": {"neptune-db:QueryLanguage": "opencypher"}}


def _neptune_grants(run: ProgramRun) -> dict[str, list[dict[str, Any]]]:
    """Per IAM policy: its statements that name any ``neptune-db:`` action."""
    grants: dict[str, list[dict[str, Any]]] = {}
    for resource in run.by_type("aws:iam/policy:Policy"):
        for statement in policy(resource.inputs)["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(action.startswith("neptune-db:") for action in actions):
                grants.setdefault(resource.name, []).append(statement)
    return grants


def test_every_graph_client_may_query_with_opencypher_only(run: ProgramRun) -> None:
    """A client that can send openCypher could otherwise send Gremlin or SPARQL on the same
    data (IAM condition keys for accessing data in Amazon Neptune): every query grant of every
    client carries the condition, the Streams read (no query language) is a statement of its own."""
    cluster = run.one(CLUSTER, "graph-cluster").state
    data_arn = f"arn:aws:neptune-db:eu-west-1:123456789012:{cluster['clusterResourceId']}/*"
    grants = _neptune_grants(run)
    assert set(grants) == {"graph-api-policy", "auth-triggers-policy", "notifications-stream-poller-policy"}
    for name, statements in grants.items():
        for statement in statements:
            assert statement["Resource"] == [data_arn], name
            if set(statement["Action"]) & QUERY_ACTIONS:
                assert set(statement["Action"]) <= QUERY_ACTIONS, f"{name}: queries share no statement"
                assert statement["Condition"] == OPENCYPHER_ONLY, f"{name}: {statement['Sid']}"
            else:
                assert statement["Action"] == ["neptune-db:GetStreamRecords"], name
                assert "Condition" not in statement, f"{name}: the Streams API sends no query language"


def test_every_graph_client_gets_the_clusters_endpoints_and_port(run: ProgramRun) -> None:
    cluster = run.one(CLUSTER, "graph-cluster").state
    expected = {
        "NEPTUNE_WRITER_ENDPOINT": cluster["endpoint"],
        "NEPTUNE_READER_ENDPOINT": cluster["readerEndpoint"],
        "NEPTUNE_PORT": str(int(cluster["port"])),  # the mocks record numbers as floats
    }
    clients = ("graph-api-function", "auth-triggers-function", "notifications-stream-poller-function")
    for name in clients:
        variables = run.one("aws:lambda/function:Function", name).inputs["environment"]["variables"]
        assert {key: variables.get(key) for key in expected} == expected, name
        assert not [key for key in variables if key.startswith("NEPTUNE_") and key not in expected], name


def test_the_query_grant_refuses_actions_the_condition_does_not_apply_to() -> None:
    """GetStreamRecords carries no query language: under the openCypher condition it would be
    denied at run time, so the query grant refuses it (and anything else) when it is built."""
    access = GraphAccess(
        context=DeploymentContext(account_id="123456789012", region="eu-west-1", partition="aws", prefix="t"),
        writer_endpoint="w.example",
        reader_endpoint="r.example",
        cluster_resource_id="cluster-ABC",
    )
    for actions in (["neptune-db:GetStreamRecords"], ["neptune-db:*"], []):
        with pytest.raises(ArgsError, match="actions: must be query actions among neptune-db:ReadDataViaQuery"):
            access.query_statement("Bad", actions)
    assert access.environment.port == NEPTUNE_PORT == 8182  # the cluster's one port (cluster test above)
