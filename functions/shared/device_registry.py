"""The device registry table: one item per (user, device), shared by devices and notifier.

Keys: ``userId`` (partition) and ``deviceId`` (sort). ``tokenHash`` (SHA-256 of the push
token; the token itself is stored only inside SNS) is indexed by the ``byTokenHash`` GSI
so a token that moves to another account is found and removed from the old one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

TOKEN_HASH_INDEX = "byTokenHash"  # noqa: S105 - an index name, not a secret


def token_hash(platform: str, token: str) -> str:
    return hashlib.sha256(f"{platform}:{token}".encode()).hexdigest()


def device_id_for(platform: str, token: str) -> str:
    """Stable per token, so registering the same token again is the same device."""
    return token_hash(platform, token)[:32]


@dataclass(frozen=True, kw_only=True)
class Device:
    user_id: str
    device_id: str
    platform: str
    endpoint_arn: str
    token_hash: str
    created_at: str

    def to_item(self) -> dict[str, dict[str, str]]:
        return {
            "userId": {"S": self.user_id},
            "deviceId": {"S": self.device_id},
            "platform": {"S": self.platform},
            "endpointArn": {"S": self.endpoint_arn},
            "tokenHash": {"S": self.token_hash},
            "createdAt": {"S": self.created_at},
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Device:
        return cls(
            user_id=item["userId"]["S"],
            device_id=item["deviceId"]["S"],
            platform=item["platform"]["S"],
            endpoint_arn=item["endpointArn"]["S"],
            token_hash=item["tokenHash"]["S"],
            created_at=item["createdAt"]["S"],
        )


class DeviceTable:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def devices_of(self, user_id: str) -> list[Device]:
        devices: list[Device] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "userId = :user",
            "ExpressionAttributeValues": {":user": {"S": user_id}},
        }
        while True:
            response = self._client.query(**kwargs)
            devices.extend(Device.from_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return devices
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def owners_of_token(self, hashed: str) -> list[tuple[str, str]]:
        """(userId, deviceId) of every item holding this token hash."""
        response = self._client.query(
            TableName=self._table,
            IndexName=TOKEN_HASH_INDEX,
            KeyConditionExpression="tokenHash = :hash",
            ExpressionAttributeValues={":hash": {"S": hashed}},
        )
        return [(item["userId"]["S"], item["deviceId"]["S"]) for item in response.get("Items", [])]

    def get(self, user_id: str, device_id: str) -> Device | None:
        item = self._client.get_item(
            TableName=self._table, Key={"userId": {"S": user_id}, "deviceId": {"S": device_id}}
        ).get("Item")
        return Device.from_item(item) if item else None

    def put(self, device: Device) -> None:
        self._client.put_item(TableName=self._table, Item=device.to_item())

    def delete(self, user_id: str, device_id: str) -> Device | None:
        """Delete and return the item, or None when the user has no such device."""
        response = self._client.delete_item(
            TableName=self._table,
            Key={"userId": {"S": user_id}, "deviceId": {"S": device_id}},
            ReturnValues="ALL_OLD",
        )
        old = response.get("Attributes")
        return Device.from_item(old) if old else None
