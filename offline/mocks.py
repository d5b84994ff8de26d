"""Pulumi mocks that record every registration and answer the invokes a program makes.

The mock monitor shipped with the SDK keeps only ``(urn, id, state)``. Policies and
structural tests need more of what the engine would see: the parent (to group by
component), ``protect``, dependencies and ``propertyDependencies`` (to join resources
at preview, where ARNs are unknown). ``RecordingMonitor`` keeps those, and
``RecordingMocks`` synthesises the provider-computed attributes a program reads
(``id``, ``arn``, ``name`` and a few type-specific ones such as a Neptune endpoint).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from offline import datasources

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "eu-west-1"
PARTITION = "aws"
#: Zones the mock region reports; six, so any AZ count the config allows can be met.
ZONE_SUFFIXES = ("a", "b", "c", "d", "e", "f")


#: Invokes whose answer is computed from the arguments or the config, not made up: no
#: warning (a region that is itself a stand-in is reported by the runner).
_RENDERED_INVOKES = frozenset(
    {
        "aws:iam/getPolicyDocument:getPolicyDocument",
        "aws:index/getRegion:getRegion",
        "aws:index/getPartition:getPartition",
    }
)


class UnknownInvokeError(RuntimeError):
    """A program called a data source the mocks cannot answer faithfully."""


@dataclass
class RecordedResource:
    """One resource registration, as the engine (and a policy) would see it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    inputs: dict[str, Any]
    state: dict[str, Any]
    id: str
    protect: bool = False
    provider: str = ""
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    additional_secret_outputs: list[str] = field(default_factory=list)
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    has_secrets: bool = False


def comparable(value: object) -> object:
    """``value`` with assets replaced by what they hold (asset objects compare by identity),
    so two runs' inputs can be compared with ``==``."""
    import pulumi

    if isinstance(value, pulumi.AssetArchive):
        return {path: comparable(asset) for path, asset in sorted(value.assets.items())}
    if isinstance(value, pulumi.FileAsset | pulumi.FileArchive):
        return ("file", value.path)
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [comparable(item) for item in value]
    return value


def _short_hash(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:17]


def _arn_service_and_resource(type_token: str, name: str) -> tuple[str, str]:
    """Map a type token to the ARN service and resource part AWS would use."""
    try:
        _, module_path, _ = type_token.split(":")
    except ValueError:
        return "unknown", name
    module = module_path.split("/")[0]
    service = {
        "cloudwatch": "logs",
        "neptune": "rds",
        "ec2": "ec2",
        "vpc": "ec2",
        "iam": "iam",
    }.get(module, module)
    resource_kind = type_token.rsplit(":", 1)[-1]
    kind = {
        "LogGroup": "log-group",
        "Cluster": "cluster",
        "ClusterInstance": "db",
        "ClusterParameterGroup": "cluster-pg",
        "ParameterGroup": "pg",
        "SubnetGroup": "subgrp",
        "Key": "key",
        "Alias": "alias",
        "Role": "role",
        "Policy": "policy",
    }.get(resource_kind, resource_kind.lower())
    separator = ":" if service in ("logs", "rds") else "/"
    return service, f"{kind}{separator}{name}"


