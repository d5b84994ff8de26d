"""Table rows for the resource policies of the services later issues add."""

from __future__ import annotations

import json
from typing import Any

from tests.policies.conftest import Case

FN = "aws:lambda/function:Function"
API = "aws:appsync/graphQLApi:GraphQLApi"
POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
METHOD = "aws:apigateway/method:Method"
STAGE = "aws:apigateway/stage:Stage"
DIST = "aws:cloudfront/distribution:Distribution"
TRAIL = "aws:cloudtrail/trail:Trail"
TABLE = "aws:dynamodb/table:Table"
ACL = "aws:wafv2/webAcl:WebAcl"
TOPIC = "aws:sns/topic:Topic"
QUEUE = "aws:sqs/queue:Queue"
SECRET = "aws:secretsmanager/secret:Secret"


def _doc(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


PUBLIC = _doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
SCOPED = _doc(
    {
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": "arn:aws:sns:eu-west-1:1:t",
        "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:1:alarm:*"}},
    }
)

FUNCTION_OK = {
    "runtime": "python3.12",
    "role": "arn:aws:iam::1:role/r",
    "vpcConfig": {"subnetIds": ["s-1", "s-2"], "securityGroupIds": ["sg-1"]},
    "tracingConfig": {"mode": "Active"},
    "reservedConcurrentExecutions": 5.0,
    "kmsKeyArn": "arn:aws:kms:eu-west-1:1:key/k",
    "environment": {
        "variables": {
            "TABLE_NAME": "devices",
            "APNS_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:apns",
            "TOKEN_TTL_SECONDS": "3600",
            "AUTH_MODE": "cognito",
        }
    },
    "codeSigningConfigArn": "arn:aws:lambda:eu-west-1:1:code-signing-config:csc-1",
    "memorySize": 512.0,
    "timeout": 30.0,
}

API_OK = {
    "authenticationType": "AMAZON_COGNITO_USER_POOLS",
    "additionalAuthenticationProviders": [{"authenticationType": "AWS_IAM"}],
    "logConfig": {
        "fieldLogLevel": "ERROR",
        "cloudwatchLogsRoleArn": "arn:aws:iam::1:role/logs",
        "excludeVerboseContent": True,
    },
    "xrayEnabled": True,
    "visibility": "PRIVATE",
    "queryDepthLimit": 10.0,
    "resolverCountLimit": 100.0,
    "introspectionConfig": "DISABLED",
}

POOL_OK: dict[str, Any] = {
    "passwordPolicy": {
        "minimumLength": 12.0,
        "requireLowercase": True,
        "requireUppercase": True,
        "requireNumbers": True,
        "requireSymbols": True,
        "temporaryPasswordValidityDays": 3.0,
    },
    "mfaConfiguration": "ON",
    "userPoolAddOns": {"advancedSecurityMode": "ENFORCED"},
    "userPoolTier": "PLUS",
    "deletionProtection": "ACTIVE",
}

CLIENT_OK = {
    "preventUserExistenceErrors": "ENABLED",
    "enableTokenRevocation": True,
    "explicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    "accessTokenValidity": 60.0,
    "idTokenValidity": 60.0,
    "refreshTokenValidity": 30.0,
    "tokenValidityUnits": {"accessToken": "minutes", "idToken": "minutes", "refreshToken": "days"},
}

STAGE_OK = {
    "accessLogSettings": {"destinationArn": "arn:aws:logs:eu-west-1:1:log-group:api", "format": "{}"},
    "xrayTracingEnabled": True,
    "clientCertificateId": "cert-1",
    "cacheClusterEnabled": True,
}

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

TRAIL_OK = {
    "isMultiRegionTrail": True,
    "includeGlobalServiceEvents": True,
    "enableLogFileValidation": True,
    "enableLogging": True,
    "kmsKeyId": "arn:aws:kms:eu-west-1:1:key/k",
    "cloudWatchLogsGroupArn": "arn:aws:logs:eu-west-1:1:log-group:trail:*",
    "cloudWatchLogsRoleArn": "arn:aws:iam::1:role/trail",
    "snsTopicName": "trail-topic",
    "s3BucketName": "trail-bucket",
}

TABLE_OK = {
    "pointInTimeRecovery": {"enabled": True},
    "deletionProtectionEnabled": True,
    "serverSideEncryption": {"enabled": True, "kmsKeyArn": "arn:aws:kms:eu-west-1:1:key/k"},
    "billingMode": "PAY_PER_REQUEST",
}


