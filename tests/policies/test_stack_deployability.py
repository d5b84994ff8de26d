"""The deployability pack's stack rules: passing, violating, property-missing and unknown-at-preview stacks.

Each violating case is the AWS behaviour the rule's documentation page describes (cited in
the rule module): a stack that passes would deploy and work; one that violates fails to
deploy or leaves the feature dead.
"""

from __future__ import annotations

import json
from typing import Any

from tests.policies.conftest import UNKNOWN, R, validate_stack

ACCOUNT = "123456789012"
BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
DIST = "aws:cloudfront/distribution:Distribution"
DEST = "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ACL = "aws:wafv2/webAcl:WebAcl"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
TRAIL = "aws:cloudtrail/trail:Trail"
FN = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
RECORDER = "aws:cfg/recorder:Recorder"
STATUS = "aws:cfg/recorderStatus:RecorderStatus"
CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
TABLE = "aws:dynamodb/table:Table"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/k-1"
DIST_ARN = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1"
UNKNOWN_POLICY = "preview-unknown-deployability-inputs"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ROOT = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}
CLOUDFRONT_DECRYPT = {
    "Effect": "Allow",
    "Principal": {"Service": "cloudfront.amazonaws.com"},
    "Action": "kms:Decrypt",
    "Resource": "*",
    "Condition": {"StringEquals": {"AWS:SourceArn": DIST_ARN}},
}
LOG_DELIVERY = {
    "Effect": "Allow",
    "Principal": {"Service": "delivery.logs.amazonaws.com"},
    "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
    "Resource": "*",
}


def key(policy: Any, name: str = "key") -> R:
    return R(KEY, name, {"policy": policy, "arn": KEY_ARN})


def bucket(name: str) -> R:
    return R(BUCKET, name, {"bucket": f"{name}-{ACCOUNT}"})


def sse(bucket_name: str, algorithm: str = "aws:kms", key_name: str | None = "key") -> R:
    default: dict[str, Any] = {"sseAlgorithm": algorithm}
    deps: dict[str, list[str]] = {"bucket": [bucket_name]}
    if key_name is not None and algorithm.startswith("aws:kms"):
        default["kmsMasterKeyId"] = KEY_ARN
        deps["rules"] = [key_name]
    return R(
        SSE,
        f"{bucket_name}-encryption",
        {"bucket": f"{bucket_name}-{ACCOUNT}", "rules": [{"applyServerSideEncryptionByDefault": default}]},
        deps=deps,
    )


def messages(policy: str, resources: list[R]) -> list[str]:
    return [f.message for f in validate_stack(policy, resources)]


def undecided(policy: str, resources: list[R]) -> list[str]:
    """What the pack's preview-unknown policy reports for ``policy`` (and the rule stays silent)."""
    assert not any("cannot be verified" in m for m in messages(policy, resources)), "the rule reported its own unknown"
    return [m for m in messages(UNKNOWN_POLICY, resources) if m.startswith(f"{policy}: ")]


# -- 1. CloudFront OAC on SSE-KMS --------------------------------------------------------

OAC = "cloudfront-oac-kms-key-grants-distribution"


def oac_stack(key_policy: Any, *, algorithm: str = "aws:kms", key_name: str | None = "key") -> list[R]:
    origin = {"originId": "static", "domainName": UNKNOWN, "originAccessControlId": UNKNOWN}
    return [
        key(key_policy),
        bucket("static"),
        sse("static", algorithm, key_name),
        R(DIST, "cdn", {"origins": [origin], "arn": UNKNOWN}, deps={"origins": ["static"]}),
    ]


