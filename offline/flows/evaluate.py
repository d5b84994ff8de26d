"""Prove every declared runtime flow against a stack's recorded policies, and the converse.

From a recorded program run (``offline.runner.run_program`` inside ``model.collect``):

- every role becomes a principalmapper ``Node`` (trust policy, managed and inline policies);
- every resource policy is collected: bucket, key, queue, topic and secret policies, Lambda
  permissions (as the statements Lambda writes into the function's policy), role trust
  policies, and CloudWatch Logs resource policies (account-wide for their region);
- each flow is decided by ``offline.iam_engine`` — a role's call with its identity policies
  and the resource's policy, a service principal's call with the resource policy alone —
  and, on a CMK-encrypted S3 bucket, DynamoDB table, SQS queue, SNS topic, log group or
  secret, so is the KMS call the service makes for the caller (``derived_kms_flows``);
- each flow's near misses (another account, another resource, another source ARN, no TLS
  where a policy requires it) must be denied;
- every Allow of a role policy and every service grant of a resource policy that no flow
  uses is a surplus grant, unless ``justified.yaml`` gives the reason it stays.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from offline.flows.model import ResolvedFlow, collect
from offline.iam_engine import (
    Node,
    ResourcePolicyEvalResult,
    local_check_authorization_full,
    resource_policy_authorization,
    role_node,
)
from offline.mocks import RecordedResource
from offline.runner import REPO_ROOT, ProgramRun, run_program

OTHER_ACCOUNT = "999999999999"
JUSTIFIED_FILE = Path(__file__).with_name("justified.yaml")

# The mocks synthesise one ARN shape for every type (``<service>:<region>:<account>:<kind>/<name>``);
# SNS topics, SQS queues and CloudWatch alarms have their own (``...:<name>``, ``...:alarm:<name>``),
# which policies written from names use. Every ARN in the policies and the flows is put in AWS's
# shape before evaluation, so a mock artefact never decides a flow.
_MOCK_ARN_SHAPES = (
    (re.compile(r"(arn:aws:(?:sns|sqs):[^:]*:[^:]*:)(?:topic|queue)/"), r"\1"),
    (re.compile(r"arn:aws:logs:([^:]*):([^:]*):metricalarm:"), r"arn:aws:cloudwatch:\1:\2:alarm:"),
    (re.compile(r"(arn:aws:logs:[^:]*:[^:]*:)logdeliverysource:"), r"\1delivery-source:"),
)


#: The mocks put every ARN in the stack's region; a resource created in another region (its
#: ``region`` input: the us-east-1 edge topic, key and log groups) gets its own region back.
_REGION_FIXES: dict[str, str] = {}


def aws_shape(value: str) -> str:
    for pattern, replacement in _MOCK_ARN_SHAPES:
        value = pattern.sub(replacement, value)
    return _REGION_FIXES.get(value, value)


def _shape_within(value: str) -> str:
    """``aws_shape`` for a string that may extend an ARN (``<topic ARN>``, ``<log group ARN>:log-stream:*``)."""
    value = aws_shape(value)
    for mock, real in _REGION_FIXES.items():
        if value.startswith(mock) and value != real:
            return real + value[len(mock) :]
    return value


def _learn_regions(run: ProgramRun) -> None:
    region = _region(run)
    for resource in run.resources:
        other = resource.inputs.get("region")
        arn = resource.state.get("arn")
        if isinstance(other, str) and other != region and isinstance(arn, str) and f":{region}:" in arn:
            shaped = aws_shape(arn)
            _REGION_FIXES[shaped] = shaped.replace(f":{region}:", f":{other}:", 1)


def _reshape(document: Any) -> Any:
    """A policy document in AWS's ARN shapes, with JSON booleans in conditions as the strings
    principalmapper compares (it tests ``value == 'true'``; AWS accepts both spellings)."""
    if isinstance(document, dict):
        return {key: _reshape(value) for key, value in document.items()}
    if isinstance(document, list):
        return [_reshape(value) for value in document]
    if isinstance(document, bool):
        return "true" if document else "false"
    if isinstance(document, str):
        return _shape_within(document)
    return document


#: Condition operators principalmapper 1.1.5 decides differently from AWS: a missing key
#: makes its StringNotLike false, AWS's true. No stack policy uses them; refuse to guess.
UNSUPPORTED_OPERATORS = ("StringNotLike",)


def _doc(value: Any) -> dict[str, Any]:
    document = json.loads(value) if isinstance(value, str) else dict(value)
    statements = document.get("Statement", [])
    document["Statement"] = statements if isinstance(statements, list) else [statements]
    for statement in document["Statement"]:
        for operator in statement.get("Condition", {}):
            if any(operator.split(":")[-1].startswith(name) for name in UNSUPPORTED_OPERATORS):
                raise NotImplementedError(
                    f"{operator} in {statement.get('Sid', 'a statement')}: principalmapper 1.1.5 evaluates it "
                    "unlike AWS when the key is absent; extend offline/flows/evaluate.py before using it"
                )
    reshaped: dict[str, Any] = _reshape(document)
    return reshaped


def _listify(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


@dataclass(frozen=True)
class Grant:
    """One Allow of one statement: who is granted which action on which resource pattern."""

    owner: str  # role name, or the logical name of the resource whose policy grants
    sid: str
    principal: str  # role ARN, or a service principal
    action: str
    resource: str
    condition: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.owner, self.sid, self.action)


@dataclass
class StackPolicies:
    account: str
    region: str
    roles: dict[str, Node]
    role_names: dict[str, str]  # ARN -> logical name
    resource_policies: list[tuple[str, str, dict[str, Any]]]  # (resource-ARN pattern, owner, document)
    logs_policies: list[tuple[str, dict[str, Any]]]
    encryption: dict[str, tuple[str, dict[str, str]]]  # store ARN -> (key ARN, encryption context)
    bucket_keys: set[str]

    def policy_for(self, resource: str) -> dict[str, Any]:
        statements: list[dict[str, Any]] = []
        for pattern, _, document in self.resource_policies:
            if _covers(pattern, resource):
                statements += document["Statement"]
        if resource.startswith("arn:aws:logs:"):  # account-level per region; statements name their groups
            for _, document in self.logs_policies:
                statements += document["Statement"]
        return {"Version": "2012-10-17", "Statement": statements}

    def requires_tls(self, flow: ResolvedFlow) -> bool:
        documents = [self.policy_for(flow.resource)]
        if not flow.is_service:
            documents += [policy.policy_doc for policy in self.roles[flow.caller].attached_policies]
        return any("aws:securetransport" in json.dumps(document).lower() for document in documents)


def _covers(pattern: str, resource: str) -> bool:
    """The resource a resource policy is attached to: the bucket covers its objects."""
    return resource == pattern or resource.startswith(pattern + "/")


def stack_policies(run: ProgramRun, account: str) -> StackPolicies:
    _learn_regions(run)
    resources = run.resources
    by_type: dict[str, list[RecordedResource]] = {}
    for resource in resources:
        by_type.setdefault(resource.type, []).append(resource)

    def of(type_token: str) -> list[RecordedResource]:
        return by_type.get(type_token, [])

    policy_docs = {aws_shape(str(p.state["arn"])): _doc(p.inputs["policy"]) for p in of("aws:iam/policy:Policy")}
    role_arn_by_name = {
        str(r.state.get("name", r.name)): aws_shape(str(r.state["arn"])) for r in of("aws:iam/role:Role")
    }
    attached: dict[str, list[tuple[str, dict[str, Any]]]] = {arn: [] for arn in role_arn_by_name.values()}
    for attachment in of("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        role_arn = role_arn_by_name[str(attachment.inputs["role"])]
        policy_arn = aws_shape(str(attachment.inputs["policyArn"]))
        if policy_arn not in policy_docs:
            raise ValueError(f"{attachment.name}: attaches {policy_arn}, which the stack does not define")
        attached[role_arn].append((policy_arn, policy_docs[policy_arn]))
    for inline in of("aws:iam/rolePolicy:RolePolicy"):
        role_arn = role_arn_by_name[str(inline.inputs["role"])]
        attached[role_arn].append((f"{role_arn}/inline/{inline.name}", _doc(inline.inputs["policy"])))

    roles: dict[str, Node] = {}
    role_names: dict[str, str] = {}
    resource_policies: list[tuple[str, str, dict[str, Any]]] = []
    for role in of("aws:iam/role:Role"):
        arn = aws_shape(str(role.state["arn"]))
        for index, inline_policy in enumerate(role.inputs.get("inlinePolicies") or []):
            attached[arn].append((f"{arn}/inline/{index}", _doc(inline_policy["policy"])))
        if role.inputs.get("managedPolicyArns"):
            raise ValueError(f"{role.name}: managed policy ARNs cannot be evaluated offline")
        trust = _doc(role.inputs["assumeRolePolicy"])
        roles[arn] = role_node(arn, trust, attached[arn])
        role_names[arn] = role.name
        resource_policies.append((arn, role.name, trust))

    for bucket_policy in of("aws:s3/bucketPolicy:BucketPolicy"):
        resource_policies.append(
            (f"arn:aws:s3:::{bucket_policy.inputs['bucket']}", bucket_policy.name, _doc(bucket_policy.inputs["policy"]))
        )
    # A key's policy is its aws.kms.KeyPolicy when one exists: it replaces the inline one.
    key_policies: dict[str, tuple[str, dict[str, Any]]] = {}
    for key in of("aws:kms/key:Key"):
        if key.inputs.get("policy"):
            key_policies[aws_shape(str(key.state["arn"]))] = (key.name, _doc(key.inputs["policy"]))
    keys_by_id = {str(key.id): aws_shape(str(key.state["arn"])) for key in of("aws:kms/key:Key")}
    for key_policy in of("aws:kms/keyPolicy:KeyPolicy"):
        key_arn = keys_by_id.get(str(key_policy.inputs["keyId"]), aws_shape(str(key_policy.inputs["keyId"])))
        key_policies[key_arn] = (key_policy.name, _doc(key_policy.inputs["policy"]))
    for key_arn, (owner, document) in key_policies.items():
        resource_policies.append((key_arn, owner, document))
    for queue_policy in of("aws:sqs/queuePolicy:QueuePolicy"):
        document = _doc(queue_policy.inputs["policy"])
        # A queue policy names its own queue in every statement (the queue URL is not an ARN).
        for queue_arn in sorted({arn for s in document["Statement"] for arn in _listify(s.get("Resource"))}):
            resource_policies.append((queue_arn, queue_policy.name, document))
    for topic_policy in of("aws:sns/topicPolicy:TopicPolicy"):
        resource_policies.append(
            (aws_shape(str(topic_policy.inputs["arn"])), topic_policy.name, _doc(topic_policy.inputs["policy"]))
        )
    for secret_policy in of("aws:secretsmanager/secretPolicy:SecretPolicy"):
        resource_policies.append(
            (str(secret_policy.inputs["secretArn"]), secret_policy.name, _doc(secret_policy.inputs["policy"]))
        )
    functions = {
        str(f.inputs.get("name", f.name)): aws_shape(str(f.state["arn"])) for f in of("aws:lambda/function:Function")
    }
    for permission in of("aws:lambda/permission:Permission"):
        resource_policies.append(_lambda_permission(permission, functions))

    logs_policies = [
        (p.name, _doc(p.inputs["policyDocument"])) for p in of("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    ]
    encryption, bucket_keys = _encryption(by_type, run, account)
    return StackPolicies(
        account=account,
        region=_region(run),
        roles=roles,
        role_names=role_names,
        resource_policies=resource_policies,
        logs_policies=logs_policies,
        encryption=encryption,
        bucket_keys=bucket_keys,
    )


def _region(run: ProgramRun) -> str:
    for function in run.by_type("aws:lambda/function:Function"):
        return str(function.state["arn"]).split(":")[3]
    raise ValueError("the stack has no function to read its region from")


def _lambda_permission(permission: RecordedResource, functions: dict[str, str]) -> tuple[str, str, dict[str, Any]]:
    """The statement ``lambda:AddPermission`` writes into the function's resource policy
    (AWS Lambda developer guide, "Viewing resource-based IAM policies in Lambda")."""
    inputs = permission.inputs
    function = str(inputs["function"])
    function_arn = functions.get(function, aws_shape(function))
    condition: dict[str, dict[str, str]] = {}
    if inputs.get("sourceAccount"):
        condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = str(inputs["sourceAccount"])
    if inputs.get("sourceArn"):
        condition.setdefault("ArnLike", {})["AWS:SourceArn"] = aws_shape(str(inputs["sourceArn"]))
    principal = str(inputs["principal"])
    statement: dict[str, Any] = {
        "Sid": permission.name,
        "Effect": "Allow",
        "Principal": {"Service": principal} if principal.endswith(".amazonaws.com") else {"AWS": principal},
        "Action": str(inputs["action"]),
        "Resource": function_arn,
    }
    if condition:
        statement["Condition"] = condition
    return function_arn, permission.name, {"Version": "2012-10-17", "Statement": [statement]}


def _encryption(
    by_type: dict[str, list[RecordedResource]], run: ProgramRun, account: str
) -> tuple[dict[str, tuple[str, dict[str, str]]], set[str]]:
    """Each CMK-encrypted store's key and the encryption context its service sends to KMS."""
    region = _region(run)
    stores: dict[str, tuple[str, dict[str, str]]] = {}
    bucket_keys: set[str] = set()
    for config in by_type.get(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", []
    ):
        for rule in config.inputs.get("rules") or []:
            default = rule.get("applyServerSideEncryptionByDefault") or {}
            if default.get("sseAlgorithm") in ("aws:kms", "aws:kms:dsse") and default.get("kmsMasterKeyId"):
                bucket_arn = f"arn:aws:s3:::{config.inputs['bucket']}"
                stores[bucket_arn] = (aws_shape(str(default["kmsMasterKeyId"])), {})
                if rule.get("bucketKeyEnabled"):
                    bucket_keys.add(bucket_arn)
    for table in by_type.get("aws:dynamodb/table:Table", []):
        sse = table.inputs.get("serverSideEncryption") or {}
        if sse.get("enabled") and sse.get("kmsKeyArn"):
            stores[aws_shape(str(table.state["arn"]))] = (
                aws_shape(str(sse["kmsKeyArn"])),
                {
                    "aws:dynamodb:tableName": str(table.inputs.get("name", table.name)),
                    "aws:dynamodb:subscriberId": account,
                },
            )
    for queue in by_type.get("aws:sqs/queue:Queue", []):
        if queue.inputs.get("kmsMasterKeyId"):
            arn = aws_shape(str(queue.state["arn"]))
            stores[arn] = (aws_shape(str(queue.inputs["kmsMasterKeyId"])), {"aws:sqs:arn": arn})
    for topic in by_type.get("aws:sns/topic:Topic", []):
        if topic.inputs.get("kmsMasterKeyId"):
            arn = aws_shape(str(topic.state["arn"]))
            stores[arn] = (aws_shape(str(topic.inputs["kmsMasterKeyId"])), {"aws:sns:topicArn": arn})
    for group in by_type.get("aws:cloudwatch/logGroup:LogGroup", []):
        if group.inputs.get("kmsKeyId"):
            group_region = str(group.inputs.get("region") or region)
            arn = f"arn:aws:logs:{group_region}:{account}:log-group:{group.inputs['name']}"
            stores[arn] = (aws_shape(str(group.inputs["kmsKeyId"])), {"aws:logs:arn": arn})
    for secret in by_type.get("aws:secretsmanager/secret:Secret", []):
        if secret.inputs.get("kmsKeyId"):
            arn = str(secret.state["arn"])
            stores[arn] = (aws_shape(str(secret.inputs["kmsKeyId"])), {"SecretARN": arn})
    return stores, bucket_keys


