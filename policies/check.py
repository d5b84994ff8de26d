"""Offline policy checker: all three packs over a program (mock runtime) or a stack export.

    python -m policies.check (--program DIR | --state FILE) [--stack NAME] [--config FILE ...]
                             [--format text|json|sarif] [--output FILE] [--write-state FILE]
    python -m policies.check --preview [--program DIR] [--state FILE] [--stack NAME] [--config FILE ...]
                             [--format text|json] [--output FILE]

Exit 0: no mandatory violation; 1: at least one; 2: the input could not be evaluated
(one line on stderr, no traceback). ``--config`` may be repeated: each file is one pack's
``--policy-pack-config`` file (the pack is recognised by its policy names) or a combined
``{"security": {...}, "compliance": {...}, "deployability": {...}}`` file. Without ``--config``, the stack's
``policies/config/<pack>.<stack>.json`` files apply; without those, every policy is mandatory.

``--preview`` simulates the engine's preview of the program: outputs of resources not in
``--state FILE`` (a ``pulumi stack export`` of the deployed stack; none: a brand-new stack)
are unknown. It lists, as Markdown, the controls the real preview leaves undecided (the
packs list them as advisory; ``pulumi up`` decides them before each create) and runs the
full offline evaluation to confirm it decided each of them. Exit 0 only when the preview
has no mandatory finding, every deferred control is decided offline, and the full run passes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from policies import render
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
    parser.add_argument("--stack", help="stack name (selects Pulumi.<stack>.yaml and policies/config/*.<stack>.json)")
    parser.add_argument("--config", type=Path, action="append", default=[], help="policy config file (repeatable)")
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    parser.add_argument("--output", type=Path, help="write the report here instead of stdout")
    parser.add_argument("--write-state", type=Path, help="with --program: also write the resources as a stack export")
    return parser


def _from_program(program: Path, stack: str, write_state: Path | None) -> tuple[str, list[object], list[str], str]:
    # Imported lazily: the mock runtime is only needed for --program.
    import pulumi

    from offline.runner import ProgramError, run_program
    from offline.stackfiles import StackFileError

    try:
        run = run_program(program, stack, strict=False)
    except StackFileError as error:
        raise CheckerError(str(error)) from None
    except ProgramError as error:
        raise CheckerError(str(error)) from None
    except pulumi.RunError as error:
        raise CheckerError(
            f"the program failed: {str(error).splitlines()[0] if str(error) else type(error).__name__}"
        ) from None
    if write_state is not None:
        try:
            write(write_state, run.project, run.stack, run.resources)
        except OSError as error:
            raise CheckerError(f"cannot write {write_state}: {error.strerror or error}") from None
    return run.stack, list(run.resources), list(run.warnings), _artifact_uri(program / "Pulumi.yaml")


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
    if args.write_state is not None and args.state is not None:
        raise CheckerError("bad arguments: --write-state needs --program, not --state")
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
            stack, resources_any, warnings, artifact = _from_program(program, args.stack or "dev", args.write_state)
        config = load(args.stack or stack, list(args.config))
    except (StateError, ConfigError) as error:
        raise CheckerError(str(error)) from None
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


def _run_preview(args: argparse.Namespace) -> tuple[int, str]:
    """``--preview``: the real preview's decisions and deferrals, checked against the full run."""
    import pulumi

    from offline.preview import PreviewStateError, run_preview
    from offline.runner import REPO_ROOT, ProgramError
    from offline.stackfiles import StackFileError

    if args.format == "sarif" or args.write_state is not None:
        raise CheckerError("bad arguments: --preview takes --format text|json and no --write-state")
    program = (args.program or REPO_ROOT).resolve()
    stack = args.stack or "dev"
    try:
        config = load(stack, list(args.config))
        run = run_preview(program, stack, state=args.state)
    except (ConfigError, PreviewStateError, StackFileError, ProgramError) as error:
        raise CheckerError(str(error)) from None
    except pulumi.RunError as error:
        raise CheckerError(
            f"the program failed at preview: {str(error).splitlines()[0] if str(error) else 'RunError'}"
        ) from None
    preview = evaluate(run.resources, stack=run.stack, config=config, warnings=run.warnings, preview=True)
    full_stack, full_resources, full_warnings, _ = _from_program(program, stack, None)
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
