"""Read a Pulumi project and one of its stack files the way the CLI does, offline."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

#: What a stack name may look like (the CLI's own rule, minus org/project prefixes).
STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
#: Offline stand-in for a value set with ``pulumi config set --secret``: ciphertext in
#: a stack file can only be decrypted by the stack's secrets provider, which needs the
#: user's credentials. The value is marked secret so nothing prints it.
SECRET_PLACEHOLDER = "offline-secret-placeholder"  # noqa: S105 - a marker, not a credential


class StackFileError(Exception):
    """The project or stack files cannot be read; the message is one line for the user."""


@dataclass(frozen=True)
class StackFiles:
    project: str
    main: Path
    program_dir: Path
    stack: str
    config: dict[str, str]
    secret_keys: list[str]

    @property
    def region(self) -> str | None:
        return self.config.get("aws:region")


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise StackFileError(f"{path.name} is not valid YAML{where}") from None


def namespaced(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _as_config_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def known_stacks(program_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in program_dir.glob("Pulumi.*.yaml"))


#: The stack name used when none is given and the program has no stack file (the CLI's
#: ``pulumi stack init`` default suggestion; the name only appears in URNs and reports).
DEFAULT_STACK = "dev"


def choose_stack(program_dir: Path, stack: str | None, config_file: Path | None = None) -> str:
    """The stack to run when the user may not have named one, the way a new user expects.

    An explicit ``stack`` wins. Otherwise: the stack ``config_file`` is named after, the one
    stack file's stack when there is exactly one, ``DEFAULT_STACK`` with empty config when there
    is none (most programs commit no stack file), and an error naming the choices when
    there are several (offline there is no selected stack to fall back on)."""
    if stack is not None:
        return stack
    if config_file is not None:
        # ``Pulumi.staging.yaml`` and ``staging.yaml`` both name the stack ``staging``.
        match = re.fullmatch(r"(?:Pulumi\.)?(.+?)\.ya?ml", config_file.name)
        return match.group(1) if match and STACK_NAME.match(match.group(1)) else DEFAULT_STACK
    stacks = known_stacks(program_dir.resolve())
    if not stacks:
        return DEFAULT_STACK
    if len(stacks) == 1:
        return stacks[0]
    raise StackFileError(f"the program has several stacks ({', '.join(stacks)}): choose one with --stack")


def load(program_dir: Path, stack: str, config_file: Path | None = None) -> StackFiles:
    """Load ``Pulumi.yaml`` and the stack's config (``Pulumi.<stack>.yaml`` or ``config_file``).

    A stack without a stack file runs on the project's defaults alone, as a freshly
    initialised stack does, unless the program has other stack files (then the name is
    most likely a typo and is refused)."""
    program_dir = program_dir.resolve()
    project_file = program_dir / "Pulumi.yaml"
    if not project_file.is_file():
        raise StackFileError(f"{program_dir} has no Pulumi.yaml: not a Pulumi project directory")
    project_doc = _load_yaml(project_file)
    if not isinstance(project_doc, dict) or not isinstance(project_doc.get("name"), str):
        raise StackFileError("Pulumi.yaml must be a mapping with a string 'name'")
    project = project_doc["name"]
    runtime = project_doc.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise StackFileError(f"Pulumi.yaml runtime is {runtime_name!r}; only Python programs can be run offline")
    main_dir = program_dir / str(project_doc.get("main", "."))
    main = main_dir if main_dir.suffix == ".py" else main_dir / "__main__.py"
    if not main.is_file():
        raise StackFileError(f"{main} does not exist: the program has no entry point")

    if not STACK_NAME.match(stack):
        raise StackFileError(f"invalid stack name {stack!r}: use letters, digits, '-', '_' or '.'")

    config: dict[str, str] = {}
    secret_keys: list[str] = []
    project_config = project_doc.get("config") or {}
    if not isinstance(project_config, dict):
        raise StackFileError("Pulumi.yaml 'config' must be a mapping")
    for key, spec in project_config.items():
        value = spec.get("default", spec.get("value")) if isinstance(spec, dict) else spec
        if value is not None:
            config[namespaced(project, key)] = _as_config_string(value)

    stack_file = config_file if config_file is not None else program_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        if config_file is not None:
            raise StackFileError(f"stack file {config_file} does not exist")
        stacks = known_stacks(program_dir)
        if stacks:
            raise StackFileError(f"unknown stack {stack!r}: no Pulumi.{stack}.yaml (known stacks: {', '.join(stacks)})")
        return StackFiles(project, main, program_dir, stack, config, secret_keys)
    stack_doc = _load_yaml(stack_file) or {}
    if not isinstance(stack_doc, dict):
        raise StackFileError(f"{stack_file.name} must be a mapping")
    stack_config = stack_doc.get("config") or {}
    if not isinstance(stack_config, dict):
        raise StackFileError(f"{stack_file.name}: 'config' must be a mapping")
    for key, value in stack_config.items():
        full_key = namespaced(project, str(key))
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full_key] = SECRET_PLACEHOLDER
            secret_keys.append(full_key)
        else:
            config[full_key] = _as_config_string(value)
    return StackFiles(project, main, program_dir, stack, config, secret_keys)
