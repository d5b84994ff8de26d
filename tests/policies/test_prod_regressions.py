"""Issue 12's "Show": one-line regressions of prod that the packs must stop, through the checker's CLI.

Each test breaks the prod stack the way a reviewer would catch it — a counting firewall, a
principal of another account, a grant on another stack's resource, an internet gateway in
the isolated VPC — and runs ``python -m policies.check ... --stack prod`` (in process, same
contract): exit 1, naming the control. The counting firewall goes through the program
(``--stack-file`` with ``webFirewall.action: COUNT``); the others mutate prod's recorded
resources (``--write-state``, then ``--state``), since the program has no config key that
would produce them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offline.runner import REPO_ROOT
from policies.check import run_checker

FOREIGN_ACCOUNT = "210987654321"
State = dict[str, Any]


def _violations(code: int, rendered: str) -> set[str]:
    assert code == 1, rendered[-2000:]
    report = json.loads(rendered)
    return {v["policy"] for v in report["violations"] if v["enforcement"] == "mandatory"}


@pytest.fixture(scope="module")
def prod_state(tmp_path_factory: pytest.TempPathFactory) -> State:
    path = tmp_path_factory.mktemp("prod") / "prod.json"
    code, rendered = run_checker(["--program", str(REPO_ROOT), "--stack", "prod", "--write-state", str(path)])
    assert code == 0, rendered[-2000:]  # the unbroken stack passes: every failure below is the mutation's
    state: State = json.loads(path.read_text())
    return state


def _check_mutated(tmp_path: Path, state: State, mutate: Callable[[list[dict[str, Any]]], None]) -> set[str]:
    broken = json.loads(json.dumps(state))
    mutate(broken["deployment"]["resources"])
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    return _violations(*run_checker(["--state", str(path), "--stack", "prod", "--format", "json"]))


def _one(resources: list[dict[str, Any]], res_type: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in resources if r["type"] == res_type and r["urn"].endswith(f"::{name}")]
    return found


def _check_prod_config(tmp_path: Path, old: str, new: str) -> set[str]:
    """Run the program with prod's stack file changed in one place (``--stack-file``)."""
    text = (REPO_ROOT / "Pulumi.prod.yaml").read_text()
    changed = text.replace(old, new)
    assert changed != text, f"{old!r} is not in Pulumi.prod.yaml"
    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text(changed)
    args = ["--program", str(REPO_ROOT), "--stack", "prod", "--stack-file", str(stack_file), "--format", "json"]
    return _violations(*run_checker(args))


def test_counting_firewall(tmp_path: Path) -> None:
    webfirewall = "social-backend:webFirewall:\n    action: "
    assert "wafv2-acl-blocks" in _check_prod_config(tmp_path, webfirewall + "BLOCK", webfirewall + "COUNT")


def test_single_instance_graph_database(tmp_path: Path) -> None:
    """graphDb.requireMultiAz is gone: prod's multi-AZ requirement is its pack config's, not the program's."""
    assert "neptune-multi-az-instances" in _check_prod_config(tmp_path, "instanceCount: 2", "instanceCount: 1")


def test_foreign_account_principal(tmp_path: Path, prod_state: State) -> None:
    def grant_another_account(resources: list[dict[str, Any]]) -> None:
        queue_policy = next(r for r in resources if r["type"] == "aws:sqs/queuePolicy:QueuePolicy")
        document = json.loads(queue_policy["inputs"]["policy"])
        document["Statement"].append(
            {
                "Sid": "Partner",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{FOREIGN_ACCOUNT}:root"},
                "Action": "sqs:SendMessage",
                "Resource": "*",
            }
        )
        queue_policy["inputs"]["policy"] = json.dumps(document)

    assert "policies-admit-only-this-account" in _check_mutated(tmp_path, prod_state, grant_another_account)