# -- the KMS calls services make for their callers --------------------------------------
#: (service, action prefix) -> the KMS actions the service calls with the caller's identity.
#: S3: Amazon S3 user guide, "Using server-side encryption with AWS KMS keys (SSE-KMS)":
#: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
#: SQS: "Key management", https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
#: (producers GenerateDataKey and Decrypt, consumers Decrypt).
#: DynamoDB: "How Amazon DynamoDB uses AWS KMS", https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html
#: SNS: "Encryption at rest", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
#: Secrets Manager: "Secret encryption and decryption", https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
_KMS_CALLS: dict[str, tuple[str, ...]] = {
    "s3:GetObject": ("kms:Decrypt",),
    "s3:PutObject": ("kms:GenerateDataKey",),
    "sqs:SendMessage": ("kms:GenerateDataKey", "kms:Decrypt"),
    "sqs:ReceiveMessage": ("kms:Decrypt",),
    "sns:Publish": ("kms:GenerateDataKey", "kms:Decrypt"),
    "secretsmanager:GetSecretValue": ("kms:Decrypt",),
}
_DYNAMODB_DATA_ACTIONS = (
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
)


def _store_of(resource: str, stack: StackPolicies) -> str | None:
    if resource in stack.encryption:
        return resource
    if resource.startswith("arn:aws:s3:::"):
        bucket = resource.split("/", 1)[0]
        return bucket if bucket in stack.encryption else None
    if resource.startswith("arn:aws:logs:") and ":log-stream:" in resource:
        group = resource.split(":log-stream:", 1)[0]
        return group if group in stack.encryption else None
    if resource.startswith("arn:aws:dynamodb:") and "/index/" in resource:
        table = resource.split("/index/", 1)[0]
        return table if table in stack.encryption else None
    return None


