"""upload_url: the signed policy's conditions, a real upload through moto, and hostile requests."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import requests
from moto import mock_aws
from upload_url import handler as app

from tests.functions.conftest import FakeLambdaContext

BUCKET = "social-backend-test-uploads-123456789012"
SUB = "7d3f9a52-1c4e-4b8a-9f00-0123456789ab"
OTHER_SUB = "0a1b2c3d-0000-4000-8000-ffffffffffff"
MAX_BYTES = 15 * 1024 * 1024
ORIGIN = "https://app.example.com"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with mock_aws():
        app._s3.cache_clear()
        key_arn = boto3.client("kms").create_key()["KeyMetadata"]["Arn"]
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_bucket_encryption(  # as the content-delivery component configures it
            Bucket=BUCKET,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
        for name, value in {
            "UPLOADS_BUCKET": BUCKET,
            "DATA_KEY_ARN": key_arn,
            "ALLOWED_CONTENT_TYPES": json.dumps({"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}),
            "MIN_BYTES": "1",
            "MAX_BYTES": str(MAX_BYTES),
            "URL_EXPIRY_SECONDS": "300",
            "ALLOWED_ORIGINS": json.dumps([ORIGIN]),
        }.items():
            monkeypatch.setenv(name, value)
        yield key_arn
        app._s3.cache_clear()


def event(body: Any, *, sub: str | None = SUB, origin: str | None = ORIGIN) -> dict[str, Any]:
    """An API Gateway REST proxy event after the Cognito authorizer."""
    claims = {"sub": sub, "token_use": "id", "email": "someone@example.com"} if sub is not None else None
    return {
        "resource": "/uploads",
        "path": "/uploads",
        "httpMethod": "POST",
        "headers": {"content-type": "application/json", **({"origin": origin} if origin else {})},
        "queryStringParameters": None,
        "pathParameters": None,
        "requestContext": {
            "resourcePath": "/uploads",
            "httpMethod": "POST",
            "stage": "v1",
            "requestId": "req-1",
            "authorizer": {"claims": claims} if claims is not None else None,
        },
        "body": body if isinstance(body, str) or body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def call(evt: dict[str, Any], context: FakeLambdaContext) -> tuple[int, dict[str, Any], dict[str, str]]:
    response = app.handler(evt, context)
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def policy_of(fields: dict[str, str]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(base64.b64decode(fields["policy"]))
    return document


def test_signed_policy_pins_key_type_size_encryption_and_expiry(aws: str, lambda_context: FakeLambdaContext) -> None:
    before = datetime.now(UTC)
    status, body, headers = call(event({"contentType": "image/png", "size": 2048}), lambda_context)
    assert status == 200
    key = body["key"]
    assert key.startswith(f"uploads/{SUB}/") and key.endswith(".png")
    assert body["fields"]["key"] == key
    assert body["fields"]["x-amz-server-side-encryption"] == "aws:kms"
    assert body["fields"]["x-amz-server-side-encryption-aws-kms-key-id"] == aws
    policy = policy_of(body["fields"])
    conditions = policy["conditions"]
    assert {"bucket": BUCKET} in conditions
    assert {"key": key} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 2048, 2048] in conditions
    assert {"x-amz-server-side-encryption": "aws:kms"} in conditions
    assert {"x-amz-server-side-encryption-aws-kms-key-id": aws} in conditions
    expiry = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert 0 < (expiry - before).total_seconds() <= 301
    assert not [c for c in conditions if isinstance(c, list) and c[0] == "starts-with"], "no prefix wildcards"
    assert headers["Access-Control-Allow-Origin"] == ORIGIN


def test_an_upload_with_the_returned_fields_lands_encrypted(aws: str, lambda_context: FakeLambdaContext) -> None:
    payload = b"\xff\xd8\xff" + b"0" * 97
    status, body, _ = call(event({"contentType": "image/jpeg", "size": len(payload)}), lambda_context)
    assert status == 200
    upload = requests.post(body["url"], data=body["fields"], files={"file": ("photo.jpg", payload)}, timeout=10)
    assert upload.status_code in (200, 204), upload.text
    stored = boto3.client("s3").get_object(Bucket=BUCKET, Key=body["key"])
    assert stored["Body"].read() == payload
    assert stored["ContentType"] == "image/jpeg"
    assert stored["ServerSideEncryption"] == "aws:kms"


def test_unlisted_origin_gets_no_cors_header(aws: str, lambda_context: FakeLambdaContext) -> None:
    _, _, headers = call(event({"contentType": "image/png", "size": 1}, origin="https://evil.example"), lambda_context)
    assert "Access-Control-Allow-Origin" not in headers


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"contentType": "image/png", "size": 10, "key": "../../etc/passwd"}, "chosen by the server; remove key"),
        ({"contentType": "image/png", "size": 10, "key": f"uploads/{OTHER_SUB}/x.png"}, "remove key"),
        ({"contentType": "image/png", "size": 10, "filename": "../x.png"}, "remove filename"),
        ({"contentType": "image/png", "size": 10, "path": f"uploads/{OTHER_SUB}/"}, "remove path"),
        ({"contentType": "image/png", "size": MAX_BYTES + 1}, f"between 1 and {MAX_BYTES} bytes"),
        ({"contentType": "image/png", "size": 10**15}, f"between 1 and {MAX_BYTES} bytes"),
        ({"contentType": "image/png", "size": 0}, "between 1 and"),
        ({"contentType": "image/png", "size": -5}, "between 1 and"),
        ({"contentType": "image/png", "size": "100"}, "size must be an integer"),
        ({"contentType": "image/png", "size": True}, "size must be an integer"),
        ({"contentType": "image/svg+xml", "size": 10}, "contentType must be one of"),
        ({"contentType": "text/html", "size": 10}, "contentType must be one of"),
        ({"contentType": "../image/png", "size": 10}, "contentType must be one of"),
        ({"size": 10}, "contentType must be one of"),
        ({"contentType": "image/png", "size": 10, "acl": "public-read"}, "unknown field(s) acl"),
        ("not json", "must be a JSON object"),
        ([1, 2], "must be a JSON object"),
        (None, "must be a JSON object"),
    ],
)
def test_hostile_or_invalid_bodies_are_refused_unsigned(
    aws: str, lambda_context: FakeLambdaContext, body: Any, reason: str
) -> None:
    status, response, _ = call(event(body), lambda_context)
    assert status == 400
    assert reason in response["message"]
    assert "fields" not in response and "url" not in response


@pytest.mark.parametrize("sub", [None, "", "../other-user", f"{OTHER_SUB}/../x", "not-a-uuid"])
def test_missing_or_malformed_claims_are_refused(aws: str, lambda_context: FakeLambdaContext, sub: str | None) -> None:
    status, response, _ = call(event({"contentType": "image/png", "size": 10}, sub=sub), lambda_context)
    assert status == 400
    assert "no verified caller" in response["message"]
    assert "fields" not in response


def test_sub_comes_from_the_claims_not_the_body(aws: str, lambda_context: FakeLambdaContext) -> None:
    status, response, _ = call(event({"contentType": "image/png", "size": 10, "sub": OTHER_SUB}), lambda_context)
    assert status == 400 and "unknown field(s) sub" in response["message"]
