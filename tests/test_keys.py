"""KMS keys: rotation, deletion window, protection, and who the key policies admit."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from offline.mocks import RecordedResource
from offline.runner import ProgramRun

KEY = "aws:kms/key:Key"
ACCOUNT_ROOT = "arn:aws:iam::123456789012:root"


def _principals(statement: dict[str, Any]) -> list[str]:
    principal = statement["Principal"]
    assert principal != "*", "no wildcard principal in a key policy"
    values: list[str] = []
    for ids in principal.values():
        values.extend([ids] if isinstance(ids, str) else ids)
    return values


def test_keys_rotate_and_wait_before_deletion(run: ProgramRun, config: dict[str, Any]) -> None:
    keys = [k for k in run.by_type(KEY) if k.name.startswith("keys-")]
    assert {k.name for k in keys} == {"keys-data", "keys-logs", "keys-audit"}
    for key in keys:
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["deletionWindowInDays"] == config["keys"]["deletionWindowDays"]
        assert key.inputs["bypassPolicyLockoutSafetyCheck"] is False
        assert key.protect is config["keys"]["protect"]


def _key_policy(run: ProgramRun, key: RecordedResource) -> dict[str, Any]:
    """The inline policy, or the aws.kms.KeyPolicy that replaces it (the content key's)."""
    attached = [p for p in run.by_type("aws:kms/keyPolicy:KeyPolicy") if p.inputs["keyId"] == key.id]
    document: dict[str, Any] = json.loads(attached[0].inputs["policy"] if attached else key.inputs["policy"])
    return document


def test_key_policies_name_their_principals(run: ProgramRun) -> None:
    for key in run.by_type(KEY):
        statements = _key_policy(run, key)["Statement"]
        for statement in statements:
            assert "*" not in _principals(statement)
        assert statements[0]["Principal"] == {"AWS": ACCOUNT_ROOT}


def test_data_key_only_through_stack_services_of_this_account(run: ProgramRun) -> None:
    statements = json.loads(run.one(KEY, "keys-data").inputs["policy"])["Statement"]
    (service_use,) = [s for s in statements if s["Sid"] == "AllowUseThroughStackDataServices"]
    conditions = service_use["Condition"]["StringEquals"]
    assert conditions["kms:CallerAccount"] == "123456789012"
    assert "rds.eu-west-1.amazonaws.com" in conditions["kms:ViaService"], "Neptune encrypts through RDS"


def test_logs_key_admits_logs_service_for_this_account_only(run: ProgramRun) -> None:
    statements = json.loads(run.one(KEY, "keys-logs").inputs["policy"])["Statement"]
    (logs,) = [s for s in statements if s["Principal"].get("Service")]
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        "arn:aws:logs:eu-west-1:123456789012:log-group:*"
    )
    assert not [a for a in logs["Action"] if a == "kms:*"]


def test_every_log_group_uses_the_logs_key(run: ProgramRun) -> None:
    logs_key = run.one(KEY, "keys-logs")
    keys = {k.state["arn"]: k for k in run.by_type(KEY)}
    groups = run.by_type("aws:cloudwatch/logGroup:LogGroup")
    assert groups
    for group in groups:
        region = group.inputs.get("region")
        if region is None:
            assert group.inputs["kmsKeyId"] == logs_key.state["arn"], group.name
            continue
        # A log group in another region (us-east-1: CloudFront WAF logs, the us-east-1 alarm
        # topic's delivery logs) needs a key of that region that admits CloudWatch Logs there
        # for this group.
        key = keys[group.inputs["kmsKeyId"]]
        assert key.inputs.get("region") == region, group.name
        (grant,) = [
            s
            for s in json.loads(key.inputs["policy"])["Statement"]
            if s["Principal"] == {"Service": f"logs.{region}.amazonaws.com"}
        ]
        pattern = grant["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
        group_arn = f"arn:aws:logs:{region}:123456789012:log-group:{group.inputs['name']}"
        assert fnmatch.fnmatchcase(group_arn, pattern), group.name


def test_aliases_point_at_the_keys(run: ProgramRun) -> None:
    aliases = {
        a.inputs["name"]: a.inputs["targetKeyId"]
        for a in run.by_type("aws:kms/alias:Alias")
        if a.name.startswith("keys-")
    }
    prefix = f"alias/social-backend-{run.stack}"
    assert aliases == {f"{prefix}-{role}": run.one(KEY, f"keys-{role}").id for role in ("data", "logs", "audit")}
