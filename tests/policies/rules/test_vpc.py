"""Rule table for policies/rules/vpc.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import pytest

from tests.policies.conftest import Case, check_case, validate_resource
from tests.policies.rules._values import policy_doc

SG = "aws:ec2/securityGroup:SecurityGroup"

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"

EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"

SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"

ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"

ENDPOINT_POLICY_OK = policy_doc(
    {
        "Effect": "Allow",
        "Principal": "*",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": "arn:aws:s3:::media/*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012"}},
    }
)

CASES: list[Case] = [
    Case(
        "vpc-subnet-no-public-ip",
        "aws:ec2/subnet:Subnet",
        {"mapPublicIpOnLaunch": False},
        bad=({"mapPublicIpOnLaunch": True},),
        optional=("mapPublicIpOnLaunch",),
        unknown=("mapPublicIpOnLaunch",),
    ),
    Case(
        "sg-no-public-ingress",
        INGRESS,
        {"referencedSecurityGroupId": "sg-1", "fromPort": 8182.0, "toPort": 8182.0},
        bad=({"cidrIpv4": "0.0.0.0/0"}, {"cidrIpv6": "::/0"}),
        unknown=("cidrIpv4",),
    ),
    Case(
        "sg-no-public-ingress",
        SG,
        {"ingress": [{"securityGroups": ["sg-1"], "fromPort": 443, "toPort": 443}]},
        bad=({"ingress.0.cidrBlocks": ["0.0.0.0/0"]},),
    ),
    Case(
        "sg-no-public-ingress",
        SG_RULE,
        {"type": "ingress", "sourceSecurityGroupId": "sg-1"},
        bad=({"cidrBlocks": ["10.0.0.0/8", "0.0.0.0/0"]},),
    ),
    Case(
        "sg-no-unrestricted-egress",
        EGRESS,
        {"prefixListId": "pl-1", "ipProtocol": "tcp"},
        bad=({"cidrIpv4": "0.0.0.0/0"},),
        unknown=("cidrIpv4",),
    ),
    Case(
        "sg-no-unrestricted-egress",
        SG,
        {"egress": []},
        bad=({"egress": [{"cidrBlocks": ["0.0.0.0/0"], "protocol": "-1"}]},),
    ),
    Case(
        "sg-no-unrestricted-egress",
        SG_RULE,
        {"type": "egress", "prefixListIds": ["pl-1"]},
        bad=({"ipv6CidrBlocks": ["::/0"]},),
    ),
    Case(
        "sg-descriptions",
        SG,
        {"description": "Neptune cluster"},
        bad=({"description": "Managed by Pulumi"}, {"ingress": [{"fromPort": 1}]}),
        missing=("description",),
    ),
    Case("sg-descriptions", INGRESS, {"description": "from lambda"}, missing=("description",)),
    Case(
        "nacl-no-public-admin-ingress",
        "aws:ec2/networkAclRule:NetworkAclRule",
        {
            "ruleAction": "allow",
            "cidrBlock": "10.0.0.0/16",
            "fromPort": 22.0,
            "toPort": 22.0,
            "protocol": "tcp",
            "egress": False,
        },
        bad=({"cidrBlock": "0.0.0.0/0"},),
        unknown=("cidrBlock",),
    ),
    Case(
        "nacl-no-public-admin-ingress",
        "aws:ec2/networkAcl:NetworkAcl",
        {"ingress": [{"action": "allow", "cidrBlock": "0.0.0.0/0", "fromPort": 443, "toPort": 443, "protocol": "tcp"}]},
        bad=({"ingress.0.fromPort": 0, "ingress.0.toPort": 65535},),
    ),
    Case(
        "vpc-block-public-access",
        "aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions",
        {"internetGatewayBlockMode": "block-bidirectional"},
        bad=({"internetGatewayBlockMode": "off"},),
        missing=("internetGatewayBlockMode",),
    ),
    Case(
        "vpc-interface-endpoint-private",
        ENDPOINT,
        {"vpcEndpointType": "Interface", "privateDnsEnabled": True, "securityGroupIds": ["sg-1"], "subnetIds": ["s-1"]},
        bad=({"privateDnsEnabled": False}, {"securityGroupIds": []}),
        missing=("privateDnsEnabled", "subnetIds"),
        unknown=("privateDnsEnabled",),
    ),
    Case("vpc-interface-endpoint-private", ENDPOINT, {"vpcEndpointType": "Gateway"}),
    Case(
        "vpc-endpoint-policy-restrictive",
        ENDPOINT,
        {"vpcEndpointType": "Gateway", "policy": ENDPOINT_POLICY_OK},
        bad=({"policy": policy_doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})},),
        missing=("policy",),
        unknown=("policy",),
    ),
]

ALWAYS_VIOLATING: list[tuple[str, str]] = [
    ("vpc-no-default-vpc", "aws:ec2/defaultVpc:DefaultVpc"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    check_case(case)


@pytest.mark.parametrize(("policy", "res_type"), ALWAYS_VIOLATING)
def test_type_is_itself_a_violation(policy: str, res_type: str) -> None:
    assert validate_resource(policy, res_type, {}), f"{policy} accepted a {res_type}"
