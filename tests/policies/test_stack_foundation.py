"""Stack policies over today's types: Neptune, KMS, VPC, logs, IAM joins."""

from __future__ import annotations

import json

import pytest

from tests.policies.conftest import UNKNOWN, R, validate_stack

CLUSTER = "aws:neptune/cluster:Cluster"
INSTANCE = "aws:neptune/clusterInstance:ClusterInstance"
PG = "aws:neptune/clusterParameterGroup:ClusterParameterGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
KEY = "aws:kms/key:Key"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
RT = "aws:ec2/routeTable:RouteTable"
ASSOC = "aws:ec2/routeTableAssociation:RouteTableAssociation"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _pg(**params: str) -> R:
    return R(PG, "pg", {"family": "neptune1.3", "parameters": [{"name": k, "value": v} for k, v in params.items()]})


def _cluster(**extra: object) -> R:
    return R(
        CLUSTER,
        "graph",
        {"neptuneClusterParameterGroupName": "pg-physical", "vpcSecurityGroupIds": ["sg-x"], "port": 8182.0, **extra},
        deps={"neptuneClusterParameterGroupName": ["pg"], "vpcSecurityGroupIds": ["db-sg"]},
    )


class TestNeptuneParameterGroup:
    def test_audit_and_streams_on(self) -> None:
        assert (
            validate_stack(
                "neptune-parameter-group-audit-and-streams",
                [_cluster(), _pg(neptune_enable_audit_log="1", neptune_streams="1")],
            )
            == []
        )

    def test_audit_off_is_reported_on_the_cluster(self) -> None:
        found = validate_stack("neptune-parameter-group-audit-and-streams", [_cluster(), _pg(neptune_streams="1")])
        assert [f.urn for f in found] == [_cluster().urn]
        assert "neptune_enable_audit_log=1" in found[0].message

    def test_streams_required_unless_configured_off(self) -> None:
        resources = [_cluster(), _pg(neptune_enable_audit_log="1")]
        assert any(
            "neptune_streams" in f.message
            for f in validate_stack("neptune-parameter-group-audit-and-streams", resources)
        )
        assert validate_stack("neptune-parameter-group-audit-and-streams", resources, {"requireStreams": False}) == []

    def test_default_parameter_group_is_reported(self) -> None:
        cluster = R(CLUSTER, "graph", {})
        found = validate_stack("neptune-parameter-group-audit-and-streams", [cluster])
        assert "default" in found[0].message

    def test_unknown_parameters_fail_closed(self) -> None:
        pg = R(PG, "pg", {"parameters": UNKNOWN})
        assert validate_stack("neptune-parameter-group-audit-and-streams", [_cluster(), pg]) == []
        found = validate_stack("preview-unknown-compliance-inputs", [_cluster(), pg])
        assert any(
            f.message.startswith("neptune-parameter-group-audit-and-streams:") and "cannot be verified" in f.message
            for f in found
        )

    def test_exemption_needs_reason(self) -> None:
        resources = [_cluster(), _pg()]
        config = {"exemptions": [{"resource": "graph", "reason": "  "}]}
        found = validate_stack("neptune-parameter-group-audit-and-streams", resources, config)
        assert any("has no reason" in f.message for f in found)
        exempt = {"exemptions": [{"resource": "graph", "reason": "migration window"}]}
        assert validate_stack("neptune-parameter-group-audit-and-streams", resources, exempt) == []


