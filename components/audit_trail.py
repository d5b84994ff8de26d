"""The account's CloudTrail trail: every region, every management event, the app's S3
data events, delivered to a locked bucket and to CloudWatch Logs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.context import DeploymentContext
from components.log_group import log_group
from components.secure_bucket import (
    BucketSpec,
    Lifecycle,
    ObjectLock,
    access_log_delivery_statement,
    secure_bucket,
)
from components.secure_topic import TopicSpec, secure_topic
from components.validation import ArgsError, require_int_range, require_log_retention
from offline.flows.model import Flow, declare


def trail_name(ctx: DeploymentContext) -> str:
    """The trail's physical name; the key policy and bucket policy are built from it
    before the trail exists, so it is fixed rather than generated."""
    return f"{ctx.prefix}-trail"


def trail_arn(ctx: DeploymentContext) -> str:
    return ctx.arn("cloudtrail", f"trail/{trail_name(ctx)}")


@dataclass(frozen=True, kw_only=True)
class AuditTrailSettings:
    """``<project>:auditTrail`` in the stack config."""

    #: The trail records the whole account; a second one (Control Tower's, another
    #: stack's) only doubles the cost, so a stack creates it only when told to.
    create: bool = False
    #: Retention of the trail's CloudWatch log group (the CIS metric filters read it).
    log_retention_days: int = 365
    #: Ageing of log files in the trail bucket.
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    #: S3 Object Lock (WORM) on the trail bucket, or null for none.
    object_lock: ObjectLock | None = None
    #: Expiry of the S3 server access logs of the audit buckets.
    access_log_expire_days: int = 365
    #: Pulumi ``protect`` on the trail and access-log buckets.
    protect: bool = True

    def __post_init__(self) -> None:
        require_log_retention("log_retention_days", self.log_retention_days)
        if self.object_lock is not None and self.object_lock.days > self.lifecycle.expire_after_days:
            raise ArgsError(
                "object_lock.days",
                f"{self.object_lock.days} days of retention outlast lifecycle.expireAfterDays ({self.lifecycle.expire_after_days})",
            )
        # Access logs move to STANDARD_IA on day 30 and to Glacier before they expire.
        require_int_range("access_log_expire_days", self.access_log_expire_days, 32, 36500)

    @property
    def access_log_lifecycle(self) -> Lifecycle:
        return Lifecycle(
            infrequent_access_after_days=30,
            glacier_after_days=min(90, self.access_log_expire_days - 1),
            expire_after_days=self.access_log_expire_days,
        )


@dataclass(frozen=True, kw_only=True)
class AuditTrailArgs:
    context: DeploymentContext
    settings: AuditTrailSettings
    #: The audit key: trail log files and the trail bucket's default encryption.
    audit_key_arn: pulumi.Input[str]
    #: The logs key: the trail's CloudWatch log group and its topic's delivery logs.
    logs_key_arn: pulumi.Input[str]
    #: Buckets whose object-level reads and writes are recorded (the app's uploads and
    #: media buckets). Empty: management events only.
    data_event_bucket_arns: Sequence[pulumi.Input[str]] = ()
    #: Functions whose invocations are recorded (Lambda data events). Empty: none.
    data_event_function_arns: Sequence[pulumi.Input[str]] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


def event_selectors(
    data_event_bucket_arns: Sequence[pulumi.Input[str]],
    trail_bucket_arn: pulumi.Input[str],
    data_event_function_arns: Sequence[pulumi.Input[str]] = (),
) -> list[aws.cloudtrail.TrailAdvancedEventSelectorArgsDict]:
    """Advanced event selectors: every management event (read and write: no ``readOnly``
    field), plus S3 object events of the named buckets, never of the trail's own bucket
    (logging CloudTrail's own writes would feed itself)."""
    selectors: list[aws.cloudtrail.TrailAdvancedEventSelectorArgsDict] = [
        {
            "name": "All management events, read and write",
            "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}],
        }
    ]
    if data_event_bucket_arns:
        selectors.append(
            {
                "name": "S3 object events of the app's buckets",
                "field_selectors": [
                    {"field": "eventCategory", "equals": ["Data"]},
                    {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                    {
                        "field": "resources.ARN",
                        "starts_withs": [_objects_of(arn) for arn in data_event_bucket_arns],
                        "not_starts_withs": [_objects_of(trail_bucket_arn)],
                    },
                ],
            }
        )
    if data_event_function_arns:
        selectors.append(
            {
                "name": "Invocations of the app's functions",
                "field_selectors": [
                    {"field": "eventCategory", "equals": ["Data"]},
                    {"field": "resources.type", "equals": ["AWS::Lambda::Function"]},
                    {"field": "resources.ARN", "equals": list(data_event_function_arns)},
                ],
            }
        )
    return selectors


def _objects_of(bucket_arn: pulumi.Input[str]) -> pulumi.Input[str]:
    """``<bucket ARN>/``: every object of the bucket, not buckets sharing its name prefix."""
    if isinstance(bucket_arn, str):
        return f"{bucket_arn}/"
    return pulumi.Output.concat(bucket_arn, "/")


class AuditTrail(pulumi.ComponentResource):
    """Multi-region CloudTrail with global service events and log file validation,
    encrypted with the audit key, delivered to a private, versioned, access-logged,
    lifecycle-managed bucket (Object Lock where configured) and to a KMS-encrypted
    CloudWatch log group. The bucket policy admits CloudTrail only for this trail."""

    trail: aws.cloudtrail.Trail
    notification_topic: aws.sns.Topic
    bucket: aws.s3.Bucket
    access_log_bucket: aws.s3.Bucket
    log_group: aws.cloudwatch.LogGroup

    def __init__(self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social-backend:audit_trail:AuditTrail", name, None, opts)
        ctx, settings = args.context, args.settings
        this_trail = trail_arn(ctx)

        access_logs = secure_bucket(
            name,
            BucketSpec(
                role="access-logs",
                bucket_name=f"{ctx.prefix}-s3-access-{ctx.account_id}",
                # SSE-S3: S3 server access logging writes into no other default encryption.
                receives_server_access_logs=True,
                lifecycle_rules=[settings.access_log_lifecycle.rule()],
                # The access-log bucket does not log itself (each delivery would log one more).
                access_log_bucket=None,
                protect=settings.protect,
                tags=args.tags,
            ),
            self,
        )
        access_logs.attach_policy([access_log_delivery_statement(ctx, access_logs.arn)])
        self.access_log_bucket = access_logs.bucket

        def cloudtrail_statements(bucket_arn: pulumi.Output[str]) -> list[dict[str, Any]]:
            source = {"StringEquals": {"aws:SourceArn": this_trail}}
            return [
                {
                    "Sid": "AllowCloudTrailAclCheck",
                    "Effect": "Allow",
                    "Principal": {"Service": ctx.service_principal("cloudtrail")},
                    "Action": "s3:GetBucketAcl",
                    "Resource": bucket_arn,
                    "Condition": source,
                },
                {
                    "Sid": "AllowCloudTrailWrite",
                    "Effect": "Allow",
                    "Principal": {"Service": ctx.service_principal("cloudtrail")},
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(bucket_arn, f"/AWSLogs/{ctx.account_id}/*"),
                    "Condition": {
                        "StringEquals": {"aws:SourceArn": this_trail, "s3:x-amz-acl": "bucket-owner-full-control"}
                    },
                },
            ]

        trail_bucket = secure_bucket(
            name,
            BucketSpec(
                role="bucket",
                bucket_name=f"{ctx.prefix}-trail-{ctx.account_id}",
                kms_key_arn=args.audit_key_arn,
                lifecycle_rules=[settings.lifecycle.rule()],
                object_lock=settings.object_lock,
                access_log_bucket=access_logs.bucket.id,
                protect=settings.protect,
                tags=args.tags,
            ),
            self,
        )
        trail_bucket.attach_policy(cloudtrail_statements(trail_bucket.arn))
        self.bucket = trail_bucket.bucket

        self.log_group = log_group(
            f"{name}-log-group",
            group_name=f"/{ctx.prefix}/cloudtrail",  # named in the delivery role's policy by this name
            retention_days=settings.log_retention_days,
            kms_key_arn=args.logs_key_arn,
            tags=args.tags,
            parent=self,
        )
        delivery_role, delivery_attachment = self._delivery_role(name, args, this_trail)
        # Log-delivery notifications (CKV_AWS_252) on a topic of their own: they are one
        # per log file, far too many for the alarm topic's people.
        delivery_topic = secure_topic(
            name,
            TopicSpec(
                role="delivery-topic",
                topic_name=f"{ctx.prefix}-trail-delivery",
                kms_key_arn=args.audit_key_arn,
                logs_key_arn=args.logs_key_arn,
                log_retention_days=settings.log_retention_days,
                publisher="cloudtrail",
                publisher_source_arn=this_trail,
                tags=args.tags,
            ),
            ctx,
            self,
        )
        self.notification_topic = delivery_topic.topic

        self.trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=trail_name(ctx),
            s3_bucket_name=self.bucket.id,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=args.audit_key_arn,
            cloud_watch_logs_group_arn=pulumi.Output.concat(self.log_group.arn, ":*"),
            cloud_watch_logs_role_arn=delivery_role.arn,
            advanced_event_selectors=event_selectors(
                args.data_event_bucket_arns, self.bucket.arn, args.data_event_function_arns
            ),
            sns_topic_name=self.notification_topic.name,
            tags={**args.tags, "Name": trail_name(ctx)},
            # CreateTrail validates the bucket policy ("Amazon S3 bucket policy for CloudTrail",
            # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html),
            # the topic policy ("Amazon SNS topic policy for CloudTrail",
            # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-permissions-for-sns-notifications.html)
            # and the CloudWatch Logs role: all three must exist first, not merely their
            # bucket, topic and role (which the inputs already order).
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*trail_bucket.ready, delivery_topic.policy, delivery_role, delivery_attachment],
            ),
        )
        self._declare_flows(args, this_trail, access_logs.arn, trail_bucket.arn, delivery_role.arn)
        self.register_outputs(
            {"trailArn": self.trail.arn, "bucketName": self.bucket.id, "logGroupName": self.log_group.name}
        )

    def _declare_flows(
        self,
        args: AuditTrailArgs,
        this_trail: str,
        access_logs_arn: pulumi.Output[str],
        trail_bucket_arn: pulumi.Output[str],
        delivery_role_arn: pulumi.Output[str],
    ) -> None:
        """CloudTrail's runtime flows. CloudTrail user guide: "Amazon S3 bucket policy for
        CloudTrail" (aws:SourceArn = the trail, x-amz-acl bucket-owner-full-control), "Configure
        AWS KMS key policies for CloudTrail" (CloudTrail itself calls kms:GenerateDataKey with the
        encryption context aws:cloudtrail:arn, and DescribeKey), "Amazon SNS topic policy for
        CloudTrail", and "Sending events to CloudWatch Logs" (CloudTrail assumes the delivery role)."""
        ctx = args.context
        source = {"aws:SourceArn": this_trail, "aws:SourceAccount": ctx.account_id}
        bucket_doc = (
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html"
        )
        kms_doc = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html"
        cloudtrail = ctx.service_principal("cloudtrail")
        declare(
            Flow(
                caller=cloudtrail,
                action="s3:GetBucketAcl",
                resource=trail_bucket_arn,
                context=source,
                purpose="CloudTrail checks the bucket before delivering",
                doc=bucket_doc,
            ),
            Flow(
                caller=cloudtrail,
                action="s3:PutObject",
                resource=pulumi.Output.concat(
                    trail_bucket_arn, f"/AWSLogs/{ctx.account_id}/CloudTrail/{ctx.region}/log-file.json.gz"
                ),
                context={**source, "s3:x-amz-acl": "bucket-owner-full-control"},
                purpose="CloudTrail delivers log files",
                doc=bucket_doc,
                kms_by_caller=True,
            ),
            *(
                Flow(
                    caller=cloudtrail,
                    action=action,
                    resource=args.audit_key_arn,
                    context={**source, **extra},
                    purpose="CloudTrail encrypts its log files with the audit key",
                    doc=kms_doc,
                )
                for action, extra in (
                    ("kms:GenerateDataKey", {"kms:EncryptionContext:aws:cloudtrail:arn": this_trail}),
                    ("kms:DescribeKey", {}),
                )
            ),
            Flow(
                caller=cloudtrail,
                action="sns:Publish",
                resource=self.notification_topic.arn,
                context=source,
                purpose="one notification per delivered log file",
                doc="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-permissions-for-sns-notifications.html",
            ),
            Flow(
                caller=cloudtrail,
                action="sts:AssumeRole",
                resource=delivery_role_arn,
                context=source,
                purpose="CloudTrail sends events to the trail's log group",
                doc="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html",
            ),
            *(
                Flow(
                    caller=delivery_role_arn,
                    action=action,
                    resource=pulumi.Output.concat(
                        self.log_group.arn, f":log-stream:{ctx.account_id}_CloudTrail_{ctx.region}"
                    ),
                    purpose="trail events into the log group (the CIS metric filters read them)",
                    doc="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html",
                )
                for action in ("logs:CreateLogStream", "logs:PutLogEvents")
            ),
            Flow(
                caller="logging.s3.amazonaws.com",
                action="s3:PutObject",
                resource=pulumi.Output.concat(
                    access_logs_arn, "/", trail_bucket_arn.apply(lambda a: a.split(":::")[-1]), "/log-object"
                ),
                context={"aws:SourceArn": trail_bucket_arn, "aws:SourceAccount": ctx.account_id},
                purpose="server access logs of the trail bucket",
                broad="the access-log bucket takes the stack's buckets by name pattern (the trail and Config buckets)",
                doc="https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html",
            ),
        )

    def _delivery_role(
        self, name: str, args: AuditTrailArgs, this_trail: str
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
        ctx = args.context
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-logs-role",
            description="CloudTrail delivery to the stack's trail log group",
            assume_role_policy=pulumi.Output.json_dumps(
                ctx.trust_policy(
                    ctx.service_principal("cloudtrail"), source_arn=this_trail, source_arn_test="StringEquals"
                )
            ),
            tags=dict(args.tags),
            opts=child,
        )
        policy = aws.iam.Policy(
            f"{name}-logs-policy",
            description="Write CloudTrail events to the stack's trail log group only",
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "WriteTrailLogGroup",
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            # From the group's fixed name: known at preview, decided there.
                            "Resource": ctx.arn("logs", f"log-group:/{ctx.prefix}/cloudtrail:log-stream:*"),
                        }
                    ],
                }
            ),
            tags=dict(args.tags),
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-logs-attach", role=role.name, policy_arn=policy.arn, opts=child
        )
        return role, attachment
