"""API Gateway (REST and HTTP/WebSocket): rows 30 and 147-158 (150 is with WAFv2)."""

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
from policies.rules._helpers import require_set, require_true

REST_API = "aws:apigateway/restApi:RestApi"
STAGE = "aws:apigateway/stage:Stage"
STAGE_V2 = "aws:apigatewayv2/stage:Stage"
METHOD = "aws:apigateway/method:Method"
METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
ROUTE_V2 = "aws:apigatewayv2/route:Route"
DOMAIN = "aws:apigateway/domainName:DomainName"
DOMAIN_V2 = "aws:apigatewayv2/domainName:DomainName"


@resource_rule(
    "apigateway-method-authorized",
    pack=SECURITY,
    types=[METHOD, ROUTE_V2],
    description="Every REST method and HTTP/WebSocket route requires authorization (a Cognito authorizer for user-facing methods).",
    severity="critical",
    remediation="Set authorization='COGNITO_USER_POOLS' with authorizer_id (or AWS_IAM for service callers).",
    category="least-privilege",
    rows=[30, 153],
    fsbp=["APIGateway.8"],
    cdk_nag=["APIG4", "COG4"],
    checkov=["CKV_AWS_59", "CKV_AWS_309", "CKV2_AWS_70"],
    params=[
        Param(
            "allowedAuthorization",
            {"type": "array", "items": {"type": "string"}},
            ["COGNITO_USER_POOLS", "AWS_IAM", "CUSTOM", "JWT"],
            "authorization types accepted",
        ),
        Param(
            "allowCorsPreflight",
            {"type": "boolean"},
            True,
            "OPTIONS methods (CORS preflight cannot carry credentials; checkov CKV_AWS_59 skips them too)",
        ),
    ],
)
def method_authorized(r: Res, cfg: Settings) -> Iterator[str]:
    if _is_cors_preflight(r, cfg):
        return
    key = "authorization" if r.type == METHOD else "authorizationType"
    mode = r.req(key)
    if mode not in cfg["allowedAuthorization"]:
        yield f"{r.label}: {key} is {mode or 'NONE'!r}"
    elif mode in ("COGNITO_USER_POOLS", "CUSTOM", "JWT") and r.get("authorizerId") in (None, ""):
        yield f"{r.label}: {mode} without an authorizer_id"


def _is_cors_preflight(r: Res, cfg: Settings) -> bool:
    if not cfg["allowCorsPreflight"]:
        return False
    if r.type == METHOD:
        return bool(r.req("httpMethod") == "OPTIONS")
    return str(r.req("routeKey") or "").startswith("OPTIONS ")


@resource_rule(
    "apigateway-request-validation",
    pack=COMPLIANCE,
    types=[METHOD],
    description="REST methods validate requests (request validator); CORS preflight OPTIONS methods carry no request to validate.",
    severity="low",
    remediation="Create an aws.apigateway.RequestValidator and pass request_validator_id.",
    category="hygiene",
    rows=[154],
    cdk_nag=["APIG2"],
    checkov=["CKV2_AWS_53"],
)
def request_validation(r: Res, _: Settings) -> Iterator[str]:
    if r.req("httpMethod") == "OPTIONS":
        return
    if r.get("requestValidatorId") in (None, ""):
        yield f"{r.label}: requests are not validated (requestValidatorId is not set)"


@resource_rule(
    "apigateway-access-logging",
    pack=COMPLIANCE,
    types=[STAGE, STAGE_V2],
    description="API stages write access logs to a declared destination with a format.",
    severity="medium",
    remediation="Set access_log_settings={'destination_arn': <log group>.arn, 'format': <JSON format>}.",
    category="logging",
    rows=[148],
    fsbp=["APIGateway.9"],
    cdk_nag=["APIG1", "SL:APIGWAccessLogging"],
    checkov=["CKV_AWS_76"],
    other=["pulumi-cp:apigatewayv2-stage-enable-access-logging"],
)
def access_logging(r: Res, _: Settings) -> Iterator[str]:
    for key in ("destinationArn", "format"):
        if r.get(f"accessLogSettings.{key}") in (None, ""):
            yield f"{r.label}: accessLogSettings.{key} is not set"


require_true(
    "apigateway-xray",
    path="xrayTracingEnabled",
    what="X-Ray tracing is off",
    pack=COMPLIANCE,
    types=[STAGE],
    description="REST API stages trace with X-Ray.",
    severity="low",
    remediation="Set xray_tracing_enabled=True.",
    category="logging",
    rows=[149],
    fsbp=["APIGateway.3"],
    cdk_nag=["SL:APIGWXrayEnabled"],
    checkov=["CKV_AWS_73"],
)

require_set(
    "apigateway-client-certificate",
    path="clientCertificateId",
    what="no client certificate for backend calls",
    pack=SECURITY,
    types=[STAGE],
    description="REST API stages present a client certificate to HTTP backends.",
    severity="low",
    remediation="Create an aws.apigateway.ClientCertificate and pass client_certificate_id (irrelevant for Lambda proxy backends: exempt those).",
    category="encryption",
    rows=[152],
    fsbp=["APIGateway.2"],
    cdk_nag=["NIST5:APIGWSSLEnabled"],
    checkov=["CKV2_AWS_51"],
)

