"""Turn one structured config section into a settings dataclass, or a one-line error.

Config keys are the camelCase of the dataclass fields (``azCount`` -> ``az_count``).
Types are checked against the field annotations before the dataclass validates the
values, and every error names the key as the user wrote it, e.g.
``social-backend:network.azCount: must be between 2 and 6, got 1``.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from components.validation import ArgsError


class ConfigError(pulumi.RunError):
    """Invalid stack configuration. A ``RunError``, so the CLI prints the message only."""


def camel(field_name: str) -> str:
    head, *rest = field_name.split("_")
    return head + "".join(part.title() for part in rest)


def snake(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def _describe(tp: Any) -> str:
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(tp, str(tp))


def _coerce(path: str, tp: Any, value: Any) -> Any:
    """Check ``value`` against annotation ``tp``; return it in the dataclass's shape."""
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _coerce(path, options[0], value)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, Mapping):
            raise ConfigError(
                f"{path}: must be an object with keys {', '.join(camel(f.name) for f in dataclasses.fields(tp))}"
            )
        return _build(path, tp, value, {})
    if origin in (Sequence, list, tuple) or tp in (list, tuple):
        (item_type, *_) = typing.get_args(tp) or (Any,)
        if not isinstance(value, list):
            raise ConfigError(f"{path}: must be a list, got {value!r}")
        return tuple(_coerce(f"{path}[{i}]", item_type, item) for i, item in enumerate(value))
    if origin in (Mapping, dict) or tp is dict:
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ConfigError(f"{path}: must be a map of strings to strings")
        return dict(value)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{path}: must be a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            raise ConfigError(f"{path}: must be an integer, got {value!r}")
        return int(value)
    if tp in (bool, str):
        if not isinstance(value, tp):
            raise ConfigError(f"{path}: must be {_describe(tp)}, got {value!r}")
        return value
    return value


def _build(path: str, cls: type[Any], raw: Mapping[str, Any], fixed: Mapping[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    configurable = {camel(f.name): f for f in dataclasses.fields(cls) if f.name not in fixed and f.init}
    unknown = sorted(set(raw) - set(configurable))
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(configurable))}")
    kwargs = dict(fixed)
    for key, value in raw.items():
        kwargs[configurable[key].name] = _coerce(f"{path}.{key}", hints[configurable[key].name], value)
    try:
        return cls(**kwargs)
    except ArgsError as error:
        raise ConfigError(f"{path}.{_config_path(error.field)}: {error.reason}") from None


def _config_path(field_path: str) -> str:
    return ".".join(camel(part) for part in field_path.split("."))


def load_section[T](config: pulumi.Config, section: str, cls: type[T], **fixed: Any) -> T:
    """Read ``<project>:<section>`` (an object, optional) into ``cls``.

    ``fixed`` supplies the fields that do not come from config (context, wiring).
    """
    path = f"{config.name}:{section}"
    try:
        raw = config.get_object(section)
    except Exception:  # noqa: BLE001 - the SDK raises a bare error for malformed JSON
        raise ConfigError(f"{path}: must be an object (YAML mapping)") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: must be an object (YAML mapping), got {raw!r}")
    result: T = _build(path, cls, raw, fixed)
    return result


def config_error(config: pulumi.Config, section: str, error: ArgsError) -> ConfigError:
    """Translate a cross-section check's ``ArgsError`` into the user's config key."""
    return ConfigError(f"{config.name}:{section}.{_config_path(error.field)}: {error.reason}")
