"""Account boundaries: resource, key and trust policies admit only this account (issue 12, Build item 2).

"This account" is the account the stack deploys to (``_helpers.stack_accounts``: the policy
config's ``accountIds``, else the account in the ARNs of the stack's own resources). A
principal of another account is refused. The wildcard principal (``"*"``, ``{"AWS": "*"}``)
is accepted only with a condition that pins the caller to this account (aws:SourceAccount,
aws:PrincipalAccount, aws:ResourceAccount, kms:CallerAccount), this organization
(aws:PrincipalOrgID, against the config's ``organizationIds``) or a source ARN of this stack.
Only positive, non-``IfExists`` operators pin: a missing key never satisfies them (IAM
"Condition operators"; ``...IfExists`` is true when the key is absent).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from policies import iamdoc
from policies.core import (
    SECURITY,
    UNKNOWN,
    Param,
    Res,
    Settings,
    Stack,
    StackFinding,
    UnknownInput,
    guarded,
    stack_rule,
)
from policies.rules._helpers import stack_accounts, stack_arns

#: Resource types carrying a resource-based (or trust) policy document, and the property holding it.
POLICY_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "aws:s3/bucket:Bucket": ("policy",),
    "aws:s3/bucketV2:BucketV2": ("policy",),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy",),
    "aws:sqs/queue:Queue": ("policy",),
    "aws:sqs/queuePolicy:QueuePolicy": ("policy",),
    "aws:sns/topic:Topic": ("policy",),
    "aws:sns/topicPolicy:TopicPolicy": ("policy",),
    "aws:kms/key:Key": ("policy",),
    "aws:kms/replicaKey:ReplicaKey": ("policy",),
    "aws:kms/keyPolicy:KeyPolicy": ("policy",),
    "aws:secretsmanager/secret:Secret": ("policy",),
    "aws:secretsmanager/secretPolicy:SecretPolicy": ("policy",),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": ("policyDocument",),
    "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy": ("accessPolicy",),
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": ("policy",),
    "aws:iam/role:Role": ("assumeRolePolicy",),
    "aws:apigateway/restApi:RestApi": ("policy",),
    "aws:apigateway/restApiPolicy:RestApiPolicy": ("policy",),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": ("policy",),
    "aws:ecr/repository:Repository": (),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("policy",),
    "aws:efs/fileSystemPolicy:FileSystemPolicy": ("policy",),
}
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"

ACCOUNT_KEYS = (
    "aws:SourceAccount",
    "aws:PrincipalAccount",
    "aws:ResourceAccount",
    "kms:CallerAccount",
    "aws:SourceOwner",
)
ORG_KEYS = ("aws:PrincipalOrgID", "aws:SourceOrgID", "aws:ResourceOrgID")
ARN_KEYS = ("aws:SourceArn", "aws:PrincipalArn")


def _pinning_operators(statement: iamdoc.Statement) -> tuple[str, ...]:
    """Operators whose match requires the key to be present and equal (no Not..., no ...IfExists)."""
    return tuple(
        op
        for op in statement.conditions
        if "Not" not in op and not op.endswith("IfExists") and not op.startswith("ForAllValues:")
    )


class Boundary:
    """This stack's account(s), organizations and resource ARNs, as a policy is judged against them."""

    def __init__(self, stack: Stack, cfg: Settings) -> None:
        self.accounts = stack_accounts(stack, cfg["accountIds"])
        self.organizations = {str(o) for o in cfg["organizationIds"]}
        self.arns = stack_arns(stack)

    def account_is_ours(self, account: str) -> bool:
        if not self.accounts:
            raise UnknownInput("this stack's account (no ARN of its resources is known yet)", UNKNOWN)
        return account in self.accounts

    def arn_is_ours(self, arn: str) -> bool:
        if arn in self.arns:
            return True
        account = iamdoc.account_of(arn)
        return account is not None and "*" not in arn.split(":")[4] and self.account_is_ours(account)

    def pins(self, statement: iamdoc.Statement) -> bool:
        """Does a condition of the statement limit callers to this account, organization or stack?"""
        operators = _pinning_operators(statement)
        if not operators:
            return False
        for key in ACCOUNT_KEYS:
            values = statement.condition_values(key, operators)
            if values and all(v.isdigit() and self.account_is_ours(v) for v in values):
                return True
        for key in ORG_KEYS:
            values = statement.condition_values(key, operators)
            if values and all(v in self.organizations for v in values):
                return True
        for key in ARN_KEYS:
            values = statement.condition_values(key, operators)
            if values and all(self.arn_is_ours(v) for v in values):
                return True
        return False

    def statement_findings(self, statement: iamdoc.Statement, where: str) -> Iterator[str]:
        if not statement.allows:
            return
        if statement.has_not_principal:
            yield f"{where} allows NotPrincipal: every principal outside the list, in any account"
            return
        raw = statement.raw.get("Principal")
        wildcard = raw == "*"
        for principal in statement.principals_of("AWS"):
            if "*" in principal:
                wildcard = True
                continue
            account = iamdoc.account_of(principal)
            if account is not None and not self.account_is_ours(account):
                yield f"{where} admits {principal}, a principal of account {account}, not this stack's account"
        for key in ACCOUNT_KEYS:
            for value in statement.condition_values(key, _pinning_operators(statement)):
                if value.isdigit() and not self.account_is_ours(value):
                    yield f"{where} admits callers of account {value} ({key}), not this stack's account"
        if wildcard and not self.pins(statement):
            yield (
                f"{where} admits any principal ('*') without a condition pinning it to this account "
                f"({', '.join(ACCOUNT_KEYS[:4])}), this organization (aws:PrincipalOrgID) or a source ARN of this stack"
            )


