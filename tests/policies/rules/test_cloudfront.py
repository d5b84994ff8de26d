"""Rule table for policies/rules/cloudfront.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import pytest

from tests.policies.conftest import Case, check_case

DIST = "aws:cloudfront/distribution:Distribution"

DIST_OK = {
    "defaultRootObject": "index.html",
    "defaultCacheBehavior": {"viewerProtocolPolicy": "redirect-to-https", "responseHeadersPolicyId": "rhp"},
    "orderedCacheBehaviors": [
        {"pathPattern": "/media/*", "viewerProtocolPolicy": "https-only", "responseHeadersPolicyId": "rhp"}
    ],
    "originGroups": [{"originId": "g"}],
    "loggingConfig": {"bucket": "logs.s3.amazonaws.com"},
    "viewerCertificate": {
        "acmCertificateArn": "arn:aws:acm:us-east-1:1:certificate/c",
        "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": "TLSv1.2_2021",
    },
    "origins": [
        {"originId": "static", "domainName": "static.s3.eu-west-1.amazonaws.com", "originAccessControlId": "oac-1"},
        {
            "originId": "api",
            "domainName": "api.example.com",
            "customOriginConfig": {"originProtocolPolicy": "https-only", "originSslProtocols": ["TLSv1.2"]},
        },
    ],
    "restrictions": {"geoRestriction": {"restrictionType": "blacklist", "locations": ["KP"]}},
    "webAclId": "arn:aws:wafv2:us-east-1:1:global/webacl/a/1",
}

CASES: list[Case] = [
    Case("cloudfront-default-root-object", DIST, DIST_OK, missing=("defaultRootObject",)),
    Case(
        "cloudfront-viewer-https",
        DIST,
        DIST_OK,
        bad=(
            {"defaultCacheBehavior.viewerProtocolPolicy": "allow-all"},
            {"orderedCacheBehaviors.0.viewerProtocolPolicy": "allow-all"},
        ),
        missing=("defaultCacheBehavior.viewerProtocolPolicy",),
        unknown=("defaultCacheBehavior",),
    ),
    Case("cloudfront-origin-failover", DIST, DIST_OK, missing=("originGroups",)),
    Case(
        "cloudfront-custom-certificate",
        DIST,
        DIST_OK,
        bad=(
            {"viewerCertificate": {"cloudfrontDefaultCertificate": True}},
            {"viewerCertificate.sslSupportMethod": "vip"},
        ),
        missing=("viewerCertificate.acmCertificateArn",),
        unknown=("viewerCertificate.sslSupportMethod",),
    ),
    Case(
        "cloudfront-viewer-tls12",
        DIST,
        DIST_OK,
        bad=({"viewerCertificate.minimumProtocolVersion": "TLSv1"},),
        missing=("viewerCertificate.minimumProtocolVersion",),
        unknown=("viewerCertificate.minimumProtocolVersion",),
    ),
    Case(
        "cloudfront-origin-tls",
        DIST,
        DIST_OK,
        bad=(
            {"origins.1.customOriginConfig.originProtocolPolicy": "match-viewer"},
            {"origins.1.customOriginConfig.originSslProtocols": ["TLSv1", "TLSv1.2"]},
        ),
        unknown=("origins",),
    ),
    Case(
        "cloudfront-origin-access-control",
        DIST,
        DIST_OK,
        bad=(
            {"origins.0.originAccessControlId": ""},
            {"origins.0.s3OriginConfig": {"originAccessIdentity": "origin-access-identity/cloudfront/E1"}},
        ),
        missing=("origins.0.originAccessControlId",),
        unknown=("origins",),
    ),
    Case(
        "cloudfront-geo-restriction",
        DIST,
        DIST_OK,
        bad=({"restrictions.geoRestriction.restrictionType": "none"},),
        missing=("restrictions",),
        unknown=("restrictions.geoRestriction.restrictionType",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    check_case(case)
