"""AppSync: rows 15-24 and the Cognito join of section 7.1."""

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
from policies.rules._helpers import require_true

API = "aws:appsync/graphQLApi:GraphQLApi"
CACHE = "aws:appsync/apiCache:ApiCache"
USER_POOL = "aws:cognito/userPool:UserPool"


@resource_rule(
    "appsync-field-logging",
    pack=COMPLIANCE,
    types=[API],
    description="AppSync APIs log resolver (field-level) activity at ERROR or more.",
    severity="medium",
    remediation="Set log_config.field_log_level to ERROR (or ALL) with cloudwatch_logs_role_arn.",
    category="logging",
    rows=[15],
    fsbp=["AppSync.2"],
    checkov=["CKV_AWS_194"],
    params=[
        Param(
            "allowedLevels",
            {"type": "array", "items": {"type": "string"}},
            ["ERROR", "INFO", "DEBUG", "ALL"],
            "accepted field log levels",
        )
    ],
)
def field_logging(r: Res, cfg: Settings) -> Iterator[str]:
    level = r.req("logConfig.fieldLogLevel")
    if level not in cfg["allowedLevels"]:
        yield f"{r.label}: field log level is {level!r}"


@resource_rule(
    "appsync-request-logging",
    pack=COMPLIANCE,
    types=[API],
    description="AppSync APIs have request-level logging (a CloudWatch logs role); verbose content per config.",
    severity="medium",
    remediation="Set log_config.cloudwatch_logs_role_arn; set exclude_verbose_content=False only if requireVerboseContent is on.",
    category="logging",
    rows=[16],
    cdk_nag=["ASC3"],
    checkov=["CKV_AWS_193"],
    params=[
        Param(
            "requireVerboseContent",
            {"type": "boolean"},
            False,
            "cdk-nag ASC3 also wants verbose content; off by default because it logs headers and PII",
        )
    ],
)
def request_logging(r: Res, cfg: Settings) -> Iterator[str]:
    if r.get("logConfig.cloudwatchLogsRoleArn") in (None, ""):
        yield f"{r.label}: no CloudWatch logs role (request logging is off)"
    if cfg["requireVerboseContent"] and r.req("logConfig.excludeVerboseContent") is not False:
        yield f"{r.label}: verbose content is excluded"


@resource_rule(
    "appsync-no-api-key-auth",
    pack=SECURITY,
    types=[API],
    description="AppSync APIs do not use API-key authentication (primary or additional providers).",
    severity="high",
    remediation="Use AMAZON_COGNITO_USER_POOLS for users and AWS_IAM for backends.",
    category="least-privilege",
    rows=[17],
    fsbp=["AppSync.5"],
)
def no_api_key(r: Res, _: Settings) -> Iterator[str]:
    modes = [r.req("authenticationType")] + [
        p.get("authenticationType") for p in r.items("additionalAuthenticationProviders") if isinstance(p, dict)
    ]
    if "API_KEY" in modes:
        yield f"{r.label}: API_KEY authentication is enabled"


@resource_rule(
    "appsync-cache-encrypted",
    pack=SECURITY,
    types=[CACHE],
    description="AppSync API caches encrypt data at rest and in transit.",
    severity="medium",
    remediation="Set at_rest_encryption_enabled=True and transit_encryption_enabled=True.",
    category="encryption",
    rows=[18, 19],
    fsbp=["AppSync.1", "AppSync.6"],
    checkov=["CKV_AWS_214", "CKV_AWS_215"],
)
def cache_encrypted(r: Res, _: Settings) -> Iterator[str]:
    for key in ("atRestEncryptionEnabled", "transitEncryptionEnabled"):
        if not r.flag(key):
            yield f"{r.label}: {key} is not true"


require_true(
    "appsync-xray",
    path="xrayEnabled",
    what="X-Ray tracing is off",
    pack=COMPLIANCE,
    types=[API],
    description="AppSync APIs trace requests with X-Ray.",
    severity="low",
    remediation="Set xray_enabled=True.",
    category="logging",
    rows=[20],
    cdk_nag=["SL:AppSyncTracing"],
)


