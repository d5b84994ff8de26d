"""Per-stack policy configuration in the format ``pulumi preview --policy-pack-config`` reads.

One JSON file per pack per stack, ``policies/config/<pack>.<stack>.json``::

    {"all": "mandatory",
     "log-group-retention": {"enforcementLevel": "advisory", "minimumRetentionDays": 30},
     "lambda-in-vpc": {"exemptions": [{"resource": "notifier", "reason": "..."}]}}

A value is an enforcement level (``advisory``, ``mandatory``, ``remediate``, ``disabled``)
or an object with an optional ``enforcementLevel`` and the policy's config properties.
The offline checker also accepts one combined file ``{"security": {...}, "compliance": {...}}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from policies.core import PACKS, Rule
from policies.rules import all_rules

CONFIG_DIR: Final = Path(__file__).resolve().parent / "config"
LEVELS: Final = ("advisory", "mandatory", "remediate", "disabled")
DEFAULT_LEVEL: Final = "mandatory"


class ConfigError(ValueError):
    """A policy config file is unusable; the message is one line for the user."""


@dataclass
class PackConfig:
    """The effective configuration of every pack: levels and per-policy properties."""

    default_level: dict[str, str] = field(default_factory=lambda: dict.fromkeys(PACKS, DEFAULT_LEVEL))
    levels: dict[str, str] = field(default_factory=dict)
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def level(self, rule: Rule) -> str:
        level = self.levels.get(rule.name, self.default_level[rule.pack])
        return "mandatory" if level == "remediate" else level

    def config_for(self, rule: Rule) -> dict[str, Any]:
        return dict(self.properties.get(rule.name, {}))

    def requirement(self, name: str) -> tuple[str, dict[str, Any]]:
        """What a stack must meet for one policy: its level and its parameters (defaults overridden).

        Per-stack requirements ("prod blocks", "multi-AZ") live here, so a test of a component
        asks the stack's pack config instead of branching on the stack's name.
        """
        rule = _rules_by_name().get(name)
        if rule is None:
            raise ConfigError(f"{name!r} is not a policy of any pack")
        values = {param.name: param.default for param in rule.params}
        values.update({k: v for k, v in self.config_for(rule).items() if k != "exemptions"})
        return self.level(rule), values


def _rules_by_name() -> dict[str, Rule]:
    return {rule.name: rule for rule in all_rules()}


def _level(value: Any, where: str) -> str:
    if not isinstance(value, str) or value not in LEVELS:
        raise ConfigError(f"{where}: enforcement level must be one of {', '.join(LEVELS)}, got {value!r}")
    return value


def apply_pack_document(config: PackConfig, document: Mapping[str, Any], source: str, pack: str | None = None) -> None:
    """Merge one pack's config document (the CLI format) into ``config``."""
    rules = _rules_by_name()
    named_packs = {rules[k].pack for k in document if k in rules}
    if pack is None:
        if len(named_packs) > 1:
            raise ConfigError(
                f"{source}: names policies of more than one pack; use one file per pack or a combined file"
            )
        targets = sorted(named_packs) or list(PACKS)
    else:
        targets = [pack]
    for key, value in document.items():
        where = f"{source}: {key!r}"
        if key == "all":
            level = _level(value.get("enforcementLevel") if isinstance(value, Mapping) else value, where)
            for target in targets:
                config.default_level[target] = level
            continue
        rule = rules.get(key)
        if rule is None:
            raise ConfigError(f"{where} is not a policy of any pack")
        if pack is not None and rule.pack != pack:
            raise ConfigError(f"{where} belongs to the {rule.pack} pack, not {pack}")
        if isinstance(value, str):
            config.levels[key] = _level(value, where)
            continue
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where} must be an enforcement level or an object")
        properties = dict(value)
        if "enforcementLevel" in properties:
            config.levels[key] = _level(properties.pop("enforcementLevel"), where)
        allowed = {"exemptions", *(p.name for p in rule.params)}
        unknown = sorted(set(properties) - allowed)
        if unknown:
            raise ConfigError(
                f"{where} has unknown properties {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})"
            )
        errors = rule.settings(properties).errors
        if errors:
            raise ConfigError(f"{source}: {errors[0]}")
        config.properties[key] = properties
    config.sources.append(source)


def load_file(config: PackConfig, path: Path) -> None:
    """Merge a config file: one pack's CLI-format file, or ``{"security": ..., "compliance": ...}``."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"policy config {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"policy config {path} cannot be read: {error}") from None
    except json.JSONDecodeError as error:
        raise ConfigError(f"policy config {path} is not valid JSON (line {error.lineno}: {error.msg})") from None
    if not isinstance(document, dict):
        raise ConfigError(f"policy config {path} must be a JSON object")
    if document and set(document) <= set(PACKS):
        for pack, part in document.items():
            if not isinstance(part, dict):
                raise ConfigError(f"{path}: {pack!r} must be an object in the pack-config format")
            apply_pack_document(config, part, f"{path.name}[{pack}]", pack)
        return
    apply_pack_document(config, document, path.name)


def stack_files(stack: str, directory: Path = CONFIG_DIR) -> list[Path]:
    return [directory / f"{pack}.{stack}.json" for pack in PACKS if (directory / f"{pack}.{stack}.json").is_file()]


def load(stack: str | None, files: list[Path] | None = None, directory: Path = CONFIG_DIR) -> PackConfig:
    """Explicit files if given, else ``<pack>.<stack>.json`` from ``directory``; else every policy mandatory."""
    config = PackConfig()
    if files:
        for path in files:
            load_file(config, path)
        return config
    if stack:
        for path in stack_files(stack, directory):
            # Each stack file is one pack's config; its name says which pack.
            pack = path.name.split(".", 1)[0]
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as error:
                raise ConfigError(f"policy config {path} is not valid JSON: {error}") from None
            if not isinstance(document, dict):
                raise ConfigError(f"policy config {path} must be a JSON object")
            apply_pack_document(config, document, path.name, pack)
    return config