class RecordingMocks(pulumi_mocks.Mocks):
    """Answers registrations with plausible provider state and known invokes faithfully.

    Two modes. ``strict`` (this repository's own program: the test harness, and the checker
    run on this repository) answers only the invokes below, exactly, and raises on any
    other. Otherwise (the checker on a third-party program) every data source an installed
    provider SDK defines is answered with values synthesised from its result type
    (offline/datasources.py), resources of providers other than AWS get plausible values for
    the outputs they compute, and each synthesised answer is remembered in ``warnings``.
    """

    def __init__(
        self,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region: str = DEFAULT_REGION,
        strict: bool = True,
    ) -> None:
        self.account_id = account_id
        self.region = region
        self.strict = strict
        self.warnings: list[str] = []
        self._invokes: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            "aws:index/getCallerIdentity:getCallerIdentity": self._caller_identity,
            "aws:index/getRegion:getRegion": self._region,
            "aws:index/getPartition:getPartition": self._partition,
            "aws:index/getAvailabilityZones:getAvailabilityZones": self._zones,
            "aws:iam/getPolicyDocument:getPolicyDocument": self._policy_document,
        }

    # -- invokes -----------------------------------------------------------------
    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        handler = self._invokes.get(args.token)
        if handler is not None:
            if not self.strict and args.token not in _RENDERED_INVOKES:
                self._warn(f"data source {args.token} answered with offline stand-in values")
            return handler(args.args), []
        if self.strict:
            raise UnknownInvokeError(f"unknown invoke {args.token}: the offline runtime cannot answer it")
        answer = datasources.synthesise(args.token, args.args, region=self.region, account_id=self.account_id)
        if answer is None:
            self._warn(f"unknown invoke {args.token}: no installed SDK defines it; answered empty")
            return {}, []
        self._warn(f"data source {args.token} answered with values synthesised from its result type")
        return answer, []

    def _warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def _caller_identity(self, _: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "accountId": self.account_id,
            "arn": f"arn:{PARTITION}:iam::{self.account_id}:user/offline",
            "userId": "AIDAOFFLINEOFFLINE",
            "id": self.account_id,
        }

    def _region(self, _: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": self.region,
            "region": self.region,
            "id": self.region,
            "endpoint": f"ec2.{self.region}.amazonaws.com",
            "description": self.region,
        }

    def _partition(self, _: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "partition": PARTITION,
            "dnsSuffix": "amazonaws.com",
            "reverseDnsPrefix": "com.amazonaws",
            "id": PARTITION,
        }

    def _zones(self, _: Mapping[str, Any]) -> dict[str, Any]:
        names = [f"{self.region}{suffix}" for suffix in ZONE_SUFFIXES]
        return {
            "names": names,
            "zoneIds": [f"euw1-az{i + 1}" for i in range(len(names))],
            "groupNames": [self.region] * len(names),
            "state": "available",
            "id": self.region,
        }

    def _policy_document(self, args: Mapping[str, Any]) -> dict[str, Any]:
        document = render_policy_document(args)
        return {"json": json.dumps(document), "minifiedJson": json.dumps(document, separators=(",", ":")), "id": "doc"}

    # -- resources ---------------------------------------------------------------
    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        if args.typ == "pulumi:pulumi:StackReference":
            # Another stack's outputs live in its backend, which offline cannot read:
            # the reference resolves with none (``get_output`` answers ``None``).
            stack_name = str(inputs.get("name") or args.name)
            self._warn(f"stack reference {stack_name!r}: its outputs are unknown offline (every output reads None)")
            return stack_name, {"name": stack_name, "outputs": {}, "secretOutputNames": []}
        physical = (
            inputs.get("name")
            if isinstance(inputs.get("name"), str)
            else f"{args.name}-{_short_hash(args.typ, args.name)[:7]}"
        )
        resource_id = f"{args.name}-id" if args.resource_id in (None, "") else str(args.resource_id)
        service, resource = _arn_service_and_resource(args.typ, str(physical))
        region_part = "" if service in ("iam", "cloudfront", "route53") else self.region
        state: dict[str, Any] = {
            "id": resource_id,
            "arn": f"arn:{PARTITION}:{service}:{region_part}:{self.account_id}:{resource}",
            "name": physical,
            **inputs,
        }
        state.update(self._type_specific_state(args.typ, args.name, inputs, resource_id))
        if not self.strict and not args.typ.startswith(("aws:", "pulumi:")):
            # Another provider's computed outputs (random's ``result``, tls's PEMs): never
            # for AWS types, whose state the packs read and a stand-in could make pass.
            state = {
                **datasources.resource_outputs(args.typ, inputs, region=self.region, account_id=self.account_id),
                **state,
            }
        return str(state["id"]), state

    def _type_specific_state(
        self, type_token: str, name: str, inputs: Mapping[str, Any], resource_id: str
    ) -> dict[str, Any]:
        region, account = self.region, self.account_id
        if type_token == "aws:kms/key:Key":
            key_id = f"{_short_hash(name)[:8]}-0000-4000-8000-{_short_hash(name, 'k')[:12]}"
            return {"keyId": key_id, "id": key_id, "arn": f"arn:{PARTITION}:kms:{region}:{account}:key/{key_id}"}
        if type_token == "aws:ec2/vpc:Vpc":
            return {
                "defaultSecurityGroupId": f"sg-default{_short_hash(name)[:8]}",
                "mainRouteTableId": f"rtb-main{_short_hash(name)[:8]}",
                "defaultNetworkAclId": f"acl-{_short_hash(name)[:8]}",
            }
        if type_token == "aws:ec2/vpcEndpoint:VpcEndpoint":
            return {"prefixListId": f"pl-{_short_hash(name)[:8]}"} if inputs.get("vpcEndpointType") == "Gateway" else {}
        if type_token == "aws:neptune/cluster:Cluster":
            identifier = str(inputs.get("clusterIdentifier") or name)
            host = f"{identifier}.cluster-{_short_hash(name)[:12]}.{region}.neptune.amazonaws.com"
            return {
                "clusterIdentifier": identifier,
                "endpoint": host,
                "readerEndpoint": host.replace(".cluster-", ".cluster-ro-"),
                "clusterResourceId": f"cluster-{_short_hash(name).upper()[:26]}",
                "port": inputs.get("port", 8182),
                "arn": f"arn:{PARTITION}:rds:{region}:{account}:cluster:{identifier}",
            }
        if type_token == "aws:neptune/clusterInstance:ClusterInstance":
            identifier = str(inputs.get("identifier") or name)
            return {
                "identifier": identifier,
                "address": f"{identifier}.{_short_hash(name)[:12]}.{region}.neptune.amazonaws.com",
            }
        if type_token == "aws:s3/bucket:Bucket":
            bucket = str(inputs.get("bucket") or name)
            return {
                "id": bucket,
                "bucket": bucket,
                "arn": f"arn:{PARTITION}:s3:::{bucket}",
                "bucketDomainName": f"{bucket}.s3.amazonaws.com",
                "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
            }
        if type_token == "aws:cloudfront/distribution:Distribution":
            dist_id = f"E{_short_hash(name).upper()[:13]}"
            return {
                "id": dist_id,
                "arn": f"arn:{PARTITION}:cloudfront::{account}:distribution/{dist_id}",
                "domainName": f"d{_short_hash(name, 'cf')[:13]}.cloudfront.net",
                "hostedZoneId": "Z2FDTNDATAQYW2",  # CloudFront's fixed alias zone
            }
        if type_token == "aws:apigateway/restApi:RestApi":
            api_id = _short_hash(name)[:10]
            return {
                "id": api_id,
                "arn": f"arn:{PARTITION}:apigateway:{region}::/restapis/{api_id}",
                "executionArn": f"arn:{PARTITION}:execute-api:{region}:{account}:{api_id}",
                "rootResourceId": f"{_short_hash(name, 'root')[:10]}",
            }
        if type_token == "aws:apigateway/stage:Stage":
            api_id, stage = str(inputs.get("restApi")), str(inputs.get("stageName"))
            return {
                "arn": f"arn:{PARTITION}:apigateway:{region}::/restapis/{api_id}/stages/{stage}",
                "invokeUrl": f"https://{api_id}.execute-api.{region}.amazonaws.com/{stage}",
                "executionArn": f"arn:{PARTITION}:execute-api:{region}:{account}:{api_id}/{stage}",
            }
        if type_token == "aws:sqs/queue:Queue":
            # The queue URL is what clients address (SendMessage's QueueUrl).
            return {"url": f"https://sqs.{region}.amazonaws.com/{account}/{inputs.get('name') or name}"}
        if type_token == "aws:lambda/function:Function":
            function_arn = f"arn:{PARTITION}:lambda:{region}:{account}:function:{inputs.get('name') or name}"
            return {
                "arn": function_arn,
                "invokeArn": f"arn:{PARTITION}:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
            }
        if type_token == "aws:appsync/graphQLApi:GraphQLApi":
            api_id = _short_hash(name, "api")[:26]
            return {
                "id": api_id,
                "arn": f"arn:{PARTITION}:appsync:{region}:{account}:apis/{api_id}",
                "uris": {
                    "GRAPHQL": f"https://{api_id}.appsync-api.{region}.amazonaws.com/graphql",
                    "REALTIME": f"wss://{api_id}.appsync-realtime-api.{region}.amazonaws.com/graphql",
                },
            }
        if type_token == "aws:cognito/userPool:UserPool":
            pool_id = f"{region}_{_short_hash(name, 'pool')[:9]}"
            return {
                "id": pool_id,
                "arn": f"arn:{PARTITION}:cognito-idp:{region}:{account}:userpool/{pool_id}",
                "endpoint": f"cognito-idp.{region}.amazonaws.com/{pool_id}",
            }
        if type_token == "aws:wafv2/webAcl:WebAcl":
            scope = "global" if inputs.get("scope") == "CLOUDFRONT" else "regional"
            acl_region = "us-east-1" if scope == "global" else region
            acl_id = f"{_short_hash(name, 'acl')[:8]}-0000-4000-8000-{_short_hash(name, 'w')[:12]}"
            return {
                "id": acl_id,
                "arn": f"arn:{PARTITION}:wafv2:{acl_region}:{account}:{scope}/webacl/{inputs.get('name', name)}/{acl_id}",
            }
        if type_token == "aws:iam/role:Role":
            role_name = str(inputs.get("name") or name)
            return {
                "name": role_name,
                "arn": f"arn:{PARTITION}:iam::{account}:role/{role_name}",
                "uniqueId": f"AROA{_short_hash(name).upper()}",
            }
        return {}


