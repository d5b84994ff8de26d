"""Reading IAM policy documents (identity and resource policies) as plain data."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from policies.core import UnknownInput, is_unknown


class DocumentError(ValueError):
    """The document is not valid JSON or not a policy document."""


def parse(value: Any, path: str = "policy") -> dict[str, Any] | None:
    """A policy document from a JSON string or a dict; None when absent.

    An unknown or opaque value raises ``UnknownInput`` (fail closed).
    """
    if value is None or value == "":
        return None
    if is_unknown(value):
        raise UnknownInput(path, value)
    if isinstance(value, Mapping):
        document = dict(value)
    elif isinstance(value, str):
        try:
            document = json.loads(value)
        except json.JSONDecodeError as error:
            raise DocumentError(f"{path} is not valid JSON ({error.msg})") from None
    else:
        raise DocumentError(f"{path} is not a policy document")
    if not isinstance(document, dict):
        raise DocumentError(f"{path} is not a JSON object")
    return document


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


@dataclass(frozen=True)
class Statement:
    raw: Mapping[str, Any]

    @property
    def sid(self) -> str:
        return str(self.raw.get("Sid", ""))

    @property
    def effect(self) -> str:
        return str(self.raw.get("Effect", "Allow"))

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"

    @property
    def actions(self) -> list[str]:
        return [str(a) for a in _as_list(self.raw.get("Action"))]

    @property
    def not_actions(self) -> list[str]:
        return [str(a) for a in _as_list(self.raw.get("NotAction"))]

    @property
    def resources(self) -> list[str]:
        return [str(r) for r in _as_list(self.raw.get("Resource"))]

    @property
    def not_resources(self) -> list[str]:
        return [str(r) for r in _as_list(self.raw.get("NotResource"))]

    @property
    def conditions(self) -> dict[str, dict[str, Any]]:
        block = self.raw.get("Condition") or {}
        return {str(k): dict(v) for k, v in block.items() if isinstance(v, Mapping)}

    def condition_values(self, key: str, operators: tuple[str, ...] | None = None) -> list[str]:
        """Values of a condition key (case-insensitive) under any (or the given) operators."""
        values: list[str] = []
        for operator, block in self.conditions.items():
            if operators is not None and operator not in operators:
                continue
            for cond_key, cond_value in block.items():
                if cond_key.lower() == key.lower():
                    values += [str(v) for v in _as_list(cond_value)]
        return values

    def has_condition_key(self, *keys: str) -> bool:
        lowered = {k.lower() for k in keys}
        return any(k.lower() in lowered for block in self.conditions.values() for k in block)

    @property
    def principals(self) -> list[str]:
        """Every principal identifier, ``*`` for the anonymous/any principal."""
        principal = self.raw.get("Principal")
        if principal is None:
            return []
        if principal == "*":
            return ["*"]
        if isinstance(principal, Mapping):
            return [str(p) for values in principal.values() for p in _as_list(values)]
        return [str(p) for p in _as_list(principal)]

    def principals_of(self, kind: str) -> list[str]:
        principal = self.raw.get("Principal")
        if isinstance(principal, Mapping):
            return [str(p) for p in _as_list(principal.get(kind))]
        return []

    @property
    def has_not_principal(self) -> bool:
        return "NotPrincipal" in self.raw


def statements(document: Mapping[str, Any] | None) -> Iterator[Statement]:
    if not document:
        return
    for raw in _as_list(document.get("Statement")):
        if isinstance(raw, Mapping):
            yield Statement(raw)


_PUBLIC_LIMITING_KEYS = (
    "aws:SourceArn",
    "aws:SourceAccount",
    "aws:SourceOwner",
    "aws:PrincipalOrgID",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:ResourceOrgID",
    "aws:SourceOrgID",
    "aws:PrincipalServiceName",
    "aws:userid",
    "kms:CallerAccount",
    "kms:ViaService",
    "cognito-identity.amazonaws.com:aud",
)


def is_public_allow(statement: Statement) -> bool:
    """An Allow that any AWS principal can use: ``*`` principal with no limiting condition."""
    if not statement.allows:
        return False
    if statement.has_not_principal:
        return True
    if "*" not in statement.principals and "arn:aws:iam::*:root" not in statement.principals:
        return False
    return not statement.has_condition_key(*_PUBLIC_LIMITING_KEYS)


def denies_insecure_transport(document: Mapping[str, Any] | None) -> bool:
    """Does a Deny statement refuse requests with ``aws:SecureTransport`` false to everyone?"""
    for statement in statements(document):
        if statement.allows:
            continue
        if "*" not in statement.principals and statement.principals_of("AWS") != ["*"]:
            continue
        if any(v.lower() == "false" for v in statement.condition_values("aws:SecureTransport", ("Bool",))):
            return True
    return False


def account_of(principal: str) -> str | None:
    """The account id an AWS principal string names, if any."""
    if principal.isdigit() and len(principal) == 12:
        return principal
    parts = principal.split(":")
    if len(parts) >= 5 and parts[0] == "arn" and parts[4].isdigit():
        return parts[4]
    return None
