"""SNS mobile push to a recipient's registered devices; endpoints SNS reports disabled are pruned."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from shared.device_registry import DeviceTable
from shared.notification_events import NotificationEvent, NotificationKind

TEXT: Mapping[NotificationKind, tuple[str, str]] = {
    NotificationKind.NEW_FOLLOWER: ("New follower", "Someone started following you."),
    NotificationKind.POST_LIKED: ("New like", "Someone liked your post."),
    NotificationKind.POST_COMMENTED: ("New comment", "Someone commented on your post."),
    NotificationKind.NEW_POST: ("New post", "Someone you follow posted."),
}
GONE = frozenset({"EndpointDisabled", "EndpointDisabledException", "NotFound", "NotFoundException"})


def push_message(event: NotificationEvent) -> str:
    """The ``MessageStructure="json"`` message: one payload per platform (APNs, FCM v1)."""
    title, body = TEXT[event.kind]
    data: dict[str, str] = json.loads(event.to_json())
    apns = {"aps": {"alert": {"title": title, "body": body}, "sound": "default", "thread-id": event.kind}, **data}
    fcm = {"fcmV1Message": {"message": {"notification": {"title": title, "body": body}, "data": data}}}
    return json.dumps(
        {"default": body, "APNS": json.dumps(apns), "APNS_SANDBOX": json.dumps(apns), "GCM": json.dumps(fcm)}
    )


@dataclass(kw_only=True)
class PushOutcome:
    sent: int = 0
    pruned: int = 0
    failed: int = 0


class PushSender:
    def __init__(self, sns: Any, devices: DeviceTable) -> None:
        self._sns = sns
        self._devices = devices

    def send(self, event: NotificationEvent) -> PushOutcome:
        """Push to every device of the recipient. A failing device never fails the event:
        push is best effort (in-app delivery is the at-least-once channel)."""
        outcome = PushOutcome()
        message = push_message(event)
        for device in self._devices.devices_of(event.recipientId):
            try:
                enabled = self._sns.get_endpoint_attributes(EndpointArn=device.endpoint_arn)["Attributes"].get(
                    "Enabled", "true"
                )
                if enabled.lower() == "false":
                    self._prune(device.user_id, device.device_id, device.endpoint_arn)
                    outcome.pruned += 1
                    continue
                self._sns.publish(TargetArn=device.endpoint_arn, MessageStructure="json", Message=message)
                outcome.sent += 1
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in GONE:
                    self._prune(device.user_id, device.device_id, device.endpoint_arn)
                    outcome.pruned += 1
                else:
                    outcome.failed += 1
        return outcome

    def _prune(self, user_id: str, device_id: str, endpoint_arn: str) -> None:
        try:
            self._sns.delete_endpoint(EndpointArn=endpoint_arn)  # idempotent in SNS
        finally:
            self._devices.delete(user_id, device_id)
