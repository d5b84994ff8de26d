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
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from shared.environment import UploadUrlEnvironment
from shared.validation import InvalidInputError, bounded_json, identifier

logger = Logger()
metrics = Metrics()

#: Cognito ``sub`` claims are UUIDs; anything else must never become part of a key.
SUB = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # fullmatch only
#: The body is two small fields: anything larger or deeper is refused before parsing.
MAX_BODY_BYTES = 4096
MAX_BODY_DEPTH = 4
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
    context = event.get("requestContext") if isinstance(event, dict) else None
    authorizer = context.get("authorizer") if isinstance(context, dict) else None
    claims = authorizer.get("claims") if isinstance(authorizer, dict) else None
    sub = claims.get("sub") if isinstance(claims, dict) else None
    try:
        return identifier(sub, "sub", SUB, "a Cognito sub")
    except InvalidInputError:
        raise BadRequestError("no verified caller: the request carries no Cognito sub claim") from None


def parse_request(body: object, settings: Settings) -> tuple[str, int]:
    """``(content_type, size)`` from the JSON body, or ``BadRequestError`` naming what is wrong."""
    try:
        request = bounded_json(body or "", "body", max_bytes=MAX_BODY_BYTES, max_depth=MAX_BODY_DEPTH)
    except InvalidInputError as error:
        if "is not valid JSON" in str(error) or "JSON text" in str(error):
            raise BadRequestError("the body must be a JSON object with contentType and size") from None
        raise BadRequestError(str(error)) from None
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
        got = repr(content_type)[:80] if isinstance(content_type, str) else f"a {type(content_type).__name__}"
        raise BadRequestError(f"contentType must be one of {', '.join(settings.content_types)}; got {got}")
    size = request.get("size")
    if isinstance(size, bool) or not isinstance(size, int):
        got = repr(size)[:80] if isinstance(size, str | float) else f"a {type(size).__name__}"
        raise BadRequestError(f"size must be an integer number of bytes; got {got}")
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
    request_headers = event.get("headers") if isinstance(event, dict) else None
    request_headers = request_headers if isinstance(request_headers, dict) else {}
    origin = request_headers.get("origin") or request_headers.get("Origin")
    if settings is not None and isinstance(origin, str) and origin in settings.allowed_origins:
        headers |= {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return {"statusCode": status, "headers": headers, "body": json.dumps(body)}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = Settings.from_environment()
    try:
        sub = caller_sub(event)
        content_type, size = parse_request(event.get("body") if isinstance(event, dict) else None, settings)
    except BadRequestError as error:
        logger.info("upload refused", extra={"reason": str(error)})
        metrics.add_metric(name="UploadRefused", unit=MetricUnit.Count, value=1)
        return _response(400, {"message": str(error)}, event, settings)
    result = presign(sub, content_type, size, settings)
    logger.info("upload signed", extra={"key": result["key"], "contentType": content_type, "size": size})
    metrics.add_metric(name="UploadSigned", unit=MetricUnit.Count, value=1)
    return _response(200, result, event, settings)
