"""stream_poller: Neptune Streams -> notification events on SQS FIFO and home-feed timelines in
DynamoDB (every minute, one at a time).

Thin handler: environment parsed once (``shared.environment.StreamPollerEnvironment``),
clients created on first use, the loop in
``stream_poller.loop``. Metrics: RecordsProcessed, EventsSent, StreamLagMs, StreamThrottled,
LeaseBusy, StreamExpired, PoisonRecordsParked (alarms on these two, on lag and on the
function's Errors), TimelineEntriesWritten and TimelineEntriesRemoved.
"""

from __future__ import annotations

import functools
import time
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from shared.environment import StreamPollerEnvironment
from shared.graph.timelines import DynamoDBTimelines
from stream_poller.checkpoint import DynamoDBCheckpointStore, DynamoDBParkedRecords
from stream_poller.loop import Poller, PollerSettings, PollResult
from stream_poller.mapping import NeptuneLookups
from stream_poller.sink import SqsFifoSink
from stream_poller.stream import NeptuneStreamReader, StreamExpiredError
from stream_poller.timeline import TimelineSettings, TimelineWriter

logger = Logger()
metrics = Metrics()


@functools.cache
def _poller() -> Poller:
    env = StreamPollerEnvironment.from_environment()
    # Our own backoff handles throttling; keep botocore's retries short so time is not lost in them.
    neptune_config = Config(retries={"max_attempts": 2, "mode": "standard"}, read_timeout=20, connect_timeout=5)
    # Streams are served by the writer; so are the lookups. A read replica lags the writer
    # (Neptune "Replication lag"), so a vertex named by a just-committed stream record may not
    # be on a reader yet, and its notification would be dropped as "vertex gone".
    writer = boto3.client("neptunedata", endpoint_url=env.neptune.writer_url, config=neptune_config)
    dynamodb = boto3.client("dynamodb")
    lookups = NeptuneLookups(writer)
    timelines = TimelineWriter(
        DynamoDBTimelines(dynamodb, env.timelines.table),
        lookups,
        TimelineSettings(
            fan_in_threshold=env.timelines.fan_in_threshold,
            backfill_posts=env.backfill_posts,
            entry_ttl_days=env.entry_ttl_days,
        ),
    )
    return Poller(
        store=DynamoDBCheckpointStore(dynamodb, env.checkpoint_table),
        parking=DynamoDBParkedRecords(dynamodb, env.checkpoint_table),
        stream=NeptuneStreamReader(writer),
        lookups=lookups,
        sink=SqsFifoSink(boto3.client("sqs"), env.queue_url),
        settings=PollerSettings(page_limit=env.page_limit),
        now_ms=lambda: int(time.time() * 1000),
        sleep=time.sleep,
        timelines=timelines,
    )


def _publish(result: PollResult) -> None:
    metrics.add_metric(name="RecordsProcessed", unit=MetricUnit.Count, value=result.records)
    metrics.add_metric(name="EventsSent", unit=MetricUnit.Count, value=result.events)
    metrics.add_metric(name="StreamThrottled", unit=MetricUnit.Count, value=result.throttled)
    metrics.add_metric(name="PoisonRecordsParked", unit=MetricUnit.Count, value=result.parked)
    metrics.add_metric(name="TimelineEntriesWritten", unit=MetricUnit.Count, value=result.timeline_puts)
    metrics.add_metric(name="TimelineEntriesRemoved", unit=MetricUnit.Count, value=result.timeline_deletes)
    metrics.add_metric(name="LeaseBusy", unit=MetricUnit.Count, value=0 if result.leased else 1)
    if result.lag_ms is not None:
        metrics.add_metric(name="StreamLagMs", unit=MetricUnit.Milliseconds, value=result.lag_ms)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    poller = _poller()
    try:
        result = poller.run(context.aws_request_id, context.get_remaining_time_in_millis)
    except StreamExpiredError:
        metrics.add_metric(name="StreamExpired", unit=MetricUnit.Count, value=1)
        logger.exception("Neptune stream expired past the checkpoint")
        raise
    _publish(result)
    logger.info(
        "poll finished",
        extra={
            "stoppedBecause": result.stopped_because,
            "records": result.records,
            "events": result.events,
            "position": str(result.position) if result.position else None,
            "lagMs": result.lag_ms,
            "timelinePuts": result.timeline_puts,
            "timelineDeletes": result.timeline_deletes,
        },
    )
    return {
        "records": result.records,
        "events": result.events,
        "position": str(result.position) if result.position else None,
        "stoppedBecause": result.stopped_because,
    }
