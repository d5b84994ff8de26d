"""The generated policy README and the benchmark helper."""

from __future__ import annotations

from policies import docs
from policies.bench import bench_resources
from policies.core import Res
from policies.rules import all_rules


def test_readme_is_current() -> None:
    assert docs.README.read_text(encoding="utf-8") == docs.render(), "run: python -m policies.docs --write"


def test_table_lists_every_policy_with_its_controls() -> None:
    table = docs.table()
    for rule in all_rules():
        row = next(line for line in table.splitlines() if f"`{rule.name}`" in line)
        assert rule.severity.value in row
        assert all(control in row for control in rule.control_ids)


def test_bench_reports_figures() -> None:
    resources = [
        Res("aws:kms/key:Key", f"k{i}", f"urn:pulumi:dev::p::aws:kms/key:Key::k{i}", {"enableKeyRotation": True})
        for i in range(3)
    ]
    figures = bench_resources(resources, repeat=2, top=3)
    assert figures.resources == 3
    assert figures.policies == len(all_rules())
    assert figures.total_seconds_best <= figures.total_seconds_median
    assert len(figures.slowest_policies) == 3
    assert set(figures.as_dict()) >= {"resources", "per_resource_ms", "slowest_policies_ms"}


def test_readme_explains_every_prod_deviation() -> None:
    from policies.packconfig import load

    prod = load("prod")
    deviations = {r.name for r in all_rules() if prod.level(r) != "mandatory"}
    section = docs.PROSE.split("Deliberate deviations")[1].split("## ")[0]
    listed = {line.split("`")[1] for line in section.splitlines() if line.startswith("| `")}
    assert listed == deviations
