"""The offline checker: exit codes, output formats, state files, warnings."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest

from policies.check import main, run_checker

REPO_ROOT = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-2.1.0-rtm.5.json"

UNENCRYPTED_NEPTUNE = """
import pulumi_aws as aws
aws.neptune.Cluster("db", engine="neptune", skip_final_snapshot=True)
"""

CLEAN = """
import pulumi_aws as aws
aws.ec2.Subnet("private", vpc_id="vpc-123", cidr_block="10.0.1.0/24", map_public_ip_on_launch=False)
"""

UNKNOWN_INVOKE = """
import pulumi_aws as aws
vpc = aws.ec2.get_vpc(default=True)
aws.ec2.Subnet("private", vpc_id="vpc-123", cidr_block="10.0.1.0/24")
"""

FAILING = """
raise RuntimeError("boom")
"""


def make_program(root: Path, body: str, *, project: str = "tmpprog", stack: str = "dev") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(f"name: {project}\nruntime: python\n")
    (root / f"Pulumi.{stack}.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (root / "__main__.py").write_text(textwrap.dedent(body))
    return root


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "policies.check", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """The checker's ``main`` in-process (same contract as the CLI, without interpreter start-up)."""
    code = main(list(args))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, captured.out, captured.err)


def assert_one_line_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]


