"""Offline policy checker: all three packs over a program (mock runtime) or a stack export.

    python -m policies.check (--program DIR | --state FILE) [--stack NAME] [--stack-file FILE]
                             [--set KEY=VALUE ...] [--set-secret KEY=VALUE ...]
                             [--policy-config FILE ...] [--format text|json|sarif]
                             [--output FILE] [--write-state FILE] [--export-terraform-plan FILE]
    python -m policies.check --preview [--program DIR] [--state FILE] [--stack NAME]
                             [--policy-config FILE ...] [--format text|json] [--output FILE]

Exit 0: no mandatory violation; 1: at least one; 2: the input could not be evaluated
(one line on stderr, no traceback).

Two kinds of configuration, two flags. The *program's* config (what ``pulumi config set``
writes) comes from ``Pulumi.<stack>.yaml`` (or ``--stack-file``) plus ``--set`` /
``--set-secret``; ``--stack`` may be left out when the program has at most one stack file,
and a program with none runs on its project defaults. The *policy packs'* config is
``--policy-config`` (``--config`` is its old name): each file is one pack's
``--policy-pack-config`` file (the pack is recognised by its policy names) or a combined
``{"security": {...}, "compliance": {...}, "deployability": {...}}`` file. Without it, the stack's
``policies/config/<pack>.<stack>.json`` files apply; without those, every policy is mandatory.

``--preview`` simulates the engine's preview of the program: outputs of resources not in
``--state FILE`` (a ``pulumi stack export`` of the deployed stack; none: a brand-new stack)
are unknown. It lists, as Markdown, the controls the real preview leaves undecided (the
packs list them as advisory; ``pulumi up`` decides them before each create) and runs the
full offline evaluation to confirm it decided each of them. Exit 0 only when the preview
has no mandatory finding, every deferred control is decided offline, and the full run passes.

Data sources: on this repository's own program every invoke is answered exactly or the run
fails (strict); on any other program each data source is answered with values synthesised
from its SDK result type and listed as a warning (offline/datasources.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from policies import render
from policies.core import Res
from policies.evaluate import Finding, Report, evaluate
from policies.packconfig import ConfigError, PackConfig, load
from policies.state import StateError, read, write

__all__ = ["Finding", "PackConfig", "Report", "evaluate", "main", "run_checker"]

EXIT_PASS, EXIT_VIOLATION, EXIT_ERROR = 0, 1, 2


class CheckerError(Exception):
    """The input could not be evaluated; ``str()`` is a one-line reason."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CheckerError(f"bad arguments: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m policies.check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--program", type=Path, help="Pulumi Python program directory (default: the repository root)")
    parser.add_argument(
        "--state", type=Path, help="a `pulumi stack export` JSON file (with --preview: the deployed stack)"
    )
    parser.add_argument(
        "--preview", action="store_true", help="simulate the engine's preview and list the controls it defers"
    )
    parser.add_argument(
        "--stack",
        help="stack name (selects Pulumi.<stack>.yaml and policies/config/*.<stack>.json); "
        "default: the program's only stack file, or 'dev' on empty config when it has none",
    )
    parser.add_argument("--stack-file", type=Path, help="the program's config from this stack file instead")
    parser.add_argument(
        "--set",
        dest="set_values",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="program config value, as `pulumi config set KEY VALUE` (repeatable; KEY without "
        "a namespace is the project's)",
    )
    parser.add_argument(
        "--set-secret",
        dest="set_secrets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="program config secret, as `pulumi config set --secret` (repeatable)",
    )
    parser.add_argument(
        "--policy-config",
        "--config",
        dest="policy_config",
        type=Path,
        action="append",
        default=[],
        help="policy pack config file (repeatable; not the program's config: see --set)",
    )
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    parser.add_argument("--output", type=Path, help="write the report here instead of stdout")
    parser.add_argument("--write-state", type=Path, help="with --program: also write the resources as a stack export")
    parser.add_argument(
        "--export-terraform-plan",
        type=Path,
        metavar="FILE",
        help="also write the resources as a Terraform plan JSON (for checkov and other scanners; docs/checkov.md)",
    )
    return parser


