"""Read and write ``pulumi stack export`` files (deployment version 3) as policy inputs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from policies.core import IDENTIFIER_OUTPUTS, Res, plain

SUPPORTED_VERSIONS: Final = (3,)
SKIPPED_TYPE_PREFIXES: Final = ("pulumi:providers:",)
STACK_TYPE: Final = "pulumi:pulumi:Stack"


class StateError(ValueError):
    """The state file cannot be evaluated; the message is one line for the user."""


def _identifiers(resource: Mapping[str, Any]) -> tuple[str, ...]:
    outputs = resource.get("outputs") or {}
    found = [resource.get("id")]
    found += [outputs.get(k) for k in IDENTIFIER_OUTPUTS] if isinstance(outputs, Mapping) else []
    return tuple(dict.fromkeys(str(v) for v in found if isinstance(v, str) and v))


def read(path: Path) -> tuple[str, list[Res]]:
    """(stack name, resources) from a stack export; providers and the Stack are skipped."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StateError(f"state file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise StateError(f"state file {path} cannot be read: {error}") from None
    except json.JSONDecodeError as error:
        raise StateError(f"state file {path} is not valid JSON (line {error.lineno}: {error.msg})") from None
    if not isinstance(document, dict) or "deployment" not in document:
        raise StateError(f"state file {path} is not a stack export (no 'deployment')")
    version = document.get("version")
    if version not in SUPPORTED_VERSIONS:
        raise StateError(f"state file {path} has deployment version {version!r}; only version 3 is supported")
    deployment = document["deployment"]
    if not isinstance(deployment, dict):
        raise StateError(f"state file {path}: 'deployment' must be an object")
    raw_resources = deployment.get("resources") or []
    if not isinstance(raw_resources, list):
        raise StateError(f"state file {path}: 'deployment.resources' must be a list")
    stack = ""
    resources: list[Res] = []
    for index, raw in enumerate(raw_resources):
        if not isinstance(raw, dict) or not isinstance(raw.get("urn"), str) or not isinstance(raw.get("type"), str):
            raise StateError(f"state file {path}: resource #{index + 1} has no urn/type")
        urn, res_type = raw["urn"], raw["type"]
        if res_type == STACK_TYPE:
            stack = urn.split("::")[0].rsplit(":", 1)[-1]
            continue
        if res_type.startswith(SKIPPED_TYPE_PREFIXES):
            continue
        inputs = raw.get("inputs") or {}
        if not isinstance(inputs, dict):
            raise StateError(f"state file {path}: resource {urn} has non-object inputs")
        deps = raw.get("propertyDependencies") or {}
        resources.append(
            Res(
                type=res_type,
                name=urn.rsplit("::", 1)[-1],
                urn=urn,
                props=plain(inputs),
                protect=bool(raw.get("protect", False)),
                parent=raw.get("parent") or None,
                dependencies=[str(d) for d in raw.get("dependencies") or []],
                property_dependencies={str(k): [str(u) for u in v or []] for k, v in deps.items()}
                if isinstance(deps, dict)
                else {},
                identifiers=_identifiers(raw),
            )
        )
    if not stack and resources:
        stack = resources[0].urn.split("::")[0].rsplit(":", 1)[-1]
    return stack, resources


def export_document(
    project: str,
    stack: str,
    resources: Iterable[Any],
) -> dict[str, Any]:
    """A stack-export-shaped document for ``offline.mocks.RecordedResource`` records."""
    stack_urn = f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"
    entries: list[dict[str, Any]] = [
        {"urn": stack_urn, "custom": False, "type": "pulumi:pulumi:Stack", "outputs": {}},
    ]
    for r in resources:
        entry: dict[str, Any] = {
            "urn": r.urn,
            "custom": bool(r.custom),
            "type": r.type,
            "inputs": _jsonable(r.inputs),
            "outputs": _jsonable(r.state),
            "parent": r.parent or stack_urn,
            "protect": bool(r.protect),
            "dependencies": list(r.dependencies),
            "propertyDependencies": {k: list(v) for k, v in r.property_dependencies.items()},
        }
        if r.custom:
            entry["id"] = r.id
        if r.provider:
            entry["provider"] = r.provider
        if r.additional_secret_outputs:
            entry["additionalSecretOutputs"] = list(r.additional_secret_outputs)
        entries.append(entry)
    return {
        "version": 3,
        "deployment": {
            "manifest": {"time": datetime.now(UTC).isoformat(), "magic": "", "version": "offline"},
            "resources": entries,
        },
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    # Assets, archives and other SDK objects: keep a readable marker, policies do not read them.
    return {"offline-unserializable": type(value).__name__}


def write(path: Path, project: str, stack: str, resources: Iterable[Any]) -> None:
    path.write_text(
        json.dumps(export_document(project, stack, resources), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
