"""Service trust policies whose conditions the service never satisfies."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from policies import iamdoc
from policies.core import DEPLOYABILITY, Res, Settings, Stack, StackFinding, guarded, stack_rule

ROLE = "aws:iam/role:Role"


@dataclass(frozen=True)
class SourceContext:
    """What ``aws:SourceArn`` a service sends when it assumes a role, and the page that says so."""

    arn_service: str
    resource_prefix: str
    what: str
    doc: str


#: Service principal -> the ``aws:SourceArn`` it sends when it assumes the role. Only services
#: whose confused-deputy page documents the value; others are not judged.
SOURCE_ARN: Final = {
    # EventBridge Scheduler User Guide, "Confused deputy prevention": "The value of
    # aws:SourceArn must be your EventBridge Scheduler schedule group ARN ... Do not scope the
    # aws:SourceArn statement to a specific schedule or a schedule name prefix."
    "scheduler.amazonaws.com": SourceContext(
        "scheduler",
        "schedule-group/",
        "the schedule group's ARN (arn:aws:scheduler:<region>:<account>:schedule-group/<group>), never a schedule's",
        "https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html",
    ),
    # AWS CloudTrail User Guide, "Cross-service confused deputy prevention": the trail's ARN.
    "cloudtrail.amazonaws.com": SourceContext(
        "cloudtrail",
        "trail/",
        "the trail's ARN (arn:aws:cloudtrail:<region>:<account>:trail/<name>)",
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cross-service-confused-deputy-prevention.html",
    ),
    # Amazon VPC User Guide, "IAM role for publishing flow logs to CloudWatch Logs": the flow log's ARN.
    "vpc-flow-logs.amazonaws.com": SourceContext(
        "ec2",
        "vpc-flow-log/",
        "the flow log's ARN (arn:aws:ec2:<region>:<account>:vpc-flow-log/<id>)",
        "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html",
    ),
    # AWS AppSync Developer Guide, "Cross-service confused deputy prevention": the API's ARN.
    "appsync.amazonaws.com": SourceContext(
        "appsync",
        "apis/",
        "the GraphQL API's ARN (arn:aws:appsync:<region>:<account>:apis/<api-id>)",
        "https://docs.aws.amazon.com/appsync/latest/devguide/cross-service-confused-deputy-prevention.html",
    ),
}

#: Global keys a service principal's AssumeRole request never carries (IAM User Guide, "AWS
#: global condition context keys": aws:SourceVpc / aws:SourceVpce are present only when the
#: request goes through a VPC endpoint of yours; aws:MultiFactorAuthPresent only for MFA-
#: authenticated temporary credentials of IAM users).
ABSENT_FOR_SERVICES: Final = ("aws:SourceVpc", "aws:SourceVpce", "aws:MultiFactorAuthPresent")


def _arn_mismatch(value: str, context: SourceContext) -> bool:
    """Can no ARN of the documented shape ever match this condition value?"""
    parts = value.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return not fnmatch.fnmatchcase(f"arn:aws:{context.arn_service}:r:1:{context.resource_prefix}x", value)
    service, resource = parts[2], parts[5]
    if service not in ("*", context.arn_service) and not fnmatch.fnmatchcase(context.arn_service, service):
        return True
    if resource.startswith("*"):
        return False
    return not resource.startswith(context.resource_prefix)


@stack_rule(
    "service-trust-conditions-are-sent",
    pack=DEPLOYABILITY,
    description="A role trusted by an AWS service conditions aws:SourceArn on what that service sends (e.g. Scheduler's schedule group ARN) and no key the service never sends.",
    severity="high",
    remediation=(
        "Scope aws:SourceArn to the documented source: for scheduler.amazonaws.com the schedule group ARN "
        "(arn:aws:scheduler:<region>:<account>:schedule-group/<group>), for cloudtrail.amazonaws.com the trail "
        "ARN, for vpc-flow-logs.amazonaws.com the flow log ARN, for appsync.amazonaws.com the API ARN; drop "
        "aws:SourceVpc / aws:SourceVpce / aws:MultiFactorAuthPresent from service trust statements."
    ),
    category="deployability",
    rows=[],
    other=["none: gap"],
    doc_title="EventBridge Scheduler User Guide: Confused deputy prevention",
    doc_url="https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html",
)
def trust_conditions(stack: Stack, _: Settings) -> Iterator[StackFinding]:
    for role in stack.of(ROLE):

        def check(role: Res = role) -> Iterator[str]:
            try:
                document = iamdoc.parse(role.req("assumeRolePolicy"), "assumeRolePolicy")
            except iamdoc.DocumentError as error:
                yield f"{role.label}: {error}"
                return
            for index, statement in enumerate(iamdoc.statements(document)):
                if not statement.allows:
                    continue
                sid = statement.sid or f"#{index + 1}"
                for service in statement.principals_of("Service"):
                    context = SOURCE_ARN.get(service)
                    if context is not None:
                        for value in statement.condition_values("aws:SourceArn"):
                            if _arn_mismatch(value, context):
                                yield (
                                    f"{role.label}: trust statement {sid} requires aws:SourceArn {value!r}, but "
                                    f"{service} sends {context.what} ({context.doc}): the role can never be assumed"
                                )
                    for operator, block in statement.conditions.items():
                        if operator.endswith("IfExists") or operator == "Null":
                            continue
                        for key in block:
                            if key.lower() in {k.lower() for k in ABSENT_FOR_SERVICES}:
                                yield (
                                    f"{role.label}: trust statement {sid} requires {key}, which {service} never "
                                    "sends when it assumes a role: the role can never be assumed"
                                )

        yield from guarded(role, check)
