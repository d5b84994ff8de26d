"""CloudFront: rows 50-64 and the origin bucket lock-down of section 7.6."""

from __future__ import annotations

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
    guarded,
    resource_rule,
    stack_rule,
)
from policies.rules._helpers import BUCKET_TYPES, document, s3

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
HEADERS_POLICY = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
BUCKET_POLICY = s3("BucketPolicy")


def _behaviors(r: Res) -> list[tuple[str, dict[str, Any]]]:
    found = [("default behavior", r.req("defaultCacheBehavior") or {})]
    found += [
        (f"behavior {b.get('pathPattern')!r}", b) for b in r.items("orderedCacheBehaviors") if isinstance(b, dict)
    ]
    return found


def _origins(r: Res) -> list[dict[str, Any]]:
    return [o for o in r.items("origins") if isinstance(o, dict)]


def _is_s3_origin(origin: dict[str, Any]) -> bool:
    return (
        bool(origin.get("s3OriginConfig"))
        or ".s3." in str(origin.get("domainName", ""))
        or str(origin.get("domainName", "")).endswith(".s3.amazonaws.com")
    )


_META: dict[str, Any] = {"types": [DISTRIBUTION]}


@resource_rule(
    "cloudfront-default-root-object",
    pack=COMPLIANCE,
    description="Distributions set a default root object.",
    severity="low",
    remediation="Set default_root_object='index.html'.",
    category="hygiene",
    rows=[50],
    fsbp=["CloudFront.1"],
    checkov=["CKV_AWS_305"],
    **_META,
)
def root_object(r: Res, _: Settings) -> Iterator[str]:
    if r.get("defaultRootObject") in (None, ""):
        yield f"{r.label}: no default root object"


@resource_rule(
    "cloudfront-viewer-https",
    pack=SECURITY,
    description="Every cache behavior requires HTTPS from viewers.",
    severity="high",
    remediation="Set viewer_protocol_policy='redirect-to-https' (or 'https-only') on every behavior.",
    category="encryption",
    rows=[51],
    fsbp=["CloudFront.3"],
    checkov=["CKV_AWS_34"],
    other=["pulumi-cp:cloudfront-distribution-disallow-unencrypted-traffic"],
    **_META,
)
def viewer_https(r: Res, _: Settings) -> Iterator[str]:
    for where, behavior in _behaviors(r):
        if behavior.get("viewerProtocolPolicy") not in ("redirect-to-https", "https-only"):
            yield f"{r.label}: {where} allows {behavior.get('viewerProtocolPolicy')!r}"


@resource_rule(
    "cloudfront-origin-failover",
    pack=COMPLIANCE,
    description="Distributions configure origin failover (an origin group).",
    severity="low",
    remediation="Add an origin_groups entry with a secondary origin.",
    category="resilience",
    rows=[52],
    fsbp=["CloudFront.4"],
    checkov=["CKV_AWS_310"],
    **_META,
)
def failover(r: Res, _: Settings) -> Iterator[str]:
    if not r.items("originGroups"):
        yield f"{r.label}: no origin group"


LOG_DELIVERY_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
LOG_DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"


