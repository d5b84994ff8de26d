"""Lambda: CONTROLS rows 92-105 and least privilege tied to stack resources (section 7.2)."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator

from policies import iam_kb, iamdoc
from policies.core import (
    COMPLIANCE,
    IDENTIFIER_OUTPUTS,
    SECURITY,
    Param,
    Res,
    Settings,
    Stack,
    StackFinding,
    guarded,
    resource_rule,
    stack_rule,
)
from policies.rules._helpers import require_set
from policies.rules.iam import POLICY, ROLE, ROLE_ATTACHMENT, ROLE_POLICY

FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
ESM = "aws:lambda/eventSourceMapping:EventSourceMapping"
FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
SUBNET = "aws:ec2/subnet:Subnet"
QUEUE = "aws:sqs/queue:Queue"
DATA_SOURCE = "aws:appsync/dataSource:DataSource"
GRAPHQL_API = "aws:appsync/graphQLApi:GraphQLApi"

SECRET_NAME = re.compile(r"(secret|passw(or)?d|passwd|token|api_?key|private_?key|credential)", re.IGNORECASE)
REFERENCE_NAME = re.compile(r"(_ARN|_NAME|_ID|_URL|_ENDPOINT|_PARAM|_PATH|_REGION)$", re.IGNORECASE)
AWS_ACCESS_KEY = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")


@resource_rule(
    "lambda-permission-scoped",
    pack=SECURITY,
    types=[PERMISSION],
    description="Lambda resource policies never grant '*' and scope service principals with source_arn (and source_account).",
    severity="critical",
    remediation="Set principal to the service or account and source_arn to the invoking resource's ARN.",
    category="least-privilege",
    rows=[92],
    fsbp=["Lambda.1"],
    cdk_nag=["NIST5:LambdaFunctionPublicAccessProhibited"],
    checkov=["CKV_AWS_301", "CKV_AWS_364"],
    other=["pulumi-cp:lambda-permission-configure-source-arn"],
)
def permission_scoped(r: Res, _: Settings) -> Iterator[str]:
    principal = r.req("principal")
    if principal in (None, "", "*"):
        yield f"{r.label}: grants invocation to any principal"
        return
    is_service = isinstance(principal, str) and principal.endswith(".amazonaws.com")
    s3_with_account = principal == "s3.amazonaws.com" and bool(r.get("sourceAccount"))
    if is_service and r.get("sourceArn") in (None, "") and not s3_with_account:
        yield f"{r.label}: service principal {principal} without source_arn (confused deputy)"


@resource_rule(
    "lambda-supported-runtime",
    pack=COMPLIANCE,
    types=[FUNCTION],
    description="Zip-packaged functions use a current, supported runtime from the allowed list.",
    severity="medium",
    remediation="Move the function to an allowed runtime (python3.12 in this project).",
    category="hygiene",
    rows=[93],
    fsbp=["Lambda.2"],
    cdk_nag=["L1", "SL:LambdaLatestVersion"],
    checkov=["CKV_AWS_363"],
    params=[
        Param(
            "allowedRuntimes",
            {"type": "array", "items": {"type": "string"}},
            ["python3.12", "python3.13", "python3.14", "nodejs22.x", "nodejs24.x", "java21", "provided.al2023"],
            "runtimes allowed",
        )
    ],
)
def supported_runtime(r: Res, cfg: Settings) -> Iterator[str]:
    if r.req("packageType") == "Image":
        return
    runtime = r.req("runtime")
    if runtime not in cfg["allowedRuntimes"]:
        yield f"{r.label}: runtime {runtime!r} is not in the allowed list ({', '.join(cfg['allowedRuntimes'])})"


@resource_rule(
    "lambda-in-vpc",
    pack=SECURITY,
    types=[FUNCTION],
    description="Functions run inside the VPC (functions that must call public endpoints are exempted by name with a reason).",
    severity="medium",
    remediation="Pass vpc_config with private subnets and a security group, or add an exemption explaining why not.",
    category="network",
    rows=[94],
    fsbp=["Lambda.3"],
    cdk_nag=["NIST5:LambdaInsideVPC"],
    checkov=["CKV_AWS_117"],
)
def in_vpc(r: Res, _: Settings) -> Iterator[str]:
    if not r.items("vpcConfig.subnetIds"):
        yield f"{r.label}: not attached to a VPC (vpcConfig.subnetIds is empty)"


@stack_rule(
    "lambda-vpc-multi-az",
    pack=COMPLIANCE,
    description="VPC-attached functions use subnets in at least two Availability Zones.",
    severity="medium",
    remediation="Pass subnet ids from at least two AZs in vpc_config.subnet_ids.",
    category="resilience",
    rows=[95],
    fsbp=["Lambda.5"],
)
def vpc_multi_az(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for fn in stack.of(FUNCTION):

        def check(fn: Res = fn) -> Iterator[str]:
            if not fn.items("vpcConfig.subnetIds"):
                return
            ids = {str(i) for i in fn.items("vpcConfig.subnetIds")}
            subnets = [s for s in stack.of(SUBNET) if s.urn in fn.deps_of("vpcConfig") or ids & set(s.identifiers)]
            zones = {s.req("availabilityZone") or s.req("availabilityZoneId") for s in subnets}
            zones.discard(None)
            if len(zones) < 2:
                yield f"{fn.label}: its subnets span {len(zones)} known AZ(s); at least 2 required"

        yield from guarded(fn, check)


@resource_rule(
    "lambda-xray-tracing",
    pack=COMPLIANCE,
    types=[FUNCTION],
    description="Functions use X-Ray active tracing.",
    severity="low",
    remediation="Set tracing_config={'mode': 'Active'}.",
    category="logging",
    rows=[96],
    fsbp=["Lambda.7"],
    cdk_nag=["SL:LambdaTracing"],
    checkov=["CKV_AWS_50"],
    other=["pulumi-cp:lambda-function-enable-tracing-config"],
)
def xray(r: Res, _: Settings) -> Iterator[str]:
    if r.req("tracingConfig.mode") != "Active":
        yield f"{r.label}: tracing mode is {r.get('tracingConfig.mode')!r}, not 'Active'"


@stack_rule(
    "lambda-failure-destination",
    pack=COMPLIANCE,
    description=(
        "Every asynchronously invoked function has a dead-letter queue or on-failure destination (functions driven "
        "by event source mappings or only by synchronous callers are judged elsewhere)."
    ),
    severity="medium",
    remediation="Set dead_letter_config.target_arn or add a FunctionEventInvokeConfig with destination_config.on_failure.",
    category="resilience",
    rows=[97],
    cdk_nag=["SL:LambdaDLQ", "SL:LambdaAsyncFailureDestination", "NIST5:LambdaDLQ"],
    checkov=["CKV_AWS_116"],
)
def failure_destination(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for fn in stack.of(FUNCTION):

        def check(fn: Res = fn) -> Iterator[str]:
            if fn.get("deadLetterConfig.targetArn") not in (None, ""):
                return
            configs = stack.referrers(fn, "functionName", INVOKE_CONFIG)
            if any(c.get("destinationConfig.onFailure.destination") not in (None, "") for c in configs):
                return
            if stack.referrers(fn, "functionName", ESM):
                return
            modes = _invocation_modes(stack, fn)
            if modes == {"sync"}:
                return  # only synchronous callers: errors go back to the caller, a DLQ never fires
            yield f"{fn.label}: no dead-letter queue and no on-failure destination"

        yield from guarded(fn, check)


SYNC_PRINCIPALS = (
    "apigateway.amazonaws.com",
    "cognito-idp.amazonaws.com",
    "appsync.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
)
DATA_SOURCE_TYPE = "aws:appsync/dataSource:DataSource"
USER_POOL = "aws:cognito/userPool:UserPool"
INTEGRATION = "aws:apigateway/integration:Integration"


def _invocation_modes(stack: Stack, fn: Res) -> set[str]:
    """How the stack invokes ``fn``: 'sync' callers, 'async' callers, or nothing known (empty)."""
    modes: set[str] = set()
    for permission in stack.referrers(fn, "function", PERMISSION):
        principal = str(permission.req("principal") or "")
        modes.add("sync" if principal in SYNC_PRINCIPALS else "async")
    if any(stack.refers(ds, "lambdaConfig", fn) for ds in stack.of(DATA_SOURCE_TYPE)):
        modes.add("sync")
    if any(stack.refers(pool, "lambdaConfig", fn) for pool in stack.of(USER_POOL)):
        modes.add("sync")
    if any(stack.refers(integration, "uri", fn) for integration in stack.of(INTEGRATION)):
        modes.add("sync")
    return modes


@stack_rule(
    "lambda-event-source-failure-handling",
    pack=COMPLIANCE,
    description="Event source mappings send failed records somewhere: an on-failure destination, or the SQS source's redrive queue.",
    severity="medium",
    remediation="Set destination_config.on_failure.destination_arn (streams) or a redrive_policy on the source queue (SQS).",
    category="resilience",
    rows=[98],
    cdk_nag=["SL:LambdaEventSourceMappingDestination"],
)
def esm_failure(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for esm in stack.of(ESM):

        def check(esm: Res = esm) -> Iterator[str]:
            queues = stack.linked(esm, "eventSourceArn", QUEUE)
            if queues:
                for queue in queues:
                    if queue.get("redrivePolicy") in (None, ""):
                        yield f"{esm.label}: source queue {queue.name!r} has no redrive policy (DLQ)"
                return
            if esm.get("destinationConfig.onFailure.destinationArn") in (None, ""):
                yield f"{esm.label}: no on-failure destination for failed batches"

        yield from guarded(esm, check)


@resource_rule(
    "lambda-reserved-concurrency",
    pack=COMPLIANCE,
    types=[FUNCTION],
    description="Functions reserve concurrency, so one cannot starve the others or overwhelm Neptune.",
    severity="low",
    remediation="Set reserved_concurrent_executions to a positive number sized for the function.",
    category="resilience",
    rows=[99],
    cdk_nag=["NIST5:LambdaConcurrency"],
    checkov=["CKV_AWS_115"],
)
def reserved_concurrency(r: Res, _: Settings) -> Iterator[str]:
    value = r.number("reservedConcurrentExecutions")
    if value is None or value < 1:
        yield f"{r.label}: reserved concurrency is {'not set' if value is None else f'{value:g}'}"


@resource_rule(
    "lambda-environment-cmk",
    pack=SECURITY,
    types=[FUNCTION],
    description="Functions with environment variables encrypt them with a customer-managed key.",
    severity="medium",
    remediation="Pass kms_key_arn=<stack CMK>.arn.",
    category="encryption",
    rows=[100],
    checkov=["CKV_AWS_173"],
)
def environment_cmk(r: Res, _: Settings) -> Iterator[str]:
    variables = r.req("environment.variables")
    if variables and r.get("kmsKeyArn") in (None, ""):
        yield f"{r.label}: environment variables are encrypted with the AWS-managed key (kmsKeyArn is not set)"


@resource_rule(
    "lambda-no-secrets-in-environment",
    pack=SECURITY,
    types=[FUNCTION],
    description="Environment variables hold no secrets (pass a Secrets Manager ARN or name instead).",
    severity="high",
    remediation="Store the value in Secrets Manager and pass its ARN (e.g. APNS_SECRET_ARN).",
    category="encryption",
    rows=[101],
    checkov=["CKV_AWS_45"],
)
def no_secrets(r: Res, _: Settings) -> Iterator[str]:
    variables = r.req("environment.variables") or {}
    if not isinstance(variables, dict):
        return
    for key, value in variables.items():
        text = str(value)
        if AWS_ACCESS_KEY.search(text):
            yield f"{r.label}: {key} contains an AWS access key id"
        elif SECRET_NAME.search(key) and not REFERENCE_NAME.search(key) and _looks_secret(text):
            yield f"{r.label}: {key} looks like a secret value; pass a Secrets Manager reference instead"


def _looks_secret(text: str) -> bool:
    """A value that could be a credential: not a reference, number, flag or short setting."""
    if text.startswith(("arn:", "/", "{{resolve:")) or text.lower() in ("true", "false"):
        return False
    return len(text) >= 8 and not text.replace(".", "").isdigit() and " " not in text


require_set(
    "lambda-code-signing",
    path="codeSigningConfigArn",
    what="code signing is not enforced",
    pack=COMPLIANCE,
    types=[FUNCTION],
    description="Functions enforce code signing.",
    severity="low",
    remediation="Create an aws.lambda.CodeSigningConfig with a Signer profile and pass code_signing_config_arn.",
    category="hygiene",
    rows=[102],
    checkov=["CKV_AWS_272"],
)


@resource_rule(
    "lambda-url-iam-auth",
    pack=SECURITY,
    types=[FUNCTION_URL],
    description="Function URLs require IAM authentication.",
    severity="critical",
    remediation="Set authorization_type='AWS_IAM' (front it with CloudFront OAC if it must be public).",
    category="least-privilege",
    rows=[103],
    cdk_nag=["add:LambdaFunctionUrlAuth"],
    checkov=["CKV_AWS_258"],
)
def url_auth(r: Res, _: Settings) -> Iterator[str]:
    if r.req("authorizationType") != "AWS_IAM":
        yield f"{r.label}: authorization type is {r.get('authorizationType')!r}, not AWS_IAM"


@resource_rule(
    "lambda-explicit-memory-timeout",
    pack=COMPLIANCE,
    types=[FUNCTION],
    description="Functions set memory size and timeout explicitly.",
    severity="low",
    remediation="Set memory_size and timeout sized for the work.",
    category="hygiene",
    rows=[105],
    cdk_nag=["SL:LambdaDefaultMemorySize", "SL:LambdaFunctionDefaultTimeout"],
)
def memory_timeout(r: Res, _: Settings) -> Iterator[str]:
    for key in ("memorySize", "timeout"):
        if r.get(key) is None:
            yield f"{r.label}: {key} is not set"


# -- least privilege tied to stack resources (row 104, section 7.2) --------------------------


def _role_documents(stack: Stack, role: Res) -> Iterator[tuple[Res, str, object]]:
    """(owner resource, prop, raw document) for every policy granting permissions to ``role``."""
    for index, inline in enumerate(role.items("inlinePolicies")):
        if isinstance(inline, dict):
            yield role, f"inlinePolicies.{index}.policy", inline.get("policy")
    for rp in stack.referrers(role, "role", ROLE_POLICY):
        yield rp, "policy", rp.get("policy")
    for attachment in stack.referrers(role, "role", ROLE_ATTACHMENT):
        for policy in stack.linked(attachment, "policyArn", POLICY):
            yield policy, "policy", policy.get("policy")


_ANCHOR_KEYS = IDENTIFIER_OUTPUTS


def _identifiers_of(res: Res) -> set[str]:
    found = {i for i in res.identifiers if i}
    for key in _ANCHOR_KEYS:
        value = res.get(key)
        if isinstance(value, str) and value:
            found.add(value)
    return found


def _anchors(stack: Stack, owner: Res, prop: str) -> set[str]:
    """Identifiers of this stack's resources a statement may name.

    Preferably the resources that feed the document (property dependencies); resources
    named by their deterministic physical name (e.g. the function's own log group, built
    from its name to avoid a dependency cycle) are found by identifier.
    """
    top = prop.split(".")[0]
    anchors: set[str] = set()
    for dep in stack.deps(owner, top):
        anchors |= _identifiers_of(dep)
    for res in stack.resources:
        if res.type != "aws:iam/role:Role" and res.get("name") is not None:
            anchors |= {i for i in _identifiers_of(res) if len(i) >= 8}
    return anchors


#: Resources that are created at run time, not by the stack, yet must be named in a least-privilege
#: statement: the ENIs Lambda creates in the VPC.
RUNTIME_RESOURCES = ["arn:*:ec2:*:*:network-interface/*"]


def _judge_statement(statement: iamdoc.Statement, anchors: set[str], allowed: list[str], where: str) -> Iterator[str]:
    for action in statement.actions:
        if iam_kb.is_wildcard(action):
            yield f"{where}: wildcard action {action}"
    for resource in statement.resources:
        if resource == "*":
            scoped = [
                a
                for a in statement.actions
                if not iam_kb.is_wildcard(a) and (i := iam_kb.action_info(a)) and i.supports_resource_scoping
            ]
            if scoped:
                yield f"{where}: {', '.join(scoped)} on '*' instead of this stack's resources"
            continue
        if any(fnmatch.fnmatchcase(resource, pattern) for pattern in allowed):
            continue
        if not any(anchor in resource for anchor in anchors if len(anchor) >= 3):
            yield f"{where}: resource {resource} is not derived from a resource of this stack"


@stack_rule(
    "workload-roles-scoped-to-stack",
    pack=SECURITY,
    description=(
        "Every statement of every role of the stack (functions' execution roles and the service roles of "
        "CloudTrail, Config, flow logs, Scheduler, AppSync, API Gateway ...) names resources of this stack (linked "
        "through property dependencies), with no wildcard actions; run-time resources no stack resource backs are "
        "named only through the allowedResourcePatterns config."
    ),
    severity="high",
    remediation=(
        "Build each statement's Resource from the stack resources' outputs (Output.json_dumps with table.arn, "
        "secret.arn, cluster.cluster_resource_id ...); keep '*' only for actions IAM cannot scope."
    ),
    category="least-privilege",
    rows=[104],
    cdk_nag=["SL:StarPermissions", "IAM5"],
    checkov=["CKV_AWS_355", "CKV_AWS_63"],
    other=["gap:7.2"],
    params=[
        Param(
            "allowedResourcePatterns",
            {"type": "array", "items": {"type": "string"}},
            RUNTIME_RESOURCES,
            "ARN globs for run-time resources a statement may name although no stack resource backs them",
        )
    ],
)
def workload_roles(stack: Stack, cfg: Settings) -> Iterator[StackFinding]:
    for role in stack.of(ROLE):
        for owner, prop, raw in _role_documents(stack, role):
            yield from guarded(owner, _document_check(stack, role, owner, prop, raw, cfg["allowedResourcePatterns"]))


def _document_check(
    stack: Stack, role: Res, owner: Res, prop: str, raw: object, allowed: list[str]
) -> Callable[[], Iterator[str]]:
    return lambda: _judge_document(stack, role, owner, prop, raw, allowed)


def _judge_document(stack: Stack, role: Res, owner: Res, prop: str, raw: object, allowed: list[str]) -> Iterator[str]:
    try:
        doc = iamdoc.parse(raw, prop)
    except iamdoc.DocumentError as error:
        yield f"{owner.label}: {error}"
        return
    anchors = _anchors(stack, owner, prop)
    for index, statement in enumerate(iamdoc.statements(doc)):
        if statement.allows:
            yield from _judge_statement(
                statement,
                anchors,
                allowed,
                f"{owner.label} (role {role.name!r}) statement {statement.sid or '#' + str(index + 1)}",
            )