def _key_values(flag: str, values: Sequence[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in values:
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise CheckerError(f"bad arguments: {flag} takes KEY=VALUE, got {item!r}")
        pairs[key] = value
    return pairs


def _not_covered(resources: Sequence[object]) -> list[str]:
    """One warning per provider whose resources no pack evaluates (only AWS types are covered)."""
    by_provider: dict[str, set[str]] = {}
    for resource in resources:
        type_token = str(getattr(resource, "type", ""))
        provider = type_token.split(":", 1)[0]
        if getattr(resource, "custom", False) and provider not in ("aws", "pulumi"):
            by_provider.setdefault(provider, set()).add(type_token)
    return [
        f"{len(types)} resource type(s) of provider {provider!r} not covered by the packs: {', '.join(sorted(types))}"
        for provider, types in sorted(by_provider.items())
    ]


def _from_program(args: argparse.Namespace, program: Path) -> tuple[str, list[object], list[str], str]:
    # Imported lazily: the mock runtime is only needed for --program.
    import pulumi

    from offline.runner import REPO_ROOT, ProgramError, run_program
    from offline.stackfiles import StackFileError, choose_stack

    overrides = _key_values("--set", args.set_values)
    secrets = _key_values("--set-secret", args.set_secrets)
    try:
        stack = choose_stack(program, args.stack, args.stack_file)
        # This repository's own program keeps strict, exact invokes (see the module doc).
        run = run_program(
            program,
            stack,
            config_file=args.stack_file,
            config_overrides=overrides,
            secret_overrides=secrets,
            strict=program.resolve() == REPO_ROOT.resolve(),
        )
    except StackFileError as error:
        raise CheckerError(str(error)) from None
    except ProgramError as error:
        raise CheckerError(str(error)) from None
    except pulumi.ConfigMissingError as error:
        where = getattr(error, "program_location", None)
        flag = "--set-secret" if error.secret else "--set"
        raise CheckerError(
            f"missing required config {error.key!r}{f' (required at {where})' if where else ''}: "
            f"supply it with {flag} {error.key}=VALUE or in the stack file"
        ) from None
    except pulumi.RunError as error:
        where = getattr(error, "program_location", None)
        text = str(error).strip().splitlines()
        raise CheckerError(
            f"the program failed{f' at {where}' if where else ''}: {text[0] if text else type(error).__name__}"
        ) from None
    write_state = args.write_state
    if write_state is not None:
        try:
            write(write_state, run.project, run.stack, run.resources)
        except OSError as error:
            raise CheckerError(f"cannot write {write_state}: {error.strerror or error}") from None
    warnings = [*run.warnings, *_not_covered(run.resources)]
    return run.stack, list(run.resources), warnings, _artifact_uri(program / "Pulumi.yaml")


def _artifact_uri(path: Path) -> str:
    """A repository-relative URI when the file is under the working directory (what code scanning wants)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.resolve().as_uri()


def run_checker(argv: Sequence[str]) -> tuple[int, str]:
    """Parse ``argv``, evaluate, and return (exit code, rendered report)."""
    args = _parser().parse_args(argv)
    if args.preview:
        return _run_preview(args)
    if args.program is not None and args.state is not None:
        raise CheckerError("bad arguments: --program and --state are alternatives (both only with --preview)")
    if args.state is not None:
        for flag, given in (
            ("--write-state", args.write_state),
            ("--stack-file", args.stack_file),
            ("--set", args.set_values),
            ("--set-secret", args.set_secrets),
        ):
            if given:
                raise CheckerError(f"bad arguments: {flag} needs --program, not --state")
    try:
        if args.state is not None:
            stack, resources = read(args.state)
            stack = args.stack or stack
            warnings: list[str] = []
            artifact = _artifact_uri(args.state)
            resources_any: list[object] = list(resources)
        else:
            from offline.runner import REPO_ROOT

            program = (args.program or REPO_ROOT).resolve()
            stack, resources_any, warnings, artifact = _from_program(args, program)
        config = load(args.stack or stack, list(args.policy_config))
    except (StateError, ConfigError) as error:
        raise CheckerError(str(error)) from None
    if args.export_terraform_plan is not None:
        warnings = [*warnings, *_export_terraform_plan(args.export_terraform_plan, resources_any)]
    report = evaluate(resources_any, stack=stack, config=config, warnings=warnings)  # type: ignore[arg-type]
    if args.format == "json":
        rendered = render.as_json(report)
    elif args.format == "sarif":
        rendered = render.sarif(report, artifact)
    else:
        rendered = render.text(report)
    if args.output is not None:
        try:
            args.output.write_text(rendered, encoding="utf-8")
        except OSError as error:
            raise CheckerError(f"cannot write {args.output}: {error.strerror or error}") from None
        rendered = report.summary() + "\n"
    return (EXIT_PASS if report.passed else EXIT_VIOLATION), rendered


def _export_terraform_plan(path: Path, resources: Sequence[object]) -> list[str]:
    """``--export-terraform-plan``: write the plan; the warnings name what it left out."""
    from offline.terraform_plan import PlanExportError, export, unmapped_warning, write_plan
    from policies.evaluate import res_from_recorded

    views = [r if isinstance(r, Res) else res_from_recorded(r) for r in resources]  # type: ignore[arg-type]
    plan = export(views)
    try:
        write_plan(path, plan)
    except PlanExportError as error:
        raise CheckerError(str(error)) from None
    return unmapped_warning(plan)


def _run_preview(args: argparse.Namespace) -> tuple[int, str]:
    """``--preview``: the real preview's decisions and deferrals, checked against the full run."""
    import pulumi

    from offline.preview import PreviewStateError, run_preview
    from offline.runner import REPO_ROOT, ProgramError
    from offline.stackfiles import StackFileError, choose_stack

    if args.format == "sarif" or args.write_state is not None or args.export_terraform_plan is not None:
        raise CheckerError(
            "bad arguments: --preview takes --format text|json and no --write-state or --export-terraform-plan"
        )
    for flag, given in (
        ("--stack-file", args.stack_file),
        ("--set", args.set_values),
        ("--set-secret", args.set_secrets),
    ):
        if given:
            raise CheckerError(
                f"bad arguments: --preview runs the stack file's config; {flag} is not supported with it"
            )
    program = (args.program or REPO_ROOT).resolve()
    try:
        stack = choose_stack(program, args.stack, None)
        config = load(stack, list(args.policy_config))
        run = run_preview(program, stack, state=args.state)
    except (ConfigError, PreviewStateError, StackFileError, ProgramError) as error:
        raise CheckerError(str(error)) from None
    except pulumi.RunError as error:
        raise CheckerError(
            f"the program failed at preview: {str(error).splitlines()[0] if str(error) else 'RunError'}"
        ) from None
    preview = evaluate(run.resources, stack=run.stack, config=config, warnings=run.warnings, preview=True)
    full_args = argparse.Namespace(**{**vars(args), "stack": stack, "state": None, "write_state": None})
    full_stack, full_resources, full_warnings, _ = _from_program(full_args, program)
    full = evaluate(full_resources, stack=full_stack, config=config, warnings=full_warnings)  # type: ignore[arg-type]
    still_unknown = {(f.rule.name, f.violation.urn) for f in full.undecided}
    violating = {(f.rule.name, f.violation.urn): f.enforcement for f in full.findings if not f.violation.unknown}
    deferred = []
    for finding in preview.undecided:
        key = (finding.rule.name, finding.violation.urn)
        if key in still_unknown:
            verdict = "UNDECIDED"
        elif key in violating:
            verdict = f"violates ({violating[key]})"
        else:
            verdict = "passes"
        deferred.append(render.Deferred(finding, verdict))
    passed = preview.passed and full.passed and not full.undecided and all(d.offline != "UNDECIDED" for d in deferred)
    source = f"deployed state {args.state}" if args.state is not None else "brand-new stack"
    renderer = render.preview_json if args.format == "json" else render.preview_markdown
    rendered = renderer(preview, full, deferred, source, passed)
    if args.output is not None:
        try:
            args.output.write_text(rendered, encoding="utf-8")
        except OSError as error:
            raise CheckerError(f"cannot write {args.output}: {error.strerror or error}") from None
        rendered = f"policy preview {'PASS' if passed else 'FAIL'}: {len(deferred)} deferred control(s), report in {args.output}\n"
    return (EXIT_PASS if passed else EXIT_VIOLATION), rendered


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code, rendered = run_checker(sys.argv[1:] if argv is None else argv)
    except CheckerError as error:
        print(f"policies.check: {error}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as error:  # noqa: BLE001 - the contract is one line, never a traceback
        print(f"policies.check: could not evaluate: {type(error).__name__}: {error}".splitlines()[0], file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(rendered)
    return code


if __name__ == "__main__":
    sys.exit(main())
