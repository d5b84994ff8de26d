"""The AppSync GraphQL API: schema, auth modes, resolvers, logging and limits."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.appsync_schema import RootFields, SchemaError, read_schema, root_fields
from components.context import DeploymentContext
from components.log_group import log_group
from components.validation import ArgsError, require_choice, require_int_range, require_log_retention
from offline.flows.model import Flow, declare

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = REPO_ROOT / "api" / "schema.graphql"
RESOLVERS_DIR = REPO_ROOT / "api" / "resolvers"
#: Field-level logging worth having (Security Hub AppSync.2 accepts ERROR or ALL).
FIELD_LOG_LEVELS = ("ERROR", "INFO", "DEBUG", "ALL")
#: AppSync developer guide, "Cross-service confused deputy prevention" (the SourceArn it sends).
APPSYNC_DEPUTY_DOC = "https://docs.aws.amazon.com/appsync/latest/devguide/cross-service-confused-deputy-prevention.html"
JS_RUNTIME = aws.appsync.ResolverRuntimeArgs(name="APPSYNC_JS", runtime_version="1.0.0")


@dataclass(frozen=True, kw_only=True)
class GraphqlApiSettings:
    """The API's configurable behaviour (``<project>:graphqlApi`` in the stack config)."""

    field_log_level: str = "ERROR"
    #: Keep headers, tokens and resolver payloads out of the request logs.
    exclude_verbose_content: bool = True
    log_retention_days: int = 365
    #: Schema introspection: useful to developers, a map of the API to everyone else.
    introspection: bool = False
    #: Deepest nesting a query may have (AppSync: 1-75).
    query_depth_limit: int = 10
    #: Most resolvers one request may run (AppSync: 1-10000).
    resolver_count_limit: int = 100

    def __post_init__(self) -> None:
        require_choice("field_log_level", self.field_log_level, FIELD_LOG_LEVELS)
        require_log_retention("log_retention_days", self.log_retention_days)
        # 0 would mean "no limit" to AppSync: refused.
        require_int_range("query_depth_limit", self.query_depth_limit, 1, 75)
        require_int_range("resolver_count_limit", self.resolver_count_limit, 1, 10_000)


@dataclass(frozen=True, kw_only=True)
class GraphqlApiArgs:
    context: DeploymentContext
    settings: GraphqlApiSettings
    #: The stack's user pool: the primary (default) auth mode.
    user_pool_id: pulumi.Input[str]
    #: The Lambda behind every Query/Mutation field except publish mutations.
    resolver_function_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    #: ``Type.field`` names resolved by another function, attached later with
    #: ``GraphqlApi.attach_lambda_fields`` (e.g. the device registry outside the VPC).
    external_fields: Sequence[str] = ()
    schema_file: Path = SCHEMA_FILE
    resolvers_dir: Path = RESOLVERS_DIR
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            fields = self.fields
        except (OSError, SchemaError) as error:
            raise ArgsError("schema_file", f"{self.schema_file}: {error}") from None
        lambda_fields = {f"{type_name}.{name}" for type_name, name in fields.lambda_fields}
        unknown = sorted(set(self.external_fields) - lambda_fields)
        if unknown:
            raise ArgsError("external_fields", f"not Query/Mutation fields of the schema: {', '.join(unknown)}")
        for type_name, name in (*fields.publish_fields, *fields.subscription_fields):
            if not (self.resolvers_dir / f"{name}.js").is_file():
                raise ArgsError("resolvers_dir", f"{type_name}.{name} needs its resolver code in {name}.js")

    @functools.cached_property
    def schema(self) -> str:
        """The schema file's text, read once."""
        return read_schema(self.schema_file)

    @functools.cached_property
    def fields(self) -> RootFields:
        """The schema's root fields, parsed once (validation and resolvers share them)."""
        return root_fields(self.schema)