class TestNeptuneMultiAz:
    def _instances(self, *zones: object) -> list[R]:
        return [
            R(
                INSTANCE,
                f"i{n}",
                {"clusterIdentifier": "graph-id", "availabilityZone": z},
                deps={"clusterIdentifier": ["graph"]},
            )
            for n, z in enumerate(zones)
        ]

    def test_two_distinct_zones(self) -> None:
        assert (
            validate_stack("neptune-multi-az-instances", [_cluster(), *self._instances("eu-west-1a", "eu-west-1b")])
            == []
        )

    def test_same_zone_or_single_instance_fails(self) -> None:
        assert validate_stack("neptune-multi-az-instances", [_cluster(), *self._instances("eu-west-1a", "eu-west-1a")])
        assert validate_stack("neptune-multi-az-instances", [_cluster(), *self._instances("eu-west-1a")])

    def test_unplaced_instances_fail(self) -> None:
        found = validate_stack("neptune-multi-az-instances", [_cluster(), *self._instances(None, None)])
        assert "without an explicit availability_zone" in found[0].message

    def test_threshold_from_config(self) -> None:
        resources = [_cluster(), *self._instances("a", "b")]
        assert validate_stack("neptune-multi-az-instances", resources, {"minimumZones": 3})

    def test_linked_by_identifier_value(self) -> None:
        cluster = R(CLUSTER, "graph", {"clusterIdentifier": "graph-id"})
        instances = [R(INSTANCE, f"i{z}", {"clusterIdentifier": "graph-id", "availabilityZone": z}) for z in "ab"]
        assert validate_stack("neptune-multi-az-instances", [cluster, *instances]) == []


class TestNeptuneSecurityGroup:
    def _rule(self, **props: object) -> R:
        base = {
            "securityGroupId": "sg-x",
            "referencedSecurityGroupId": "sg-l",
            "fromPort": 8182.0,
            "toPort": 8182.0,
            "ipProtocol": "tcp",
        }
        return R(INGRESS, "from-lambda", {**base, **props}, deps={"securityGroupId": ["db-sg"]})

    def test_sg_to_sg_on_8182(self) -> None:
        assert (
            validate_stack("neptune-sg-ingress-from-security-groups", [_cluster(), R(SG, "db-sg", {}), self._rule()])
            == []
        )

    @pytest.mark.parametrize(
        "change",
        [
            {"cidrIpv4": "10.0.0.0/16", "referencedSecurityGroupId": None},
            {"fromPort": 0.0, "toPort": 65535.0},
            {"prefixListId": "pl-1"},
        ],
    )
    def test_cidr_or_wide_ports_fail(self, change: dict[str, object]) -> None:
        found = validate_stack(
            "neptune-sg-ingress-from-security-groups", [_cluster(), R(SG, "db-sg", {}), self._rule(**change)]
        )
        assert found

    def test_inline_cidr_fails(self) -> None:
        sg = R(SG, "db-sg", {"ingress": [{"cidrBlocks": ["10.0.0.0/8"], "fromPort": 8182, "toPort": 8182}]})
        assert validate_stack("neptune-sg-ingress-from-security-groups", [_cluster(), sg])

    def test_no_stack_security_group(self) -> None:
        assert validate_stack("neptune-sg-ingress-from-security-groups", [R(CLUSTER, "graph", {})])


def test_snapshot_of_unencrypted_cluster() -> None:
    snap = R(
        "aws:neptune/clusterSnapshot:ClusterSnapshot",
        "snap",
        {"dbClusterIdentifier": "x"},
        deps={"dbClusterIdentifier": ["graph"]},
    )
    assert validate_stack("neptune-snapshot-encrypted", [_cluster(storageEncrypted=False), snap])
    assert (
        validate_stack("neptune-snapshot-encrypted", [_cluster(storageEncrypted=True, kmsKeyArn="arn:k"), snap]) == []
    )


