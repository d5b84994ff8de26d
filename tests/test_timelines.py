"""The timelines table and who may use it: as the other tables are built, and granted exactly."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.runner import ProgramRun
from tests.conftest import assert_one_line_config_error, dev_config_with

TABLE = "aws:dynamodb/table:Table"
FUNCTION = "aws:lambda/function:Function"


def _statements(run: ProgramRun, function: str) -> list[dict[str, Any]]:
    role_arn = run.one(FUNCTION, f"{function}-function").inputs["role"]
    role = next(r for r in run.by_type("aws:iam/role:Role") if r.state["arn"] == role_arn)
    policies = {p.state["arn"]: p for p in run.by_type("aws:iam/policy:Policy")}
    statements: list[dict[str, Any]] = []
    for attachment in run.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        if attachment.inputs["role"] == role.state["name"]:
            statements += json.loads(policies[attachment.inputs["policyArn"]].inputs["policy"])["Statement"]
    return statements


def _naming(statements: list[dict[str, Any]], arn: str) -> list[dict[str, Any]]:
    return [s for s in statements if arn in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])]


def test_keyed_by_reader_and_time_encrypted_recoverable_and_expiring(run: ProgramRun, config: dict[str, Any]) -> None:
    table = run.one(TABLE, "timelines-table")
    inputs = table.inputs
    # The feed's keyset order is (createdAt, id): the sort key "<createdAt>#<postId>" is it.
    assert (inputs["hashKey"], inputs["rangeKey"]) == ("userId", "entry")
    assert inputs["ttl"] == {"attributeName": "expiresAt", "enabled": True}, "old entries must expire by themselves"
    assert inputs["serverSideEncryption"] == {
        "enabled": True,
        "kmsKeyArn": run.one("aws:kms/key:Key", "keys-data").state["arn"],
    }, "the stack's data CMK, like every table"
    assert inputs["pointInTimeRecovery"] == {"enabled": True}
    settings = config.get("timelines", {})
    assert inputs["deletionProtectionEnabled"] is settings.get("deletionProtection", True)
    assert table.protect is settings.get("protect", True)


def test_both_functions_get_the_table_and_the_same_threshold(run: ProgramRun, config: dict[str, Any]) -> None:
    name = run.one(TABLE, "timelines-table").inputs["name"]
    threshold = str(config["timelines"]["fanInThreshold"])
    for function in ("graph-api", "notifications-stream-poller"):
        variables = run.one(FUNCTION, f"{function}-function").inputs["environment"]["variables"]
        assert (variables["TIMELINE_TABLE"], variables["FAN_IN_THRESHOLD"]) == (name, threshold), function
    poller = run.one(FUNCTION, "notifications-stream-poller-function").inputs["environment"]["variables"]
    assert poller["TIMELINE_BACKFILL_POSTS"] == str(config["timelines"]["backfillPosts"])
    assert poller["TIMELINE_ENTRY_TTL_DAYS"] == str(config["timelines"]["entryTtlDays"])


def test_graph_api_only_queries_and_decrypts_only_through_dynamodb(run: ProgramRun) -> None:
    arn = run.one(TABLE, "timelines-table").state["arn"]
    statements = _statements(run, "graph-api")
    assert [s["Action"] for s in _naming(statements, arn)] == [["dynamodb:Query"]], "the feed only reads"
    key = run.one("aws:kms/key:Key", "keys-data").state["arn"]
    (decrypt,) = _naming(statements, key)
    assert decrypt["Action"] == ["kms:Decrypt"]
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "dynamodb.eu-west-1.amazonaws.com"}}


def test_the_poller_writes_in_batches_and_queries_nothing_else(run: ProgramRun) -> None:
    arn = run.one(TABLE, "timelines-table").state["arn"]
    (statement,) = _naming(_statements(run, "notifications-stream-poller"), arn)
    assert sorted(statement["Action"]) == ["dynamodb:BatchWriteItem", "dynamodb:Query"]
    assert statement["Resource"] == [arn], "no index, no other table"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("fanInThreshold", 0, "social-backend:timelines.fanInThreshold: must be between 1 and 100000000, got 0"),
        ("backfillPosts", -1, "social-backend:timelines.backfillPosts: must be between 0 and 1000, got -1"),
        ("entryTtlDays", 0, "social-backend:timelines.entryTtlDays: must be between 1 and 3650, got 0"),
    ],
)
def test_bad_settings_stop_the_program_naming_the_key(key: str, value: int, message: str) -> None:
    assert_one_line_config_error(dev_config_with("timelines", **{key: value}), message)