def derived_kms_flows(flow: ResolvedFlow, stack: StackPolicies) -> list[ResolvedFlow]:
    """The KMS calls a service makes for ``flow``'s caller on a CMK-encrypted store."""
    store = _store_of(flow.resource, stack)
    if store is None or flow.kms_by_caller:
        return []
    key_arn, encryption_context = stack.encryption[store]
    service = flow.action.split(":", 1)[0]
    if service == "dynamodb" and flow.action.split(":", 1)[1] in _DYNAMODB_DATA_ACTIONS:
        actions: tuple[str, ...] = ("kms:Decrypt",)
    elif service == "logs" and flow.action == "logs:PutLogEvents":
        # CloudWatch Logs encrypts with its own service principal, not the caller's identity
        # ("Encrypt log data in CloudWatch Logs using AWS KMS"); see logs_service_flows.
        return []
    else:
        actions = _KMS_CALLS.get(flow.action, ())
    if service == "s3":
        # With an S3 Bucket Key the context is the bucket's ARN, otherwise the object's.
        encryption_context = {"aws:s3:arn": store if store in stack.bucket_keys else flow.resource}
    context: dict[str, str | list[str]] = {
        **flow.context,
        "kms:ViaService": f"{service}.{store.split(':')[3] or stack.region}.amazonaws.com",
        **{f"kms:EncryptionContext:{k}": v for k, v in encryption_context.items()},
    }
    return [
        replace(
            flow,
            action=action,
            resource=key_arn,
            context=context,
            derived_from=f"{flow.action} on {flow.resource}",
            purpose=f"{service} calls KMS for the caller: {flow.purpose}",
        )
        for action in actions
    ]


