"""A WAFv2 web ACL (CloudFront or regional scope) with AWS managed rules, a rate rule and redacted logging."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.context import DeploymentContext
from components.validation import ArgsError, require_choice, require_int_range, require_log_retention

#: CloudFront-scope web ACLs, their log groups and the certificates CloudFront uses live only in us-east-1.
CLOUDFRONT_REGION = "us-east-1"
#: AWS managed rule groups every ACL carries: OWASP-style common rules, known bad inputs (Log4j and friends)
#: and Amazon's IP reputation list.
MANAGED_RULE_GROUPS: tuple[str, ...] = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)
#: Headers that carry credentials; WAF logs record them as REDACTED.
REDACTED_HEADERS: tuple[str, ...] = ("authorization", "cookie")


@dataclass(frozen=True, kw_only=True)
class FirewallSettings:
    """What a stack decides about its web ACLs."""

    #: ``count`` observes (rules only count matches), ``block`` enforces.
    action: str = "block"
    #: Requests per client IP per 5 minutes before the rate rule acts (WAF allows 10 to 2,000,000,000).
    rate_limit: int = 2000
    log_retention_days: int = 365

    def __post_init__(self) -> None:
        require_choice("action", self.action, ("count", "block"))
        require_int_range("rate_limit", self.rate_limit, 10, 2_000_000_000)
        require_log_retention("log_retention_days", self.log_retention_days)


@dataclass(frozen=True, kw_only=True)
class EdgeFirewallArgs:
    context: DeploymentContext
    settings: FirewallSettings
    #: ``CLOUDFRONT`` (created in us-east-1 through the per-resource region) or ``REGIONAL``.
    scope: str
    #: Physical-name role, e.g. ``cdn`` -> ``<prefix>-cdn`` and log group ``aws-waf-logs-<prefix>-cdn``.
    role: str
    #: KMS key for the WAF log group; it must live in the log group's region (us-east-1 for CloudFront).
    logs_key_arn: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_choice("scope", self.scope, ("CLOUDFRONT", "REGIONAL"))
        if not self.role.replace("-", "").isalnum():
            raise ArgsError("role", f"must be letters, digits and hyphens, got {self.role!r}")

    @property
    def region(self) -> str | None:
        """The per-resource region: us-east-1 for CloudFront scope, the stack's region (provider default) otherwise."""
        return CLOUDFRONT_REGION if self.scope == "CLOUDFRONT" else None


def _visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    return aws.wafv2.WebAclRuleVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


class EdgeFirewall(pulumi.ComponentResource):
    """A web ACL that allows by default and filters with AWS managed rules and a per-IP rate rule.

    In ``count`` mode every rule only counts (managed groups overridden to count, the rate
    rule counts), so a stack can observe false positives before enforcing. Logs go to a
    KMS-encrypted ``aws-waf-logs-`` log group in the ACL's region with credential headers
    redacted.
    """

    web_acl: aws.wafv2.WebAcl
    log_group: aws.cloudwatch.LogGroup

    def __init__(self, name: str, args: EdgeFirewallArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social-backend:edge_firewall:EdgeFirewall", name, None, opts)
        ctx, settings = args.context, args.settings
        child = pulumi.ResourceOptions(parent=self)
        physical = f"{ctx.prefix}-{args.role}"
        enforce = settings.action == "block"

        rules = [
            aws.wafv2.WebAclRuleArgs(
                name=group,
                priority=index,
                override_action=aws.wafv2.WebAclRuleOverrideActionArgs(
                    none=aws.wafv2.WebAclRuleOverrideActionNoneArgs() if enforce else None,  # type: ignore[no-untyped-call]
                    count=None if enforce else aws.wafv2.WebAclRuleOverrideActionCountArgs(),  # type: ignore[no-untyped-call]
                ),
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                        name=group, vendor_name="AWS"
                    )
                ),
                visibility_config=_visibility(f"{physical}-{group}"),
            )
            for index, group in enumerate(MANAGED_RULE_GROUPS)
        ]
        rules.append(
            aws.wafv2.WebAclRuleArgs(
                name="RatePerIp",
                priority=len(MANAGED_RULE_GROUPS),
                action=aws.wafv2.WebAclRuleActionArgs(
                    block=aws.wafv2.WebAclRuleActionBlockArgs() if enforce else None,
                    count=None if enforce else aws.wafv2.WebAclRuleActionCountArgs(),
                ),
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                        aggregate_key_type="IP", limit=settings.rate_limit, evaluation_window_sec=300
                    )
                ),
                visibility_config=_visibility(f"{physical}-rate-per-ip"),
            )
        )
        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            name=physical,
            description=f"{ctx.prefix}: {args.scope.lower()} web ACL ({settings.action})",
            scope=args.scope,
            region=args.region,
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=rules,
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=physical, sampled_requests_enabled=True
            ),
            tags=dict(args.tags),
            opts=child,
        )
        # WAF requires the "aws-waf-logs-" prefix, and the group in the ACL's own region.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"aws-waf-logs-{physical}",
            region=args.region,
            retention_in_days=settings.log_retention_days,
            kms_key_id=args.logs_key_arn,
            tags=dict(args.tags),
            opts=child,
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=self.web_acl.arn,
            region=args.region,
            # WAF wants the log group ARN without the ":*" suffix the provider exports.
            log_destination_configs=[self.log_group.arn.apply(lambda arn: arn.removesuffix(":*"))],
            redacted_fields=[
                aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(name=header)
                )
                for header in REDACTED_HEADERS
            ],
            opts=child,
        )
        self.register_outputs({"webAclArn": self.web_acl.arn, "logGroupName": self.log_group.name})
