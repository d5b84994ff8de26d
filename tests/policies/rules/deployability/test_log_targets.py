"""Rule tests for policies/rules/deployability/log_targets.py: passing, violating, property-missing and unknown-at-preview stacks."""

from __future__ import annotations

from typing import Any

from tests.policies.conftest import UNKNOWN, R, validate_stack
from tests.policies.rules.deployability._stacks import DIST, ROOT, bucket, doc, key, messages, sse, undecided

LOGGING = "aws:s3/bucketLogging:BucketLogging"


DEST = "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"


LOG_DELIVERY = {
    "Effect": "Allow",
    "Principal": {"Service": "delivery.logs.amazonaws.com"},
    "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
    "Resource": "*",
}


ACCESS_LOG = "log-target-sse-s3-only"


ALB = "aws:lb/loadBalancer:LoadBalancer"


LOG_KEY = "log-delivery-kms-key-admits-delivery-service"


def access_log_stack(*target_sse: R) -> list[R]:
    return [
        bucket("data"),
        bucket("logs"),
        key(doc(ROOT)),
        *target_sse,
        R(LOGGING, "data-logging", {"bucket": "x", "targetBucket": UNKNOWN}, deps={"targetBucket": ["logs"]}),
    ]


def log_delivery_stack(key_policy: Any, *, key_name: str | None = "key") -> list[R]:
    return [
        key(key_policy),
        bucket("logs"),
        sse("logs", key_name=key_name),
        R(
            DEST,
            "cdn-logs",
            {"deliveryDestinationConfiguration": {"destinationResourceArn": UNKNOWN}},
            deps={"deliveryDestinationConfiguration": ["logs"]},
        ),
        R(DIST, "cdn", {"loggingConfig": {"bucket": UNKNOWN}}, deps={"loggingConfig": ["logs"]}),
    ]


class TestAccessLogTarget:
    def test_sse_s3_target_passes(self) -> None:
        assert messages(ACCESS_LOG, access_log_stack(sse("logs", "AES256"))) == []

    def test_target_without_encryption_config_gets_the_sse_s3_default(self) -> None:
        # Missing property: S3 encrypts new objects with SSE-S3 by default, which log delivery supports.
        assert messages(ACCESS_LOG, access_log_stack()) == []

    def test_sse_kms_target_never_receives_logs(self) -> None:
        found = messages(ACCESS_LOG, access_log_stack(sse("logs")))
        assert len(found) == 1 and "SSE-S3" in found[0]

    def test_sse_kms_on_the_logged_bucket_is_fine(self) -> None:
        assert messages(ACCESS_LOG, access_log_stack(sse("logs", "AES256"), sse("data"))) == []

    def alb(self, **props: Any) -> R:
        return R(
            ALB, "alb", {"accessLogs": {"bucket": UNKNOWN, "enabled": True}, **props}, deps={"accessLogs": ["logs"]}
        )

    def test_application_load_balancer_logs_need_sse_s3(self) -> None:
        assert messages(ACCESS_LOG, [bucket("logs"), key(doc(ROOT)), sse("logs", "AES256"), self.alb()]) == []
        found = messages(ACCESS_LOG, [bucket("logs"), key(doc(ROOT)), sse("logs"), self.alb()])
        assert len(found) == 1 and "Application Load Balancer" in found[0]

    def test_network_load_balancer_and_disabled_logs_are_not_judged(self) -> None:
        # NLBs deliver through delivery.logs (SSE-KMS works with a key grant); disabled logs deliver nothing.
        nlb = self.alb(loadBalancerType="network")
        off = R(ALB, "off", {"accessLogs": {"bucket": UNKNOWN, "enabled": False}}, deps={"accessLogs": ["logs"]})
        assert messages(ACCESS_LOG, [bucket("logs"), key(doc(ROOT)), sse("logs"), nlb, off]) == []

    def test_unknown_algorithm_fails_closed(self) -> None:
        unknown = sse("logs")
        unknown.props["rules"] = UNKNOWN
        assert undecided(ACCESS_LOG, access_log_stack(unknown))


class TestLogDeliveryKey:
    def test_key_admitting_log_delivery_passes(self) -> None:
        assert messages(LOG_KEY, log_delivery_stack(doc(ROOT, LOG_DELIVERY))) == []

    def test_key_without_log_delivery_is_caught_for_each_source(self) -> None:
        found = validate_stack(LOG_KEY, log_delivery_stack(doc(ROOT)))
        assert {f.urn for f in found} == {R(DEST, "cdn-logs").urn, R(DIST, "cdn").urn}

    def test_aws_managed_key_is_caught(self) -> None:
        assert any("aws/s3" in m for m in messages(LOG_KEY, log_delivery_stack(doc(ROOT), key_name=None)))

    def test_distribution_without_logging_is_not_judged(self) -> None:
        # Missing property: no legacy logging configured, nothing to deliver.
        assert messages(LOG_KEY, [key(doc(ROOT)), bucket("logs"), sse("logs"), R(DIST, "cdn", {})]) == []

    def test_unknown_key_policy_fails_closed(self) -> None:
        assert undecided(LOG_KEY, log_delivery_stack(UNKNOWN))
