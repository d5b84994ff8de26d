"""WAFv2 web ACLs in front of the stack's public endpoints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.context import DeploymentContext
from components.log_group import log_group
from components.validation import ArgsError, require_choice, require_int_range, require_log_retention
from offline.flows.model import Flow, declare

ACTIONS = ("COUNT", "BLOCK")
SCOPES = ("REGIONAL", "CLOUDFRONT")
#: CloudFront-scope web ACLs (and their log groups) live in us-east-1 whatever the stack's region.
CLOUDFRONT_REGION = "us-east-1"
#: AWS managed rule groups, in evaluation order after the rate limit: reputation first (cheap,
#: drops known-bad sources), then the OWASP-style core set, then known bad inputs (Log4j etc.).
MANAGED_RULE_GROUPS: tuple[str, ...] = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
)
#: Request parts never written to the WAF log: bearer tokens and session cookies.
REDACTED_HEADERS: tuple[str, ...] = ("authorization", "cookie")
RATE_WINDOWS = (60, 120, 300, 600)


# The provider declares these argument-less classes without annotations (mypy: untyped).
def _override_none() -> aws.wafv2.WebAclRuleOverrideActionNoneArgs:
    return aws.wafv2.WebAclRuleOverrideActionNoneArgs()  # type: ignore[no-untyped-call]


def _override_count() -> aws.wafv2.WebAclRuleOverrideActionCountArgs:
    return aws.wafv2.WebAclRuleOverrideActionCountArgs()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, kw_only=True)
class WebFirewallSettings:
    """The firewall's configurable behaviour (``<project>:webFirewall`` in the stack config)."""

    #: COUNT only records what the rules match (tuning); BLOCK enforces them.
    action: str = "BLOCK"
    #: Requests one client IP may send per ``rate_window_seconds`` before it is limited.
    rate_limit: int = 1000
    rate_window_seconds: int = 300
    log_retention_days: int = 365

    def __post_init__(self) -> None:
        require_choice("action", self.action, ACTIONS)
        # WAF's bounds for a rate-based rule's limit.
        require_int_range("rate_limit", self.rate_limit, 10, 2_000_000_000)
        require_choice("rate_window_seconds", self.rate_window_seconds, RATE_WINDOWS)
        require_log_retention("log_retention_days", self.log_retention_days)


@dataclass(frozen=True, kw_only=True)
class WebFirewallArgs:
    context: DeploymentContext
    settings: WebFirewallSettings
    #: REGIONAL (AppSync, API Gateway, ALB) or CLOUDFRONT (every child in us-east-1).
    scope: str = "REGIONAL"
    #: Regional resources to protect (AppSync API, API Gateway stage ARNs). CloudFront
    #: distributions attach the ACL themselves (``web_acl_id``), so none for that scope.
    resource_arns: Sequence[pulumi.Input[str]] = ()
    #: The logs key; for CLOUDFRONT scope a key in us-east-1 (the log group lives there).
    logs_key_arn: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_choice("scope", self.scope, SCOPES)
        if self.scope == "CLOUDFRONT" and self.resource_arns:
            raise ArgsError("resource_arns", "CloudFront distributions attach a web ACL through their web_acl_id")

    @property
    def region(self) -> str | None:
        """The per-resource region override, or None for the provider's (stack's) region."""
        return CLOUDFRONT_REGION if self.scope == "CLOUDFRONT" else None


def _visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    return aws.wafv2.WebAclRuleVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


