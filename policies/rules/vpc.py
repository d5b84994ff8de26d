"""VPC, endpoints, security groups, NACLs, routes: CONTROLS rows 118-130 and section 7.7."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

from policies import iamdoc
from policies.core import (
    COMPLIANCE,
    SECURITY,
    Param,
    Res,
    Settings,
    Stack,
    StackFinding,
    UnknownInput,
    guarded,
    is_unknown,
    resource_rule,
    stack_rule,
)
from policies.rules._helpers import WORLD_CIDRS, document, world_cidrs

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
NACL = "aws:ec2/networkAcl:NetworkAcl"
NACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
RT_ASSOC = "aws:ec2/routeTableAssociation:RouteTableAssociation"
IGW = "aws:ec2/internetGateway:InternetGateway"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
DEFAULT_VPC = "aws:ec2/defaultVpc:DefaultVpc"
VPC_BPA = "aws:ec2/vpcBlockPublicAccessOptions:VpcBlockPublicAccessOptions"
ADMIN_PORTS = (22, 3389)


@stack_rule(
    "vpc-flow-logs",
    pack=COMPLIANCE,
    description="Every VPC has a flow log capturing ALL traffic to a declared destination.",
    severity="medium",
    remediation="Add an aws.ec2.FlowLog with vpc_id=<vpc>.id, traffic_type='ALL' and a KMS-encrypted log group or bucket.",
    category="logging",
    rows=[118],
    fsbp=["EC2.6"],
    cdk_nag=["VPC7", "NIST5:VPCFlowLogsEnabled"],
    checkov=["CKV2_AWS_11"],
)
def flow_logs(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for vpc in stack.of(VPC):

        def check(vpc: Res = vpc) -> Iterator[str]:
            logs = stack.referrers(vpc, "vpcId", FLOW_LOG)
            if not logs:
                yield f"{vpc.label}: no flow log"
            for log in logs:
                if log.req("trafficType") != "ALL":
                    yield f"{log.label}: trafficType is {log.get('trafficType')!r}; ALL is required"
                if log.get("logDestination") in (None, "") and log.get("logGroupName") in (None, ""):
                    yield f"{log.label}: no log destination"

        yield from guarded(vpc, check)


@stack_rule(
    "vpc-default-security-group-closed",
    pack=SECURITY,
    description="Every VPC's default security group is adopted by the stack and allows no traffic.",
    severity="high",
    remediation="Declare aws.ec2.DefaultSecurityGroup(vpc_id=<vpc>.id) with no ingress and no egress.",
    category="network",
    rows=[119],
    fsbp=["EC2.2"],
    cdk_nag=["NIST5:VPCDefaultSecurityGroupClosed"],
    checkov=["CKV2_AWS_12"],
)
def default_sg(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for vpc in stack.of(VPC):

        def check(vpc: Res = vpc) -> Iterator[str]:
            if not stack.referrers(vpc, "vpcId", DEFAULT_SG):
                yield f"{vpc.label}: its default security group is not adopted (AWS's default allows traffic within the group)"

        yield from guarded(vpc, check)
    for group in stack.of(DEFAULT_SG):

        def closed(group: Res = group) -> Iterator[str]:
            for direction in ("ingress", "egress"):
                if group.items(direction):
                    yield f"{group.label}: the default security group has {direction} rules"

        yield from guarded(group, closed)


@resource_rule(
    "vpc-subnet-no-public-ip",
    pack=SECURITY,
    types=[SUBNET],
    description="Subnets do not auto-assign public IP addresses.",
    severity="medium",
    remediation="Remove map_public_ip_on_launch=True.",
    category="network",
    rows=[120],
    fsbp=["EC2.15"],
    cdk_nag=["NIST5:VPCSubnetAutoAssignPublicIpDisabled"],
    checkov=["CKV_AWS_130"],
)
def subnet_public_ip(r: Res, _: Settings) -> Iterator[str]:
    if r.flag("mapPublicIpOnLaunch", default=False):
        yield f"{r.label}: instances launched here get public IPs (mapPublicIpOnLaunch is true)"


def _sg_rule_cidrs(r: Res) -> list[Any]:
    if r.type == SG_RULE:
        return [*r.items("cidrBlocks"), *r.items("ipv6CidrBlocks")]
    return [r.req("cidrIpv4"), r.req("cidrIpv6")]


@resource_rule(
    "sg-no-public-ingress",
    pack=SECURITY,
    types=[SG, INGRESS, SG_RULE],
    description="Security groups admit no traffic from 0.0.0.0/0 or ::/0.",
    severity="critical",
    remediation="Use referenced_security_group_id (or a prefix list) as the source instead of an open CIDR.",
    category="network",
    rows=[121],
    fsbp=["EC2.18", "EC2.19"],
    cdk_nag=["EC23"],
    checkov=["CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277"],
    other=["pulumi-cp:ec2-securitygroup-disallow-public-internet-ingress"],
)
def public_ingress(r: Res, _: Settings) -> Iterator[str]:
    if r.type == SG:
        for index, rule in enumerate(r.items("ingress")):
            if isinstance(rule, dict):
                open_to = world_cidrs([*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])])
                if open_to:
                    yield f"{r.label}: inline ingress #{index + 1} is open to {', '.join(open_to)}"
        return
    if r.type == SG_RULE and r.req("type") != "ingress":
        return
    open_to = world_cidrs(_sg_rule_cidrs(r))
    if open_to:
        yield f"{r.label}: ingress is open to {', '.join(open_to)} on ports {r.get('fromPort')}-{r.get('toPort')}"


@resource_rule(
    "sg-no-unrestricted-egress",
    pack=SECURITY,
    types=[SG, EGRESS, SG_RULE],
    description="Security groups allow no egress to 0.0.0.0/0 or ::/0 (egress goes to security groups or prefix lists).",
    severity="medium",
    remediation="Replace open egress with rules to the endpoints' security group or the gateway endpoints' prefix lists.",
    category="network",
    rows=[122],
    checkov=["CKV_AWS_382"],
)
def unrestricted_egress(r: Res, _: Settings) -> Iterator[str]:
    if r.type == SG:
        for index, rule in enumerate(r.items("egress")):
            if isinstance(rule, dict):
                open_to = world_cidrs([*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])])
                if open_to:
                    yield f"{r.label}: inline egress #{index + 1} is open to {', '.join(open_to)}"
        return
    if r.type == SG_RULE and r.req("type") != "egress":
        return
    open_to = world_cidrs(_sg_rule_cidrs(r))
    if open_to:
        yield f"{r.label}: egress is open to {', '.join(open_to)}"


@resource_rule(
    "sg-descriptions",
    pack=COMPLIANCE,
    types=[SG, INGRESS, EGRESS, SG_RULE],
    description="Security groups and their rules carry a description.",
    severity="low",
    remediation="Pass description= to every security group and rule.",
    category="hygiene",
    rows=[123],
    cdk_nag=["EC27"],
    checkov=["CKV_AWS_23"],
    other=["pulumi-cp:ec2-securitygroup-missing-description"],
)
def descriptions(r: Res, _: Settings) -> Iterator[str]:
    text = r.get("description")
    if text in (None, "") or text == "Managed by Pulumi":
        yield f"{r.label}: no description"
    if r.type == SG:
        for direction in ("ingress", "egress"):
            for index, rule in enumerate(r.items(direction)):
                if isinstance(rule, dict) and not rule.get("description"):
                    yield f"{r.label}: inline {direction} #{index + 1} has no description"


@stack_rule(
    "sg-no-mixed-rule-management",
    pack=COMPLIANCE,
    description="A security group is managed either by inline rules or by standalone rule resources, never both.",
    severity="medium",
    remediation="Move inline ingress/egress into aws.vpc.SecurityGroupIngressRule / EgressRule resources.",
    category="hygiene",
    rows=[124],
    other=["awsguard:security-group-no-rule-management-conflicts"],
)
def mixed_rules(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for group in stack.of(SG):

        def check(group: Res = group) -> Iterator[str]:
            inline = bool(group.items("ingress") or group.items("egress"))
            standalone = stack.referrers(group, "securityGroupId", INGRESS, EGRESS, SG_RULE)
            if inline and standalone:
                names = ", ".join(r.name for r in standalone)
                yield f"{group.label}: has inline rules and standalone rules ({names}); they overwrite each other"

        yield from guarded(group, check)


def _covers_admin_port(low: Any, high: Any, protocol: Any) -> bool:
    if str(protocol) in ("-1", "all"):
        return True
    try:
        lo, hi = float(low), float(high)
    except (TypeError, ValueError):
        return True
    return any(lo <= port <= hi for port in ADMIN_PORTS) or (lo == 0 and hi == 0)


@resource_rule(
    "nacl-no-public-admin-ingress",
    pack=SECURITY,
    types=[NACL, NACL_RULE],
    description="Network ACLs allow no ingress from 0.0.0.0/0 or ::/0 to SSH (22) or RDP (3389).",
    severity="high",
    remediation="Narrow the NACL rule's CIDR or deny the admin ports; prefer security groups to NACLs.",
    category="network",
    rows=[125],
    fsbp=["EC2.21"],
    cdk_nag=["VPC3"],
    checkov=["CKV_AWS_352"],
)
def nacl_admin(r: Res, _: Settings) -> Iterator[str]:
    if r.type == NACL_RULE:
        if r.flag("egress", default=False) or r.req("ruleAction") != "allow":
            return
        if world_cidrs([r.req("cidrBlock"), r.req("ipv6CidrBlock")]) and _covers_admin_port(
            r.req("fromPort"), r.req("toPort"), r.req("protocol")
        ):
            yield f"{r.label}: allows the internet to reach admin ports"
        return
    for index, entry in enumerate(r.items("ingress")):
        if not isinstance(entry, dict) or entry.get("action") != "allow":
            continue
        if world_cidrs([entry.get("cidrBlock"), entry.get("ipv6CidrBlock")]) and _covers_admin_port(
            entry.get("fromPort"), entry.get("toPort"), entry.get("protocol")
        ):
            yield f"{r.label}: ingress #{index + 1} allows the internet to reach admin ports"


def _private_route_tables(stack: Stack) -> list[Res]:
    """Route tables associated with subnets that do not map public IPs."""
    tables = []
    for table in stack.of(ROUTE_TABLE):
        for assoc in stack.referrers(table, "routeTableId", RT_ASSOC):
            subnets = stack.linked(assoc, "subnetId", SUBNET)
            if any(not s.flag("mapPublicIpOnLaunch", default=False) for s in subnets):
                tables.append(table)
                break
    return tables


@stack_rule(
    "vpc-private-subnets-no-internet-route",
    pack=SECURITY,
    description="Route tables of private subnets have no default route to an internet gateway.",
    severity="high",
    remediation="Remove the 0.0.0.0/0 route to the internet gateway; reach AWS through VPC endpoints.",
    category="network",
    rows=[126],
    cdk_nag=["NIST5:VPCNoUnrestrictedRouteToIGW"],
)
def private_routes(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for table in _private_route_tables(stack):

        def check(table: Res = table) -> Iterator[str]:
            routes: list[tuple[str, Res | dict[str, Any]]] = [
                (f"inline route #{i + 1}", r) for i, r in enumerate(table.items("routes"))
            ]
            routes += [(route.label, route) for route in stack.referrers(table, "routeTableId", ROUTE)]
            for label, route in routes:
                get = route.get
                destination = {
                    get("destinationCidrBlock"),
                    get("cidrBlock"),
                    get("destinationIpv6CidrBlock"),
                    get("ipv6CidrBlock"),
                }
                gateway = get("gatewayId")
                to_igw = isinstance(gateway, str) and gateway.startswith("igw-")
                if isinstance(route, Res) and stack.linked(route, "gatewayId", IGW):
                    to_igw = True
                if to_igw and destination & WORLD_CIDRS:
                    yield f"{table.label}: {label} sends all traffic to an internet gateway"

        yield from guarded(table, check)


@resource_rule(
    "vpc-block-public-access",
    pack=SECURITY,
    types=[VPC_BPA],
    description="VPC Block Public Access, when declared, blocks internet gateway traffic.",
    severity="medium",
    remediation="Set internet_gateway_block_mode to 'block-bidirectional' or 'block-ingress'.",
    category="network",
    rows=[127],
    fsbp=["EC2.172"],
)
def vpc_bpa(r: Res, _: Settings) -> Iterator[str]:
    if r.req("internetGatewayBlockMode") not in ("block-bidirectional", "block-ingress"):
        yield f"{r.label}: internetGatewayBlockMode is {r.get('internetGatewayBlockMode')!r}"


@resource_rule(
    "vpc-interface-endpoint-private",
    pack=SECURITY,
    types=[ENDPOINT],
    description="Interface endpoints use private DNS, sit in subnets and have security groups.",
    severity="medium",
    remediation="Set private_dns_enabled=True, subnet_ids and security_group_ids on interface endpoints.",
    category="network",
    rows=[128],
    fsbp=["EC2.10"],
)
def interface_endpoint(r: Res, _: Settings) -> Iterator[str]:
    if r.req("vpcEndpointType") != "Interface":
        return
    if not r.flag("privateDnsEnabled"):
        yield f"{r.label}: privateDnsEnabled is not true, so SDK calls bypass the endpoint"
    if not r.items("securityGroupIds"):
        yield f"{r.label}: no security groups (the VPC default group would apply)"
    if not r.items("subnetIds"):
        yield f"{r.label}: no subnets"


@resource_rule(
    "vpc-endpoint-policy-restrictive",
    pack=SECURITY,
    types=[ENDPOINT],
    description=(
        "Gateway and interface endpoints carry a policy; no statement allows every principal every action on every "
        "resource without a condition (the default endpoint policy)."
    ),
    severity="high",
    remediation="Give the endpoint a policy naming the stack's buckets/tables/queues or conditioned on aws:PrincipalAccount.",
    category="least-privilege",
    rows=[129],
    other=["gap:7.7"],
)
def endpoint_policy(r: Res, _: Settings) -> Iterator[str]:
    try:
        doc = document(r, "policy")
    except iamdoc.DocumentError as error:
        yield f"{r.label}: {error}"
        return
    if doc is None:
        yield f"{r.label}: no endpoint policy (AWS applies full access)"
        return
    for index, statement in enumerate(iamdoc.statements(doc)):
        if not statement.allows or statement.has_condition_key(
            "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:ResourceAccount", "aws:ResourceOrgID", "aws:PrincipalArn"
        ):
            continue
        wide_action = any(a == "*" or a.endswith(":*") for a in statement.actions) or bool(statement.not_actions)
        wide_resource = "*" in statement.resources or bool(statement.not_resources)
        if wide_action and wide_resource:
            yield (
                f"{r.label}: statement {statement.sid or '#' + str(index + 1)} allows all actions on all resources "
                "without an account or organisation condition"
            )


@stack_rule(
    "vpc-gateway-endpoints",
    pack=SECURITY,
    description=(
        "Each VPC with private subnets has S3 and DynamoDB gateway endpoints attached to every private route table."
    ),
    severity="medium",
    remediation="Create Gateway endpoints for com.amazonaws.<region>.s3 and .dynamodb with route_table_ids=<private tables>.",
    category="network",
    rows=[129],
    other=["gap:7.7"],
)
def gateway_endpoints(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    private = _private_route_tables(stack)
    for vpc in stack.of(VPC):

        def check(vpc: Res = vpc) -> Iterator[str]:
            tables = [t for t in private if stack.refers(t, "vpcId", vpc)]
            if not tables:
                return
            endpoints = [e for e in stack.referrers(vpc, "vpcId", ENDPOINT) if e.req("vpcEndpointType") == "Gateway"]
            for service in ("s3", "dynamodb"):
                matching = [e for e in endpoints if str(e.req("serviceName") or "").endswith(f".{service}")]
                if not matching:
                    yield f"{vpc.label}: no {service} gateway endpoint"
                    continue
                for table in tables:
                    if not any(stack.refers(e, "routeTableIds", table) for e in matching):
                        yield f"{vpc.label}: the {service} gateway endpoint is not on private route table {table.name!r}"

        yield from guarded(vpc, check)


@resource_rule(
    "vpc-no-default-vpc",
    pack=SECURITY,
    types=[DEFAULT_VPC],
    description="The stack does not adopt or use the account's default VPC.",
    severity="medium",
    remediation="Remove aws.ec2.DefaultVpc; build a dedicated VPC with private subnets.",
    category="network",
    rows=[130],
    checkov=["CKV_AWS_148"],
)
def default_vpc(r: Res, _: Settings) -> Iterator[str]:
    yield f"{r.label}: the default VPC is managed by this stack"


NAT = "aws:ec2/natGateway:NatGateway"
EIGW = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
IGW_ATTACHMENT = "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment"
DEFAULT_ROUTE_TABLE = "aws:ec2/defaultRouteTable:DefaultRouteTable"
TRANSIT_ATTACHMENT = "aws:ec2transitgateway/vpcAttachment:VpcAttachment"
#: Route targets that leave the VPC towards the internet (or another network that may reach it).
INTERNET_TARGETS = (
    ("gatewayId", "igw-", IGW),
    ("natGatewayId", "nat-", NAT),
    ("egressOnlyGatewayId", "eigw-", EIGW),
    ("transitGatewayId", "tgw-", ""),
)


def _isolated(vpc: Res, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(vpc.name, p) or vpc.urn == p for p in patterns)


def _internet_routes(stack: Stack, table: Res) -> Iterator[str]:
    routes: list[tuple[str, Res | dict[str, Any]]] = [
        (f"inline route #{i + 1}", r) for i, r in enumerate(table.items("routes"))
    ]
    routes += [(route.label, route) for route in stack.referrers(table, "routeTableId", ROUTE)]
    for label, route in routes:
        for prop, prefix, target_type in INTERNET_TARGETS:
            value = route.get(prop)
            if is_unknown(value):
                if isinstance(route, Res) and target_type and stack.deps(route, prop, target_type):
                    yield f"{table.label}: {label} sends traffic to a {target_type.rsplit(':', 1)[-1]}"
                elif not (isinstance(route, Res) and stack.deps(route, prop)):
                    raise UnknownInput(prop, value)
                continue
            if isinstance(value, str) and value.startswith(prefix):
                yield f"{table.label}: {label} sends traffic to {value}"
            elif isinstance(route, Res) and target_type and stack.linked(route, prop, target_type):
                yield f"{table.label}: {label} sends traffic to a {target_type.rsplit(':', 1)[-1]}"


@stack_rule(
    "vpc-isolated-no-internet-path",
    pack=SECURITY,
    description=(
        "An isolated VPC (policy config isolatedVpcs: names or globs, every VPC by default) has no path to the "
        "internet: no internet, egress-only or NAT gateway, no transit gateway attachment, no route to one, and "
        "no subnet that assigns public IPv4 or IPv6 addresses on launch."
    ),
    severity="critical",
    remediation=(
        "Remove the gateway, route or attachment; reach AWS services through VPC endpoints. If this VPC must reach "
        "the internet, take it out of isolatedVpcs in the stack's security pack config."
    ),
    category="network",
    rows=[126],
    cdk_nag=["NIST5:VPCNoUnrestrictedRouteToIGW"],
    params=[
        Param(
            "isolatedVpcs",
            {"type": "array", "items": {"type": "string"}},
            ["*"],
            "logical names (globs) or URNs of the VPCs that must have no path to the internet",
        )
    ],
    doc_title="Connect your VPC to other networks - Amazon Virtual Private Cloud",
    doc_url="https://docs.aws.amazon.com/vpc/latest/userguide/extend-intro.html",
)
def isolated_vpc(stack: Stack, cfg: Settings) -> Iterator[StackFinding]:
    for vpc in stack.of(VPC):
        if not _isolated(vpc, cfg["isolatedVpcs"]):
            continue

        def check(vpc: Res = vpc) -> Iterator[str]:
            subnets = stack.referrers(vpc, "vpcId", SUBNET)
            for igw in stack.referrers(vpc, "vpcId", IGW):
                yield f"{vpc.label}: internet gateway {igw.name!r} is attached"
            for attachment in stack.referrers(vpc, "vpcId", IGW_ATTACHMENT):
                yield f"{vpc.label}: internet gateway attachment {attachment.name!r}"
            for eigw in stack.referrers(vpc, "vpcId", EIGW):
                yield f"{vpc.label}: egress-only internet gateway {eigw.name!r} is attached"
            for attachment in stack.referrers(vpc, "vpcId", TRANSIT_ATTACHMENT):
                yield f"{vpc.label}: transit gateway attachment {attachment.name!r}"
            for nat in stack.of(NAT):
                if any(stack.refers(nat, "subnetId", s) for s in subnets):
                    yield f"{vpc.label}: NAT gateway {nat.name!r} in its subnets"
            for subnet in subnets:
                if subnet.flag("mapPublicIpOnLaunch", default=False):
                    yield f"{vpc.label}: subnet {subnet.name!r} assigns public IPv4 addresses on launch"
                if subnet.flag("assignIpv6AddressOnCreation", default=False):
                    yield f"{vpc.label}: subnet {subnet.name!r} assigns (globally routable) IPv6 addresses on launch"
            for table in [
                *stack.referrers(vpc, "vpcId", ROUTE_TABLE),
                *stack.referrers(vpc, "defaultRouteTableId", DEFAULT_ROUTE_TABLE),
            ]:
                yield from _internet_routes(stack, table)

        yield from guarded(vpc, check)
