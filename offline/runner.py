"""Run a Pulumi Python program under the mock runtime and collect what it registers.

The program is executed as the CLI's language host would: its ``__main__.py`` through
``runpy`` inside a stack resource, with the stack's config loaded and the program
directory as working directory and import root. ``preview=False`` so outputs resolve
and the recorded inputs are the values ``pulumi up`` would send.
"""

from __future__ import annotations

import os
import re
import runpy
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from offline import stackfiles
from offline.mocks import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, RecordedResource, RecordingMocks, RecordingMonitor

REPO_ROOT = Path(__file__).resolve().parent.parent


class ProgramError(Exception):
    """The program could not be evaluated; ``str()`` is a one-line reason."""

    #: What the program had registered when it failed (a config error should leave none).
    registered_before_failure: list[RecordedResource]
    #: ``file:line`` in the program where it failed, when the traceback reaches its files.
    program_location: str | None


@dataclass
class ProgramRun:
    project: str
    stack: str
    resources: list[RecordedResource]
    outputs: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def by_type(self, type_token: str) -> list[RecordedResource]:
        """Resources of one type in natural name order (``x-2`` before ``x-10``).

        Registration order is not stable (registration is asynchronous), so tests and
        reports never depend on it."""
        return sorted((r for r in self.resources if r.type == type_token), key=lambda r: _natural_key(r.name))

    def one(self, type_token: str, name: str) -> RecordedResource:
        matches = [r for r in self.resources if r.type == type_token and r.name == name]
        if len(matches) != 1:
            raise KeyError(f"expected one {type_token} named {name!r}, found {len(matches)}")
        return matches[0]

    def by_urn(self) -> dict[str, RecordedResource]:
        return {r.urn: r for r in self.resources}


