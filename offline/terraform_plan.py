"""Export a stack's resources as a Terraform plan JSON, for the scanners users already run.

    python -m policies.check --program DIR --stack NAME --export-terraform-plan plan.json
    checkov -f plan.json --framework terraform_plan

pulumi-aws is bridged from the Terraform AWS provider, so every ``aws:`` resource is a
Terraform resource under another spelling: the type token names the Terraform type
(``aws:s3/bucket:Bucket`` is ``aws_s3_bucket``), camelCase inputs are the provider's
snake_case attributes, and nested blocks are lists of objects. The spelling rules are
written once, below, as tables (``TYPE_RENAMES``, ``MODULE_PREFIXES``, ``PROPERTY_RENAMES``,
``PLURAL_BLOCKS``, ``MAP_ATTRIBUTES``); resources the rules cannot spell (other providers'
and component resources) are listed in ``PlanExport.unmapped``, never dropped silently.

The document has the shape ``terraform show -json`` gives a plan that creates every
resource (format 1.2, "JSON Output Format" https://developer.hashicorp.com/terraform/internals/json-format):
``planned_values.root_module.resources`` with each resource's known values,
``resource_changes`` with ``create`` actions, and ``configuration.root_module.resources``
whose ``expressions`` carry ``references`` between resources. As in a real plan of a new
stack, an attribute that holds another resource's identifier is unknown before apply: it is
left out of the values, marked in ``after_unknown``, and named by its reference. checkov's
plan parser (checkov/terraform/plan_parser.py, ``_add_references``) puts that reference in
place of the missing value, which is how its graph checks (the ``CKV2_*`` ones that join
resources: a bucket and its public access block, a web ACL and its association) find the
connection; a value copied as a string would not connect anything.

Mapping source: the provider's own rename table, ``bridge-metadata.json`` of pulumi/pulumi-aws
(provider/cmd/pulumi-resource-aws, "renames"), for every type and property below that the
default rule does not spell.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from policies.core import Res, is_unknown

FORMAT_VERSION: Final = "1.2"
#: The Terraform version the document claims; checkov reads any 1.x plan.
TERRAFORM_VERSION: Final = "1.9.8"
PROVIDER_NAME: Final = "registry.terraform.io/hashicorp/aws"

#: Pulumi type tokens whose Terraform type the default rule does not spell.
TYPE_RENAMES: Final[Mapping[str, str]] = {
    "aws:appsync/dataSource:DataSource": "aws_appsync_datasource",
    "aws:cfg/rule:Rule": "aws_config_config_rule",
    "aws:cfg/recorder:Recorder": "aws_config_configuration_recorder",
    "aws:cfg/recorderStatus:RecorderStatus": "aws_config_configuration_recorder_status",
    "aws:cloudtrail/trail:Trail": "aws_cloudtrail",
    "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment": "aws_cognito_identity_pool_roles_attachment",
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": "aws_sqs_queue_redrive_allow_policy",
    "aws:s3/bucketV2:BucketV2": "aws_s3_bucket",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:apigateway/response:Response": "aws_api_gateway_gateway_response",
}

#: Pulumi module -> Terraform type prefix, where it is not ``aws_<module>_``.
MODULE_PREFIXES: Final[Mapping[str, str]] = {
    "ec2": "aws_",  # aws:ec2/vpc:Vpc -> aws_vpc, aws:ec2/subnet:Subnet -> aws_subnet
    "apigateway": "aws_api_gateway_",
    "cfg": "aws_config_",
}

#: Per type: Pulumi property -> Terraform attribute, where Pulumi renamed it (the bridge's
#: ``renames``); top-level properties only, nested ones follow the default rules.
PROPERTY_RENAMES: Final[Mapping[str, Mapping[str, str]]] = {
    "aws:lambda/function:Function": {"name": "function_name", "code": "filename"},
    "aws:lambda/layerVersion:LayerVersion": {"code": "filename"},
    "aws:lambda/permission:Permission": {"function": "function_name"},
    "aws:sns/topicSubscription:TopicSubscription": {"topic": "topic_arn"},
    "aws:apigateway/stage:Stage": {"restApi": "rest_api_id", "deployment": "deployment_id"},
    **{
        f"aws:apigateway/{module}:{kind}": {"restApi": "rest_api_id"}
        for module, kind in (
            ("deployment", "Deployment"),
            ("method", "Method"),
            ("integration", "Integration"),
            ("integrationResponse", "IntegrationResponse"),
            ("methodResponse", "MethodResponse"),
            ("methodSettings", "MethodSettings"),
            ("resource", "Resource"),
            ("authorizer", "Authorizer"),
            ("model", "Model"),
            ("requestValidator", "RequestValidator"),
            ("restApiPolicy", "RestApiPolicy"),
        )
    },
}

#: Lists of blocks Pulumi keeps plural because Terraform's attribute is plural too; every
#: other list of objects is a Terraform block Pulumi pluralised (``rules`` is ``rule``).
PLURAL_BLOCKS: Final = frozenset(
    {"cognitoIdentityProviders", "redactedFields", "ingress", "egress", "items", "headers", "cookies", "sourceDetails"}
)
#: Irregular singulars of pluralised block names.
SINGULARS: Final[Mapping[str, str]] = {
    "globalSecondaryIndexes": "global_secondary_index",
    "localSecondaryIndexes": "local_secondary_index",
    "metricQueries": "metric_query",
    "customResponseBodies": "custom_response_body",
    "sourceDetails": "source_detail",
}

#: Attributes whose value is a map (free-form keys that are data, kept as written).
MAP_ATTRIBUTES: Final = frozenset(
    {
        "tags",
        "tagsAll",
        "variables",
        "requestParameters",
        "requestTemplates",
        "requestModels",
        "responseParameters",
        "responseTemplates",
        "responseModels",
        "stageVariables",
        "environmentVariables",
        "attributes",
        "principalTags",
        "logins",
        "supportedLoginProviders",
        "roles",
        "inputParameters",
    }
)

_CAMEL: Final = re.compile(r"^[a-z][a-zA-Z0-9]*$")
_IDENTIFIER_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_-]")


class PlanExportError(ValueError):
    """The plan cannot be written; the message is one line for the user."""


def snake(name: str) -> str:
    """camelCase -> snake_case the way the bridge spells Terraform names (``graphQLApi`` -> ``graphql_api``)."""
    name = name.replace("GraphQL", "Graphql").replace("graphQL", "graphql")
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return name.lower()


def terraform_type(pulumi_type: str) -> str | None:
    """The Terraform type of a pulumi-aws type token, or None when it is not one."""
    if pulumi_type in TYPE_RENAMES:
        return TYPE_RENAMES[pulumi_type]
    parts = pulumi_type.split(":")
    if len(parts) != 3 or parts[0] != "aws" or "/" not in parts[1]:
        return None
    module, resource = parts[1].split("/", 1)
    prefix = MODULE_PREFIXES.get(module, f"aws_{snake(module)}_")
    return prefix + snake(resource)


def is_provider_type(pulumi_type: str) -> bool:
    """A provider's resource (``pkg:module/resource:Type``) rather than a component of the program."""
    parts = pulumi_type.split(":")
    return len(parts) == 3 and "/" in parts[1] and not pulumi_type.startswith("pulumi:")


