"""notifier: SQS FIFO -> AppSync ``publishNotification`` (in-app) and SNS mobile push.

Per message: parse the event, then deliver it once (Powertools idempotency on the event
id, in DynamoDB). Failures are reported per message (``ReportBatchItemFailures``); with
``skip_group_on_error`` only later messages of the failed recipient's group are returned
with it (FIFO order per recipient), every other recipient's events go through. Poison
messages reach the queue's DLQ after ``maxReceiveCount`` receives.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from notifier.appsync import AppSyncPublisher
from notifier.push import PushSender
from shared.device_registry import DeviceTable
from shared.environment import NotifierEnvironment
from shared.notification_events import NotificationEvent

logger = Logger()
metrics = Metrics()
processor = SqsFifoPartialProcessor(skip_group_on_error=True)


@dataclass(frozen=True, kw_only=True)
class Service:
    config: IdempotencyConfig
    deliver: Callable[..., Any]


class Delivery:
    def __init__(self, publisher: AppSyncPublisher, push: PushSender | None) -> None:
        self._publisher = publisher
        self._push = push

    def deliver(self, event: dict[str, Any]) -> dict[str, Any]:
        notification = NotificationEvent.from_json(json.dumps(event))
        self._publisher.publish(notification)
        metrics.add_metric(name="InAppPublished", unit=MetricUnit.Count, value=1)
        if self._push is None:
            return {"id": notification.id, "push": "disabled"}
        outcome = self._push.send(notification)
        metrics.add_metric(name="PushSent", unit=MetricUnit.Count, value=outcome.sent)
        metrics.add_metric(name="PushEndpointsPruned", unit=MetricUnit.Count, value=outcome.pruned)
        metrics.add_metric(name="PushFailed", unit=MetricUnit.Count, value=outcome.failed)
        return {"id": notification.id, "push": asdict(outcome)}


@functools.cache
def _service() -> Service:
    env = NotifierEnvironment.from_environment()
    session = boto3.session.Session()
    publisher = AppSyncPublisher(
        env.graphql_url, env.graphql_region, lambda: session.get_credentials().get_frozen_credentials()
    )
    push: PushSender | None = None
    # Push needs an SNS platform application; none exist when no credentials are configured.
    if env.push.by_platform():
        push = PushSender(boto3.client("sns"), DeviceTable(boto3.client("dynamodb"), env.devices_table))
    else:
        # Once per cold start: this is a configuration state, not a per-message event.
        logger.info("push disabled: no SNS platform applications configured; publishing in-app notifications only")
    config = IdempotencyConfig(
        event_key_jmespath="id",
        expires_after_seconds=env.idempotency_ttl_seconds,
        raise_on_no_idempotency_key=True,
    )
    persistence = DynamoDBPersistenceLayer(table_name=env.idempotency_table, boto3_client=boto3.client("dynamodb"))
    delivery = Delivery(publisher, push)
    deliver = idempotent_function(data_keyword_argument="event", persistence_store=persistence, config=config)(
        delivery.deliver
    )
    return Service(config=config, deliver=deliver)


def record_handler(record: SQSRecord) -> Any:
    event = NotificationEvent.from_json(record.body)
    return _service().deliver(event=json.loads(event.to_json()))


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _service().config.register_lambda_context(context)
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