def _rule(name: str, statement: dict[str, object], **extra: object) -> dict[str, object]:
    return {"name": name, "statement": statement, "visibilityConfig": {"cloudwatchMetricsEnabled": True}, **extra}


ACL_OK = {
    "scope": "REGIONAL",
    "visibilityConfig": {"cloudwatchMetricsEnabled": True},
    "rules": [
        _rule("rate", {"rateBasedStatement": {"limit": 1000}}, action={"block": {}}),
        *(
            _rule(
                group, {"managedRuleGroupStatement": {"vendorName": "AWS", "name": group}}, overrideAction={"none": {}}
            )
            for group in (
                "AWSManagedRulesCommonRuleSet",
                "AWSManagedRulesAmazonIpReputationList",
                "AWSManagedRulesKnownBadInputsRuleSet",
            )
        ),
    ],
}

CASES: list[Case] = [
    # -- Lambda ------------------------------------------------------------------------
    Case(
        "lambda-permission-scoped",
        "aws:lambda/permission:Permission",
        {"principal": "s3.amazonaws.com", "sourceArn": "arn:aws:s3:::uploads", "action": "lambda:InvokeFunction"},
        bad=({"principal": "*"}, {"sourceArn": None}),
        missing=("principal", "sourceArn"),
        unknown=("principal",),
    ),
    Case(
        "lambda-supported-runtime",
        FN,
        FUNCTION_OK,
        bad=({"runtime": "python3.8"},),
        missing=("runtime",),
        unknown=("runtime",),
    ),
    Case("lambda-supported-runtime", FN, {"packageType": "Image"}),
    Case(
        "lambda-in-vpc",
        FN,
        FUNCTION_OK,
        bad=({"vpcConfig.subnetIds": []},),
        missing=("vpcConfig",),
        unknown=("vpcConfig.subnetIds",),
    ),
    Case(
        "lambda-xray-tracing",
        FN,
        FUNCTION_OK,
        bad=({"tracingConfig.mode": "PassThrough"},),
        missing=("tracingConfig",),
        unknown=("tracingConfig.mode",),
    ),
    Case(
        "lambda-reserved-concurrency",
        FN,
        FUNCTION_OK,
        bad=({"reservedConcurrentExecutions": -1.0},),
        missing=("reservedConcurrentExecutions",),
        unknown=("reservedConcurrentExecutions",),
    ),
    Case("lambda-environment-cmk", FN, FUNCTION_OK, missing=("kmsKeyArn",), unknown=("environment.variables",)),
    Case("lambda-environment-cmk", FN, {"runtime": "python3.12"}),
    Case(
        "lambda-no-secrets-in-environment",
        FN,
        FUNCTION_OK,
        bad=(
            {"environment.variables.FCM_API_KEY": "AAAA-secret"},
            {"environment.variables.CONFIG": "AKIAABCDEFGHIJKLMNOP"},
        ),
        optional=("environment",),
        unknown=("environment.variables",),
    ),
    Case("lambda-code-signing", FN, FUNCTION_OK, missing=("codeSigningConfigArn",)),
    Case(
        "lambda-url-iam-auth",
        "aws:lambda/functionUrl:FunctionUrl",
        {"authorizationType": "AWS_IAM"},
        bad=({"authorizationType": "NONE"},),
        missing=("authorizationType",),
        unknown=("authorizationType",),
    ),
    Case("lambda-explicit-memory-timeout", FN, FUNCTION_OK, missing=("memorySize", "timeout")),
    # -- AppSync ---------------------------------------------------------------------------
    Case(
        "appsync-field-logging",
        API,
        API_OK,
        bad=({"logConfig.fieldLogLevel": "NONE"},),
        missing=("logConfig",),
        unknown=("logConfig.fieldLogLevel",),
    ),
    Case(
        "appsync-field-logging",
        API,
        {**API_OK, "logConfig": {"fieldLogLevel": "ALL"}},
        bad=({"logConfig.fieldLogLevel": "INFO"},),
        config={"allowedLevels": ["ERROR", "ALL"]},
    ),
    Case("appsync-request-logging", API, API_OK, missing=("logConfig.cloudwatchLogsRoleArn",)),
    Case(
        "appsync-request-logging",
        API,
        {**API_OK, "logConfig": {"cloudwatchLogsRoleArn": "r", "excludeVerboseContent": False}},
        bad=({"logConfig.excludeVerboseContent": True},),
        missing=("logConfig.excludeVerboseContent",),
        config={"requireVerboseContent": True},
    ),
    Case(
        "appsync-no-api-key-auth",
        API,
        API_OK,
        bad=(
            {"authenticationType": "API_KEY"},
            {"additionalAuthenticationProviders": [{"authenticationType": "API_KEY"}]},
        ),
        unknown=("authenticationType",),
    ),
    Case(
        "appsync-cache-encrypted",
        "aws:appsync/apiCache:ApiCache",
        {"atRestEncryptionEnabled": True, "transitEncryptionEnabled": True},
        bad=({"transitEncryptionEnabled": False},),
        missing=("atRestEncryptionEnabled", "transitEncryptionEnabled"),
        unknown=("atRestEncryptionEnabled",),
    ),
    Case("appsync-xray", API, API_OK, bad=({"xrayEnabled": False},), missing=("xrayEnabled",)),
    Case(
        "appsync-private-visibility",
        API,
        API_OK,
        bad=({"visibility": "GLOBAL"},),
        missing=("visibility",),
        unknown=("visibility",),
    ),
    Case(
        "appsync-query-limits",
        API,
        API_OK,
        bad=({"queryDepthLimit": 0.0}, {"resolverCountLimit": 5000.0}),
        missing=("queryDepthLimit", "resolverCountLimit"),
        unknown=("queryDepthLimit",),
    ),
    Case(
        "appsync-query-limits",
        API,
        {**API_OK, "queryDepthLimit": 5.0},
        bad=({"queryDepthLimit": 8.0},),
        config={"maxQueryDepth": 5},
    ),
    Case(
        "appsync-introspection-disabled",
        API,
        API_OK,
        bad=({"introspectionConfig": "ENABLED"},),
        missing=("introspectionConfig",),
    ),
    # -- Cognito ---------------------------------------------------------------------------
    Case(
        "cognito-password-policy",
        POOL,
        POOL_OK,
        bad=(
            {"passwordPolicy.minimumLength": 6.0},
            {"passwordPolicy.requireSymbols": False},
            {"passwordPolicy.temporaryPasswordValidityDays": 30.0},
        ),
        missing=("passwordPolicy",),
        unknown=("passwordPolicy.requireNumbers",),
    ),
    Case(
        "cognito-password-policy",
        POOL,
        {**POOL_OK, "passwordPolicy": {**POOL_OK["passwordPolicy"], "minimumLength": 14.0}},
        bad=({"passwordPolicy.minimumLength": 12.0},),
        config={"minimumLength": 14},
    ),
    Case(
        "cognito-mfa-required",
        POOL,
        POOL_OK,
        bad=({"mfaConfiguration": "OPTIONAL"}, {"mfaConfiguration": "OFF"}),
        missing=("mfaConfiguration",),
        unknown=("mfaConfiguration",),
    ),
    Case(
        "cognito-mfa-required",
        POOL,
        {**POOL_OK, "mfaConfiguration": "OPTIONAL"},
        bad=({"mfaConfiguration": "OFF"},),
        config={"allowOptional": True},
    ),
    Case(
        "cognito-threat-protection",
        POOL,
        POOL_OK,
        bad=({"userPoolAddOns.advancedSecurityMode": "AUDIT"}, {"userPoolTier": "ESSENTIALS"}),
        missing=("userPoolAddOns",),
        optional=("userPoolTier",),
        unknown=("userPoolAddOns.advancedSecurityMode",),
    ),
    Case(
        "cognito-deletion-protection",
        POOL,
        POOL_OK,
        bad=({"deletionProtection": "INACTIVE"},),
        missing=("deletionProtection",),
    ),
    Case(
        "cognito-identity-pool-no-guests",
        "aws:cognito/identityPool:IdentityPool",
        {"allowUnauthenticatedIdentities": False, "allowClassicFlow": False},
        bad=({"allowUnauthenticatedIdentities": True}, {"allowClassicFlow": True}),
        missing=("allowUnauthenticatedIdentities",),
        optional=("allowClassicFlow",),
        unknown=("allowUnauthenticatedIdentities",),
    ),
    Case(
        "cognito-client-hardening",
        CLIENT,
        CLIENT_OK,
        bad=(
            {"preventUserExistenceErrors": "LEGACY"},
            {"allowedOauthFlows": ["implicit"]},
            {"explicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]},
            {"accessTokenValidity": 24.0, "tokenValidityUnits.accessToken": "hours"},
            {"refreshTokenValidity": 3650.0},
        ),
        missing=("preventUserExistenceErrors", "enableTokenRevocation", "idTokenValidity"),
        unknown=("preventUserExistenceErrors",),
    ),
    # -- API Gateway -------------------------------------------------------------------
    Case(
        "apigateway-method-authorized",
        METHOD,
        {"authorization": "COGNITO_USER_POOLS", "authorizerId": "auth-1", "requestValidatorId": "v"},
        bad=({"authorization": "NONE"}, {"authorizerId": None}),
        missing=("authorization",),
        unknown=("authorization",),
    ),
    Case(
        "apigateway-method-authorized",
        "aws:apigatewayv2/route:Route",
        {"authorizationType": "JWT", "authorizerId": "a"},
        bad=({"authorizationType": "NONE"},),
    ),
    Case("apigateway-request-validation", METHOD, {"requestValidatorId": "v"}, missing=("requestValidatorId",)),
    Case("apigateway-request-validation", METHOD, {"httpMethod": "OPTIONS"}),
    Case("apigateway-method-authorized", METHOD, {"httpMethod": "OPTIONS", "authorization": "NONE"}),
    Case(
        "apigateway-method-authorized",
        METHOD,
        {"httpMethod": "GET", "authorization": "AWS_IAM"},
        bad=({"httpMethod": "OPTIONS", "authorization": "NONE"},),
        config={"allowCorsPreflight": False},
    ),
    Case("apigateway-access-logging", STAGE, STAGE_OK, missing=("accessLogSettings", "accessLogSettings.format")),
    Case(
        "apigateway-access-logging",
        "aws:apigatewayv2/stage:Stage",
        {"accessLogSettings": {"destinationArn": "a", "format": "f"}},
        missing=("accessLogSettings.destinationArn",),
    ),
    Case("apigateway-xray", STAGE, STAGE_OK, bad=({"xrayTracingEnabled": False},), missing=("xrayTracingEnabled",)),
    Case("apigateway-client-certificate", STAGE, STAGE_OK, missing=("clientCertificateId",)),
    Case(
        "apigateway-stage-cache",
        STAGE,
        STAGE_OK,
        bad=({"cacheClusterEnabled": False},),
        missing=("cacheClusterEnabled",),
    ),
    Case(
        "apigateway-method-settings-secure",
        "aws:apigateway/methodSettings:MethodSettings",
        {
            "methodPath": "*/*",
            "settings": {"cachingEnabled": True, "cacheDataEncrypted": True, "dataTraceEnabled": False},
        },
        bad=({"settings.cacheDataEncrypted": False}, {"settings.dataTraceEnabled": True}),
        missing=("settings.cacheDataEncrypted",),
        optional=("settings.dataTraceEnabled",),
        unknown=("settings.cachingEnabled",),
    ),
    Case(
        "apigateway-endpoint-type",
        "aws:apigateway/restApi:RestApi",
        {"endpointConfiguration": {"types": "REGIONAL"}},
        bad=({"endpointConfiguration.types": "EDGE"},),
        missing=("endpointConfiguration",),
        unknown=("endpointConfiguration.types",),
    ),
    Case(
        "apigateway-domain-tls12",
        "aws:apigateway/domainName:DomainName",
        {"securityPolicy": "TLS_1_2"},
        bad=({"securityPolicy": "TLS_1_0"},),
        missing=("securityPolicy",),
        unknown=("securityPolicy",),
    ),
    Case(
        "apigateway-domain-tls12",
        "aws:apigatewayv2/domainName:DomainName",
        {"domainNameConfiguration": {"securityPolicy": "TLS_1_2"}},
        bad=({"domainNameConfiguration.securityPolicy": "TLS_1_0"},),
    ),
    # -- CloudFront ----------------------------------------------------------------------
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
    # -- WAFv2 ------------------------------------------------------------------------------
    Case("wafv2-acl-has-rules", ACL, ACL_OK, bad=({"rules": []},), missing=("rules",), unknown=("rules",)),
    Case(
        "wafv2-metrics-enabled",
        ACL,
        ACL_OK,
        bad=(
            {"visibilityConfig.cloudwatchMetricsEnabled": False},
            {"rules.0.visibilityConfig.cloudwatchMetricsEnabled": False},
        ),
        missing=("visibilityConfig",),
        unknown=("visibilityConfig.cloudwatchMetricsEnabled",),
    ),
    Case("wafv2-rule-actions", ACL, ACL_OK, bad=({"rules.0.action": None},), unknown=("rules",)),
    Case(
        "wafv2-known-bad-inputs",
        ACL,
        ACL_OK,
        bad=({"rules.3.statement.managedRuleGroupStatement.name": "Other"},),
        missing=("rules",),
        unknown=("rules",),
    ),
    Case(
        "wafv2-baseline-rules",
        ACL,
        ACL_OK,
        bad=(
            {"rules.0.statement": {"byteMatchStatement": {}}},
            {"rules.1.statement.managedRuleGroupStatement.name": "X"},
        ),
        missing=("rules",),
        unknown=("rules",),
    ),
    # -- SNS / SQS / Secrets -----------------------------------------------------------
    Case(
        "sns-topic-kms",
        TOPIC,
        {"kmsMasterKeyId": "arn:aws:kms:eu-west-1:1:key/k"},
        bad=({"kmsMasterKeyId": ""},),
        missing=("kmsMasterKeyId",),
    ),
    Case(
        "sns-topic-policy-not-public",
        "aws:sns/topicPolicy:TopicPolicy",
        {"arn": "t", "policy": SCOPED},
        bad=({"policy": PUBLIC},),
        unknown=("policy",),
    ),
    Case("sns-topic-policy-not-public", TOPIC, {"policy": SCOPED}, bad=({"policy": PUBLIC},), optional=("policy",)),
    Case(
        "sns-delivery-status-logging",
        TOPIC,
        {"applicationFailureFeedbackRoleArn": "arn:aws:iam::1:role/fb"},
        missing=("applicationFailureFeedbackRoleArn",),
    ),
    Case(
        "sns-delivery-status-logging",
        "aws:sns/platformApplication:PlatformApplication",
        {"failureFeedbackRoleArn": "arn:aws:iam::1:role/fb"},
        missing=("failureFeedbackRoleArn",),
    ),
    Case(
        "sns-subscription-redrive",
        "aws:sns/topicSubscription:TopicSubscription",
        {"protocol": "sqs", "redrivePolicy": '{"deadLetterTargetArn": "arn"}'},
        missing=("redrivePolicy",),
    ),
    Case(
        "sqs-queue-encrypted",
        QUEUE,
        {"kmsMasterKeyId": "arn:aws:kms:eu-west-1:1:key/k"},
        bad=({"kmsMasterKeyId": "", "sqsManagedSseEnabled": True},),
        missing=("kmsMasterKeyId",),
    ),
    Case(
        "sqs-queue-policy-not-public",
        "aws:sqs/queuePolicy:QueuePolicy",
        {"queueUrl": "q", "policy": SCOPED},
        bad=({"policy": PUBLIC},),
        unknown=("policy",),
    ),
    Case("secret-cmk", SECRET, {"kmsKeyId": "arn:aws:kms:eu-west-1:1:key/k"}, missing=("kmsKeyId",)),
    Case(
        "secret-policy-not-public",
        "aws:secretsmanager/secretPolicy:SecretPolicy",
        {"secretArn": "s", "policy": SCOPED, "blockPublicPolicy": True},
        bad=({"policy": PUBLIC}, {"blockPublicPolicy": False}),
        missing=("blockPublicPolicy",),
        unknown=("policy", "blockPublicPolicy"),
    ),
    # -- DynamoDB / DAX ------------------------------------------------------------------
    Case(
        "dynamodb-pitr",
        TABLE,
        TABLE_OK,
        bad=({"pointInTimeRecovery.enabled": False},),
        missing=("pointInTimeRecovery",),
        unknown=("pointInTimeRecovery.enabled",),
    ),
    Case(
        "dynamodb-deletion-protection",
        TABLE,
        TABLE_OK,
        bad=({"deletionProtectionEnabled": False},),
        missing=("deletionProtectionEnabled",),
    ),
    Case(
        "dynamodb-cmk-encryption",
        TABLE,
        TABLE_OK,
        bad=({"serverSideEncryption.enabled": False},),
        missing=("serverSideEncryption", "serverSideEncryption.kmsKeyArn"),
        unknown=("serverSideEncryption.enabled",),
    ),
    Case(
        "dax-encrypted",
        "aws:dax/cluster:Cluster",
        {"serverSideEncryption": {"enabled": True}, "clusterEndpointEncryptionType": "TLS"},
        bad=({"clusterEndpointEncryptionType": "NONE"},),
        missing=("serverSideEncryption",),
        unknown=("clusterEndpointEncryptionType",),
    ),
    # -- CloudTrail / Config -----------------------------------------------------------
    Case(
        "cloudtrail-multi-region-management-events",
        TRAIL,
        TRAIL_OK,
        bad=(
            {"isMultiRegionTrail": False},
            {"includeGlobalServiceEvents": False},
            {"eventSelectors": [{"readWriteType": "WriteOnly"}]},
        ),
        missing=("isMultiRegionTrail",),
        optional=("includeGlobalServiceEvents",),
        unknown=("isMultiRegionTrail",),
    ),
    Case(
        "cloudtrail-log-file-validation",
        TRAIL,
        TRAIL_OK,
        bad=({"enableLogFileValidation": False},),
        missing=("enableLogFileValidation",),
        unknown=("enableLogFileValidation",),
    ),
    Case(
        "cloudtrail-logging-enabled",
        TRAIL,
        TRAIL_OK,
        bad=({"enableLogging": False},),
        optional=("enableLogging",),
        unknown=("enableLogging",),
    ),
    Case("cloudtrail-kms", TRAIL, TRAIL_OK, missing=("kmsKeyId",)),
    Case("cloudtrail-cloudwatch-logs", TRAIL, TRAIL_OK, missing=("cloudWatchLogsGroupArn", "cloudWatchLogsRoleArn")),
    Case("cloudtrail-sns-notification", TRAIL, TRAIL_OK, missing=("snsTopicName",)),
    Case(
        "config-aggregator-all-regions",
        "aws:cfg/configurationAggregator:ConfigurationAggregator",
        {"accountAggregationSource": {"accountIds": ["1"], "allRegions": True}},
        bad=({"accountAggregationSource.allRegions": False},),
        missing=("accountAggregationSource",),
        unknown=("accountAggregationSource.allRegions",),
    ),
    # -- S3 ----------------------------------------------------------------------------------
    Case(
        "s3-account-public-access-block",
        "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
        {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": True},
        bad=({"blockPublicPolicy": False},),
        missing=("restrictPublicBuckets",),
        unknown=("ignorePublicAcls",),
    ),
    Case(
        "s3-bucket-no-public-acl",
        "aws:s3/bucketAcl:BucketAcl",
        {"acl": "private"},
        bad=(
            {"acl": "public-read"},
            {
                "accessControlPolicy": {
                    "grants": [
                        {
                            "permission": "READ",
                            "grantee": {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"},
                        }
                    ]
                }
            },
        ),
        optional=("acl",),
        unknown=("acl",),
    ),
    Case(
        "s3-bucket-no-public-acl",
        "aws:s3/bucketAclV2:BucketAclV2",
        {"acl": "private"},
        bad=({"acl": "public-read-write"},),
    ),
    Case(
        "s3-bucket-policy-not-public",
        "aws:s3/bucketPolicy:BucketPolicy",
        {"bucket": "b", "policy": SCOPED},
        bad=(
            {"policy": PUBLIC},
            {
                "policy": _doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::b/*",
                    }
                )
            },
        ),
        missing=("policy",),
        unknown=("policy",),
    ),
    # -- alarms, Pulumi -------------------------------------------------------------------
    Case(
        "alarm-has-action",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        {"alarmActions": ["arn:aws:sns:eu-west-1:1:alerts"], "actionsEnabled": True},
        bad=({"actionsEnabled": False}, {"alarmActions": []}),
        missing=("alarmActions",),
        optional=("actionsEnabled",),
        unknown=("alarmActions",),
    ),
]

ALWAYS_VIOLATING: list[tuple[str, str]] = [
    ("waf-classic-not-used", "aws:waf/webAcl:WebAcl"),
    ("waf-classic-not-used", "aws:wafregional/webAclAssociation:WebAclAssociation"),
    ("stateful-resources-protected", "aws:neptune/cluster:Cluster"),
    ("stateful-resources-protected", "aws:s3/bucket:Bucket"),
]
