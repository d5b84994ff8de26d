"""Every log group of both stacks is encrypted with a logs key of its own region and keeps
logs for a retention the stack's config sets (never the default: forever)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from components.log_group import log_group
from components.validation import ArgsError
from offline.runner import REPO_ROOT, ProgramRun

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY = "aws:kms/key:Key"


def _configured_retentions(config: Any) -> set[int]:
    """Every ``*LogRetentionDays`` / ``logRetentionDays`` value in the stack's config."""
    found: set[int] = set()
    if isinstance(config, dict):
        for key, value in config.items():
            if key.lower().endswith("logretentiondays") and isinstance(value, int):
                found.add(value)
            found |= _configured_retentions(value)
    elif isinstance(config, list):
        for value in config:
            found |= _configured_retentions(value)
    return found


def test_every_log_group_keeps_logs_for_a_configured_retention(run: ProgramRun, config: dict[str, Any]) -> None:
    """Without retentionInDays CloudWatch Logs keeps a group forever; the retention is the
    owning section's config value, so an operator changes it in Pulumi.<stack>.yaml."""
    allowed = _configured_retentions(config)
    assert allowed, "the stack configures log retentions"
    groups = run.by_type(LOG_GROUP)
    assert groups
    for group in groups:
        assert group.inputs.get("retentionInDays") in allowed, f"{group.name}: {group.inputs.get('retentionInDays')}"


def test_every_log_group_is_encrypted_with_a_logs_key_of_its_region(run: ProgramRun) -> None:
    """CloudWatch Logs uses a key only in the group's region and only if the key policy
    admits logs.<region> ("Encrypt log data in CloudWatch Logs using AWS KMS")."""
    stack_region = yaml.safe_load((REPO_ROOT / f"Pulumi.{run.stack}.yaml").read_text())["config"]["aws:region"]
    keys = {key.state["arn"]: key for key in run.by_type(KEY)}
    for group in run.by_type(LOG_GROUP):
        key = keys.get(group.inputs.get("kmsKeyId", ""))
        assert key is not None, f"{group.name} is not encrypted with a key of this stack"
        region = group.inputs.get("region") or stack_region
        assert (key.inputs.get("region") or stack_region) == region, f"{group.name}: key of another region"
        principals = [s.get("Principal", {}) for s in json.loads(key.inputs["policy"])["Statement"]]
        assert {"Service": f"logs.{region}.amazonaws.com"} in principals, f"{group.name}: key does not admit logs"


def test_log_group_refuses_a_retention_cloudwatch_does_not_offer() -> None:
    """CloudWatch Logs accepts only its listed retentions (31 is not one): refused before any
    resource is registered, naming the field."""
    with pytest.raises(ArgsError) as raised:
        log_group(
            "x-logs",
            group_name="/x",
            retention_days=31,
            kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/k",
            parent=None,  # type: ignore[arg-type]  # never reached
        )
    assert raised.value.field == "retention_days"
