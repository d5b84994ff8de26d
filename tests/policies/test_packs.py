"""Pack assembly, policy metadata and the per-stack config files."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pulumi_policy
import pytest
import yaml
from pulumi_policy import Policy, ResourceValidationPolicy, StackValidationPolicy

from policies.core import EXEMPTION_SCHEMA, PACKS
from policies.packconfig import CONFIG_DIR, ConfigError, PackConfig, apply_pack_document, load
from policies.packs import PACK_NAMES, policies_of, rules_of
from policies.rules import all_rules

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"


def test_every_policy_carries_its_metadata() -> None:
    names = set()
    for rule in all_rules():
        assert rule.name not in names
        names.add(rule.name)
        assert rule.name == rule.name.lower() and " " not in rule.name and "_" not in rule.name
        assert rule.description and rule.remediation
        # Security and compliance rules implement rows of docs/controls.md; deployability rules have no
        # framework ("none: gap") and name the AWS page that defines what they check instead.
        assert rule.rows or rule.doc_url.startswith("https://docs.aws.amazon.com/"), f"{rule.name} names no source"
        assert rule.control_ids
        assert rule.framework.reference


@pytest.mark.parametrize("pack", PACKS)
def test_pack_policies_are_sdk_policies(pack: str) -> None:
    built = policies_of(pack)
    assert len(built) == len(rules_of(pack)) > 10
    for policy in built:
        assert isinstance(policy, ResourceValidationPolicy | StackValidationPolicy)
        assert policy.severity is not None
        assert policy.framework is not None
        assert policy.tags
        assert policy.remediation_steps
        assert policy.config_schema is not None and "exemptions" in policy.config_schema.properties


@pytest.mark.parametrize("pack", PACKS)
def test_pack_entry_point_only_assembles(pack: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_pack(**kwargs: Any) -> None:
        seen.update(kwargs)

    monkeypatch.setattr(pulumi_policy, "PolicyPack", fake_pack)
    runpy.run_path(str(POLICIES_DIR / pack / "__main__.py"), run_name="__main__")
    assert seen["name"] == PACK_NAMES[pack]
    assert all(isinstance(p, Policy) for p in seen["policies"])
    assert {p.name for p in seen["policies"]} == {r.name for r in rules_of(pack)}


@pytest.mark.parametrize("pack", PACKS)
def test_pack_directory_is_cli_runnable(pack: str) -> None:
    project = yaml.safe_load((POLICIES_DIR / pack / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    requirements = (POLICIES_DIR / pack / "requirements.txt").read_text()
    assert "pulumi-policy==" in requirements and "policy_sentry==" in requirements


@pytest.mark.parametrize("path", sorted(CONFIG_DIR.glob("*.json")), ids=lambda p: p.name)
def test_config_files_are_valid_cli_configs(path: Path) -> None:
    pack, stack, _ = path.name.split(".")
    assert pack in PACKS and stack in ("dev", "prod")
    document = json.loads(path.read_text())
    config = PackConfig()
    apply_pack_document(config, document, path.name, pack)
    by_name = {r.name: r for r in rules_of(pack)}
    for name, value in document.items():
        if name == "all" or isinstance(value, str):
            continue
        properties = {k: v for k, v in value.items() if k != "enforcementLevel"}
        schema = by_name[name].config_schema()
        jsonschema.validate(properties, {"type": "object", "properties": schema.properties})


def test_prod_is_mandatory_by_default() -> None:
    config = load("prod")
    assert config.default_level == dict.fromkeys(PACKS, "mandatory")


def test_dev_keeps_encryption_mandatory() -> None:
    dev, prod = load("dev"), load("prod")
    encryption = [r for r in all_rules() if r.category == "encryption" and prod.level(r) == "mandatory"]
    assert encryption and all(dev.level(r) == "mandatory" for r in encryption)


def test_exemption_schema_rejects_missing_or_blank_reason() -> None:
    validator = jsonschema.Draft7Validator(EXEMPTION_SCHEMA)
    assert not list(validator.iter_errors([{"resource": "db", "reason": "legacy"}]))
    assert list(validator.iter_errors([{"resource": "db"}]))
    assert list(validator.iter_errors([{"resource": "db", "reason": "   "}]))


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ({"no-such-policy": "mandatory"}, "is not a policy"),
        ({"all": "strict"}, "enforcement level"),
        ({"log-group-retention": {"minimumRetentionDays": "long"}}, "must be a number"),
        ({"log-group-retention": {"retention": 3}}, "unknown properties"),
        ({"log-group-retention": {"exemptions": [{"resource": "x"}]}}, "has no reason"),
    ],
)
def test_bad_config_is_refused(document: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        apply_pack_document(PackConfig(), document, "x.json")


def test_dev_relaxes_only_cost_driven_resilience() -> None:
    dev, prod = load("dev"), load("prod")
    relaxed = {r.name for r in all_rules() if dev.level(r) != "mandatory"}
    resilience = {r.name for r in all_rules() if r.category == "resilience"}
    deliberate = {r.name for r in all_rules() if prod.level(r) != "mandatory"}
    assert resilience <= relaxed
    assert relaxed - resilience - deliberate == {"appsync-introspection-disabled"}
    assert deliberate <= relaxed
    # The controls deferred from preview to `up` are listed, not enforced, in every stack:
    # `up` decides each resource policy on real values before the create, and the offline
    # gate decides the stack policies before both (README "Deploying for real").
    preview_lists = {r.name for r in all_rules() if r.category == "fail-closed"}
    assert len(preview_lists) == 3
    assert all(dev.level(r) == prod.level(r) == "advisory" for r in all_rules() if r.name in preview_lists)


def test_deployability_is_mandatory_in_both_stacks_except_preview_unknowns() -> None:
    # A dev stack that cannot deploy or whose features are dead is no use either; only the
    # list of controls deferred from preview to `up` is advisory, as in the other packs.
    dev, prod = load("dev"), load("prod")
    rules = rules_of("deployability")
    for config in (dev, prod):
        assert {r.name for r in rules if config.level(r) != "mandatory"} == {"preview-unknown-deployability-inputs"}
