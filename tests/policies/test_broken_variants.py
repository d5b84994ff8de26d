"""Deliberately broken resources, written as a real Pulumi program, are caught by the packs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from offline.runner import run_program
from policies.evaluate import Report, evaluate
from policies.packconfig import load

BROKEN = """
import json
import pulumi
import pulumi_aws as aws

aws.neptune.Cluster("graph", engine="neptune", skip_final_snapshot=True)  # storage_encrypted defaults to false

role = aws.iam.Role("fn-role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
aws.iam.RolePolicy("fn-policy", role=role.id, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
aws.lambda_.Function("fn", role=role.arn, runtime="python3.12", handler="h.handler",
                     code=pulumi.AssetArchive({"h.py": pulumi.StringAsset("def handler(e, c): return 1")}))

bucket = aws.s3.Bucket("uploads")
aws.s3.BucketPublicAccessBlock("uploads-pab", bucket=bucket.id, block_public_acls=False, block_public_policy=False,
                               ignore_public_acls=False, restrict_public_buckets=False)
aws.s3.BucketPolicy("uploads-policy", bucket=bucket.id, policy=bucket.arn.apply(lambda arn: json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{arn}/*"}]})))

aws.cloudtrail.Trail("trail", s3_bucket_name=bucket.id, is_multi_region_trail=True)  # no log file validation
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    program = tmp_path_factory.mktemp("broken")
    (program / "Pulumi.yaml").write_text("name: broken\nruntime: python\n")
    (program / "Pulumi.prod.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (program / "__main__.py").write_text(textwrap.dedent(BROKEN))
    run = run_program(Path(program), "prod", strict=False)
    return evaluate(run.resources, stack="prod", config=load("prod"), warnings=run.warnings)


def flagged(report: Report, policy: str) -> set[str]:
    return {f.violation.res_name for f in report.mandatory if f.rule.name == policy}


@pytest.mark.parametrize(
    ("policy", "resource"),
    [
        ("neptune-cluster-storage-encrypted", "graph"),
        ("iam-no-admin-statements", "fn-policy"),
        ("iam-no-wildcard-actions", "fn-policy"),
        ("iam-no-privilege-escalation", "fn-policy"),
        ("workload-roles-scoped-to-stack", "fn-policy"),
        ("s3-bucket-public-access-block", "uploads"),
        ("s3-bucket-policy-not-public", "uploads-policy"),
        ("cloudtrail-log-file-validation", "trail"),
    ],
)
def test_broken_resource_is_a_mandatory_violation(report: Report, policy: str, resource: str) -> None:
    assert resource in flagged(report, policy)


def test_messages_name_the_problem(report: Report) -> None:
    messages = {f.rule.name: f.violation.message for f in report.mandatory}
    assert "not encrypted" in messages["neptune-cluster-storage-encrypted"]
    assert "Action '*' on Resource '*'" in messages["iam-no-admin-statements"]
    assert "blockPublicAcls" in messages["s3-bucket-public-access-block"]
    assert "any principal" in messages["s3-bucket-policy-not-public"]