def render_policy_document(args: Mapping[str, Any]) -> dict[str, Any]:
    """Render ``aws.iam.get_policy_document`` arguments the way the provider does."""
    document: dict[str, Any] = {"Version": args.get("version") or "2012-10-17", "Statement": []}
    if args.get("policyId"):
        document["Id"] = args["policyId"]
    for statement in args.get("statements") or []:
        rendered: dict[str, Any] = {}
        if statement.get("sid"):
            rendered["Sid"] = statement["sid"]
        rendered["Effect"] = statement.get("effect") or "Allow"
        for key, out in (
            ("actions", "Action"),
            ("notActions", "NotAction"),
            ("resources", "Resource"),
            ("notResources", "NotResource"),
        ):
            values = statement.get(key)
            if values:
                rendered[out] = values[0] if len(values) == 1 else sorted(values, reverse=True)
        for key, out in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
            principals = statement.get(key)
            if principals:
                block: dict[str, Any] = {}
                for principal in principals:
                    ids = principal.get("identifiers") or []
                    block[principal["type"]] = ids[0] if len(ids) == 1 else ids
                rendered[out] = "*" if block == {"*": "*"} else block
        conditions = statement.get("conditions")
        if conditions:
            block_c: dict[str, dict[str, Any]] = {}
            for condition in conditions:
                values = condition.get("values") or []
                block_c.setdefault(condition["test"], {})[condition["variable"]] = (
                    values[0] if len(values) == 1 else values
                )
            rendered["Condition"] = block_c
        document["Statement"].append(rendered)
    return document