class TestOacKeyGrant:
    def test_key_policy_granting_the_distribution_passes(self) -> None:
        # ArnLike on the account's distributions is what a key created before the distribution can say.
        wildcard = {
            **CLOUDFRONT_DECRYPT,
            "Condition": {"ArnLike": {"AWS:SourceArn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/*"}},
        }
        assert messages(OAC, oac_stack(doc(ROOT, wildcard))) == []

    def test_sse_s3_origin_needs_no_key_grant(self) -> None:
        assert messages(OAC, oac_stack(doc(ROOT), algorithm="AES256")) == []

    def test_key_without_cloudfront_statement_is_a_403(self) -> None:
        found = messages(OAC, oac_stack(doc(ROOT)))
        assert len(found) == 1 and "cloudfront.amazonaws.com kms:Decrypt" in found[0]

    def test_grant_for_another_distribution_is_caught(self) -> None:
        other = {**CLOUDFRONT_DECRYPT, "Condition": {"StringEquals": {"AWS:SourceArn": "arn:aws:s3:::not-a-dist"}}}
        assert messages(OAC, oac_stack(doc(ROOT, other)))

    def test_aws_managed_key_cannot_admit_cloudfront(self) -> None:
        # No kmsMasterKeyId: S3 uses aws/s3, whose key policy cannot be changed.
        found = messages(OAC, oac_stack(doc(ROOT), key_name=None))
        assert any("aws/s3" in m for m in found)

    def test_missing_key_policy_is_caught(self) -> None:
        assert messages(OAC, oac_stack(None))

    def test_unknown_key_policy_fails_closed(self) -> None:
        found = undecided(OAC, oac_stack(UNKNOWN))
        assert len(found) == 1 and "unknown during preview" in found[0]

    # A key has one policy: an aws.kms.KeyPolicy declared after the distribution (so it can
    # name the distribution's ARN) replaces the key's inline policy, and is what KMS enforces.
    def _with_key_policy(self, inline: Any, separate: str) -> list[R]:
        resources = oac_stack(inline)
        resources[-1] = R(DIST, "cdn", {**resources[-1].props, "arn": DIST_ARN}, deps=resources[-1].deps)
        return [
            *resources,
            R(KEY_POLICY, "key-policy", {"keyId": KEY_ARN, "policy": separate}, deps={"keyId": ["key"]}),
        ]

    def test_separate_key_policy_granting_the_distribution_passes(self) -> None:
        assert messages(OAC, self._with_key_policy(None, doc(ROOT, CLOUDFRONT_DECRYPT))) == []

    def test_separate_key_policy_replaces_the_inline_grant(self) -> None:
        found = messages(OAC, self._with_key_policy(doc(ROOT, CLOUDFRONT_DECRYPT), doc(ROOT)))
        assert len(found) == 1 and "cloudfront.amazonaws.com kms:Decrypt" in found[0]


# -- 2. log targets --------------------------------------------------------------------

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


# -- 3. service trust ------------------------------------------------------------------

TRUST = "service-trust-conditions-are-sent"


def trust_role(service: str, condition: dict[str, Any] | None) -> R:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if condition is not None:
        statement["Condition"] = condition
    return R(ROLE, "role", {"assumeRolePolicy": doc(statement)})


class TestServiceTrust:
    GROUP = f"arn:aws:scheduler:eu-west-1:{ACCOUNT}:schedule-group/default"

    def test_schedule_group_source_arn_passes(self) -> None:
        role = trust_role("scheduler.amazonaws.com", {"StringEquals": {"aws:SourceArn": self.GROUP}})
        assert messages(TRUST, [role]) == []

    def test_schedule_arn_is_never_sent(self) -> None:
        schedule = f"arn:aws:scheduler:eu-west-1:{ACCOUNT}:schedule/default/poller"
        found = messages(TRUST, [trust_role("scheduler.amazonaws.com", {"StringEquals": {"aws:SourceArn": schedule}})])
        assert len(found) == 1 and "schedule group" in found[0]

    def test_wrong_service_in_source_arn_is_caught(self) -> None:
        rule_arn = f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/poller"
        assert messages(TRUST, [trust_role("scheduler.amazonaws.com", {"ArnLike": {"aws:SourceArn": rule_arn}})])

    def test_other_documented_services(self) -> None:
        trail = f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/t"
        flow = f"arn:aws:ec2:eu-west-1:{ACCOUNT}:vpc-flow-log/*"
        assert (
            messages(TRUST, [trust_role("cloudtrail.amazonaws.com", {"StringEquals": {"aws:SourceArn": trail}})]) == []
        )
        assert messages(TRUST, [trust_role("vpc-flow-logs.amazonaws.com", {"ArnLike": {"aws:SourceArn": flow}})]) == []
        assert messages(TRUST, [trust_role("vpc-flow-logs.amazonaws.com", {"ArnLike": {"aws:SourceArn": trail}})])

    def test_key_a_service_never_sends_is_caught(self) -> None:
        role = trust_role("lambda.amazonaws.com", {"StringEquals": {"aws:SourceVpce": "vpce-1"}})
        assert any("aws:SourceVpce" in m for m in messages(TRUST, [role]))
        if_exists = trust_role("lambda.amazonaws.com", {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}})
        assert messages(TRUST, [if_exists]) == []

    def test_no_condition_is_not_this_rules_concern(self) -> None:
        # Missing property: an unconditioned trust statement is assumable (confused-deputy hardening is
        # the security pack's job); this rule only flags conditions that can never hold.
        assert messages(TRUST, [trust_role("scheduler.amazonaws.com", None)]) == []

    def test_unknown_trust_policy_fails_closed(self) -> None:
        assert undecided(TRUST, [R(ROLE, "role", {"assumeRolePolicy": UNKNOWN})])


