"""Timing figures for evaluating all three packs (for the benchmarks command, never a test).

from policies.bench import bench_resources
figures = bench_resources(run.resources, repeat=5)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from policies.core import Res, Stack, run_resource_rule, run_stack_rule
from policies.evaluate import evaluate, res_from_recorded
from policies.rules import all_rules


@dataclass(frozen=True)
class BenchFigures:
    resources: int
    policies: int
    repeat: int
    total_seconds_best: float
    total_seconds_median: float
    per_resource_ms: float
    slowest_policies: list[tuple[str, float]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "resources": self.resources,
            "policies": self.policies,
            "repeat": self.repeat,
            "total_seconds_best": round(self.total_seconds_best, 6),
            "total_seconds_median": round(self.total_seconds_median, 6),
            "per_resource_ms": round(self.per_resource_ms, 4),
            "slowest_policies_ms": [(name, round(ms, 4)) for name, ms in self.slowest_policies],
        }


def bench_resources(resources: Sequence[Any], *, repeat: int = 5, top: int = 5) -> BenchFigures:
    """Evaluate every pack ``repeat`` times over ``resources``; report wall times and the slowest policies."""
    views = [r if isinstance(r, Res) else res_from_recorded(r) for r in resources]
    totals = []
    for _ in range(repeat):
        start = time.perf_counter()
        evaluate(views)
        totals.append(time.perf_counter() - start)
    per_policy: list[tuple[str, float]] = []
    stack = Stack(views)
    for rule in all_rules():
        settings = rule.settings(None)
        start = time.perf_counter()
        if rule.is_stack:
            run_stack_rule(rule, stack, settings)
        else:
            for res in views:
                run_resource_rule(rule, res, settings)
        per_policy.append((rule.name, (time.perf_counter() - start) * 1000))
    totals.sort()
    best, median = totals[0], totals[len(totals) // 2]
    return BenchFigures(
        resources=len(views),
        policies=len(all_rules()),
        repeat=repeat,
        total_seconds_best=best,
        total_seconds_median=median,
        per_resource_ms=(best * 1000 / len(views)) if views else 0.0,
        slowest_policies=sorted(per_policy, key=lambda item: -item[1])[:top],
    )
