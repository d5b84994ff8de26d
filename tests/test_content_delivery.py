"""Content delivery, media pipeline and REST API: both stacks' registrations and their wiring."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.mocks import RecordedResource
from offline.runner import REPO_ROOT, ProgramRun, run_program
from tests.conftest import assert_one_line_config_error, policy

BUCKET = "aws:s3/bucket:Bucket"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
METHOD = "aws:apigateway/method:Method"
ROLES = ("static", "uploads", "media", "logs")
SPLIT = {
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "public-access",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "ownership",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "encryption",
    "aws:s3/bucketVersioning:BucketVersioning": "versioning",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "lifecycle",
    "aws:s3/bucketLogging:BucketLogging": "access-logging",
}


def bucket(run: ProgramRun, role: str) -> RecordedResource:
    return run.one(BUCKET, f"content-{role}")


def linked(run: ProgramRun, type_token: str, target: RecordedResource) -> list[RecordedResource]:
    """Resources of ``type_token`` whose ``bucket`` input comes from ``target`` (property dependency)."""
    return [r for r in run.by_type(type_token) if target.urn in r.property_dependencies.get("bucket", [])]


@pytest.mark.parametrize("role", ROLES)
def test_every_bucket_has_each_split_setting_linked_to_it(run: ProgramRun, role: str) -> None:
    target = bucket(run, role)
    for type_token, suffix in SPLIT.items():
        found = linked(run, type_token, target)
        if role == "logs" and suffix == "access-logging":
            assert found == [], "the logs bucket does not log into itself"
            continue
        assert len(found) == 1, f"{role}: {suffix}"
        assert found[0].name == f"content-{role}-{suffix}"
        assert found[0].inputs["bucket"] == target.id


@pytest.mark.parametrize("role", ROLES)
def test_bucket_settings_are_secure(run: ProgramRun, config: dict[str, Any], role: str) -> None:
    target = bucket(run, role)
    assert target.protect is config["contentDelivery"]["protect"]
    block = linked(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", target)[0].inputs
    assert all(
        block[flag] is True
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    ownership = linked(run, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", target)[0].inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    (rule,) = linked(
        run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", target
    )[0].inputs["rules"]
    # CloudFront's origins: the content key (its policy admits the distribution); uploads: the
    # data key; logs: SSE-S3, the only default encryption S3 server access logging writes into.
    expected_key = {
        "static": "content-content-key",
        "media": "content-content-key",
        "uploads": "keys-data",
        "logs": None,
    }[role]
    if expected_key is None:
        assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    else:
        key = run.one("aws:kms/key:Key", expected_key).state["arn"]
        assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key}
        assert rule["bucketKeyEnabled"] is True
    versioning = linked(run, "aws:s3/bucketVersioning:BucketVersioning", target)[0].inputs
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    rules = linked(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", target)[0].inputs["rules"]
    for lifecycle in rules:
        assert (
            lifecycle["noncurrentVersionExpiration"]["noncurrentDays"]
            == config["contentDelivery"]["noncurrentVersionDays"]
        )
        assert lifecycle["abortIncompleteMultipartUpload"]["daysAfterInitiation"] >= 1
    document = policy(linked(run, "aws:s3/bucketPolicy:BucketPolicy", target)[0].inputs)
    deny = document["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert all(s["Principal"] != "*" for s in document["Statement"] if s["Effect"] == "Allow")


def test_raw_uploads_expire_per_config(run: ProgramRun, config: dict[str, Any]) -> None:
    rules = linked(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", bucket(run, "uploads"))[
        0
    ].inputs["rules"]
    by_id = {r["id"]: r for r in rules}
    assert by_id["expire-raw-uploads"]["filter"] == {"prefix": "uploads/"}
    assert by_id["expire-raw-uploads"]["expiration"]["days"] == config["uploads"]["rawExpiryDays"]
    assert by_id["expire-rejected-uploads"]["expiration"]["days"] == config["uploads"]["rejectedExpiryDays"]


def test_access_logs_go_to_the_logs_bucket(run: ProgramRun) -> None:
    logs = bucket(run, "logs")
    for role in ("static", "uploads", "media"):
        (logging,) = linked(run, "aws:s3/bucketLogging:BucketLogging", bucket(run, role))
        assert logging.inputs["targetBucket"] == logs.id
        assert logs.urn in logging.property_dependencies["targetBucket"]


def test_origin_buckets_admit_only_this_distribution(run: ProgramRun) -> None:
    distribution = run.one(DISTRIBUTION, "content-distribution")
    oac = run.one("aws:cloudfront/originAccessControl:OriginAccessControl", "content-oac")
    assert oac.inputs["signingBehavior"] == "always" and oac.inputs["originAccessControlOriginType"] == "s3"
    origins = {o["originId"]: o for o in distribution.inputs["origins"]}
    assert set(origins) == {"static", "media"}
    for role in ("static", "media"):
        target = bucket(run, role)
        assert origins[role]["originAccessControlId"] == oac.id
        assert origins[role]["domainName"] == target.state["bucketRegionalDomainName"]
        (bucket_policy,) = linked(run, "aws:s3/bucketPolicy:BucketPolicy", target)
        assert distribution.urn in bucket_policy.property_dependencies["policy"], "joined at preview, not by ARN"
        (allow,) = [s for s in policy(bucket_policy.inputs)["Statement"] if s["Effect"] == "Allow"]
        assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert allow["Action"] == "s3:GetObject"
        assert allow["Resource"] == f"{target.state['arn']}/*"
        assert allow["Condition"] == {"StringEquals": {"AWS:SourceArn": distribution.state["arn"]}}
    uploads_policy = linked(run, "aws:s3/bucketPolicy:BucketPolicy", bucket(run, "uploads"))[0]
    assert [s["Effect"] for s in policy(uploads_policy.inputs)["Statement"]] == ["Deny"], "nobody reads uploads"


def test_distribution_is_https_only_with_headers_waf_and_paths(run: ProgramRun) -> None:
    distribution = run.one(DISTRIBUTION, "content-distribution").inputs
    default = distribution["defaultCacheBehavior"]
    (media,) = distribution["orderedCacheBehaviors"]
    assert default["targetOriginId"] == "static" and media["targetOriginId"] == "media"
    assert media["pathPattern"] == "/media/*"
    for behaviour in (default, media):
        assert behaviour["viewerProtocolPolicy"] in ("redirect-to-https", "https-only")
    headers = run.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "content-security-headers")
    assert default["responseHeadersPolicyId"] == media["responseHeadersPolicyId"] == headers.id
    security = headers.inputs["securityHeadersConfig"]
    assert security["strictTransportSecurity"]["accessControlMaxAgeSec"] >= 31_536_000
    assert security["contentTypeOptions"]["override"] is True
    assert security["frameOptions"]["frameOption"] == "DENY"
    assert "default-src 'none'" in security["contentSecurityPolicy"]["contentSecurityPolicy"]
    acl = run.one(WEB_ACL, "content-waf-acl")
    assert distribution["webAclId"] == acl.state["arn"]
    # No domain configured in either stack: the documented *.cloudfront.net fallback.
    assert distribution["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}


def test_standard_logging_v2_into_the_logs_bucket(run: ProgramRun) -> None:
    distribution = run.one(DISTRIBUTION, "content-distribution")
    source = run.one("aws:cloudwatch/logDeliverySource:LogDeliverySource", "content-access-log-source")
    destination = run.one(
        "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination", "content-access-log-destination"
    )
    delivery = run.one("aws:cloudwatch/logDelivery:LogDelivery", "content-access-log-delivery")
    assert source.inputs["resourceArn"] == distribution.state["arn"] and source.inputs["logType"] == "ACCESS_LOGS"
    assert {source.inputs["region"], destination.inputs["region"], delivery.inputs["region"]} == {"us-east-1"}
    logs = bucket(run, "logs")
    assert destination.inputs["deliveryDestinationConfiguration"]["destinationResourceArn"].startswith(
        logs.state["arn"]
    )
    assert delivery.inputs["deliverySourceName"] == source.inputs["name"]


def test_cloudfront_acl_lives_in_us_east_1(run: ProgramRun, config: dict[str, Any]) -> None:
    """The CloudFront-scope ACL and everything it logs to are in us-east-1; the regional ACL
    (tests/test_web_firewall.py) stays in the stack's region."""
    edge, regional = run.one(WEB_ACL, "content-waf-acl"), run.one(WEB_ACL, "firewall-acl")
    assert (edge.inputs["scope"], edge.inputs["region"]) == ("CLOUDFRONT", "us-east-1")
    assert regional.inputs["scope"] == "REGIONAL" and "region" not in regional.inputs
    assert run.one(DISTRIBUTION, "content-distribution").inputs["webAclId"] == edge.state["arn"]
    action = config["contentDelivery"]["firewall"]["action"]
    rules = {r["name"]: r for r in edge.inputs["rules"]}
    assert {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    } <= set(rules)
    assert rules["rate-limit-per-ip"]["action"] == ({"block": {}} if action == "BLOCK" else {"count": {}})
    assert (
        rules["rate-limit-per-ip"]["statement"]["rateBasedStatement"]["limit"]
        == config["contentDelivery"]["firewall"]["rateLimit"]
    )
    logging = run.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "content-waf-logging")
    group = run.one("aws:cloudwatch/logGroup:LogGroup", "content-waf-logs")
    assert group.inputs["name"].startswith("aws-waf-logs-") and group.inputs["region"] == "us-east-1"
    assert logging.inputs["logDestinationConfigs"] == [group.state["arn"]]
    assert {f["singleHeader"]["name"] for f in logging.inputs["redactedFields"]} == {"authorization", "cookie"}
    edge_key = run.one("aws:kms/key:Key", "content-edge-logs-key")
    assert edge_key.inputs["region"] == "us-east-1" and edge_key.inputs["enableKeyRotation"] is True
    assert group.inputs["kmsKeyId"] == edge_key.state["arn"]


