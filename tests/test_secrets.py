"""Who can read the push credentials in Secrets Manager: the stack's own program, with
``secrets.readerArns`` unset and set, evaluated statement by statement."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from offline.runner import REPO_ROOT, ProgramRun, run_program
from tests.conftest import assert_one_line_config_error, dev_config_with

ACCOUNT = "123456789012"
OPERATOR = f"arn:aws:iam::{ACCOUNT}:role/platform-operator"
SOMEONE_ELSE = f"arn:aws:iam::{ACCOUNT}:role/app-developer"
#: A credential as `pulumi config set --secret fcmServiceAccount` stores it.
CREDENTIAL = {"social-backend:fcmServiceAccount": json.dumps({"type": "service_account", "project_id": "p"})}


@functools.cache
def _run(readers: tuple[str, ...] | None) -> ProgramRun:
    overrides = dict(CREDENTIAL)
    if readers is not None:
        overrides.update(dev_config_with("secrets", readerArns=list(readers)))
    return run_program(REPO_ROOT, "dev", config_overrides=overrides)


def _values(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _condition_holds(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    """The operators these policies use; any other one fails the test rather than pass it."""
    for operator, tests in condition.items():
        for key, expected in tests.items():
            actual, wanted = context[key], _values(expected)
            if operator == "Bool":
                holds = actual in wanted
            elif operator == "ArnNotEquals":
                holds = actual not in wanted
            elif operator == "ArnEquals":
                holds = actual in wanted
            else:
                raise AssertionError(f"unevaluated condition operator {operator}")
            if not holds:
                return False
    return True


def _denied(document: Mapping[str, Any], principal: str, action: str, *, tls: bool = True) -> bool:
    """Whether an explicit Deny of the resource policy applies (its Allows grant nothing:
    reads within the account are the principal's IAM policy's and the key's business)."""
    context = {"aws:PrincipalArn": principal, "aws:SecureTransport": "true" if tls else "false"}
    for statement in document["Statement"]:
        if statement["Effect"] != "Deny" or statement["Principal"] != "*":
            continue
        actions = _values(statement["Action"])
        if action not in actions and "secretsmanager:*" not in actions:
            continue
        if _condition_holds(statement.get("Condition", {}), context):
            return True
    return False


def _policies(run: ProgramRun) -> list[dict[str, Any]]:
    policies = run.by_type("aws:secretsmanager/secretPolicy:SecretPolicy")
    assert policies, "the credential is stored as a secret"
    return [json.loads(p.inputs["policy"]) for p in policies]


def test_without_readers_configured_operators_can_still_read_and_rotate() -> None:
    """No function reads the secrets (SNS platform applications receive the credential when
    they are created), so the readers are people: an operator verifying or rotating a
    credential. With no readerArns the policy must not lock everyone out."""
    for document in _policies(_run(None)):
        assert not _denied(document, OPERATOR, "secretsmanager:GetSecretValue")
        assert not _denied(document, OPERATOR, "secretsmanager:PutSecretValue")
        assert _denied(document, OPERATOR, "secretsmanager:GetSecretValue", tls=False)


def test_configured_readers_alone_may_read() -> None:
    for document in _policies(_run((OPERATOR,))):
        assert not _denied(document, OPERATOR, "secretsmanager:GetSecretValue")
        assert _denied(document, SOMEONE_ELSE, "secretsmanager:GetSecretValue")
        assert _denied(document, OPERATOR, "secretsmanager:GetSecretValue", tls=False)


def test_reader_arns_must_be_iam_role_arns() -> None:
    assert_one_line_config_error(
        {**CREDENTIAL, **dev_config_with("secrets", readerArns=["platform-operator"])},
        "social-backend:secrets.readerArns[0]: must be an IAM role ARN",
    )
