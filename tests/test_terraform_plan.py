"""offline/terraform_plan.py: a stack's resources as the Terraform plan JSON scanners read.

Expected Terraform spellings are the Terraform AWS provider's own names (registry.terraform.io
hashicorp/aws resource pages), which pulumi-aws bridges one to one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from offline.terraform_plan import PlanExport, attribute_name, convert_block, export, snake, terraform_type
from policies.check import main
from policies.core import UNKNOWN, Res
from policies.evaluate import res_from_recorded


@pytest.mark.parametrize(
    ("pulumi_type", "terraform"),
    [
        # The default rule: aws_<module>_<resource in snake_case>.
        ("aws:s3/bucket:Bucket", "aws_s3_bucket"),
        ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws_s3_bucket_public_access_block"),
        ("aws:cloudwatch/logGroup:LogGroup", "aws_cloudwatch_log_group"),
        ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws_vpc_security_group_egress_rule"),
        ("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "aws_wafv2_web_acl_logging_configuration"),
        ("aws:appsync/graphQLApi:GraphQLApi", "aws_appsync_graphql_api"),
        # Module prefixes: EC2 types carry no module, API Gateway and Config spell theirs out.
        ("aws:ec2/vpc:Vpc", "aws_vpc"),
        ("aws:ec2/routeTableAssociation:RouteTableAssociation", "aws_route_table_association"),
        ("aws:apigateway/restApi:RestApi", "aws_api_gateway_rest_api"),
        # Renamed types.
        ("aws:cfg/rule:Rule", "aws_config_config_rule"),
        ("aws:cloudtrail/trail:Trail", "aws_cloudtrail"),
        ("aws:appsync/dataSource:DataSource", "aws_appsync_datasource"),
        ("aws:s3/bucketV2:BucketV2", "aws_s3_bucket"),
        (
            "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment",
            "aws_cognito_identity_pool_roles_attachment",
        ),
        ("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy", "aws_sqs_queue_redrive_allow_policy"),
        # Not AWS resources: no Terraform AWS type.
        ("random:index/randomPet:RandomPet", None),
        ("social-backend:function:PythonFunction", None),
        ("pulumi:providers:aws", None),
    ],
)
def test_type_tokens_map_to_terraform_types(pulumi_type: str, terraform: str | None) -> None:
    assert terraform_type(pulumi_type) == terraform


def test_names_follow_the_providers_spelling() -> None:
    assert snake("kmsMasterKeyId") == "kms_master_key_id"
    assert snake("enableCloudwatchLogsExports") == "enable_cloudwatch_logs_exports"
    assert snake("s3DeliveryConfigurations") == "s3_delivery_configurations"
    lifecycle = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    # Pulumi pluralises a list of blocks; Terraform names the block once (rule { ... } rule { ... }).
    assert attribute_name(lifecycle, "rules", [{"id": "a"}], top_level=True) == "rule"
    assert attribute_name("aws:dynamodb/table:Table", "globalSecondaryIndexes", [{}], top_level=True) == (
        "global_secondary_index"
    )
    assert attribute_name("aws:cloudwatch/metricAlarm:MetricAlarm", "metricQueries", [{}], top_level=True) == (
        "metric_query"
    )
    # Lists of strings keep their (already plural) names; so do blocks Terraform names in the plural.
    assert attribute_name("aws:ec2/vpcEndpoint:VpcEndpoint", "subnetIds", ["s"], top_level=True) == "subnet_ids"
    assert attribute_name("aws:ec2/securityGroup:SecurityGroup", "ingress", [{}], top_level=True) == "ingress"
    # Properties Pulumi renamed.
    assert attribute_name("aws:lambda/function:Function", "name", "f", top_level=True) == "function_name"
    assert attribute_name("aws:apigateway/stage:Stage", "restApi", "r", top_level=True) == "rest_api_id"
    assert attribute_name("aws:sns/topicSubscription:TopicSubscription", "topic", "t", top_level=True) == "topic_arn"


def test_values_become_blocks_and_maps_keep_their_keys() -> None:
    converted = convert_block(
        "aws:lambda/function:Function",
        {
            "name": "fn",
            "memorySize": 256.0,
            "tracingConfig": {"mode": "Active"},
            "environment": {"variables": {"LOG_LEVEL": "INFO"}},
            "tags": {"Environment": "prod"},
            "code": {"offline-unserializable": "AssetArchive"},
            "kmsKeyArn": UNKNOWN,
        },
        top_level=True,
    )
    assert converted == {
        "function_name": "fn",
        "memory_size": 256,
        "tracing_config": [{"mode": "Active"}],
        "environment": [{"variables": {"LOG_LEVEL": "INFO"}}],
        "tags": {"Environment": "prod"},
    }, "objects are one-block lists, map keys are data, archives and unknowns are not values"


def _bucket_and_block() -> list[Res]:
    bucket_urn = "urn:pulumi:dev::p::aws:s3/bucket:Bucket::media"
    return [
        Res("aws:s3/bucket:Bucket", "media", bucket_urn, {"bucket": "media-123"}, identifiers=("media-123",)),
        Res(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "media-pab",
            "urn:pulumi:dev::p::aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::media-pab",
            {"bucket": "media-123", "blockPublicAcls": True},
            property_dependencies={"bucket": [bucket_urn]},
        ),
        Res("random:index/randomPet:RandomPet", "pet", "urn:pulumi:dev::p::random:index/randomPet:RandomPet::pet", {}),
        Res("social:media:Media", "media", "urn:pulumi:dev::p::social:media:Media::media", {}),
    ]


def _entry(plan: PlanExport, section: str, address: str) -> dict[str, Any]:
    if section == "resource_changes":
        entries = plan.document["resource_changes"]
    else:
        entries = plan.document[section]["root_module"]["resources"]
    return next(e for e in entries if e["address"] == address)


def test_a_value_from_another_resource_is_a_reference_as_in_a_plan_of_a_new_stack() -> None:
    plan = export(_bucket_and_block())
    block = "aws_s3_bucket_public_access_block.media-pab"
    values = _entry(plan, "planned_values", block)["values"]
    assert values == {"block_public_acls": True}, "the bucket's name is unknown before the bucket is created"
    assert _entry(plan, "resource_changes", block)["change"]["after_unknown"]["bucket"] is True
    expressions = _entry(plan, "configuration", block)["expressions"]
    assert expressions["bucket"] == {"references": ["aws_s3_bucket.media.id", "aws_s3_bucket.media"]}
    assert expressions["block_public_acls"] == {"constant_value": True}
    assert _entry(plan, "planned_values", "aws_s3_bucket.media")["values"] == {"bucket": "media-123"}
    assert plan.urn_of(block) == "urn:pulumi:dev::p::aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::media-pab"


def test_resources_without_a_terraform_type_are_listed_not_dropped() -> None:
    plan = export(_bucket_and_block())
    assert plan.unmapped == {"random:index/randomPet:RandomPet": 1}
    assert plan.components == {"social:media:Media": 1}
    assert len(plan.document["planned_values"]["root_module"]["resources"]) == 2


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_aws_resource_of_the_stacks_is_exported(stack: str, run: Any) -> None:
    plan = export([res_from_recorded(r) for r in run.resources])
    custom = [r for r in run.resources if r.custom]
    assert plan.unmapped == {}, "every resource of the program is an AWS one"
    assert len(plan.addresses) == len(custom), "one Terraform resource per custom resource, none merged"
    assert sum(plan.components.values()) == len(run.resources) - len(custom)


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """``python -m policies.check ARGS`` in this process: (exit code, stderr)."""
    code = main(list(args))
    return code, capsys.readouterr().err


def test_the_checker_writes_the_plan_beside_its_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state.json"
    state.write_text(
        json.dumps(
            {
                "version": 3,
                "deployment": {
                    "resources": [
                        {
                            "urn": "urn:pulumi:dev::p::aws:sqs/queue:Queue::jobs",
                            "type": "aws:sqs/queue:Queue",
                            "custom": True,
                            "id": "jobs",
                            "inputs": {"name": "jobs", "sqsManagedSseEnabled": True},
                        }
                    ]
                },
            }
        )
    )
    plan_file = tmp_path / "plan.json"
    code, err = _check(capsys, "--state", str(state), "--export-terraform-plan", str(plan_file))
    assert code in (0, 1), err
    document = json.loads(plan_file.read_text())
    assert document["format_version"] == "1.2"
    [queue] = document["planned_values"]["root_module"]["resources"]
    assert queue["type"] == "aws_sqs_queue"
    assert queue["values"] == {"name": "jobs", "sqs_managed_sse_enabled": True}


def test_an_unwritable_plan_path_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"version": 3, "deployment": {"resources": []}}))
    target = tmp_path / "missing-dir" / "plan.json"
    code, err = _check(capsys, "--state", str(state), "--export-terraform-plan", str(target))
    assert code == 2
    assert err.strip().splitlines() == [
        f"policies.check: cannot write the Terraform plan to {target}: No such file or directory"
    ]


def test_the_preview_does_not_take_the_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _check(capsys, "--preview", "--export-terraform-plan", str(tmp_path / "plan.json"))
    assert code == 2
    assert "--export-terraform-plan" in err and "Traceback" not in err


def test_an_arn_with_a_suffix_or_inside_an_invoke_uri_is_a_reference_but_a_policy_stays_known() -> None:
    group_urn = "urn:pulumi:dev::p::aws:cloudwatch/logGroup:LogGroup::trail-logs"
    fn_urn = "urn:pulumi:dev::p::aws:lambda/function:Function::api"
    group_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:trail"
    fn_arn = "arn:aws:lambda:eu-west-1:123456789012:function:api"
    policy = '{"Statement": [{"Effect": "Allow", "Resource": "' + fn_arn + '"}]}'
    plan = export(
        [
            Res(
                "aws:cloudwatch/logGroup:LogGroup", "trail-logs", group_urn, {"name": "trail"}, identifiers=(group_arn,)
            ),
            Res("aws:lambda/function:Function", "api", fn_urn, {"name": "api"}, identifiers=(fn_arn,)),
            Res(
                "aws:cloudtrail/trail:Trail",
                "trail",
                "urn:pulumi:dev::p::aws:cloudtrail/trail:Trail::trail",
                {"cloudWatchLogsGroupArn": f"{group_arn}:*"},
                property_dependencies={"cloudWatchLogsGroupArn": [group_urn]},
            ),
            Res(
                "aws:apigateway/integration:Integration",
                "proxy",
                "urn:pulumi:dev::p::aws:apigateway/integration:Integration::proxy",
                {"uri": f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{fn_arn}/invocations"},
                property_dependencies={"uri": [fn_urn]},
            ),
            Res(
                "aws:iam/policy:Policy",
                "invoke",
                "urn:pulumi:dev::p::aws:iam/policy:Policy::invoke",
                {"policy": policy},
                property_dependencies={"policy": [fn_urn]},
            ),
        ]
    )
    trail = _entry(plan, "configuration", "aws_cloudtrail.trail")["expressions"]
    assert trail["cloud_watch_logs_group_arn"]["references"] == [
        "aws_cloudwatch_log_group.trail-logs.arn",
        "aws_cloudwatch_log_group.trail-logs",
    ]
    proxy = _entry(plan, "configuration", "aws_api_gateway_integration.proxy")["expressions"]
    assert proxy["uri"]["references"][0] == "aws_lambda_function.api.invoke_arn"
    # A policy document is read by checkov as JSON: it stays a known value.
    assert _entry(plan, "planned_values", "aws_iam_policy.invoke")["values"] == {"policy": policy}