def logs_service_flows(stack: StackPolicies) -> list[ResolvedFlow]:
    """CloudWatch Logs encrypting each CMK-encrypted log group with its regional service
    principal (CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs using AWS
    KMS": https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html;
    the context is ``aws:logs:arn`` = the log group's ARN)."""
    flows = []
    for store, (key_arn, context) in sorted(stack.encryption.items()):
        if not store.startswith("arn:aws:logs:"):
            continue
        region = store.split(":")[3]
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            flows.append(
                ResolvedFlow(
                    caller=f"logs.{region}.amazonaws.com",
                    action=action,
                    resource=key_arn,
                    purpose=f"CloudWatch Logs encrypts and reads {store.split(':log-group:')[1]}",
                    doc="https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
                    context={f"kms:EncryptionContext:{k}": v for k, v in context.items()},
                    function="",
                    broad="",
                )
            )
    return flows


# -- deciding ---------------------------------------------------------------------------
def allowed(flow: ResolvedFlow, stack: StackPolicies, *, caller_account: str | None = None) -> bool:
    """Would AWS allow ``flow``? Roles: identity policies + resource policy; services: the
    resource policy must grant them."""
    context: dict[str, Any] = {"aws:SecureTransport": "true", **flow.context}
    policy = stack.policy_for(flow.resource)
    if flow.is_service:
        result = resource_policy_authorization(flow.caller, stack.account, policy, flow.action, flow.resource, context)
        return bool(result is ResourcePolicyEvalResult.SERVICE_MATCH)
    node = stack.roles.get(flow.caller)
    if node is None:
        raise KeyError(f"{flow.label}: the stack has no role {flow.caller}")
    if caller_account is not None:
        node = role_node(
            node.arn.replace(f":{stack.account}:", f":{caller_account}:"),
            node.trust_policy,
            [(p.arn, p.policy_doc) for p in node.attached_policies],
        )
    if flow.action.startswith("kms:"):
        context.setdefault("kms:CallerAccount", caller_account or stack.account)
    if flow.resource == "*":
        # Actions without resource-level permissions (X-Ray, EC2 Describe*): no resource
        # policy exists, and the call is made in the caller's own account.
        return bool(local_check_authorization_full(node, flow.action, flow.resource, context))
    return bool(local_check_authorization_full(node, flow.action, flow.resource, context, policy, stack.account))