def singular(name: str) -> str:
    """The Terraform block name of a Pulumi plural (``rules`` -> ``rule``, ``origins`` -> ``origin``)."""
    if name in SINGULARS:
        return SINGULARS[name]
    if name.endswith("ies"):
        return snake(name[:-3] + "y")
    if name.endswith("sses") or name.endswith("shes"):
        return snake(name[:-2])
    if name.endswith("s") and not name.endswith("ss"):
        return snake(name[:-1])
    return snake(name)


def attribute_name(pulumi_type: str, prop: str, value: Any, *, top_level: bool) -> str:
    """The Terraform attribute a Pulumi property is spelled as."""
    if top_level and prop in PROPERTY_RENAMES.get(pulumi_type, {}):
        return PROPERTY_RENAMES[pulumi_type][prop]
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value) and prop not in PLURAL_BLOCKS:
        return singular(prop)
    return snake(prop)


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | Mapping)


def convert_value(pulumi_type: str, prop: str, value: Any) -> Any:
    """A Pulumi input value as Terraform plan JSON: objects become one-element block lists."""
    if prop in MAP_ATTRIBUTES and isinstance(value, Mapping):
        return {str(k): v for k, v in value.items() if _jsonable(v) and not is_unknown(v)}
    if isinstance(value, Mapping):
        return [convert_block(pulumi_type, value)]
    if isinstance(value, list):
        return [
            convert_block(pulumi_type, item) if isinstance(item, Mapping) else item
            for item in value
            if _jsonable(item) and not is_unknown(item)
        ]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def convert_block(pulumi_type: str, props: Mapping[str, Any], *, top_level: bool = False) -> dict[str, Any]:
    """Pulumi (camelCase, objects) -> Terraform (snake_case, blocks as lists); keys that are
    data rather than attribute names (not camelCase) are kept as written."""
    converted: dict[str, Any] = {}
    for prop, value in props.items():
        if is_unknown(value) or not _jsonable(value) or _is_offline_marker(value):
            continue
        key = attribute_name(pulumi_type, prop, value, top_level=top_level) if _CAMEL.match(prop) else prop
        converted[key] = convert_value(pulumi_type, prop, value)
    return converted


