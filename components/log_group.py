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

import pulumi
import pulumi_aws as aws

from components.validation import require_log_retention


def log_group(
    resource_name: str,
    *,
    group_name: pulumi.Input[str],
    retention_days: int,
    kms_key_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    region: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> aws.cloudwatch.LogGroup:
    """``group_name`` is the AWS name services expect (/aws/lambda/<function>,
    aws-waf-logs-...); ``kms_key_arn`` the logs key of ``region`` (None: the stack's)."""
    require_log_retention("retention_days", retention_days)
    return aws.cloudwatch.LogGroup(
        resource_name,
        name=group_name,
        region=region,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        tags=dict(tags or {}),
        opts=pulumi.ResourceOptions(parent=parent),
    )
