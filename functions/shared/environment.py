"""Every Lambda function's environment contract: one frozen, typed settings class per function.

A class owns its function's environment: each field names its variable and says how the
value is written and read. Both sides use the same class:

- the Pulumi component that creates the function builds an instance (``S`` is
  ``pulumi.Input[str]`` there: a resource attribute such as a bucket name is passed as
  it is, an ``Output``) and ``PythonFunction`` writes it with :meth:`to_environment`;
- the handler parses the deployed variables with ``from_environment`` into an instance
  of the same class (``S`` is ``str``), failing with one error that names every missing
  or malformed variable.

So the deployed environment cannot lack a variable the handler reads, and defaults live
only where the value is chosen: in the component's config settings (passed explicitly,
every variable is required) or, for an optional variable, here. A value that is one
resource attribute is one whole variable (never part of one), so rendering needs no
Pulumi: everything else is a plain value encoded here, and re-parsed when rendered, so a
value the handler would refuse never deploys.

Stdlib only: this module is packaged into every function under ``shared/`` (see
``components/python_function.py``) and imported as ``shared.environment`` by the
handlers and by the components (``components/__init__.py`` puts ``functions/`` on
``sys.path`` for that).

To add a variable: add a field to the function's class (``text``, ``integer``, ...),
pass its value where the component builds the class, read the field in the handler.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

#: Lambda's rule for variable names ("Using Lambda environment variables",
#: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html; the API's key
#: pattern is [a-zA-Z]([a-zA-Z0-9_])+). The runtime defines and reserves AWS_* and
#: LAMBDA_* keys (AWS_REGION, AWS_LAMBDA_FUNCTION_NAME, LAMBDA_TASK_ROOT, ...) and _HANDLER:
#: a contract never declares one.
VARIABLE_NAME = re.compile(r"[A-Z][A-Z0-9_]+")
RESERVED_PREFIXES = ("AWS_", "LAMBDA_", "_")
#: A DNS domain name, lower-case (what the email domain policy lists).
DOMAIN_NAME = re.compile(r"(?=.{1,253}\Z)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")

_VARIABLE = "shared.environment.variable"
_SECTION = "shared.environment.section"


class EnvironmentContractError(RuntimeError):
    """The environment breaks a function's contract; the message names every variable at fault."""


@dataclass(frozen=True, kw_only=True)
class Variable:
    """How one field is written to and read from one environment variable."""

    name: str
    #: ``raw -> value``; raises ``ValueError`` saying what is wrong (the name is added).
    parse: Callable[[str], Any]
    #: ``value -> raw`` for plain values.
    render: Callable[[Any], str]
    #: ``None`` is written as no variable, and no variable is read as ``None``.
    optional: bool = False
    #: A resource attribute: a value that is not a ``str`` (an ``Output``) is written as is.
    resource_attribute: bool = False


#: What a field's ``metadata`` holds: ``field(metadata=text("NAME"))``.
Metadata = Mapping[str, Any]


def _declare(variable: Variable) -> Metadata:
    if not VARIABLE_NAME.fullmatch(variable.name) or variable.name.startswith(RESERVED_PREFIXES):
        raise ValueError(f"{variable.name!r} is not a variable name a function may set")
    return {_VARIABLE: variable}


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 80 else raw[:77] + "...")


def _text(raw: str) -> str:
    if not raw.strip():
        raise ValueError("is empty")
    return raw


def text(name: str) -> Metadata:
    """A required non-empty string, typically a resource attribute (a name, ARN or URL)."""
    return _declare(Variable(name=name, parse=_text, render=str, resource_attribute=True))


def optional_text(name: str) -> Metadata:
    """A string that may be absent (``None``, the field's default): e.g. an ARN that exists only when configured."""
    return _declare(Variable(name=name, parse=_text, render=str, optional=True, resource_attribute=True))


def _integer(minimum: int, maximum: int | None) -> Callable[[str], int]:
    bounds = f"an integer from {minimum} to {maximum}" if maximum is not None else f"an integer of at least {minimum}"

    def parse(raw: str) -> int:
        if not re.fullmatch(r"-?[0-9]+", raw.strip()) or not (
            minimum <= int(raw) and (maximum is None or int(raw) <= maximum)
        ):
            raise ValueError(f"must be {bounds}, got {_shown(raw)}")
        return int(raw)

    return parse


