"""Every function's environment contract (functions/shared/environment.py), end to end.

The cold start: each deployed function of both stacks, identified by the code it runs,
parses its recorded environment with its handler's own parser, and gets the values the
stack wired (the cluster's endpoints, the buckets' names...). Then the contract itself:
one class per function folder, handlers that read nothing else, errors that name the
variable, and a component that writes exactly what the class renders.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.config_loader import snake
from components.media_pipeline import RENDITION_SIZES, ThumbnailSettings, UploadSettings
from components.notifications import NotificationsSettings
from components.python_function import CONSTRUCT_VARIABLES, FUNCTIONS_ROOT, SHARED_SOURCE
from offline.runner import ProgramRun
from tests.realtime_support import add_function_paths

add_function_paths()

from shared import environment  # noqa: E402
from shared.environment import (  # noqa: E402
    CONTRACTS,
    EnvironmentContractError,
    FunctionEnvironment,
    NeptuneSettings,
    PlatformApplications,
    ThumbnailerEnvironment,
    text,
)

FUNCTION = "aws:lambda/function:Function"
REPO = FUNCTIONS_ROOT.parent


def folders() -> set[str]:
    return {p.name for p in FUNCTIONS_ROOT.iterdir() if p.is_dir() and p.name not in (SHARED_SOURCE, "__pycache__")}


def source_of(function: Any) -> str:
    """Which functions/ folder a deployed function runs: the files its code archive packs."""
    code = function.inputs["code"]
    assert isinstance(code, pulumi.AssetArchive)
    own = {
        Path(asset.path).resolve().relative_to(FUNCTIONS_ROOT)
        for path, asset in code.assets.items()
        if isinstance(asset, pulumi.FileAsset) and not path.startswith(f"{SHARED_SOURCE}/")
    }
    assert len(own) == len(code.assets) - sum(path.startswith(f"{SHARED_SOURCE}/") for path in code.assets)
    (source, *others) = {path.parts[0] for path in own}
    assert not others and source in folders(), f"{function.name} packs {sorted(map(str, own))}"
    return source


def deployed(run: ProgramRun) -> dict[str, dict[str, Any]]:
    """Each function's recorded environment variables, by the folder it runs."""
    found: dict[str, dict[str, Any]] = {}
    for function in run.by_type(FUNCTION):
        source = source_of(function)
        assert source not in found, f"two functions run {source}"
        found[source] = dict(function.inputs["environment"]["variables"])
    return found


def configured(config: Mapping[str, Any], section: str, cls: type[Any]) -> Any:
    """A flat config section as the program loads it (camelCase keys onto its settings class)."""
    return cls(**{snake(key): value for key, value in config.get(section, {}).items()})


def state(run: ProgramRun, type_token: str, name: str) -> dict[str, Any]:
    return dict(run.one(type_token, name).state)


def neptune_of(run: ProgramRun) -> tuple[str, str, int]:
    cluster = state(run, "aws:neptune/cluster:Cluster", "graph-cluster")
    return cluster["endpoint"], cluster["readerEndpoint"], int(cluster["port"])


