"""Offline preview: what ``pulumi up`` would create for a stack, without credentials.

    python -m offline.plan --stack prod [--program DIR]

Runs the program under the mock runtime (see ``offline.runner``) and prints the
resources grouped by component, with counts, each followed by what the policy packs
say of it (``!`` lines), and the packs' verdict. Exit 1 on a mandatory violation (as
``pulumi preview`` with the packs would), 2 when the stack or its config is wrong. Exit 2 with a one-line error when the
stack or its config is wrong.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import pulumi

from offline.mocks import RecordedResource
from offline.runner import REPO_ROOT, ProgramError, ProgramRun, run_program
from offline.stackfiles import StackFileError
from policies import packconfig
from policies.evaluate import Report, evaluate


def render_tree(run: ProgramRun, findings: Mapping[str, Sequence[str]] | None = None) -> str:
    """The resource tree; ``findings`` (URN -> lines) are printed under their resource."""
    findings = findings or {}
    children: dict[str, list[RecordedResource]] = defaultdict(list)
    urns = {r.urn for r in run.resources}
    for resource in run.resources:
        parent = resource.parent if resource.parent in urns else ""
        children[parent].append(resource)

    def descendants(urn: str) -> int:
        return sum((1 if c.custom else 0) + descendants(c.urn) for c in children.get(urn, []))

    lines: list[str] = []

    def walk(urn: str, depth: int) -> None:
        indent = "  " * depth
        for resource in sorted(children.get(urn, []), key=lambda r: (r.custom, r.type, r.name)):
            if resource.custom:
                protected = "  [protected]" if resource.protect else ""
                lines.append(f"{indent}+ {resource.type:<58} {resource.name}{protected}")
                lines.extend(f"{indent}    ! {finding}" for finding in findings.get(resource.urn, ()))
            else:
                lines.append(f"{indent}{resource.type} {resource.name!r} ({descendants(resource.urn)} resources)")
                walk(resource.urn, depth + 1)

    walk("", 0)
    custom = [r for r in run.resources if r.custom]
    lines.append("")
    lines.append(f"{len(custom)} resources to create, by type:")
    for type_token, count in sorted(Counter(r.type for r in custom).items()):
        lines.append(f"  {count:>4}  {type_token}")
    for warning in run.warnings:
        lines.append(f"warning: {warning}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.plan", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev", help="stack whose Pulumi.<stack>.yaml is used (default: dev)")
    parser.add_argument("--program", type=Path, default=REPO_ROOT, help="Pulumi program directory (default: this repo)")
    options = parser.parse_args(argv)
    try:
        run = run_program(options.program, options.stack)
    except (StackFileError, pulumi.RunError, ProgramError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = policy_report(run)
    print(f"Offline plan for {run.project}/{run.stack} (mock runtime: no credentials, nothing is created)\n")
    by_urn = {
        urn: [f"{f.enforcement} {f.rule.name}: {f.violation.message}" for f in found]
        for urn, found in report.by_urn().items()
    }
    print(render_tree(run, by_urn))
    for line in by_urn.get("", []):
        print(f"  ! {line}")
    print(f"\n{report.summary()}")
    # Like `pulumi preview` with the packs: a mandatory violation fails the preview.
    return 0 if report.passed else 1


def policy_report(run: ProgramRun) -> Report:
    """Both policy packs over the recorded resources, with the stack's own pack config."""
    return evaluate(run.resources, stack=run.stack, config=packconfig.load(run.stack), warnings=run.warnings)


if __name__ == "__main__":
    sys.exit(main())