require_true(
    "apigateway-stage-cache",
    path="cacheClusterEnabled",
    what="the stage cache is off",
    pack=COMPLIANCE,
    types=[STAGE],
    description="REST API stages enable the stage cache.",
    severity="low",
    remediation="Set cache_cluster_enabled=True with a cache size, and encrypt cache data in method settings.",
    category="hygiene",
    rows=[158],
    other=["awsguard:apigateway-stage-cached"],
)


@resource_rule(
    "apigateway-method-settings-secure",
    pack=SECURITY,
    types=[METHOD_SETTINGS],
    description="Method settings encrypt cached data and keep data tracing (full request/response logging) off.",
    severity="high",
    remediation="Set settings.cache_data_encrypted=True when caching and settings.data_trace_enabled=False.",
    category="encryption",
    rows=[151, 156],
    fsbp=["APIGateway.5"],
    cdk_nag=["NIST5:APIGWCacheEnabledAndEncrypted"],
    checkov=["CKV_AWS_308", "CKV_AWS_276"],
    other=["awsguard:apigateway-method-cached-and-encrypted"],
)
def method_settings_secure(r: Res, _: Settings) -> Iterator[str]:
    if r.flag("settings.cachingEnabled", default=False) and not r.flag("settings.cacheDataEncrypted"):
        yield f"{r.label}: cached data is not encrypted"
    if r.flag("settings.dataTraceEnabled", default=False):
        yield f"{r.label}: data trace logs full requests and responses"


@stack_rule(
    "apigateway-execution-logging-and-throttling",
    pack=COMPLIANCE,
    description="Every REST stage has '*/*' method settings with execution logging (ERROR or INFO) and non-default throttling.",
    severity="medium",
    remediation="Add aws.apigateway.MethodSettings(method_path='*/*', settings={'logging_level': 'ERROR', 'throttling_rate_limit': ..., 'throttling_burst_limit': ...}).",
    category="logging",
    rows=[147, 157],
    fsbp=["APIGateway.1"],
    cdk_nag=["APIG6", "NIST5:APIGWExecutionLoggingEnabled", "SL:APIGWDefaultThrottling"],
    checkov=["CKV2_AWS_4"],
)
def execution_logging(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for stage in stack.of(STAGE):

        def check(stage: Res = stage) -> Iterator[str]:
            settings = [
                s
                for s in stack.of(METHOD_SETTINGS)
                if (stack.refers(s, "stageName", stage) or stage.get("stageName") == s.get("stageName"))
                and s.req("methodPath") == "*/*"
            ]
            if not settings:
                yield f"{stage.label}: no '*/*' method settings"
                return
            if not any(s.req("settings.loggingLevel") in ("ERROR", "INFO") for s in settings):
                yield f"{stage.label}: execution logging is off"
            throttled = any(
                (s.number("settings.throttlingRateLimit") or -1) > 0
                and (s.number("settings.throttlingBurstLimit") or -1) > 0
                for s in settings
            )
            if not throttled:
                yield f"{stage.label}: default (account-level) throttling"

        yield from guarded(stage, check)


@resource_rule(
    "apigateway-endpoint-type",
    pack=SECURITY,
    types=[REST_API],
    description="REST APIs use an allowed endpoint type (REGIONAL or PRIVATE; edge-optimised bypasses our WAF setup).",
    severity="medium",
    remediation="Set endpoint_configuration={'types': 'REGIONAL'}.",
    category="network",
    rows=[158],
    other=["awsguard:apigateway-endpoint-type"],
    params=[
        Param(
            "allowedTypes",
            {"type": "array", "items": {"type": "string"}},
            ["REGIONAL", "PRIVATE"],
            "endpoint types allowed",
        )
    ],
)
def endpoint_type(r: Res, cfg: Settings) -> Iterator[str]:
    types = r.req("endpointConfiguration.types")
    values = types if isinstance(types, list) else [types or "EDGE"]
    bad = [t for t in values if t not in cfg["allowedTypes"]]
    if bad:
        yield f"{r.label}: endpoint type {', '.join(map(str, bad))} is not allowed"


@resource_rule(
    "apigateway-domain-tls12",
    pack=SECURITY,
    types=[DOMAIN, DOMAIN_V2],
    description="Custom domain names require TLS 1.2 or newer.",
    severity="high",
    remediation="Set security_policy='TLS_1_2' (or a TLS 1.3 policy).",
    category="encryption",
    rows=[155],
    checkov=["CKV_AWS_206"],
    other=["pulumi-cp:apigateway-domainname-configure-security-policy"],
)
def domain_tls(r: Res, _: Settings) -> Iterator[str]:
    policy = r.req("securityPolicy") if r.type == DOMAIN else r.req("domainNameConfiguration.securityPolicy")
    if not isinstance(policy, str) or not ("TLS_1_2" in policy or "TLS13" in policy or "TLS12" in policy):
        yield f"{r.label}: security policy is {policy!r}"