@dataclass(frozen=True)
class NearMiss:
    kind: str
    flow: ResolvedFlow
    caller_account: str | None = None


def _other(arn: str) -> str:
    """A sibling of ``arn``: the same kind of resource, named differently."""
    if arn.startswith("arn:aws:s3:::"):
        bucket, _, key = arn[len("arn:aws:s3:::") :].partition("/")
        return f"arn:aws:s3:::{bucket}-other" + (f"/{key}" if key else "")
    head, _, resource = arn.partition(":" + arn.split(":")[4] + ":") if arn.count(":") >= 5 else (arn, "", "")
    for separator in ("/", ":"):
        if separator in resource:
            kind, _, rest = resource.partition(separator)
            name, sep2, tail = rest.partition(separator)
            if name in ("", "*") or arn.split(":")[2] == "execute-api":
                # The resource is named by its first part (a Neptune cluster, a REST API id).
                return f"{head}:{arn.split(':')[4]}:{kind}-other{separator}{rest}"
            return f"{head}:{arn.split(':')[4]}:{kind}{separator}{name}-other{sep2}{tail}"
    return f"{arn}-other"


def near_misses(flow: ResolvedFlow, stack: StackPolicies) -> list[NearMiss]:
    """The requests one step away from ``flow`` that the stack's policies must refuse."""
    misses: list[NearMiss] = []
    if flow.is_service:
        foreign = {
            key: [v.replace(stack.account, OTHER_ACCOUNT) for v in value]
            if isinstance(value, list)
            else value.replace(stack.account, OTHER_ACCOUNT)
            for key, value in flow.context.items()
        }
        misses.append(NearMiss("another account", replace(flow, context=foreign)))
        source = flow.context.get("aws:SourceArn")
        if isinstance(source, str) and not flow.broad:
            misses.append(
                NearMiss("another source", replace(flow, context={**flow.context, "aws:SourceArn": _other(source)}))
            )
    elif flow.resource != "*":
        misses.append(NearMiss("another account", flow, caller_account=OTHER_ACCOUNT))
    if flow.resource != "*" and not flow.broad:
        misses.append(NearMiss("another resource", replace(flow, resource=_other(flow.resource))))
    if stack.requires_tls(flow):
        misses.append(NearMiss("no TLS", replace(flow, context={**flow.context, "aws:SecureTransport": "false"})))
    return misses