def wired(run: ProgramRun, config: Mapping[str, Any]) -> dict[str, Callable[[Any], None]]:
    """Per function: the check that its parsed environment holds what the stack wired."""

    def bucket(role: str) -> Any:
        return state(run, "aws:s3/bucket:Bucket", f"content-{role}")["bucket"]

    def table(role: str) -> Any:
        return state(run, "aws:dynamodb/table:Table", f"notifications-{role}")["name"]

    apps = {
        r.inputs["platform"]: r.state["arn"] for r in run.by_type("aws:sns/platformApplication:PlatformApplication")
    }
    uploads = configured(config, "uploads", UploadSettings)
    thumbnails = configured(config, "thumbnails", ThumbnailSettings)
    notifications = configured(config, "notifications", NotificationsSettings)
    identity = config.get("identity", {})

    def neptune(env: Any) -> None:
        assert (env.neptune.writer_endpoint, env.neptune.reader_endpoint, env.neptune.port) == neptune_of(run)

    def graph_api(env: Any) -> None:
        neptune(env)

    def auth_triggers(env: Any) -> None:
        neptune(env)  # post confirmation writes the User vertex on this cluster
        assert env.allowed_email_domains == tuple(identity.get("allowedEmailDomains", []))
        assert env.blocked_email_domains == tuple(identity.get("blockedEmailDomains", []))

    def stream_poller(env: Any) -> None:
        neptune(env)
        assert env.checkpoint_table == table("stream-checkpoint")
        assert env.queue_url == state(run, "aws:sqs/queue:Queue", "notifications-events")["url"]
        assert env.page_limit == notifications.stream_page_limit

    def notifier(env: Any) -> None:
        api = state(run, "aws:appsync/graphQLApi:GraphQLApi", "graphql-api")
        assert env.graphql_url == api["uris"]["GRAPHQL"]
        assert env.graphql_region == api["arn"].split(":")[3], "SigV4 for the API's own region"
        assert (env.devices_table, env.idempotency_table) == (table("devices"), table("notify-idempotency"))
        assert env.idempotency_ttl_seconds == notifications.idempotency_ttl_hours * 3600
        assert dict(env.push.by_platform()) == {("FCM" if p == "GCM" else p): arn for p, arn in apps.items()}

    def devices(env: Any) -> None:
        assert env.devices_table == table("devices")
        assert dict(env.push.by_platform()) == {("FCM" if p == "GCM" else p): arn for p, arn in apps.items()}

    def upload_url(env: Any) -> None:
        assert env.bucket == bucket("uploads")
        assert env.data_key_arn == state(run, "aws:kms/key:Key", "keys-data")["arn"]
        assert dict(env.content_types) == uploads.content_type_extensions
        assert (env.min_bytes, env.max_bytes) == (uploads.min_bytes, uploads.max_bytes)
        assert env.expiry_seconds == uploads.url_expiry_seconds
        assert env.allowed_origins == tuple(config["restApi"].get("allowedOrigins", []))

    def thumbnailer(env: Any) -> None:
        assert (env.uploads_bucket, env.media_bucket) == (bucket("uploads"), bucket("media"))
        assert (env.fmt, env.quality, env.max_pixels) == (thumbnails.format, thumbnails.quality, thumbnails.max_pixels)
        assert env.sizes == RENDITION_SIZES

    return {
        check.__name__: check
        for check in (graph_api, auth_triggers, stream_poller, notifier, devices, upload_url, thumbnailer)
    }


# --- the cold start --------------------------------------------------------------------


def test_every_deployed_function_starts_with_the_values_the_stack_wired(
    run: ProgramRun, config: dict[str, Any]
) -> None:
    environments = deployed(run)
    assert set(environments) == folders(), "every function folder is deployed once"
    checks = wired(run, config)
    for source, variables in environments.items():
        # What the handler does on a cold start: its own contract's parser over the deployed env.
        parsed = CONTRACTS[source].from_environment(variables)
        checks[source](parsed)


def test_auth_triggers_reaches_both_endpoints_of_the_cluster(run: ProgramRun) -> None:
    """Sign-up: post confirmation builds its graph repository from these (NeptuneSettings
    requires both endpoints; the reader endpoint was once missing and every sign-up failed)."""
    variables = deployed(run)["auth_triggers"]
    settings = NeptuneSettings.from_environment(variables)
    assert (settings.writer_endpoint, settings.reader_endpoint, settings.port) == neptune_of(run)


def test_a_component_writes_exactly_what_the_contract_renders(run: ProgramRun) -> None:
    """Nothing reaches a function's environment outside its contract, besides the construct's
    Powertools settings; every declared variable is there unless it is optional and unset."""
    for source, variables in deployed(run).items():
        contract = CONTRACTS[source]
        parsed = contract.from_environment(variables)
        own = {name: value for name, value in variables.items() if name not in CONSTRUCT_VARIABLES}
        assert dict(parsed.to_environment()) == own, source
        required = {name for name, variable in contract.variables().items() if not variable.optional}
        assert required <= set(own) <= set(contract.variables()), source
        assert set(variables) - set(own) == set(CONSTRUCT_VARIABLES), source


