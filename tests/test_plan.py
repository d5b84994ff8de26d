"""`make plan`: the offline preview a user reads, and its one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from offline.plan import render_tree
from offline.runner import REPO_ROOT, ProgramRun


def _plan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "offline.plan", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _program_copy(tmp_path: Path, stack_file: str) -> Path:
    """The real program beside a stack file of the test's choosing."""
    for name in ("Pulumi.yaml", "__main__.py", "components"):
        (tmp_path / name).symlink_to(REPO_ROOT / name)
    (tmp_path / "Pulumi.broken.yaml").write_text(stack_file)
    return tmp_path


def test_tree_groups_every_resource_under_its_component(run: ProgramRun) -> None:
    tree = render_tree(run)
    custom = [r for r in run.resources if r.custom]
    for component, count in (
        ("social-backend:keys:Keys 'keys'", 6),
        ("social-backend:network:Network 'network'", None),
    ):
        assert component in tree
        if count is not None:
            assert f"{component} ({count} resources)" in tree
    listed = [line for line in tree.splitlines() if line.lstrip().startswith("+ ")]
    assert len(listed) == len(custom), "every resource is listed once"
    assert all(line.startswith("  ") for line in listed), "indented under a component"
    assert f"{len(custom)} resources to create, by type:" in tree
    instances = len(run.by_type("aws:neptune/clusterInstance:ClusterInstance"))
    assert f"{instances:>4}  aws:neptune/clusterInstance:ClusterInstance" in tree


def test_protected_resources_are_marked(run: ProgramRun) -> None:
    tree = render_tree(run)
    cluster_line = next(
        line for line in tree.splitlines() if line.endswith("graph-cluster") or "graph-cluster " in line
    )
    assert ("[protected]" in cluster_line) is run.one("aws:neptune/cluster:Cluster", "graph-cluster").protect


def test_plan_prod_prints_the_tree() -> None:
    result = _plan("--stack", "prod")
    assert result.returncode == 0, result.stderr
    assert "Offline plan for social-backend/prod" in result.stdout
    assert "social-backend:graphdb:GraphDatabase 'graph'" in result.stdout
    assert result.stdout.count("aws:neptune/clusterInstance:ClusterInstance") >= 2
    verdict = result.stdout.strip().splitlines()[-1]
    assert verdict.startswith("policies PASS: 0 mandatory"), verdict


def test_findings_are_printed_under_their_resource(run: ProgramRun) -> None:
    bucket = run.one("aws:s3/bucket:Bucket", "content-static")
    tree = render_tree(run, {bucket.urn: ["advisory some-policy: a finding"]})
    lines = tree.splitlines()
    at = next(i for i, line in enumerate(lines) if line.split()[-1:] in (["content-static"], ["[protected]"]) and " content-static" in line)
    assert lines[at + 1].strip() == "! advisory some-policy: a finding"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stack", "staging"], "error: unknown stack 'staging': no Pulumi.staging.yaml (known stacks: dev, prod)"),
        (["--stack", "../etc"], "error: invalid stack name '../etc'"),
        (["--stack", "dev", "--program", "/nonexistent"], "error: /nonexistent has no Pulumi.yaml"),
    ],
)
def test_bad_stack_is_one_line(args: list[str], message: str) -> None:
    result = _plan(*args)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("stack_file", "message"),
    [
        (
            "config:\n  social-backend:network:\n    azCount: 1\n",
            "error: social-backend:network.azCount: must be between 2 and 6, got 1",
        ),
        ("config:\n  social-backend:network: [\n", "error: Pulumi.broken.yaml is not valid YAML"),
        ("- just\n- a list\n", "error: Pulumi.broken.yaml must be a mapping"),
    ],
)
def test_broken_config_is_one_line(tmp_path: Path, stack_file: str, message: str) -> None:
    program = _program_copy(tmp_path, stack_file)
    result = _plan("--stack", "broken", "--program", str(program))
    assert result.returncode == 2, result.stdout
    assert result.stderr.strip().startswith(message), result.stderr
    assert "Traceback" not in result.stderr
