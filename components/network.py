"""An isolated VPC: private subnets only, AWS reached through VPC endpoints."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.context import DeploymentContext
from components.log_group import log_group
from components.validation import ArgsError, require_int_range, require_log_retention, require_private_cidr
from offline.flows.model import Flow, declare

#: Gateway endpoints (free, route-table based) for the services that offer them.
GATEWAY_SERVICES: tuple[str, ...] = ("s3", "dynamodb")

#: Interface endpoint service -> IAM action prefix. What the in-VPC Lambdas call:
#: SQS (stream events), KMS, Secrets Manager, X-Ray, CloudWatch Logs and metrics.
INTERFACE_SERVICES: Mapping[str, str] = {
    "sqs": "sqs",
    "kms": "kms",
    "secretsmanager": "secretsmanager",
    "xray": "xray",
    "logs": "logs",
    "monitoring": "cloudwatch",
}

HTTPS = 443


@dataclass(frozen=True, kw_only=True)
class NetworkSettings:
    """The network's configurable shape (``<project>:network`` in the stack config)."""

    az_count: int = 2
    cidr_block: str = "10.40.0.0/16"
    #: Prefix length of each private subnet (one per AZ), carved from ``cidr_block``.
    subnet_prefix_length: int = 20
    flow_log_retention_days: int = 365
    interface_endpoint_services: Sequence[str] = tuple(INTERFACE_SERVICES)

    def __post_init__(self) -> None:
        require_int_range("az_count", self.az_count, 2, 6)
        vpc = require_private_cidr("cidr_block", self.cidr_block, min_prefix=16, max_prefix=24)
        require_int_range("subnet_prefix_length", self.subnet_prefix_length, vpc.prefixlen + 1, 28)
        if 2 ** (self.subnet_prefix_length - vpc.prefixlen) < self.az_count:
            raise ArgsError(
                "subnet_prefix_length",
                f"/{self.subnet_prefix_length} subnets of {self.cidr_block} fit fewer than {self.az_count} AZs",
            )
        require_log_retention("flow_log_retention_days", self.flow_log_retention_days)
        unknown = sorted(set(self.interface_endpoint_services) - set(INTERFACE_SERVICES))
        if unknown:
            raise ArgsError(
                "interface_endpoint_services",
                f"unknown service(s) {', '.join(unknown)}; supported: {', '.join(INTERFACE_SERVICES)}",
            )

    def select_zones(self, available_zones: Sequence[str]) -> list[str]:
        """The first ``az_count`` zones the region offers, or an error naming ``az_count``."""
        if self.az_count > len(available_zones):
            raise ArgsError(
                "az_count",
                f"the region offers {len(available_zones)} availability zones, {self.az_count} requested",
            )
        return list(available_zones[: self.az_count])

    @property
    def subnet_cidrs(self) -> list[str]:
        subnets = ipaddress.IPv4Network(self.cidr_block).subnets(new_prefix=self.subnet_prefix_length)
        return [str(next(subnets)) for _ in range(self.az_count)]


@dataclass(frozen=True, kw_only=True)
class NetworkArgs:
    context: DeploymentContext
    settings: NetworkSettings
    #: One zone per private subnet (``settings.select_zones`` of what the region offers).
    zones: Sequence[str]
    #: ARN of the KMS key that encrypts the flow-log group (the stack's logs key).
    logs_key_arn: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.zones) != self.settings.az_count or len(set(self.zones)) != len(self.zones):
            raise ArgsError("zones", f"need {self.settings.az_count} distinct zones, got {list(self.zones)}")


def _account_scoped_endpoint_policy(
    ctx: DeploymentContext, action_prefix: str, *, resource_account: bool
) -> dict[str, Any]:
    """Endpoint policy of the AWS data-perimeter pattern: only this account's principals
    (and, where the service supports it, only this account's resources) pass the endpoint.
    Endpoint policies require a Principal; "*" is narrowed by the conditions."""
    condition: dict[str, str] = {"aws:PrincipalAccount": ctx.account_id}
    if resource_account:
        condition["aws:ResourceAccount"] = ctx.account_id
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OnlyThisAccount",
                "Effect": "Allow",
                "Principal": "*",
                "Action": f"{action_prefix}:*",
                "Resource": "*",
                "Condition": {"StringEquals": condition},
            }
        ],
    }