def test_push_applications_reach_the_notifier_and_devices_when_configured() -> None:
    from tests.test_notifications_component import _run as realtime_run

    run = realtime_run("push")
    apps = {
        r.inputs["platform"]: r.state["arn"] for r in run.by_type("aws:sns/platformApplication:PlatformApplication")
    }
    assert set(apps) == {"APNS", "GCM"}
    for name, contract in (("notifier", CONTRACTS["notifier"]), ("devices", CONTRACTS["devices"])):
        variables = run.one(FUNCTION, f"notifications-{name}-function").inputs["environment"]["variables"]
        parsed: Any = contract.from_environment(variables)
        assert dict(parsed.push.by_platform()) == {"APNS": apps["APNS"], "FCM": apps["GCM"]}


# --- one contract per function, read only through it ----------------------------------


def test_every_function_folder_has_exactly_one_contract() -> None:
    classes = [
        value
        for value in vars(environment).values()
        if isinstance(value, type) and issubclass(value, FunctionEnvironment) and value is not FunctionEnvironment
    ]
    sources = [cls.SOURCE for cls in classes]
    assert sorted(sources) == sorted(folders()), "one class per folder, and no folder without one"
    assert dict(CONTRACTS) == {cls.SOURCE: cls for cls in classes}


def _python_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.py") if "__pycache__" not in p.parts]


@pytest.mark.parametrize("source", sorted(CONTRACTS))
def test_the_handler_reads_its_environment_only_through_its_contract(source: str) -> None:
    uses_contract = False
    for path in _python_files(FUNCTIONS_ROOT / source):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
                pytest.fail(f"{path.relative_to(REPO)}:{node.lineno} reads os.{node.attr} directly")
            if isinstance(node, ast.ImportFrom) and node.module == "shared.environment":
                uses_contract |= CONTRACTS[source].__name__ in {alias.name for alias in node.names}
    assert uses_contract, f"functions/{source} never imports {CONTRACTS[source].__name__}"


def test_shared_code_reads_no_environment_but_the_contracts() -> None:
    for path in _python_files(FUNCTIONS_ROOT / SHARED_SOURCE):
        if path.name == "environment.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            assert not (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv")), path


def test_variable_names_are_ones_lambda_lets_a_function_set() -> None:
    """Lambda reserves AWS_*, LAMBDA_* and _HANDLER-style keys ("Using Lambda environment
    variables"); the construct owns the Powertools ones."""
    for contract in CONTRACTS.values():
        for name in contract.variables():
            assert environment.VARIABLE_NAME.match(name) and not name.startswith(environment.RESERVED_PREFIXES)
            assert name not in CONSTRUCT_VARIABLES
    for reserved in ("AWS_REGION", "LAMBDA_TASK_ROOT", "_HANDLER", "lower_case"):
        with pytest.raises(ValueError, match="is not a variable name a function may set"):
            text(reserved)


