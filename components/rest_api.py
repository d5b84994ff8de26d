"""API Gateway REST API for what is not GraphQL: ``POST /uploads`` (presigned upload URLs)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.context import DeploymentContext
from components.log_group import log_group
from components.validation import ArgsError, require_int_range, require_log_retention
from components.web_firewall import associate_web_acl
from offline.flows.model import Flow, declare

STAGE_NAME = re.compile(r"^[a-zA-Z0-9_]{1,64}$")
#: An exact browser origin: scheme, host and optional port, nothing else (never ``*``).
ORIGIN = re.compile(r"^https://[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:[0-9]{1,5})?$")
UPLOADS_PATH = "uploads"

#: One JSON object per request (API Gateway $context variables); no request or response bodies.
ACCESS_LOG_FORMAT: Mapping[str, str] = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "caller": "$context.authorizer.claims.sub",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "integrationStatus": "$context.integration.status",
    "integrationLatency": "$context.integration.latency",
    "wafStatus": "$context.waf.status",
    "errorMessage": "$context.error.message",
    "xrayTraceId": "$context.xrayTraceId",
}


@dataclass(frozen=True, kw_only=True)
class RestApiSettings:
    """``<project>:restApi`` in the stack config."""

    stage_name: str = "v1"
    #: Exact ``https://`` origins that browsers may call from (CORS); empty: no browser access.
    allowed_origins: Sequence[str] = ()
    #: Steady-state requests per second across the stage, and the burst above it.
    throttle_rate_limit: float = 50.0
    throttle_burst_limit: int = 100
    access_log_retention_days: int = 365
    #: Set API Gateway's account-wide CloudWatch Logs role (an account singleton: one stack per account).
    manage_account_logging_role: bool = False

    def __post_init__(self) -> None:
        if not STAGE_NAME.match(self.stage_name):
            raise ArgsError("stage_name", f"must be 1-64 letters, digits or underscores, got {self.stage_name!r}")
        for index, origin in enumerate(self.allowed_origins):
            if not ORIGIN.match(origin):
                raise ArgsError(
                    f"allowed_origins[{index}]",
                    f"must be an exact https origin such as https://app.example.com (no '*', path or slash), got {origin!r}",
                )
        if not 1 <= self.throttle_rate_limit <= 10_000:
            raise ArgsError("throttle_rate_limit", f"must be between 1 and 10000, got {self.throttle_rate_limit}")
        require_int_range("throttle_burst_limit", self.throttle_burst_limit, 1, 5000)
        require_log_retention("access_log_retention_days", self.access_log_retention_days)


@dataclass(frozen=True, kw_only=True)
class RestApiArgs:
    context: DeploymentContext
    settings: RestApiSettings
    #: The Cognito user pool whose ID/access tokens the authorizer accepts.
    user_pool_arn: pulumi.Input[str]
    #: The upload_url function (Lambda proxy integration).
    upload_function_name: pulumi.Input[str]
    upload_function_invoke_arn: pulumi.Input[str]
    #: JSON-schema limits of the ``POST /uploads`` body.
    content_types: Sequence[str]
    min_bytes: int
    max_bytes: int
    #: Regional WAFv2 web ACL associated with the stage.
    web_acl_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.content_types:
            raise ArgsError("content_types", "at least one content type is required")
        require_int_range("max_bytes", self.max_bytes, self.min_bytes, 5 * 1024**3)


def upload_request_schema(content_types: Sequence[str], min_bytes: int, max_bytes: int) -> dict[str, Any]:
    """JSON schema (draft 4, what API Gateway models support) of the ``POST /uploads`` body."""
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "UploadRequest",
        "type": "object",
        "additionalProperties": False,
        "required": ["contentType", "size"],
        "properties": {
            "contentType": {"type": "string", "enum": list(content_types)},
            "size": {"type": "integer", "minimum": min_bytes, "maximum": max_bytes},
        },
    }


def cors_preflight_template(origins: Sequence[str]) -> str:
    """Mock-integration response template: echo the request's Origin only when it is allowed.

    API Gateway sets ``Access-Control-Allow-Origin`` from ``$context.responseOverride`` only
    for a listed origin; any other origin gets no CORS headers at all (never ``*``).
    """
    checks = " || ".join(f'$origin == "{origin}"' for origin in origins) or "false"
    return (
        '#set($origin = $input.params().header.get("Origin"))\n'
        '#if($origin == "")#set($origin = $input.params().header.get("origin"))#end\n'
        f"#if({checks})\n"
        "#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)\n"
        "#end\n"
        "{}"
    )


class RestApi(pulumi.ComponentResource):
    """A REGIONAL REST API with a Cognito authorizer on every method but the CORS preflight.

    ``POST /uploads`` validates its JSON body against a model before the Lambda proxy
    integration runs. The stage throttles, writes JSON access logs to a KMS-encrypted log
    group, logs execution errors only (no data trace), traces with X-Ray and sits behind
    a regional WAF web ACL.
    """

    rest_api: aws.apigateway.RestApi
    stage: aws.apigateway.Stage
    authorizer: aws.apigateway.Authorizer
    access_log_group: aws.cloudwatch.LogGroup
    url: pulumi.Output[str]

    def __init__(self, name: str, args: RestApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social-backend:rest_api:RestApi", name, None, opts)
        ctx, settings = args.context, args.settings
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        self.rest_api = aws.apigateway.RestApi(
            f"{name}-api",
            name=f"{ctx.prefix}-rest",
            description=f"{ctx.prefix}: REST endpoints that are not GraphQL (upload URLs)",
            endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(types="REGIONAL"),
            disable_execute_api_endpoint=False,
            tags=tags,
            opts=child,
        )
        self.authorizer = aws.apigateway.Authorizer(
            f"{name}-authorizer",
            name=f"{ctx.prefix}-cognito",
            rest_api=self.rest_api.id,
            type="COGNITO_USER_POOLS",
            provider_arns=[args.user_pool_arn],
            identity_source="method.request.header.Authorization",
            opts=child,
        )
        uploads = aws.apigateway.Resource(
            f"{name}-uploads",
            rest_api=self.rest_api.id,
            parent_id=self.rest_api.root_resource_id,
            path_part=UPLOADS_PATH,
            opts=child,
        )
        schema = upload_request_schema(args.content_types, args.min_bytes, args.max_bytes)
        model = aws.apigateway.Model(
            f"{name}-upload-request-model",
            rest_api=self.rest_api.id,
            name="UploadRequest",
            description="POST /uploads body: contentType from the allow-list, size in bytes within limits",
            content_type="application/json",
            schema=json.dumps(schema),
            opts=child,
        )
        validator = aws.apigateway.RequestValidator(
            f"{name}-body-validator",
            rest_api=self.rest_api.id,
            name="body-and-parameters",
            validate_request_body=True,
            validate_request_parameters=True,
            opts=child,
        )
        post = aws.apigateway.Method(
            f"{name}-uploads-post",
            rest_api=self.rest_api.id,
            resource_id=uploads.id,
            http_method="POST",
            authorization="COGNITO_USER_POOLS",
            authorizer_id=self.authorizer.id,
            request_validator_id=validator.id,
            request_models={"application/json": model.name},
            request_parameters={"method.request.header.Authorization": True},
            opts=child,
        )
        post_integration = aws.apigateway.Integration(
            f"{name}-uploads-post-integration",
            rest_api=self.rest_api.id,
            resource_id=uploads.id,
            http_method=post.http_method,
            type="AWS_PROXY",
            integration_http_method="POST",
            uri=args.upload_function_invoke_arn,
            timeout_milliseconds=10_000,
            opts=child,
        )
        options_parts = self._cors_preflight(name, uploads, settings.allowed_origins)

        self.access_log_group = log_group(
            f"{name}-access-logs",
            group_name=f"/aws/apigateway/{ctx.prefix}-rest/access",
            retention_days=settings.access_log_retention_days,
            kms_key_arn=args.logs_key_arn,
            tags=tags,
            parent=self,
        )
        # API Gateway would otherwise create the execution log group itself, unencrypted and kept forever.
        execution_log_group = log_group(
            f"{name}-execution-logs",
            group_name=pulumi.Output.concat("API-Gateway-Execution-Logs_", self.rest_api.id, "/", settings.stage_name),
            retention_days=settings.access_log_retention_days,
            kms_key_arn=args.logs_key_arn,
            tags=tags,
            parent=self,
        )
        account_settings = self._account_logging_role(name, args) if settings.manage_account_logging_role else []

        # Redeploy whenever the API's shape changes.
        shape = json.dumps(
            {"schema": schema, "origins": list(settings.allowed_origins), "path": UPLOADS_PATH}, sort_keys=True
        )
        deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=self.rest_api.id,
            description=f"{ctx.prefix} REST API",
            triggers={"shape": hashlib.sha256(shape.encode()).hexdigest()},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[post, post_integration, *options_parts]),
        )
        self.stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=self.rest_api.id,
            deployment=deployment.id,
            stage_name=settings.stage_name,
            xray_tracing_enabled=True,
            access_log_settings=aws.apigateway.StageAccessLogSettingsArgs(
                destination_arn=self.access_log_group.arn.apply(lambda arn: arn.removesuffix(":*")),
                format=json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":")),
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[execution_log_group, *account_settings]),
        )
        aws.apigateway.MethodSettings(
            f"{name}-method-settings",
            rest_api=self.rest_api.id,
            stage_name=self.stage.stage_name,
            method_path="*/*",
            settings=aws.apigateway.MethodSettingsSettingsArgs(
                logging_level="ERROR",
                data_trace_enabled=False,
                metrics_enabled=True,
                throttling_rate_limit=settings.throttle_rate_limit,
                throttling_burst_limit=settings.throttle_burst_limit,
                caching_enabled=False,
                cache_data_encrypted=True,
            ),
            opts=child,
        )
        associate_web_acl(f"{name}-waf-association", self.stage.arn, args.web_acl_arn, parent=self)
        aws.lambda_.Permission(
            f"{name}-upload-url-invoke",
            action="lambda:InvokeFunction",
            function=args.upload_function_name,
            principal="apigateway.amazonaws.com",
            # Only this API, only its stages' POST /uploads.
            source_arn=pulumi.Output.concat(self.rest_api.execution_arn, f"/*/POST/{UPLOADS_PATH}"),
            source_account=ctx.account_id,
            opts=child,
        )
        # Runtime flow: API Gateway invokes with aws:SourceArn = the method's execute-api ARN
        # (API Gateway developer guide, "Lambda integrations": the function's resource policy).
        declare(
            Flow(
                caller="apigateway.amazonaws.com",
                action="lambda:InvokeFunction",
                resource=pulumi.Output.concat(ctx.arn("lambda", "function:"), args.upload_function_name),
                context={
                    "aws:SourceArn": pulumi.Output.concat(
                        self.rest_api.execution_arn, "/", self.stage.stage_name, f"/POST/{UPLOADS_PATH}"
                    ),
                    "aws:SourceAccount": ctx.account_id,
                },
                purpose="POST /uploads runs upload_url",
                doc="https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-integrations.html",
            )
        )
        self.url = pulumi.Output.concat(self.stage.invoke_url, "/")
        self.register_outputs({"url": self.url, "restApiId": self.rest_api.id})

    def _cors_preflight(
        self, name: str, resource: aws.apigateway.Resource, origins: Sequence[str]
    ) -> list[pulumi.Resource]:
        """OPTIONS answered by a mock integration: no authorizer (browsers send preflights without tokens)."""
        child = pulumi.ResourceOptions(parent=self)
        method = aws.apigateway.Method(
            f"{name}-uploads-options",
            rest_api=self.rest_api.id,
            resource_id=resource.id,
            http_method="OPTIONS",
            # CORS preflight requests never carry credentials (Fetch standard); nothing runs behind it.
            authorization="NONE",
            opts=child,
        )
        integration = aws.apigateway.Integration(
            f"{name}-uploads-options-integration",
            rest_api=self.rest_api.id,
            resource_id=resource.id,
            http_method=method.http_method,
            type="MOCK",
            request_templates={"application/json": '{"statusCode": 200}'},
            opts=child,
        )
        headers = {
            "Access-Control-Allow-Origin": None,  # set per request from the allow-list (template)
            "Access-Control-Allow-Methods": "'OPTIONS,POST'",
            "Access-Control-Allow-Headers": "'Authorization,Content-Type'",
            "Access-Control-Max-Age": "'600'",
            "Vary": "'Origin'",
        }
        response = aws.apigateway.MethodResponse(
            f"{name}-uploads-options-200",
            rest_api=self.rest_api.id,
            resource_id=resource.id,
            http_method=method.http_method,
            status_code="200",
            response_parameters={f"method.response.header.{header}": False for header in headers},
            opts=child,
        )
        integration_response = aws.apigateway.IntegrationResponse(
            f"{name}-uploads-options-integration-200",
            rest_api=self.rest_api.id,
            resource_id=resource.id,
            http_method=method.http_method,
            status_code=response.status_code,
            response_parameters={
                f"method.response.header.{header}": value for header, value in headers.items() if value is not None
            },
            response_templates={"application/json": cors_preflight_template(origins)},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[integration]),
        )
        return [method, integration, response, integration_response]

    def _account_logging_role(self, name: str, args: RestApiArgs) -> list[pulumi.Resource]:
        """API Gateway's account-wide role for writing execution and access logs."""
        ctx = args.context
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-cloudwatch-role",
            description="API Gateway (account setting) writes execution and access logs",
            assume_role_policy=pulumi.Output.json_dumps(ctx.trust_policy("apigateway.amazonaws.com")),
            tags=dict(args.tags),
            opts=child,
        )
        log_groups = ctx.arn("logs", "log-group:*")
        policy = aws.iam.Policy(
            f"{name}-cloudwatch-policy",
            description="API Gateway execution and access logging for this account and region",
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "WriteApiGatewayLogs",
                            "Effect": "Allow",
                            "Action": [
                                "logs:CreateLogGroup",
                                "logs:CreateLogStream",
                                "logs:DescribeLogGroups",
                                "logs:DescribeLogStreams",
                                "logs:PutLogEvents",
                            ],
                            "Resource": [log_groups, f"{log_groups}:log-stream:*"],
                        }
                    ],
                }
            ),
            tags=dict(args.tags),
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-cloudwatch-policy-attach", role=role.name, policy_arn=policy.arn, opts=child
        )
        # Runtime flows: the account-level role API Gateway writes execution and access logs with
        # (API Gateway developer guide, "Set up CloudWatch logging for REST APIs").
        logging_doc = "https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html"
        declare(
            Flow(
                caller="apigateway.amazonaws.com",
                action="sts:AssumeRole",
                resource=role.arn,
                context={"aws:SourceAccount": ctx.account_id},
                purpose="API Gateway logs through the account's CloudWatch role",
                doc=logging_doc,
            ),
            *(
                Flow(
                    caller=role.arn,
                    action=action,
                    resource=resource,
                    purpose="execution and access logs of the uploads API",
                    doc=logging_doc,
                    broad="the role is API Gateway's account-wide setting: every API in the account and region logs with it",
                )
                for action, resource in (
                    ("logs:DescribeLogGroups", self.access_log_group.arn),
                    ("logs:CreateLogGroup", self.access_log_group.arn),
                    ("logs:DescribeLogStreams", self.access_log_group.arn),
                    ("logs:CreateLogStream", pulumi.Output.concat(self.access_log_group.arn, ":log-stream:stage")),
                    ("logs:PutLogEvents", pulumi.Output.concat(self.access_log_group.arn, ":log-stream:stage")),
                )
            ),
        )
        account = aws.apigateway.Account(
            f"{name}-account",
            cloudwatch_role_arn=role.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
        )
        return [account]