@resource_rule(
    "appsync-private-visibility",
    pack=SECURITY,
    types=[API],
    description="AppSync APIs are PRIVATE where possible (public APIs are exempted with a reason).",
    severity="low",
    remediation="Set visibility='PRIVATE' for internal APIs; exempt public mobile-facing APIs in the stack's policy config.",
    category="network",
    rows=[23],
    other=["CT.APPSYNC.PR.2"],
)
def private_visibility(r: Res, _: Settings) -> Iterator[str]:
    if r.req("visibility") != "PRIVATE":
        yield f"{r.label}: visibility is {r.get('visibility') or 'GLOBAL'!r}"


@resource_rule(
    "appsync-query-limits",
    pack=SECURITY,
    types=[API],
    description="AppSync APIs limit query depth and resolver count.",
    severity="medium",
    remediation="Set query_depth_limit (1..maxQueryDepth) and resolver_count_limit (1..maxResolverCount).",
    category="network",
    rows=[24],
    other=["gap:7.1"],
    params=[
        Param("maxQueryDepth", {"type": "integer", "minimum": 1}, 15, "largest query depth limit allowed"),
        Param("maxResolverCount", {"type": "integer", "minimum": 1}, 1000, "largest resolver count limit allowed"),
    ],
)
def query_limits(r: Res, cfg: Settings) -> Iterator[str]:
    for key, limit in (("queryDepthLimit", cfg["maxQueryDepth"]), ("resolverCountLimit", cfg["maxResolverCount"])):
        value = r.number(key)
        if value is None or value == 0:
            yield f"{r.label}: {key} is not set (unlimited)"
        elif value > limit:
            yield f"{r.label}: {key} {value:g} exceeds {limit}"


@resource_rule(
    "appsync-introspection-disabled",
    pack=SECURITY,
    types=[API],
    description="AppSync APIs disable schema introspection.",
    severity="low",
    remediation="Set introspection_config='DISABLED' (the stack config enables it in dev only).",
    category="network",
    rows=[24],
    other=["gap:7.1"],
)
def introspection(r: Res, _: Settings) -> Iterator[str]:
    if r.req("introspectionConfig") != "DISABLED":
        yield f"{r.label}: introspection is enabled"


@stack_rule(
    "appsync-cognito-pool-enforces-mfa",
    pack=SECURITY,
    description="AppSync APIs that authenticate with Cognito user pools point at this stack's user pool, and that pool enforces MFA.",
    severity="high",
    remediation="Pass user_pool_config.user_pool_id=<identity component pool>.id; set the pool's mfa_configuration='ON'.",
    category="least-privilege",
    rows=[17, 26],
    other=["gap:7.1"],
    params=[Param("allowOptional", {"type": "boolean"}, False, "accept an OPTIONAL-MFA pool (dev stacks)")],
)
def cognito_pool(stack: Stack, cfg: Settings) -> Iterator[StackFinding]:
    for api in stack.of(API):

        def check(api: Res = api) -> Iterator[str]:
            providers = [p for p in api.items("additionalAuthenticationProviders") if isinstance(p, dict)]
            uses_pool = api.req("authenticationType") == "AMAZON_COGNITO_USER_POOLS" or any(
                p.get("authenticationType") == "AMAZON_COGNITO_USER_POOLS" for p in providers
            )
            if not uses_pool:
                return
            pools = stack.linked(api, "userPoolConfig", USER_POOL) + stack.linked(
                api, "additionalAuthenticationProviders", USER_POOL
            )
            if not pools:
                yield f"{api.label}: its Cognito user pool is not declared in this stack"
            for pool in pools:
                allowed = ("ON", "OPTIONAL") if cfg["allowOptional"] else ("ON",)
                if pool.req("mfaConfiguration") not in allowed:
                    yield f"{api.label}: user pool {pool.name!r} does not enforce MFA"

        yield from guarded(api, check)
