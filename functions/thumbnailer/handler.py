"""S3 ObjectCreated on ``uploads/``: validate the image, write square renditions to the media bucket.

Bad uploads (not an image by content, corrupt, truncated, bombs) are moved to
``rejected/{sub}/...`` and the invocation returns normally, so they are never retried;
only transient errors (S3 or KMS failures) raise, for Lambda's retries and the DLQ.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from shared.environment import ThumbnailerEnvironment
from thumbnailer.imaging import RejectedImageError, render

logger = Logger()
metrics = Metrics()

#: Matched with fullmatch: under re.match a trailing ``$`` also accepts a final "\n", which
#: let ``<key>\n`` pass as a second copy of the same upload.
UPLOAD_KEY = re.compile(
    r"uploads/(?P<sub>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/"
    r"(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(?P<ext>jpg|png|webp)"
)


#: The function's environment, as the media pipeline deploys it.
Settings = ThumbnailerEnvironment[str]


@cache
def _s3() -> Any:
    return boto3.client("s3")


def reject(bucket: str, key: str, reason: str) -> str:
    """Park the upload under rejected/ (same sub and name) and remove it from uploads/."""
    target = "rejected/" + key.removeprefix("uploads/")
    _s3().copy_object(Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": key})
    _s3().delete_object(Bucket=bucket, Key=key)
    logger.warning("upload rejected", extra={"key": key, "movedTo": target, "reason": reason})
    metrics.add_metric(name="UploadRejected", unit=MetricUnit.Count, value=1)
    return target


def process(bucket: str, key: str, settings: Settings) -> str:
    """One S3 record; returns what happened (``processed``, ``rejected``, ``skipped``)."""
    if bucket != settings.uploads_bucket or not key.startswith("uploads/") or bucket == settings.media_bucket:
        # Never our own output (renditions live in another bucket under media/): ignore, never loop.
        logger.warning("ignoring object outside uploads/", extra={"bucket": bucket, "key": key})
        metrics.add_metric(name="UploadSkipped", unit=MetricUnit.Count, value=1)
        return "skipped"
    match = UPLOAD_KEY.fullmatch(key)
    if match is None:
        reject(bucket, key, "key is not uploads/{sub}/{uuid}.{jpg|png|webp}")
        return "rejected"
    try:
        data = _s3().get_object(Bucket=bucket, Key=key)["Body"].read()
    except _s3().exceptions.NoSuchKey:
        logger.info("upload already gone", extra={"key": key})
        metrics.add_metric(name="UploadSkipped", unit=MetricUnit.Count, value=1)
        return "skipped"
    try:
        renditions = render(
            data, sizes=settings.sizes, fmt=settings.fmt, quality=settings.quality, max_pixels=settings.max_pixels
        )
    except RejectedImageError as error:
        reject(bucket, key, str(error))
        return "rejected"
    for rendition in renditions:
        _s3().put_object(
            Bucket=settings.media_bucket,
            Key=f"media/{match['sub']}/{match['id']}/{rendition.size}.{settings.fmt}",
            Body=rendition.body,
            ContentType=rendition.content_type,
            CacheControl="public, max-age=31536000, immutable",
        )
    logger.info("renditions written", extra={"key": key, "sizes": [r.size for r in renditions]})
    metrics.add_metric(name="RenditionsWritten", unit=MetricUnit.Count, value=len(renditions))
    return "processed"


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, list[str]]:
    settings = Settings.from_environment()
    outcomes = []
    records = event.get("Records") if isinstance(event, dict) else None
    for record in records if isinstance(records, list) else []:
        located = _location(record)
        if located is None:
            # Not an S3 notification record: nothing to move aside, and a retry would not change it.
            logger.warning("ignoring a record that is not an S3 notification", extra={"record": repr(record)[:500]})
            metrics.add_metric(name="UploadSkipped", unit=MetricUnit.Count, value=1)
            outcomes.append("skipped")
            continue
        outcomes.append(process(*located, settings))
    return {"outcomes": outcomes}


def _location(record: Any) -> tuple[str, str] | None:
    """(bucket, decoded key) of an S3 event record, or None when it is not shaped like one."""
    s3 = record.get("s3") if isinstance(record, dict) else None
    bucket = s3.get("bucket") if isinstance(s3, dict) else None
    obj = s3.get("object") if isinstance(s3, dict) else None
    name = bucket.get("name") if isinstance(bucket, dict) else None
    key = obj.get("key") if isinstance(obj, dict) else None
    if not isinstance(name, str) or not isinstance(key, str) or not name or not key:
        return None
    return name, unquote_plus(key)
