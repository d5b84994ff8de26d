"""The AppSync API of both stacks: resolvers for the whole schema, auth, logging and limits."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import esprima  # type: ignore[import-untyped]
import pytest
from graphql import GraphQLObjectType, parse, validate

from components.appsync_schema import SchemaError, build_schema, root_fields
from components.graphql_api import SCHEMA_FILE, GraphqlApiSettings
from components.validation import ArgsError
from offline.runner import ProgramRun
from policies.packconfig import load
from tests.conftest import repo_path

API = "aws:appsync/graphQLApi:GraphQLApi"
RESOLVER = "aws:appsync/resolver:Resolver"
DATA_SOURCE = "aws:appsync/dataSource:DataSource"
SCHEMA_TEXT = SCHEMA_FILE.read_text()
SCHEMA = build_schema(SCHEMA_TEXT)


def _fields(root: GraphQLObjectType | None) -> set[tuple[str, str]]:
    assert root is not None
    return {(root.name, name) for name in root.fields}


def _resolvers(run: ProgramRun) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r.inputs["type"], r.inputs["field"]): r.inputs for r in run.by_type(RESOLVER)}


def _settings(config: dict[str, Any]) -> dict[str, Any]:
    defaults = GraphqlApiSettings()
    return {
        "fieldLogLevel": defaults.field_log_level,
        "excludeVerboseContent": defaults.exclude_verbose_content,
        "introspection": defaults.introspection,
        **config["graphqlApi"],
    }


def test_every_query_and_mutation_field_has_a_resolver(run: ProgramRun) -> None:
    api = run.one(API, "graphql-api")
    resolvers = _resolvers(run)
    lambda_source = run.one(DATA_SOURCE, "graphql-lambda-source").inputs
    operations = _fields(SCHEMA.query_type) | _fields(SCHEMA.mutation_type)
    assert operations <= set(resolvers), f"missing: {sorted(operations - set(resolvers))}"
    assert set(resolvers) == operations | _fields(SCHEMA.subscription_type), "no resolver for a field that is gone"
    devices_source = run.one(DATA_SOURCE, "graphql-devices-source").inputs
    device_fields = {("Mutation", "registerDevice"), ("Mutation", "unregisterDevice")}
    for key in operations - {("Mutation", "publishNotification")}:
        resolver = resolvers[key]
        assert resolver["apiId"] == api.id
        expected = devices_source if key in device_fields else lambda_source
        assert resolver["dataSource"] == expected["name"], key
        assert "code" not in resolver and "requestTemplate" not in resolver, f"{key}: direct Lambda resolver"


def test_device_fields_invoke_only_the_device_registry(run: ProgramRun) -> None:
    devices = run.one("aws:lambda/function:Function", "notifications-devices-function")
    source = run.one(DATA_SOURCE, "graphql-devices-source").inputs
    assert source["type"] == "AWS_LAMBDA"
    assert source["lambdaConfig"]["functionArn"] == devices.state["arn"]
    statements = json.loads(run.one("aws:iam/policy:Policy", "graphql-devices-source-policy").inputs["policy"])[
        "Statement"
    ]
    assert [s["Resource"] for s in statements] == [[devices.state["arn"]]]


def test_publish_mutation_runs_on_the_none_data_source(run: ProgramRun) -> None:
    resolver = _resolvers(run)[("Mutation", "publishNotification")]
    none_source = run.one(DATA_SOURCE, "graphql-none-source").inputs
    assert none_source["type"] == "NONE"
    assert resolver["dataSource"] == none_source["name"]
    assert resolver["runtime"] == {"name": "APPSYNC_JS", "runtimeVersion": "1.0.0"}
    assert resolver["code"] == repo_path("api", "resolvers", "publishNotification.js").read_text()
    directives = [d.name.value for d in SCHEMA.mutation_type.fields["publishNotification"].ast_node.directives]  # type: ignore[union-attr]
    assert directives == ["aws_iam"], "only the backend (IAM) may publish"


def test_subscription_resolver_authorises_the_subscriber(run: ProgramRun) -> None:
    resolver = _resolvers(run)[("Subscription", "onNotification")]
    assert resolver["dataSource"] == run.one(DATA_SOURCE, "graphql-none-source").inputs["name"]
    assert resolver["runtime"]["name"] == "APPSYNC_JS"
    code = resolver["code"]
    assert code == repo_path("api", "resolvers", "onNotification.js").read_text()
    assert "ctx.identity.sub" in code and "ctx.args.recipientId" in code and "util.unauthorized()" in code


def test_lambda_data_source_invokes_only_graph_api(run: ProgramRun) -> None:
    api = run.one(API, "graphql-api")
    function = run.one("aws:lambda/function:Function", "graph-api-function")
    source = run.one(DATA_SOURCE, "graphql-lambda-source").inputs
    assert source["type"] == "AWS_LAMBDA" and source["apiId"] == api.id
    assert source["lambdaConfig"] == {"functionArn": function.state["arn"]}
    role = run.one("aws:iam/role:Role", "graphql-lambda-source-role")
    assert source["serviceRoleArn"] == role.state["arn"]
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "appsync.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnEquals": {"aws:SourceArn": api.state["arn"]},
    }
    (statement,) = json.loads(run.one("aws:iam/policy:Policy", "graphql-lambda-source-policy").inputs["policy"])[
        "Statement"
    ]
    assert statement["Action"] == ["lambda:InvokeFunction"]
    assert statement["Resource"] == [function.state["arn"]]


def test_auth_modes(run: ProgramRun) -> None:
    api = run.one(API, "graphql-api").inputs
    pool = run.one("aws:cognito/userPool:UserPool", "identity-user-pool")
    assert api["authenticationType"] == "AMAZON_COGNITO_USER_POOLS"
    assert api["userPoolConfig"] == {"userPoolId": pool.id, "awsRegion": "eu-west-1", "defaultAction": "ALLOW"}
    assert api["additionalAuthenticationProviders"] == [{"authenticationType": "AWS_IAM"}]
    assert "API_KEY" not in json.dumps(api)


def test_limits_visibility_tracing_and_introspection(run: ProgramRun, config: dict[str, Any]) -> None:
    settings = _settings(config)
    api = run.one(API, "graphql-api").inputs
    assert api["xrayEnabled"] is True
    assert api["visibility"] == "GLOBAL"
    assert api["queryDepthLimit"] == config["graphqlApi"]["queryDepthLimit"]
    assert api["resolverCountLimit"] == config["graphqlApi"]["resolverCountLimit"]
    assert api["introspectionConfig"] == ("ENABLED" if settings["introspection"] else "DISABLED")
    assert api["schema"] == SCHEMA_TEXT


def test_schema_hidden_where_the_stack_requires_it(stack: str, run: ProgramRun) -> None:
    """Whether introspection must be off is the stack's security pack config (appsync-introspection-disabled);
    the field log level is a config value (tested above)."""
    level, _ = load(stack).requirement("appsync-introspection-disabled")
    allowed = ["DISABLED"] if level == "mandatory" else ["DISABLED", "ENABLED"]
    assert run.one(API, "graphql-api").inputs["introspectionConfig"] in allowed


def test_logging_to_a_declared_group_through_a_least_privilege_role(run: ProgramRun, config: dict[str, Any]) -> None:
    settings = _settings(config)
    api = run.one(API, "graphql-api")
    log_config = api.inputs["logConfig"]
    assert log_config["fieldLogLevel"] == settings["fieldLogLevel"]
    assert log_config["excludeVerboseContent"] is settings["excludeVerboseContent"]
    group = run.one("aws:cloudwatch/logGroup:LogGroup", "graphql-logs")
    assert group.inputs["name"] == f"/aws/appsync/apis/{api.id}"
    assert group.inputs["retentionInDays"] == config["graphqlApi"]["logRetentionDays"]
    assert group.inputs["kmsKeyId"] == run.one("aws:kms/key:Key", "keys-logs").state["arn"]
    role = run.one("aws:iam/role:Role", "graphql-logs-role")
    assert log_config["cloudwatchLogsRoleArn"] == role.state["arn"]
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "appsync.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    (statement,) = json.loads(run.one("aws:iam/policy:Policy", "graphql-logs-policy").inputs["policy"])["Statement"]
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"], "never CreateLogGroup"
    assert statement["Resource"] == [f"{group.state['arn']}:log-stream:*"]
    attachment = run.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "graphql-logs-policy-attach")
    assert attachment.inputs["role"] == role.state["name"]


def test_outputs(run: ProgramRun) -> None:
    api = run.one(API, "graphql-api")
    assert run.outputs["graphqlApiId"] == api.id
    assert run.outputs["graphqlUrl"] == api.state["uris"]["GRAPHQL"]


# -- the schema itself and what a mobile client sends -----------------------------------

CLIENT_OPERATIONS = {
    "viewer": "query Viewer { viewer { id handle displayName followerCount followingCount createdAt } }",
    "homeFeed": """
        query HomeFeed($first: Int, $after: String) {
          homeFeed(first: $first, after: $after) {
            items { id text mediaKeys likeCount commentCount viewerLiked createdAt author { id handle } }
            pageInfo { hasNextPage endCursor }
          }
        }""",
    "follow": "mutation Follow($id: ID!) { follow(userId: $id) { following user { id followerCount viewerFollows } } }",
    "createPost": """
        mutation CreatePost($input: CreatePostInput!) { createPost(input: $input) { id text mediaKeys createdAt } }""",
    "likePost": "mutation Like($id: ID!) { likePost(postId: $id) { id likeCount viewerLiked } }",
    "addComment": """
        mutation Comment($input: AddCommentInput!) { addComment(input: $input) { id postId text author { id } } }""",
    "onNotification": """
        subscription OnNotification($me: ID!) {
          onNotification(recipientId: $me) { id kind actorId postId commentId createdAt }
        }""",
}


@pytest.mark.parametrize("name", CLIENT_OPERATIONS)
def test_mobile_client_operations_validate(name: str) -> None:
    assert validate(SCHEMA, parse(CLIENT_OPERATIONS[name])) == []


@pytest.mark.parametrize(
    ("operation", "problem"),
    [
        ("query { viewer { password } }", "Cannot query field 'password'"),
        ("query { homeFeed(first: 10) { items { id } cursor } }", "Cannot query field 'cursor'"),
        ("mutation { follow { following } }", "Argument 'Mutation.follow(userId:)' of type 'ID!' is required"),
    ],
)
def test_invalid_client_operations_are_rejected(operation: str, problem: str) -> None:
    errors = validate(SCHEMA, parse(operation))
    assert errors and problem in str(errors[0])


def test_schema_uses_only_appsync_scalars_and_directives() -> None:
    fields = root_fields(SCHEMA_TEXT)
    assert fields.publish_fields == (("Mutation", "publishNotification"),)
    assert fields.subscription_fields == (("Subscription", "onNotification"),)
    assert len(fields.lambda_fields) == len(SCHEMA.query_type.fields) + len(SCHEMA.mutation_type.fields) - 1  # type: ignore[union-attr]


def test_schema_errors_are_one_line() -> None:
    with pytest.raises(SchemaError, match=r"^Unknown type 'Missing'"):
        build_schema("type Query { a: Missing }")
    with pytest.raises(SchemaError, match="@aws_subscribe names unknown mutation"):
        root_fields(
            'type Query { a: Int } type Mutation { b: Int } type Subscription { c: Int @aws_subscribe(mutations: ["x"]) }'
        )


def test_a_new_field_gets_a_resolver_automatically() -> None:
    extended = SCHEMA_TEXT.replace("type Query {", "type Query {\n  trending(first: Int): PostConnection!", 1)
    assert ("Query", "trending") in root_fields(extended).lambda_fields


# -- resolver code ------------------------------------------------------------------------

RESOLVER_FILES = sorted(repo_path("api", "resolvers").glob("*.js"))


@pytest.mark.parametrize("path", RESOLVER_FILES, ids=lambda p: p.name)
def test_resolver_code_parses_and_exports_request_and_response(path: Path) -> None:
    module = esprima.parseModule(path.read_text())
    exported = {
        node.declaration.id.name
        for node in module.body
        if node.type == "ExportNamedDeclaration" and node.declaration is not None
    }
    assert exported == {"request", "response"}


NODE = shutil.which("node")
#: Runs the resolver's response() against a stand-in for @aws-appsync/utils.
NODE_HARNESS = """
const fs = require('fs');
const source = fs.readFileSync(process.argv[1], 'utf8').replace(/^import .*$/m, '');
const filters = [];
const util = {
  unauthorized() { throw new Error('Unauthorized'); },
  transform: { toSubscriptionFilter(f) { return f; } },
};
const extensions = { setSubscriptionFilter(f) { filters.push(f); } };
const mod = new Function('util', 'extensions', source.replace(/export function/g, 'function') +
  '; return { request, response };')(util, extensions);