class Network(pulumi.ComponentResource):
    """VPC with isolated private subnets: no internet or NAT gateway, ever.

    Lambdas in the VPC reach S3 and DynamoDB through gateway endpoints on every private
    route table, and the other AWS APIs they call through interface endpoints whose
    security group admits HTTPS only from the Lambda security group. Flow logs capture
    all traffic into a KMS-encrypted log group; the default security group has no rules.
    """

    vpc: aws.ec2.Vpc
    subnets: list[aws.ec2.Subnet]
    route_tables: list[aws.ec2.RouteTable]
    lambda_security_group: aws.ec2.SecurityGroup
    endpoint_security_group: aws.ec2.SecurityGroup
    gateway_endpoints: dict[str, aws.ec2.VpcEndpoint]
    interface_endpoints: dict[str, aws.ec2.VpcEndpoint]
    zones: list[str]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social-backend:network:Network", name, None, opts)
        ctx = args.context
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        self.zones = list(args.zones)

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=settings.cidr_block,
            enable_dns_support=True,
            enable_dns_hostnames=True,  # required for private DNS on interface endpoints
            tags={**args.tags, "Name": f"{ctx.prefix}-vpc"},
            opts=child,
        )
        # Adopting the default security group with no rules strips AWS's allow-all rules.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            tags={**args.tags, "Name": f"{ctx.prefix}-default-locked"},
            opts=child,
        )

        self.subnets, self.route_tables = [], []
        for index, (zone, cidr) in enumerate(zip(self.zones, settings.subnet_cidrs, strict=True)):
            subnet = aws.ec2.Subnet(
                f"{name}-private-{index}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={**args.tags, "Name": f"{ctx.prefix}-private-{zone}", "Tier": "private"},
                opts=child,
            )
            # No routes beyond the implicit local one: nothing leaves the VPC except
            # through the endpoints below.
            route_table = aws.ec2.RouteTable(
                f"{name}-private-rt-{index}",
                vpc_id=self.vpc.id,
                tags={**args.tags, "Name": f"{ctx.prefix}-private-{zone}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-rta-{index}", subnet_id=subnet.id, route_table_id=route_table.id, opts=child
            )
            self.subnets.append(subnet)
            self.route_tables.append(route_table)

        self.lambda_security_group = aws.ec2.SecurityGroup(
            f"{name}-lambda-sg",
            vpc_id=self.vpc.id,
            description="Lambda functions in the VPC: egress only to endpoints and named data stores",
            tags={**args.tags, "Name": f"{ctx.prefix}-lambda"},
            opts=child,
        )
        self.endpoint_security_group = aws.ec2.SecurityGroup(
            f"{name}-endpoint-sg",
            vpc_id=self.vpc.id,
            description="Interface VPC endpoints: HTTPS from the Lambda security group only",
            tags={**args.tags, "Name": f"{ctx.prefix}-endpoints"},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoint-https-from-lambda",
            security_group_id=self.endpoint_security_group.id,
            referenced_security_group_id=self.lambda_security_group.id,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description="HTTPS from Lambda functions",
            tags=dict(args.tags),
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-lambda-https-to-endpoints",
            security_group_id=self.lambda_security_group.id,
            referenced_security_group_id=self.endpoint_security_group.id,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description="HTTPS to interface VPC endpoints",
            tags=dict(args.tags),
            opts=child,
        )

        self.gateway_endpoints = {}
        for service in GATEWAY_SERVICES:
            endpoint = aws.ec2.VpcEndpoint(
                f"{name}-{service}-gateway",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{ctx.region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=[rt.id for rt in self.route_tables],
                policy=pulumi.Output.json_dumps(_account_scoped_endpoint_policy(ctx, service, resource_account=True)),
                tags={**args.tags, "Name": f"{ctx.prefix}-{service}"},
                opts=child,
            )
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-lambda-https-to-{service}",
                security_group_id=self.lambda_security_group.id,
                prefix_list_id=endpoint.prefix_list_id,
                ip_protocol="tcp",
                from_port=HTTPS,
                to_port=HTTPS,
                description=f"HTTPS to {service} through its gateway endpoint",
                tags=dict(args.tags),
                opts=child,
            )
            self.gateway_endpoints[service] = endpoint

        self.interface_endpoints = {}
        for service in settings.interface_endpoint_services:
            self.interface_endpoints[service] = aws.ec2.VpcEndpoint(
                f"{name}-{service}-interface",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{ctx.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in self.subnets],
                security_group_ids=[self.endpoint_security_group.id],
                policy=pulumi.Output.json_dumps(
                    _account_scoped_endpoint_policy(ctx, INTERFACE_SERVICES[service], resource_account=False)
                ),
                tags={**args.tags, "Name": f"{ctx.prefix}-{service}"},
                opts=child,
            )

        self._flow_logs(name, args)
        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "privateSubnetIds": [s.id for s in self.subnets],
                "lambdaSecurityGroupId": self.lambda_security_group.id,
            }
        )

    def _flow_logs(self, name: str, args: NetworkArgs) -> None:
        ctx = args.context
        child = pulumi.ResourceOptions(parent=self)
        group_name = f"/{ctx.prefix}/vpc-flow-logs"
        # The role's document names the group by its fixed name (not its ARN output), so it
        # is known at preview and the packs decide it there.
        group_arn = ctx.arn("logs", f"log-group:{group_name}")
        flow_log_group = log_group(
            f"{name}-flow-logs",
            group_name=group_name,
            retention_days=args.settings.flow_log_retention_days,
            kms_key_arn=args.logs_key_arn,
            tags=args.tags,
            parent=self,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            description="VPC Flow Logs delivery to the stack's flow-log group",
            assume_role_policy=pulumi.Output.json_dumps(
                ctx.trust_policy("vpc-flow-logs.amazonaws.com", source_arn=ctx.arn("ec2", "vpc-flow-log/*"))
            ),
            tags=dict(args.tags),
            opts=child,
        )
        policy = aws.iam.Policy(
            f"{name}-flow-logs-policy",
            description="Write VPC flow logs to the stack's flow-log group only",
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "WriteFlowLogGroup",
                            "Effect": "Allow",
                            "Action": [
                                "logs:CreateLogStream",
                                "logs:PutLogEvents",
                                "logs:DescribeLogStreams",
                            ],
                            "Resource": [group_arn, f"{group_arn}:log-stream:*"],
                        }
                    ],
                }
            ),
            tags=dict(args.tags),
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-flow-logs-attach", role=role.name, policy_arn=policy.arn, opts=child
        )
        flow_log = aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=flow_log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
        )
        # Runtime flows: VPC user guide, "IAM role for publishing flow logs to CloudWatch Logs"
        # (the service assumes the role with aws:SourceArn = the flow log's ARN).
        flow_logs_doc = "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html"
        stream = pulumi.Output.concat(flow_log_group.arn, ":log-stream:eni-flows")
        declare(
            Flow(
                caller="vpc-flow-logs.amazonaws.com",
                action="sts:AssumeRole",
                resource=role.arn,
                context={
                    "aws:SourceAccount": ctx.account_id,
                    "aws:SourceArn": pulumi.Output.concat(ctx.arn("ec2", "vpc-flow-log/"), flow_log.id),
                },
                purpose="VPC Flow Logs publishes the VPC's flow records",
                doc=flow_logs_doc,
                broad="the role must exist before the flow log it serves, so its trust names this account's flow logs",
            ),
            *(
                Flow(
                    caller=role.arn,
                    action=action,
                    resource=resource,
                    purpose="flow records into the flow-log group",
                    doc=flow_logs_doc,
                )
                for action, resource in (
                    ("logs:DescribeLogStreams", flow_log_group.arn),
                    ("logs:CreateLogStream", stream),
                    ("logs:PutLogEvents", stream),
                )
            ),
        )