# -- surplus grants -----------------------------------------------------------------------
def grants(stack: StackPolicies) -> list[Grant]:
    """Every Allow the stack makes: role policies, and resource policies' service grants."""
    found: list[Grant] = []
    for arn, node in stack.roles.items():
        for policy in node.attached_policies:
            for index, statement in enumerate(policy.policy_doc["Statement"]):
                if statement.get("Effect") != "Allow":
                    continue
                for action in _listify(statement.get("Action")):
                    for resource in _listify(statement.get("Resource")):
                        found.append(
                            Grant(
                                stack.role_names[arn],
                                statement.get("Sid", str(index)),
                                arn,
                                action,
                                resource,
                                statement.get("Condition", {}),
                            )
                        )
    for resource_arn, owner, document in stack.resource_policies:
        for index, statement in enumerate(document["Statement"]):
            principal = statement.get("Principal")
            if statement.get("Effect") != "Allow" or not isinstance(principal, dict):
                continue
            for service in _listify(principal.get("Service")):
                for action in _listify(statement.get("Action")):
                    for resource in _listify(statement.get("Resource")) or [resource_arn]:
                        found.append(
                            Grant(
                                owner,
                                statement.get("Sid", str(index)),
                                service,
                                action,
                                resource_arn if resource == "*" else resource,
                            )
                        )
    for owner, document in stack.logs_policies:
        for index, statement in enumerate(document["Statement"]):
            for service in _listify((statement.get("Principal") or {}).get("Service")):
                for action in _listify(statement.get("Action")):
                    for resource in _listify(statement.get("Resource")):
                        found.append(Grant(owner, statement.get("Sid", str(index)), service, action, resource))
    return sorted(set(found), key=lambda g: (g.owner, g.sid, g.action, g.resource))


def _pattern(value: str) -> re.Pattern[str]:
    escaped = re.escape(value).replace(r"\*", ".*").replace(r"\?", ".")
    escaped = re.sub(r"\\\$\\\{[^}]*\\\}", "[^/]+", escaped)  # policy variables: one path segment
    return re.compile(f"^{escaped}$", re.IGNORECASE)


