"""Synthesised answers for data sources (``invoke``s) a third-party program calls offline.

The catalogue is derived from the installed provider SDKs, not a hand list: every
generated data-source function calls ``pulumi.runtime.invoke('<token>', __args__, opts=opts,
typ=<Get…Result>)``, so scanning a package's sources for that call gives every token and
its result class. An answer is shaped from that class's properties (their Pulumi names
and type hints): strings, numbers, lists and nested result types get plausible values,
and any argument the program passed under a result property's name is echoed back (a
``get_vpc(id=…)`` answers with that id). The common ones get values a program can rely
on (``COMMON``): default VPC and subnets, AMIs, ACM certificates, Route 53 zones, ECR
auth. Each synthesised answer is a stand-in, so the runtime reports it as a warning.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import util as importlib_util
from pathlib import Path
from typing import Any

from pulumi import _types as pulumi_types

_INVOKE = re.compile(r"runtime\.invoke\(\s*'(?P<token>[^']+)'\s*,\s*__args__\s*,\s*opts=opts\s*,\s*typ=(?P<typ>\w+)")
#: How deep nested result types are filled (deeper levels answer empty).
_MAX_DEPTH = 3


@dataclass(frozen=True)
class DataSource:
    token: str
    module: str
    result_class: str


@functools.cache
def catalogue(package: str) -> dict[str, DataSource]:
    """Every data-source token of an installed Pulumi provider SDK (``pulumi_aws``, …)."""
    spec = importlib_util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return {}
    found: dict[str, DataSource] = {}
    for root in spec.submodule_search_locations:
        base = Path(root)
        for path in base.rglob("*.py"):
            text = path.read_text(encoding="utf-8", errors="replace")
            if "runtime.invoke(" not in text:
                continue
            parts = path.relative_to(base).with_suffix("").parts
            module = ".".join((package, *(p for p in parts if p != "__init__")))
            for match in _INVOKE.finditer(text):
                found.setdefault(match["token"], DataSource(match["token"], module, match["typ"]))
    return found


def package_of(token: str) -> str:
    """The Python SDK package of a token's provider (``aws:ec2/getVpc:getVpc`` -> ``pulumi_aws``)."""
    return "pulumi_" + token.split(":", 1)[0].replace("-", "_")


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def lookup(token: str) -> DataSource | None:
    """The data source behind ``token``: first the file the SDK generator names after it
    (``aws:ec2/getVpc:getVpc`` -> ``pulumi_aws/ec2/get_vpc.py``), else the whole catalogue
    (scanning every file of pulumi-aws takes about a second)."""
    package = package_of(token)
    parts = token.split(":")
    spec = importlib_util.find_spec(package)
    if len(parts) == 3 and spec is not None and spec.submodule_search_locations:
        module_dir, _, function = parts[1].rpartition("/")
        subdir = [] if module_dir in ("", "index") else [_snake(part) for part in module_dir.split("/")]
        for root in spec.submodule_search_locations:
            path = Path(root, *subdir, f"{_snake(function)}.py")
            if path.is_file():
                for match in _INVOKE.finditer(path.read_text(encoding="utf-8", errors="replace")):
                    if match["token"] == token:
                        return DataSource(token, ".".join((package, *subdir, path.stem)), match["typ"])
    return catalogue(package).get(token)


@dataclass
class Context:
    token: str
    args: Mapping[str, Any]
    region: str
    account_id: str
    partition: str = "aws"

    def suffix(self, *salt: str) -> str:
        return hashlib.sha256("/".join((self.token, repr(sorted(self.args.items())), *salt)).encode()).hexdigest()[:17]


def _words(name: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)]


def _service(token: str) -> str:
    module = token.split(":")[1].split("/")[0] if token.count(":") >= 2 else "index"
    return {"index": "iam", "cloudwatch": "logs", "vpc": "ec2"}.get(module, module)


