"""The two phases the engine runs policies in: preview (unknowns listed) and update (real values).

In-process, through the packs' real policy objects; ``test_analyzer_protocol`` runs the same
sequence over gRPC as the CLI does.
"""

from __future__ import annotations

from tests.policies.conftest import UNKNOWN, R, phase, validate_resource, validate_stack

ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LISTED = "preview-unknown-security-inputs"
MANAGED = "iam-no-aws-managed-policies"


def _listed(resources: list[R], policy: str) -> list[str]:
    return [f.message for f in validate_stack(LISTED, resources) if f.message.startswith(f"{policy}: ")]


def test_unknown_policy_arn_from_a_stack_policy_is_decided_at_preview() -> None:
    # The ARN of a policy this program creates is unknown until it exists, but the
    # property dependency says where it comes from: it cannot be an AWS managed policy.
    stack = [
        R(POLICY, "app-policy", {"policy": '{"Version": "2012-10-17", "Statement": []}'}),
        R(ROLE, "app-role", {"assumeRolePolicy": "{}"}),
        R(ATTACHMENT, "attach", {"role": "app-role", "policyArn": UNKNOWN}, deps={"policyArn": ["app-policy"]}),
    ]
    assert _listed(stack, MANAGED) == []


def test_unknown_policy_arn_of_unknown_origin_stays_listed() -> None:
    # No property dependency on a stack policy (e.g. from another stack's output): undecided.
    stack = [R(ATTACHMENT, "attach", {"role": "app-role", "policyArn": UNKNOWN}, deps={"policyArn": ["app-role"]})]
    stack.append(R(ROLE, "app-role", {"assumeRolePolicy": "{}"}))
    listed = _listed(stack, MANAGED)
    assert len(listed) == 1 and "policyArn" in listed[0] and "attach" in listed[0]


def test_unknown_policy_document_is_listed_at_preview_and_fails_closed_at_update() -> None:
    # An IAM document built with Output.json_dumps from a new ARN is one unknown string.
    stack = [R(ROLE_POLICY, "fn-policy", {"role": "fn-role", "policy": UNKNOWN})]
    assert validate_resource("iam-no-wildcard-resource", ROLE_POLICY, stack[0].props, name="fn-policy") == []
    listed = _listed(stack, "iam-no-wildcard-resource")
    assert len(listed) == 1
    assert "RolePolicy 'fn-policy'" in listed[0] and "policy is unknown during preview" in listed[0]
    with phase(False):
        own = validate_resource("iam-no-wildcard-resource", ROLE_POLICY, stack[0].props, name="fn-policy")
        assert own and "cannot be verified" in own[0]
        assert _listed(stack, "iam-no-wildcard-resource") == []


def test_engine_sequence_preview_passes_then_update_blocks_the_violation() -> None:
    unknown = {"role": "fn-role", "policy": UNKNOWN}
    real = {
        "role": "fn-role",
        "policy": '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}',
    }
    assert validate_resource("iam-no-wildcard-resource", ROLE_POLICY, unknown) == []  # preview: deferred
    with phase(False):  # pulumi up: the same policy on the real input, before the create
        assert validate_resource("iam-no-wildcard-resource", ROLE_POLICY, real)
