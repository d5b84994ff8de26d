"""Resources created before what AWS validates when it creates them.

"Created before" is what the engine does: it creates a resource only after everything its
dependencies (``depends_on``) and its inputs' property dependencies reach
(``Stack.reaches``). Both are recorded in the state and sent in ``StackValidationArgs``.
"""

from __future__ import annotations

from collections.abc import Iterator

from policies.core import DEPLOYABILITY, Res, Settings, Stack, StackFinding, guarded, stack_rule
from policies.rules._helpers import BUCKET_TYPES, s3

TRAIL = "aws:cloudtrail/trail:Trail"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
RECORDER = "aws:cfg/recorder:Recorder"
RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"


def _ordered_after(stack: Stack, res: Res, what: str, needed: list[Res], missing: str) -> Iterator[str]:
    if not needed:
        yield f"{res.label}: {missing}"
        return
    if not any(stack.reaches(res, policy) for policy in needed):
        names = ", ".join(repr(p.name) for p in needed)
        yield (
            f"{res.label}: does not depend on {what} {names}, so the engine may create it first and AWS "
            "rejects the request (add depends_on, or build an input from the policy's output)"
        )


@stack_rule(
    "cloudtrail-created-after-its-policies",
    pack=DEPLOYABILITY,
    description="A trail depends on its S3 bucket policy and SNS topic policy, which CloudTrail validates at CreateTrail.",
    severity="high",
    remediation="Pass depends_on=[bucket_policy, topic_policy] to the Trail (or build an input from their outputs).",
    category="deployability",
    rows=[],
    other=["none: gap"],
    # CreateTrail fails with InsufficientS3BucketPolicyException / InsufficientSnsTopicPolicyException
    # when the bucket or topic policy does not (yet) admit cloudtrail.amazonaws.com.
    doc_title="AWS CloudTrail API Reference: CreateTrail (InsufficientS3BucketPolicyException, InsufficientSnsTopicPolicyException)",
    doc_url="https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html",
)
def trail_order(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for trail in stack.of(TRAIL):

        def check(trail: Res = trail) -> Iterator[str]:
            for bucket in stack.linked(trail, "s3BucketName", *BUCKET_TYPES):
                if bucket.get("policy") not in (None, ""):
                    continue  # an inline bucket policy is created with the bucket the trail depends on
                yield from _ordered_after(
                    stack,
                    trail,
                    "its bucket policy",
                    stack.referrers(bucket, "bucket", *s3("BucketPolicy")),
                    f"bucket {bucket.name!r} has no bucket policy admitting cloudtrail.amazonaws.com; CreateTrail fails",
                )
            topics = stack.linked(trail, "snsTopicName", TOPIC)
            if not topics and trail.req("snsTopicName") in (None, ""):
                return
            for topic in topics:
                if topic.get("policy") not in (None, ""):
                    continue
                yield from _ordered_after(
                    stack,
                    trail,
                    "its topic policy",
                    stack.referrers(topic, "arn", TOPIC_POLICY),
                    f"topic {topic.name!r} has no topic policy admitting cloudtrail.amazonaws.com; CreateTrail fails",
                )

        yield from guarded(trail, check)


@stack_rule(
    "s3-notification-after-destination-permission",
    pack=DEPLOYABILITY,
    description="An S3 bucket notification depends on the Lambda permission, topic policy or queue policy that lets S3 deliver to each destination.",
    severity="high",
    remediation=(
        "Pass depends_on=[<aws.lambda_.Permission for s3.amazonaws.com>] (or the TopicPolicy / QueuePolicy) to the "
        "BucketNotification: S3 validates every destination when the notification configuration is put."
    ),
    category="deployability",
    rows=[],
    other=["none: gap"],
    # PutBucketNotificationConfiguration tests each destination and fails with "Unable to
    # validate the following destination configurations" when S3 may not invoke or publish.
    doc_title="Amazon S3 User Guide: Granting permissions to publish event notification messages to a destination",
    doc_url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html",
)
def notification_order(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for notification in stack.of(*s3("BucketNotification")):

        def check(notification: Res = notification) -> Iterator[str]:
            for fn in stack.linked(notification, "lambdaFunctions", FUNCTION):
                permissions = [
                    p for p in stack.referrers(fn, "function", PERMISSION) if p.req("principal") == "s3.amazonaws.com"
                ]
                yield from _ordered_after(
                    stack,
                    notification,
                    "the Lambda permission",
                    permissions,
                    f"function {fn.name!r} has no aws:lambda/permission:Permission for s3.amazonaws.com; "
                    "the notification configuration is rejected",
                )
            for topic in stack.linked(notification, "topics", TOPIC):
                if topic.get("policy") in (None, ""):
                    yield from _ordered_after(
                        stack,
                        notification,
                        "the topic policy",
                        stack.referrers(topic, "arn", TOPIC_POLICY),
                        f"topic {topic.name!r} has no topic policy letting S3 publish",
                    )
            for queue in stack.linked(notification, "queues", QUEUE):
                if queue.get("policy") in (None, ""):
                    yield from _ordered_after(
                        stack,
                        notification,
                        "the queue policy",
                        stack.referrers(queue, "queueUrl", QUEUE_POLICY),
                        f"queue {queue.name!r} has no queue policy letting S3 send",
                    )

        yield from guarded(notification, check)


@stack_rule(
    "config-delivery-channel-ordered",
    pack=DEPLOYABILITY,
    description="An AWS Config delivery channel depends on a recorder, and an enabled recorder status on the delivery channel.",
    severity="high",
    remediation="Pass depends_on=[recorder] to the DeliveryChannel and depends_on=[delivery_channel] to the RecorderStatus.",
    category="deployability",
    rows=[],
    other=["none: gap"],
    # PutDeliveryChannel fails with NoAvailableConfigurationRecorderException without a recorder;
    # StartConfigurationRecorder fails with NoAvailableDeliveryChannelException without a channel.
    doc_title="AWS Config API Reference: PutDeliveryChannel (NoAvailableConfigurationRecorderException)",
    doc_url="https://docs.aws.amazon.com/config/latest/APIReference/API_PutDeliveryChannel.html",
)
def config_order(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    recorders = stack.of(RECORDER)
    channels = stack.of(CHANNEL)
    for channel in channels if recorders else []:

        def after_recorder(channel: Res = channel) -> Iterator[str]:
            # Without a recorder in the stack the account's own recorder is used (created elsewhere).
            yield from _ordered_after(stack, channel, "the configuration recorder", recorders, "")

        yield from guarded(channel, after_recorder)
    for status in stack.of(RECORDER_STATUS):

        def check(status: Res = status) -> Iterator[str]:
            if not status.flag("isEnabled"):
                return
            yield from _ordered_after(
                stack,
                status,
                "the delivery channel",
                channels,
                "no delivery channel is declared; StartConfigurationRecorder fails (NoAvailableDeliveryChannelException)",
            )

        yield from guarded(status, check)
