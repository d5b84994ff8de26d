"""devices: registerDevice / unregisterDevice for the signed-in user (outside the VPC).

The caller is the Cognito identity's ``sub``, never an argument. Registering the same
token again returns the same device (its id is derived from the token); a token that
moved to another account is removed from the old one. SNS ``CreatePlatformEndpoint`` is
itself idempotent for the same token and attributes.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import AppSyncResolver
from aws_lambda_powertools.utilities.typing import LambdaContext
from shared.device_registry import Device, DeviceTable, device_id_for, token_hash
from shared.environment import DevicesEnvironment

from registry.tokens import validate

logger = Logger()
tracer = Tracer()
app = AppSyncResolver()  # type: ignore[no-untyped-call]  # Powertools leaves __init__ unannotated
#: GraphQL PushPlatform -> SNS platform application key.
SNS_PLATFORM = {"APNS": "APNS", "APNS_SANDBOX": "APNS_SANDBOX", "FCM": "FCM"}


class DeviceError(Exception):
    """Shown to the caller as the GraphQL error message."""


@functools.cache
def _clients() -> tuple[Any, DeviceTable, Mapping[str, str]]:
    env = DevicesEnvironment.from_environment()
    return boto3.client("sns"), DeviceTable(boto3.client("dynamodb"), env.devices_table), env.push.by_platform()


def _caller() -> str:
    event = app.current_event
    identity = event.identity if event is not None else None
    sub = identity.get("sub") if isinstance(identity, dict) else getattr(identity, "sub", None)
    if not sub:
        raise DeviceError("Unauthorized")
    return str(sub)


def _device(device: Device) -> dict[str, str]:
    return {"id": device.device_id, "platform": device.platform, "createdAt": device.created_at}


@app.resolver(type_name="Mutation", field_name="registerDevice")
def register_device(input: dict[str, Any]) -> dict[str, str]:
    user = _caller()
    platform, raw_token = str(input.get("platform", "")), str(input.get("token", ""))
    try:
        token = validate(platform, raw_token)
    except ValueError as error:
        raise DeviceError(str(error)) from None
    sns, devices, applications = _clients()
    application = applications.get(SNS_PLATFORM[platform])
    if not application:
        raise DeviceError(f"push platform {platform} is not configured")
    hashed, device_id = token_hash(platform, token), device_id_for(platform, token)
    for owner, other_device in devices.owners_of_token(hashed):
        if owner != user:
            devices.delete(owner, other_device)  # the token moved to this account
    existing = devices.get(user, device_id)
    endpoint = sns.create_platform_endpoint(PlatformApplicationArn=application, Token=token)["EndpointArn"]
    # Re-enable an endpoint SNS disabled earlier, now that the app registered the token again.
    sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "true", "Token": token})
    device = Device(
        user_id=user,
        device_id=device_id,
        platform=platform,
        endpoint_arn=endpoint,
        token_hash=hashed,
        created_at=existing.created_at
        if existing
        else datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    )
    devices.put(device)
    logger.info("device registered", extra={"deviceId": device_id, "platform": platform, "again": existing is not None})
    return _device(device)


@app.resolver(type_name="Mutation", field_name="unregisterDevice")
def unregister_device(deviceId: str) -> dict[str, Any]:  # noqa: N803 - the GraphQL argument name
    user = _caller()
    sns, devices, _ = _clients()
    removed = devices.delete(user, deviceId)  # keyed on the caller: only your own devices
    if removed is None:
        raise DeviceError("device not found")
    sns.delete_endpoint(EndpointArn=removed.endpoint_arn)
    return {"id": deviceId, "deleted": True}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return app.resolve(event, context)
