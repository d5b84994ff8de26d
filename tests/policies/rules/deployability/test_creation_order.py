"""Rule tests for policies/rules/deployability/creation_order.py: passing, violating, property-missing and unknown-at-preview stacks."""

from __future__ import annotations

from typing import Any

from tests.policies.conftest import UNKNOWN, R, validate_stack
from tests.policies.rules.deployability._stacks import TOPIC, bucket, messages, undecided

TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"


BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"


TRAIL = "aws:cloudtrail/trail:Trail"


FN = "aws:lambda/function:Function"


PERMISSION = "aws:lambda/permission:Permission"


NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"


RECORDER = "aws:cfg/recorder:Recorder"


STATUS = "aws:cfg/recorderStatus:RecorderStatus"


CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"


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