def test_pulumi_up_imports_the_handlers_module_itself() -> None:
    """`pulumi up` runs __main__.py with only the project directory on sys.path: the
    components must still import shared.environment, as the one module the handlers use."""
    probe = (
        "import components.python_function, shared.environment, sys; "
        "print(shared.environment.__file__); print('functions.shared.environment' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(  # noqa: S603 - our own interpreter, a fixed program
        [sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    where, duplicated = result.stdout.split()
    assert Path(where) == FUNCTIONS_ROOT / SHARED_SOURCE / "environment.py" and duplicated == "False"


# --- parsing and rendering -------------------------------------------------------------


def sample(source: str) -> dict[str, str]:
    """A valid environment for ``source``: what the dev stack deploys, minus the construct's."""
    from tests.conftest import _run

    return {name: value for name, value in deployed(_run("dev"))[source].items() if name not in CONSTRUCT_VARIABLES}


@pytest.mark.parametrize("source", sorted(CONTRACTS))
def test_a_missing_variable_is_named(source: str) -> None:
    good = sample(source)
    for name, variable in CONTRACTS[source].variables().items():
        if variable.optional:
            continue
        broken = {k: v for k, v in good.items() if k != name}
        with pytest.raises(
            EnvironmentContractError, match=f"the environment of {source} is invalid: .*{name}: not set"
        ):
            CONTRACTS[source].from_environment(broken)


@pytest.mark.parametrize("source", sorted(CONTRACTS))
def test_a_garbled_variable_is_named(source: str) -> None:
    good = sample(source)
    for name, variable in CONTRACTS[source].variables().items():
        # Empty is wrong for a name, ARN or URL; "{oops" for every number, list, choice or JSON.
        garbled = " " if variable.resource_attribute else "{oops"
        with pytest.raises(EnvironmentContractError, match=f"{name}: "):
            CONTRACTS[source].from_environment({**good, name: garbled})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("NEPTUNE_PORT", "x", "NEPTUNE_PORT: must be an integer from 1 to 65535, got 'x'"),
        ("NEPTUNE_PORT", "70000", "NEPTUNE_PORT: must be an integer from 1 to 65535, got '70000'"),
        ("NEPTUNE_READER_ENDPOINT", "", "NEPTUNE_READER_ENDPOINT: is empty"),
    ],
)
def test_neptune_settings_errors_say_what_is_wrong(name: str, value: str, message: str) -> None:
    good = {"NEPTUNE_WRITER_ENDPOINT": "w.example", "NEPTUNE_READER_ENDPOINT": "r.example", "NEPTUNE_PORT": "8182"}
    with pytest.raises(EnvironmentContractError, match=message):
        NeptuneSettings.from_environment({**good, name: value})


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(EnvironmentContractError) as raised:
        CONTRACTS["auth_triggers"].from_environment({"NEPTUNE_PORT": "x", "BLOCKED_EMAIL_DOMAINS": "not a domain"})
    assert str(raised.value) == (
        "the environment of auth_triggers is invalid: NEPTUNE_WRITER_ENDPOINT: not set; "
        "NEPTUNE_READER_ENDPOINT: not set; NEPTUNE_PORT: must be an integer from 1 to 65535, got 'x'; "
        "ALLOWED_EMAIL_DOMAINS: not set; BLOCKED_EMAIL_DOMAINS: 'not a domain' is not a domain name"
    )


@pytest.mark.parametrize("source", sorted(CONTRACTS))
def test_rendering_round_trips(source: str) -> None:
    parsed = CONTRACTS[source].from_environment(sample(source))
    assert CONTRACTS[source].from_environment(parsed.to_environment()) == parsed


def thumbnailer(**changes: Any) -> ThumbnailerEnvironment[Any]:
    values: dict[str, Any] = {
        "uploads_bucket": "u",
        "media_bucket": "m",
        "fmt": "webp",
        "quality": 80,
        "sizes": (150,),
        "max_pixels": 1_000_000,
    }
    return ThumbnailerEnvironment(**{**values, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"quality": 0}, "RENDITION_QUALITY: must be an integer from 1 to 100, got '0'"),
        ({"fmt": "gif"}, "RENDITION_FORMAT: must be one of webp, jpeg, got 'gif'"),
        ({"sizes": ()}, "RENDITION_SIZES: must list integers of at least 1"),
        ({"media_bucket": ""}, "MEDIA_BUCKET: is empty"),
        ({"media_bucket": None}, "MEDIA_BUCKET: no value given"),
    ],
)
def test_a_value_the_handler_would_refuse_never_renders(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(EnvironmentContractError, match=message):
        thumbnailer(**changes).to_environment()


def test_resource_attributes_are_written_as_they_are() -> None:
    """An Output (here a stand-in object) is one whole variable, resolved by the engine."""
    pending = object()
    assert thumbnailer(uploads_bucket=pending).to_environment()["UPLOADS_BUCKET"] is pending


def test_optional_variables_are_absent_when_unset() -> None:
    assert dict(PlatformApplications[str]().to_environment()) == {}
    only_fcm = PlatformApplications.of({"FCM": "arn:aws:sns:eu-west-1:123456789012:app/GCM/x"})
    assert dict(only_fcm.to_environment()) == {
        "FCM_PLATFORM_APPLICATION_ARN": "arn:aws:sns:eu-west-1:123456789012:app/GCM/x"
    }
    with pytest.raises(ValueError, match="unknown push platform"):
        PlatformApplications.of({"WNS": "arn"})
