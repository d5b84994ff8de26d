"""Each deployed function's handler string resolves in its own code archive, as Lambda
resolves it: the archive unpacked alone (Lambda's ``/var/task`` is the archive's root and
the first entry on ``sys.path``), its built layer beside it (``/opt/python``), a fresh
interpreter, and the environment the stack recorded for it.

The handler string is ``<source>.handler.handler`` for every function (one layout:
``functions/<source>/`` is a package named after its folder). A module that imports
``app`` or ``poller.…`` as a top-level name only because the tests put a function's folder
on ``sys.path`` would pass every in-process test and fail its first invocation.
- "Define Lambda function handler in Python" (handler naming, ``file_name.function`` and
  packages): https://docs.aws.amazon.com/lambda/latest/dg/python-handler.html
- "Working with .zip file archives for Python Lambda functions" (the archive's root on
  ``sys.path``; layers under ``/opt/python``):
  https://docs.aws.amazon.com/lambda/latest/dg/python-package.html
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from components.python_function import FUNCTIONS_ROOT
from offline.lambda_package import runtime_environment, unpack
from offline.runner import ProgramRun
from tests.conftest import _run

FUNCTION = "aws:lambda/function:Function"

#: Runs in the fresh interpreter: import the handler module named by the handler string
#: and check that the named attribute is a function of (event, context).
PROBE = """
import importlib, inspect, json, sys
module_name, _, attribute = sys.argv[1].rpartition(".")
module = importlib.import_module(module_name)
handler = getattr(module, attribute)
assert callable(handler), f"{sys.argv[1]} is not callable"
print(json.dumps({
    "module": module.__file__,
    "parameters": len(inspect.signature(handler).parameters),
    "xray_sdk": sorted(name for name in sys.modules if name.split(".")[0] == "aws_xray_sdk"),
}))
"""


def _sources() -> list[str]:
    """Every function package under functions/ (collected without running the program)."""
    return sorted(p.name for p in FUNCTIONS_ROOT.iterdir() if p.is_dir() and (p / "handler.py").is_file())


@pytest.mark.parametrize("source", _sources())
def test_handler_resolves_in_its_own_archive(source: str, tmp_path: Path) -> None:
    run: ProgramRun = _run("dev")
    deployed = [r.inputs for r in run.by_type(FUNCTION) if r.inputs["handler"] == f"{source}.handler.handler"]
    assert len(deployed) == 1, f"functions/{source}/ is deployed {len(deployed)} times, not once"
    function, name = deployed[0], deployed[0]["name"]
    task = unpack(function["code"], tmp_path / "task")
    # -P: no script directory on sys.path; cwd is the archive, as /var/task is in Lambda.
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed probe, the stack's own handler string
        [sys.executable, "-P", "-c", PROBE, function["handler"]],
        cwd=task,
        env=runtime_environment(function, task),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{name}: {function['handler']} does not import from its archive:\n{result.stderr}"
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    # The module came from the archive, not from the repository's functions/ folder.
    assert Path(probe["module"]).resolve().is_relative_to(task.resolve())
    assert probe["parameters"] == 2, f"{function['handler']} takes (event, context)"
    # No X-Ray SDK at init: it was about a third of every cold start, and AWS has had it in
    # maintenance mode since 2026-02-25 (end of support 2027-02-25). Lambda's active tracing
    # records the function's segments without it (docs/cold-start.md).
    assert probe["xray_sdk"] == [], f"{function['handler']} imports the X-Ray SDK at init"
