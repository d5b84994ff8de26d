"""devices: registerDevice / unregisterDevice for the signed-in user (outside the VPC).

The caller is the Cognito identity's ``sub``, never an argument. Registering the same
token again returns the same device (its id is derived from the token). SNS
``CreatePlatformEndpoint`` is itself idempotent for the same token and attributes.

A token registered by a second account is one more record, (that user, that token); the
first account's record is left alone. Earlier, registering a token deleted every other
account's record of it, so anyone who learned a phone's push token (it is not a secret:
it passes through the app, logs and push providers) could silently cut its owner off
their notifications. Proving possession instead would need a challenge pushed to the
phone and echoed back (a round trip through APNs/FCM the app does not have). So records
are per (user, token), and stale ones are retired by the push platform's own feedback:
when a token stops being valid (app uninstalled, token rotated) APNs/FCM report it, SNS
disables the endpoint, and the notifier prunes the record (notify/push.py). The endpoint
is shared by every record of the token, so unregistering deletes it only when no other
account still holds the token. A phone handed to another account should unregister on
sign-out (the app's job); until it does, both accounts' notifications reach it.

Bad input is refused as a ``DeviceError`` naming the field; anything unexpected reaches the
caller only as ``InternalError: internal error`` (the details are logged, never returned:
botocore's messages name table keys).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import AppSyncResolver
from aws_lambda_powertools.utilities.typing import LambdaContext
from devices.tokens import InvalidTokenError, validate, validate_device_id
from shared.device_registry import Device, DeviceTable, device_id_for, token_hash
from shared.environment import DevicesEnvironment

logger = Logger()
app = AppSyncResolver()  # type: ignore[no-untyped-call]  # Powertools leaves __init__ unannotated
#: GraphQL PushPlatform -> SNS platform application key.
SNS_PLATFORM = {"APNS": "APNS", "APNS_SANDBOX": "APNS_SANDBOX", "FCM": "FCM"}


class DeviceError(Exception):
    """Shown to the caller as the GraphQL error message."""


class InternalError(Exception):
    """What the caller sees for anything unexpected: no SDK or Python detail."""


#: At most this many devices per account: a caller cannot fill the table or SNS with tokens.
MAX_DEVICES_PER_USER = 20


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
def register_device(input: object = None) -> dict[str, str]:
    user = _caller()
    if not isinstance(input, dict):
        raise DeviceError("input must be an object with platform and token")
    platform = input.get("platform")
    try:
        token = validate(platform, input.get("token"))
    except InvalidTokenError as error:
        field = "input.platform" if "platform" in str(error) else "input.token"
        raise DeviceError(f"{field}: {error}") from None
    platform = str(platform)  # validate() checked it is one of PLATFORMS
    sns, devices, applications = _clients()
    application = applications.get(SNS_PLATFORM[platform])
    if not application:
        raise DeviceError(f"input.platform: push platform {platform} is not configured")
    hashed, device_id = token_hash(platform, token), device_id_for(platform, token)
    # Other accounts' records of this token are left alone (see the module docstring).
    existing = devices.get(user, device_id)
    if existing is None and len(devices.devices_of(user)) >= MAX_DEVICES_PER_USER:
        raise DeviceError(f"input.token: at most {MAX_DEVICES_PER_USER} devices per account; unregister one first")
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
def unregister_device(deviceId: object = None) -> dict[str, Any]:  # noqa: N803 - the GraphQL argument name
    user = _caller()
    try:
        device_id = validate_device_id(deviceId)
    except InvalidTokenError as error:
        raise DeviceError(str(error)) from None
    sns, devices, _ = _clients()
    removed = devices.delete(user, device_id)  # keyed on the caller: only your own devices
    if removed is None:
        raise DeviceError("deviceId: device not found")
    if not devices.owners_of_token(removed.token_hash):
        # The endpoint is the token's, shared by every account that registered it.
        sns.delete_endpoint(EndpointArn=removed.endpoint_arn)
    return {"id": device_id, "deleted": True}


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    try:
        return app.resolve(event, context)
    except DeviceError:
        raise
    except Exception:
        # AppSync shows a direct resolver's exception type and message to the client.
        logger.exception("devices resolver failed")
        raise InternalError("internal error") from None
