"""The real dev and prod stacks pass both packs with zero mandatory violations."""

from __future__ import annotations

import pytest

from offline.runner import REPO_ROOT, run_program
from policies.evaluate import evaluate
from policies.packconfig import load
from policies.render import text

pytestmark = pytest.mark.skipif(
    not (REPO_ROOT / "__main__.py").exists(), reason="the program (__main__.py) is not written yet"
)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_has_no_mandatory_violation(stack: str) -> None:
    run = run_program(REPO_ROOT, stack)
    report = evaluate(run.resources, stack=stack, config=load(stack), warnings=run.warnings)
    assert report.resource_count > 0
    assert report.mandatory == [], text(report)
