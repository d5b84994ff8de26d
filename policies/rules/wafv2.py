"""WAFv2 (rows 86-91) and the web ACL associations of AppSync, API Gateway and CloudFront (21, 22, 54, 55, 150)."""

from __future__ import annotations

from collections.abc import Iterator

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

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
GRAPHQL_API = "aws:appsync/graphQLApi:GraphQLApi"
REST_STAGE = "aws:apigateway/stage:Stage"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
KNOWN_BAD_INPUTS = "AWSManagedRulesKnownBadInputsRuleSet"
ANONYMOUS_IP = "AWSManagedRulesAnonymousIpList"
BASELINE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesAmazonIpReputationList")


def managed_groups(acl: Res) -> set[str]:
    names = set()
    for rule in acl.items("rules"):
        statement = (rule or {}).get("statement") or {}
        group = statement.get("managedRuleGroupStatement") or {}
        if group.get("vendorName") == "AWS" and group.get("name"):
            names.add(str(group["name"]))
    return names


def has_rate_rule(acl: Res) -> bool:
    return any(((rule or {}).get("statement") or {}).get("rateBasedStatement") for rule in acl.items("rules"))


@resource_rule(
    "wafv2-acl-has-rules",
    pack=SECURITY,
    types=[WEB_ACL],
    description="Web ACLs contain at least one rule or rule group.",
    severity="high",
    remediation="Add AWS managed rule groups and a rate-based rule.",
    category="network",
    rows=[86],
    fsbp=["WAF.10"],
    checkov=["CKV_AWS_175"],
)
def has_rules(r: Res, _: Settings) -> Iterator[str]:
    if not r.items("rules") and r.get("ruleJson") in (None, ""):
        yield f"{r.label}: no rules"


@resource_rule(
    "wafv2-metrics-enabled",
    pack=COMPLIANCE,
    types=[WEB_ACL],
    description="Web ACLs and every rule publish CloudWatch metrics.",
    severity="low",
    remediation="Set visibility_config.cloudwatch_metrics_enabled=True on the ACL and each rule.",
    category="logging",
    rows=[88],
    fsbp=["WAF.12"],
)
def metrics(r: Res, _: Settings) -> Iterator[str]:
    if r.req("visibilityConfig.cloudwatchMetricsEnabled") is not True:
        yield f"{r.label}: ACL metrics are off"
    for rule in r.items("rules"):
        if not ((rule or {}).get("visibilityConfig") or {}).get("cloudwatchMetricsEnabled"):
            yield f"{r.label}: rule {rule.get('name')!r} has metrics off"


@resource_rule(
    "wafv2-rule-actions",
    pack=SECURITY,
    types=[WEB_ACL],
    description="Every web ACL rule has an action (rules) or an override action (rule groups).",
    severity="medium",
    remediation="Give each rule action={...} or override_action={'none': {}}.",
    category="network",
    rows=[89],
    checkov=["CKV_AWS_342"],
)
def rule_actions(r: Res, _: Settings) -> Iterator[str]:
    for rule in r.items("rules"):
        if not (rule or {}).get("action") and not (rule or {}).get("overrideAction"):
            yield f"{r.label}: rule {rule.get('name')!r} has neither action nor overrideAction"


@resource_rule(
    "wafv2-known-bad-inputs",
    pack=SECURITY,
    types=[WEB_ACL],
    description="Web ACLs include the AWS known-bad-inputs (Log4j) managed rule group.",
    severity="high",
    remediation=f"Add a managed_rule_group_statement for AWS {KNOWN_BAD_INPUTS}.",
    category="network",
    rows=[90, 22, 55],
)
def known_bad_inputs(r: Res, _: Settings) -> Iterator[str]:
    if KNOWN_BAD_INPUTS not in managed_groups(r):
        yield f"{r.label}: missing the {KNOWN_BAD_INPUTS} managed rule group"


@resource_rule(
    "wafv2-baseline-rules",
    pack=SECURITY,
    types=[WEB_ACL],
    description="Web ACLs have a rate-based rule and the AWS core and IP-reputation managed rule groups.",
    severity="medium",
    remediation="Add a rate_based_statement rule and AWSManagedRulesCommonRuleSet / AWSManagedRulesAmazonIpReputationList.",
    category="network",
    rows=[21],
    other=["gap:7.1"],
)
def baseline(r: Res, _: Settings) -> Iterator[str]:
    missing = [g for g in BASELINE_GROUPS if g not in managed_groups(r)]
    if missing:
        yield f"{r.label}: missing managed rule groups {', '.join(missing)}"
    if not has_rate_rule(r):
        yield f"{r.label}: no rate-based rule"


