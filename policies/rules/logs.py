"""CloudWatch Logs: rows 137-138 and declared log groups (section 7.8)."""

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
    guarded,
    resource_rule,
    stack_rule,
)

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FUNCTION = "aws:lambda/function:Function"
GRAPHQL_API = "aws:appsync/graphQLApi:GraphQLApi"
NEPTUNE_CLUSTER = "aws:neptune/cluster:Cluster"


@resource_rule(
    "log-group-kms",
    pack=SECURITY,
    types=[LOG_GROUP],
    description="CloudWatch log groups are encrypted with a customer-managed KMS key.",
    severity="medium",
    remediation="Pass kms_key_id=<stack CMK>.arn; the key policy must allow logs.<region>.amazonaws.com with an encryption-context condition.",
    category="encryption",
    rows=[137],
    cdk_nag=["NIST5:CloudWatchLogGroupEncrypted"],
    checkov=["CKV_AWS_158"],
)
def log_group_kms(r: Res, _: Settings) -> Iterator[str]:
    if r.get("kmsKeyId") in (None, ""):
        yield f"{r.label}: not encrypted with a customer-managed key (kmsKeyId is not set)"


@resource_rule(
    "log-group-retention",
    pack=COMPLIANCE,
    types=[LOG_GROUP],
    description="CloudWatch log groups retain logs for at least the configured number of days (default 365).",
    severity="medium",
    remediation="Set retention_in_days to at least minimumRetentionDays (0 keeps logs forever).",
    category="logging",
    rows=[138],
    fsbp=["CloudWatch.16"],
    cdk_nag=["NIST5:CloudWatchLogGroupRetentionPeriod", "SL:CloudWatchLogGroupRetentionPeriod"],
    checkov=["CKV_AWS_66", "CKV_AWS_338"],
    params=[Param("minimumRetentionDays", {"type": "integer", "minimum": 1}, 365, "shortest retention allowed")],
)
def log_group_retention(r: Res, cfg: Settings) -> Iterator[str]:
    days = r.number("retentionInDays")
    if days is None:
        yield f"{r.label}: no explicit retention (retentionInDays is not set)"
    elif days != 0 and days < cfg["minimumRetentionDays"]:
        yield f"{r.label}: retention is {days:g} days; at least {cfg['minimumRetentionDays']} required"


def _log_group_for(stack: Stack, owner: Res, prefix: str, owner_name: object) -> list[Res]:
    """Log groups declared for ``owner``: linked by property dependency or by the conventional name."""
    groups = []
    for group in stack.of(LOG_GROUP):
        name = group.get("name")
        if owner.urn in group.deps_of("name") or (
            isinstance(name, str) and isinstance(owner_name, str) and owner_name and name == f"{prefix}{owner_name}"
        ):
            groups.append(group)
    return groups


@stack_rule(
    "declared-log-groups",
    pack=COMPLIANCE,
    description=(
        "Every Lambda function, AppSync API and Neptune audit export writes to a log group the stack declares "
        "(so retention and KMS apply), not one AWS creates implicitly."
    ),
    severity="medium",
    remediation=(
        "Declare aws.cloudwatch.LogGroup named /aws/lambda/<function name> (or set logging_config.log_group), "
        "/aws/appsync/apis/<api id>, /aws/neptune/<cluster id>/audit, each with retention and kms_key_id."
    ),
    category="logging",
    rows=[137, 138],
    other=["gap:7.8"],
)
def declared_log_groups(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for fn in stack.of(FUNCTION):

        def check_fn(fn: Res = fn) -> Iterator[str]:
            groups = stack.linked(fn, "loggingConfig", LOG_GROUP) or _log_group_for(
                stack, fn, "/aws/lambda/", fn.get("name")
            )
            if not groups:
                yield f"{fn.label}: no declared log group (/aws/lambda/<name> or loggingConfig.logGroup)"
            yield from _judge(groups)

        yield from guarded(fn, check_fn)
    for api in stack.of(GRAPHQL_API):

        def check_api(api: Res = api) -> Iterator[str]:
            ident = next((i for i in api.identifiers if i and not i.startswith("arn:")), None)
            groups = _log_group_for(stack, api, "/aws/appsync/apis/", ident)
            if not groups:
                yield f"{api.label}: no declared log group (/aws/appsync/apis/<api id>)"
            yield from _judge(groups)

        yield from guarded(api, check_api)
    for cluster in stack.of(NEPTUNE_CLUSTER):

        def check_cluster(cluster: Res = cluster) -> Iterator[str]:
            if "audit" not in cluster.items("enableCloudwatchLogsExports"):
                return
            ident = cluster.get("clusterIdentifier")
            groups = [
                g
                for g in _log_group_for(stack, cluster, "/aws/neptune/", ident)
                if str(g.get("name", "")).endswith("/audit")
            ]
            groups += [
                g
                for g in stack.of(LOG_GROUP)
                if isinstance(ident, str) and g.get("name") == f"/aws/neptune/{ident}/audit"
            ]
            if not groups:
                yield f"{cluster.label}: the audit export has no declared log group (/aws/neptune/<cluster id>/audit)"
            yield from _judge(groups)

        yield from guarded(cluster, check_cluster)


def _judge(groups: list[Res]) -> Iterator[str]:
    for group in {g.urn: g for g in groups}.values():
        if group.get("retentionInDays") is None:
            yield f"{group.label}: no retention"
        if group.get("kmsKeyId") in (None, ""):
            yield f"{group.label}: no KMS key"
