"""The packs measured against checkov: run it on both stacks' Terraform plans and classify.

Each checkov failure is in exactly one class, or the comparison fails:

- ``our finding``: our packs report the same resource under a rule that declares that
  checkov id (``checkov=[...]`` in policies/rules) or that ``SAME_CONTROL`` documents as
  the same control; advisory in this stack's pack config (the stacks pass, so never mandatory);
- ``our exemption``: this stack's pack config exempts the resource from such a rule, with
  its written reason (policies/config/<pack>.<stack>.json);
- ``our stack config``: the rule reports it with its defaults, and this stack's pack config
  relaxes it on purpose (a shorter retention in dev, a level);
- ``checkov modelling limit``: ``MODELLING_LIMITS`` says why checkov's verdict does not
  hold for this program, once per check (and resource type), with the reason.

A failure in none of them is a gap of the packs, or a limit nobody wrote down.

checkov runs once per session, on both plans, in its own virtualenv (``.venv-checkov``,
made by ``make install``; requirements-checkov.txt says why it is separate).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from offline.flows.evaluate import recorded
from offline.runner import REPO_ROOT
from offline.terraform_plan import PlanExport, export, terraform_type, write_plan
from policies.core import Stack, run_resource_rule, run_stack_rule
from policies.evaluate import Report, evaluate, res_from_recorded
from policies.packconfig import load
from policies.rules import all_rules
from tests.checkov_tally import (
    MODELLING_LIMIT,
    OUR_EXEMPTION,
    OUR_FINDING,
    OUR_STACK_CONFIG,
    SESSION,
    TIMING,
    UNCLASSIFIED,
    Tally,
)

CHECKOV_VENV: Final = REPO_ROOT / ".venv-checkov"
CHECKOV: Final = CHECKOV_VENV / "bin" / "checkov"
CHECKOV_PYTHON: Final = CHECKOV_VENV / "bin" / "python"
STACKS: Final = ("dev", "prod")


@dataclass(frozen=True)
class SameControl:
    """A checkov check that is one of our rules under another id; ``on``: the Pulumi type our
    rule reports when it judges the control on a neighbouring resource (a stage for its
    method settings), so the finding is matched through the plan's references."""

    rule: str
    reason: str
    on: str | None = None


#: checkov id -> our rule that is the same control although the rule does not declare the id.
SAME_CONTROL: Final[Mapping[str, SameControl]] = {
    "CKV_AWS_225": SameControl(
        "apigateway-stage-cache",
        "checkov asks for caching on the method settings; our rule asks for the stage cache cluster the "
        "method settings' caching_enabled needs (API Gateway caches only with a cache cluster on the stage)",
        on="aws:apigateway/stage:Stage",
    ),
    "CKV_AWS_120": SameControl(
        "apigateway-stage-cache",
        "API Gateway caching on the stage (cache_cluster_enabled) is what apigateway-stage-cache checks",
    ),
}


def values(plan: PlanExport, address: str) -> dict[str, Any]:
    """The planned values of one resource of the plan."""
    for entry in plan.document["planned_values"]["root_module"]["resources"]:
        if entry["address"] == address:
            return dict(entry["values"])
    return {}


def referrers(plan: PlanExport, address: str, *tf_types: str) -> list[str]:
    """Addresses of resources of ``tf_types`` whose configuration references ``address``."""
    found = []
    for entry in plan.document["configuration"]["root_module"]["resources"]:
        if entry["type"] in tf_types and f'"{address}"' in json.dumps(entry.get("expressions", {})):
            found.append(entry["address"])
    return found


def _is_access_log_target(plan: PlanExport, address: str) -> bool:
    return bool(referrers(plan, address, "aws_s3_bucket_logging"))


#: Callers whose invocation of a function is synchronous (the caller gets the error back) or that
#: poll for it (an event source mapping retries and has its own failure destination).
_SYNC_OR_POLLED_CALLERS: Final = (
    "aws_appsync_datasource",
    "aws_api_gateway_integration",
    "aws_cognito_user_pool",
    "aws_lambda_event_source_mapping",
)


#: Services that invoke a function synchronously ('Invoking Lambda with events from other AWS
#: services', AWS Lambda Developer Guide, https://docs.aws.amazon.com/lambda/latest/dg/lambda-services.html).
_SYNC_PRINCIPALS: Final = ("appsync.amazonaws.com", "apigateway.amazonaws.com", "cognito-idp.amazonaws.com")


def _not_invoked_asynchronously(plan: PlanExport, address: str) -> bool:
    callers = referrers(plan, address, *_SYNC_OR_POLLED_CALLERS)
    async_permissions = [
        a
        for a in referrers(plan, address, "aws_lambda_permission")
        if str(values(plan, a).get("principal", "")) not in _SYNC_PRINCIPALS
    ]
    return bool(callers) and not async_permissions


def _uses_log_delivery(plan: PlanExport, address: str) -> bool:
    return bool(referrers(plan, address, "aws_cloudwatch_log_delivery_source"))


def _cors_preflight(plan: PlanExport, address: str) -> bool:
    return values(plan, address).get("http_method") == "OPTIONS"