@stack_rule(
    "cloudfront-access-logging",
    pack=COMPLIANCE,
    description=(
        "Distributions log requests: legacy standard logging to a bucket, or standard logging v2 "
        "(a CloudWatch log delivery source of type ACCESS_LOGS for the distribution, delivered somewhere)."
    ),
    severity="medium",
    remediation=(
        "Add aws.cloudwatch.LogDeliverySource(resource_arn=dist.arn, log_type='ACCESS_LOGS') with a "
        "LogDeliveryDestination and LogDelivery (v2), or logging_config={'bucket': ...} (legacy)."
    ),
    category="logging",
    rows=[53],
    fsbp=["CloudFront.5"],
    cdk_nag=["CFR3"],
    checkov=["CKV_AWS_86"],
    other=["pulumi-cp:cloudfront-distribution-enable-access-logging"],
)
def access_logging(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for dist in stack.of(DISTRIBUTION):

        def check(dist: Res = dist) -> Iterator[str]:
            if dist.get("loggingConfig.bucket") not in (None, ""):
                return
            sources = [
                source
                for source in stack.referrers(dist, "resourceArn", LOG_DELIVERY_SOURCE)
                if source.req("logType") == "ACCESS_LOGS"
            ]
            delivered = [
                source
                for source in sources
                if any(
                    stack.refers(delivery, "deliverySourceName", source, str(source.get("name") or ""))
                    for delivery in stack.of(LOG_DELIVERY)
                )
            ]
            if not delivered:
                detail = "a v2 log delivery source has no delivery" if sources else "no standard logging (legacy or v2)"
                yield f"{dist.label}: access logging is off ({detail})"

        yield from guarded(dist, check)


@resource_rule(
    "cloudfront-custom-certificate",
    pack=SECURITY,
    description="Distributions use a custom ACM certificate with SNI, not the default *.cloudfront.net certificate.",
    severity="medium",
    remediation="Set viewer_certificate={'acm_certificate_arn': <us-east-1 cert>, 'ssl_support_method': 'sni-only', ...}.",
    category="encryption",
    rows=[56],
    fsbp=["CloudFront.7", "CloudFront.8"],
    checkov=["CKV2_AWS_42"],
    **_META,
)
def custom_certificate(r: Res, _: Settings) -> Iterator[str]:
    if r.flag("viewerCertificate.cloudfrontDefaultCertificate", default=False) or r.get(
        "viewerCertificate.acmCertificateArn"
    ) in (None, ""):
        yield f"{r.label}: uses the default CloudFront certificate"
    elif r.req("viewerCertificate.sslSupportMethod") != "sni-only":
        yield f"{r.label}: sslSupportMethod is not sni-only"


@resource_rule(
    "cloudfront-viewer-tls12",
    pack=SECURITY,
    description="Distributions require TLS 1.2 (TLSv1.2_2021 or newer) from viewers.",
    severity="high",
    remediation="Set viewer_certificate.minimum_protocol_version='TLSv1.2_2021'.",
    category="encryption",
    rows=[57],
    fsbp=["CloudFront.15"],
    cdk_nag=["CFR4"],
    checkov=["CKV_AWS_174", "CKV2_AWS_54"],
    other=["pulumi-cp:cloudfront-distribution-configure-secure-tls"],
    params=[
        Param(
            "allowedVersions",
            {"type": "array", "items": {"type": "string"}},
            ["TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"],
            "accepted minimum protocol versions",
        )
    ],
    **_META,
)
def viewer_tls(r: Res, cfg: Settings) -> Iterator[str]:
    version = r.req("viewerCertificate.minimumProtocolVersion")
    if version not in cfg["allowedVersions"]:
        yield f"{r.label}: minimum viewer protocol is {version or 'not set (TLSv1 with the default certificate)'}"


@resource_rule(
    "cloudfront-origin-tls",
    pack=SECURITY,
    description="Custom origins are reached over HTTPS only, without SSLv3, TLSv1 or TLSv1.1.",
    severity="high",
    remediation="Set custom_origin_config.origin_protocol_policy='https-only' and origin_ssl_protocols=['TLSv1.2'].",
    category="encryption",
    rows=[58, 59],
    fsbp=["CloudFront.9", "CloudFront.10"],
    cdk_nag=["CFR5"],
    checkov=["CKV2_AWS_72"],
    other=["pulumi-cp:cloudfront-distribution-enable-tls-to-origin"],
    **_META,
)
def origin_tls(r: Res, _: Settings) -> Iterator[str]:
    for origin in _origins(r):
        custom = origin.get("customOriginConfig")
        if not custom:
            continue
        if custom.get("originProtocolPolicy") != "https-only":
            yield f"{r.label}: origin {origin.get('originId')!r} protocol policy is {custom.get('originProtocolPolicy')!r}"
        weak = [p for p in custom.get("originSslProtocols") or [] if p in ("SSLv3", "TLSv1", "TLSv1.1")]
        if weak:
            yield f"{r.label}: origin {origin.get('originId')!r} allows {', '.join(weak)}"


@resource_rule(
    "cloudfront-origin-access-control",
    pack=SECURITY,
    description="S3 and Lambda function URL origins use origin access control (no legacy OAI, no public origin).",
    severity="high",
    remediation="Create an aws.cloudfront.OriginAccessControl and set origin_access_control_id on the origin; drop s3_origin_config OAI.",
    category="least-privilege",
    rows=[60, 61],
    fsbp=["CloudFront.13", "CloudFront.16"],
    cdk_nag=["CFR7", "CFR6"],
    checkov=["CKV2_AWS_46"],
    **_META,
)
def origin_access_control(r: Res, _: Settings) -> Iterator[str]:
    for origin in _origins(r):
        name = origin.get("originId")
        oai = (origin.get("s3OriginConfig") or {}).get("originAccessIdentity")
        if oai:
            yield f"{r.label}: origin {name!r} uses a legacy origin access identity"
        needs_oac = _is_s3_origin(origin) or ".lambda-url." in str(origin.get("domainName", ""))
        if needs_oac and origin.get("originAccessControlId") in (None, ""):
            yield f"{r.label}: origin {name!r} has no origin access control"


@resource_rule(
    "cloudfront-geo-restriction",
    pack=SECURITY,
    description="Distributions restrict viewer geography (allow-list or block-list).",
    severity="low",
    remediation="Set restrictions.geo_restriction with restriction_type 'whitelist' or 'blacklist'.",
    category="network",
    rows=[63],
    cdk_nag=["CFR1"],
    checkov=["CKV_AWS_374"],
    **_META,
)
def geo(r: Res, _: Settings) -> Iterator[str]:
    if r.req("restrictions.geoRestriction.restrictionType") in (None, "none"):
        yield f"{r.label}: no geo restriction"


@stack_rule(
    "cloudfront-security-headers",
    pack=SECURITY,
    description="Every behavior attaches a response headers policy of this stack with HSTS (>= 1 year) and the standard security headers.",
    severity="medium",
    remediation="Create aws.cloudfront.ResponseHeadersPolicy with security_headers_config (HSTS, content-type-options, frame-options) and set response_headers_policy_id.",
    category="encryption",
    rows=[64],
    checkov=["CKV2_AWS_32", "CKV_AWS_259"],
    params=[Param("minimumHstsSeconds", {"type": "integer", "minimum": 0}, 31536000, "shortest HSTS max-age")],
)
def security_headers(stack: Stack, cfg: Settings) -> Iterator[StackFinding]:
    for dist in stack.of(DISTRIBUTION):

        def check(dist: Res = dist) -> Iterator[str]:
            for where, behavior in _behaviors(dist):
                if behavior.get("responseHeadersPolicyId") in (None, ""):
                    yield f"{dist.label}: {where} has no response headers policy"
            policies = stack.linked(dist, "defaultCacheBehavior", HEADERS_POLICY) + stack.linked(
                dist, "orderedCacheBehaviors", HEADERS_POLICY
            )
            for policy in {p.urn: p for p in policies}.values():
                hsts = policy.req("securityHeadersConfig.strictTransportSecurity") or {}
                if (hsts.get("accessControlMaxAgeSec") or 0) < cfg["minimumHstsSeconds"]:
                    yield f"{dist.label}: headers policy {policy.name!r} has HSTS max-age below {cfg['minimumHstsSeconds']}"
                for header in ("contentTypeOptions", "frameOptions"):
                    if not policy.req(f"securityHeadersConfig.{header}"):
                        yield f"{dist.label}: headers policy {policy.name!r} lacks {header}"

        yield from guarded(dist, check)


@stack_rule(
    "cloudfront-origin-bucket-locked-to-distribution",
    pack=SECURITY,
    description=(
        "Each S3 origin bucket is declared in this stack and its policy lets only cloudfront.amazonaws.com read, "
        "conditioned on AWS:SourceArn of this distribution."
    ),
    severity="high",
    remediation=(
        "Bucket policy statement: Principal Service cloudfront.amazonaws.com, Action s3:GetObject, Resource bucket/*, "
        "Condition StringEquals AWS:SourceArn = distribution.arn (built with Output.json_dumps)."
    ),
    category="least-privilege",
    rows=[60, 62],
    fsbp=["CloudFront.12"],
    other=["gap:7.6"],
)
def origin_bucket(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for dist in stack.of(DISTRIBUTION):

        def check(dist: Res = dist) -> Iterator[str]:
            if not any(_is_s3_origin(o) for o in _origins(dist)):
                return
            buckets = stack.linked(dist, "origins", *BUCKET_TYPES)
            if not buckets:
                yield f"{dist.label}: its S3 origin bucket is not declared in this stack (dangling origin)"
            for bucket in buckets:
                policies = stack.referrers(bucket, "bucket", *BUCKET_POLICY)
                if not policies:
                    yield f"{dist.label}: origin bucket {bucket.name!r} has no bucket policy"
                for policy in policies:
                    yield from _judge_origin_policy(dist, bucket, policy)

        yield from guarded(dist, check)


def _judge_origin_policy(dist: Res, bucket: Res, policy: Res) -> Iterator[str]:
    try:
        doc = document(policy, "policy")
    except iamdoc.DocumentError as error:
        yield f"{policy.label}: {error}"
        return
    grants_dist = False
    for statement in iamdoc.statements(doc):
        if not statement.allows or not any(a.lower() in ("s3:getobject", "s3:*", "*") for a in statement.actions):
            continue
        services = statement.principals_of("Service")
        if services != ["cloudfront.amazonaws.com"] or statement.principals_of("AWS") or "*" in statement.principals:
            yield f"{dist.label}: origin bucket {bucket.name!r} lets {', '.join(statement.principals)} read objects"
            continue
        source = statement.condition_values("AWS:SourceArn")
        if not source:
            yield f"{dist.label}: origin bucket {bucket.name!r} lets any distribution read (no AWS:SourceArn)"
        elif dist.urn in policy.deps_of("policy") or any(s in dist.identifiers for s in source):
            grants_dist = True
        else:
            yield f"{dist.label}: origin bucket {bucket.name!r} admits a distribution other than this one"
    if not grants_dist:
        yield f"{dist.label}: origin bucket {bucket.name!r} policy does not grant this distribution (via AWS:SourceArn)"
