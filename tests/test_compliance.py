"""AWS Config of both stacks: recorder -> delivery channel -> status, the encrypted
delivery bucket, the managed rules, and the stack without the account singleton."""

from __future__ import annotations

import functools
import json
from typing import Any

from components.compliance import CLOUDFRONT_RULES_REGION, managed_rules
from offline.mocks import comparable
from offline.runner import REPO_ROOT, ProgramRun, run_program
from tests.conftest import _config, policy

RECORDER = "aws:cfg/recorder:Recorder"
CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
STATUS = "aws:cfg/recorderStatus:RecorderStatus"
RULE = "aws:cfg/rule:Rule"
COMPONENT = "social-backend:compliance:Compliance"
ACCOUNT = "123456789012"


SINGLETONS = (RECORDER, CHANNEL, STATUS, "aws:iam/serviceLinkedRole:ServiceLinkedRole")


@functools.cache
def _opted_in(stack: str) -> ProgramRun:
    """The stack as a fresh account opts in: this stack creates the recorder and the role."""
    section = {**_config(stack)["compliance"], "createRecorder": True, "createServiceLinkedRole": True}
    return run_program(REPO_ROOT, stack, config_overrides={"social-backend:compliance": json.dumps(section)})


@functools.cache
def _defaults(stack: str) -> ProgramRun:
    """The stack with neither switch written down: what a new stack file gets."""
    section = {
        k: v for k, v in _config(stack)["compliance"].items() if k not in ("createRecorder", "createServiceLinkedRole")
    }
    return run_program(REPO_ROOT, stack, config_overrides={"social-backend:compliance": json.dumps(section)})


def test_stacks_deploy_into_an_account_that_already_has_config(run: ProgramRun) -> None:
    """AWS Config allows one recorder per account and region, and AWSServiceRoleForConfig
    exists once per account as soon as Config, Security Hub or Control Tower was enabled:
    creating either there fails `pulumi up`. Neither the stack files nor the defaults may
    create them; the managed rules still deploy (they evaluate on the existing recorder)."""
    for program in (run, _defaults(run.stack)):
        for type_token in SINGLETONS:
            assert not program.by_type(type_token), f"{program.stack}: {type_token}"
        assert len(program.by_type(RULE)) == len(_opted_in(run.stack).by_type(RULE))


def test_stacks_leave_api_gateways_account_logging_role_alone(run: ProgramRun) -> None:
    """API Gateway's CloudWatch Logs role is one setting per account and region: a stack
    that sets it replaces the role every other API of the account logs through."""
    assert not run.by_type("aws:apigateway/account:Account")


def test_recorder_records_everything_through_the_service_linked_role(stack: str, config: dict[str, Any]) -> None:
    run = _opted_in(stack)
    recorder = run.one(RECORDER, "compliance-recorder")
    group = recorder.inputs["recordingGroup"]
    assert group["allSupported"] is True
    assert group["includeGlobalResourceTypes"] is config["compliance"]["includeGlobalResourceTypes"]
    role = run.one("aws:iam/serviceLinkedRole:ServiceLinkedRole", "compliance-service-role")
    assert role.inputs["awsServiceName"] == "config.amazonaws.com"
    assert recorder.inputs["roleArn"] == role.state["arn"]
    assert not [
        a
        for a in run.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if "AWS_ConfigRole" in a.inputs["policyArn"]
    ]


def test_recorder_then_channel_then_status_then_rules(stack: str) -> None:
    run = _opted_in(stack)
    recorder = run.one(RECORDER, "compliance-recorder")
    channel = run.one(CHANNEL, "compliance-delivery-channel")
    status = run.one(STATUS, "compliance-recorder-status")
    assert recorder.urn in channel.dependencies
    assert channel.urn in status.dependencies
    assert status.inputs["isEnabled"] is True
    assert status.inputs["name"] == recorder.inputs["name"]
    rules = run.by_type(RULE)
    assert rules and all(status.urn in rule.dependencies for rule in rules)


