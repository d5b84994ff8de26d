"""Every rule, grouped by AWS service (one module per service namespace).

Importing this package registers the rules in ``policies.core.REGISTRY``.
"""

from __future__ import annotations

from policies.core import REGISTRY, Rule
from policies.rules import iam, kms, logs, neptune, vpc

MODULES = (neptune, kms, vpc, logs, iam)


def all_rules() -> list[Rule]:
    return list(REGISTRY)