class TestKmsLinkage:
    def test_policy_defined_inline_or_by_key_policy(self) -> None:
        assert validate_stack("kms-key-policy-defined", [R(KEY, "k", {"policy": "{}"})]) == []
        kp = R("aws:kms/keyPolicy:KeyPolicy", "kp", {"keyId": "x"}, deps={"keyId": ["k"]})
        assert validate_stack("kms-key-policy-defined", [R(KEY, "k", {}), kp]) == []
        assert validate_stack("kms-key-policy-defined", [R(KEY, "k", {})])

    def test_encrypted_resources_use_stack_keys(self) -> None:
        key = R(KEY, "k", {})
        linked = R(LOG_GROUP, "lg", {"kmsKeyId": UNKNOWN}, deps={"kmsKeyId": ["k"]})
        assert validate_stack("kms-encryption-uses-stack-keys", [key, linked]) == []
        foreign = R(LOG_GROUP, "lg", {"kmsKeyId": "arn:aws:kms:eu-west-1:999999999999:key/other"})
        assert validate_stack("kms-encryption-uses-stack-keys", [key, foreign])
        managed = R("aws:sns/topic:Topic", "t", {"kmsMasterKeyId": "alias/aws/sns"})
        assert "AWS-managed" in validate_stack("kms-encryption-uses-stack-keys", [key, managed])[0].message

    def test_unknown_unlinked_key_fails_closed(self) -> None:
        resources = [R(LOG_GROUP, "lg", {"kmsKeyId": UNKNOWN})]
        assert validate_stack("kms-encryption-uses-stack-keys", resources) == []
        found = validate_stack("preview-unknown-security-inputs", resources)
        assert any(f.message.startswith("kms-encryption-uses-stack-keys:") for f in found)

    def test_nested_s3_key(self) -> None:
        sse = R(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "sse",
            {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:x"}}]},
            deps={"rules": ["k"]},
        )
        assert validate_stack("kms-encryption-uses-stack-keys", [R(KEY, "k", {}), sse]) == []


def _network(with_endpoints: bool = True, with_flow_log: bool = True, default_sg_rules: bool = False) -> list[R]:
    resources = [
        R(VPC, "vpc", {"cidrBlock": "10.0.0.0/16"}),
        R(SUBNET, "private-a", {"vpcId": "v", "mapPublicIpOnLaunch": False}, deps={"vpcId": ["vpc"]}),
        R(RT, "private-rt", {"vpcId": "v"}, deps={"vpcId": ["vpc"]}),
        R(
            ASSOC,
            "assoc-a",
            {"subnetId": "s", "routeTableId": "r"},
            deps={"subnetId": ["private-a"], "routeTableId": ["private-rt"]},
        ),
        R(
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
            "default-sg",
            {"vpcId": "v", "ingress": [{"fromPort": 0}] if default_sg_rules else []},
            deps={"vpcId": ["vpc"]},
        ),
    ]
    if with_flow_log:
        resources.append(
            R(
                "aws:ec2/flowLog:FlowLog",
                "fl",
                {"vpcId": "v", "trafficType": "ALL", "logDestination": "arn:lg"},
                deps={"vpcId": ["vpc"]},
            )
        )
    if with_endpoints:
        for service in ("s3", "dynamodb"):
            resources.append(
                R(
                    ENDPOINT,
                    f"{service}-ep",
                    {
                        "vpcId": "v",
                        "vpcEndpointType": "Gateway",
                        "serviceName": f"com.amazonaws.eu-west-1.{service}",
                        "routeTableIds": ["r"],
                    },
                    deps={"vpcId": ["vpc"], "routeTableIds": ["private-rt"]},
                )
            )
    return resources


class TestNetwork:
    def test_compliant_network(self) -> None:
        for policy in (
            "vpc-flow-logs",
            "vpc-gateway-endpoints",
            "vpc-default-security-group-closed",
            "vpc-private-subnets-no-internet-route",
        ):
            assert validate_stack(policy, _network()) == [], policy

    def test_missing_flow_log(self) -> None:
        assert validate_stack("vpc-flow-logs", _network(with_flow_log=False))

    def test_rejected_traffic_only_flow_log(self) -> None:
        resources = _network()
        next(r for r in resources if r.name == "fl").props["trafficType"] = "REJECT"
        assert "ALL" in validate_stack("vpc-flow-logs", resources)[0].message

    def test_missing_gateway_endpoints(self) -> None:
        messages = [f.message for f in validate_stack("vpc-gateway-endpoints", _network(with_endpoints=False))]
        assert any("s3" in m for m in messages)
        assert any("dynamodb" in m for m in messages)

    def test_endpoint_not_on_private_table(self) -> None:
        resources = [r for r in _network() if r.name != "s3-ep"]
        resources.append(
            R(
                ENDPOINT,
                "s3-ep",
                {
                    "vpcId": "v",
                    "vpcEndpointType": "Gateway",
                    "serviceName": "com.amazonaws.eu-west-1.s3",
                    "routeTableIds": [],
                },
                deps={"vpcId": ["vpc"]},
            )
        )
        assert "private route table" in validate_stack("vpc-gateway-endpoints", resources)[0].message

    def test_default_sg_with_rules_or_not_adopted(self) -> None:
        assert validate_stack("vpc-default-security-group-closed", _network(default_sg_rules=True))
        adopted_removed = [r for r in _network() if r.name != "default-sg"]
        assert validate_stack("vpc-default-security-group-closed", adopted_removed)

    def test_internet_route_from_private_subnet(self) -> None:
        resources = _network()
        resources.append(
            R(
                "aws:ec2/route:Route",
                "default",
                {"routeTableId": "r", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"},
                deps={"routeTableId": ["private-rt"]},
            )
        )
        assert validate_stack("vpc-private-subnets-no-internet-route", resources)

    def test_mixed_rule_management(self) -> None:
        sg = R(SG, "sg", {"ingress": [{"fromPort": 1}]})
        rule = R(INGRESS, "r", {"securityGroupId": "x"}, deps={"securityGroupId": ["sg"]})
        assert validate_stack("sg-no-mixed-rule-management", [sg, rule])
        assert validate_stack("sg-no-mixed-rule-management", [R(SG, "sg", {}), rule]) == []


class TestDeclaredLogGroups:
    FN = "aws:lambda/function:Function"

    def test_function_with_linked_log_group(self) -> None:
        fn = R(self.FN, "fn", {"name": "fn-123"})
        lg = R(LOG_GROUP, "fn-logs", {"name": "/aws/lambda/fn-123", "retentionInDays": 30.0, "kmsKeyId": "k"})
        assert validate_stack("declared-log-groups", [fn, lg]) == []
        lg_by_dep = R(
            LOG_GROUP, "fn-logs", {"name": UNKNOWN, "retentionInDays": 30.0, "kmsKeyId": "k"}, deps={"name": ["fn"]}
        )
        assert validate_stack("declared-log-groups", [R(self.FN, "fn", {}), lg_by_dep]) == []

    def test_function_without_log_group_or_with_weak_one(self) -> None:
        assert validate_stack("declared-log-groups", [R(self.FN, "fn", {"name": "fn-123"})])
        weak = R(LOG_GROUP, "fn-logs", {"name": "/aws/lambda/fn-123"})
        messages = [
            f.message for f in validate_stack("declared-log-groups", [R(self.FN, "fn", {"name": "fn-123"}), weak])
        ]
        assert any("retention" in m for m in messages)
        assert any("KMS" in m for m in messages)

    def test_neptune_audit_log_group(self) -> None:
        cluster = R(CLUSTER, "graph", {"clusterIdentifier": "graph-dev", "enableCloudwatchLogsExports": ["audit"]})
        assert validate_stack("declared-log-groups", [cluster])
        lg = R(LOG_GROUP, "audit", {"name": "/aws/neptune/graph-dev/audit", "retentionInDays": 30.0, "kmsKeyId": "k"})
        assert validate_stack("declared-log-groups", [cluster, lg]) == []


def test_conflicting_role_policy_management() -> None:
    doc = json.dumps({"Statement": []})
    role = R("aws:iam/role:Role", "role", {"inlinePolicies": [{"name": "a", "policy": doc}]})
    rp = R("aws:iam/rolePolicy:RolePolicy", "rp", {"role": "x", "policy": doc}, deps={"role": ["role"]})
    assert validate_stack("iam-no-conflicting-role-policy-management", [role, rp])
    assert validate_stack("iam-no-conflicting-role-policy-management", [R("aws:iam/role:Role", "role", {}), rp]) == []