def test_delivery_channel_writes_to_an_encrypted_private_bucket(stack: str, config: dict[str, Any]) -> None:
    run = _opted_in(stack)
    channel = run.one(CHANNEL, "compliance-delivery-channel")
    bucket = run.one("aws:s3/bucket:Bucket", "compliance-bucket")
    audit_key = run.one("aws:kms/key:Key", "keys-audit")
    assert channel.inputs["s3BucketName"] == bucket.id
    assert channel.inputs["s3KmsKeyArn"] == audit_key.state["arn"]
    assert (
        channel.inputs["snapshotDeliveryProperties"]["deliveryFrequency"] == config["compliance"]["deliveryFrequency"]
    )
    (bucket_policy,) = [r for r in run.by_type("aws:s3/bucketPolicy:BucketPolicy") if r.inputs["bucket"] == bucket.id]
    assert bucket_policy.urn in channel.dependencies
    statements = {s["Sid"]: s for s in policy(bucket_policy.inputs)["Statement"]}
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"
    delivery = statements["AllowConfigDelivery"]
    assert delivery["Principal"] == {"Service": "config.amazonaws.com"}
    assert delivery["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    assert delivery["Resource"] == f"{bucket.state['arn']}/AWSLogs/{ACCOUNT}/Config/*"
    (block,) = [
        r
        for r in run.by_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
        if r.inputs["bucket"] == bucket.id
    ]
    assert all(
        block.inputs[k] is True
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    (logging,) = [r for r in run.by_type("aws:s3/bucketLogging:BucketLogging") if r.inputs["bucket"] == bucket.id]
    assert logging.inputs["targetBucket"] == run.one("aws:s3/bucket:Bucket", "audit-access-logs").id
    key_statements = {s["Sid"]: s for s in policy(audit_key.inputs)["Statement"]}
    config_use = key_statements["AllowConfigDeliveryForThisAccount"]
    assert config_use["Principal"] == {"Service": "config.amazonaws.com"}
    assert config_use["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_managed_rules_mirror_the_deploy_time_controls(run: ProgramRun, config: dict[str, Any]) -> None:
    rules = {r.inputs["source"]["sourceIdentifier"]: r for r in run.by_type(RULE)}
    for identifier in (
        "NEPTUNE_CLUSTER_ENCRYPTED",
        "NEPTUNE_CLUSTER_IAM_DATABASE_AUTHENTICATION",
        "S3_BUCKET_SSL_REQUESTS_ONLY",
        "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",
        "MULTI_REGION_CLOUD_TRAIL_ENABLED",
        "APPSYNC_ASSOCIATED_WITH_WAF",
        "LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED",
        "CMK_BACKING_KEY_ROTATION_ENABLED",
        "SECRETSMANAGER_ROTATION_ENABLED_CHECK",
        "VPC_FLOW_LOGS_ENABLED",
        "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS",
    ):
        assert identifier in rules, identifier
    assert all(r.inputs["source"]["owner"] == "AWS" for r in rules.values())
    retention = json.loads(rules["CW_LOGGROUP_RETENTION_PERIOD_CHECK"].inputs["inputParameters"])
    assert retention == {"MinRetentionTime": str(config["compliance"]["minimumLogRetentionDays"])}
    appsync = json.loads(rules["APPSYNC_AUTHORIZATION_CHECK"].inputs["inputParameters"])
    assert "API_KEY" not in appsync["AllowedAuthorizationTypes"]
    # eu-west-1: Config records CloudFront only in us-east-1, where its rules live.
    assert not [i for i in rules if i.startswith("CLOUDFRONT_")]
    expected = {r.identifier for r in managed_rules(365) if r.only_region in (None, "eu-west-1")}
    assert set(rules) == expected
    assert len({r.inputs["name"] for r in rules.values()}) == len(rules)


def test_rule_catalogue_is_documented_in_the_controls_doc() -> None:
    doc = (REPO_ROOT / "docs" / "controls.md").read_text()
    for rule in managed_rules(365):
        assert f"`{rule.identifier}`" in doc, rule.identifier
        # A policy by name, or a row of docs/controls.md by its anchor.
        assert rule.mirrors.removeprefix("docs/controls.md") in doc
    assert all(
        r.only_region == CLOUDFRONT_RULES_REGION for r in managed_rules(365) if r.identifier.startswith("CLOUDFRONT")
    )


def test_switch_off_creates_no_recorder_and_changes_nothing_else(stack: str) -> None:
    run, off = _opted_in(stack), _defaults(stack)
    for type_token in SINGLETONS:
        assert not off.by_type(type_token), type_token
    assert not [r for r in off.resources if r.name.startswith("compliance-bucket")]
    assert len(off.by_type(RULE)) == len(run.by_type(RULE)), "the stack's rules do not depend on owning the recorder"
    sids = {s["Sid"] for s in policy(off.one("aws:kms/key:Key", "keys-audit").inputs)["Statement"]}
    assert "AllowConfigDeliveryForThisAccount" not in sids

    recorder_parts = {r.urn for r in run.resources if COMPONENT in r.urn and r.type not in (RULE, COMPONENT)}
    on_rest = {r.urn: r for r in run.resources if r.urn not in recorder_parts}
    off_rest = {r.urn: r for r in off.resources}
    assert set(off_rest) == set(on_rest)
    # The audit key drops Config's grant and the trail no longer records the (absent)
    # delivery bucket's object events; nothing else changes.
    for urn, resource in off_rest.items():
        if resource.name in ("keys-audit", "audit-trail"):
            continue
        assert comparable(resource.inputs) == comparable(on_rest[urn].inputs), resource.name