class GraphqlApi(pulumi.ComponentResource):
    """AppSync API from ``api/schema.graphql``.

    - Auth: the stack's Cognito user pool by default, IAM as the additional mode (the
      backend's publish mutation); no API keys.
    - Every Query and Mutation field is a direct Lambda resolver on one Lambda data source,
      except mutations an ``@aws_subscribe`` names, which run on a NONE data source and
      return their input; each subscription field has an APPSYNC_JS resolver from
      ``api/resolvers/<field>.js`` that authorises the subscriber.
    - Request and field logging to a declared log group (retention, logs key) through a
      role that may write only there; X-Ray; depth and resolver-count limits; introspection
      as configured. Visibility is GLOBAL: the mobile app calls it over the internet,
      behind the web firewall.
    """

    api: aws.appsync.GraphQLApi
    log_group: aws.cloudwatch.LogGroup
    lambda_data_source: aws.appsync.DataSource
    none_data_source: aws.appsync.DataSource
    resolvers: dict[str, aws.appsync.Resolver]

    def __init__(self, name: str, args: GraphqlApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social-backend:graphql:GraphqlApi", name, None, opts)
        ctx, settings = args.context, args.settings
        child = pulumi.ResourceOptions(parent=self)
        fields = args.fields
        api_name = f"{ctx.prefix}-api"

        # The API's ARN is unknown until it exists, and the API needs this role first: the
        # trust is bounded to this account's AppSync APIs; the policy to this API's log group.
        logs_role = aws.iam.Role(
            f"{name}-logs-role",
            description=f"AppSync writes the request and resolver logs of {api_name}",
            assume_role_policy=pulumi.Output.json_dumps(
                ctx.trust_policy("appsync.amazonaws.com", source_arn=ctx.arn("appsync", "apis/*"))
            ),
            tags=dict(args.tags),
            opts=child,
        )
        self.api = aws.appsync.GraphQLApi(
            f"{name}-api",
            name=api_name,
            api_type="GRAPHQL",
            schema=args.schema,
            authentication_type="AMAZON_COGNITO_USER_POOLS",
            user_pool_config=aws.appsync.GraphQLApiUserPoolConfigArgs(
                user_pool_id=args.user_pool_id, aws_region=ctx.region, default_action="ALLOW"
            ),
            additional_authentication_providers=[
                aws.appsync.GraphQLApiAdditionalAuthenticationProviderArgs(authentication_type="AWS_IAM")
            ],
            log_config=aws.appsync.GraphQLApiLogConfigArgs(
                cloudwatch_logs_role_arn=logs_role.arn,
                field_log_level=settings.field_log_level,
                exclude_verbose_content=settings.exclude_verbose_content,
            ),
            xray_enabled=True,
            introspection_config="ENABLED" if settings.introspection else "DISABLED",
            query_depth_limit=settings.query_depth_limit,
            resolver_count_limit=settings.resolver_count_limit,
            visibility="GLOBAL",
            tags=dict(args.tags),
            opts=child,
        )
        # AppSync's log group is named after the API id; declared so it has retention and
        # the logs key. The logging role cannot create log groups, so AppSync never makes a bare one.
        self.log_group = log_group(
            f"{name}-logs",
            group_name=pulumi.Output.concat("/aws/appsync/apis/", self.api.id),
            retention_days=settings.log_retention_days,
            kms_key_arn=args.logs_key_arn,
            tags=args.tags,
            parent=self,
        )
        logs_policy = aws.iam.Policy(
            f"{name}-logs-policy",
            description=f"Write {api_name}'s own log group only",
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "WriteOwnLogGroup",
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": [pulumi.Output.concat(self.log_group.arn, ":log-stream:*")],
                        }
                    ],
                }
            ),
            tags=dict(args.tags),
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-logs-policy-attach", role=logs_role.name, policy_arn=logs_policy.arn, opts=child
        )
        # Runtime flows: AppSync assumes its roles with aws:SourceArn = the API's ARN (AppSync
        # developer guide, "Cross-service confused deputy prevention").
        declare(
            Flow(
                caller="appsync.amazonaws.com",
                action="sts:AssumeRole",
                resource=logs_role.arn,
                context={"aws:SourceArn": self.api.arn, "aws:SourceAccount": ctx.account_id},
                purpose="AppSync writes the API's request logs",
                doc=APPSYNC_DEPUTY_DOC,
                broad="the API needs its log role's ARN, so the role exists first and trusts this account's APIs (apis/*)",
            ),
            *(
                Flow(
                    caller=logs_role.arn,
                    action=action,
                    resource=pulumi.Output.concat(self.log_group.arn, ":log-stream:requests"),
                    purpose="the API's request and resolver logs",
                    doc="https://docs.aws.amazon.com/appsync/latest/devguide/monitoring.html#setup-and-configuration",
                )
                for action in ("logs:CreateLogStream", "logs:PutLogEvents")
            ),
        )

        self._name, self._args, self._api_name = name, args, api_name
        self.resolvers = {}
        graph_fields = [f for f in fields.lambda_fields if f"{f[0]}.{f[1]}" not in args.external_fields]
        self.lambda_data_source = self._lambda_data_source(
            "lambda-source", "graph", "the graph API function", args.resolver_function_arn, graph_fields
        )
        self.none_data_source = aws.appsync.DataSource(
            f"{name}-none-source",
            api_id=self.api.id,
            name="publish",
            type="NONE",
            description="Publish mutations: return their input so AppSync fans it out to subscribers",
            opts=child,
        )
        for type_name, field_name in (*fields.publish_fields, *fields.subscription_fields):
            self.resolvers[f"{type_name}.{field_name}"] = aws.appsync.Resolver(
                f"{name}-{type_name.lower()}-{field_name}",
                api_id=self.api.id,
                type=type_name,
                field=field_name,
                kind="UNIT",
                data_source=self.none_data_source.name,
                runtime=JS_RUNTIME,
                code=(args.resolvers_dir / f"{field_name}.js").read_text(encoding="utf-8"),
                opts=child,
            )
        self.register_outputs({"apiId": self.api.id, "apiArn": self.api.arn, "graphqlUrl": self.api.uris["GRAPHQL"]})

    def attach_lambda_fields(
        self, role: str, function_arn: pulumi.Input[str], description: str
    ) -> aws.appsync.DataSource:
        """Resolve ``args.external_fields`` with another function (its own data source and
        role). Called once the function exists, which may be after the API."""
        external = [tuple(f.split(".", 1)) for f in self._args.external_fields]
        return self._lambda_data_source(f"{role}-source", role, description, function_arn, external)  # type: ignore[arg-type]

    def _lambda_data_source(
        self,
        suffix: str,
        source_name: str,
        description: str,
        function_arn: pulumi.Input[str],
        fields: Sequence[tuple[str, str]],
    ) -> aws.appsync.DataSource:
        name, args, api_name = self._name, self._args, self._api_name
        ctx = args.context
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-{suffix}-role",
            description=f"AppSync data source of {api_name}: invokes {description}",
            assume_role_policy=pulumi.Output.json_dumps(
                ctx.trust_policy("appsync.amazonaws.com", source_arn=self.api.arn, source_arn_test="ArnEquals")
            ),
            tags=dict(args.tags),
            opts=child,
        )
        policy = aws.iam.Policy(
            f"{name}-{suffix}-policy",
            description=f"Invoke only {description} from {api_name}",
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "InvokeResolverFunction",
                            "Effect": "Allow",
                            "Action": ["lambda:InvokeFunction"],
                            "Resource": [function_arn],
                        }
                    ],
                }
            ),
            tags=dict(args.tags),
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-{suffix}-policy-attach", role=role.name, policy_arn=policy.arn, opts=child
        )
        declare(
            Flow(
                caller="appsync.amazonaws.com",
                action="sts:AssumeRole",
                resource=role.arn,
                context={"aws:SourceArn": self.api.arn, "aws:SourceAccount": ctx.account_id},
                purpose=f"the {source_name} data source's role",
                doc=APPSYNC_DEPUTY_DOC,
            ),
            Flow(
                caller=role.arn,
                action="lambda:InvokeFunction",
                resource=function_arn,
                purpose=f"direct Lambda resolvers call {description}",
                doc="https://docs.aws.amazon.com/appsync/latest/devguide/resolver-reference-lambda-js.html",
            ),
        )
        source = aws.appsync.DataSource(
            f"{name}-{suffix}",
            api_id=self.api.id,
            name=source_name,
            type="AWS_LAMBDA",
            description=f"{description} (direct Lambda resolvers)",
            service_role_arn=role.arn,
            lambda_config=aws.appsync.DataSourceLambdaConfigArgs(function_arn=function_arn),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
        )
        for type_name, field_name in fields:
            # Direct Lambda resolver: no templates or code, AppSync passes the whole context.
            self.resolvers[f"{type_name}.{field_name}"] = aws.appsync.Resolver(
                f"{name}-{type_name.lower()}-{field_name}",
                api_id=self.api.id,
                type=type_name,
                field=field_name,
                kind="UNIT",
                data_source=source.name,
                opts=child,
            )
        return source