def _document_findings(boundary: Boundary, res: Res, prop: str) -> Iterator[str]:
    try:
        document = iamdoc.parse(res.req(prop), prop)
    except iamdoc.DocumentError as error:
        yield f"{res.label}: {error}"
        return
    for index, statement in enumerate(iamdoc.statements(document)):
        where = f"{res.label}: {prop} statement {statement.sid or '#' + str(index + 1)}"
        yield from boundary.statement_findings(statement, where)


def _permission_findings(boundary: Boundary, res: Res) -> Iterator[str]:
    """A Lambda permission is one statement: principal, source_account, source_arn, principal_org_id."""
    principal = res.req("principal")
    if not isinstance(principal, str):
        return
    source_account = res.req("sourceAccount")
    if isinstance(source_account, str) and source_account and not boundary.account_is_ours(source_account):
        yield f"{res.label}: sourceAccount {source_account} is not this stack's account"
    if principal == "*":
        source_arn = res.req("sourceArn")
        org = res.req("principalOrgId")
        pinned = (
            (isinstance(source_account, str) and source_account != "" and boundary.account_is_ours(source_account))
            or (isinstance(org, str) and org in boundary.organizations)
            or (isinstance(source_arn, str) and source_arn != "" and boundary.arn_is_ours(source_arn))
        )
        if not pinned:
            yield f"{res.label}: grants any principal ('*') without source_account, principal_org_id or source_arn of this stack"
        return
    account = iamdoc.account_of(principal)
    if account is not None and not boundary.account_is_ours(account):
        yield f"{res.label}: grants {principal}, a principal of account {account}, not this stack's account"


