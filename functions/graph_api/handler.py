"""graph_api: the AppSync direct Lambda resolver for every Query and Mutation field of
api/schema.graphql except publishNotification, and the operators' counter repair.

A thin layer: Powertools routes on ``info.parentTypeName``/``info.fieldName``, passes the
field's ``arguments``, and each resolver hands the caller's Cognito ``sub`` (never an
argument) to :class:`shared.graph.service.SocialService`.

Errors: a :class:`GraphQLError` (bad input, not found, forbidden) propagates, and AppSync
shows its class name as ``errorType`` and its text as ``message``. Anything else is
logged with its stack trace and replaced by an opaque ``InternalError`` naming the
request id, so no Neptune or stack detail reaches a client.

Counter repair (docs/scaling.md, "Counters"): an event that is exactly
``{"counterRepair": {...}}`` runs :mod:`shared.graph.counters` instead of a resolver.
Only a principal allowed to invoke this function directly can send it (``aws lambda
invoke``): AppSync builds every resolver event itself, with ``info`` and ``arguments``
at the top, and a client controls only what is inside ``arguments``. This function is
already in the VPC with the Neptune grants the repair uses (it reads and sets vertex
properties only), so it needs no other resource, role or flow.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import AppSyncResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.appsync_resolver_event import AppSyncIdentityCognito
from aws_lambda_powertools.utilities.typing import LambdaContext
from shared.environment import GraphApiEnvironment
from shared.graph.client import NeptuneExecutor
from shared.graph.counters import CounterRepair, RepairRequest
from shared.graph.errors import GraphQLError, UnauthenticatedError
from shared.graph.repository import GraphRepository
from shared.graph.service import JSON, SocialService
from shared.graph.timelines import DynamoDBTimelines
from shared.graph.validation import UUID

logger = Logger()
metrics = Metrics()
app = AppSyncResolver()  # type: ignore[no-untyped-call]

_service: SocialService | None = None


class InternalError(Exception):
    """An unexpected failure; details are in the function's log under the request id."""


def social_service() -> SocialService:
    """Built on first use (not at import) from the environment, then reused while warm."""
    global _service  # one service (and its clients) per execution environment
    if _service is None:
        environment = GraphApiEnvironment.from_environment()
        _service = SocialService(
            GraphRepository(NeptuneExecutor(environment.neptune)),
            # DynamoDB through the VPC's gateway endpoint (components/timelines.py).
            timelines=DynamoDBTimelines(boto3.client("dynamodb"), environment.timelines.table),
            fan_in_threshold=environment.timelines.fan_in_threshold,
        )
    return _service


def caller() -> str:
    """The signed-in user's id: the Cognito ``sub`` of the request, never an argument."""
    event = app.current_event
    identity = event.identity if event is not None else None
    if not isinstance(identity, AppSyncIdentityCognito) or not UUID.match(str(identity.get("sub") or "")):
        raise UnauthenticatedError("this field needs a signed-in user (Cognito user pools authorisation)")
    return identity.sub


# --- Query -------------------------------------------------------------------------


def caller_claims() -> dict[str, str]:
    """The caller's token claims (string-valued only): a missing profile is created from them."""
    event = app.current_event
    identity = event.identity if event is not None else None
    claims = identity.get("claims") if isinstance(identity, AppSyncIdentityCognito) else None
    return {k: v for k, v in (claims or {}).items() if isinstance(k, str) and isinstance(v, str)}


@app.resolver(type_name="Query", field_name="viewer")
def viewer() -> JSON:
    return social_service().viewer(caller(), caller_claims())


@app.resolver(type_name="Query", field_name="user")
def user(id: Any) -> JSON | None:
    return social_service().user(caller(), id)


@app.resolver(type_name="Query", field_name="userByHandle")
def user_by_handle(handle: Any) -> JSON | None:
    return social_service().user_by_handle(caller(), handle)


@app.resolver(type_name="Query", field_name="followers")
def followers(userId: Any, first: Any = None, after: Any = None) -> JSON:  # noqa: N803
    return social_service().followers(caller(), userId, first, after)


@app.resolver(type_name="Query", field_name="following")
def following(userId: Any, first: Any = None, after: Any = None) -> JSON:  # noqa: N803
    return social_service().following(caller(), userId, first, after)


@app.resolver(type_name="Query", field_name="post")
def post(id: Any) -> JSON | None:
    return social_service().post(caller(), id)


@app.resolver(type_name="Query", field_name="postsByUser")
def posts_by_user(userId: Any, first: Any = None, after: Any = None) -> JSON:  # noqa: N803
    return social_service().posts_by_user(caller(), userId, first, after)


