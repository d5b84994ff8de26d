"""upload_url under hostile requests: every one is a 400 naming the field (API Gateway
answered 502 when the function raised), nothing is signed, and the bucket stays empty."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from upload_url import handler as app

from tests.functions.conftest import FakeLambdaContext
from tests.functions.upload_url.test_upload_url import (
    BUCKET,
    OTHER_SUB,
    SUB,
    aws,  # noqa: F401 - the fixture
    event,
)


def _nested(depth: int) -> str:
    return '{"contentType": ' + "[" * depth + "]" * depth + ', "size": 10}'


BODIES: dict[str, tuple[Any, str]] = {
    "contentType a list": ({"contentType": ["image/png"], "size": 10}, "contentType must be one of"),
    "contentType an object": ({"contentType": {"a": "image/png"}, "size": 10}, "contentType must be one of"),
    "contentType a number": ({"contentType": 7, "size": 10}, "contentType must be one of"),
    "contentType null": ({"contentType": None, "size": 10}, "contentType must be one of"),
    "contentType trailing newline": ({"contentType": "image/png\n", "size": 10}, "contentType must be one of"),
    "contentType upper case": ({"contentType": "IMAGE/PNG", "size": 10}, "contentType must be one of"),
    "contentType with parameters": ({"contentType": "image/png; x=1", "size": 10}, "contentType must be one of"),
    "contentType lone surrogate": ('{"contentType": "image/png\\ud800", "size": 10}', "contentType must be one of"),
    "contentType 1 KB": ({"contentType": "image/" + "p" * 1000, "size": 10}, "contentType must be one of"),
    "size a float": ({"contentType": "image/png", "size": 10.5}, "size must be an integer"),
    "size a list": ({"contentType": "image/png", "size": [10]}, "size must be an integer"),
    "size an object": ({"contentType": "image/png", "size": {"n": 10}}, "size must be an integer"),
    "size null": ({"contentType": "image/png", "size": None}, "size must be an integer"),
    "size NaN": ('{"contentType": "image/png", "size": NaN}', "size must be an integer"),
    "size Infinity": ('{"contentType": "image/png", "size": Infinity}', "size must be an integer"),
    "size 10**400": ('{"contentType": "image/png", "size": 1' + "0" * 400 + "}", "size must be between"),
    "deeply nested (the issue's case)": (_nested(1_000), "must not nest deeper"),
    "nested 5 levels": (_nested(5), "must not nest deeper"),
    "body 1 MB": ({"contentType": "image/png", "size": 10, "pad": "x" * 1_000_000}, "at most 4096 bytes"),
    "duplicate keys": ('{"contentType": "image/png", "size": 10, "size": 20}', ""),
    "empty body": ("", "must be a JSON object"),
    "whitespace body": ("   ", "must be a JSON object"),
    "JSON string": ('"image/png"', "must be a JSON object"),
    "JSON number": ("10", "must be a JSON object"),
    "JSON true": ("true", "must be a JSON object"),
    "trailing garbage": ('{"contentType": "image/png", "size": 10} x', "must be a JSON object"),
    "sub in body": ({"contentType": "image/png", "size": 10, "sub": OTHER_SUB}, "unknown field(s) sub"),
    "key in body": ({"contentType": "image/png", "size": 10, "key": "uploads/x"}, "remove key"),
    "bucket in body": ({"contentType": "image/png", "size": 10, "bucket": "other"}, "unknown field(s) bucket"),
    "prefix in body": ({"contentType": "image/png", "size": 10, "prefix": "media/"}, "remove prefix"),
}


def _objects(bucket: str) -> list[str]:
    return [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]


@pytest.mark.parametrize("name", sorted(BODIES))
def test_a_hostile_body_is_a_400_naming_the_field(
    aws: str,  # noqa: F811 - the fixture
    lambda_context: FakeLambdaContext,
    name: str,
) -> None:
    body, reason = BODIES[name]
    response = app.handler(event(body), lambda_context)
    if name == "duplicate keys":
        # Python's json keeps the last value (RFC 8259 leaves it open); the signed size is what S3 enforces.
        assert response["statusCode"] == 200 and json.loads(response["body"])["key"].startswith(f"uploads/{SUB}/")
        return
    assert response["statusCode"] == 400, "a bad request, never a 502 from an unhandled exception"
    message = json.loads(response["body"])["message"]
    assert reason in message and "Traceback" not in message
    assert "fields" not in json.loads(response["body"]), "nothing signed"
    assert _objects(BUCKET) == []


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.update(requestContext=None),
        lambda e: e.update(requestContext="x"),
        lambda e: e["requestContext"].update(authorizer=[]),
        lambda e: e["requestContext"]["authorizer"].update(claims="sub"),
        lambda e: e["requestContext"]["authorizer"]["claims"].update(sub=SUB + "\n"),
        lambda e: e["requestContext"]["authorizer"]["claims"].update(sub=[SUB]),
        lambda e: e["requestContext"]["authorizer"]["claims"].update(sub=SUB.upper()),
        lambda e: e.update(body=["not", "text"]),
    ],
    ids=[
        "no-context",
        "string-context",
        "list-authorizer",
        "string-claims",
        "sub-newline",
        "sub-list",
        "sub-upper",
        "body-list",
    ],
)
def test_a_malformed_event_is_a_400(
    aws: str,  # noqa: F811 - the fixture
    lambda_context: FakeLambdaContext,
    mutate: Any,
) -> None:
    evt = event({"contentType": "image/png", "size": 10})
    mutate(evt)
    response = app.handler(evt, lambda_context)
    assert response["statusCode"] == 400
    assert "fields" not in json.loads(response["body"])


def test_malformed_headers_get_no_cors_header_and_no_502(
    aws: str,  # noqa: F811 - the fixture
    lambda_context: FakeLambdaContext,
) -> None:
    evt = event({"contentType": "image/png", "size": 10})
    evt["headers"] = ["origin", "https://app.example.com"]
    response = app.handler(evt, lambda_context)
    assert response["statusCode"] == 200 and "Access-Control-Allow-Origin" not in response["headers"]