def _is_offline_marker(value: Any) -> bool:
    """``policies.state`` writes assets and archives as ``{"offline-unserializable": ...}``."""
    return isinstance(value, Mapping) and set(value) == {"offline-unserializable"}


@dataclass
class PlanExport:
    """The plan document and what the export could not express."""

    document: dict[str, Any]
    #: Provider resource types with no Terraform AWS equivalent (other providers), with counts.
    unmapped: dict[str, int] = field(default_factory=dict)
    #: Component resource types (groupings of the program, no cloud resource of their own), with counts.
    components: dict[str, int] = field(default_factory=dict)
    #: Terraform address -> the Pulumi URN it was exported from.
    addresses: dict[str, str] = field(default_factory=dict)

    def urn_of(self, address: str) -> str | None:
        return self.addresses.get(address)


def _address_name(res: Res, taken: set[str], tf_type: str) -> str:
    base = _IDENTIFIER_UNSAFE.sub("_", res.name) or "resource"
    if base[0].isdigit():
        base = f"r_{base}"
    name, counter = base, 2
    while f"{tf_type}.{name}" in taken:
        name, counter = f"{base}_{counter}", counter + 1
    return name


#: Suffixes a program appends to another resource's ARN in one input (a log group's ``:*``
#: for CloudTrail, an object ARN's ``/*``): still a reference to that resource in Terraform
#: (``"${aws_cloudwatch_log_group.x.arn}:*"``), so still unknown before apply.
REFERENCE_SUFFIXES: Final = (":*", "/*")


def _target_of(value: str, targets: Mapping[str, tuple[str, str]]) -> tuple[str, str] | None:
    """(address, attribute) of the resource whose identifier ``value`` is (or extends by a suffix)."""
    if value in targets:
        return targets[value]
    for suffix in REFERENCE_SUFFIXES:
        if value.endswith(suffix) and value[: -len(suffix)] in targets:
            return targets[value[: -len(suffix)]]
    if not value.lstrip().startswith(("{", "[")):
        # An ARN built into another identifier (API Gateway's invoke URI of a function is
        # ``arn:aws:apigateway:...:path/2015-03-31/functions/<function ARN>/invocations``, the
        # function's ``invoke_arn`` in Terraform). Never inside a JSON document: a policy stays
        # a known value checkov reads.
        for known, target in targets.items():
            if known.startswith("arn:") and known in value:
                return target[0], "invoke_arn" if "/invocations" in value else target[1]
    return None


def _referencing(value: Any, targets: Mapping[str, tuple[str, str]]) -> tuple[Any, Any, list[str]]:
    """Split ``value`` into (known part, after_unknown marks, references).

    A string leaf equal to an identifier of a resource the property depends on becomes
    unknown and a reference, as in a plan where that resource is created first.
    """
    if isinstance(value, str):
        target = _target_of(value, targets)
        if target is not None:
            address, attribute = target
            return None, True, [f"{address}.{attribute}", address]
        return value, False, []
    if isinstance(value, list):
        known: list[Any] = []
        marks: list[Any] = []
        refs: list[str] = []
        unknown_scalar = False
        for item in value:
            item_known, item_mark, item_refs = _referencing(item, targets)
            refs += item_refs
            if isinstance(item, Mapping):
                known.append(item_known)
                marks.append(item_mark)
            elif item_mark is True:
                unknown_scalar = True
            else:
                known.append(item_known)
        if unknown_scalar:  # a list with an unknown element is unknown as a whole in a plan
            return None, True, refs
        return known, marks if any(m not in (False, {}, []) for m in marks) else False, refs
    if isinstance(value, dict):
        known_d: dict[str, Any] = {}
        marks_d: dict[str, Any] = {}
        refs_d: list[str] = []
        for key, item in value.items():
            item_known, item_mark, item_refs = _referencing(item, targets)
            refs_d += item_refs
            if item_mark is True:
                marks_d[key] = True
            else:
                known_d[key] = item_known
                if item_mark:
                    marks_d[key] = item_mark
        return known_d, marks_d or False, refs_d
    return value, False, []


def _expressions(
    values: Mapping[str, Any], marks: Mapping[str, Any], refs_by_attr: Mapping[str, list[str]]
) -> dict[str, Any]:
    """``configuration`` expressions: a constant per known attribute, references where unknown."""
    expressions: dict[str, Any] = {}
    for key, value in values.items():
        if key not in refs_by_attr and not isinstance(value, list | dict):
            expressions[key] = {"constant_value": value}
    for key, refs in refs_by_attr.items():
        if marks.get(key) is True:
            expressions[key] = {"references": list(dict.fromkeys(refs))}
        elif isinstance(values.get(key), list) and isinstance(marks.get(key), list):
            # Nested block: one expressions object per block, references on its unknown attributes.
            blocks = []
            for block, block_marks in zip(values[key], marks[key], strict=False):
                if isinstance(block, dict) and isinstance(block_marks, dict):
                    blocks.append({k: {"references": refs} for k in block_marks if block_marks[k] is True})
                else:
                    blocks.append({})
            expressions[key] = blocks
    return expressions