class WebFirewall(pulumi.ComponentResource):
    """A web ACL: a per-IP rate limit and AWS managed rule groups, counting or blocking as
    configured, every rule with metrics; full logs (authorization and cookie headers
    redacted) to ``aws-waf-logs-<prefix>-<scope>`` with retention and the logs key;
    associated with the given regional resources."""

    web_acl: aws.wafv2.WebAcl
    log_group: aws.cloudwatch.LogGroup

    def __init__(self, name: str, args: WebFirewallArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social-backend:firewall:WebFirewall", name, None, opts)
        ctx, settings = args.context, args.settings
        child = pulumi.ResourceOptions(parent=self)
        scope = args.scope.lower()
        region = args.region
        acl_name = f"{ctx.prefix}-{scope}"
        block = settings.action == "BLOCK"

        rules = [
            aws.wafv2.WebAclRuleArgs(
                name="rate-limit-per-ip",
                priority=0,
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                        aggregate_key_type="IP",
                        limit=settings.rate_limit,
                        evaluation_window_sec=settings.rate_window_seconds,
                    )
                ),
                action=(
                    aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs())
                    if block
                    else aws.wafv2.WebAclRuleActionArgs(count=aws.wafv2.WebAclRuleActionCountArgs())
                ),
                visibility_config=_visibility(f"{acl_name}-rate-limit"),
            )
        ]
        for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1):
            rules.append(
                aws.wafv2.WebAclRuleArgs(
                    name=group,
                    priority=priority,
                    statement=aws.wafv2.WebAclRuleStatementArgs(
                        managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                            vendor_name="AWS", name=group
                        )
                    ),
                    # "none" keeps the group's own actions (block); "count" only records matches.
                    override_action=(
                        aws.wafv2.WebAclRuleOverrideActionArgs(none=_override_none())
                        if block
                        else aws.wafv2.WebAclRuleOverrideActionArgs(count=_override_count())
                    ),
                    visibility_config=_visibility(f"{acl_name}-{group}"),
                )
            )

        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            name=acl_name,
            description=f"{ctx.prefix}: rate limit and AWS managed rules ({settings.action})",
            scope=args.scope,
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=rules,
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=acl_name, sampled_requests_enabled=True
            ),
            region=region,
            tags=dict(args.tags),
            opts=child,
        )

        log_region = region or ctx.region
        self.log_group = log_group(
            f"{name}-logs",
            # WAF delivers only to log groups whose name starts with aws-waf-logs-.
            group_name=f"aws-waf-logs-{ctx.prefix}-{scope}",
            retention_days=settings.log_retention_days,
            kms_key_arn=args.logs_key_arn,
            region=region,
            tags=args.tags,
            parent=self,
        )
        # Declared on the group itself, so WAF's log delivery gets exactly this group of this
        # account, rather than an account-wide policy (10 per region) created on first use.
        delivery_policy = aws.cloudwatch.LogResourcePolicy(
            f"{name}-log-delivery",
            resource_arn=self.log_group.arn,
            policy_document=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "WafLogDeliveryToOwnGroup",
                            "Effect": "Allow",
                            "Principal": {"Service": ctx.service_principal("delivery.logs")},
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": [pulumi.Output.concat(self.log_group.arn, ":log-stream:*")],
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": ctx.account_id},
                                "ArnLike": {
                                    "aws:SourceArn": f"arn:{ctx.partition}:logs:{log_region}:{ctx.account_id}:*"
                                },
                            },
                        }
                    ],
                }
            ),
            region=region,
            opts=child,
        )
        # Runtime flow: AWS WAF developer guide, "Sending web ACL traffic logs to an Amazon
        # CloudWatch Logs log group": delivery.logs.amazonaws.com writes with aws:SourceAccount and
        # an aws:SourceArn in the account's logs ARN space of the group's region.
        declare(
            *(
                Flow(
                    caller=ctx.service_principal("delivery.logs"),
                    action=action,
                    resource=pulumi.Output.concat(self.log_group.arn, ":log-stream:waf"),
                    context={
                        "aws:SourceAccount": ctx.account_id,
                        "aws:SourceArn": f"arn:{ctx.partition}:logs:{log_region}:{ctx.account_id}:delivery-source:waf",
                    },
                    purpose=f"the {scope} web ACL's request logs",
                    doc="https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html",
                    broad="AWS WAF's documented policy: the source is any log delivery of this account and region",
                )
                for action in ("logs:CreateLogStream", "logs:PutLogEvents")
            )
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[self.log_group.arn],
            redacted_fields=[
                aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(name=header)
                )
                for header in REDACTED_HEADERS
            ],
            region=region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[delivery_policy]),
        )
        for index, resource_arn in enumerate(args.resource_arns):
            associate_web_acl(f"{name}-association-{index}", resource_arn, self.web_acl.arn, parent=self, region=region)
        self.register_outputs({"webAclArn": self.web_acl.arn})


def associate_web_acl(
    resource_name: str,
    resource_arn: pulumi.Input[str],
    web_acl_arn: pulumi.Input[str],
    *,
    parent: pulumi.Resource,
    region: str | None = None,
) -> aws.wafv2.WebAclAssociation:
    """The one place a regional resource (AppSync API, API Gateway stage) is put behind a
    web ACL: ``WebFirewall`` for the resources it is given, and a component whose resource
    is created after the firewall (the REST API's stage) with the firewall's ARN; registered
    under ``parent``. CloudFront takes its web ACL through the distribution's ``web_acl_id``
    instead ("AssociateWebACL", AWS WAF API reference:
    https://docs.aws.amazon.com/waf/latest/APIReference/API_AssociateWebACL.html)."""
    return aws.wafv2.WebAclAssociation(
        resource_name,
        resource_arn=resource_arn,
        web_acl_arn=web_acl_arn,
        region=region,
        opts=pulumi.ResourceOptions(parent=parent),
    )
