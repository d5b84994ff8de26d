"""Rule table for policies/rules/vpc.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, Case, R, check_case, validate_resource, validate_stack
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


# -- vpc-isolated-no-internet-path (stack rule) ------------------------------------------------

ISOLATED = "vpc-isolated-no-internet-path"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
RT = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
IGW = "aws:ec2/internetGateway:InternetGateway"
NAT = "aws:ec2/natGateway:NatGateway"
EIGW = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
TGW_ATTACHMENT = "aws:ec2transitgateway/vpcAttachment:VpcAttachment"


def isolated_network() -> list[R]:
    """The network component's shape: a VPC, a private subnet, its route table (local routes only)."""
    return [
        R(VPC, "vpc", {"cidrBlock": "10.0.0.0/16"}),
        R(SUBNET, "private-a", {"vpcId": "vpc-1", "mapPublicIpOnLaunch": False}, deps={"vpcId": ["vpc"]}),
        R(RT, "rt-a", {"vpcId": "vpc-1"}, deps={"vpcId": ["vpc"]}),
    ]


def isolated_findings(*extra: R, config: dict[str, object] | None = None) -> list[str]:
    return [f.message for f in validate_stack(ISOLATED, [*isolated_network(), *extra], config)]


def test_isolated_vpc_passes() -> None:
    assert isolated_findings() == []


@pytest.mark.parametrize(
    "extra",
    [
        [R(IGW, "igw", {"vpcId": "vpc-1"}, deps={"vpcId": ["vpc"]})],
        [R(EIGW, "eigw", {"vpcId": "vpc-1"}, deps={"vpcId": ["vpc"]})],
        [R(NAT, "nat", {"subnetId": "subnet-1"}, deps={"subnetId": ["private-a"]})],
        [R(TGW_ATTACHMENT, "tgw", {"vpcId": "vpc-1"}, deps={"vpcId": ["vpc"]})],
        [
            R(
                ROUTE,
                "default",
                {"routeTableId": "rtb-1", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-0abc"},
                deps={"routeTableId": ["rt-a"]},
            )
        ],
        [
            R(
                ROUTE,
                "v6",
                {"routeTableId": "rtb-1", "destinationIpv6CidrBlock": "::/0", "egressOnlyGatewayId": "eigw-1"},
                deps={"routeTableId": ["rt-a"]},
            )
        ],
        [
            R(NAT, "nat", {"subnetId": "subnet-x"}),
            R(
                ROUTE,
                "via-nat",
                {"routeTableId": "rtb-1", "destinationCidrBlock": "0.0.0.0/0", "natGatewayId": UNKNOWN},
                deps={"routeTableId": ["rt-a"], "natGatewayId": ["nat"]},
            ),
        ],
        [
            R(
                ROUTE,
                "to-tgw",
                {"routeTableId": "rtb-1", "destinationCidrBlock": "0.0.0.0/0", "transitGatewayId": "tgw-1"},
                deps={"routeTableId": ["rt-a"]},
            )
        ],
        [R(SUBNET, "public", {"vpcId": "vpc-1", "mapPublicIpOnLaunch": True}, deps={"vpcId": ["vpc"]})],
        [R(SUBNET, "v6", {"vpcId": "vpc-1", "assignIpv6AddressOnCreation": True}, deps={"vpcId": ["vpc"]})],
    ],
    ids=[
        "igw",
        "eigw",
        "nat",
        "tgw-attachment",
        "igw-route",
        "eigw-route",
        "nat-route",
        "tgw-route",
        "public-ip",
        "ipv6",
    ],
)
def test_each_path_to_the_internet_is_reported(extra: list[R]) -> None:
    assert isolated_findings(*extra)


def test_inline_route_to_an_internet_gateway() -> None:
    rt = R(
        RT,
        "rt-b",
        {"vpcId": "vpc-1", "routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}]},
        deps={"vpcId": ["vpc"]},
    )
    assert isolated_findings(rt)


def test_a_vpc_outside_the_configured_isolated_set_may_reach_the_internet() -> None:
    igw = R(IGW, "igw", {"vpcId": "vpc-1"}, deps={"vpcId": ["vpc"]})
    assert isolated_findings(igw, config={"isolatedVpcs": ["other-*"]}) == []
    assert isolated_findings(igw, config={"isolatedVpcs": ["vp?"]})


def test_missing_properties_are_no_path() -> None:
    """A subnet without mapPublicIpOnLaunch gets the provider default (false); a route without targets goes nowhere."""
    subnet = R(SUBNET, "bare", {"vpcId": "vpc-1"}, deps={"vpcId": ["vpc"]})
    route = R(ROUTE, "local", {"routeTableId": "rtb-1"}, deps={"routeTableId": ["rt-a"]})
    assert isolated_findings(subnet, route) == []


def test_unknown_route_target_fails_closed() -> None:
    route = R(
        ROUTE,
        "unknown",
        {"routeTableId": "rtb-1", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": UNKNOWN},
        deps={"routeTableId": ["rt-a"]},
    )
    assert isolated_findings(route) == []
    found = [
        f
        for f in validate_stack("preview-unknown-security-inputs", [*isolated_network(), route])
        if f.message.startswith(f"{ISOLATED}:")
    ]
    assert found and "cannot be verified" in found[0].message
