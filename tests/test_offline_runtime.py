"""The offline runtime itself: invokes, config loading, registrations, repeatability."""

from __future__ import annotations

from pathlib import Path

import pytest

from offline.mocks import comparable, render_policy_document
from offline.runner import REPO_ROOT, ProgramError, run_program
from offline.stackfiles import SECRET_PLACEHOLDER, StackFileError, load

UNKNOWN_INVOKE_PROGRAM = """
import pulumi, pulumi_aws as aws
vpc = aws.ec2.get_vpc(default=True)
pulumi.export("vpc", vpc.id)
"""


def _program(tmp_path: Path, main: str, stack_config: str = "config: {}\n") -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime:\n  name: python\n")
    (tmp_path / "__main__.py").write_text(main)
    (tmp_path / "Pulumi.dev.yaml").write_text(stack_config)
    return tmp_path


def test_unknown_invoke_raises_in_strict_mode(tmp_path: Path) -> None:
    program = _program(tmp_path, UNKNOWN_INVOKE_PROGRAM)
    with pytest.raises(ProgramError, match="unknown invoke aws:ec2/getVpc:getVpc"):
        run_program(program, "dev")


def test_unknown_invoke_is_a_warning_when_lenient(tmp_path: Path) -> None:
    # Lenient (a third-party program): the data source is answered with values shaped from
    # its SDK result type, and the stand-in is reported, so no verdict rests on it silently.
    program = _program(tmp_path, UNKNOWN_INVOKE_PROGRAM, "config:\n  aws:region: eu-west-1\n")
    run = run_program(program, "dev", strict=False)
    assert run.warnings == ["data source aws:ec2/getVpc:getVpc answered with values synthesised from its result type"]
    assert str(run.outputs["vpc"]).startswith("vpc-")


def test_secure_values_are_placeholders_marked_secret(tmp_path: Path) -> None:
    program = _program(
        tmp_path,
        "import pulumi\npulumi.export('token', pulumi.Config().require_secret('apiToken'))\n",
        "config:\n  demo:apiToken:\n    secure: AAABAKZ2ciphertext\n",
    )
    files = load(program, "dev")
    assert files.config["demo:apiToken"] == SECRET_PLACEHOLDER
    assert files.secret_keys == ["demo:apiToken"]
    assert run_program(program, "dev").outputs["token"] == SECRET_PLACEHOLDER


def test_non_python_projects_are_refused(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: nodejs\n")
    with pytest.raises(StackFileError, match="runtime is 'nodejs'"):
        load(tmp_path, "dev")


def test_registrations_keep_what_policies_need(run) -> None:  # type: ignore[no-untyped-def]
    cluster = run.one("aws:neptune/cluster:Cluster", "graph-cluster")
    graph = next(r for r in run.resources if r.type == "social-backend:graphdb:GraphDatabase")
    assert cluster.parent == graph.urn and not graph.custom
    key_urns = {k.urn for k in run.by_type("aws:kms/key:Key")}
    assert set(cluster.property_dependencies["kmsKeyArn"]) <= key_urns
    assert cluster.property_dependencies["kmsKeyArn"]
    assert cluster.state["arn"].startswith("arn:aws:rds:eu-west-1:123456789012:cluster:")


def test_runs_are_repeatable() -> None:
    """Same program and config, same registrations (order may differ: registration is async)."""
    first, second = run_program(REPO_ROOT, "prod"), run_program(REPO_ROOT, "prod")
    assert sorted((r.urn, repr(comparable(r.inputs))) for r in first.resources) == sorted(
        (r.urn, repr(comparable(r.inputs))) for r in second.resources
    )
    assert first.outputs == second.outputs


def test_policy_document_rendering_matches_the_provider() -> None:
    document = render_policy_document(
        {
            "statements": [
                {
                    "effect": "Allow",
                    "actions": ["s3:GetObject"],
                    "resources": ["arn:aws:s3:::b/*"],
                    "principals": [{"type": "Service", "identifiers": ["cloudfront.amazonaws.com"]}],
                    "conditions": [{"test": "StringEquals", "variable": "AWS:SourceArn", "values": ["arn:d"]}],
                }
            ]
        }
    )
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Condition": {"StringEquals": {"AWS:SourceArn": "arn:d"}},
            }
        ],
    }


def test_the_sdks_own_empty_stack_never_erases_the_programs_exports() -> None:
    """set_mocks roots a Stack of its own under the program stack's URN; its (empty) outputs
    registration runs on a pool thread and may land after the program's exports. Seen as a
    flaky `KeyError` on `run.outputs` in a loaded full run; here the late order is forced."""
    from pulumi.runtime import rpc
    from pulumi.runtime.proto import resource_pb2
    from pulumi.runtime.sync_await import _sync_await

    from offline.mocks import RecordingMocks, RecordingMonitor

    monitor = RecordingMonitor(RecordingMocks())
    stack = monitor.RegisterResource(resource_pb2.RegisterResourceRequest(type="pulumi:pulumi:Stack", name="p-dev"))
    exports = _sync_await(rpc.serialize_properties({"region": "eu-central-1"}, {}))
    empty = _sync_await(rpc.serialize_properties({}, {}))
    monitor.RegisterResourceOutputs(resource_pb2.RegisterResourceOutputsRequest(urn=stack.urn, outputs=exports))
    monitor.RegisterResourceOutputs(resource_pb2.RegisterResourceOutputsRequest(urn=stack.urn, outputs=empty))
    assert monitor.stack_outputs == {"region": "eu-central-1"}