# -- 4. alarm regions ------------------------------------------------------------------

METRIC_REGION = "alarm-metric-in-alarm-region"
ACTION_REGION = "alarm-actions-in-alarm-region"


def waf_alarm(scope: str, alarm_region: str | None, acl_region: str | None = "us-east-1") -> list[R]:
    acl_props: dict[str, Any] = {"scope": scope, "name": "edge"}
    if acl_region is not None:
        acl_props["region"] = acl_region
    alarm_props: dict[str, Any] = {"namespace": "AWS/WAFV2", "dimensions": {"WebACL": UNKNOWN, "Rule": "ALL"}}
    if alarm_region is not None:
        alarm_props["region"] = alarm_region
    return [R(ACL, "edge", acl_props), R(ALARM, "blocked", alarm_props, deps={"dimensions": ["edge"]})]


class TestAlarmMetricRegion:
    def test_cloudfront_waf_alarm_in_us_east_1_passes(self) -> None:
        assert messages(METRIC_REGION, waf_alarm("CLOUDFRONT", "us-east-1")) == []

    def test_cloudfront_waf_alarm_in_stack_region_never_fires(self) -> None:
        found = messages(METRIC_REGION, waf_alarm("CLOUDFRONT", None))
        assert len(found) == 1 and "us-east-1" in found[0]

    def test_regional_acl_alarm_beside_its_acl_passes(self) -> None:
        assert messages(METRIC_REGION, waf_alarm("REGIONAL", None, acl_region=None)) == []
        assert messages(METRIC_REGION, waf_alarm("REGIONAL", "eu-west-1", acl_region="us-east-1"))

    def test_billing_and_cloudfront_namespaces(self) -> None:
        for namespace in ("AWS/Billing", "AWS/CloudFront"):
            assert messages(METRIC_REGION, [R(ALARM, "a", {"namespace": namespace})])
            assert messages(METRIC_REGION, [R(ALARM, "a", {"namespace": namespace, "region": "us-east-1"})]) == []

    def test_regional_metrics_are_not_judged(self) -> None:
        # Missing property: no region input means the stack's region, right for AWS/Lambda metrics.
        assert messages(METRIC_REGION, [R(ALARM, "a", {"namespace": "AWS/Lambda"})]) == []

    def test_unknown_scope_fails_closed(self) -> None:
        resources = waf_alarm("CLOUDFRONT", "us-east-1")
        resources[0].props["scope"] = UNKNOWN
        assert undecided(METRIC_REGION, resources)


class TestAlarmActionRegion:
    def stack(self, alarm_region: str | None, topic_region: str | None) -> list[R]:
        topic = R(TOPIC, "alarms", {} if topic_region is None else {"region": topic_region})
        alarm = R(ALARM, "a", {"namespace": "AWS/Lambda", "alarmActions": [UNKNOWN]}, deps={"alarmActions": ["alarms"]})
        if alarm_region is not None:
            alarm.props["region"] = alarm_region
        return [topic, alarm]

    def test_same_region_passes(self) -> None:
        assert messages(ACTION_REGION, self.stack(None, None)) == []
        assert messages(ACTION_REGION, self.stack("us-east-1", "us-east-1")) == []

    def test_topic_in_another_region_is_caught(self) -> None:
        assert messages(ACTION_REGION, self.stack("us-east-1", None))
        known = R(ALARM, "a", {"region": "us-east-1", "alarmActions": [f"arn:aws:sns:eu-west-1:{ACCOUNT}:alarms"]})
        assert messages(ACTION_REGION, [known])

    def test_alarm_without_actions_is_not_judged(self) -> None:
        assert messages(ACTION_REGION, [R(ALARM, "a", {"region": "us-east-1"})]) == []

    def test_unknown_region_fails_closed(self) -> None:
        assert undecided(ACTION_REGION, self.stack(UNKNOWN, None))