def _string(name: str, ctx: Context) -> str:
    """A plausible string for a result property called ``name`` (its Pulumi camelCase name)."""
    words = _words(name)
    last = words[-1] if words else ""
    if name in ("region",):
        return ctx.region
    if name in ("accountId", "ownerId", "awsAccountId"):
        return ctx.account_id
    if name == "partition":
        return ctx.partition
    if last == "arn":
        return f"arn:{ctx.partition}:{_service(ctx.token)}:{ctx.region}:{ctx.account_id}:offline/{ctx.suffix(name)}"
    if name == "availabilityZone":
        return f"{ctx.region}a"
    if last == "cidr" or name.endswith("CidrBlock") or name == "cidrBlock":
        return "10.0.0.0/16"
    if last in ("url", "endpoint") or name.endswith("Url"):
        return f"https://offline.{ctx.region}.amazonaws.com"
    if last == "state" or last == "status":
        return "available"
    if last == "id" and len(words) > 1:
        return f"{words[-2]}-{ctx.suffix(name)}"
    if last == "json" or last == "policy" or last == "document":
        return "{}"
    return f"offline-{ctx.suffix(name)[:8]}"


def _value(hint: Any, name: str, ctx: Context, depth: int) -> Any:
    origin = typing.get_origin(hint)
    if origin is typing.Union:
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _value(options[0], name, ctx, depth) if options else None
    if hint is str:
        return _string(name, ctx)
    if hint is bool:
        return False
    if hint is int:
        return 1
    if hint is float:
        return 1.0
    if origin in (list, Sequence, typing.Sequence) or (origin is not None and _is_sequence(origin)):
        (item,) = typing.get_args(hint) or (str,)
        if depth >= _MAX_DEPTH:
            return []
        singular = name[:-1] if name.endswith("s") else name
        return [_value(item, singular, ctx, depth + 1)]
    if origin in (dict, Mapping, typing.Mapping) or hint is dict:
        return {}
    if isinstance(hint, type) and pulumi_types.is_output_type(hint):
        return shape_class(hint, ctx, depth + 1) if depth < _MAX_DEPTH else {}
    return None


def _is_sequence(origin: Any) -> bool:
    try:
        return issubclass(origin, Sequence) and not issubclass(origin, str | bytes)
    except TypeError:
        return False


def shape_class(cls: type, ctx: Context, depth: int = 0) -> dict[str, Any]:
    """A dict keyed by the Pulumi names of ``cls``'s properties, each given a plausible value."""
    result: dict[str, Any] = {}
    for _, pulumi_name, prop in pulumi_types._py_properties(cls):  # the SDK's own property table
        try:
            hint = typing.get_type_hints(prop.fget).get("return", str)
        except Exception:  # noqa: BLE001 - an unresolvable hint still gets a string
            hint = str
        if depth == 0 and pulumi_name in ctx.args and ctx.args[pulumi_name] is not None:
            result[pulumi_name] = ctx.args[pulumi_name]
        else:
            result[pulumi_name] = _value(hint, pulumi_name, ctx, depth)
    return result


def synthesise(token: str, args: Mapping[str, Any], *, region: str, account_id: str) -> dict[str, Any] | None:
    """A synthesised answer for ``token``, or ``None`` when no installed SDK defines it."""
    source = lookup(token)
    if source is None:
        return None
    ctx = Context(token, args, region, account_id)
    try:
        cls = getattr(importlib.import_module(source.module), source.result_class)
    except (ImportError, AttributeError):
        return None
    answer = shape_class(cls, ctx)
    if "id" in answer and not args.get("id"):
        answer["id"] = f"offline-{ctx.suffix('id')}"
    common = COMMON.get(token)
    if common is not None:
        answer.update(common(ctx))
    return answer


