"""The PythonFunction construct, through a small program that uses its variants."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pulumi
import pytest

from components.context import DeploymentContext
from components.python_function import STAMP, PythonFunctionArgs, VpcPlacement, requirements_digest
from components.validation import ArgsError
from offline.runner import ProgramRun, run_program
from tests.fixtures.function_program.contracts import EchoEnvironment, WithDepsEnvironment

FIXTURES = Path(__file__).parent / "fixtures"
PROGRAM = FIXTURES / "function_program"
FUNCTIONS = FIXTURES / "functions"
CONTEXT = DeploymentContext(account_id="123456789012", region="eu-west-1", partition="aws", prefix="fixture-test")


def _fake_layer(layers: Path) -> None:
    """What scripts/build_layers.py leaves behind (the build itself needs PyPI)."""
    target = layers / "with_deps"
    (target / "python" / "jmespath").mkdir(parents=True)
    (target / STAMP).write_text(requirements_digest(FUNCTIONS / "with_deps" / "requirements.txt") + "\n")


def _run(layers: Path) -> ProgramRun:
    return run_program(
        PROGRAM,
        "test",
        config_overrides={"function-fixture:functionsRoot": str(FUNCTIONS), "function-fixture:layersRoot": str(layers)},
    )


@pytest.fixture
def run(tmp_path: Path) -> ProgramRun:
    _fake_layer(tmp_path)
    return _run(tmp_path)


def _policy(run: ProgramRun, name: str) -> list[dict[str, object]]:
    statements: list[dict[str, object]] = json.loads(
        run.one("aws:iam/policy:Policy", f"{name}-policy").inputs["policy"]
    )["Statement"]
    return statements


def test_function_settings(run: ProgramRun) -> None:
    function = run.one("aws:lambda/function:Function", "echo-function").inputs
    assert function["runtime"] == "python3.12" and function["architectures"] == ["arm64"]
    assert function["name"] == "fixture-test-echo"
    # Lambda imports <source>.handler from the archive's root, as the tests import it from functions/.
    assert function["handler"] == "echo.handler.handler"
    assert function["tracingConfig"] == {"mode": "Active"}
    assert function["kmsKeyArn"] == "arn:aws:kms:eu-west-1:123456789012:key/data"
    assert function["reservedConcurrentExecutions"] == 2
    assert (function["memorySize"], function["timeout"]) == (256, 30)
    variables = function["environment"]["variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == "echo" and variables["TABLE"] == "t"
    assert "layers" not in function or not function["layers"]


def test_log_group_declared_first_with_retention_and_key(run: ProgramRun) -> None:
    group = run.one("aws:cloudwatch/logGroup:LogGroup", "echo-logs")
    function = run.one("aws:lambda/function:Function", "echo-function")
    assert group.inputs["name"] == "/aws/lambda/fixture-test-echo"
    assert group.inputs["kmsKeyId"] == "arn:aws:kms:eu-west-1:123456789012:key/logs"
    assert group.inputs["retentionInDays"] == 365
    assert group.urn in function.dependencies
    assert function.inputs["loggingConfig"]["logGroup"] == group.inputs["name"]


def test_role_trusts_lambda_of_this_account_only(run: ProgramRun) -> None:
    role = run.one("aws:iam/role:Role", "echo-role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert run.one("aws:lambda/function:Function", "echo-function").inputs["role"] == role.state["arn"]


def test_policy_names_its_resources(run: ProgramRun) -> None:
    statements = _policy(run, "echo")
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["WriteOwnLogGroup"]["Resource"] == [
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/fixture-test-echo:log-stream:*"
    ]
    assert by_sid["ReadTable"]["Action"] == ["dynamodb:GetItem"]
    star = [s["Sid"] for s in statements if s["Resource"] == "*"]
    assert star == ["XRayTraceUploadNeedsStar"], "only X-Ray, which has no resource-level permissions"


def test_vpc_dlq_and_layer_variant(run: ProgramRun) -> None:
    function = run.one("aws:lambda/function:Function", "deps-function").inputs
    queue = run.one("aws:sqs/queue:Queue", "deps-dlq")
    layer = run.one("aws:lambda/layerVersion:LayerVersion", "deps-deps")
    assert function["vpcConfig"] == {"subnetIds": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-1"]}
    assert function["deadLetterConfig"] == {"targetArn": queue.state["arn"]}
    assert queue.inputs["kmsMasterKeyId"] == "arn:aws:kms:eu-west-1:123456789012:key/data"
    assert function["layers"] == [layer.state["arn"]]
    assert layer.inputs["compatibleArchitectures"] == ["arm64"]
    by_sid = {s["Sid"]: s for s in _policy(run, "deps")}
    assert by_sid["SendToOwnDeadLetterQueue"]["Resource"] == [queue.state["arn"]]
    assert by_sid["ManageOwnNetworkInterfaces"]["Resource"] == [
        "arn:aws:ec2:eu-west-1:123456789012:network-interface/*",
        "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-a",
        "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-b",
        "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-1",
    ]
    assert by_sid["ReleaseNetworkInterfaces"]["Resource"] == ["arn:aws:ec2:eu-west-1:123456789012:network-interface/*"]
    assert by_sid["DescribeNetworkNeedsStar"]["Action"] == ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]


def test_missing_layer_build_stops_the_program(tmp_path: Path) -> None:
    with pytest.raises(
        pulumi.RunError, match=r"function with_deps: its dependencies are not built .* run `make layers`"
    ):
        _run(tmp_path)


def test_stale_layer_build_stops_the_program(tmp_path: Path) -> None:
    _fake_layer(tmp_path)
    (tmp_path / "with_deps" / STAMP).write_text("0" * 64 + "\n")
    with pytest.raises(pulumi.RunError, match=r"changed since its layer was built; run `make layers`"):
        _run(tmp_path)


def test_code_archive_holds_the_function_folder(run: ProgramRun) -> None:
    code = run.one("aws:lambda/function:Function", "echo-function").inputs["code"]
    assert isinstance(code, pulumi.AssetArchive)
    # The package under its own name (so `echo.handler` resolves at /var/task), nothing else:
    # this fixture tree has no shared/.
    assert set(code.assets) == {"echo/__init__.py", "echo/handler.py"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"source": "../etc"}, "source: must be a functions/ folder name"),
        ({"source": "missing"}, "source: .*missing does not exist"),
        ({"source": "no_package"}, r"source: .*no_package/__init__.py does not exist \(every function is a package\)"),
        ({"memory_mb": 64}, "memory_mb: must be between 128 and 10240"),
        ({"timeout_seconds": 901}, "timeout_seconds: must be between 1 and 900"),
        ({"log_retention_days": 2}, "log_retention_days: must be one of"),
        (
            {"statements": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]},
            r"statements\[0\]: a '\*' resource needs a Sid",
        ),
        ({"statements": [{"Action": "s3:GetObject"}]}, r"statements\[0\]: needs Effect, Action and Resource"),
        # The handler parses the environment with its own folder's contract, never another's.
        (
            {"environment": WithDepsEnvironment()},
            "environment: WithDepsEnvironment is the contract of with_deps, not of echo",
        ),
    ],
)
def test_bad_arguments_name_the_field(changes: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "context": CONTEXT,
        "source": "echo",
        "description": "d",
        "logs_key_arn": "k",
        "data_key_arn": "k",
        "functions_root": FUNCTIONS,
        "environment": EchoEnvironment(table="t"),
    }
    with pytest.raises(ArgsError, match=message):
        PythonFunctionArgs(**{**base, **changes})  # type: ignore[arg-type]


def test_vpc_placement_needs_two_subnets() -> None:
    with pytest.raises(ArgsError, match=r"vpc\.subnet_ids: a VPC function needs subnets in at least 2 AZs"):
        VpcPlacement(subnet_ids=["subnet-a"], security_group_ids=["sg"])


def test_layer_build_script_insists_on_pins(tmp_path: Path) -> None:
    from scripts.build_layers import pins

    good = tmp_path / "good.txt"
    good.write_text("# comment\naws-lambda-powertools[tracer]==3.37.0\nJmesPath==1.0.1  # trailing\n")
    assert pins(good) == {"aws-lambda-powertools": "3.37.0", "jmespath": "1.0.1"}
    bad = tmp_path / "bad.txt"
    bad.write_text("pillow>=10\n")
    with pytest.raises(SystemExit, match=r"bad.txt:1: pin an exact version"):
        pins(bad)
    shutil.rmtree(tmp_path)