def test_custom_domain_gets_a_us_east_1_certificate_and_tls_1_2() -> None:
    run = run_program(
        REPO_ROOT,
        "dev",
        config_overrides={
            "social-backend:contentDelivery": json.dumps({"domainName": "cdn.example.com", "hostedZoneId": "Z123ABC"})
        },
    )
    certificate = run.one("aws:acm/certificate:Certificate", "content-certificate").inputs
    assert (certificate["region"], certificate["validationMethod"]) == ("us-east-1", "DNS")
    validation = run.one("aws:acm/certificateValidation:CertificateValidation", "content-certificate-validation")
    assert validation.inputs["region"] == "us-east-1"
    viewer = run.one(DISTRIBUTION, "content-distribution").inputs["viewerCertificate"]
    assert viewer["minimumProtocolVersion"] == "TLSv1.2_2021" and viewer["sslSupportMethod"] == "sni-only"
    assert run.one(DISTRIBUTION, "content-distribution").inputs["aliases"] == ["cdn.example.com"]


def test_thumbnailer_triggered_by_uploads_prefix_only(run: ProgramRun, config: dict[str, Any]) -> None:
    function = run.one("aws:lambda/function:Function", "media-thumbnailer-function")
    notification = run.one("aws:s3/bucketNotification:BucketNotification", "media-uploads-notification")
    uploads = bucket(run, "uploads")
    assert notification.inputs["bucket"] == uploads.state["bucket"]
    (target,) = notification.inputs["lambdaFunctions"]
    assert target["filterPrefix"] == "uploads/" and target["lambdaFunctionArn"] == function.state["arn"]
    permission = run.one("aws:lambda/permission:Permission", "media-thumbnailer-s3-invoke").inputs
    assert permission["principal"] == "s3.amazonaws.com"
    assert permission["sourceArn"] == uploads.state["arn"] and permission["sourceAccount"] == "123456789012"
    assert function.inputs["reservedConcurrentExecutions"] == config["functions"]["thumbnailer"]["reservedConcurrency"]
    assert "deadLetterConfig" in function.inputs
    variables = function.inputs["environment"]["variables"]
    assert variables["MEDIA_BUCKET"] == bucket(run, "media").state["bucket"] != variables["UPLOADS_BUCKET"]


