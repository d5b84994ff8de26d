"""The mutation suite: every policy of the three packs catches the regression it guards on prod.

For each policy, ``tests/policies/mutations.py`` breaks prod's recorded resources in the one
property the policy guards; the policy must answer with a NEW finding (compared with the
unmutated prod run) at the level prod's pack config gives it: mandatory for every policy
prod enforces as mandatory. A policy without a mutation fails the suite, so a new policy
cannot slip in untested. A mutation that also trips other policies is reported as a warning
(the regression is real, but the entry no longer isolates its policy).
"""

from __future__ import annotations

import warnings
from collections import Counter

import pytest

from policies.rules import all_rules
from tests.policies import mutations
from tests.policies.mutations import MUTATIONS, Mutation


class MutationSideEffect(UserWarning):
    """A mutation changed other policies' findings too."""


def _ids() -> list[str]:
    seen: Counter[str] = Counter()
    ids = []
    for m in MUTATIONS:
        seen[m.policy] += 1
        ids.append(m.policy if seen[m.policy] == 1 else f"{m.policy}#{seen[m.policy]}")
    return ids


def test_every_policy_has_a_mutation() -> None:
    """A policy the suite does not break is a policy nobody has seen fail on this stack."""
    policies = {r.name for r in all_rules()}
    covered = {m.policy for m in MUTATIONS}
    assert sorted(policies - covered) == [], "policies without a mutation: add an entry to tests/policies/mutations.py"
    assert sorted(covered - policies) == [], "mutations of policies that no pack has"


def test_preview_only_policies_are_the_preview_lists() -> None:
    """Only the preview-unknown-* policies may be judged at preview; every other one on prod's real values."""
    for m in MUTATIONS:
        assert m.preview == m.policy.startswith("preview-unknown-"), m.policy


@pytest.mark.parametrize("mutation", MUTATIONS, ids=_ids())
def test_mutation_is_caught(mutation: Mutation) -> None:
    name = mutation.policy
    mutations.CLASSES[name] = mutations.policy_class(name)
    mutations.RESULTS.setdefault(name, "caught")
    outcome = mutations.run(mutation)
    if outcome.side_effects:
        mutations.SIDE_EFFECTS[name] += 1
        tripped = ", ".join(f"{p} ({level})" for p, level in sorted(outcome.side_effects.items()))
        warnings.warn(
            MutationSideEffect(f"mutation of {name} ({mutation.regression}) also tripped: {tripped}"), stacklevel=1
        )
    if not outcome.caught:
        mutations.RESULTS[name] = "missed"
    assert outcome.caught, f"{name} did not report {mutation.regression!r} as a new {outcome.level} finding on prod" + (
        f" (it reported at another level: {outcome.other_level})" if outcome.other_level else ""
    )
    if mutations.CLASSES[name] == "mandatory":
        assert outcome.level == "mandatory"


def test_rerunning_only_the_stack_rules_that_read_a_touched_type_matches_a_full_run() -> None:
    """The suite's speed-up (stack rules re-run only when they read a type the mutation touches)
    gives the findings a full evaluation gives, on a sample of the catalogue."""
    for mutation in MUTATIONS[::12]:
        fast = sorted(map(mutations.finding_key, mutations.findings_after(mutation)))
        full = sorted(map(mutations.finding_key, mutations.findings_after(mutation, shortcut=False)))
        assert fast == full, mutation.policy


def test_the_baseline_is_the_checker_run() -> None:
    """Per-rule stack findings of the unmutated run are exactly what policies.check reports for prod."""
    from policies.evaluate import evaluate

    by_urn, stack_rules = mutations.baseline_parts(False)
    rebuilt = [f for fs, _ in stack_rules.values() for f in fs] + [f for fs in by_urn.values() for f in fs]
    report = evaluate(mutations.prod_views(), stack="prod", config=mutations.prod_config())
    assert sorted(map(mutations.finding_key, rebuilt)) == sorted(map(mutations.finding_key, report.findings))
    assert report.passed, "prod must pass unmutated, or no mutation's finding is new"