# -- plausible values for the data sources real programs call most ----------------------
def _vpc(ctx: Context) -> dict[str, Any]:
    vpc_id = str(ctx.args.get("id") or f"vpc-{ctx.suffix('vpc')}")
    return {
        "id": vpc_id,
        "arn": f"arn:{ctx.partition}:ec2:{ctx.region}:{ctx.account_id}:vpc/{vpc_id}",
        "cidrBlock": "172.31.0.0/16",  # the default VPC's CIDR block
        "default": bool(ctx.args.get("default", True)),
        "ownerId": ctx.account_id,
        "state": "available",
        "enableDnsHostnames": True,
        "enableDnsSupport": True,
        "instanceTenancy": "default",
        "mainRouteTableId": f"rtb-{ctx.suffix('rtb')}",
    }


def _subnet_ids(ctx: Context) -> dict[str, Any]:
    return {"ids": [f"subnet-{ctx.suffix(str(i))}" for i in range(3)]}


def _subnet(ctx: Context) -> dict[str, Any]:
    subnet_id = str(ctx.args.get("id") or f"subnet-{ctx.suffix('subnet')}")
    return {
        "id": subnet_id,
        "arn": f"arn:{ctx.partition}:ec2:{ctx.region}:{ctx.account_id}:subnet/{subnet_id}",
        "vpcId": f"vpc-{ctx.suffix('vpc')}",
        "cidrBlock": "172.31.0.0/20",
        "availabilityZone": f"{ctx.region}a",
        "state": "available",
        "ownerId": ctx.account_id,
    }


def _ami(ctx: Context) -> dict[str, Any]:
    image_id = f"ami-{ctx.suffix('ami')}"
    return {
        "id": image_id,
        "imageId": image_id,
        "arn": f"arn:{ctx.partition}:ec2:{ctx.region}::image/{image_id}",
        "architecture": "x86_64",
        "state": "available",
        "rootDeviceType": "ebs",
        "virtualizationType": "hvm",
        "ownerId": ctx.account_id,
        "name": "offline-ami",
    }


def _certificate(ctx: Context) -> dict[str, Any]:
    domain = str(ctx.args.get("domain") or "example.com")
    cert = ctx.suffix("cert")
    return {
        "arn": f"arn:{ctx.partition}:acm:{ctx.region}:{ctx.account_id}:certificate/{cert[:8]}-0000-4000-8000-{cert[:12]}",
        "domain": domain,
        "status": "ISSUED",
        "id": domain,
    }


def _zone(ctx: Context) -> dict[str, Any]:
    name = str(ctx.args.get("name") or "example.com").rstrip(".")
    zone_id = str(ctx.args.get("zoneId") or f"Z{ctx.suffix('zone').upper()[:13]}")
    return {
        "zoneId": zone_id,
        "id": zone_id,
        "name": name,
        "arn": f"arn:{ctx.partition}:route53:::hostedzone/{zone_id}",
        "privateZone": bool(ctx.args.get("privateZone", False)),
        "nameServers": [f"ns-{i}.awsdns-offline.org" for i in range(4)],
        "resourceRecordSetCount": 2,
    }


def _ecr_auth(ctx: Context) -> dict[str, Any]:
    password = "offline-ecr-password"  # noqa: S105 - a stand-in, not a credential
    registry = f"{ctx.account_id}.dkr.ecr.{ctx.region}.amazonaws.com"
    return {
        "authorizationToken": base64.b64encode(f"AWS:{password}".encode()).decode(),
        "userName": "AWS",
        "password": password,
        "proxyEndpoint": f"https://{registry}",
        "expiresAt": "2099-01-01T00:00:00Z",
        "id": ctx.region,
    }


def _ecr_repository(ctx: Context) -> dict[str, Any]:
    name = str(ctx.args.get("name") or "offline")
    return {
        "repositoryUrl": f"{ctx.account_id}.dkr.ecr.{ctx.region}.amazonaws.com/{name}",
        "arn": f"arn:{ctx.partition}:ecr:{ctx.region}:{ctx.account_id}:repository/{name}",
        "registryId": ctx.account_id,
    }