@app.resolver(type_name="Query", field_name="comments")
def comments(postId: Any, first: Any = None, after: Any = None) -> JSON:  # noqa: N803
    return social_service().comments(caller(), postId, first, after)


@app.resolver(type_name="Query", field_name="homeFeed")
def home_feed(first: Any = None, after: Any = None) -> JSON:
    return social_service().home_feed(caller(), first, after)


# --- Mutation ----------------------------------------------------------------------


@app.resolver(type_name="Mutation", field_name="updateProfile")
def update_profile(input: Any) -> JSON:
    return social_service().update_profile(caller(), input)


@app.resolver(type_name="Mutation", field_name="follow")
def follow(userId: Any) -> JSON:  # noqa: N803
    return social_service().follow(caller(), userId)


@app.resolver(type_name="Mutation", field_name="unfollow")
def unfollow(userId: Any) -> JSON:  # noqa: N803
    return social_service().unfollow(caller(), userId)


@app.resolver(type_name="Mutation", field_name="createPost")
def create_post(input: Any) -> JSON:
    return social_service().create_post(caller(), input)


@app.resolver(type_name="Mutation", field_name="deletePost")
def delete_post(id: Any) -> JSON:
    return social_service().delete_post(caller(), id)


@app.resolver(type_name="Mutation", field_name="likePost")
def like_post(postId: Any) -> JSON:  # noqa: N803
    return social_service().like_post(caller(), postId)


@app.resolver(type_name="Mutation", field_name="unlikePost")
def unlike_post(postId: Any) -> JSON:  # noqa: N803
    return social_service().unlike_post(caller(), postId)


@app.resolver(type_name="Mutation", field_name="addComment")
def add_comment(input: Any) -> JSON:
    return social_service().add_comment(caller(), input)


@app.resolver(type_name="Mutation", field_name="deleteComment")
def delete_comment(id: Any) -> JSON:
    return social_service().delete_comment(caller(), id)


# --- counter repair (operators only) --------------------------------------------------

#: The operators' event: ``{"counterRepair": {"after": <next>|null, "batchSize": n}}``.
COUNTER_REPAIR = "counterRepair"
#: Stop between batches with at least this much time left (or twice the slowest batch).
REPAIR_MARGIN_MS = 1_500


def counter_repair(body: Any, context: LambdaContext) -> JSON:
    """One invocation's share of the repair: batches until done or near the timeout;
    the report's ``next`` (when not ``complete``) is the next invocation's ``after``."""
    request = RepairRequest.from_event(body)
    slowest, last = 0, context.get_remaining_time_in_millis()

    def near_timeout() -> bool:
        nonlocal slowest, last
        remaining = context.get_remaining_time_in_millis()
        slowest, last = max(slowest, last - remaining), remaining
        return remaining < max(REPAIR_MARGIN_MS, 2 * slowest)

    repair = CounterRepair(social_service().repository, batch_size=request.batch_size)
    report = repair.run(request.start, should_stop=near_timeout)
    summary = report.to_json()
    # Counts only: the ids (users' subs among them) are in the operator's response, not the log.
    logger.info("counter repair", extra={k: summary[k] for k in ("complete", "checked", "changed", "changedVertices")})
    metrics.add_metric(name="CountersRepaired", unit=MetricUnit.Count, value=len(report.changes))
    return summary


# --- entry point -------------------------------------------------------------------


@logger.inject_lambda_context(correlation_id_path=correlation_paths.APPSYNC_RESOLVER)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    if isinstance(event, dict) and set(event) == {COUNTER_REPAIR}:
        return counter_repair(event[COUNTER_REPAIR], context)
    info = event.get("info") or {}
    field = f"{info.get('parentTypeName')}.{info.get('fieldName')}"
    logger.append_keys(field=field)
    try:
        result = app.resolve(event, context)
    except GraphQLError as error:
        # The caller's mistake: logged without argument values (they may be personal).
        logger.info("request rejected", extra={"field": field, "errorType": type(error).__name__})
        metrics.add_metric(name="RejectedRequests", unit=MetricUnit.Count, value=1)
        raise
    except Exception as error:
        logger.exception("resolver failed", extra={"field": field})
        metrics.add_metric(name="FailedRequests", unit=MetricUnit.Count, value=1)
        raise InternalError(f"internal error (request id {context.aws_request_id})") from error
    metrics.add_metric(name="ResolvedRequests", unit=MetricUnit.Count, value=1)
    return result