def _render_integer(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be an int, got {value!r}")
    return str(value)


def integer(name: str, minimum: int, maximum: int | None = None) -> Metadata:
    return _declare(Variable(name=name, parse=_integer(minimum, maximum), render=_render_integer))


def integers(name: str, minimum: int) -> Metadata:
    """A non-empty comma-separated list of integers, as a tuple."""
    item = _integer(minimum, None)

    def parse(raw: str) -> tuple[int, ...]:
        if not raw.strip():
            raise ValueError(f"must list integers of at least {minimum}, comma-separated; it is empty")
        return tuple(item(part) for part in raw.split(","))

    return _declare(
        Variable(name=name, parse=parse, render=lambda values: ",".join(_render_integer(v) for v in values))
    )


def choice(name: str, choices: Sequence[str]) -> Metadata:
    def parse(raw: str) -> str:
        if raw not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, got {_shown(raw)}")
        return raw

    return _declare(Variable(name=name, parse=parse, render=str))


def domains(name: str) -> Metadata:
    """Comma-separated domain names, normalised (lower-case, no ``@`` or trailing dot); may be empty."""

    def parse(raw: str) -> tuple[str, ...]:
        found: list[str] = []
        for item in raw.split(","):
            domain = item.strip().lower().lstrip("@").rstrip(".")
            if not domain:
                continue
            if not DOMAIN_NAME.fullmatch(domain):
                raise ValueError(f"{item.strip()!r} is not a domain name")
            if domain not in found:
                found.append(domain)
        return tuple(found)

    return _declare(Variable(name=name, parse=parse, render=lambda values: ",".join(values)))


def _json(raw: str, expected: type) -> Any:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise ValueError(f"must be a JSON {expected.__name__}, got {_shown(raw)}") from None
    if not isinstance(value, expected):
        raise ValueError(f"must be a JSON {expected.__name__}, got {_shown(raw)}")
    return value


def string_map(name: str) -> Metadata:
    """A non-empty JSON object of strings to strings."""

    def parse(raw: str) -> dict[str, str]:
        value = _json(raw, dict)
        if not value or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()):
            raise ValueError(f"must be a non-empty JSON object of strings, got {_shown(raw)}")
        return dict(value)

    return _declare(Variable(name=name, parse=parse, render=lambda value: json.dumps(dict(value))))


def strings(name: str) -> Metadata:
    """A JSON array of strings (may be empty), as a tuple."""

    def parse(raw: str) -> tuple[str, ...]:
        value = _json(raw, list)
        if not all(isinstance(item, str) for item in value):
            raise ValueError(f"must be a JSON array of strings, got {_shown(raw)}")
        return tuple(value)

    return _declare(Variable(name=name, parse=parse, render=lambda values: json.dumps(list(values))))


def section(contract: type[EnvironmentContract[Any]]) -> Metadata:
    """A group of variables several functions share (the Neptune endpoints, the push applications)."""
    return {_SECTION: contract}


