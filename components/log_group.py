"""The one CloudWatch Logs log group construct of the program: a name, a retention from the
owning section's config, and the logs key of the group's region.

Every log group a service would otherwise create on first write (Lambda, API Gateway's
execution logs, SNS delivery status, Neptune audit logs...) is declared here first, so it
never exists bare: unencrypted and kept forever. Like ``secure_bucket``, it registers the
group under the calling component, so its name and URN stay ``<component>-<role>``.

AWS reference: CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs using AWS
KMS" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html):
the key must be in the log group's region and its policy must admit ``logs.<region>``
(``components.keys.logs_statement``); "Change log data retention in CloudWatch Logs"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html#SettingLogRetention).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.validation import require_log_retention


@dataclass(frozen=True, kw_only=True)
class LogGroupSpec:
    #: The group's Pulumi resource name.
    resource_name: str
    #: The group's AWS name (services expect theirs: /aws/lambda/<function>, aws-waf-logs-...).
    group_name: pulumi.Input[str]
    retention_days: int
    #: The logs key of the group's region.
    kms_key_arn: pulumi.Input[str]
    #: Where the group lives (pulumi-aws v7 per-resource ``region``); None: the stack's region.
    region: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_log_retention("retention_days", self.retention_days)


def log_group(spec: LogGroupSpec, parent: pulumi.Resource) -> aws.cloudwatch.LogGroup:
    return aws.cloudwatch.LogGroup(
        spec.resource_name,
        name=spec.group_name,
        region=spec.region,
        retention_in_days=spec.retention_days,
        kms_key_id=spec.kms_key_arn,
        tags=dict(spec.tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
