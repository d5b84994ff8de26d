"""auth_triggers: Cognito user pool triggers, pre sign-up and post confirmation.

Pre sign-up (``PreSignUp_SignUp``, ``PreSignUp_AdminCreateUser``,
``PreSignUp_ExternalProvider``) checks the email address against the domain policy in
the function's environment (``shared.environment.AuthTriggersEnvironment``: the allowed
and blocked domains; a domain also covers its subdomains; blocked wins; an empty allow
list allows every domain not blocked). Administrators and federated sign-ins get the same policy: a blocked domain is
blocked however the account is made. A rejection raises :class:`SignUpRejected`, whose
text Cognito shows to the user ("PreSignUp failed with error ...").

Email normalisation, for the check: surrounding whitespace removed, the whole address
lower-cased (domains are case-insensitive, and the pool treats sign-in names
case-insensitively), exactly one ``@``, no whitespace inside. Plus-addressing
(``name+tag@domain``) is **kept and allowed**: the tag is part of an address the user
can receive mail at, the domain policy only looks at the domain, and stripping tags
would not stop throwaway accounts (any catch-all domain gives unlimited addresses)
while it would break people who file mail by tag. Cognito stores the address as given;
a pre sign-up trigger cannot rewrite attributes.

Post confirmation (``PostConfirmation_ConfirmSignUp`` only; a confirmed password reset,
``PostConfirmation_ConfirmForgotPassword``, is ignored) creates the ``User`` vertex with
``MERGE`` on the Cognito ``sub``, so a repeated invocation changes nothing. The handle is
derived deterministically: a stem from the user's chosen name (``preferred_username``,
then ``name``; never the email address, which would publish it) plus ``_`` and the first
8 hex digits of the sub, e.g. ``ada_lovelace_1f2e3d4c``. Should another user already
hold it, the query falls back to ``u`` + the whole sub's hex, unique because subs are
(and disjoint from stem handles, which always contain ``_``).

Both handlers return the event, as Cognito requires.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import (
    PostConfirmationTriggerEvent,
    PreSignUpTriggerEvent,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from shared.environment import DOMAIN_NAME, AuthTriggersEnvironment
from shared.graph.client import NeptuneExecutor
from shared.graph.handles import derive_handles
from shared.graph.repository import GraphRepository
from shared.graph.service import timestamp
from shared.graph.validation import UUID
from shared.validation import has_unpaired_surrogate

logger = Logger()
metrics = Metrics()

PRE_SIGN_UP = frozenset({"PreSignUp_SignUp", "PreSignUp_AdminCreateUser", "PreSignUp_ExternalProvider"})
CONFIRM_SIGN_UP = "PostConfirmation_ConfirmSignUp"
#: Sources this function is invoked for and deliberately leaves alone. Any other source is
#: refused (an exception fails the Cognito operation): a trigger source added later, or a
#: function attached to another trigger by mistake, must never pass unchecked.
IGNORED = frozenset({"PostConfirmation_ConfirmForgotPassword"})
LOCAL_PART = re.compile(r"[^\s@]{1,64}")  # fullmatch only

_repository: GraphRepository | None = None


class SignUpRejected(Exception):  # noqa: N818 - the name Cognito users read in the message
    """The sign-up breaks the email policy; the message says why."""


@dataclass(frozen=True)
class EmailPolicy:
    allowed: frozenset[str]
    blocked: frozenset[str]

    @classmethod
    def of(cls, environment: AuthTriggersEnvironment[str]) -> EmailPolicy:
        return cls(
            allowed=frozenset(environment.allowed_email_domains),
            blocked=frozenset(environment.blocked_email_domains),
        )

    def check(self, raw_email: Any) -> str:
        """The normalised address, or :class:`SignUpRejected` naming the rule it breaks."""
        email = normalise_email(raw_email)
        domain = email.rsplit("@", 1)[1]
        if _covered(domain, self.blocked):
            raise SignUpRejected(f"sign-ups with {domain} email addresses are not allowed")
        if self.allowed and not _covered(domain, self.allowed):
            raise SignUpRejected(f"sign-ups need an email address at an allowed domain; {domain} is not one")
        return email


def normalise_email(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise SignUpRejected("an email address is required")
    if len(raw) > 1024 or has_unpaired_surrogate(raw):
        raise SignUpRejected("the email address is not valid")
    email = unicodedata.normalize("NFC", raw).strip().lower()
    if len(email) > 254 or email.count("@") != 1:
        raise SignUpRejected("the email address is not valid")
    local, domain = email.split("@")
    if not LOCAL_PART.fullmatch(local) or not DOMAIN_NAME.fullmatch(domain):
        raise SignUpRejected("the email address is not valid")
    return email


def _covered(domain: str, listed: frozenset[str]) -> bool:
    return any(domain == entry or domain.endswith("." + entry) for entry in listed)


def repository() -> GraphRepository:
    global _repository  # one client per execution environment
    if _repository is None:
        _repository = GraphRepository(NeptuneExecutor(AuthTriggersEnvironment.from_environment().neptune))
    return _repository


class UnknownTriggerError(Exception):
    """This function is not for the trigger source Cognito invoked it with."""


def _attributes(event: dict[str, Any]) -> dict[str, Any]:
    request = event.get("request")
    attributes = request.get("userAttributes") if isinstance(request, dict) else None
    if not isinstance(attributes, dict):
        raise SignUpRejected("the sign-up request carries no user attributes")
    return attributes


def pre_sign_up(event: PreSignUpTriggerEvent) -> dict[str, Any]:
    try:
        EmailPolicy.of(AuthTriggersEnvironment.from_environment()).check(_attributes(event.raw_event).get("email"))
    except SignUpRejected as rejection:
        logger.info("sign-up rejected", extra={"triggerSource": event.trigger_source, "reason": str(rejection)})
        metrics.add_metric(name="SignUpsRejected", unit=MetricUnit.Count, value=1)
        raise
    metrics.add_metric(name="SignUpsAllowed", unit=MetricUnit.Count, value=1)
    return event.raw_event


def post_confirmation(event: PostConfirmationTriggerEvent) -> dict[str, Any]:
    request = event.raw_event.get("request")
    attributes = request.get("userAttributes") if isinstance(request, dict) else None
    attributes = {k: v for k, v in attributes.items() if isinstance(v, str)} if isinstance(attributes, dict) else {}
    sub = attributes.get("sub", "")
    if not UUID.fullmatch(sub):
        raise RuntimeError("post confirmation event without a Cognito sub")
    handle, fallback, display_name = derive_handles(sub, attributes)
    created = repository().create_user(
        user_id=sub, handle=handle, fallback_handle=fallback, display_name=display_name, created_at=timestamp()
    )
    logger.info("user vertex ensured", extra={"handle": created["handle"]})
    metrics.add_metric(name="UsersConfirmed", unit=MetricUnit.Count, value=1)
    return event.raw_event


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    source = event.get("triggerSource") if isinstance(event, dict) else None
    source = source if isinstance(source, str) else None
    if source in PRE_SIGN_UP:
        return pre_sign_up(PreSignUpTriggerEvent(event))
    if source == CONFIRM_SIGN_UP:
        return post_confirmation(PostConfirmationTriggerEvent(event))
    if source in IGNORED:
        logger.info("trigger ignored", extra={"triggerSource": source})
        metrics.add_metric(name="TriggersIgnored", unit=MetricUnit.Count, value=1)
        return event
    logger.warning("unknown trigger source refused", extra={"triggerSource": repr(source)[:100]})
    metrics.add_metric(name="TriggersRefused", unit=MetricUnit.Count, value=1)
    if isinstance(source, str) and source.startswith("PreSignUp_"):
        raise SignUpRejected("this kind of sign-up is not supported")
    raise UnknownTriggerError("this function does not handle that Cognito trigger")
