"""The stack config: every section, the cross-section checks, and the one-line errors.

``load_stack_config`` reads the whole config before the program registers anything:
each section of ``StackSettings`` (the one section list; offline/config_docs.py documents
it), then the checks between sections (the APNs credential pairing, the Neptune instances
against the network's zones). ``load_section`` turns one section into its settings dataclass.

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
import pulumi_aws as aws

from components.audit_trail import AuditTrailSettings, trail_arn
from components.compliance import ComplianceSettings
from components.content_delivery import ContentDeliverySettings
from components.context import DeploymentContext
from components.graph_database import GraphDatabaseSettings
from components.graphql_api import GraphqlApiSettings
from components.identity import IdentitySettings
from components.keys import KeysArgs
from components.media_pipeline import ThumbnailSettings, UploadSettings
from components.network import NetworkSettings
from components.notifications import NotificationsSettings
from components.observability import ObservabilitySettings
from components.python_function import FunctionsSettings
from components.rest_api import RestApiSettings
from components.secrets import SecretsSettings
from components.timelines import TimelinesSettings
from components.validation import ArgsError
from components.web_firewall import WebFirewallSettings


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


def _object_default(field: dataclasses.Field[Any]) -> Any:
    """A field's default when it is a settings object (``functions.thumbnailer``'s own sizing)."""
    if field.default_factory is dataclasses.MISSING:
        return None
    default = field.default_factory()
    return default if dataclasses.is_dataclass(default) else None


def _build(path: str, cls: type[Any], raw: Mapping[str, Any], fixed: Mapping[str, Any], base: Any = None) -> Any:
    """``cls`` from the keys given; keys left out keep ``base``'s values (a nested object's
    own default, so ``thumbnailer: {logRetentionDays: 30}`` keeps the thumbnailer's memory),
    else the class defaults."""
    hints = typing.get_type_hints(cls)
    configurable = {camel(f.name): f for f in dataclasses.fields(cls) if f.name not in fixed and f.init}
    unknown = sorted(set(raw) - set(configurable))
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(configurable))}")
    kwargs = dict(fixed)
    for key, value in raw.items():
        field = configurable[key]
        default = _object_default(field)
        if default is not None and isinstance(value, Mapping):
            kwargs[field.name] = _build(f"{path}.{key}", type(default), value, {}, base=default)
        else:
            kwargs[field.name] = _coerce(f"{path}.{key}", hints[field.name], value)
    try:
        return dataclasses.replace(base, **kwargs) if base is not None else cls(**kwargs)
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
    for key in raw:
        moved = MOVED.get(f"{section}.{key}")
        if moved is not None:
            places = " and ".join(f"{config.name}:{place}" for place in moved)
            raise ConfigError(f"{path}.{key}: moved to {places} (function sizing is one section)")
    result: T = _build(path, cls, raw, fixed)
    return result


def config_error(config: pulumi.Config, section: str, error: ArgsError) -> ConfigError:
    """Translate a cross-section check's ``ArgsError`` into the user's config key."""
    return ConfigError(f"{config.name}:{section}.{_config_path(error.field)}: {error.reason}")


# -- the stack's config: every section, the cross-section checks, the secrets ------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class StackSettings:
    """Every config section, one field each (``graph_db`` is ``<project>:graphDb``), in the
    order the configuration table lists them: this class IS the section list."""

    keys: KeysArgs
    network: NetworkSettings
    graph_db: GraphDatabaseSettings
    functions: FunctionsSettings
    identity: IdentitySettings
    graphql_api: GraphqlApiSettings
    web_firewall: WebFirewallSettings
    notifications: NotificationsSettings
    secrets: SecretsSettings
    audit_trail: AuditTrailSettings
    compliance: ComplianceSettings
    observability: ObservabilitySettings
    content_delivery: ContentDeliverySettings
    uploads: UploadSettings
    thumbnails: ThumbnailSettings
    rest_api: RestApiSettings
    timelines: TimelinesSettings


#: Config section -> settings class, in the configuration table's order (offline/config_docs).
SECTIONS: Mapping[str, type[Any]] = {
    camel(f.name): hint
    for f, hint in zip(dataclasses.fields(StackSettings), typing.get_type_hints(StackSettings).values(), strict=True)
}
#: Fields of ``keys`` the program fills (they follow other sections), never config.
KEYS_WIRED = ("context", "tags", "cloudtrail_trail_arn", "config_delivery")
#: Keys that moved: the old place -> the new one. A stack file still using the old key stops
#: with an error naming the new one instead of silently losing the value.
#: Old key -> its new place(s).
MOVED: Mapping[str, tuple[str, ...]] = {
    "uploads.reservedConcurrency": ("functions.uploadUrl.reservedConcurrency",),
    "uploads.logRetentionDays": ("functions.uploadUrl.logRetentionDays",),
    "thumbnails.memoryMb": ("functions.thumbnailer.memoryMb",),
    "thumbnails.timeoutSeconds": ("functions.thumbnailer.timeoutSeconds",),
    "thumbnails.reservedConcurrency": ("functions.thumbnailer.reservedConcurrency",),
    "thumbnails.logRetentionDays": ("functions.thumbnailer.logRetentionDays",),
    "notifications.pollerTimeoutSeconds": ("functions.streamPoller.timeoutSeconds",),
    "notifications.notifierTimeoutSeconds": ("functions.notifier.timeoutSeconds",),
    "notifications.notifierReservedConcurrency": ("functions.notifier.reservedConcurrency",),
    "notifications.devicesReservedConcurrency": ("functions.devices.reservedConcurrency",),
    # One key per function now: the three functions the notifications section used to size.
    "notifications.logRetentionDays": (
        "functions.streamPoller.logRetentionDays",
        "functions.notifier.logRetentionDays",
        "functions.devices.logRetentionDays",
    ),
}
#: Physical names are ``<project>-<stack>-<role>``; Neptune identifiers allow 63 chars.
NAME_PREFIX = re.compile(r"^[a-z][a-z0-9-]{0,38}$")


@dataclasses.dataclass(frozen=True, kw_only=True)
class StackConfig:
    """What the program builds from: where, the tags, every section, the zones and the push
    credentials, all checked before the first resource is registered."""

    context: DeploymentContext
    tags: Mapping[str, str]
    settings: StackSettings
    #: The availability zones the network spans (``network.azCount`` of the region's).
    zones: Sequence[str]
    #: Push credentials, only ever from ``pulumi config set --secret`` (or ESC); None: not set.
    apns_signing_key: pulumi.Output[str] | None
    fcm_service_account: pulumi.Output[str] | None

    @property
    def push_credentials(self) -> dict[str, pulumi.Output[str]]:
        """The configured push credentials by secret role, for Secrets Manager."""
        pairs = (("apns-signing-key", self.apns_signing_key), ("fcm-service-account", self.fcm_service_account))
        return {role: value for role, value in pairs if value is not None}


def deployment_context() -> DeploymentContext:
    prefix = f"{pulumi.get_project()}-{pulumi.get_stack()}".lower()
    if not NAME_PREFIX.match(prefix) or "--" in prefix:
        raise ConfigError(
            f"project and stack names give the resource prefix {prefix!r}: it must start with a letter, "
            "use only lowercase letters, digits and single hyphens, and be at most 39 characters"
        )
    identity = aws.get_caller_identity()
    region = aws.get_region()
    partition = aws.get_partition()
    return DeploymentContext(
        account_id=identity.account_id, region=region.region, partition=partition.partition, prefix=prefix
    )


def stack_tags(config: pulumi.Config) -> dict[str, str]:
    extra = config.get_object("tags") or {}
    if not isinstance(extra, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in extra.items()):
        raise ConfigError(f"{config.name}:tags: must be a map of strings to strings")
    return {"Project": pulumi.get_project(), "Stack": pulumi.get_stack(), "ManagedBy": "pulumi", **extra}


def load_stack_config(config: pulumi.Config) -> StackConfig:
    """Read and check the whole stack config, or stop with one line naming the key."""
    context = deployment_context()
    tags = stack_tags(config)
    # Every section but keys, whose wired fields follow the trail and recorder settings.
    sections: dict[str, Any] = {
        snake(key): load_section(config, key, cls) for key, cls in SECTIONS.items() if key != "keys"
    }
    audit: AuditTrailSettings = sections["audit_trail"]
    compliance: ComplianceSettings = sections["compliance"]
    sections["keys"] = load_section(
        config,
        "keys",
        KeysArgs,
        context=context,
        tags=tags,
        cloudtrail_trail_arn=trail_arn(context) if audit.create else None,
        config_delivery=compliance.create_recorder,
    )
    settings = StackSettings(**sections)

    # Cross-section checks, each made here only.
    apns_key = config.get_secret("apnsSigningKey")
    if (apns_key is None) != (settings.notifications.apns is None):
        raise ConfigError(
            f"{config.name}:notifications.apns: set both notifications.apns {{keyId, teamId, bundleId}} "
            "and the secret apnsSigningKey, or neither"
        )
    available = aws.get_availability_zones(
        state="available", filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
    )
    try:
        zones = settings.network.select_zones(available.names)
    except ArgsError as error:
        raise config_error(config, "network", error) from None
    try:
        settings.graph_db.check_fits(len(zones))
    except ArgsError as error:
        raise config_error(config, "graphDb", error) from None
    return StackConfig(
        context=context,
        tags=tags,
        settings=settings,
        zones=tuple(zones),
        apns_signing_key=apns_key,
        fcm_service_account=config.get_secret("fcmServiceAccount"),
    )
