"""Each pack directory runs the way the Pulumi CLI runs it and answers the analyzer protocol.

The CLI starts ``python -u -m pulumi.policy <engine> <pack dir>`` in the pack directory and
talks gRPC to the port the pack prints. This test does the same, so the entry point, the
sys.path arrangement, config delivery and the phase (``PULUMI_DRY_RUN``, which the CLI
puts in the pack's environment: ``true`` at preview, ``false`` during ``pulumi up``) are
checked end to end.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
from google.protobuf import empty_pb2, struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"
CLUSTER = "aws:neptune/cluster:Cluster"
URN = "urn:pulumi:prod::backend::aws:neptune/cluster:Cluster::db"


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


@contextmanager
def running_pack(pack: str, *, dry_run: bool = True) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    pack_dir = POLICIES_DIR / pack
    # What the CLI sets for a policy pack (pulumi_policy configures pulumi.runtime from it).
    env = {
        **os.environ,
        "PULUMI_PROJECT": "backend",
        "PULUMI_STACK": "prod",
        "PULUMI_DRY_RUN": "true" if dry_run else "false",
    }
    process = subprocess.Popen(  # noqa: S603 - our interpreter running the pack as the CLI does
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(pack_dir)],
        cwd=pack_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.isdigit(), (process.stderr.read() if process.stderr else "") if process.poll() is not None else port
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=60)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.kill()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def security_pack() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    with running_pack("security") as stub:
        yield stub


def test_compliance_pack_starts_and_describes_itself() -> None:
    with running_pack("compliance") as stub:
        info = stub.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "mobile-backend-compliance"
    assert any(
        p.name == "neptune-parameter-group-audit-and-streams" and p.policy_type == analyzer_pb2.POLICY_TYPE_STACK
        for p in info.policies
    )


def _configure(stub: analyzer_pb2_grpc.AnalyzerStub, config: dict[str, dict[str, Any]]) -> None:
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, properties in config.items():
        request.policyConfig[name].CopyFrom(
            analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.MANDATORY, properties=_struct(properties))
        )
    stub.Configure(request)


def _analyze(stub: analyzer_pb2_grpc.AnalyzerStub, props: dict[str, Any]) -> list[analyzer_pb2.AnalyzeDiagnostic]:
    response = stub.Analyze(analyzer_pb2.AnalyzeRequest(type=CLUSTER, properties=_struct(props), urn=URN, name="db"))
    return [d for d in response.diagnostics if d.policyName == "neptune-cluster-storage-encrypted"]


def test_info_lists_the_pack_and_its_metadata(security_pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = security_pack.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "mobile-backend-security"
    policy = next(p for p in info.policies if p.name == "neptune-cluster-storage-encrypted")
    assert policy.severity == analyzer_pb2.POLICY_SEVERITY_CRITICAL
    assert policy.framework.reference == "Neptune.1"
    assert "checkov:CKV_AWS_44" in policy.tags
    assert policy.remediation_steps
    assert "exemptions" in policy.configSchema.properties


def test_unencrypted_cluster_is_mandatory(security_pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    _configure(security_pack, {})
    found = _analyze(security_pack, {"storageEncrypted": False})
    assert len(found) == 1
    assert found[0].enforcementLevel == analyzer_pb2.MANDATORY
    assert "not encrypted" in found[0].message


def test_unknown_at_preview_is_listed_not_passed(security_pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    _configure(security_pack, {})
    props = {"storageEncrypted": UNKNOWN_BOOLEAN_VALUE}
    assert _analyze(security_pack, props) == [], "the rule itself cannot decide at preview"
    cluster = analyzer_pb2.AnalyzerResource(type=CLUSTER, urn=URN, name="db", properties=_struct(props))
    response = security_pack.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[cluster]))
    found = [
        d
        for d in response.diagnostics
        if d.policyName == "preview-unknown-security-inputs" and "neptune-cluster-storage-encrypted" in d.message
    ]
    assert len(found) == 1
    assert found[0].enforcementLevel == analyzer_pb2.MANDATORY
    assert found[0].urn == URN
    assert "unknown during preview" in found[0].message


def test_exemption_from_config(security_pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    _configure(
        security_pack,
        {"neptune-cluster-storage-encrypted": {"exemptions": [{"resource": "db", "reason": "restored snapshot"}]}},
    )
    assert _analyze(security_pack, {"storageEncrypted": False}) == []
    _configure(security_pack, {"neptune-cluster-storage-encrypted": {"exemptions": [{"resource": "db", "reason": ""}]}})
    found = _analyze(security_pack, {"storageEncrypted": False})
    assert any("has no reason" in d.message for d in found)


def test_stack_policy_over_the_protocol(security_pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    _configure(security_pack, {})
    cluster = analyzer_pb2.AnalyzerResource(type=CLUSTER, urn=URN, name="db", properties=_struct({"port": 8182}))
    response = security_pack.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[cluster]))
    found = [d for d in response.diagnostics if d.policyName == "neptune-sg-ingress-from-security-groups"]
    assert found and found[0].urn == URN


ROLE = "aws:iam/role:Role"
ROLE_URN = "urn:pulumi:prod::backend::aws:iam/role:Role::scheduler-role"


def _scheduler_role(source_arn: str) -> analyzer_pb2.AnalyzerResource:
    trust = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": '
        '"scheduler.amazonaws.com"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": '
        f'{{"aws:SourceArn": "{source_arn}"}}}}}}]}}'
    )
    return analyzer_pb2.AnalyzerResource(
        type=ROLE, urn=ROLE_URN, name="scheduler-role", properties=_struct({"assumeRolePolicy": trust})
    )


def test_deployability_pack_over_the_protocol() -> None:
    with running_pack("deployability") as stub:
        info = stub.GetAnalyzerInfo(empty_pb2.Empty())
        assert info.name == "mobile-backend-deployability"
        policy = next(p for p in info.policies if p.name == "service-trust-conditions-are-sent")
        assert policy.policy_type == analyzer_pb2.POLICY_TYPE_STACK
        assert policy.framework.specification.startswith("https://docs.aws.amazon.com/")
        assert "exemptions" in policy.configSchema.properties
        _configure(stub, {})

        def trust_findings(resource: analyzer_pb2.AnalyzerResource, name: str) -> list[analyzer_pb2.AnalyzeDiagnostic]:
            response = stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[resource]))
            return [d for d in response.diagnostics if d.policyName == name]

        # Scheduler sends the schedule group's ARN, so a schedule ARN makes the role unassumable.
        bad = trust_findings(
            _scheduler_role("arn:aws:scheduler:eu-west-1:1:schedule/default/poller"),
            "service-trust-conditions-are-sent",
        )
        assert len(bad) == 1 and bad[0].urn == ROLE_URN and bad[0].enforcementLevel == analyzer_pb2.MANDATORY
        good = _scheduler_role("arn:aws:scheduler:eu-west-1:1:schedule-group/default")
        assert trust_findings(good, "service-trust-conditions-are-sent") == []
        unknown = analyzer_pb2.AnalyzerResource(
            type=ROLE,
            urn=ROLE_URN,
            name="scheduler-role",
            properties=_struct({"assumeRolePolicy": UNKNOWN_STRING_VALUE}),
        )
        assert trust_findings(unknown, "service-trust-conditions-are-sent") == [], "the rule itself cannot decide"
        undecided = trust_findings(unknown, "preview-unknown-deployability-inputs")
        assert len(undecided) == 1 and "unknown during preview" in undecided[0].message