@dataclass(frozen=True)
class Limit:
    """Why checkov's failure does not hold for this program, and on which resources: ``applies``
    decides from the plan itself (what checkov was given), so a resource the reason does not
    describe still fails the comparison."""

    reason: str
    applies: Callable[[PlanExport, str], bool]
    where: str


#: checkov id -> the written reason its verdict is a modelling limit here (explained in docs/checkov.md).
MODELLING_LIMITS: Final[Mapping[str, Limit]] = {
    "CKV_AWS_145": Limit(
        "S3 server access logging delivers only into buckets whose default encryption is SSE-S3 "
        "('Enabling Amazon S3 server access logging', Amazon S3 User Guide, "
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html); "
        "checkov asks every bucket for SSE-KMS, a log target included",
        _is_access_log_target,
        "buckets an aws_s3_bucket_logging delivers into",
    ),
    "CKV_AWS_116": Limit(
        "a dead-letter queue receives only failed asynchronous invocations ('Capturing records of Lambda "
        "asynchronous invocations', AWS Lambda Developer Guide, "
        "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html); checkov asks every "
        "function for one and cannot see that AppSync, API Gateway and Cognito invoke synchronously and event "
        "source mappings poll",
        _not_invoked_asynchronously,
        "functions only AppSync, API Gateway, Cognito or an event source mapping invoke",
    ),
    "CKV_AWS_86": Limit(
        "the distribution's access logs go through CloudWatch Logs delivery (standard logging v2: a delivery "
        "source on the distribution, 'Standard logging (access logs)', Amazon CloudFront Developer Guide, "
        "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging.html); checkov "
        "reads only the legacy logging_config block",
        _uses_log_delivery,
        "distributions an aws_cloudwatch_log_delivery_source names",
    ),
    "CKV2_AWS_53": Limit(
        "a CORS preflight (OPTIONS, a MOCK integration API Gateway answers itself) carries no request body or "
        "parameters to validate ('Enabling CORS for a REST API resource', Amazon API Gateway Developer Guide, "
        "https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html); checkov asks every "
        "method for a request validator",
        _cors_preflight,
        "OPTIONS methods",
    ),
}


@dataclass(frozen=True)
class Failure:
    stack: str
    check_id: str
    check_name: str
    address: str
    urn: str | None
    klass: str
    why: str

    @property
    def label(self) -> str:
        return f"{self.stack}: {self.check_id} ({self.check_name}) on {self.address}: {self.klass}: {self.why}"


@dataclass
class StackComparison:
    stack: str
    checks_run: set[str] = field(default_factory=set)
    checks_all_passed: set[str] = field(default_factory=set)
    passed: int = 0
    failures: list[Failure] = field(default_factory=list)
    plan: PlanExport | None = None

    def by_class(self) -> Counter[str]:
        return Counter(f.klass for f in self.failures)


def available() -> bool:
    return CHECKOV.is_file() and os.access(CHECKOV, os.X_OK)


@functools.cache
def metadata() -> dict[str, dict[str, Any]]:
    """checkov's own id -> {name, types, graph}, dumped by checkov_metadata.py in its virtualenv."""
    script = Path(__file__).with_name("checkov_metadata.py")
    done = subprocess.run(  # noqa: S603 - fixed interpreter and script of this repository
        [str(CHECKOV_PYTHON), str(script)], capture_output=True, text=True, check=True, timeout=300
    )
    loaded: dict[str, dict[str, Any]] = json.loads(done.stdout)
    return loaded


@functools.cache
def _plans() -> dict[str, tuple[PlanExport, Report]]:
    built: dict[str, tuple[PlanExport, Report]] = {}
    for stack in STACKS:
        run = recorded(stack)[0]
        views = [res_from_recorded(r) for r in run.resources]
        report = evaluate(run.resources, stack=stack, config=load(stack), warnings=run.warnings)
        built[stack] = (export(views), report)
    return built


