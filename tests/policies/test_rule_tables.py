"""The rule tables under tests/policies/rules/ cover every resource policy.

Each ``tests/policies/rules/test_<module>.py`` holds the table rows of the rules in
``policies/rules/<module>.py``; this test collects the rows of all of them.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from policies import rules
from tests.policies import rules as rule_tests

TABLES = Path(rule_tests.__file__).parent


def _covered() -> set[str]:
    covered: set[str] = set()
    for info in pkgutil.walk_packages([str(TABLES)], prefix=f"{rule_tests.__name__}."):
        if not info.name.rsplit(".", 1)[-1].startswith("test_"):
            continue
        module = importlib.import_module(info.name)
        covered |= {c.policy for c in getattr(module, "CASES", [])}
        covered |= {p for p, *_ in getattr(module, "ALWAYS_VIOLATING", [])}
    return covered


def test_every_resource_policy_has_a_table_row(resource_rule_names: set[str]) -> None:
    assert resource_rule_names - _covered() == set()


def test_every_table_is_named_after_a_rule_module() -> None:
    modules = {
        info.name.rsplit(".", 1)[-1] for info in pkgutil.walk_packages(rules.__path__, prefix=f"{rules.__name__}.")
    }
    tables = {p.stem.removeprefix("test_") for p in TABLES.rglob("test_*.py")}
    assert tables - modules == set(), "a rule table is named after no module in policies/rules/"