def _natural_key(name: str) -> list[tuple[int, int | str]]:
    return [(0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", name) if part]


@contextmanager
def _program_context(program_dir: Path) -> Iterator[None]:
    """Make the program directory the cwd and import root; forget its modules afterwards."""
    before = set(sys.modules)
    old_cwd = Path.cwd()
    sys.path.insert(0, str(program_dir))
    os.chdir(program_dir)
    try:
        yield
    finally:
        os.chdir(old_cwd)
        sys.path.remove(str(program_dir))
        for name in set(sys.modules) - before:
            module_file = getattr(sys.modules[name], "__file__", None) or ""
            # The program's own modules only: a virtualenv may live inside the program
            # directory, and packages such as pulumi_aws must be imported exactly once.
            if module_file.startswith(str(program_dir)) and "site-packages" not in Path(module_file).parts:
                del sys.modules[name]


#: The region a program runs in offline when its config sets no ``aws:region`` (the CLI
#: would use the AWS profile's; offline there is none). Reported as a warning.
STANDIN_REGION = DEFAULT_REGION


def program_location(error: BaseException, program_dir: Path) -> str | None:
    """``file:line`` of the innermost frame of ``error``'s traceback inside the program's own
    files (not a virtualenv inside it), relative to the program directory."""
    root = program_dir.resolve()
    where: str | None = None
    frames = [(frame.f_code.co_filename, line) for frame, line in traceback.walk_tb(error.__traceback__)]
    if isinstance(error, SyntaxError) and error.filename:
        frames.append((error.filename, error.lineno or 0))  # the file that does not parse
    for filename, line in frames:
        if filename.startswith("<"):  # <frozen runpy>, <string>: not a file of the program
            continue
        path = Path(filename)
        if not path.is_absolute():
            path = (root / path).resolve()
        if path.is_relative_to(root) and "site-packages" not in path.parts:
            where = f"{path.relative_to(root).as_posix()}:{line}"
    return where


def _describe(error: BaseException) -> str:
    if isinstance(error, SystemExit):
        return f"the program called sys.exit({error.code!r})"
    if isinstance(error, SyntaxError):
        return f"SyntaxError: {error.msg}"
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _missing_assets(resources: list[RecordedResource], program_dir: Path) -> list[str]:
    """A warning for each asset or archive a resource names whose file does not exist."""
    warnings: list[str] = []

    def walk(value: object, resource: RecordedResource) -> None:
        if isinstance(value, pulumi.FileAsset | pulumi.FileArchive):
            path = Path(str(value.path))
            if not (path if path.is_absolute() else program_dir / path).exists():
                warnings.append(
                    f"{resource.type} {resource.name!r}: {type(value).__name__} {value.path!r} does not exist"
                    " (pulumi up would fail to read it)"
                )
        elif isinstance(value, pulumi.AssetArchive):
            for item in value.assets.values():
                walk(item, resource)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item, resource)
        elif isinstance(value, list):
            for item in value:
                walk(item, resource)

    for resource in resources:
        walk(resource.inputs, resource)
    return sorted(set(warnings))


def run_program(
    program_dir: Path = REPO_ROOT,
    stack: str = "dev",
    *,
    config_file: Path | None = None,
    config_overrides: Mapping[str, str] | None = None,
    secret_overrides: Mapping[str, str] | None = None,
    strict: bool = True,
    account_id: str = DEFAULT_ACCOUNT_ID,
) -> ProgramRun:
    """Evaluate ``program_dir`` for ``stack`` and return every registered resource.

    ``config_overrides`` and ``secret_overrides`` are ``pulumi config set [--secret]``
    values (a key without a namespace is the project's, as the CLI reads it). Raises
    ``StackFileError`` for unreadable project or stack files, the program's own
    ``pulumi.RunError`` (such as a config error) unchanged, and ``ProgramError`` for
    anything else the program raised. Either error carries ``program_location``
    (``file:line`` in the program, or ``None``).
    """
    files = stackfiles.load(program_dir, stack, config_file)
    config = dict(files.config)
    secret_keys = list(files.secret_keys)
    for key, value in (config_overrides or {}).items():
        full_key = stackfiles.namespaced(files.project, key)
        config[full_key] = value
        if full_key in secret_keys:
            secret_keys.remove(full_key)
    for key, value in (secret_overrides or {}).items():
        full_key = stackfiles.namespaced(files.project, key)
        config[full_key] = value
        secret_keys.append(full_key)
    warnings: list[str] = []
    if "aws:region" not in config:
        config["aws:region"] = STANDIN_REGION
        warnings.append(f"aws:region is not set: the program ran in the stand-in region {STANDIN_REGION}")
    mocks = RecordingMocks(account_id=account_id, region=config["aws:region"], strict=strict)
    monitor = RecordingMonitor(mocks)

    pulumi_settings.SETTINGS.rpc_manager.clear()
    pulumi_settings.SETTINGS.outputs.clear()
    pulumi_mocks.set_mocks(mocks, project=files.project, stack=files.stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(config, secret_keys)
    # set_mocks roots a stack of its own; the program gets a fresh one from run_in_stack.
    pulumi_settings.set_root_resource(None)  # type: ignore[arg-type]

    def program() -> None:
        runpy.run_path(str(files.main), run_name="__main__")

    with _program_context(files.program_dir):
        try:
            _sync_await(run_in_stack(program))
        except pulumi.RunError as error:
            error.registered_before_failure = list(monitor.recorded.values())  # type: ignore[attr-defined]
            error.program_location = program_location(error, files.program_dir)  # type: ignore[attr-defined]
            raise
        except (Exception, SystemExit) as error:  # reported as one line to the user
            # SystemExit too: a program's sys.exit(1) must not become the checker's exit code.
            where = program_location(error, files.program_dir)
            failure = ProgramError(f"the program failed{f' at {where}' if where else ''}: {_describe(error)}")
            failure.registered_before_failure = list(monitor.recorded.values())
            failure.program_location = where
            raise failure from error
        finally:
            pulumi_settings.SETTINGS.rpc_manager.clear()
            pulumi_settings.SETTINGS.outputs.clear()
    return ProgramRun(
        project=files.project,
        stack=files.stack,
        resources=list(monitor.recorded.values()),
        outputs=dict(monitor.stack_outputs),
        warnings=[*warnings, *mocks.warnings, *_missing_assets(list(monitor.recorded.values()), files.program_dir)],
    )
