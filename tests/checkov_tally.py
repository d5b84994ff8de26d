"""What the checkov comparison found in this session, for the terminal summary (kept light:
tests/conftest.py imports it for every run; tests/policies/checkov_comparison.py fills it)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Final

OUR_FINDING: Final = "our finding"
OUR_EXEMPTION: Final = "our exemption"
OUR_STACK_CONFIG: Final = "our stack config"
MODELLING_LIMIT: Final = "checkov modelling limit"
UNCLASSIFIED: Final = "unclassified"
CLASSES: Final = (OUR_FINDING, OUR_EXEMPTION, OUR_STACK_CONFIG, MODELLING_LIMIT, UNCLASSIFIED)


@dataclass(frozen=True)
class Tally:
    checks_run: int
    checks_all_passed: int
    resource_checks_passed: int
    failed_by_class: Counter[str]


SESSION: dict[str, Tally] = {}
TIMING: dict[str, float] = {}


def summary_lines() -> list[str]:
    """One line per stack: checks run, passed, failed by class (only when the comparison ran)."""
    lines = []
    for stack, tally in sorted(SESSION.items()):
        classes = tally.failed_by_class
        by_class = ", ".join(f"{classes[k]} {k}" for k in CLASSES if classes[k] or k == UNCLASSIFIED)
        lines.append(
            f"checkov 3.3.30 on {stack}: {tally.checks_run} checks run, {tally.checks_all_passed} passed on every "
            f"resource; {tally.resource_checks_passed} resource checks passed, {sum(classes.values())} failed ({by_class})"
        )
    if lines and "scan_seconds" in TIMING:
        lines.append(f"checkov: one scan of both plans took {TIMING['scan_seconds']:.0f} s")
    return lines
