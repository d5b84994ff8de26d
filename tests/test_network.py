"""The network of both stacks: isolation, endpoints, security groups and flow logs."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from offline.runner import ProgramRun

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def test_one_private_subnet_per_configured_az(run: ProgramRun, config: dict[str, Any]) -> None:
    # Registration order is not program order (the SDK registers from worker threads): sort by name.
    subnets = sorted(run.by_type(SUBNET), key=lambda s: s.name)
    az_count = config["network"]["azCount"]
    assert len(subnets) == az_count
    zones = [s.inputs["availabilityZone"] for s in subnets]
    assert len(set(zones)) == az_count, "each subnet sits in its own AZ"
    assert run.outputs["availabilityZones"] == zones
    vpc_cidr = ipaddress.IPv4Network(config["network"]["cidrBlock"])
    networks = [ipaddress.IPv4Network(s.inputs["cidrBlock"]) for s in subnets]
    assert all(n.subnet_of(vpc_cidr) for n in networks)
    assert not any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1 :])
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)


def test_nothing_routes_to_the_internet(run: ProgramRun) -> None:
    forbidden = ("internetGateway", "natGateway", "eip:Eip", "egressOnlyInternetGateway", "ec2/route:Route")
    assert not [r.type for r in run.resources if any(f in r.type for f in forbidden)]
    assert all(not r.inputs.get("routes") for r in run.by_type(ROUTE_TABLE))


def test_each_subnet_has_its_own_route_table(run: ProgramRun) -> None:
    associations = run.by_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    subnet_ids = {s.id for s in run.by_type(SUBNET)}
    table_ids = {t.id for t in run.by_type(ROUTE_TABLE)}
    assert {a.inputs["subnetId"] for a in associations} == subnet_ids
    assert {a.inputs["routeTableId"] for a in associations} == table_ids
    assert len(table_ids) == len(subnet_ids)


def test_gateway_endpoints_on_every_private_route_table(run: ProgramRun) -> None:
    gateways = {
        r.inputs["serviceName"].rsplit(".", 1)[-1]: r
        for r in run.by_type(ENDPOINT)
        if r.inputs["vpcEndpointType"] == "Gateway"
    }
    assert set(gateways) == {"s3", "dynamodb"}
    table_urns = {t.urn for t in run.by_type(ROUTE_TABLE)}
    for endpoint in gateways.values():
        assert set(endpoint.inputs["routeTableIds"]) == {t.id for t in run.by_type(ROUTE_TABLE)}
        assert set(endpoint.property_dependencies["routeTableIds"]) == table_urns


def test_endpoint_policies_admit_only_this_account(run: ProgramRun) -> None:
    account = "123456789012"
    for endpoint in run.by_type(ENDPOINT):
        document = json.loads(endpoint.inputs["policy"])
        service = endpoint.inputs["serviceName"].rsplit(".", 1)[-1]
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow"
            assert statement["Condition"]["StringEquals"]["aws:PrincipalAccount"] == account
            assert statement["Action"] != "*", "actions stay within the endpoint's own service"
            if service in ("s3", "dynamodb"):
                assert statement["Condition"]["StringEquals"]["aws:ResourceAccount"] == account


def test_interface_endpoints_private_dns_in_every_subnet(run: ProgramRun) -> None:
    interfaces = [r for r in run.by_type(ENDPOINT) if r.inputs["vpcEndpointType"] == "Interface"]
    services = {r.inputs["serviceName"].rsplit(".", 1)[-1] for r in interfaces}
    assert services == {"sqs", "kms", "secretsmanager", "xray", "logs", "monitoring"}
    endpoint_sg = run.one("aws:ec2/securityGroup:SecurityGroup", "network-endpoint-sg")
    subnet_ids = {s.id for s in run.by_type(SUBNET)}
    for endpoint in interfaces:
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert set(endpoint.inputs["subnetIds"]) == subnet_ids
        assert endpoint.inputs["securityGroupIds"] == [endpoint_sg.id]


def test_endpoint_security_group_admits_https_only_from_lambdas(run: ProgramRun) -> None:
    endpoint_sg = run.one("aws:ec2/securityGroup:SecurityGroup", "network-endpoint-sg")
    lambda_sg = run.one("aws:ec2/securityGroup:SecurityGroup", "network-lambda-sg")
    rules = [r for r in run.by_type(INGRESS) if r.inputs["securityGroupId"] == endpoint_sg.id]
    assert len(rules) == 1
    rule = rules[0].inputs
    assert (rule["fromPort"], rule["toPort"], rule["ipProtocol"]) == (443, 443, "tcp")
    assert rule["referencedSecurityGroupId"] == lambda_sg.id
    assert not [r for r in run.by_type(EGRESS) if r.inputs["securityGroupId"] == endpoint_sg.id]


def test_lambda_egress_only_to_named_destinations(run: ProgramRun) -> None:
    lambda_sg = run.one("aws:ec2/securityGroup:SecurityGroup", "network-lambda-sg")
    egress = [r.inputs for r in run.by_type(EGRESS) if r.inputs["securityGroupId"] == lambda_sg.id]
    assert egress, "the Lambda group needs egress to reach anything"
    for rule in egress:
        assert "cidrIpv4" not in rule and "cidrIpv6" not in rule
        assert rule.get("referencedSecurityGroupId") or rule.get("prefixListId")
    gateway_prefix_lists = {
        r.state["prefixListId"] for r in run.by_type(ENDPOINT) if r.inputs["vpcEndpointType"] == "Gateway"
    }
    assert gateway_prefix_lists <= {rule.get("prefixListId") for rule in egress}


def test_no_cidr_ingress_anywhere(run: ProgramRun) -> None:
    for rule in run.by_type(INGRESS):
        assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs, rule.name
    for group in run.by_type("aws:ec2/securityGroup:SecurityGroup"):
        assert not group.inputs.get("ingress") and not group.inputs.get("egress"), "rules are standalone resources only"
        assert group.inputs["description"]


def test_default_security_group_has_no_rules(run: ProgramRun) -> None:
    (default_sg,) = run.by_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default_sg.inputs["ingress"] == [] and default_sg.inputs["egress"] == []
    assert default_sg.inputs["vpcId"] == run.one("aws:ec2/vpc:Vpc", "network-vpc").id


def test_flow_logs_capture_all_traffic_into_encrypted_group(run: ProgramRun, config: dict[str, Any]) -> None:
    (flow_log,) = run.by_type("aws:ec2/flowLog:FlowLog")
    vpc = run.one("aws:ec2/vpc:Vpc", "network-vpc")
    group = run.one("aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
    logs_key = run.one("aws:kms/key:Key", "keys-logs")
    assert flow_log.inputs["vpcId"] == vpc.id
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestination"] == group.state["arn"]
    assert group.inputs["kmsKeyId"] == logs_key.state["arn"]
    assert group.inputs["retentionInDays"] == config["network"]["flowLogRetentionDays"]
    role = run.one("aws:iam/role:Role", "network-flow-logs-role")
    assert flow_log.inputs["iamRoleArn"] == role.state["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"


def test_flow_log_role_writes_only_its_log_group(run: ProgramRun) -> None:
    group = run.one("aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
    document = json.loads(run.one("aws:iam/policy:Policy", "network-flow-logs-policy").inputs["policy"])
    (statement,) = document["Statement"]
    assert all(resource.startswith(group.state["arn"]) for resource in statement["Resource"])
    assert all(action.startswith("logs:") and "*" not in action for action in statement["Action"])
