"""POST /uploads: a presigned S3 POST for ``uploads/{sub}/{uuid}.{ext}``, nothing else.

The caller is whoever the Cognito authorizer says (``sub`` claim); the body only declares
what will be uploaded (content type from the allow-list, size within limits). The key is
chosen here, and the signed policy pins the exact key, the content type, the size range,
SSE-KMS with the stack's data key and a short expiry — S3 refuses any upload that differs.
"""

from __future__ import annotations

import json
import re
import uuid
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from shared.environment import UploadUrlEnvironment

logger = Logger()
tracer = Tracer()
metrics = Metrics()

#: Cognito ``sub`` claims are UUIDs; anything else must never become part of a key.
SUB = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
#: Body fields that would let the client pick where the object goes.
PATH_FIELDS = ("key", "path", "filename", "fileName", "prefix", "name")


#: The function's environment, as the media pipeline deploys it.
Settings = UploadUrlEnvironment[str]


class BadRequestError(Exception):
    """The request cannot be signed; the message says why (returned to the caller)."""


@cache
def _s3() -> Any:
    return boto3.client("s3")


def caller_sub(event: dict[str, Any]) -> str:
    """The Cognito subject from the authorizer's verified claims — never from the body or path."""
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
    sub = claims.get("sub")
    if not isinstance(sub, str) or not SUB.match(sub):
        raise BadRequestError("no verified caller: the request carries no Cognito sub claim")
    return sub


def parse_request(body: str | None, settings: Settings) -> tuple[str, int]:
    """``(content_type, size)`` from the JSON body, or ``BadRequestError`` naming what is wrong."""
    try:
        request = json.loads(body or "")
    except json.JSONDecodeError:
        raise BadRequestError("the body must be a JSON object with contentType and size") from None
    if not isinstance(request, dict):
        raise BadRequestError("the body must be a JSON object with contentType and size")
    chosen = [field for field in PATH_FIELDS if field in request]
    if chosen:
        raise BadRequestError(f"the object key is chosen by the server; remove {', '.join(chosen)} from the request")
    unknown = sorted(set(request) - {"contentType", "size"})
    if unknown:
        raise BadRequestError(f"unknown field(s) {', '.join(unknown)}; only contentType and size are accepted")
    content_type = request.get("contentType")
    if not isinstance(content_type, str) or content_type not in settings.content_types:
        raise BadRequestError(f"contentType must be one of {', '.join(settings.content_types)}; got {content_type!r}")
    size = request.get("size")
    if isinstance(size, bool) or not isinstance(size, int):
        raise BadRequestError(f"size must be an integer number of bytes; got {size!r}")
    if not settings.min_bytes <= size <= settings.max_bytes:
        raise BadRequestError(f"size must be between {settings.min_bytes} and {settings.max_bytes} bytes; got {size}")
    return content_type, size


def presign(sub: str, content_type: str, size: int, settings: Settings) -> dict[str, Any]:
    key = f"uploads/{sub}/{uuid.uuid4()}.{settings.content_types[content_type]}"
    fields = {
        "Content-Type": content_type,
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": settings.data_key_arn,
    }
    conditions: list[Any] = [
        {"bucket": settings.bucket},
        {"key": key},
        {"Content-Type": content_type},
        # The declared size is what may be uploaded, to the byte.
        ["content-length-range", size, size],
        {"x-amz-server-side-encryption": "aws:kms"},
        {"x-amz-server-side-encryption-aws-kms-key-id": settings.data_key_arn},
    ]
    post = _s3().generate_presigned_post(
        Bucket=settings.bucket, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=settings.expiry_seconds
    )
    return {"url": post["url"], "fields": post["fields"], "key": key, "expiresIn": settings.expiry_seconds}


def _response(status: int, body: dict[str, Any], event: dict[str, Any], settings: Settings | None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
    origin = ((event.get("headers") or {}).get("origin")) or ((event.get("headers") or {}).get("Origin"))
    if settings is not None and origin in settings.allowed_origins:
        headers |= {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return {"statusCode": status, "headers": headers, "body": json.dumps(body)}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = Settings.from_environment()
    try:
        sub = caller_sub(event)
        content_type, size = parse_request(event.get("body"), settings)
    except BadRequestError as error:
        logger.info("upload refused", extra={"reason": str(error)})
        metrics.add_metric(name="UploadRefused", unit=MetricUnit.Count, value=1)
        return _response(400, {"message": str(error)}, event, settings)
    result = presign(sub, content_type, size, settings)
    logger.info("upload signed", extra={"key": result["key"], "contentType": content_type, "size": size})
    metrics.add_metric(name="UploadSigned", unit=MetricUnit.Count, value=1)
    return _response(200, result, event, settings)