def test_upload_url_may_only_put_raw_uploads(run: ProgramRun) -> None:
    statements = policy(run.one("aws:iam/policy:Policy", "media-upload-url-policy").inputs)["Statement"]
    by_sid = {s["Sid"]: s for s in statements}
    uploads = bucket(run, "uploads").state["arn"]
    assert by_sid["PutRawUploads"] == {
        "Sid": "PutRawUploads",
        "Effect": "Allow",
        "Action": ["s3:PutObject"],
        "Resource": [f"{uploads}/uploads/*"],
    }
    assert by_sid["EncryptUploadsWithDataKey"]["Resource"] == [run.one("aws:kms/key:Key", "keys-data").state["arn"]]
    assert "vpcConfig" not in run.one("aws:lambda/function:Function", "media-upload-url-function").inputs


def test_every_rest_method_but_options_uses_the_cognito_authorizer(run: ProgramRun) -> None:
    authorizer = run.one("aws:apigateway/authorizer:Authorizer", "rest-api-authorizer")
    assert authorizer.inputs["type"] == "COGNITO_USER_POOLS"
    methods = run.by_type(METHOD)
    assert {m.inputs["httpMethod"] for m in methods} == {"POST", "OPTIONS"}
    for method in methods:
        if method.inputs["httpMethod"] == "OPTIONS":
            assert method.inputs["authorization"] == "NONE"
        else:
            assert method.inputs["authorization"] == "COGNITO_USER_POOLS"
            assert method.inputs["authorizerId"] == authorizer.id
            assert authorizer.urn in method.property_dependencies["authorizerId"]


