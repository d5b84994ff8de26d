"""Dump checkov's own check metadata as JSON: ``{id: {"name", "types", "graph"}}``.

Run with the checkov virtualenv's interpreter (``.venv-checkov/bin/python``), never the
project's: checkov's pins clash with requirements-dev.txt. The names come from checkov's
registries (the Python resource checks and the YAML graph checks of the Terraform
framework, which the terraform_plan framework runs too), so a declared id is compared with
what checkov itself calls the check, not with a copy.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any


def metadata() -> dict[str, dict[str, Any]]:
    resource_registry = importlib.import_module("checkov.terraform.checks.resource.registry").resource_registry
    graph = importlib.import_module("checkov.common.checks_infra.registry").get_graph_checks_registry("terraform")
    graph.load_checks()
    found: dict[str, dict[str, Any]] = {}
    for resource_type, checks in resource_registry.checks.items():
        for check in checks:
            entry = found.setdefault(check.id, {"name": check.name, "types": [], "graph": False})
            entry["types"] = sorted({*entry["types"], resource_type})
    for check in graph.checks:
        entry = found.setdefault(check.id, {"name": check.name, "types": [], "graph": True})
        entry["types"] = sorted({*entry["types"], *check.resource_types})
    return found


if __name__ == "__main__":
    json.dump(metadata(), sys.stdout, sort_keys=True)
