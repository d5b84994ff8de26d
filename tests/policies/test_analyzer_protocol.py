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


# -- the engine's two phases, with prod's real policy config ----------------------------------
# (the analyzer prefixes each message with the policy description and a newline)

POLICY_URN = "urn:pulumi:prod::backend::aws:iam/policy:Policy::fn-policy"
ATTACH_URN = "urn:pulumi:prod::backend::aws:iam/rolePolicyAttachment:RolePolicyAttachment::fn-attach"
LEVELS = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY, "disabled": analyzer_pb2.DISABLED}
WILDCARD_DOC = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'


def _configure_as_stack(stub: analyzer_pb2_grpc.AnalyzerStub, stack: str) -> None:
    """What `pulumi preview --policy-pack-config policies/config/<pack>.<stack>.json` sends."""
    from policies.packconfig import load
    from policies.rules import all_rules

    config = load(stack)
    names = {p.name for p in stub.GetAnalyzerInfo(empty_pb2.Empty()).policies}
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for rule in all_rules():
        if rule.name in names:
            request.policyConfig[rule.name].CopyFrom(
                analyzer_pb2.PolicyConfig(
                    enforcementLevel=LEVELS[config.level(rule)], properties=_struct(config.config_for(rule))
                )
            )
    stub.Configure(request)


def _iam_policy(document: str) -> analyzer_pb2.AnalyzerResource:
    return analyzer_pb2.AnalyzerResource(
        type="aws:iam/policy:Policy", urn=POLICY_URN, name="fn-policy", properties=_struct({"policy": document})
    )


def _analyze_policy(stub: analyzer_pb2_grpc.AnalyzerStub, document: str) -> list[analyzer_pb2.AnalyzeDiagnostic]:
    response = stub.Analyze(
        analyzer_pb2.AnalyzeRequest(
            type="aws:iam/policy:Policy", properties=_struct({"policy": document}), urn=POLICY_URN, name="fn-policy"
        )
    )
    return list(response.diagnostics)


def _attachment(with_dependency: bool) -> analyzer_pb2.AnalyzerResource:
    resource = analyzer_pb2.AnalyzerResource(
        type="aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        urn=ATTACH_URN,
        name="fn-attach",
        properties=_struct({"role": "fn-role", "policyArn": UNKNOWN_STRING_VALUE}),
    )
    if with_dependency:
        resource.propertyDependencies["policyArn"].urns.append(POLICY_URN)
        resource.dependencies.append(POLICY_URN)
    return resource


@pytest.fixture(scope="module")
def previewing() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    with running_pack("security", dry_run=True) as stub:
        _configure_as_stack(stub, "prod")
        yield stub


@pytest.fixture(scope="module")
def updating() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    with running_pack("security", dry_run=False) as stub:
        _configure_as_stack(stub, "prod")
        yield stub


def test_preview_lists_an_unknown_policy_document_as_advisory(previewing: analyzer_pb2_grpc.AnalyzerStub) -> None:
    assert _analyze_policy(previewing, UNKNOWN_STRING_VALUE) == [], "no resource policy blocks at preview"
    response = previewing.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[_iam_policy(UNKNOWN_STRING_VALUE)]))
    assert all(d.enforcementLevel != analyzer_pb2.MANDATORY for d in response.diagnostics)
    listed = [d for d in response.diagnostics if d.policyName == "preview-unknown-security-inputs"]
    wildcard = [d for d in listed if "\niam-no-wildcard-resource: " in d.message]
    assert len(wildcard) == 1
    assert wildcard[0].enforcementLevel == analyzer_pb2.ADVISORY and wildcard[0].urn == POLICY_URN
    assert "Policy 'fn-policy'" in wildcard[0].message and "policy is unknown during preview" in wildcard[0].message


def test_update_fails_closed_on_an_unknown_document(updating: analyzer_pb2_grpc.AnalyzerStub) -> None:
    found = [d for d in _analyze_policy(updating, UNKNOWN_STRING_VALUE) if d.policyName == "iam-no-wildcard-resource"]
    assert len(found) == 1 and found[0].enforcementLevel == analyzer_pb2.MANDATORY
    response = updating.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[_iam_policy(UNKNOWN_STRING_VALUE)]))
    assert [d for d in response.diagnostics if d.policyName == "preview-unknown-security-inputs"] == []


def test_preview_decides_a_policy_arn_from_its_property_dependencies(
    previewing: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    def listed(with_dependency: bool) -> list[analyzer_pb2.AnalyzeDiagnostic]:
        resources = [_iam_policy('{"Version": "2012-10-17", "Statement": []}'), _attachment(with_dependency)]
        response = previewing.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources))
        return [d for d in response.diagnostics if "\niam-no-aws-managed-policies: " in d.message]

    assert listed(True) == [], "the ARN of this stack's policy is not an AWS managed policy"
    undecided = listed(False)
    assert len(undecided) == 1 and undecided[0].urn == ATTACH_URN and "policyArn" in undecided[0].message


def test_engine_sequence_preview_passes_then_update_blocks(
    previewing: analyzer_pb2_grpc.AnalyzerStub, updating: analyzer_pb2_grpc.AnalyzerStub
) -> None:
    # pulumi up: the preview step sees the document unknown (it names a new bucket's ARN) ...
    preview = _analyze_policy(previewing, UNKNOWN_STRING_VALUE)
    assert not any(d.enforcementLevel == analyzer_pb2.MANDATORY for d in preview)
    # ... then, before creating the policy, the engine sends the real document: blocked.
    update = _analyze_policy(updating, WILDCARD_DOC)
    blocking = [d for d in update if d.enforcementLevel == analyzer_pb2.MANDATORY]
    assert any(d.policyName == "iam-no-wildcard-resource" for d in blocking)