def test_upload_body_is_validated_against_the_config(run: ProgramRun, config: dict[str, Any]) -> None:
    post = run.one(METHOD, "rest-api-uploads-post").inputs
    validator = run.one("aws:apigateway/requestValidator:RequestValidator", "rest-api-body-validator")
    assert post["requestValidatorId"] == validator.id and validator.inputs["validateRequestBody"] is True
    model = run.one("aws:apigateway/model:Model", "rest-api-upload-request-model").inputs
    assert post["requestModels"] == {"application/json": model["name"]}
    schema = json.loads(model["schema"])
    assert schema["additionalProperties"] is False
    assert schema["properties"]["contentType"]["enum"] == config["uploads"]["allowedContentTypes"]
    assert schema["properties"]["size"]["maximum"] == config["uploads"]["maxBytes"]


def test_stage_logs_traces_throttles_and_sits_behind_waf(run: ProgramRun, config: dict[str, Any]) -> None:
    stage = run.one("aws:apigateway/stage:Stage", "rest-api-stage")
    assert stage.inputs["xrayTracingEnabled"] is True
    access = run.one("aws:cloudwatch/logGroup:LogGroup", "rest-api-access-logs")
    assert access.inputs["kmsKeyId"] == run.one("aws:kms/key:Key", "keys-logs").state["arn"]
    assert stage.inputs["accessLogSettings"]["destinationArn"] == access.state["arn"]
    assert json.loads(stage.inputs["accessLogSettings"]["format"])["requestId"] == "$context.requestId"
    settings = run.one("aws:apigateway/methodSettings:MethodSettings", "rest-api-method-settings").inputs
    assert settings["methodPath"] == "*/*"
    assert settings["settings"]["loggingLevel"] == "ERROR" and settings["settings"]["dataTraceEnabled"] is False
    assert settings["settings"]["throttlingRateLimit"] == config["restApi"]["throttleRateLimit"]
    assert settings["settings"]["throttlingBurstLimit"] == config["restApi"]["throttleBurstLimit"]
    association = run.one("aws:wafv2/webAclAssociation:WebAclAssociation", "rest-api-waf-association")
    assert association.inputs["resourceArn"] == stage.state["arn"]
    assert stage.urn in association.property_dependencies["resourceArn"]
    assert association.inputs["webAclArn"] == run.one(WEB_ACL, "firewall-acl").state["arn"]
    api = run.one("aws:apigateway/restApi:RestApi", "rest-api-api").inputs
    assert api["endpointConfiguration"]["types"] == "REGIONAL"


