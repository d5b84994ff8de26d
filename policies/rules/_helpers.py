"""Shared building blocks for rule modules: common predicates and rule factories."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from policies import iamdoc
from policies.core import Res, Rule, Settings, Stack, UnknownInput, is_unknown, resource_rule

WORLD_CIDRS = frozenset({"0.0.0.0/0", "::/0"})

KMS_KEY_TYPES = ("aws:kms/key:Key", "aws:kms/alias:Alias", "aws:kms/replicaKey:ReplicaKey")


def s3(kind: str) -> tuple[str, ...]:
    """Both the v7 token and the deprecated ``...V2`` token of a split S3 resource."""
    lower = kind[0].lower() + kind[1:]
    return (f"aws:s3/{lower}:{kind}", f"aws:s3/{lower}V2:{kind}V2")


BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")


def require_true(
    name: str,
    *,
    path: str,
    what: str,
    **meta: Any,
) -> Rule:
    """A rule that needs ``path`` explicitly true (missing is a violation)."""

    def check(r: Res, _: Settings) -> Iterator[str]:
        if not r.flag(path):
            yield f"{r.label}: {what} ({path} must be true)"

    check.__name__ = name
    return resource_rule(name, **meta)(check)


def require_set(name: str, *, path: str, what: str, **meta: Any) -> Rule:
    """A rule that needs ``path`` set; an unknown value counts as set (it is computed)."""

    def check(r: Res, _: Settings) -> Iterator[str]:
        value = r.get(path)
        if value is None or value in ("", []):
            yield f"{r.label}: {what} ({path} is not set)"

    check.__name__ = name
    return resource_rule(name, **meta)(check)


def require_not_true(name: str, *, path: str, what: str, **meta: Any) -> Rule:
    """A rule that forbids ``path`` being true (absent means the secure provider default)."""

    def check(r: Res, _: Settings) -> Iterator[str]:
        if r.flag(path, default=False):
            yield f"{r.label}: {what} ({path} is true)"

    check.__name__ = name
    return resource_rule(name, **meta)(check)


def require_in(name: str, *, path: str, allowed: Sequence[str], what: str, **meta: Any) -> Rule:
    """A rule that needs the value at ``path`` to be one of ``allowed``."""

    def check(r: Res, _: Settings) -> Iterator[str]:
        value = r.req(path)
        if value not in allowed:
            yield f"{r.label}: {what} ({path} is {value!r}; expected one of {', '.join(allowed)})"

    check.__name__ = name
    return resource_rule(name, **meta)(check)


def document(r: Res, path: str) -> dict[str, Any] | None:
    """The policy document at ``path`` (None if absent); bad JSON is reported by the caller."""
    return iamdoc.parse(r.get(path), path)


def public_statements(r: Res, path: str) -> Iterator[str]:
    """Messages for Allow statements any principal can use."""
    try:
        doc = document(r, path)
    except iamdoc.DocumentError as error:
        yield f"{r.label}: {error}"
        return
    for index, statement in enumerate(iamdoc.statements(doc)):
        if iamdoc.is_public_allow(statement):
            sid = statement.sid or f"#{index + 1}"
            yield (
                f"{r.label}: statement {sid} in {path} allows any principal ('*') without a condition "
                "limiting it to known accounts, organisations or source ARNs"
            )


def world_cidrs(values: Iterable[Any]) -> list[str]:
    found = []
    for value in values:
        if is_unknown(value):
            raise UnknownInput("cidr", value)
        if isinstance(value, str) and value in WORLD_CIDRS:
            found.append(value)
    return found


def kms_key_linked(stack: Stack, res: Res, prop: str) -> bool:
    """Is ``res.<prop>`` one of this stack's KMS keys (or an alias of one)?"""
    return bool(stack.linked(res, prop, *KMS_KEY_TYPES))


def stack_accounts(stack: Stack, configured: Sequence[str] = ()) -> set[str]:
    """The AWS account(s) this stack deploys to.

    The policy config's ``accountIds`` when set; otherwise the account ids in the ARNs the
    provider assigned to this stack's own resources (their ``arn`` outputs). Empty when
    neither is known (a first preview): callers then treat an account comparison as undecided.
    """
    if configured:
        return {str(a) for a in configured}
    accounts: set[str] = set()
    for res in stack.resources:
        arn = res.get("arn")
        for value in (arn, *res.identifiers):
            if isinstance(value, str) and value.startswith("arn:"):
                account = iamdoc.account_of(value)
                if account is not None:
                    accounts.add(account)
    return accounts


def stack_arns(stack: Stack) -> set[str]:
    """The known ARNs of this stack's resources (provider outputs), for "a source ARN of this stack"."""
    found: set[str] = set()
    for res in stack.resources:
        for value in (res.get("arn"), *res.identifiers):
            if isinstance(value, str) and value.startswith("arn:"):
                found.add(value)
    return found
