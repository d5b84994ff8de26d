"""Rule tests for policies/rules/deployability/cmk_access.py: passing, violating, property-missing and unknown-at-preview stacks."""

from __future__ import annotations

from typing import Any

from tests.policies.conftest import UNKNOWN, R
from tests.policies.rules.deployability._stacks import ACCOUNT, KEY, KEY_ARN, ROLE, ROOT, doc, messages, undecided

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


TABLE = "aws:dynamodb/table:Table"


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
