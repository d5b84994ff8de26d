"""Every runtime flow of the deployed system, proven against each stack's own policies.

A flow is declared next to the component that creates the integration (offline/flows/model.py)
and decided by principalmapper (offline/iam_engine.py) over the stack's recorded roles and
resource policies (offline/flows/evaluate.py). A user needs each flow to be ALLOWED (or the
feature is dead on a real account), each near miss — another account, another resource,
another source, no TLS — to be DENIED (or the grant is wider than the feature), and no grant
that no flow uses (least privilege, or a written reason in offline/flows/justified.yaml).
"""

from __future__ import annotations

import json

import pulumi
import pytest

from offline.flows import evaluate, model
from offline.flows.model import Flow, ResolvedFlow
from offline.iam_engine import (
    ResourcePolicyEvalResult,
    local_check_authorization_full,
    resource_policy_authorization,
    role_node,
)
from tests.conftest import STACKS
from tests.runtime_flows_tally import STACKS_SEEN, TALLY

#: Defects other branches are fixing: the flow is declared as AWS defines it, and fails until
#: the fix merges (strict: the lead removes the marker at merge).
KNOWN_DEFECTS: tuple[tuple[str, str, str, str], ...] = (
    # (caller contains, action, resource contains, "<defect>; fixed on branch <x>"). Empty since
    # fix-media and fix-gov merged: CloudFront's KMS grant on its origins' key, the Scheduler
    # trust on the schedule group, the identity pool's uploads under the user-pool sub and its key.
)


#: Both stacks as their files configure them, and dev with mobile push configured (neither
#: stack file enables it; the notifier's and the device registry's SNS flows exist only then).
VARIANTS = (*STACKS, "dev-push")


def _report(variant: str) -> evaluate.Report:
    return evaluate.push_variant_report("dev") if variant == "dev-push" else evaluate.stack_report(variant)


def _known_defect(flow: ResolvedFlow) -> str | None:
    for caller, action, resource, reason in KNOWN_DEFECTS:
        if caller in flow.caller and flow.action == action and resource in flow.resource:
            return reason
    return None


def _cases() -> list[object]:
    cases: list[object] = []
    for stack in VARIANTS:
        report = _report(stack)
        for flow in report.flows:
            reason = _known_defect(flow)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            kind = "kms-for" if flow.derived_from else "flow"
            cases.append(pytest.param(stack, flow, marks=marks, id=f"{stack}-{kind}-{flow.label}"))
    return cases


def _declared_cases() -> list[object]:
    return [
        pytest.param(stack, flow, id=f"{stack}-{flow.label}") for stack in VARIANTS for flow in _report(stack).declared
    ]


def _explain(flow: ResolvedFlow) -> str:
    origin = f" (S3/SQS/DynamoDB/SNS/Logs call KMS for {flow.derived_from})" if flow.derived_from else ""
    return (
        f"{flow.caller} {flow.action} on {flow.resource}{origin} with {json.dumps(flow.context)} is denied "
        f"by the stack's policies; it serves: {flow.purpose} ({flow.doc})"
    )


@pytest.mark.parametrize(("stack", "flow"), _cases())
def test_flow_is_allowed(stack: str, flow: ResolvedFlow) -> None:
    report = _report(stack)
    STACKS_SEEN.add(stack)
    if _known_defect(flow):
        TALLY["known_defects"] += 1
    assert evaluate.allowed(flow, report.policies), _explain(flow)
    TALLY["allowed"] += 1


@pytest.mark.parametrize(("stack", "flow"), _declared_cases())
def test_near_misses_are_denied(stack: str, flow: ResolvedFlow) -> None:
    report = _report(stack)
    misses = evaluate.near_misses(flow, report.policies)
    kinds = {miss.kind for miss in misses}
    # Every flow is refused to another account, whatever else applies to it.
    assert "another account" in kinds or flow.resource == "*", kinds
    allowed = [
        f"{miss.kind}: {miss.flow.caller} {miss.flow.action} {miss.flow.resource} {miss.flow.context}"
        for miss in misses
        if evaluate.allowed(miss.flow, report.policies, caller_account=miss.caller_account)
    ]
    assert allowed == [], f"{flow.label}: near misses the stack's policies allow: {allowed}"
    TALLY["near_misses_denied"] += len(misses)


@pytest.mark.parametrize("stack", VARIANTS)
def test_every_grant_is_used_by_a_flow_or_justified(stack: str) -> None:
    report = _report(stack)
    TALLY["unjustified_surplus"] += len(report.surplus)
    TALLY["justified_surplus"] += len(report.justified)
    surplus = [f"{g.owner} {g.sid}: {g.principal} {g.action} {g.resource}" for g in report.surplus]
    assert surplus == [], (
        "grants no runtime flow uses: remove them, declare the flow that needs them, or justify them "
        f"in offline/flows/justified.yaml: {surplus}"
    )


