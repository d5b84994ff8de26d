"""One reusable Lambda construct: python3.12 on arm64, least privilege, observable."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

# The handlers' own module (functions/ is on sys.path: see components/__init__.py).
from shared.environment import FunctionEnvironment

from components.context import DeploymentContext
from components.log_group import log_group
from components.secure_queue import DEAD_LETTER_RETENTION_SECONDS, QueueSpec, secure_queue
from components.validation import ArgsError, require_int_range, require_log_retention
from offline.flows.model import Flow, declare

REPO_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_ROOT = REPO_ROOT / "functions"
LAYERS_ROOT = REPO_ROOT / "build" / "layers"
#: Shared library code copied into every package under ``shared/``.
SHARED_SOURCE = "shared"
RUNTIME = "python3.12"
ARCHITECTURE = "arm64"
SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
#: Stamp written by ``scripts/build_layers.py`` beside a built layer.
STAMP = ".requirements.sha256"
#: What the construct itself sets, for Powertools (every function's contract is its own).
CONSTRUCT_VARIABLES = ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL")


class LayerBuildMissingError(pulumi.RunError):
    """A function's third-party dependencies have not been built (or are stale)."""


def requirements_digest(requirements: Path) -> str:
    return hashlib.sha256(requirements.read_bytes()).hexdigest()


@dataclass(frozen=True, kw_only=True)
class VpcPlacement:
    """Run the function in these private subnets with these security groups."""

    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_ids: Sequence[pulumi.Input[str]]

    def __post_init__(self) -> None:
        if len(self.subnet_ids) < 2:
            raise ArgsError("vpc.subnet_ids", "a VPC function needs subnets in at least 2 AZs (Lambda.5)")
        if not self.security_group_ids:
            raise ArgsError("vpc.security_group_ids", "at least one security group is required")


@dataclass(frozen=True, kw_only=True)
class PythonFunctionArgs:
    context: DeploymentContext
    #: The function's package: ``functions/<source>/``, a Python package named after its
    #: folder, entry point ``<source>/handler.py:handler`` (the one layout every function has).
    source: str
    description: str
    #: IAM statements the function needs beyond logging and tracing. Each names its
    #: resources; a ``"*"`` resource must carry a ``Sid`` explaining which AWS rule needs it.
    statements: Sequence[Mapping[str, Any]] = ()
    #: The function's environment contract (``shared.environment``), filled in: the handler
    #: parses the deployed variables with the same class.
    environment: FunctionEnvironment[pulumi.Input[str]]
    memory_mb: int = 256
    timeout_seconds: int = 30
    #: Reserved concurrency: caps the blast radius and guarantees capacity (None: unreserved).
    reserved_concurrency: int | None = None
    log_retention_days: int = 365
    log_level: str = "INFO"
    #: The stack's logs key (log group) and data key (environment variables, DLQ).
    logs_key_arn: pulumi.Input[str]
    data_key_arn: pulumi.Input[str]
    #: Async invocations (S3, EventBridge, Cognito...) that fail land in an encrypted SQS DLQ.
    dead_letter_queue: bool = False
    vpc: VpcPlacement | None = None
    metrics_namespace: str = "SocialBackend"
    functions_root: Path = FUNCTIONS_ROOT
    layers_root: Path = LAYERS_ROOT
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not SOURCE_NAME.match(self.source):
            raise ArgsError("source", f"must be a functions/ folder name like graph_api, got {self.source!r}")
        if not (self.functions_root / self.source).is_dir():
            raise ArgsError("source", f"{self.functions_root / self.source} does not exist")
        for module in ("__init__.py", "handler.py"):
            if not (self.functions_root / self.source / module).is_file():
                raise ArgsError(
                    "source",
                    f"{self.functions_root / self.source / module} does not exist (every function is a package)",
                )
        if self.source != self.environment.SOURCE:
            raise ArgsError(
                "environment",
                f"{type(self.environment).__name__} is the contract of {self.environment.SOURCE}, not of {self.source}",
            )
        clash = sorted(set(type(self.environment).variables()) & set(CONSTRUCT_VARIABLES))
        if clash:
            raise ArgsError("environment", f"{', '.join(clash)} is set by the construct")
        # The sizing fields are validated by FunctionSettings, their one definition.
        FunctionSettings(**{name: getattr(self, name) for name in SIZING_FIELDS})
        for index, statement in enumerate(self.statements):
            if (
                statement.get("Effect") not in ("Allow", "Deny")
                or "Action" not in statement
                or "Resource" not in statement
            ):
                raise ArgsError(f"statements[{index}]", "needs Effect, Action and Resource")
            if statement.get("Resource") == "*" and not statement.get("Sid"):
                raise ArgsError(f"statements[{index}]", "a '*' resource needs a Sid naming why AWS requires it")

    @property
    def handler(self) -> str:
        """Lambda's handler string: module ``<source>.handler``, function ``handler``."""
        return f"{self.source}.handler.handler"

    @property
    def requirements(self) -> Path:
        return self.functions_root / self.source / "requirements.txt"

    @property
    def layer_dir(self) -> Path:
        return self.layers_root / self.source