class TestExitCodes:
    def test_mandatory_violation_exits_1(self, tmp_path: Path) -> None:
        program = make_program(tmp_path / "p", UNENCRYPTED_NEPTUNE)
        result = run_cli("--program", str(program), "--stack", "dev", "--format", "json")
        assert result.returncode == 1, result.stderr
        report = json.loads(result.stdout)
        encryption = [v for v in report["violations"] if v["policy"] == "neptune-cluster-storage-encrypted"]
        assert encryption and encryption[0]["enforcement"] == "mandatory"

    def test_clean_program_exits_0(self, tmp_path: Path) -> None:
        result = run_cli("--program", str(make_program(tmp_path / "p", CLEAN)), "--stack", "dev")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "policies PASS" in result.stdout

    def test_missing_project_file_exits_2(self, tmp_path: Path) -> None:
        assert_one_line_error(run_cli("--program", str(tmp_path)), "no Pulumi.yaml")

    def test_program_error_exits_2(self, tmp_path: Path) -> None:
        assert_one_line_error(run_cli("--program", str(make_program(tmp_path / "p", FAILING))), "boom")

    def test_unknown_stack_exits_2(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert_one_line_error(
            run_main(capsys, "--program", str(make_program(tmp_path / "p", CLEAN)), "--stack", "qa"), "unknown stack"
        )

    def test_program_config_flags_need_a_program(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        # A stack export has no program to configure: --set there would be silently ignored.
        state = tmp_path / "state.json"
        state.write_text("{}")
        for flag in ("--set", "--set-secret"):
            assert_one_line_error(run_main(capsys, "--state", str(state), flag, "key=value"), f"{flag} needs --program")

    def test_corrupt_state_exits_2(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        state = tmp_path / "state.json"
        state.write_text("{not json")
        assert_one_line_error(run_main(capsys, "--state", str(state)), "not valid JSON")

    def test_unsupported_state_version_exits_2(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        state = tmp_path / "state.json"
        state.write_text(json.dumps({"version": 2, "deployment": {"resources": []}}))
        assert_one_line_error(run_main(capsys, "--state", str(state)), "version 2")

    def test_bad_arguments_exit_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert_one_line_error(run_cli("--format", "xml"), "bad arguments")
        assert_one_line_error(run_main(capsys, "--state", "a.json", "--program", "."), "bad arguments")
        assert_one_line_error(
            run_main(capsys, "--state", "a.json", "--write-state", "b.json"), "--write-state needs --program"
        )

    def test_exemption_without_reason_exits_2(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        config = tmp_path / "security.json"
        config.write_text(
            json.dumps(
                {
                    "all": "mandatory",
                    "neptune-cluster-storage-encrypted": {"exemptions": [{"resource": "db", "reason": ""}]},
                }
            )
        )
        program = make_program(tmp_path / "p", UNENCRYPTED_NEPTUNE)
        assert_one_line_error(run_main(capsys, "--program", str(program), "--config", str(config)), "has no reason")


def _in_process(*args: str) -> tuple[int, str]:
    return run_checker(list(args))


class TestReports:
    def test_json_fields(self, tmp_path: Path) -> None:
        code, output = _in_process(
            "--program", str(make_program(tmp_path / "p", UNENCRYPTED_NEPTUNE)), "--stack", "dev", "--format", "json"
        )
        report = json.loads(output)
        assert code == 1
        assert report["stack"] == "dev"
        assert report["resourceCount"] == 1
        violation = next(v for v in report["violations"] if v["policy"] == "neptune-cluster-storage-encrypted")
        assert violation == {
            "pack": "mobile-backend-security",
            "policy": "neptune-cluster-storage-encrypted",
            "enforcement": "mandatory",
            "severity": "critical",
            "resourceType": "aws:neptune/cluster:Cluster",
            "resourceName": "db",
            "urn": violation["urn"],
            "message": violation["message"],
            "controlIds": ["FSBP Neptune.1", "AwsSolutions-N4", "CKV_AWS_44", "docs/controls.md#c-1"],
        }
        assert violation["urn"].endswith("aws:neptune/cluster:Cluster::db")
        assert "not encrypted" in violation["message"]

    def test_dev_config_makes_resilience_advisory(self, tmp_path: Path) -> None:
        program = str(make_program(tmp_path / "p", UNENCRYPTED_NEPTUNE))
        _, dev = _in_process("--program", program, "--stack", "dev", "--format", "json")
        levels = {v["policy"]: v["enforcement"] for v in json.loads(dev)["violations"]}
        assert levels["neptune-multi-az-instances"] == "advisory"
        assert levels["neptune-cluster-storage-encrypted"] == "mandatory"

    def test_explicit_config_overrides_stack_files(self, tmp_path: Path) -> None:
        config = tmp_path / "both.json"
        config.write_text(json.dumps({"security": {"all": "advisory"}, "compliance": {"all": "disabled"}}))
        code, output = _in_process(
            "--program",
            str(make_program(tmp_path / "p", UNENCRYPTED_NEPTUNE)),
            "--config",
            str(config),
            "--format",
            "json",
        )
        report = json.loads(output)
        assert code == 0
        assert {v["enforcement"] for v in report["violations"]} == {"advisory"}
        assert all(v["pack"] == "mobile-backend-security" for v in report["violations"])

    def test_exemption_with_reason_is_listed(self, tmp_path: Path) -> None:
        config = tmp_path / "security.json"
        config.write_text(
            json.dumps(
                {
                    "neptune-cluster-storage-encrypted": {
                        "exemptions": [{"resource": "db", "reason": "throwaway test db"}]
                    }
                }
            )
        )
        _, output = _in_process(
            "--program",
            str(make_program(tmp_path / "p", UNENCRYPTED_NEPTUNE)),
            "--config",
            str(config),
            "--format",
            "json",
        )
        report = json.loads(output)
        assert not [v for v in report["violations"] if v["policy"] == "neptune-cluster-storage-encrypted"]
        assert report["exemptions"][0]["reason"] == "throwaway test db"

    def test_sarif_is_valid_sarif_2_1_0(self, tmp_path: Path) -> None:
        _, output = _in_process(
            "--program", str(make_program(tmp_path / "p", UNENCRYPTED_NEPTUNE)), "--format", "sarif"
        )
        document = json.loads(output)
        schema = json.loads(SARIF_SCHEMA.read_text())
        jsonschema.validate(document, schema, cls=jsonschema.Draft4Validator)
        results = document["runs"][0]["results"]
        assert any(r["ruleId"] == "neptune-cluster-storage-encrypted" and r["level"] == "error" for r in results)
        rules = document["runs"][0]["tool"]["driver"]["rules"]
        assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)

    def test_unknown_invoke_is_a_warning(self, tmp_path: Path) -> None:
        code, output = _in_process("--program", str(make_program(tmp_path / "p", UNKNOWN_INVOKE)), "--format", "json")
        report = json.loads(output)
        assert any("aws:ec2/getVpc:getVpc" in w for w in report["warnings"])
        assert report["resourceCount"] == 1
        assert code == 0

    def test_output_file(self, tmp_path: Path) -> None:
        out = tmp_path / "report.json"
        code, printed = _in_process(
            "--program",
            str(make_program(tmp_path / "p", UNENCRYPTED_NEPTUNE)),
            "--format",
            "json",
            "--output",
            str(out),
        )
        assert code == 1
        assert json.loads(out.read_text())["resourceCount"] == 1
        assert printed.startswith("policies FAIL")


class TestState:
    def test_round_trip_keeps_verdicts(self, tmp_path: Path) -> None:
        program = make_program(tmp_path / "p", UNENCRYPTED_NEPTUNE + CLEAN)
        state = tmp_path / "state.json"
        code_program, from_program = _in_process(
            "--program", str(program), "--stack", "dev", "--format", "json", "--write-state", str(state)
        )
        code_state, from_state = _in_process("--state", str(state), "--format", "json")
        assert code_program == code_state == 1
        a, b = json.loads(from_program), json.loads(from_state)
        assert a["stack"] == b["stack"] == "dev"
        assert a["resourceCount"] == b["resourceCount"] == 2
        assert a["violations"] == b["violations"]

    def test_secret_policy_in_state_fails_closed(self, tmp_path: Path) -> None:
        secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "AAAA"}
        state = tmp_path / "state.json"
        stack_urn = "urn:pulumi:prod::p::pulumi:pulumi:Stack::p-prod"
        state.write_text(
            json.dumps(
                {
                    "version": 3,
                    "deployment": {
                        "manifest": {},
                        "resources": [
                            {"urn": stack_urn, "type": "pulumi:pulumi:Stack", "custom": False},
                            {
                                "urn": "urn:pulumi:prod::p::pulumi:providers:aws::default",
                                "type": "pulumi:providers:aws",
                                "custom": True,
                                "id": "x",
                            },
                            {
                                "urn": "urn:pulumi:prod::p::aws:iam/rolePolicy:RolePolicy::rp",
                                "type": "aws:iam/rolePolicy:RolePolicy",
                                "custom": True,
                                "id": "rp",
                                "inputs": {"role": "r", "policy": secret},
                                "outputs": {},
                            },
                        ],
                    },
                }
            )
        )
        code, output = _in_process("--state", str(state), "--format", "json")
        report = json.loads(output)
        assert code == 1
        assert report["stack"] == "prod"
        assert report["resourceCount"] == 1
        # Outside preview the control stays undecided, so its own (mandatory) policy fails closed.
        assert any(
            v["policy"] == "iam-no-wildcard-resource"
            and v["enforcement"] == "mandatory"
            and "encrypted secret" in v["message"]
            for v in report["violations"]
        )


@pytest.mark.parametrize("name", ["neptune-cluster-storage-encrypted", "neptune-multi-az-instances"])
def test_policy_names_in_text_output(tmp_path: Path, name: str) -> None:
    _, output = _in_process("--program", str(make_program(tmp_path / "p", UNENCRYPTED_NEPTUNE)))
    assert name in output


def test_config_error_in_program_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = make_program(tmp_path / "p", "import pulumi\npulumi.Config().require('graphInstanceClass')\n")
    assert_one_line_error(run_main(capsys, "--program", str(program)), "graphInstanceClass")


def test_evaluate_in_process_for_make_plan() -> None:
    from policies.core import Res
    from policies.evaluate import evaluate

    cluster = Res(
        "aws:neptune/cluster:Cluster",
        "db",
        "urn:pulumi:dev::p::aws:neptune/cluster:Cluster::db",
        {"storageEncrypted": False},
    )
    report = evaluate([cluster], stack="dev")
    grouped = report.by_urn()
    assert set(grouped) == {cluster.urn}
    assert any(f.rule.name == "neptune-cluster-storage-encrypted" for f in grouped[cluster.urn])
    assert report.summary().startswith("policies FAIL:")
    assert not report.passed


def test_recorded_outputs_identify_resources() -> None:
    from offline.mocks import RecordedResource
    from policies.evaluate import res_from_recorded

    recorded = RecordedResource(
        urn="urn:pulumi:dev::p::aws:neptune/cluster:Cluster::graph",
        type="aws:neptune/cluster:Cluster",
        name="graph",
        custom=True,
        parent="",
        inputs={},
        state={"clusterResourceId": "cluster-ABC", "arn": "arn:aws:rds:eu-west-1:1:cluster:graph"},
        id="graph-id",
    )
    assert {"graph-id", "cluster-ABC", "arn:aws:rds:eu-west-1:1:cluster:graph"} <= set(
        res_from_recorded(recorded).identifiers
    )


class TestPreviewArguments:
    def test_missing_state_is_one_line(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        program = make_program(tmp_path / "p", CLEAN)
        result = run_main(capsys, "--preview", "--program", str(program), "--state", str(tmp_path / "nope.json"))
        assert_one_line_error(result, "does not exist")

    def test_program_and_state_need_preview(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        program = make_program(tmp_path / "p", CLEAN)
        state = tmp_path / "s.json"
        state.write_text('{"version": 3, "deployment": {"resources": []}}')
        assert_one_line_error(run_main(capsys, "--program", str(program), "--state", str(state)), "--preview")

    def test_preview_of_a_small_program_lists_the_deferred_policy(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        # A queue policy built from the new queue's ARN is unknown at preview; the full run decides it.
        program = make_program(
            tmp_path / "p",
            """
            import json
            import pulumi
            import pulumi_aws as aws
            queue = aws.sqs.Queue("jobs", sqs_managed_sse_enabled=True)
            aws.sqs.QueuePolicy("jobs-policy", queue_url=queue.url, policy=pulumi.Output.json_dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": queue.arn,
                               "Condition": {"Bool": {"aws:SecureTransport": "false"}}}],
            }))
            """,
        )
        result = run_main(capsys, "--preview", "--program", str(program), "--format", "json")
        document = json.loads(result.stdout)
        deferred = {(d["policy"], d["resourceName"], d["unknownInput"]) for d in document["deferred"]}
        assert ("sqs-queue-policy-not-public", "jobs-policy", "policy") in deferred, document
        assert all(d["offline"] != "UNDECIDED" for d in document["deferred"])
        # A control decided from known values stays mandatory at preview (SSE without a stack CMK).
        assert {m["policy"] for m in document["previewMandatory"]} == {"sqs-queue-encrypted"}
        assert result.returncode == 1 and not document["passed"]