@resource_rule(
    "waf-classic-not-used",
    pack=SECURITY,
    types=[
        "aws:waf/webAcl:WebAcl",
        "aws:waf/rule:Rule",
        "aws:wafregional/webAcl:WebAcl",
        "aws:wafregional/rule:Rule",
        "aws:wafregional/webAclAssociation:WebAclAssociation",
    ],
    description="WAF Classic (legacy) resources are not used; WAFv2 is.",
    severity="medium",
    remediation="Migrate to aws.wafv2 resources.",
    category="network",
    rows=[91],
    fsbp=["WAF.1", "WAF.2", "WAF.3", "WAF.4", "WAF.6", "WAF.7", "WAF.8"],
)
def classic(r: Res, _: Settings) -> Iterator[str]:
    yield f"{r.label}: WAF Classic resource"


@stack_rule(
    "wafv2-logging",
    pack=COMPLIANCE,
    description="Every web ACL has a logging configuration that redacts the configured headers (authorization by default).",
    severity="medium",
    remediation="Add aws.wafv2.WebAclLoggingConfiguration(resource_arn=acl.arn, redacted_fields=[{'single_header': {'name': 'authorization'}}]).",
    category="logging",
    rows=[87],
    fsbp=["WAF.11"],
    cdk_nag=["NIST5:WAFv2LoggingEnabled"],
    checkov=["CKV2_AWS_31"],
    params=[
        Param(
            "redactedHeaders",
            {"type": "array", "items": {"type": "string"}},
            ["authorization"],
            "headers that must be redacted",
        )
    ],
)
def logging(stack: Stack, cfg: Settings) -> Iterator[StackFinding]:
    for acl in stack.of(WEB_ACL):

        def check(acl: Res = acl) -> Iterator[str]:
            configs = stack.referrers(acl, "resourceArn", LOGGING)
            if not configs:
                yield f"{acl.label}: no logging configuration"
            for config in configs:
                redacted = {
                    str(((f or {}).get("singleHeader") or {}).get("name", "")).lower()
                    for f in config.items("redactedFields")
                }
                missing = [h for h in cfg["redactedHeaders"] if h.lower() not in redacted]
                if missing:
                    yield f"{acl.label}: logging does not redact {', '.join(missing)}"

        yield from guarded(acl, check)


def _acl_findings(stack: Stack, owner: Res, acls: list[Res], scope: str) -> Iterator[str]:
    for acl in acls:
        if acl.req("scope") != scope:
            yield f"{owner.label}: web ACL {acl.name!r} has scope {acl.get('scope')!r}, expected {scope}"
        groups = managed_groups(acl)
        for group in (KNOWN_BAD_INPUTS, ANONYMOUS_IP):
            if group not in groups:
                yield f"{owner.label}: web ACL {acl.name!r} lacks the {group} rule group"


