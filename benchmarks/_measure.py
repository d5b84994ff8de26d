"""One measurement in a fresh interpreter; prints JSON. Used by benchmarks/run.py."""

from __future__ import annotations

import time

START = time.perf_counter()

import importlib  # noqa: E402 - the clock starts before any import
import io  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from contextlib import redirect_stdout  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def aws_names_used() -> list[tuple[str, str]]:
    """The pulumi-aws (module, class) pairs the program uses, read from its source."""
    sources = [REPO / "__main__.py", *sorted((REPO / "components").glob("*.py"))]
    found: set[tuple[str, str]] = set()
    for source in sources:
        found.update(re.findall(r"\baws\.([a-z0-9_]+)\.([A-Z][A-Za-z0-9]+)", source.read_text()))
    return sorted(found)


def floor() -> dict[str, object]:
    importlib.import_module("pulumi")
    names = aws_names_used()
    for module, name in names:
        # pulumi-aws loads submodules lazily: only touching a class runs the import.
        getattr(importlib.import_module(f"pulumi_aws.{module}"), name)
    return {"modules": sorted({module for module, _ in names})}


def plan(stack: str) -> dict[str, object]:
    from offline.plan import render_tree
    from offline.runner import run_program

    run = run_program(REPO, stack)
    with redirect_stdout(io.StringIO()):
        print(render_tree(run))
    return {"resources": sum(1 for r in run.resources if r.custom)}


def main() -> None:
    what = sys.argv[1]
    extra = floor() if what == "floor" else plan(sys.argv[2] if len(sys.argv) > 2 else "prod")
    wall = time.perf_counter() - START
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(json.dumps({"what": what, "wall_s": wall, "peak_mib": peak_mib, **extra}))


if __name__ == "__main__":
    main()
