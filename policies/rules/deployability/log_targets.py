"""Log-delivery targets whose encryption the delivering service cannot use."""

from __future__ import annotations

from collections.abc import Iterator

from policies.core import DEPLOYABILITY, Res, Settings, Stack, StackFinding, guarded, stack_rule
from policies.rules._helpers import BUCKET_TYPES, s3
from policies.rules.deployability._common import DocumentError, allows, bucket_kms, key_policy

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
DESTINATION = "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"
LOG_DELIVERY = "delivery.logs.amazonaws.com"


#: Application Load Balancers (the default type of these tokens; network load balancers
#: deliver through delivery.logs and support SSE-KMS with a key grant).
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")


def _sse_s3_only_targets(stack: Stack, source: Res) -> tuple[str, list[Res]]:
    """(what delivers, target buckets) for a source whose log delivery accepts only SSE-S3 targets."""
    if source.type in LOAD_BALANCERS:
        if source.req("loadBalancerType") not in (None, "application") or not source.flag("accessLogs.enabled"):
            return "", []
        buckets = stack.linked(source, "accessLogs", *BUCKET_TYPES)
        return "Application Load Balancer access logging", buckets
    return "S3 server access logging", stack.linked(source, "targetBucket", *BUCKET_TYPES)


@stack_rule(
    "log-target-sse-s3-only",
    pack=DEPLOYABILITY,
    description="Log targets that accept only SSE-S3 (S3 server access logging, Application Load Balancer access logs) have SSE-S3 default encryption.",
    severity="high",
    remediation=(
        "Give the log target bucket SSE-S3 (sse_algorithm='AES256') default encryption, or no encryption "
        "configuration (SSE-S3 is the S3 default); keep SSE-KMS for the buckets it logs. Amazon S3 User Guide, "
        "'Troubleshoot server access logging'; Elastic Load Balancing, 'Enable access logs for your "
        "Application Load Balancer'."
    ),
    category="deployability",
    rows=[],
    other=["none: gap"],
    # S3: "You can use default bucket encryption on the destination bucket only if you use
    # server-side encryption with Amazon S3 managed keys (SSE-S3). Default server-side
    # encryption with AWS KMS keys (SSE-KMS) is not supported for server access logging
    # destination buckets." ALB (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html):
    # "The only server-side encryption option that's supported is Amazon S3-managed keys (SSE-S3)."
    # Either way no log object is ever written.
    doc_title="Amazon S3 User Guide: Troubleshoot server access logging",
    doc_url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshooting-server-access-logging.html",
)
def sse_s3_only_target(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for source in stack.of(*s3("BucketLogging"), *LOAD_BALANCERS):

        def check(source: Res = source) -> Iterator[str]:
            what, targets = _sse_s3_only_targets(stack, source)
            for target in targets:
                for default in bucket_kms(stack, target):
                    yield (
                        f"{source.label}: target bucket {target.name!r} has SSE-KMS default encryption "
                        f"({default.sse.name!r}); {what} delivers only to SSE-S3 buckets, so no log is ever written"
                    )

        yield from guarded(source, check)


def _log_buckets(stack: Stack, source: Res) -> list[Res]:
    """Buckets a CloudFront legacy logging config or an S3 log-delivery destination writes to.

    Linked by property dependency (known at preview), else by the bucket name in the value.
    """
    prop, path = (
        ("loggingConfig", "loggingConfig.bucket")
        if source.type == DISTRIBUTION
        else ("deliveryDestinationConfiguration", "deliveryDestinationConfiguration.destinationResourceArn")
    )
    buckets = stack.deps(source, prop, *BUCKET_TYPES)
    if buckets:
        return buckets
    value = source.req(path)
    if not isinstance(value, str) or not value:
        return []
    name = value.removeprefix("arn:aws:s3:::").split("/", 1)[0].split(".s3", 1)[0]
    return [b for b in stack.of(*BUCKET_TYPES) if name and name in (b.get("bucket"), *b.identifiers)]


@stack_rule(
    "log-delivery-kms-key-admits-delivery-service",
    pack=DEPLOYABILITY,
    description="A CloudFront standard-log or vended-log (log delivery) S3 bucket on SSE-KMS uses a customer managed key whose policy lets delivery.logs.amazonaws.com kms:GenerateDataKey*.",
    severity="high",
    remediation=(
        "Encrypt the log bucket with a customer managed key (not aws/s3) and add a key-policy statement: "
        "Principal {Service: delivery.logs.amazonaws.com}, Action kms:GenerateDataKey*, Resource *, with "
        "aws:SourceAccount / aws:SourceArn conditions; or use SSE-S3 on the log bucket."
    ),
    category="deployability",
    rows=[],
    other=["none: gap"],
    # CloudWatch Logs, "Logs sent to Amazon S3": "If the bucket has server-side encryption
    # using a customer managed AWS KMS key, you must also add the key policy for your customer
    # managed key" (delivery.logs.amazonaws.com, kms:GenerateDataKey*). CloudFront standard
    # logging (legacy) writes as the same service and needs the same statement; it cannot use
    # the AWS managed aws/s3 key (CloudFront Developer Guide, "Configure standard logging
    # (legacy)", https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html).
    doc_title="Amazon CloudWatch Logs User Guide: Logs sent to Amazon S3 (Amazon S3 bucket server-side encryption)",
    doc_url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-S3.html",
)
def log_delivery_key(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for source in stack.of(DISTRIBUTION, DESTINATION):

        def check(source: Res = source) -> Iterator[str]:
            for bucket in _log_buckets(stack, source):
                for default in bucket_kms(stack, bucket):
                    if default.aws_managed:
                        yield (
                            f"{source.label}: log bucket {bucket.name!r} uses the AWS managed aws/s3 key, whose policy "
                            "cannot admit the log delivery service: no log is written"
                        )
                    for key in default.keys:
                        try:
                            statements = key_policy(stack, key).statements
                        except DocumentError as problem:
                            yield str(problem)
                            continue
                        if not any(
                            allows(s, "kms:GenerateDataKey") and LOG_DELIVERY in s.principals_of("Service")
                            for s in statements
                        ):
                            yield (
                                f"{source.label}: log bucket {bucket.name!r} is SSE-KMS with key {key.name!r}, whose "
                                "policy does not let delivery.logs.amazonaws.com kms:GenerateDataKey*: no log is written"
                            )

        yield from guarded(source, check)