@functools.cache
def checkov_results() -> dict[str, dict[str, list[dict[str, Any]]]]:
    """checkov's passed and failed checks per stack: one run over both plans."""
    plans = _plans()
    workdir = Path(tempfile.mkdtemp(prefix="checkov-plans-"))
    files = {}
    for stack, (plan, _report) in plans.items():
        files[stack] = workdir / f"{stack}.tfplan.json"
        write_plan(files[stack], plan)
    command = [str(CHECKOV), "--framework", "terraform_plan", "--output", "json", "--skip-download", "--compact"]
    for path in files.values():
        command += ["-f", str(path)]
    started = time.perf_counter()
    # Exit 1 means "some check failed"; anything else is checkov failing to run.
    done = subprocess.run(  # noqa: S603 - the pinned checkov of .venv-checkov, fixed arguments
        command,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=workdir,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    TIMING["scan_seconds"] = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"checkov exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    results: dict[str, dict[str, list[dict[str, Any]]]] = {s: {"passed": [], "failed": []} for s in files}
    stack_of = {path.name: stack for stack, path in files.items()}
    for report in reports:
        for status, key in (("passed", "passed_checks"), ("failed", "failed_checks")):
            for check in report.get("results", {}).get(key, []):
                of_stack = stack_of.get(Path(str(check.get("file_path", ""))).name)
                if of_stack is None:
                    raise RuntimeError(f"checkov reported a file it was not given: {check.get('file_path')}")
                results[of_stack][status].append(check)
    return results


def declared_ids() -> dict[str, set[str]]:
    """checkov id -> names of our rules that declare it (policies/rules ``checkov=[...]``)."""
    found: dict[str, set[str]] = {}
    for rule in all_rules():
        for check_id in rule.checkov:
            found.setdefault(check_id, set()).add(rule.name)
    return found


def _neighbours(plan: PlanExport, urn: str, pulumi_type: str) -> set[str]:
    """URNs of resources of ``pulumi_type`` the resource references or is referenced by in the plan."""
    address = next((a for a, u in plan.addresses.items() if u == urn), None)
    if address is None:
        return set()
    tf_type = terraform_type(pulumi_type)
    configured = plan.document["configuration"]["root_module"]["resources"]

    def refs(entry: Mapping[str, Any]) -> set[str]:
        text = json.dumps(entry.get("expressions", {}))
        return {a for a in plan.addresses if f'"{a}' in text}

    found: set[str] = set()
    for entry in configured:
        if entry["address"] == address:
            found |= {a for a in refs(entry) if a.split(".", 1)[0] == tf_type}
        elif entry["type"] == tf_type and address in refs(entry):
            found.add(entry["address"])
    return {plan.addresses[a] for a in found}


_RULES: Final = {rule.name: rule for rule in all_rules()}


@functools.cache
def _found_with_defaults(stack: str, rule_name: str) -> frozenset[str]:
    """URNs ``rule_name`` reports on ``stack`` with its default settings and no exemption: what
    the rule decides before this stack's pack config relaxes it (a threshold, a level)."""
    rule = _RULES[rule_name]
    views = [res_from_recorded(r) for r in recorded(stack)[0].resources]
    settings = rule.settings({})
    if rule.is_stack:
        found = run_stack_rule(rule, Stack(views), settings)
    else:
        found = [v for res in views for v in run_resource_rule(rule, res, settings)]
    return frozenset(v.urn for v in found if v.urn)


def classify(stack: str, check: Mapping[str, Any], plan: PlanExport, report: Report) -> Failure:
    check_id = str(check["check_id"])
    address = str(check["resource"])
    urn = plan.urn_of(address)
    name = str(check.get("check_name", ""))
    rules = set(declared_ids().get(check_id, set()))
    same = SAME_CONTROL.get(check_id)
    targets = {urn} if urn else set()
    if same is not None:
        rules.add(same.rule)
        if same.on is not None and urn is not None:
            targets |= _neighbours(plan, urn, same.on)
    for finding in report.findings:
        if finding.rule.name in rules and finding.violation.urn in targets:
            how = (
                "declares the id"
                if check_id in finding.rule.checkov
                else f"same control: {same.reason if same else ''}"
            )
            return Failure(
                stack, check_id, name, address, urn, OUR_FINDING, f"{finding.rule.name} ({finding.enforcement}, {how})"
            )
    for rule_name, exempt_urn, reason in report.exempted:
        if rule_name in rules and exempt_urn in targets:
            return Failure(stack, check_id, name, address, urn, OUR_EXEMPTION, f"{rule_name}: {reason}")
    for rule_name in sorted(rules):
        if targets & _found_with_defaults(stack, rule_name):
            rule = _RULES[rule_name]
            return Failure(
                stack,
                check_id,
                name,
                address,
                urn,
                OUR_STACK_CONFIG,
                f"{rule_name} reports it with its defaults; policies/config/{rule.pack}.{stack}.json sets "
                f"{json.dumps(load(stack).config_for(rule) or load(stack).level(rule))} for this stack",
            )
    limit = MODELLING_LIMITS.get(check_id)
    if limit is not None and limit.applies(plan, address):
        return Failure(stack, check_id, name, address, urn, MODELLING_LIMIT, limit.reason)
    hint = f"our rules declaring it: {', '.join(sorted(rules))}" if rules else "no rule of ours declares it"
    return Failure(stack, check_id, name, address, urn, UNCLASSIFIED, hint)


@functools.cache
def compare() -> dict[str, StackComparison]:
    """Both stacks compared (cached for the session; recorded in ``SESSION`` for the summary)."""
    results = checkov_results()
    comparisons: dict[str, StackComparison] = {}
    for stack, (plan, report) in _plans().items():
        comparison = StackComparison(stack, plan=plan)
        failed_ids = {str(c["check_id"]) for c in results[stack]["failed"]}
        comparison.checks_run = {str(c["check_id"]) for c in results[stack]["passed"]} | failed_ids
        comparison.checks_all_passed = comparison.checks_run - failed_ids
        comparison.passed = len(results[stack]["passed"])
        comparison.failures = [classify(stack, c, plan, report) for c in results[stack]["failed"]]
        comparisons[stack] = comparison
        SESSION[stack] = Tally(
            len(comparison.checks_run), len(comparison.checks_all_passed), comparison.passed, comparison.by_class()
        )
    return comparisons
