"""A deployed function as Lambda runs it: its code archive unpacked alone and the
environment of its execution environment, for checks and benchmarks that start a fresh
interpreter the way Lambda does.

- "Working with .zip file archives for Python Lambda functions": the archive is unpacked
  to ``/var/task``, first on ``sys.path``; layers under ``/opt/python``:
  https://docs.aws.amazon.com/lambda/latest/dg/python-package.html
- "Defined runtime environment variables" (AWS_REGION, AWS_LAMBDA_FUNCTION_NAME, ...):
  https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi

from components.python_function import LAYERS_ROOT

#: The region the offline stacks are recorded in (Pulumi.<stack>.yaml aws:region).
REGION = "eu-west-1"


def unpack(code: pulumi.AssetArchive, root: Path) -> Path:
    """Write the archive's files under ``root`` (Lambda's ``/var/task``) and return it."""
    for path, asset in code.assets.items():
        if not isinstance(asset, pulumi.FileAsset):
            raise TypeError(f"{path}: only file assets are packed, got {type(asset).__name__}")
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(Path(asset.path).read_bytes())
    return root


def layer_paths(source: str) -> list[str]:
    """The function's built layer (``/opt/python``) when this host can load it.

    Layers are built for arm64 (the functions' architecture): their native wheels (Pillow)
    load only on an arm64 host. Elsewhere third-party packages come from this interpreter's
    own environment; what a layer holds is tests/test_build_layers.py's concern.
    """
    return [str(LAYERS_ROOT / source / "python")] if platform.machine() in ("aarch64", "arm64") else []


def runtime_environment(function: Mapping[str, Any], task: Path) -> dict[str, str]:
    """What Lambda sets for every function, the variables the stack recorded, fake
    credentials (nothing here can reach an account) and the module search path."""
    source = str(function["handler"]).split(".", 1)[0]
    return {
        "PATH": os.environ.get("PATH", ""),
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_LAMBDA_FUNCTION_NAME": str(function["name"]),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.get("memorySize", 128)),
        "PYTHONPATH": os.pathsep.join([str(task), *layer_paths(source)]),
        **{key: str(value) for key, value in (function.get("environment") or {}).get("variables", {}).items()},
    }
