"""Benchmarks: `make bench`. Prints figures; asserts nothing about speed.

Offline plan of the prod stack versus the floor (a fresh interpreter that only imports
pulumi and the pulumi-aws modules the program uses). Each figure is the median of
several runs, each in a fresh interpreter so imports and memory are not shared.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure(*args: str) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, str(HERE / "_measure.py"), *args], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def median_of(runs: int, *args: str) -> tuple[float, float, dict[str, float]]:
    samples = [measure(*args) for _ in range(runs)]
    return (
        statistics.median(s["wall_s"] for s in samples),
        statistics.median(s["peak_mib"] for s in samples),
        samples[-1],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median is shown)")
    parser.add_argument("--stack", default="prod")
    options = parser.parse_args()

    floor_wall, floor_mem, floor_info = median_of(options.runs, "floor")
    plan_wall, plan_mem, plan_info = median_of(options.runs, "plan", options.stack)

    print(f"Offline plan of {options.stack} vs importing pulumi + pulumi_aws.{{{','.join(floor_info['modules'])}}}")  # type: ignore[arg-type]
    print(f"median of {options.runs} fresh-interpreter runs each\n")
    print(f"{'':28}{'wall time (s)':>15}{'peak RSS (MiB)':>17}")
    print(f"{'import floor':28}{floor_wall:>15.3f}{floor_mem:>17.1f}")
    print(f"{f'plan {options.stack} ({plan_info["resources"]:.0f} resources)':28}{plan_wall:>15.3f}{plan_mem:>17.1f}")
    print(f"{'ratio plan / floor':28}{plan_wall / floor_wall:>15.2f}{plan_mem / floor_mem:>17.2f}")
    policy_figures(options.stack, options.runs)


def policy_figures(stack: str, runs: int) -> None:
    """Evaluating both packs over the stack's recorded resources (in-process, no program run timed)."""
    sys.path.insert(0, str(HERE.parent))
    from offline.runner import run_program
    from policies.bench import bench_resources

    figures = bench_resources(run_program(HERE.parent, stack).resources, repeat=runs)
    print(
        f"\nAll three policy packs ({figures.policies} policies) over {stack} ({figures.resources} resources), {runs} runs"
    )
    print(
        f"  best {figures.total_seconds_best * 1000:.1f} ms, median {figures.total_seconds_median * 1000:.1f} ms, "
        f"{figures.per_resource_ms * 1000:.1f} us per resource"
    )
    for name, ms in figures.slowest_policies:
        print(f"  slowest: {name:<45} {ms:8.2f} ms")


if __name__ == "__main__":
    main()
