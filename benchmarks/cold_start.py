"""Cold start: each function's init in a fresh interpreter, against boto3's floor.

Init is what Lambda runs before the first invocation: importing the handler module from
its own archive (unpacked alone, as /var/task) with the environment the stack recorded,
then creating its first AWS client. The floor is a function that does nothing but that:
``import boto3`` and the same client. Both are timed inside the child, from its first
line, so interpreter start-up (the same for both) is left out. Figures only: nothing
here passes or fails.

- "Understanding the Lambda execution environment lifecycle" (the Init phase: extensions,
  runtime, static code): https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from offline.lambda_package import runtime_environment, unpack  # noqa: E402
from offline.runner import run_program  # noqa: E402

#: The service of each handler's first AWS call (the client its cached factory makes first).
FIRST_CLIENT = {
    "graph_api": "neptunedata",
    "auth_triggers": "neptunedata",
    "stream_poller": "neptunedata",
    "notifier": "dynamodb",
    "devices": "sns",
    "upload_url": "s3",
    "thumbnailer": "s3",
}

CHILD = """
import time
start = time.perf_counter()
import importlib, json, sys
module, service = sys.argv[1], sys.argv[2]
if module:
    importlib.import_module(module)
imported = time.perf_counter()
import boto3
with_boto3 = time.perf_counter()
boto3.client(service)
done = time.perf_counter()
print(json.dumps({"import_s": imported - start, "boto3_s": with_boto3 - start, "init_s": done - start}))
"""


def _child(task: Path, environment: dict[str, str], module: str, service: str) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-P", "-c", CHILD, module, service],
        cwd=task,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per figure (median shown)")
    options = parser.parse_args()

    run = run_program(HERE.parent, "dev")
    print(f"Function init (import + first client) vs the boto3 floor, median of {options.runs} fresh interpreters\n")
    print(f"{'function':16}{'client':13}{'import s':>10}{'floor s':>10}{'ratio':>8}{'init s':>10}{'floor s':>10}{'ratio':>8}")
    print(f"{'':29}{'(handler module vs import boto3)':^28}{'(+ first client, both)':^28}")
    with tempfile.TemporaryDirectory() as scratch:
        for resource in sorted(run.by_type("aws:lambda/function:Function"), key=lambda r: r.name):
            function = resource.inputs
            source = str(function["handler"]).split(".", 1)[0]
            module = str(function["handler"]).rsplit(".", 1)[0]
            service = FIRST_CLIENT[source]
            task = unpack(function["code"], Path(scratch) / source)
            environment = runtime_environment(function, task)
            init, floor = [], []
            for _ in range(options.runs):  # interleaved, so load on the machine hits both alike
                init.append(_child(task, environment, module, service))
                floor.append(_child(task, environment, "", service))
            handler_import = statistics.median(f["import_s"] for f in init)
            boto3_import = statistics.median(f["boto3_s"] for f in floor)
            handler_init = statistics.median(f["init_s"] for f in init)
            floor_init = statistics.median(f["init_s"] for f in floor)
            print(
                f"{source:16}{service:13}{handler_import:>10.3f}{boto3_import:>10.3f}"
                f"{handler_import / boto3_import:>8.2f}{handler_init:>10.3f}{floor_init:>10.3f}"
                f"{handler_init / floor_init:>8.2f}"
            )


if __name__ == "__main__":
    main()