def test_every_justification_still_names_a_surplus_grant() -> None:
    """A stale justification would silently cover a future grant of the same name."""
    used = {grant.key for stack in VARIANTS for grant in _report(stack).justified}
    assert sorted(set(evaluate.load_justified()) - used) == []


def test_a_justification_needs_a_reason(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "justified.yaml"  # type: ignore[operator]
    path.write_text("- {owner: r, sid: S, action: 's3:GetObject', reason: ''}\n")
    with pytest.raises(ValueError, match="a justification needs a written reason"):
        evaluate.load_justified(path)


@pytest.mark.parametrize("stack", STACKS)
def test_every_declared_flow_cites_the_aws_page_behind_it(stack: str) -> None:
    report = evaluate.stack_report(stack)
    assert report.declared, "the components declare their flows"
    undocumented = [f.label for f in report.declared if not f.doc.startswith("https://") or not f.purpose]
    assert undocumented == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_function_declares_its_code_flows(stack: str) -> None:
    """Each function's role is the caller of at least one flow of its own code."""
    report = evaluate.stack_report(stack)
    with_code_flows = {f.function for f in report.declared if f.function}
    assert with_code_flows >= {
        "graph_api",
        "auth_triggers",
        "stream_poller",
        "notifier",
        "devices",
        "upload_url",
        "thumbnailer",
    }


# -- the model: declaring is harmless outside the offline runner ----------------------------
def test_declaring_outside_a_collect_block_does_nothing() -> None:
    assert model._collected is None
    model.declare(Flow(caller="s3.amazonaws.com", action="lambda:InvokeFunction", resource="arn", purpose="p", doc="d"))
    assert model._collected is None


@pytest.mark.parametrize("stack", STACKS)
def test_near_misses_cover_tls_where_a_policy_requires_it(stack: str) -> None:
    report = evaluate.stack_report(stack)
    flow = next(f for f in report.declared if f.caller == "cloudfront.amazonaws.com" and f.action == "s3:GetObject")
    kinds = {miss.kind for miss in evaluate.near_misses(flow, report.policies)}
    assert kinds >= {"another account", "another source", "another resource", "no TLS"}


# -- the engine: what principalmapper decides, and where it is corrected ------------------
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/reader"
BUCKET = "arn:aws:s3:::bucket"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/k"


def _role(statements: list[dict[str, object]], arn: str = ROLE) -> object:
    return role_node(arn, {"Statement": []}, [(f"{arn}-policy", {"Version": "2012-10-17", "Statement": statements})])


def test_kms_needs_the_key_policy_even_in_the_same_account() -> None:
    node = _role([{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY}])
    no_grant: dict[str, object] = {"Statement": []}
    root = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ]
    }
    assert not local_check_authorization_full(node, "kms:Decrypt", KEY, {}, no_grant, ACCOUNT)
    assert local_check_authorization_full(node, "kms:Decrypt", KEY, {}, root, ACCOUNT)