@stack_rule(
    "waf-protects-public-apis",
    pack=SECURITY,
    description=(
        "Every AppSync API and API Gateway REST stage is associated with a REGIONAL web ACL of this stack that "
        "has the known-bad-inputs and anonymous-IP rule groups; every CloudFront distribution uses a "
        "CLOUDFRONT-scoped one."
    ),
    severity="high",
    remediation="Add aws.wafv2.WebAclAssociation(resource_arn=<api or stage>.arn, web_acl_arn=<acl>.arn); set web_acl_id on distributions.",
    category="network",
    rows=[21, 22, 54, 55, 150],
    fsbp=["APIGateway.4", "CloudFront.6"],
    cdk_nag=["APIG3", "CFR2", "NIST5:APIGWAssociatedWithWAF"],
    checkov=["CKV2_AWS_33", "CKV2_AWS_29", "CKV2_AWS_77", "CKV2_AWS_78", "CKV2_AWS_47"],
    other=["gap:7.1"],
)
def waf_protects(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for owner in stack.of(GRAPHQL_API, REST_STAGE):

        def check(owner: Res = owner) -> Iterator[str]:
            associations = stack.referrers(owner, "resourceArn", ASSOCIATION)
            if not associations:
                yield f"{owner.label}: no WAFv2 web ACL association"
                return
            for association in associations:
                acls = stack.linked(association, "webAclArn", WEB_ACL)
                if not acls:
                    yield f"{owner.label}: associated web ACL is not declared in this stack"
                yield from _acl_findings(stack, owner, acls, "REGIONAL")

        yield from guarded(owner, check)
    for dist in stack.of(DISTRIBUTION):

        def check_dist(dist: Res = dist) -> Iterator[str]:
            if dist.get("webAclId") in (None, ""):
                yield f"{dist.label}: no web ACL (webAclId)"
                return
            acls = stack.linked(dist, "webAclId", WEB_ACL)
            if not acls:
                yield f"{dist.label}: its web ACL is not declared in this stack"
            yield from _acl_findings(stack, dist, acls, "CLOUDFRONT")

        yield from guarded(dist, check_dist)


def _counts(action: object) -> bool:
    return isinstance(action, dict) and "count" in action


@resource_rule(
    "wafv2-acl-blocks",
    pack=SECURITY,
    types=[WEB_ACL],
    description=(
        "In a stack whose firewall must block (policy config requireBlocking, true by default), no web ACL rule "
        "only counts: every rule's action blocks (or challenges), every rule group keeps its own actions "
        "(override none, no rule action overridden to count), and the known-bad-inputs (Log4j) group is among them."
    ),
    severity="high",
    remediation=(
        "Set the stack's webFirewall.action to BLOCK (rule action block, rule group override_action none); "
        "count-only rules belong in stacks whose pack config sets requireBlocking to false."
    ),
    category="network",
    rows=[89, 90],
    checkov=["CKV_AWS_192"],
    params=[
        Param(
            "requireBlocking",
            {"type": "boolean"},
            True,
            "the stack's firewall must block: a rule that only counts is a violation",
        )
    ],
    doc_title="OverrideAction - AWS WAFV2",
    doc_url="https://docs.aws.amazon.com/waf/latest/APIReference/API_OverrideAction.html",
)
def acl_blocks(r: Res, cfg: Settings) -> Iterator[str]:
    if not cfg["requireBlocking"]:
        return
    for rule in r.items("rules"):
        rule = rule or {}
        name = rule.get("name")
        if _counts(rule.get("action")):
            yield f"{r.label}: rule {name!r} only counts (action count) although this stack's firewall must block"
        if _counts(rule.get("overrideAction")):
            yield f"{r.label}: rule group {name!r} is overridden to count although this stack's firewall must block"
        group = ((rule.get("statement") or {}).get("managedRuleGroupStatement")) or {}
        for override in group.get("ruleActionOverrides") or []:
            if _counts((override or {}).get("actionToUse")):
                yield (
                    f"{r.label}: rule group {name!r} overrides its rule {(override or {}).get('name')!r} to count "
                    "although this stack's firewall must block"
                )
    if KNOWN_BAD_INPUTS not in managed_groups(r):
        yield f"{r.label}: the {KNOWN_BAD_INPUTS} group (Log4j, CVE-2021-44228) is not among the blocking rules"


@resource_rule(
    "wafv2-rate-limit-bounded",
    pack=SECURITY,
    types=[WEB_ACL],
    description=(
        "Every rate-based rule limits a client to at most maximumRateLimit requests per evaluation window "
        "(policy config; 2000 by default): a limit raised to the service maximum blocks nothing."
    ),
    severity="medium",
    remediation="Lower the stack's webFirewall.rateLimit, or raise maximumRateLimit in its security pack config.",
    category="network",
    rows=[21],
    params=[
        Param(
            "maximumRateLimit",
            {"type": "integer", "minimum": 10},
            2000,
            "the highest per-client request limit a rate-based rule may set",
        )
    ],
    doc_title="Rate-based rule high-level settings in AWS WAF",
    doc_url="https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html",
)
def rate_limit_bounded(r: Res, cfg: Settings) -> Iterator[str]:
    for rule in r.items("rules"):
        rate = ((rule or {}).get("statement") or {}).get("rateBasedStatement")
        if not isinstance(rate, dict):
            continue
        limit = rate.get("limit")
        if is_unknown(limit):
            raise UnknownInput(f"rules.{(rule or {}).get('name')}.rateBasedStatement.limit", limit)
        if not isinstance(limit, int | float) or limit > cfg["maximumRateLimit"]:
            yield f"{r.label}: rule {(rule or {}).get('name')!r} allows {limit} requests per window (at most {cfg['maximumRateLimit']})"
