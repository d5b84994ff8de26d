"""The offline checker on third-party programs: the corpus in tests/fixtures/third_party.

Each program is written the way users write Pulumi Python programs (no stack file, required
and secret config, data sources, components, stack references, assets, other providers,
several stacks, nested exports, local modules). Each test asserts what the checker tells
that user: the exit code (0 pass, 1 violation, 2 could not evaluate in one line) and the
findings and warnings a user acts on. Runs are in-process (``main``), about 0.3 s each;
the two subprocess runs check what only a fresh interpreter shows (stderr at exit).
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from offline import datasources
from offline.runner import ProgramRun, run_program
from policies.check import main

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).parent / "fixtures" / "third_party"
SARIF_SCHEMA = Path(__file__).parent / "policies" / "data" / "sarif-2.1.0-rtm.5.json"
STANDIN = "aws:region is not set: the program ran in the stand-in region eu-west-1"


def check(capsys: pytest.CaptureFixture[str], name: str, *args: str) -> tuple[int, str, str]:
    code = main(["--program", str(CORPUS / name), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def check_json(capsys: pytest.CaptureFixture[str], name: str, *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = check(capsys, name, "--format", "json", *args)
    assert code in (0, 1), err
    return code, json.loads(out)


def findings(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["policy"], f["resourceName"]) for f in report["violations"]}


def one_line_error(code: int, err: str) -> str:
    assert code == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if line.startswith("policies.check:")]
    assert len(lines) == 1, err
    return lines[0]


def lenient(name: str, stack: str = "dev", **kwargs: Any) -> ProgramRun:
    """The run the checker makes of a third-party program (synthesised data sources)."""
    return run_program(CORPUS / name, stack, strict=False, **kwargs)


def test_corpus_size() -> None:
    programs = [p for p in CORPUS.iterdir() if (p / "Pulumi.yaml").is_file()]
    assert len(programs) >= 15


class TestStacksAndConfig:
    def test_no_stack_file_runs_on_empty_config(self, capsys: pytest.CaptureFixture[str]) -> None:
        # The quickstart commits no stack file: it is evaluated (an unprotected bucket
        # fails), not refused with "unknown stack 'dev'".
        code, report = check_json(capsys, "no_stack_file")
        assert code == 1
        assert ("s3-bucket-public-access-block", "my-bucket") in findings(report)
        assert report["stack"] == "dev"
        assert STANDIN in report["warnings"]

    def test_explicit_stack_without_any_stack_file(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, report = check_json(capsys, "no_stack_file", "--stack", "staging")
        assert code == 1
        assert report["stack"] == "staging"

    def test_missing_required_key_names_key_and_flag(self, capsys: pytest.CaptureFixture[str]) -> None:
        line = one_line_error(*check(capsys, "required_config")[::2])
        assert "'required_config:instanceType'" in line
        assert "--set required_config:instanceType=VALUE" in line
        assert "__main__.py:5" in line

    def test_set_supplies_the_key(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, report = check_json(capsys, "required_config", "--set", "instanceType=t3.micro")
        assert code == 0
        assert report["resourceCount"] == 1
        run = lenient("required_config", config_overrides={"instanceType": "t3.micro"})
        assert run.one("aws:ec2/instance:Instance", "web").inputs["instanceType"] == "t3.micro"

    def test_missing_secret_points_at_set_secret(self, capsys: pytest.CaptureFixture[str]) -> None:
        line = one_line_error(*check(capsys, "secret_config")[::2])
        assert "--set-secret secret_config:dbPassword=VALUE" in line

    def test_set_secret_keeps_the_value_secret(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, err = check(capsys, "secret_config", "--set-secret", "dbPassword=hunter2")
        assert code == 0, err
        assert "hunter2" not in out
        run = lenient("secret_config", secret_overrides={"dbPassword": "hunter2"})
        assert run.one("aws:rds/instance:Instance", "db").has_secrets

    def test_bad_set_argument(self, capsys: pytest.CaptureFixture[str]) -> None:
        line = one_line_error(*check(capsys, "required_config", "--set", "instanceType")[::2])
        assert "--set takes KEY=VALUE" in line

    def test_several_stacks_need_a_choice(self, capsys: pytest.CaptureFixture[str]) -> None:
        line = one_line_error(*check(capsys, "several_stacks")[::2])
        assert "several stacks (dev, prod)" in line and "--stack" in line

    @pytest.mark.parametrize(("stack", "region"), [("dev", "us-east-1"), ("prod", "eu-central-1")])
    def test_each_stack_runs_with_its_own_config(
        self, capsys: pytest.CaptureFixture[str], stack: str, region: str
    ) -> None:
        _, report = check_json(capsys, "several_stacks", "--stack", stack)
        assert report["stack"] == stack
        assert STANDIN not in report["warnings"]
        run = lenient("several_stacks", stack)
        assert run.outputs["region"] == region

    def test_only_stack_file_is_the_default(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, report = check_json(capsys, "secure_stack_file")
        assert report["stack"] == "prod"
        assert code == 1
        assert ("secret-cmk", "token") in findings(report)

    def test_named_stack_file(self, capsys: pytest.CaptureFixture[str]) -> None:
        stack_file = CORPUS / "violating" / "staging.yaml"
        code, report = check_json(capsys, "violating", "--stack-file", str(stack_file))
        assert code == 1
        assert report["stack"] == "staging"
        assert ("neptune-cluster-storage-encrypted", "graph") in findings(report)
        assert STANDIN not in report["warnings"]  # the stack file sets ap-southeast-2

    def test_policy_config_flag_is_the_packs_config(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        # --policy-config is the packs' config (the old --config), never the program's.
        config = tmp_path / "security.json"
        config.write_text(json.dumps({"security": {"all": "advisory"}, "compliance": {"all": "disabled"}}))
        stack_file = str(CORPUS / "violating" / "staging.yaml")
        code, report = check_json(capsys, "violating", "--stack-file", stack_file, "--policy-config", str(config))
        assert code == 0
        assert {v["enforcement"] for v in report["violations"]} == {"advisory"}


class TestDataSources:
    def test_catalogue_is_every_aws_data_source(self) -> None:
        # Derived from the SDK: every generated get_* function of pulumi_aws calls invoke
        # with its token; 688 in pulumi-aws 7.51.1. A hand list could not stay complete.
        catalogue = datasources.catalogue("pulumi_aws")
        assert len(catalogue) > 600
        import pulumi_aws.ec2

        assert catalogue["aws:ec2/getVpc:getVpc"].result_class == pulumi_aws.ec2.GetVpcResult.__name__

    def test_lookup_by_file_name_agrees_with_the_catalogue(self) -> None:
        # The fast path (the file named after the token) must find exactly what the scan does.
        catalogue = datasources.catalogue("pulumi_aws")
        assert {token: datasources.lookup(token) for token in catalogue} == catalogue

    def test_every_aws_data_source_answers(self) -> None:
        # Each token answers a dict with its result type's properties (none left out).
        for token in sorted(datasources.catalogue("pulumi_aws"))[::25]:
            answer = datasources.synthesise(token, {}, region="eu-west-1", account_id="123456789012")
            assert isinstance(answer, dict) and answer, token

    def test_common_data_sources_are_plausible(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, report = check_json(capsys, "data_sources")
        assert code == 0
        for token in (
            "aws:ec2/getVpc:getVpc",
            "aws:ec2/getSubnets:getSubnets",
            "aws:ec2/getAmi:getAmi",
            "aws:index/getCallerIdentity:getCallerIdentity",
            "aws:index/getAvailabilityZones:getAvailabilityZones",
        ):
            assert any(token in w for w in report["warnings"]), token
        run = lenient("data_sources")
        server = run.one("aws:ec2/instance:Instance", "web")
        assert str(server.inputs["ami"]).startswith("ami-")
        assert str(server.inputs["subnetId"]).startswith("subnet-")
        assert server.inputs["availabilityZone"] == "eu-west-1a"
        assert run.outputs["account"] == "123456789012"
        assert run.outputs["vpc_cidr"] == "172.31.0.0/16"  # the default VPC's block

    def test_policy_document_rendered_for_real(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, report = check_json(capsys, "policy_document")
        assert code == 0
        assert not any("getPolicyDocument" in w for w in report["warnings"])  # not a stand-in
        policy = json.loads(lenient("policy_document").one("aws:iam/role:Role", "fn-role").inputs["assumeRolePolicy"])
        assert policy["Statement"] == [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
        ]

    def test_dns_certificates_and_ecr(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, report = check_json(capsys, "dns_and_registry")
        assert code == 0
        for token in ("getZone", "getCertificate", "getAuthorizationToken"):
            assert any(token in w for w in report["warnings"])
        run = lenient("dns_and_registry")
        assert run.one("aws:route53/record:Record", "www").inputs["name"] == "www.example.com"
        assert run.outputs["registry_user"] == "AWS"
        assert str(run.outputs["certificate"]).startswith("arn:aws:acm:eu-west-1:123456789012:certificate/")

    def test_synthesised_answers_are_sarif_warnings(self, capsys: pytest.CaptureFixture[str]) -> None:
        _, out, _ = check(capsys, "data_sources", "--format", "sarif")
        document = json.loads(out)
        jsonschema.validate(document, json.loads(SARIF_SCHEMA.read_text()), cls=jsonschema.Draft4Validator)
        notes = document["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        assert any("aws:ec2/getVpc:getVpc" in n["message"]["text"] and n["level"] == "warning" for n in notes)

    def test_synthesised_answers_in_text(self, capsys: pytest.CaptureFixture[str]) -> None:
        _, out, _ = check(capsys, "data_sources")
        assert "warning: data source aws:ec2/getAmi:getAmi answered with values synthesised" in out

    def test_this_repository_stays_strict(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # The project's own program gets exact answers or fails; third-party ones get stand-ins.
        import offline.runner

        seen: dict[Path, bool] = {}

        def fake_run(program: Path, stack: str, **kwargs: Any) -> ProgramRun:
            seen[program.resolve()] = kwargs["strict"]
            return ProgramRun(project="p", stack=stack, resources=[], outputs={})

        monkeypatch.setattr(offline.runner, "run_program", fake_run)
        assert main(["--program", str(REPO_ROOT), "--stack", "dev"]) == 0
        assert main(["--program", str(CORPUS / "no_stack_file")]) == 0
        assert seen == {REPO_ROOT.resolve(): True, (CORPUS / "no_stack_file").resolve(): False}


class TestProgramShapes:
    def test_component_children_are_checked(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, report = check_json(capsys, "component")
        assert code == 1
        assert ("s3-bucket-sse-kms", "docs-content") in findings(report)
        # The component's own access block is seen: that rule does not fire.
        assert ("s3-bucket-public-access-block", "docs-content") not in findings(report)

    def test_stack_reference_outputs_are_reported_unknown(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, report = check_json(capsys, "stack_reference")
        assert code == 0
        assert any("acme/network/prod" in w and "unknown offline" in w for w in report["warnings"])

    def test_missing_archive_is_reported_not_fatal(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, report = check_json(capsys, "assets")
        assert code == 1
        missing = [w for w in report["warnings"] if "does not exist" in w]
        assert len(missing) == 1 and "./dist/worker.zip" in missing[0] and "'worker'" in missing[0]

    def test_other_providers_recorded_not_covered(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, report = check_json(capsys, "other_providers")
        assert code == 1
        assert report["resourceCount"] == 5
        random_warning = [w for w in report["warnings"] if "provider 'random'" in w]
        assert random_warning and "random:index/randomPassword:RandomPassword" in random_warning[0]
        assert any("provider 'tls'" in w for w in report["warnings"])
        run = lenient("other_providers")
        # Values the program computes from other providers' outputs resolve (not None).
        assert run.one("aws:s3/bucket:Bucket", "logs").inputs["bucket"].startswith("logs-")
        assert run.one("aws:ec2/keyPair:KeyPair", "deploy").inputs["publicKey"]
        assert isinstance(run.outputs["password_length"], int | float)  # numbers arrive as floats

    def test_command_and_archive(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, report = check_json(capsys, "command_archive")
        assert code == 0
        assert any("archive:index/getFile:getFile" in w for w in report["warnings"])
        assert any("command:local:Command" in w and "not covered" in w for w in report["warnings"])

    def test_nested_exports(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, report = check_json(capsys, "nested_exports")
        assert code == 1
        assert ("sqs-queue-encrypted", "jobs") in findings(report)
        endpoints = lenient("nested_exports").outputs["endpoints"]
        assert endpoints["queue"]["url"].startswith("https://sqs.eu-west-1.amazonaws.com/")
        assert endpoints["tags"] == ["a", "b"]

    def test_local_modules_import_and_are_forgotten(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, report = check_json(capsys, "local_modules")
        assert code == 1
        assert ("dynamodb-cmk-encryption", "users") in findings(report)
        assert "infra" not in sys.modules  # a second program's own "infra" must not get this one

    def test_failure_in_a_local_module_names_file_and_line(self, capsys: pytest.CaptureFixture[str]) -> None:
        line = one_line_error(*check(capsys, "crashes")[::2])
        assert "helpers.py:3" in line and "IndexError" in line

    def test_uninstalled_provider_is_one_actionable_line(self, capsys: pytest.CaptureFixture[str]) -> None:
        line = one_line_error(*check(capsys, "missing_provider")[::2])
        assert "__main__.py:1" in line and "No module named 'pulumi_gcp'" in line


class TestNoTraceback:
    def test_syntax_error_names_the_file_and_line(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        # Written here, not in the corpus: a file that does not parse would fail ruff and mypy.
        (tmp_path / "Pulumi.yaml").write_text("name: broken\nruntime: python\n")
        (tmp_path / "__main__.py").write_text('import pulumi_aws as aws\n\nbucket = aws.s3.Bucket("b"\n')
        code = main(["--program", str(tmp_path)])
        line = one_line_error(code, capsys.readouterr().err)
        assert "__main__.py:3" in line and "SyntaxError" in line and "frozen" not in line

    def test_sys_exit_in_the_program_is_not_the_checkers_exit_code(self, capsys: pytest.CaptureFixture[str]) -> None:
        # sys.exit(1) in a program would otherwise read as "a mandatory violation".
        line = one_line_error(*check(capsys, "exits")[::2])
        assert "__main__.py:8" in line and "sys.exit('set confirm to deploy')" in line

    def test_no_event_loop_left_open(self) -> None:
        # A loop left open in a monitor thread is finalised at interpreter exit and prints
        # "ValueError: Invalid file descriptor: -1" after the report.
        lenient("other_providers")
        gc.collect()
        loops = [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop) and not o.is_closed()]
        assert len(loops) <= 1  # the main thread's, which the next run reuses

    @pytest.mark.parametrize("name", ["other_providers", "data_sources"])
    def test_cli_stderr_is_clean(self, name: str) -> None:
        result = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-W", "ignore", "-m", "policies.check", "--program", str(CORPUS / name)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode in (0, 1), result.stderr
        assert "Traceback" not in result.stderr and "Invalid file descriptor" not in result.stderr
