"""Run a program under the mock runtime the way the engine previews it.

``pulumi preview`` (and the preview step of ``pulumi up``) runs the program with
``dry_run``: a resource that does not exist yet answers its registration with its known
inputs only, so every provider-computed output (``id``, ``arn``, a generated name) is
unknown, and everything built from it (an ``apply``, an ``Output.json_dumps`` IAM
document) is unknown too. A resource already in the stack's state answers with its
recorded outputs. ``run_preview`` reproduces that with ``preview=True`` in
``pulumi.runtime.set_mocks`` (the SDK then marks every output the monitor does not return
as unknown) and returns the registrations with the engine's unknown sentinel where the
CLI would send one to the policy packs.

Simplification: a resource in the state keeps its recorded outputs even when its inputs
changed (the engine would mark outputs of a replaced resource unknown).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pulumi
from pulumi.output import Unknown
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from offline import stackfiles
from offline.mocks import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, RecordedResource, RecordingMocks, RecordingMonitor
from offline.runner import REPO_ROOT, ProgramError, ProgramRun, _program_context

#: What the engine sends a policy pack for an unknown value (``pulumi_policy.proxy``'s
#: ``UNKNOWN_STRING_VALUE`` is the same string).
UNKNOWN_SENTINEL = rpc.UNKNOWN
_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"  # noqa: S105 - engine marker, not a secret


class PreviewStateError(ValueError):
    """The ``--state`` file for a preview cannot be used; ``str()`` is one line."""


def existing_outputs(path: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    """URN -> (id, outputs) of every resource in a ``pulumi stack export`` file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PreviewStateError(f"state file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PreviewStateError(f"state file {path} cannot be read as JSON: {error}") from None
    deployment = document.get("deployment") if isinstance(document, dict) else None
    resources = deployment.get("resources") if isinstance(deployment, dict) else None
    if not isinstance(resources, list):
        raise PreviewStateError(f"state file {path} is not a stack export (no 'deployment.resources' list)")
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for raw in resources:
        if isinstance(raw, dict) and isinstance(raw.get("urn"), str):
            outputs = raw.get("outputs") if isinstance(raw.get("outputs"), dict) else {}
            found[raw["urn"]] = (str(raw.get("id") or ""), _drop_secrets(outputs))
    return found


def _drop_secrets(value: Any) -> Any:
    """Leave out what cannot be read back here (encrypted secrets, assets): unknown at preview."""
    if isinstance(value, dict):
        return {k: _drop_secrets(v) for k, v in value.items() if not _is_secret(v)}
    if isinstance(value, list):
        return [_drop_secrets(v) for v in value if not _is_secret(v)]
    return value


def _is_secret(value: Any) -> bool:
    """A secret, asset or archive (signature key) or an unserializable marker of ``--write-state``."""
    return isinstance(value, dict) and (_SECRET_SIG_KEY in value or "offline-unserializable" in value)


def _known(value: Any) -> Any:
    """``value`` without unknowns: what the engine echoes back for a create at preview."""
    if isinstance(value, Unknown):
        return None
    if isinstance(value, dict):
        return {k: _known(v) for k, v in value.items() if not isinstance(v, Unknown)}
    if isinstance(value, list):
        return [_known(v) for v in value]
    return value


def _as_sent(value: Any) -> Any:
    """``value`` with the SDK's ``Unknown`` replaced by the sentinel the engine sends the packs."""
    if isinstance(value, Unknown):
        return UNKNOWN_SENTINEL
    if isinstance(value, dict):
        return {k: _as_sent(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_sent(v) for v in value]
    return value


class PreviewMocks(RecordingMocks):
    """New resources answer with their known inputs only; existing ones with their state."""

    def __init__(self, existing: Mapping[str, tuple[str, dict[str, Any]]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.existing = dict(existing)
        #: The URN being registered (set by ``PreviewMonitor``; MockResourceArgs has no parent).
        self.current_urn = ""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        urn = self.current_urn
        if urn in self.existing:
            resource_id, outputs = self.existing[urn]
            # An update at preview: the new inputs, and the computed outputs the state has.
            return resource_id, {**outputs, **_known(dict(args.inputs))}
        # An empty id is "unknown" to the SDK at preview; outputs not returned are unknown.
        return "", _known(dict(args.inputs))


class PreviewMonitor(RecordingMonitor):
    """Tells ``PreviewMocks`` which URN (with the parent type chain) it is answering for."""

    def __init__(self, mocks: PreviewMocks) -> None:
        super().__init__(mocks)
        self.preview_mocks = mocks
        # The SDK calls the monitor from executor threads; one registration at a time.
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        with self._lock:
            self.preview_mocks.current_urn = self.make_urn(request.parent, request.type, request.name)
            return super().RegisterResource(request)


def run_preview(
    program_dir: Path = REPO_ROOT,
    stack: str = "dev",
    *,
    state: Path | None = None,
    account_id: str = DEFAULT_ACCOUNT_ID,
) -> ProgramRun:
    """Evaluate ``program_dir`` as ``pulumi preview`` would for ``stack``.

    ``state``: a ``pulumi stack export`` of the deployed stack (its resources' outputs are
    known); without it the stack is brand new and every computed output is unknown.
    Raises what ``offline.runner.run_program`` raises, and ``PreviewStateError``.
    """
    existing = existing_outputs(state) if state is not None else {}
    files = stackfiles.load(program_dir, stack, None)
    config = dict(files.config)
    mocks = PreviewMocks(existing, account_id=account_id, region=config.get("aws:region", DEFAULT_REGION), strict=False)
    monitor = PreviewMonitor(mocks)

    pulumi_settings.SETTINGS.rpc_manager.clear()
    pulumi_settings.SETTINGS.outputs.clear()
    pulumi_mocks.set_mocks(mocks, project=files.project, stack=files.stack, preview=True, monitor=monitor)
    pulumi.runtime.set_all_config(config, files.secret_keys)
    pulumi_settings.set_root_resource(None)  # type: ignore[arg-type]

    def program() -> None:
        import runpy

        runpy.run_path(str(files.main), run_name="__main__")

    with _program_context(files.program_dir):
        try:
            _sync_await(run_in_stack(program))
        except pulumi.RunError:
            raise
        except Exception as error:  # reported as one line to the user
            failure = ProgramError(f"the program failed at preview: {type(error).__name__}: {error}")
            failure.registered_before_failure = list(monitor.recorded.values())
            raise failure from error
        finally:
            pulumi_settings.SETTINGS.rpc_manager.clear()
            pulumi_settings.SETTINGS.outputs.clear()
            # Later runs in this process (the full offline run) are updates, not previews.
            pulumi_mocks.set_mocks(mocks, project=files.project, stack=files.stack, preview=False, monitor=monitor)
            pulumi_settings.SETTINGS.rpc_manager.clear()
            pulumi_settings.SETTINGS.outputs.clear()
    resources: list[RecordedResource] = [
        replace(r, inputs=_as_sent(r.inputs), state=_as_sent(r.state)) for r in monitor.recorded.values()
    ]
    return ProgramRun(
        project=files.project,
        stack=files.stack,
        resources=resources,
        outputs={},
        warnings=list(mocks.warnings),
    )