def test_foreign_resource_grant_in_a_service_role(tmp_path: Path, prod_state: State) -> None:
    def invoke_another_function(resources: list[dict[str, Any]]) -> None:
        policy = _one(resources, "aws:iam/policy:Policy", "notifications-scheduler-policy")
        document = json.loads(policy["inputs"]["policy"])
        document["Statement"][0]["Resource"] = ["arn:aws:lambda:eu-west-1:123456789012:function:someone-elses"]
        policy["inputs"]["policy"] = json.dumps(document)

    assert "workload-roles-scoped-to-stack" in _check_mutated(tmp_path, prod_state, invoke_another_function)


def test_internet_gateway_in_the_isolated_vpc(tmp_path: Path, prod_state: State) -> None:
    def attach_gateway(resources: list[dict[str, Any]]) -> None:
        vpc = _one(resources, "aws:ec2/vpc:Vpc", "network-vpc")
        urn = vpc["urn"].replace("aws:ec2/vpc:Vpc::network-vpc", "aws:ec2/internetGateway:InternetGateway::igw")
        resources.append(
            {
                "urn": urn,
                "custom": True,
                "type": "aws:ec2/internetGateway:InternetGateway",
                "id": "igw-0abc",
                "inputs": {"vpcId": vpc["id"]},
                "outputs": {"id": "igw-0abc", "vpcId": vpc["id"]},
                "parent": vpc["parent"],
                "dependencies": [vpc["urn"]],
                "propertyDependencies": {"vpcId": [vpc["urn"]]},
            }
        )

    assert "vpc-isolated-no-internet-path" in _check_mutated(tmp_path, prod_state, attach_gateway)


def _edit_document(
    resources: list[dict[str, Any]], res_type: str, name: str, prop: str, edit: Callable[[Any], None]
) -> None:
    resource = _one(resources, res_type, name)
    document = json.loads(resource["inputs"][prop])
    edit(document)
    resource["inputs"][prop] = json.dumps(document)


def _trust_any_principal_of_the_account(document: Any) -> None:
    document["Statement"][0]["Principal"] = {"AWS": "arn:aws:iam::123456789012:root"}
    document["Statement"][0].pop("Condition", None)


def _key_administration_to_a_role(document: Any) -> None:
    document["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:role/any-workload"},
            "Action": "kms:*",
            "Resource": "*",
        }
    )


def _raise_rate_limit(acl: dict[str, Any]) -> None:
    for rule in acl["inputs"]["rules"]:
        if "rateBasedStatement" in rule["statement"]:
            rule["statement"]["rateBasedStatement"]["limit"] = 2_000_000_000  # the service maximum


#: The further one-line regressions issue 12 asked to look for: each passed every pack on main.
MORE_REGRESSIONS: dict[str, Callable[[list[dict[str, Any]]], None]] = {
    "resource-policies-service-principals-pinned": lambda rs: _edit_document(
        rs,
        "aws:sqs/queuePolicy:QueuePolicy",
        "observability-delivery-dlq-policy",
        "policy",
        lambda d: d["Statement"][0].pop("Condition"),
    ),
    "iam-role-trust-specific": lambda rs: _edit_document(
        rs, "aws:iam/role:Role", "notifications-scheduler-role", "assumeRolePolicy", _trust_any_principal_of_the_account
    ),
    "kms-key-administration-by-account-only": lambda rs: _edit_document(
        rs, "aws:kms/key:Key", "keys-data", "policy", _key_administration_to_a_role
    ),
    "wafv2-rate-limit-bounded": lambda rs: _raise_rate_limit(_one(rs, "aws:wafv2/webAcl:WebAcl", "firewall-acl")),
    "scheduler-schedule-cmk": lambda rs: _one(rs, "aws:scheduler/schedule:Schedule", "notifications-poller-schedule")[
        "inputs"
    ].pop("kmsKeyArn"),
}


@pytest.mark.parametrize("policy", sorted(MORE_REGRESSIONS))
def test_more_one_line_regressions(policy: str, tmp_path: Path, prod_state: State) -> None:
    assert policy in _check_mutated(tmp_path, prod_state, MORE_REGRESSIONS[policy])
