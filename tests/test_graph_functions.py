"""graph_api and auth_triggers: in the VPC, sized by config, Neptune access only on this cluster."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.runner import ProgramRun
from tests.realtime_support import add_function_paths

add_function_paths()  # the handlers' package root, as in Lambda

from shared.environment import NeptuneSettings  # noqa: E402

FUNCTION = "aws:lambda/function:Function"
NEPTUNE_READ_WRITE = {"neptune-db:ReadDataViaQuery", "neptune-db:WriteDataViaQuery"}
FUNCTIONS = {
    # component name -> (config key, neptune-db actions it needs)
    # No GetQueryStatus: the code never asks for a query's status (runtime flows, surplus grant).
    "graph-api": ("graphApi", NEPTUNE_READ_WRITE | {"neptune-db:DeleteDataViaQuery"}),
    "auth-triggers": ("authTriggers", NEPTUNE_READ_WRITE),
}


def _statements(run: ProgramRun, name: str) -> list[dict[str, Any]]:
    function = run.one(FUNCTION, f"{name}-function")
    role = next(r for r in run.by_type("aws:iam/role:Role") if r.state["arn"] == function.inputs["role"])
    attachments = [
        a
        for a in run.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == role.state["name"]
    ]
    policies = {p.state["arn"]: p for p in run.by_type("aws:iam/policy:Policy")}
    statements: list[dict[str, Any]] = []
    for attachment in attachments:
        statements += json.loads(policies[attachment.inputs["policyArn"]].inputs["policy"])["Statement"]
    assert not role.inputs.get("inlinePolicies"), "customer-managed policies only"
    return statements


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_sized_by_config(run: ProgramRun, config: dict[str, Any], name: str) -> None:
    key, _ = FUNCTIONS[name]
    expected = config["functions"][key]
    function = run.one(FUNCTION, f"{name}-function").inputs
    assert function["memorySize"] == expected["memoryMb"]
    assert function["timeout"] == expected["timeoutSeconds"]
    assert function.get("reservedConcurrentExecutions") == expected["reservedConcurrency"]
    assert function["environment"]["variables"]["POWERTOOLS_LOG_LEVEL"] == expected["logLevel"]
    group = run.one("aws:cloudwatch/logGroup:LogGroup", f"{name}-logs").inputs
    assert group["retentionInDays"] == expected["logRetentionDays"]
    assert group["kmsKeyId"] == run.one("aws:kms/key:Key", "keys-logs").state["arn"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_in_the_private_subnets_with_the_lambda_security_group(run: ProgramRun, name: str) -> None:
    vpc_config = run.one(FUNCTION, f"{name}-function").inputs["vpcConfig"]
    assert sorted(vpc_config["subnetIds"]) == sorted(s.id for s in run.by_type("aws:ec2/subnet:Subnet"))
    assert vpc_config["securityGroupIds"] == [run.one("aws:ec2/securityGroup:SecurityGroup", "network-lambda-sg").id]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_neptune_actions_only_on_this_clusters_resource_id(run: ProgramRun, name: str) -> None:
    cluster = run.one("aws:neptune/cluster:Cluster", "graph-cluster").state
    expected_arn = f"arn:aws:neptune-db:eu-west-1:123456789012:{cluster['clusterResourceId']}/*"
    _, actions = FUNCTIONS[name]
    granted: set[str] = set()
    for statement in _statements(run, name):
        statement_actions = _as_list(statement["Action"])
        if any(a.startswith("neptune-db:") for a in statement_actions):
            assert all(a.startswith("neptune-db:") for a in statement_actions), "no mixing with other services"
            assert _as_list(statement["Resource"]) == [expected_arn]
            assert statement["Condition"] == {"StringEqualsIgnoreCase": {"neptune-db:QueryLanguage": "opencypher"}}
            granted |= set(statement_actions)
    assert granted == actions


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_statement_names_this_stacks_resources(run: ProgramRun, name: str) -> None:
    function_name = run.one(FUNCTION, f"{name}-function").inputs["name"]
    for statement in _statements(run, name):
        for resource in _as_list(statement["Resource"]):
            if resource == "*":
                assert statement["Sid"] in ("XRayTraceUploadNeedsStar", "DescribeNetworkNeedsStar")
            elif resource.startswith("arn:aws:ec2:"):
                subnets = {
                    f"arn:aws:ec2:eu-west-1:123456789012:subnet/{s.id}" for s in run.by_type("aws:ec2/subnet:Subnet")
                }
                group = run.one("aws:ec2/securityGroup:SecurityGroup", "network-lambda-sg").id
                allowed = {*subnets, f"arn:aws:ec2:eu-west-1:123456789012:security-group/{group}"}
                assert resource in {*allowed, "arn:aws:ec2:eu-west-1:123456789012:network-interface/*"}, resource
            elif resource.startswith("arn:aws:logs:"):
                assert resource.endswith(f":log-group:/aws/lambda/{function_name}:log-stream:*")
            elif resource.startswith(("arn:aws:dynamodb:", "arn:aws:kms:")):
                # The home feed's timelines table and the data key it is encrypted with (test_timelines.py).
                assert name == "graph-api", resource
                assert resource in (
                    run.one("aws:dynamodb/table:Table", "timelines-table").state["arn"],
                    run.one("aws:kms/key:Key", "keys-data").state["arn"],
                ), resource
            else:
                assert resource.startswith("arn:aws:neptune-db:eu-west-1:123456789012:cluster-"), resource


@pytest.mark.parametrize("name", FUNCTIONS)
def test_the_graph_client_reaches_this_cluster(run: ProgramRun, name: str) -> None:
    """Both build their graph repository from the deployed environment with the client's own
    parser: graph_api for every resolver, auth_triggers for the User vertex of each sign-up."""
    cluster = run.one("aws:neptune/cluster:Cluster", "graph-cluster").state
    variables = run.one(FUNCTION, f"{name}-function").inputs["environment"]["variables"]
    settings = NeptuneSettings.from_environment(variables)
    assert settings.writer_endpoint == cluster["endpoint"]
    assert settings.reader_endpoint == cluster["readerEndpoint"]
    assert settings.port == cluster["port"]


def test_auth_triggers_environment_carries_the_domain_lists(run: ProgramRun, config: dict[str, Any]) -> None:
    variables = run.one(FUNCTION, "auth-triggers-function").inputs["environment"]["variables"]
    identity = config["identity"]
    assert variables["ALLOWED_EMAIL_DOMAINS"] == ",".join(identity.get("allowedEmailDomains", []))
    assert variables["BLOCKED_EMAIL_DOMAINS"] == ",".join(identity.get("blockedEmailDomains", []))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_no_dead_letter_queue_for_synchronous_callers(run: ProgramRun, name: str) -> None:
    """AppSync and Cognito invoke synchronously; a Lambda DLQ only ever receives async events."""
    assert "deadLetterConfig" not in run.one(FUNCTION, f"{name}-function").inputs
    assert not [q for q in run.by_type("aws:sqs/queue:Queue") if q.name == f"{name}-dlq"]