@dataclass(frozen=True, kw_only=True)
class EnvironmentContract[S]:
    """Fields declared as ``field(metadata=text("NAME"))`` (or ``integer``, ``section``...).

    ``S`` is the type of a resource attribute's value: ``str`` in the function,
    ``pulumi.Input[str]`` where the component builds the class.
    """

    @classmethod
    def variables(cls) -> dict[str, Variable]:
        """Every variable of the contract (sections included), by name."""
        found: dict[str, Variable] = {}
        for variable in cls._declared():
            if variable.name in found:
                raise ValueError(f"{cls.__name__} declares {variable.name} twice")
            found[variable.name] = variable
        return found

    @classmethod
    def _declared(cls) -> Iterator[Variable]:
        for declared in fields(cls):
            if _SECTION in declared.metadata:
                yield from declared.metadata[_SECTION]._declared()
            elif _VARIABLE in declared.metadata:
                yield declared.metadata[_VARIABLE]
            else:
                raise TypeError(f"{cls.__name__}.{declared.name} is neither a variable nor a section")

    @classmethod
    def _parse(cls, environ: Mapping[str, str], problems: list[str]) -> Any:
        values: dict[str, Any] = {}
        for declared in fields(cls):
            if _SECTION in declared.metadata:
                values[declared.name] = declared.metadata[_SECTION]._parse(environ, problems)
                continue
            variable: Variable = declared.metadata[_VARIABLE]
            raw = environ.get(variable.name)
            if raw is None:
                if not variable.optional:
                    problems.append(f"{variable.name}: not set")
                values[declared.name] = None
                continue
            try:
                values[declared.name] = variable.parse(raw)
            except ValueError as error:
                problems.append(f"{variable.name}: {error}")
        return None if problems else cls(**values)

    @classmethod
    def parse_environment(cls, environ: Mapping[str, str], subject: str) -> Any:
        problems: list[str] = []
        parsed = cls._parse(environ, problems)
        if problems:
            raise EnvironmentContractError(f"the environment of {subject} is invalid: {'; '.join(problems)}")
        return parsed

    def to_environment(self) -> Mapping[str, S | str]:
        """The variables to deploy: resource attributes as they are, everything else encoded."""
        rendered: dict[str, S | str] = {}
        for declared in fields(self):
            value = getattr(self, declared.name)
            if _SECTION in declared.metadata:
                part = value.to_environment()
                clash = set(part) & set(rendered)
                if clash:
                    raise ValueError(f"{type(self).__name__} renders {', '.join(sorted(clash))} twice")
                rendered.update(part)
                continue
            variable: Variable = declared.metadata[_VARIABLE]
            if value is None:
                if variable.optional:
                    continue
                raise EnvironmentContractError(f"{variable.name}: no value given")
            if variable.resource_attribute and not isinstance(value, str):
                rendered[variable.name] = value  # an Output, resolved by the engine
                continue
            try:
                raw = variable.render(value)
                variable.parse(raw)
            except ValueError as error:
                raise EnvironmentContractError(f"{variable.name}: {error}") from None
            rendered[variable.name] = raw
        return rendered


@dataclass(frozen=True, kw_only=True)
class FunctionEnvironment[S](EnvironmentContract[S]):
    """The whole environment of one function (``SOURCE``: its folder under ``functions/``).

    Each subclass re-declares ``from_environment`` only to name its parsed type,
    ``XEnvironment[str]`` (a classmethod returning ``Self`` would leave ``S`` unsolved).
    """

    SOURCE: ClassVar[str]

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> FunctionEnvironment[str]:
        parsed: FunctionEnvironment[str] = cls.parse_environment(environ, cls.SOURCE)
        return parsed


# --- shared sections -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class NeptuneSettings[S](EnvironmentContract[S]):
    """The Neptune cluster's endpoints: writes (and Streams) on the writer, reads on the reader."""

    writer_endpoint: S = field(metadata=text("NEPTUNE_WRITER_ENDPOINT"))
    reader_endpoint: S = field(metadata=text("NEPTUNE_READER_ENDPOINT"))
    port: int = field(metadata=integer("NEPTUNE_PORT", 1, 65535))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> NeptuneSettings[str]:
        parsed: NeptuneSettings[str] = cls.parse_environment(environ, "the Neptune settings")
        return parsed

    def url(self: NeptuneSettings[str], endpoint: str) -> str:
        return f"https://{endpoint}:{self.port}"

    @property
    def writer_url(self: NeptuneSettings[str]) -> str:
        return self.url(self.writer_endpoint)

    @property
    def reader_url(self: NeptuneSettings[str]) -> str:
        return self.url(self.reader_endpoint)


@dataclass(frozen=True, kw_only=True)
class TimelineSettings[S](EnvironmentContract[S]):
    """The home-feed timelines (``components/timelines.py``): the stream poller writes them,
    graph_api reads them; both decide fan-out versus fan-in with the same threshold."""

    table: S = field(metadata=text("TIMELINE_TABLE"))
    #: Authors with more followers than this are read on fan-in, never fanned out.
    fan_in_threshold: int = field(metadata=integer("FAN_IN_THRESHOLD", 1, 100_000_000))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> TimelineSettings[str]:
        parsed: TimelineSettings[str] = cls.parse_environment(environ, "the timeline settings")
        return parsed