# -- 5. CMK-encrypted stores -----------------------------------------------------------

CMK = "cmk-store-access-has-key-grant"
TABLE_ARN = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/devices"


def cmk_stack(statements: Any, key_policy: Any = None) -> list[R]:
    table = R(
        TABLE,
        "devices",
        {"serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY_ARN}, "arn": TABLE_ARN},
        deps={"serverSideEncryption": ["key"]},
    )
    table_key = R(KEY, "key", {"policy": key_policy if key_policy is not None else doc(ROOT), "arn": KEY_ARN})
    role = R(ROLE, "fn-role", {})
    policy = statements if not isinstance(statements, list) else doc(*statements)
    return [
        table_key,
        table,
        role,
        R(ROLE_POLICY, "fn-policy", {"role": "fn-role", "policy": policy}, deps={"role": ["fn-role"]}),
    ]


READ_TABLE = {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": TABLE_ARN}


class TestCmkStoreAccess:
    def test_role_with_the_key_passes(self) -> None:
        decrypt = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY_ARN}
        # The key's ARN is an identifier the engine sends for existing resources (props "arn").
        assert messages(CMK, cmk_stack([READ_TABLE, decrypt])) == []

    def test_role_without_the_key_fails_every_request(self) -> None:
        found = messages(CMK, cmk_stack([READ_TABLE]))
        assert len(found) == 1 and "kms:Decrypt" in found[0]

    def test_key_policy_naming_everyone_in_the_account_needs_no_identity_grant(self) -> None:
        via_dynamodb = {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT}},
        }
        assert messages(CMK, cmk_stack([READ_TABLE], doc(ROOT, via_dynamodb))) == []

    def test_key_policy_that_does_not_delegate_is_caught(self) -> None:
        admin_only = {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"},
            "Action": "kms:*",
            "Resource": "*",
        }
        assert any("neither names the role" in m for m in messages(CMK, cmk_stack([READ_TABLE], doc(admin_only))))

    def test_role_not_touching_the_store_is_not_judged(self) -> None:
        other = {
            "Effect": "Allow",
            "Action": "dynamodb:GetItem",
            "Resource": f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/other",
        }
        assert messages(CMK, cmk_stack([other])) == []

    def test_unknown_role_policy_fails_closed(self) -> None:
        assert undecided(CMK, cmk_stack(UNKNOWN))


# -- 6. creation order -----------------------------------------------------------------

TRAIL_ORDER = "cloudtrail-created-after-its-policies"
NOTIFY_ORDER = "s3-notification-after-destination-permission"
CONFIG_ORDER = "config-delivery-channel-ordered"


def trail_stack(*, depends: list[str], topic_policy: bool = True) -> list[R]:
    resources = [
        bucket("trail"),
        R(BUCKET_POLICY, "trail-policy", {"bucket": UNKNOWN}, deps={"bucket": ["trail"]}),
        R(TOPIC, "delivery", {}),
        R(
            TRAIL,
            "audit",
            {"s3BucketName": UNKNOWN, "snsTopicName": UNKNOWN},
            deps={"s3BucketName": ["trail"], "snsTopicName": ["delivery"]},
            depends_on=depends,
        ),
    ]
    if topic_policy:
        resources.append(R(TOPIC_POLICY, "delivery-policy", {"arn": UNKNOWN}, deps={"arn": ["delivery"]}))
    return resources


