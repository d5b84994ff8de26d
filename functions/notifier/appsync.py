"""The IAM-only ``publishNotification`` mutation over HTTPS, signed with SigV4 (service ``appsync``)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from shared.notification_events import NotificationEvent

PUBLISH_MUTATION = """mutation PublishNotification($input: PublishNotificationInput!) {
  publishNotification(input: $input) { id recipientId kind actorId postId commentId createdAt }
}"""
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class PublishError(RuntimeError):
    """AppSync did not accept the mutation; the event is retried."""


class AppSyncPublisher:
    def __init__(self, url: str, region: str, credentials: Callable[[], Any], *, timeout_seconds: float = 10) -> None:
        parts = urlsplit(url)
        # HTTPS only; plain HTTP is accepted for a loopback stand-in (tests), never a real host.
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
            raise ValueError(f"the GraphQL endpoint must be an https URL, got {url!r}")
        self._url = url
        self._region = region
        self._credentials = credentials
        self._timeout = timeout_seconds

    def publish(self, event: NotificationEvent) -> dict[str, Any]:
        body = json.dumps({"query": PUBLISH_MUTATION, "variables": {"input": json.loads(event.to_json())}}).encode()
        request = AWSRequest(method="POST", url=self._url, data=body, headers={"Content-Type": "application/json"})
        SigV4Auth(self._credentials(), "appsync", self._region).add_auth(request)
        http_request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self._url, data=body, headers=dict(request.headers.items()), method="POST"
        )
        try:
            with urllib.request.urlopen(http_request, timeout=self._timeout) as response:  # noqa: S310
                payload = json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise PublishError(f"AppSync answered HTTP {error.code} for event {event.id}") from None
        except (urllib.error.URLError, TimeoutError) as error:
            raise PublishError(f"AppSync unreachable for event {event.id}: {error}") from None
        if payload.get("errors"):
            kinds = sorted({str(e.get("errorType") or e.get("message")) for e in payload["errors"]})
            raise PublishError(f"AppSync rejected event {event.id}: {', '.join(kinds)}")
        result: dict[str, Any] = payload["data"]["publishNotification"]
        return result
