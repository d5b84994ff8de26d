"""The modelling limits decide from the plan checkov was given: each covers the resources its
reason describes, and a resource it does not describe still fails the comparison."""

from __future__ import annotations

from offline.terraform_plan import export
from policies.core import Res
from tests.policies.checkov_comparison import MODELLING_LIMITS

FN = "aws:lambda/function:Function"
FN_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:api"


def _fn() -> Res:
    return Res(FN, "api", f"urn:pulumi:dev::p::{FN}::api", {"name": "api"}, identifiers=(FN_ARN,))


def _permission(principal: str) -> Res:
    service = principal.split(".")[0]
    return Res(
        "aws:lambda/permission:Permission",
        f"allow-{service}",
        f"urn:pulumi:dev::p::aws:lambda/permission:Permission::allow-{service}",
        {"function": "api", "principal": principal, "action": "lambda:InvokeFunction"},
        property_dependencies={"function": [f"urn:pulumi:dev::p::{FN}::api"]},
    )


def test_a_dead_letter_queue_is_not_asked_of_a_function_only_called_synchronously() -> None:
    limit = MODELLING_LIMITS["CKV_AWS_116"]
    integration = Res(
        "aws:apigateway/integration:Integration",
        "proxy",
        "urn:pulumi:dev::p::aws:apigateway/integration:Integration::proxy",
        {"uri": f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{FN_ARN}/invocations"},
        property_dependencies={"uri": [f"urn:pulumi:dev::p::{FN}::api"]},
    )
    sync = export([_fn(), integration, _permission("apigateway.amazonaws.com")])
    assert limit.applies(sync, "aws_lambda_function.api")
    # S3 notifications invoke asynchronously: checkov is right to ask for a DLQ there.
    also_async = export([_fn(), integration, _permission("s3.amazonaws.com")])
    assert not limit.applies(also_async, "aws_lambda_function.api")
    assert not limit.applies(export([_fn()]), "aws_lambda_function.api"), "no known caller: not the limit"


def test_sse_s3_is_accepted_only_on_a_bucket_that_receives_access_logs() -> None:
    limit = MODELLING_LIMITS["CKV_AWS_145"]
    logs_urn = "urn:pulumi:dev::p::aws:s3/bucket:Bucket::logs"
    buckets = [
        Res("aws:s3/bucket:Bucket", "logs", logs_urn, {"bucket": "logs-1"}, identifiers=("logs-1",)),
        Res("aws:s3/bucket:Bucket", "media", "urn:pulumi:dev::p::aws:s3/bucket:Bucket::media", {"bucket": "media-1"}),
        Res(
            "aws:s3/bucketLogging:BucketLogging",
            "media-logging",
            "urn:pulumi:dev::p::aws:s3/bucketLogging:BucketLogging::media-logging",
            {"bucket": "media-1", "targetBucket": "logs-1"},
            property_dependencies={"targetBucket": [logs_urn]},
        ),
    ]
    plan = export(buckets)
    assert limit.applies(plan, "aws_s3_bucket.logs")
    assert not limit.applies(plan, "aws_s3_bucket.media")


def test_request_validation_is_waived_only_for_cors_preflight() -> None:
    limit = MODELLING_LIMITS["CKV2_AWS_53"]
    methods = [
        Res(
            "aws:apigateway/method:Method",
            m.lower(),
            f"urn:pulumi:dev::p::aws:apigateway/method:Method::{m}",
            {"httpMethod": m},
        )
        for m in ("OPTIONS", "POST")
    ]
    plan = export(methods)
    assert limit.applies(plan, "aws_api_gateway_method.options")
    assert not limit.applies(plan, "aws_api_gateway_method.post")


def test_cloudfront_logging_counts_only_through_a_delivery_source_on_the_distribution() -> None:
    limit = MODELLING_LIMITS["CKV_AWS_86"]
    dist_urn = "urn:pulumi:dev::p::aws:cloudfront/distribution:Distribution::cdn"
    dist_arn = "arn:aws:cloudfront::123456789012:distribution/E1"
    dist = Res("aws:cloudfront/distribution:Distribution", "cdn", dist_urn, {"enabled": True}, identifiers=(dist_arn,))
    source = Res(
        "aws:cloudwatch/logDeliverySource:LogDeliverySource",
        "cdn-access",
        "urn:pulumi:dev::p::aws:cloudwatch/logDeliverySource:LogDeliverySource::cdn-access",
        {"resourceArn": dist_arn, "logType": "ACCESS_LOGS"},
        property_dependencies={"resourceArn": [dist_urn]},
    )
    assert limit.applies(export([dist, source]), "aws_cloudfront_distribution.cdn")
    assert not limit.applies(export([dist]), "aws_cloudfront_distribution.cdn")