const ctx = JSON.parse(process.argv[2]);
try {
  mod.request(ctx);
  console.log(JSON.stringify({ result: mod.response(ctx), filters }));
} catch (e) {
  console.log(JSON.stringify({ error: e.message }));
}
"""


def _run_subscription(ctx: dict[str, Any]) -> dict[str, Any]:
    assert NODE is not None
    path = repo_path("api", "resolvers", "onNotification.js")
    completed = subprocess.run(  # noqa: S603 - fixed harness, local file
        [NODE, "-e", NODE_HARNESS, str(path), json.dumps(ctx)], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize(
    ("identity", "recipient", "allowed"),
    [
        ({"sub": "user-1"}, "user-1", True),
        ({"sub": "user-1"}, "user-2", False),
        (None, "user-1", False),
        ({"sub": ""}, "", False),
    ],
)
def test_subscription_admits_only_the_recipient(identity: dict[str, str] | None, recipient: str, allowed: bool) -> None:
    outcome = _run_subscription({"identity": identity, "args": {"recipientId": recipient}})
    if allowed:
        assert outcome == {"result": None, "filters": [{"recipientId": {"eq": identity["sub"]}}]}  # type: ignore[index]
    else:
        assert outcome == {"error": "Unauthorized"}


# -- settings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"query_depth_limit": 0}, "query_depth_limit: must be between 1 and 75, got 0"),
        ({"resolver_count_limit": 10_001}, "resolver_count_limit: must be between 1 and 10000"),
        ({"field_log_level": "NONE"}, "field_log_level: must be one of ERROR, INFO, DEBUG, ALL"),
    ],
)
def test_settings_reject(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgsError, match=message):
        GraphqlApiSettings(**changes)