def _thread_loop(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run a monitor call on an event loop that is closed when the call returns.

    The SDK calls the monitor from a thread pool, and the mock monitor's
    ``_ensure_event_loop`` gives each worker thread a loop of its own that nothing ever
    closes; at interpreter exit such a loop is finalised after its self-pipe socket and
    ``BaseEventLoop.__del__`` prints ``ValueError: Invalid file descriptor: -1`` (a
    traceback on stderr after a clean report). A worker thread's loop is closed here."""

    @functools.wraps(method)
    def wrapper(self: Any, request: Any) -> Any:
        if threading.current_thread() is threading.main_thread():
            return method(self, request)
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            return method(self, request)
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    return wrapper


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that keeps the whole registration, not only its state."""

    Invoke = _thread_loop(pulumi_mocks.MockMonitor.Invoke)
    ReadResource = _thread_loop(pulumi_mocks.MockMonitor.ReadResource)

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.recorded: dict[str, RecordedResource] = {}
        self.stack_outputs: dict[str, Any] = {}
        self.stack_urn = ""

    @_thread_loop
    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = urn
            return resource_pb2.RegisterResourceResponse(urn=urn)

        _ensure_event_loop()  # type: ignore[no-untyped-call]
        inputs, has_secrets = rpc.deserialize_properties_unwrap_secrets(request.object)
        resource_args = pulumi_mocks.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=inputs,
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
        )
        resource_id, state = self.mocks.new_resource(resource_args)
        obj_proto = _sync_await(rpc.serialize_properties(state, {}))
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, resource_id or "", state)
        self.recorded[urn] = RecordedResource(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            inputs=dict(inputs),
            state=dict(state),
            id=resource_id or "",
            protect=bool(request.protect),
            provider=request.provider,
            dependencies=list(request.dependencies),
            property_dependencies={key: list(value.urns) for key, value in request.propertyDependencies.items()},
            additional_secret_outputs=list(request.additionalSecretOutputs),
            retain_on_delete=bool(request.retainOnDelete),
            delete_before_replace=bool(request.deleteBeforeReplace),
            ignore_changes=list(request.ignoreChanges),
            has_secrets=has_secrets,
        )
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id or "", object=obj_proto)

    @_thread_loop
    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        if request.urn == self.stack_urn:
            _ensure_event_loop()  # type: ignore[no-untyped-call]
            outputs = rpc.deserialize_properties_unwrap_secrets(request.outputs)[0]
            # pulumi.runtime.set_mocks roots a Stack of its own (no outputs) under the same URN
            # as the program's; its registration runs on a pool thread and can land after the
            # program's exports. It never carries outputs, so it must not erase them.
            if outputs or not self.stack_outputs:
                self.stack_outputs = outputs
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]