def test_a_service_principal_is_allowed_only_by_a_matching_resource_policy() -> None:
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": f"{BUCKET}/*",
                "Condition": {"StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::1:distribution/D"}},
            }
        ]
    }
    context = {"aws:SourceArn": "arn:aws:cloudfront::1:distribution/D"}  # condition keys are case-insensitive
    assert (
        resource_policy_authorization(
            "cloudfront.amazonaws.com", ACCOUNT, policy, "s3:GetObject", f"{BUCKET}/x", context
        )
        is ResourcePolicyEvalResult.SERVICE_MATCH
    )
    other = {"aws:SourceArn": "arn:aws:cloudfront::1:distribution/E"}
    assert (
        resource_policy_authorization("cloudfront.amazonaws.com", ACCOUNT, policy, "s3:GetObject", f"{BUCKET}/x", other)
        is ResourcePolicyEvalResult.NO_MATCH
    )


TLS_DENY_WITH_JSON_BOOLEAN = {
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "s.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": f"{BUCKET}/*",
        },
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": f"{BUCKET}/*",
            "Condition": {"Bool": {"aws:SecureTransport": False}},
        },
    ]
}


def test_principalmapper_ignores_a_json_boolean_in_a_bool_condition() -> None:
    """AWS reads ``false`` and ``"false"`` alike; principalmapper only the string — so a
    TLS deny written with a JSON boolean would never apply. The evaluator reshapes policies
    (``evaluate._reshape``) before deciding; this test shows why it must."""
    insecure = {"aws:SecureTransport": "false"}
    raw = resource_policy_authorization(
        "s.amazonaws.com", ACCOUNT, TLS_DENY_WITH_JSON_BOOLEAN, "s3:GetObject", f"{BUCKET}/x", insecure
    )
    assert raw is ResourcePolicyEvalResult.SERVICE_MATCH  # the engine's deviation
    reshaped = evaluate._reshape(TLS_DENY_WITH_JSON_BOOLEAN)
    fixed = resource_policy_authorization("s.amazonaws.com", ACCOUNT, reshaped, "s3:GetObject", f"{BUCKET}/x", insecure)
    assert fixed is ResourcePolicyEvalResult.DENY_MATCH


def test_principalmapper_matches_resource_arns_case_insensitively() -> None:
    """AWS matches resource ARNs case-sensitively; principalmapper does not. Known and
    left: no flow or near miss differs from its policy only in case (the stack's ARNs come
    from its own resources), so the deviation can only make the engine more permissive on
    requests this suite never builds."""
    node = _role([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET}/photos/*"}])
    assert local_check_authorization_full(node, "s3:GetObject", f"{BUCKET}/PHOTOS/x", {}, {"Statement": []}, ACCOUNT)


def test_a_cross_account_caller_needs_the_resource_policy() -> None:
    """Why every evaluation passes the resource's policy (empty when it has none): without
    one, principalmapper would decide a foreign role on its own identity policy alone."""
    foreign = _role(
        [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}], arn="arn:aws:iam::999999999999:role/r"
    )
    table = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/t"
    assert local_check_authorization_full(foreign, "dynamodb:GetItem", table, {})
    assert not local_check_authorization_full(foreign, "dynamodb:GetItem", table, {}, {"Statement": []}, ACCOUNT)


def test_the_stack_arns_are_put_in_aws_shape() -> None:
    """The mocks give SNS/SQS/alarm ARNs one generic shape; policies written from names use AWS's."""
    assert evaluate.aws_shape("arn:aws:sns:eu-west-1:1:topic/t") == "arn:aws:sns:eu-west-1:1:t"
    assert evaluate.aws_shape("arn:aws:sqs:eu-west-1:1:queue/q") == "arn:aws:sqs:eu-west-1:1:q"
    assert evaluate.aws_shape("arn:aws:logs:eu-west-1:1:metricalarm:a") == "arn:aws:cloudwatch:eu-west-1:1:alarm:a"
    assert pulumi is not None


# -- recorded AWS calls: a call no flow covers is found -------------------------------------
def test_a_recorded_call_is_covered_only_by_a_flow_of_its_function_on_its_resource() -> None:
    from tests.aws_calls import Call, covered, iam_actions

    report = evaluate.stack_report("dev")
    env = (("TableName", "DEVICES_TABLE"),)
    query = Call("devices", "dynamodb", "Query", (("TableName", "t"),), env)
    scan = Call("devices", "dynamodb", "Scan", (("TableName", "t"),), env)
    by_notifier = Call("notifier", "dynamodb", "PutItem", (("TableName", "t"),), env)
    assert covered(query, report)
    assert not covered(scan, report)  # devices never scans: no flow, no grant
    assert not covered(by_notifier, report)  # the notifier only reads the registry
    write = Call(
        "graph_api", "neptunedata", "ExecuteOpenCypherQuery", (("openCypherQuery", "MATCH (a) DETACH DELETE a"),), ()
    )
    assert iam_actions(write) == ["neptune-db:ReadDataViaQuery", "neptune-db:DeleteDataViaQuery"]
    assert iam_actions(Call("stream_poller", "sqs", "SendMessageBatch", (), ())) == ["sqs:SendMessage"]


def test_principalmapper_decides_string_not_like_unlike_aws_so_the_evaluator_refuses_it() -> None:
    """AWS: a negated operator matches when the key is absent; principalmapper's StringNotLike
    does not, so a Deny ... StringNotLike would silently never apply."""
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::1:role/ok"}},
    }
    allow = {"Effect": "Allow", "Principal": {"Service": "s.amazonaws.com"}, "Action": "s3:GetObject", "Resource": "*"}
    policy = {"Statement": [allow, deny]}
    result = resource_policy_authorization("s.amazonaws.com", ACCOUNT, policy, "s3:GetObject", f"{BUCKET}/x", {})
    assert result is ResourcePolicyEvalResult.SERVICE_MATCH  # AWS would deny: the key is absent
    with pytest.raises(NotImplementedError, match="StringNotLike"):
        evaluate._doc(policy)


def test_if_exists_operators_match_an_absent_key() -> None:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "s.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": "*",
        "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}},
    }
    policy = {"Statement": [statement]}
    assert (
        resource_policy_authorization("s.amazonaws.com", ACCOUNT, policy, "s3:GetObject", f"{BUCKET}/x", {})
        is ResourcePolicyEvalResult.SERVICE_MATCH
    )
    other = {"aws:SourceAccount": "999999999999"}
    assert (
        resource_policy_authorization("s.amazonaws.com", ACCOUNT, policy, "s3:GetObject", f"{BUCKET}/x", other)
        is ResourcePolicyEvalResult.NO_MATCH
    )
