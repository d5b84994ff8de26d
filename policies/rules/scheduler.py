"""EventBridge Scheduler: schedules encrypt their data with a customer-managed key (issue 12)."""

from __future__ import annotations

from policies.core import SECURITY
from policies.rules._helpers import require_set

SCHEDULE = "aws:scheduler/schedule:Schedule"

require_set(
    "scheduler-schedule-cmk",
    path="kmsKeyArn",
    what="the schedule's target payload is encrypted with an AWS owned key, not a customer-managed key",
    pack=SECURITY,
    types=[SCHEDULE],
    description=(
        "EventBridge Scheduler schedules encrypt their data (the target's input payload) with a customer-managed "
        "KMS key of this stack (kms-encryption-uses-stack-keys checks the key is the stack's)."
    ),
    severity="medium",
    remediation=(
        "Pass kms_key_arn=<stack CMK>.arn and let the schedule's execution role kms:Decrypt on that key for "
        "this schedule's encryption context (kms:EncryptionContext:aws:scheduler:schedule-arn)."
    ),
    category="encryption",
    rows=[],
    checkov=["CKV_AWS_297"],
    doc_title="Encryption at rest in EventBridge Scheduler",
    doc_url="https://docs.aws.amazon.com/scheduler/latest/UserGuide/encryption-rest.html",
)