class TestCreationOrder:
    def test_trail_after_both_policies_passes(self) -> None:
        assert messages(TRAIL_ORDER, trail_stack(depends=["trail-policy", "delivery-policy"])) == []

    def test_trail_racing_its_topic_policy_is_caught(self) -> None:
        found = messages(TRAIL_ORDER, trail_stack(depends=["trail-policy"]))
        assert len(found) == 1 and "delivery-policy" in found[0]

    def test_topic_without_policy_is_caught(self) -> None:
        assert any(
            "no topic policy" in m
            for m in messages(TRAIL_ORDER, trail_stack(depends=["trail-policy"], topic_policy=False))
        )

    def test_trail_without_topic_needs_no_topic_policy(self) -> None:
        resources = trail_stack(depends=["trail-policy"], topic_policy=False)
        resources[3].props.pop("snsTopicName")
        resources[3].deps.pop("snsTopicName")
        assert messages(TRAIL_ORDER, resources) == []

    def test_unknown_topic_name_fails_closed(self) -> None:
        resources = trail_stack(depends=["trail-policy", "delivery-policy"])
        resources[3].deps.pop("snsTopicName")
        assert undecided(TRAIL_ORDER, resources)

    def notification(self, depends: list[str], principal: Any = "s3.amazonaws.com") -> list[R]:
        return [
            bucket("uploads"),
            R(FN, "thumbnailer", {}),
            R(
                PERMISSION,
                "s3-invoke",
                {"principal": principal, "function": UNKNOWN},
                deps={"function": ["thumbnailer"]},
            ),
            R(
                NOTIFICATION,
                "uploads-notification",
                {"bucket": UNKNOWN, "lambdaFunctions": [{"lambdaFunctionArn": UNKNOWN}]},
                deps={"bucket": ["uploads"], "lambdaFunctions": ["thumbnailer"]},
                depends_on=depends,
            ),
        ]

    def test_notification_after_permission_passes(self) -> None:
        assert messages(NOTIFY_ORDER, self.notification(["s3-invoke"])) == []

    def test_notification_racing_the_permission_is_caught(self) -> None:
        assert messages(NOTIFY_ORDER, self.notification([]))

    def test_permission_for_another_principal_does_not_count(self) -> None:
        assert messages(NOTIFY_ORDER, self.notification(["s3-invoke"], principal="sns.amazonaws.com"))

    def test_unknown_principal_fails_closed(self) -> None:
        assert undecided(NOTIFY_ORDER, self.notification(["s3-invoke"], principal=UNKNOWN))

    def config(self, channel_deps: list[str], status_deps: list[str], enabled: Any = True) -> list[R]:
        return [
            R(RECORDER, "recorder", {}),
            R(CHANNEL, "channel", {}, depends_on=channel_deps),
            R(STATUS, "status", {"isEnabled": enabled}, deps={"name": ["recorder"]}, depends_on=status_deps),
        ]

    def test_config_in_order_passes(self) -> None:
        assert messages(CONFIG_ORDER, self.config(["recorder"], ["channel"])) == []

    def test_channel_before_recorder_and_status_before_channel_are_caught(self) -> None:
        found = validate_stack(CONFIG_ORDER, self.config([], []))
        assert {f.urn for f in found} == {R(CHANNEL, "channel").urn, R(STATUS, "status").urn}

    def test_disabled_recorder_needs_no_channel(self) -> None:
        # Missing property path: a recorder that is not started is not validated against a channel.
        assert messages(CONFIG_ORDER, self.config(["recorder"], [], enabled=False)) == []

    def test_unknown_enabled_flag_fails_closed(self) -> None:
        assert undecided(CONFIG_ORDER, self.config(["recorder"], [], enabled=UNKNOWN))


def test_provider_region_from_the_engine_places_the_alarm() -> None:
    """At preview the engine sends each resource's provider: a us-east-1 provider satisfies the rule."""
    from pulumi_policy import PolicyProviderResource, StackValidationPolicy

    from policies.core import to_policy
    from tests.policies.conftest import rule, stack_args

    def run(provider_region: str) -> list[str]:
        args = stack_args(waf_alarm("CLOUDFRONT", None))
        for resource in args.resources:
            resource.provider = PolicyProviderResource(
                "pulumi:providers:aws", {"region": provider_region}, "urn:provider", "default"
            )
        found: list[str] = []

        def report(message: str, _urn: str | None = None) -> None:
            found.append(message)

        policy = to_policy(rule(METRIC_REGION))
        assert isinstance(policy, StackValidationPolicy)
        policy.validate(args, report)
        return found

    assert run("us-east-1") == []
    assert run("eu-west-1") and "eu-west-1" in run("eu-west-1")[0]