#: SNS platform-application keys (``notifier``/``devices`` use them) -> field.
PLATFORMS = {"APNS": "apns", "APNS_SANDBOX": "apns_sandbox", "FCM": "fcm"}


@dataclass(frozen=True, kw_only=True)
class PlatformApplications[S](EnvironmentContract[S]):
    """The SNS platform applications that exist (only for configured push credentials)."""

    apns: S | None = field(default=None, metadata=optional_text("APNS_PLATFORM_APPLICATION_ARN"))
    apns_sandbox: S | None = field(default=None, metadata=optional_text("APNS_SANDBOX_PLATFORM_APPLICATION_ARN"))
    fcm: S | None = field(default=None, metadata=optional_text("FCM_PLATFORM_APPLICATION_ARN"))

    @staticmethod
    def of[T](applications: Mapping[str, T]) -> PlatformApplications[T]:
        """From ``{"APNS" | "APNS_SANDBOX" | "FCM": arn}``."""
        unknown = set(applications) - set(PLATFORMS)
        if unknown:
            raise ValueError(f"unknown push platform(s) {', '.join(sorted(unknown))}; known: {', '.join(PLATFORMS)}")
        return PlatformApplications(**{PLATFORMS[key]: arn for key, arn in applications.items()})

    def by_platform(self) -> Mapping[str, S]:
        """``{"APNS" | "APNS_SANDBOX" | "FCM": arn}`` for the applications that exist."""
        found = {key: getattr(self, name) for key, name in PLATFORMS.items()}
        return {key: arn for key, arn in found.items() if arn is not None}


# --- one class per function ------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class GraphApiEnvironment[S](FunctionEnvironment[S]):
    SOURCE = "graph_api"

    neptune: NeptuneSettings[S] = field(metadata=section(NeptuneSettings))
    #: The home feed reads the viewer's timeline and the high-follower accounts' outboxes.
    timelines: TimelineSettings[S] = field(metadata=section(TimelineSettings))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> GraphApiEnvironment[str]:
        parsed: GraphApiEnvironment[str] = cls.parse_environment(environ, cls.SOURCE)
        return parsed


@dataclass(frozen=True, kw_only=True)
class AuthTriggersEnvironment[S](FunctionEnvironment[S]):
    SOURCE = "auth_triggers"

    #: Post confirmation MERGEs the User vertex (the repository reads and writes).
    neptune: NeptuneSettings[S] = field(metadata=section(NeptuneSettings))
    #: Empty: every domain not blocked is allowed.
    allowed_email_domains: tuple[str, ...] = field(metadata=domains("ALLOWED_EMAIL_DOMAINS"))
    blocked_email_domains: tuple[str, ...] = field(metadata=domains("BLOCKED_EMAIL_DOMAINS"))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> AuthTriggersEnvironment[str]:
        parsed: AuthTriggersEnvironment[str] = cls.parse_environment(environ, cls.SOURCE)
        return parsed


@dataclass(frozen=True, kw_only=True)
class StreamPollerEnvironment[S](FunctionEnvironment[S]):
    SOURCE = "stream_poller"

    checkpoint_table: S = field(metadata=text("CHECKPOINT_TABLE"))
    queue_url: S = field(metadata=text("QUEUE_URL"))
    #: The stream is read from the writer, follower lookups from the reader.
    neptune: NeptuneSettings[S] = field(metadata=section(NeptuneSettings))
    #: Records per GetPropertygraphStream call (Neptune accepts 1 to 100,000).
    page_limit: int = field(metadata=integer("STREAM_PAGE_LIMIT", 1, 100_000))
    #: New posts fanned out to followers' timelines, follows backfilled, unfollows removed.
    timelines: TimelineSettings[S] = field(metadata=section(TimelineSettings))
    #: Recent posts of the followee copied into a new follower's timeline (0: none).
    backfill_posts: int = field(metadata=integer("TIMELINE_BACKFILL_POSTS", 0, 1_000))
    #: Days a timeline entry lives after its post's time (the table's TTL attribute).
    entry_ttl_days: int = field(metadata=integer("TIMELINE_ENTRY_TTL_DAYS", 1, 3_650))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> StreamPollerEnvironment[str]:
        parsed: StreamPollerEnvironment[str] = cls.parse_environment(environ, cls.SOURCE)
        return parsed