def _boundary_params(org_key: str) -> list[Param]:
    """The two boundary parameters both account-boundary rules take (``Boundary`` reads them)."""
    return [
        Param(
            "accountIds",
            {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{12}$"}},
            [],
            "this stack's account id(s); empty: the account in the ARNs of the stack's own resources",
        ),
        Param(
            "organizationIds",
            {"type": "array", "items": {"type": "string"}},
            [],
            f"AWS Organizations ids whose principals count as this organization ({org_key})",
        ),
    ]


@stack_rule(
    "policies-admit-only-this-account",
    pack=SECURITY,
    description=(
        "Every resource, key and trust policy (S3, SQS, SNS, KMS, Secrets Manager, CloudWatch Logs, EventBridge, "
        "API Gateway, ECR, VPC endpoint and EFS policies, role trust policies, Lambda permissions) admits no "
        "principal of another AWS account; the wildcard principal only with a condition pinning it to this "
        "account, this organization or a source ARN of this stack."
    ),
    severity="critical",
    remediation=(
        "Name principals of this account only (build them from aws.get_caller_identity().account_id); give a "
        "'*' principal a StringEquals aws:SourceAccount / aws:PrincipalAccount / kms:CallerAccount condition on "
        "this account, aws:PrincipalOrgID on this organization, or aws:SourceArn of this stack's resource."
    ),
    category="least-privilege",
    rows=[112, 134],
    checkov=["CKV_AWS_385"],
    params=_boundary_params("aws:PrincipalOrgID"),
    doc_title="AWS global condition context keys",
    doc_url="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html",
)
def admit_only_this_account(stack: Stack, cfg: Settings) -> Iterator[StackFinding]:
    boundary = Boundary(stack, cfg)
    for res in stack.of(*POLICY_DOCUMENTS, LAMBDA_PERMISSION):
        if res.type == LAMBDA_PERMISSION:
            yield from guarded(res, partial(_permission_findings, boundary, res))
            continue
        for prop in POLICY_DOCUMENTS[res.type]:
            yield from guarded(res, partial(_document_findings, boundary, res, prop))


#: Policies whose service principals other rules judge: key policies (kms-key-policy-service-principals-scoped),
#: trust policies (service-trust-conditions-are-sent: a service assumes a role in the caller's name).
_SERVICE_JUDGED_ELSEWHERE = frozenset(
    {"aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey", "aws:kms/keyPolicy:KeyPolicy", "aws:iam/role:Role"}
)


def _service_findings(boundary: Boundary, res: Res, prop: str) -> Iterator[str]:
    try:
        document = iamdoc.parse(res.req(prop), prop)
    except iamdoc.DocumentError as error:
        yield f"{res.label}: {error}"
        return
    for index, statement in enumerate(iamdoc.statements(document)):
        services = statement.principals_of("Service")
        if not statement.allows or not services or boundary.pins(statement):
            continue
        yield (
            f"{res.label}: {prop} statement {statement.sid or '#' + str(index + 1)} admits {', '.join(services)} "
            "for any account's resources: add aws:SourceArn (a resource of this stack) or aws:SourceAccount "
            "(this account)"
        )


@stack_rule(
    "resource-policies-service-principals-pinned",
    pack=SECURITY,
    description=(
        "A resource policy (S3, SQS, SNS, Secrets Manager, CloudWatch Logs, EventBridge, API Gateway ...) that "
        "admits an AWS service principal pins it with aws:SourceArn of this stack's resource, aws:SourceAccount "
        "of this account or aws:SourceOrgID of this organization, so the service cannot be used as a confused "
        "deputy by another account (key and trust policies have rules of their own)."
    ),
    severity="high",
    remediation=(
        "Add a StringEquals aws:SourceAccount condition on this account, or an ArnLike/ArnEquals aws:SourceArn "
        "condition naming the resource of this stack that calls (the alarm, trail, topic, distribution ...)."
    ),
    category="least-privilege",
    rows=[],
    other=["aws-iam:confused-deputy"],
    params=_boundary_params("aws:SourceOrgID"),
    doc_title="The confused deputy problem - AWS Identity and Access Management",
    doc_url="https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
)
def service_principals_pinned(stack: Stack, cfg: Settings) -> Iterator[StackFinding]:
    boundary = Boundary(stack, cfg)
    for res in stack.of(*(t for t in POLICY_DOCUMENTS if t not in _SERVICE_JUDGED_ELSEWHERE)):
        for prop in POLICY_DOCUMENTS[res.type]:
            yield from guarded(res, partial(_service_findings, boundary, res, prop))