def uses(flow: ResolvedFlow, grant: Grant) -> bool:
    return (
        flow.caller == grant.principal
        and _pattern(grant.action).match(flow.action) is not None
        and (grant.resource == "*" or re.match(_pattern(grant.resource), flow.resource) is not None)
    )


# -- the report ---------------------------------------------------------------------------
@dataclass
class Report:
    stack: str
    run: ProgramRun
    policies: StackPolicies
    declared: list[ResolvedFlow]
    derived: list[ResolvedFlow]
    surplus: list[Grant]
    justified: list[Grant]

    @property
    def flows(self) -> list[ResolvedFlow]:
        return self.declared + self.derived


def load_justified(path: Path = JUSTIFIED_FILE) -> dict[tuple[str, str, str], str]:
    """Surplus grants kept on purpose: ``{owner, sid, action, reason}`` entries."""
    entries = yaml.safe_load(path.read_text()) or []
    justified: dict[tuple[str, str, str], str] = {}
    for index, entry in enumerate(entries):
        reason = str(entry.get("reason") or "").strip()
        if not reason:
            raise ValueError(f"{path.name}[{index}]: a justification needs a written reason")
        justified[(str(entry["owner"]), str(entry["sid"]), str(entry["action"]))] = reason
    return justified


def report(run: ProgramRun, declared: Iterable[ResolvedFlow], account: str) -> Report:
    stack = stack_policies(run, account)
    declared = [_in_aws_shape(flow) for flow in declared]
    unique = {(f.caller, f.action, f.resource, json.dumps(f.context, sort_keys=True)): f for f in declared}
    declared = [unique[key] for key in sorted(unique)]
    derived = [kms for flow in declared for kms in derived_kms_flows(flow, stack)] + logs_service_flows(stack)
    used = declared + derived
    justified_keys = load_justified()
    surplus: list[Grant] = []
    justified: list[Grant] = []
    for grant in grants(stack):
        if any(uses(flow, grant) for flow in used):
            continue
        (justified if grant.key in justified_keys else surplus).append(grant)
    return Report(run.stack, run, stack, declared, derived, surplus, justified)


def _in_aws_shape(flow: ResolvedFlow) -> ResolvedFlow:
    return replace(
        flow,
        caller=_shape_within(flow.caller),
        resource=_shape_within(flow.resource),
        context={
            k: [_shape_within(x) for x in v] if isinstance(v, list) else _shape_within(v)
            for k, v in flow.context.items()
        },
    )


@functools.cache
def recorded(stack: str) -> tuple[ProgramRun, tuple[ResolvedFlow, ...]]:
    """The program run for ``stack`` with the flows its components declared."""
    with collect() as flows:
        run = run_program(REPO_ROOT, stack)
    return run, tuple(flows)


#: Config that turns on what neither stack file enables: mobile push (APNs), so the notifier's
#: and the device registry's SNS flows are declared and can cover the calls their tests make.
PUSH_VARIANT = {
    "social-backend:notifications": json.dumps(
        {"apns": {"keyId": "ABC123DEFG", "teamId": "TEAM123456", "bundleId": "com.example.social"}}
    ),
    "social-backend:apnsSigningKey": "offline-signing-key",
}


@functools.cache
def push_variant_report(stack: str = "dev") -> Report:
    """``stack`` with mobile push configured (``PUSH_VARIANT`` merged into its notifications)."""
    from offline.mocks import DEFAULT_ACCOUNT_ID
    from offline.stackfiles import load

    files = load(REPO_ROOT, stack, None)
    notifications = json.loads(files.config.get("social-backend:notifications", "{}"))
    overrides = dict(PUSH_VARIANT)
    overrides["social-backend:notifications"] = json.dumps(
        {**notifications, **json.loads(PUSH_VARIANT["social-backend:notifications"])}
    )
    with collect() as flows:
        run = run_program(REPO_ROOT, stack, config_overrides=overrides)
    return report(run, flows, DEFAULT_ACCOUNT_ID)


@functools.cache
def stack_report(stack: str) -> Report:
    run, flows = recorded(stack)
    from offline.mocks import DEFAULT_ACCOUNT_ID

    return report(run, flows, DEFAULT_ACCOUNT_ID)


def iter_cases(report_: Report) -> Iterator[tuple[ResolvedFlow, list[NearMiss]]]:
    for flow in report_.declared:
        yield flow, near_misses(flow, report_.policies)
    for flow in report_.derived:
        yield flow, []