def _identifiers(res: Res, address: str) -> dict[str, tuple[str, str]]:
    """Values another resource's input may take from ``res``: the provider-assigned identifiers
    (id, ARN) and its own top-level string inputs (a stage's ``stageName``, a bucket's
    ``bucket``), each with the Terraform attribute it is. Only inputs that depend on ``res``
    (property dependencies) are matched against them, so a shared value elsewhere is never
    taken for a reference."""
    found: dict[str, tuple[str, str]] = {}
    for prop, value in res.props.items():
        if isinstance(value, str) and value and not is_unknown(value) and _CAMEL.match(prop):
            found.setdefault(value, (address, attribute_name(res.type, prop, value, top_level=True)))
    for value in res.identifiers:
        found[value] = (address, "arn" if value.startswith("arn:") else "id")
    return found


def export(resources: Iterable[Res], *, region: str | None = None) -> PlanExport:
    """The Terraform plan document of ``resources`` (``Res`` views, as the packs see them)."""
    views = list(resources)
    unmapped: Counter[str] = Counter()
    components: Counter[str] = Counter()
    mapped: list[tuple[Res, str, str]] = []
    taken: set[str] = set()
    for res in views:
        tf_type = terraform_type(res.type)
        if tf_type is None:
            (unmapped if is_provider_type(res.type) else components)[res.type] += 1
            continue
        name = _address_name(res, taken, tf_type)
        taken.add(f"{tf_type}.{name}")
        mapped.append((res, tf_type, name))
    address_of_urn = {res.urn: f"{tf_type}.{name}" for res, tf_type, name in mapped}
    identifiers = {res.urn: _identifiers(res, address_of_urn[res.urn]) for res, _tf_type, _name in mapped}

    planned: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    configured: list[dict[str, Any]] = []
    for res, tf_type, name in sorted(mapped, key=lambda item: (item[1], item[2])):
        address = f"{tf_type}.{name}"
        values = convert_block(res.type, res.props, top_level=True)
        after_unknown: dict[str, Any] = {}
        refs_by_attr: dict[str, list[str]] = {}
        by_prop = {
            attribute_name(res.type, p, v, top_level=True) if _CAMEL.match(p) else p: p for p, v in res.props.items()
        }
        for attr in list(values):
            prop = by_prop.get(attr, attr)
            targets: dict[str, tuple[str, str]] = {}
            for urn in res.deps_of(prop):
                targets.update(identifiers.get(urn, {}))
            if not targets:
                continue
            known, marks, refs = _referencing(values[attr], targets)
            if not refs:
                continue
            refs_by_attr[attr] = refs
            if marks is True:
                del values[attr]
                after_unknown[attr] = True
            else:
                values[attr] = known
                after_unknown[attr] = marks
        for attr in ("id", "arn"):
            after_unknown.setdefault(attr, True)
        planned.append(
            {
                "address": address,
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "provider_name": PROVIDER_NAME,
                "schema_version": 0,
                "values": values,
                "sensitive_values": {},
            }
        )
        changes.append(
            {
                "address": address,
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "provider_name": PROVIDER_NAME,
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": values,
                    "after_unknown": after_unknown,
                    "before_sensitive": False,
                    "after_sensitive": {},
                },
            }
        )
        configured.append(
            {
                "address": address,
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "provider_config_key": "aws",
                "expressions": _expressions(values, after_unknown, refs_by_attr),
                "schema_version": 0,
            }
        )
    provider: dict[str, Any] = {"name": "aws", "full_name": PROVIDER_NAME}
    if region:
        provider["expressions"] = {"region": {"constant_value": region}}
    document = {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"provider_config": {"aws": provider}, "root_module": {"resources": configured}},
    }
    return PlanExport(
        document=document,
        unmapped=dict(sorted(unmapped.items())),
        components=dict(sorted(components.items())),
        addresses={address: urn for urn, address in address_of_urn.items()},
    )


def write_plan(path: Path, plan: PlanExport) -> None:
    """Write the plan JSON; an unwritable path is one line (``PlanExportError``)."""
    try:
        path.write_text(json.dumps(plan.document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as error:
        raise PlanExportError(f"cannot write the Terraform plan to {path}: {error.strerror or error}") from None


def unmapped_warning(plan: PlanExport) -> list[str]:
    """One warning line per resource type left out of the plan."""
    return [
        f"terraform plan: {count} resource(s) of type {res_type} not exported (no Terraform AWS equivalent)"
        for res_type, count in plan.unmapped.items()
    ]