def _code_archive(root: Path, source: str) -> pulumi.AssetArchive:
    """The function's package under ``<source>/`` and the shared library under ``shared/``:
    the archive's root is what Lambda puts on ``sys.path`` (``/var/task``), as ``functions/``
    is in the tests, so ``<source>.handler`` and ``shared.…`` import the same way in both."""
    assets: dict[str, pulumi.Asset | pulumi.Archive] = {}
    folders = [(root / source, f"{source}/")]
    if (root / SHARED_SOURCE).is_dir() and source != SHARED_SOURCE:
        folders.append((root / SHARED_SOURCE, f"{SHARED_SOURCE}/"))
    for folder, prefix in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.name != "requirements.txt":
                assets[prefix + path.relative_to(folder).as_posix()] = pulumi.FileAsset(str(path))
    return pulumi.AssetArchive(assets)


class PythonFunction(pulumi.ComponentResource):
    """A Lambda function with its own role, log group, tracing and failure handling.

    - Code: ``functions/<source>/`` (and ``functions/shared/``); third-party packages in a
      layer built for arm64 by ``make layers`` — missing or stale builds stop the program.
    - Role: trusted only by Lambda in this account; a customer-managed policy with the
      caller's statements, writing to its own log group, X-Ray, and (when placed in a VPC)
      the ENI actions Lambda needs.
    - Log group ``/aws/lambda/<name>`` declared first (retention, logs key), so Lambda never
      creates it bare; X-Ray active; Powertools configured through the environment,
      which is encrypted with the data key.
    """

    function: aws.lambda_.Function
    role: aws.iam.Role
    log_group: aws.cloudwatch.LogGroup
    dead_letter_queue: aws.sqs.Queue | None
    function_name: str

    def __init__(self, name: str, args: PythonFunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social-backend:function:PythonFunction", name, None, opts)
        ctx = args.context
        child = pulumi.ResourceOptions(parent=self)
        self.function_name = f"{ctx.prefix}-{args.source.replace('_', '-')}"
        if len(self.function_name) > 64:
            raise ArgsError("source", f"function name {self.function_name!r} exceeds Lambda's 64 characters")
        layers = self._layer(name, args)

        self.log_group = log_group(
            f"{name}-logs",
            group_name=f"/aws/lambda/{self.function_name}",
            retention_days=args.log_retention_days,
            kms_key_arn=args.logs_key_arn,
            tags=args.tags,
            parent=self,
        )
        # Lambda sends a failed asynchronous event to the DLQ with the execution role
        # ("Capturing records of Lambda asynchronous invocations", dead-letter queues:
        # https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq;
        # the role needs sqs:SendMessage, see _statements), so the queue policy grants nothing
        # and only refuses requests without TLS.
        self.dead_letter_queue = (
            secure_queue(
                QueueSpec(
                    resource_name=f"{name}-dlq",
                    queue_name=f"{self.function_name}-dlq",
                    kms_key_arn=args.data_key_arn,
                    retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
                    tags=args.tags,
                ),
                self,
            ).queue
            if args.dead_letter_queue
            else None
        )

        self.role = aws.iam.Role(
            f"{name}-role",
            description=f"Execution role of {self.function_name}",
            assume_role_policy=pulumi.Output.json_dumps(ctx.trust_policy("lambda.amazonaws.com")),
            tags=dict(args.tags),
            opts=child,
        )
        policy = aws.iam.Policy(
            f"{name}-policy",
            description=f"Least privilege for {self.function_name}",
            policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": self._statements(args)}),
            tags=dict(args.tags),
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-policy-attach", role=self.role.name, policy_arn=policy.arn, opts=child
        )

        environment = {
            "POWERTOOLS_SERVICE_NAME": args.source,
            "POWERTOOLS_METRICS_NAMESPACE": args.metrics_namespace,
            "POWERTOOLS_LOG_LEVEL": args.log_level,
            **args.environment.to_environment(),
        }
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=self.function_name,
            description=args.description,
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=args.handler,
            code=_code_archive(args.functions_root, args.source),
            layers=layers,
            role=self.role.arn,
            memory_size=args.memory_mb,
            timeout=args.timeout_seconds,
            reserved_concurrent_executions=args.reserved_concurrency,
            kms_key_arn=args.data_key_arn,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=environment),
            # Active tracing: Lambda runs the X-Ray daemon and records the function's segment
            # (initialization, invocation, overhead) itself, through the execution role's
            # xray:PutTraceSegments — no SDK in the code. The functions bundle no X-Ray SDK:
            # AWS put it in maintenance mode on 2026-02-25 (end of support 2027-02-25) and it was
            # about a third of each cold start; botocore forwards the invocation's trace header
            # (_X_AMZN_TRACE_ID) on every AWS call, so downstream traced services join the trace.
            # - "AWS Lambda and AWS X-Ray": https://docs.aws.amazon.com/xray/latest/devguide/xray-services-lambda.html
            # - "X-Ray SDK and daemon end of support timeline":
            #   https://docs.aws.amazon.com/xray/latest/devguide/xray-daemon-eos.html
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="JSON", log_group=self.log_group.name),
            dead_letter_config=(
                aws.lambda_.FunctionDeadLetterConfigArgs(target_arn=self.dead_letter_queue.arn)
                if self.dead_letter_queue is not None
                else None
            ),
            vpc_config=(
                aws.lambda_.FunctionVpcConfigArgs(
                    subnet_ids=list(args.vpc.subnet_ids), security_group_ids=list(args.vpc.security_group_ids)
                )
                if args.vpc is not None
                else None
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment, self.log_group]),
        )
        self._declare_flows(args)
        self.register_outputs({"functionName": self.function.name, "functionArn": self.function.arn})

    def _declare_flows(self, args: PythonFunctionArgs) -> None:
        """What Lambda itself does with the execution role, for every function (runtime flows)."""
        ctx = args.context
        role = self.role.arn
        source = args.source
        # AWS Lambda developer guide, "Defining Lambda function permissions with an execution role":
        # https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
        execution_role_doc = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html"
        stream = pulumi.Output.concat(ctx.arn("logs", "log-group:"), self.log_group.name, ":log-stream:instance")
        flows = [
            Flow(
                caller="lambda.amazonaws.com",
                action="sts:AssumeRole",
                resource=role,
                context={"aws:SourceAccount": ctx.account_id},
                purpose=f"Lambda runs {self.function_name} with its execution role",
                doc=execution_role_doc,
            ),
            *(
                Flow(
                    caller=role,
                    action=action,
                    resource=stream,
                    purpose="the function's logs, through the Lambda runtime",
                    doc="https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html",
                    function=source,
                )
                for action in ("logs:CreateLogStream", "logs:PutLogEvents")
            ),
            *(
                Flow(
                    caller=role,
                    action=action,
                    resource="*",
                    purpose="active tracing: the runtime uploads segments to X-Ray",
                    doc="https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html",
                    function=source,
                )
                for action in ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
            ),
        ]
        if self.dead_letter_queue is not None:
            # "Asynchronous invocation: dead-letter queues": Lambda sends with the execution role.
            flows.append(
                Flow(
                    caller=role,
                    action="sqs:SendMessage",
                    resource=self.dead_letter_queue.arn,
                    purpose="failed asynchronous events are parked in the function's dead-letter queue",
                    doc="https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html",
                    function=source,
                )
            )
        if args.vpc is not None:
            # "Giving Lambda functions access to resources in an Amazon VPC": the execution role
            # creates, describes and deletes the function's Hyperplane ENIs.
            vpc_doc = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html"
            interface = ctx.arn("ec2", "network-interface/eni-lambda")
            network_flows = [
                *(
                    ("ec2:CreateNetworkInterface", pulumi.Output.concat(ctx.arn("ec2", "subnet/"), s))
                    for s in args.vpc.subnet_ids
                ),
                *(
                    ("ec2:CreateNetworkInterface", pulumi.Output.concat(ctx.arn("ec2", "security-group/"), g))
                    for g in args.vpc.security_group_ids
                ),
            ]
            flows += [
                Flow(
                    caller=role,
                    action=action,
                    resource=resource,
                    purpose="the function's ENI in its own subnets and security group",
                    doc=vpc_doc,
                    function=source,
                )
                for action, resource in network_flows
            ]
            flows += [
                Flow(
                    caller=role,
                    action=action,
                    resource=interface,
                    purpose="Lambda manages the function's ENIs",
                    doc=vpc_doc,
                    function=source,
                    broad="ENI ids are chosen by EC2 when Lambda creates them",
                )
                for action in (
                    "ec2:CreateNetworkInterface",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                )
            ]
            flows += [
                Flow(
                    caller=role,
                    action=action,
                    resource="*",
                    context={"aws:RequestedRegion": ctx.region},
                    purpose="Lambda finds the function's ENIs and subnets",
                    doc=vpc_doc,
                    function=source,
                )
                for action in ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets")
            ]
        declare(*flows)

    def _statements(self, args: PythonFunctionArgs) -> list[Mapping[str, Any]]:
        ctx = args.context
        log_group_arn = ctx.arn("logs", f"log-group:/aws/lambda/{self.function_name}")
        statements: list[Mapping[str, Any]] = [
            {
                "Sid": "WriteOwnLogGroup",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [f"{log_group_arn}:log-stream:*"],
            },
            {
                # X-Ray's trace APIs support no resource-level permissions (AWS service
                # authorization reference): "*" is the only valid resource.
                "Sid": "XRayTraceUploadNeedsStar",
                "Effect": "Allow",
                "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                "Resource": "*",
            },
        ]
        if self.dead_letter_queue is not None:
            statements += [
                {
                    "Sid": "SendToOwnDeadLetterQueue",
                    "Effect": "Allow",
                    "Action": ["sqs:SendMessage"],
                    "Resource": [self.dead_letter_queue.arn],
                },
                {
                    "Sid": "EncryptDeadLetters",
                    "Effect": "Allow",
                    "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                    "Resource": [args.data_key_arn],
                },
            ]
        if args.vpc is not None:
            network_interfaces = ctx.arn("ec2", "network-interface/*")
            statements += [
                {
                    # Lambda creates its Hyperplane ENIs with the execution role: only in the
                    # function's own subnets, with its own security groups.
                    "Sid": "ManageOwnNetworkInterfaces",
                    "Effect": "Allow",
                    "Action": ["ec2:CreateNetworkInterface"],
                    "Resource": [
                        network_interfaces,
                        *(pulumi.Output.concat(ctx.arn("ec2", "subnet/"), s) for s in args.vpc.subnet_ids),
                        *(
                            pulumi.Output.concat(ctx.arn("ec2", "security-group/"), g)
                            for g in args.vpc.security_group_ids
                        ),
                    ],
                },
                {
                    "Sid": "ReleaseNetworkInterfaces",
                    "Effect": "Allow",
                    "Action": [
                        "ec2:DeleteNetworkInterface",
                        "ec2:AssignPrivateIpAddresses",
                        "ec2:UnassignPrivateIpAddresses",
                    ],
                    "Resource": [network_interfaces],
                },
                {
                    # EC2's Describe* actions support no resource-level permissions (AWS
                    # service authorization reference): "*" is the only valid resource.
                    "Sid": "DescribeNetworkNeedsStar",
                    "Effect": "Allow",
                    "Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:RequestedRegion": ctx.region}},
                },
            ]
        statements.extend(args.statements)
        return statements

    def _layer(self, name: str, args: PythonFunctionArgs) -> list[pulumi.Input[str]]:
        if not args.requirements.is_file():
            return []
        stamp = args.layer_dir / STAMP
        if not stamp.is_file():
            raise LayerBuildMissingError(
                f"function {args.source}: its dependencies are not built ({args.layer_dir} is missing); run `make layers`"
            )
        if stamp.read_text().strip() != requirements_digest(args.requirements):
            raise LayerBuildMissingError(
                f"function {args.source}: {args.requirements.relative_to(args.functions_root.parent)} changed since "
                "its layer was built; run `make layers`"
            )
        layer = aws.lambda_.LayerVersion(
            f"{name}-deps",
            layer_name=f"{self.function_name}-deps",
            description=f"Third-party packages of {args.source} (manylinux aarch64, {RUNTIME})",
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            code=pulumi.FileArchive(str(args.layer_dir)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return [layer.arn]


#: The ``PythonFunctionArgs`` fields a function's sizing fills.
SIZING_FIELDS = ("memory_mb", "timeout_seconds", "reserved_concurrency", "log_retention_days", "log_level")


@dataclass(frozen=True, kw_only=True)
class FunctionSettings:
    """The sizing of one function (an object under ``<project>:functions``), validated here
    only: ``PythonFunctionArgs`` checks its sizing fields with this class too."""

    memory_mb: int = 256
    timeout_seconds: int = 30
    #: Reserved concurrency (caps the blast radius, guarantees capacity); null leaves it unreserved.
    reserved_concurrency: int | None = None
    log_retention_days: int = 365
    log_level: str = "INFO"

    def __post_init__(self) -> None:
        # Lambda's limits: 128-10,240 MB of memory, at most 900 s (Lambda developer guide,
        # "Lambda quotas", https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
        require_int_range("memory_mb", self.memory_mb, 128, 10_240)
        require_int_range("timeout_seconds", self.timeout_seconds, 1, 900)
        if self.reserved_concurrency is not None:
            require_int_range("reserved_concurrency", self.reserved_concurrency, 1, 1000)
        require_log_retention("log_retention_days", self.log_retention_days)
        if self.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ArgsError("log_level", f"must be DEBUG, INFO, WARNING or ERROR, got {self.log_level!r}")

    def function_args(self) -> dict[str, Any]:
        """The ``PythonFunctionArgs`` fields these settings fill."""
        return {name: getattr(self, name) for name in SIZING_FIELDS}


#: Synchronous callers give up after these many seconds, so a longer function timeout only
#: keeps a doomed invocation (and its concurrency) alive: AppSync's Lambda resolver limit
#: and Cognito's trigger limit.
APPSYNC_RESOLVER_TIMEOUT_SECONDS = 30
COGNITO_TRIGGER_TIMEOUT_SECONDS = 5
#: The thumbnailer decodes images of up to ``thumbnails.maxPixels`` (50 MP by default) in
#: memory: below 512 MB a large upload runs out of memory instead of being rendered.
THUMBNAILER_MIN_MEMORY_MB = 512
THUMBNAILER_MIN_TIMEOUT_SECONDS = 5


@dataclass(frozen=True, kw_only=True)
class FunctionsSettings:
    """Sizing of every function the stack's own components build (``<project>:functions``),
    one object per function, keyed by its ``functions/`` folder in camelCase."""

    graph_api: FunctionSettings = field(default_factory=lambda: FunctionSettings(memory_mb=512, timeout_seconds=10))
    auth_triggers: FunctionSettings = field(default_factory=lambda: FunctionSettings(timeout_seconds=5))
    upload_url: FunctionSettings = field(
        default_factory=lambda: FunctionSettings(memory_mb=256, timeout_seconds=10, reserved_concurrency=50)
    )
    thumbnailer: FunctionSettings = field(
        default_factory=lambda: FunctionSettings(memory_mb=2048, timeout_seconds=60, reserved_concurrency=20)
    )
    #: One reader at a time (reserved concurrency 1; the checkpoint lease is the second guard).
    stream_poller: FunctionSettings = field(
        default_factory=lambda: FunctionSettings(timeout_seconds=50, reserved_concurrency=1)
    )
    #: Reserved concurrency caps fan-out against AppSync and SNS quotas.
    notifier: FunctionSettings = field(
        default_factory=lambda: FunctionSettings(timeout_seconds=30, reserved_concurrency=20)
    )
    devices: FunctionSettings = field(default_factory=lambda: FunctionSettings(reserved_concurrency=20))

    def __post_init__(self) -> None:
        if self.graph_api.timeout_seconds > APPSYNC_RESOLVER_TIMEOUT_SECONDS:
            raise ArgsError(
                "graph_api.timeout_seconds",
                f"AppSync waits at most {APPSYNC_RESOLVER_TIMEOUT_SECONDS} seconds for a Lambda resolver, got {self.graph_api.timeout_seconds}",
            )
        if self.auth_triggers.timeout_seconds > COGNITO_TRIGGER_TIMEOUT_SECONDS:
            raise ArgsError(
                "auth_triggers.timeout_seconds",
                f"Cognito waits at most {COGNITO_TRIGGER_TIMEOUT_SECONDS} seconds for a trigger, got {self.auth_triggers.timeout_seconds}",
            )
        if self.devices.timeout_seconds > APPSYNC_RESOLVER_TIMEOUT_SECONDS:
            raise ArgsError(
                "devices.timeout_seconds",
                f"AppSync waits at most {APPSYNC_RESOLVER_TIMEOUT_SECONDS} seconds for a Lambda resolver, got {self.devices.timeout_seconds}",
            )
        if self.stream_poller.reserved_concurrency != 1:
            raise ArgsError(
                "stream_poller.reserved_concurrency",
                f"must be 1: one stream reader at a time, got {self.stream_poller.reserved_concurrency}",
            )
        # The poller polls while records come and its time lasts; under a minute's schedule.
        require_int_range("stream_poller.timeout_seconds", self.stream_poller.timeout_seconds, 20, 840)
        # The events queue's visibility timeout is VISIBILITY_FACTOR (6) times this; AWS
        # recommends at least six times the function timeout for SQS event sources.
        require_int_range("notifier.timeout_seconds", self.notifier.timeout_seconds, 5, 150)
        if self.thumbnailer.memory_mb < THUMBNAILER_MIN_MEMORY_MB:
            raise ArgsError(
                "thumbnailer.memory_mb",
                f"must be at least {THUMBNAILER_MIN_MEMORY_MB} MB to decode large images, got {self.thumbnailer.memory_mb}",
            )
        if self.thumbnailer.timeout_seconds < THUMBNAILER_MIN_TIMEOUT_SECONDS:
            raise ArgsError(
                "thumbnailer.timeout_seconds",
                f"must be at least {THUMBNAILER_MIN_TIMEOUT_SECONDS} seconds, got {self.thumbnailer.timeout_seconds}",
            )