@dataclass(frozen=True, kw_only=True)
class NotifierEnvironment[S](FunctionEnvironment[S]):
    SOURCE = "notifier"

    graphql_url: S = field(metadata=text("GRAPHQL_URL"))
    #: The AppSync API's region, for SigV4 (the stack's region).
    graphql_region: str = field(metadata=text("GRAPHQL_REGION"))
    devices_table: S = field(metadata=text("DEVICES_TABLE"))
    idempotency_table: S = field(metadata=text("IDEMPOTENCY_TABLE"))
    idempotency_ttl_seconds: int = field(metadata=integer("IDEMPOTENCY_TTL_SECONDS", 1))
    push: PlatformApplications[S] = field(metadata=section(PlatformApplications))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> NotifierEnvironment[str]:
        parsed: NotifierEnvironment[str] = cls.parse_environment(environ, cls.SOURCE)
        return parsed


@dataclass(frozen=True, kw_only=True)
class DevicesEnvironment[S](FunctionEnvironment[S]):
    SOURCE = "devices"

    devices_table: S = field(metadata=text("DEVICES_TABLE"))
    push: PlatformApplications[S] = field(metadata=section(PlatformApplications))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> DevicesEnvironment[str]:
        parsed: DevicesEnvironment[str] = cls.parse_environment(environ, cls.SOURCE)
        return parsed


@dataclass(frozen=True, kw_only=True)
class UploadUrlEnvironment[S](FunctionEnvironment[S]):
    SOURCE = "upload_url"

    bucket: S = field(metadata=text("UPLOADS_BUCKET"))
    data_key_arn: S = field(metadata=text("DATA_KEY_ARN"))
    #: Allowed content type -> the extension its key gets.
    content_types: Mapping[str, str] = field(metadata=string_map("ALLOWED_CONTENT_TYPES"))
    min_bytes: int = field(metadata=integer("MIN_BYTES", 1))
    max_bytes: int = field(metadata=integer("MAX_BYTES", 1))
    expiry_seconds: int = field(metadata=integer("URL_EXPIRY_SECONDS", 1))
    #: Browser origins a response may name in Access-Control-Allow-Origin.
    allowed_origins: tuple[str, ...] = field(metadata=strings("ALLOWED_ORIGINS"))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> UploadUrlEnvironment[str]:
        parsed: UploadUrlEnvironment[str] = cls.parse_environment(environ, cls.SOURCE)
        return parsed


@dataclass(frozen=True, kw_only=True)
class ThumbnailerEnvironment[S](FunctionEnvironment[S]):
    SOURCE = "thumbnailer"

    uploads_bucket: S = field(metadata=text("UPLOADS_BUCKET"))
    media_bucket: S = field(metadata=text("MEDIA_BUCKET"))
    fmt: str = field(metadata=choice("RENDITION_FORMAT", ("webp", "jpeg")))
    quality: int = field(metadata=integer("RENDITION_QUALITY", 1, 100))
    #: Square rendition sizes, in pixels.
    sizes: tuple[int, ...] = field(metadata=integers("RENDITION_SIZES", 1))
    max_pixels: int = field(metadata=integer("MAX_PIXELS", 1))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> ThumbnailerEnvironment[str]:
        parsed: ThumbnailerEnvironment[str] = cls.parse_environment(environ, cls.SOURCE)
        return parsed


#: The contract of each function, by its folder under ``functions/``.
CONTRACTS: Mapping[str, type[FunctionEnvironment[Any]]] = {
    contract.SOURCE: contract
    for contract in (
        GraphApiEnvironment,
        AuthTriggersEnvironment,
        StreamPollerEnvironment,
        NotifierEnvironment,
        DevicesEnvironment,
        UploadUrlEnvironment,
        ThumbnailerEnvironment,
    )
}