def _security_group(ctx: Context) -> dict[str, Any]:
    group_id = str(ctx.args.get("id") or f"sg-{ctx.suffix('sg')}")
    return {"id": group_id, "arn": f"arn:{ctx.partition}:ec2:{ctx.region}:{ctx.account_id}:security-group/{group_id}"}


def _iam_role(ctx: Context) -> dict[str, Any]:
    name = str(ctx.args.get("name") or "offline")
    return {"arn": f"arn:{ctx.partition}:iam::{ctx.account_id}:role/{name}", "name": name, "id": name}


def _iam_policy(ctx: Context) -> dict[str, Any]:
    name = str(ctx.args.get("name") or "offline")
    arn = str(ctx.args.get("arn") or f"arn:{ctx.partition}:iam::{ctx.account_id}:policy/{name}")
    return {"arn": arn, "name": arn.rsplit("/", 1)[-1], "policy": '{"Version":"2012-10-17","Statement":[]}'}


def _kms_key(ctx: Context) -> dict[str, Any]:
    key = ctx.suffix("key")
    key_id = f"{key[:8]}-0000-4000-8000-{key[:12]}"
    return {"id": key_id, "arn": f"arn:{ctx.partition}:kms:{ctx.region}:{ctx.account_id}:key/{key_id}"}


COMMON: dict[str, Callable[[Context], dict[str, Any]]] = {
    "aws:ec2/getVpc:getVpc": _vpc,
    "aws:ec2/getSubnets:getSubnets": _subnet_ids,
    "aws:ec2/getSubnetIds:getSubnetIds": _subnet_ids,
    "aws:ec2/getSubnet:getSubnet": _subnet,
    "aws:ec2/getAmi:getAmi": _ami,
    "aws:ec2/getSecurityGroup:getSecurityGroup": _security_group,
    "aws:acm/getCertificate:getCertificate": _certificate,
    "aws:route53/getZone:getZone": _zone,
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": _ecr_auth,
    "aws:ecr/getRepository:getRepository": _ecr_repository,
    "aws:iam/getRole:getRole": _iam_role,
    "aws:iam/getPolicy:getPolicy": _iam_policy,
    "aws:kms/getKey:getKey": _kms_key,
}


# -- resources of providers the packs do not cover --------------------------------------
_REGISTER = re.compile(r'resource_modules="""(?P<json>.*?)"""', re.S)


@functools.cache
def resource_classes(package: str) -> dict[str, tuple[str, str]]:
    """``type token -> (module, class)`` from the package's own registration table."""
    import json

    spec = importlib_util.find_spec(package)
    if spec is None or spec.origin is None:
        return {}
    match = _REGISTER.search(Path(spec.origin).read_text(encoding="utf-8", errors="replace"))
    if match is None:
        return {}
    classes: dict[str, tuple[str, str]] = {}
    for entry in json.loads(match["json"]):
        for token, name in (entry.get("classes") or {}).items():
            classes[token] = (str(entry["fqn"]), name)  # fqn: the module that exports the class
    return classes


def resource_outputs(token: str, inputs: Mapping[str, Any], *, region: str, account_id: str) -> dict[str, Any]:
    """Plausible values for the outputs of a resource (of any installed SDK) the inputs lack,
    so a program that reads ``random.RandomPassword(...).result`` gets a string, not ``None``."""
    entry = resource_classes(package_of(token)).get(token)
    if entry is None:
        return {}
    try:
        cls = getattr(importlib.import_module(entry[0]), entry[1])
    except (ImportError, AttributeError):
        return {}
    ctx = Context(token, {}, region, account_id)
    filled: dict[str, Any] = {}
    for _, pulumi_name, prop in pulumi_types._py_properties(cls):  # the SDK's own property table
        if pulumi_name in inputs:
            continue
        try:
            hint = typing.get_type_hints(prop.fget).get("return", str)
        except Exception:  # noqa: BLE001 - an unresolvable hint still gets a string
            hint = str
        args = typing.get_args(hint)
        filled[pulumi_name] = _value(args[0] if args else str, pulumi_name, ctx, 1)
    return filled