def test_cors_preflight_echoes_only_listed_origins(run: ProgramRun, config: dict[str, Any]) -> None:
    integration = run.one("aws:apigateway/integration:Integration", "rest-api-uploads-options-integration")
    assert integration.inputs["type"] == "MOCK"
    response = run.one(
        "aws:apigateway/integrationResponse:IntegrationResponse", "rest-api-uploads-options-integration-200"
    ).inputs
    template = response["responseTemplates"]["application/json"]
    for origin in config["restApi"]["allowedOrigins"]:
        assert f'"{origin}"' in template
    assert "'*'" not in json.dumps(response["responseParameters"]) and "*" not in template


def test_lambda_permission_scoped_to_post_uploads(run: ProgramRun) -> None:
    permission = run.one("aws:lambda/permission:Permission", "rest-api-upload-url-invoke").inputs
    api = run.one("aws:apigateway/restApi:RestApi", "rest-api-api")
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["sourceArn"] == f"{api.state['executionArn']}/*/POST/uploads"
    function = run.one("aws:lambda/function:Function", "media-upload-url-function")
    assert permission["function"] == function.inputs["name"]


def test_outputs(run: ProgramRun) -> None:
    assert run.outputs["distributionDomainName"] == run.one(DISTRIBUTION, "content-distribution").state["domainName"]
    assert run.outputs["bucketNames"] == {role: bucket(run, role).state["bucket"] for role in ROLES}
    assert run.outputs["restApiUrl"].startswith("https://") and run.outputs["restApiUrl"].endswith("/v1/")


@pytest.mark.parametrize(
    ("section", "value", "message"),
    [
        ("restApi", {"allowedOrigins": ["*"]}, "restApi.allowedOrigins[0]: must be an exact https origin"),
        (
            "restApi",
            {"allowedOrigins": ["http://app.example.com"]},
            "restApi.allowedOrigins[0]: must be an exact https",
        ),
        ("uploads", {"allowedContentTypes": ["image/gif"]}, "uploads.allowedContentTypes[0]: must be one of"),
        ("uploads", {"maxBytes": 0}, "uploads.maxBytes: must be between 1 and"),
        ("uploads", {"urlExpirySeconds": 86400}, "uploads.urlExpirySeconds: must be between 30 and 3600"),
        ("thumbnails", {"format": "png"}, "thumbnails.format: must be one of webp, jpeg"),
        ("thumbnails", {"maxPixels": 10**12}, "thumbnails.maxPixels: must be between"),
        ("contentDelivery", {"domainName": "cdn.example.com"}, "contentDelivery.hostedZoneId: set domainName and"),
        (
            "contentDelivery",
            {"firewall": {"action": "allow"}},
            "contentDelivery.firewall.action: must be one of COUNT, BLOCK",
        ),
        ("contentDelivery", {"blockedCountries": ["germany"]}, "contentDelivery.blockedCountries[0]: must be an ISO"),
    ],
)
def test_bad_config_is_one_line_naming_the_key(section: str, value: dict[str, Any], message: str) -> None:
    assert_one_line_config_error({f"social-backend:{section}": json.dumps(value)}, f"social-backend:{message}")
