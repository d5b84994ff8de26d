"""Push-token validation per platform, before anything reaches SNS."""

from __future__ import annotations

import re

PLATFORMS = ("APNS", "APNS_SANDBOX", "FCM")
#: Every pattern is used with ``fullmatch``: under ``re.match`` a trailing ``$`` also accepts
#: a final "\n", and "<token>\n" became a second device for the same phone.
#: APNs device tokens are 32 bytes, sent as 64 hex characters.
APNS_TOKEN = re.compile(r"[0-9a-fA-F]{64}")
#: FCM registration tokens: URL-safe base64 plus ':' (instance id prefix); ~150-180 chars in practice.
FCM_TOKEN = re.compile(r"[A-Za-z0-9_:\-]{100,4096}")
#: A device id as ``shared.device_registry.device_id_for`` derives it: 32 lowercase hex characters.
DEVICE_ID = re.compile(r"[0-9a-f]{32}")


class InvalidTokenError(ValueError):
    pass


def validate(platform: object, token: object) -> str:
    """The token normalised for its platform, or InvalidTokenError naming what is wrong."""
    if not isinstance(platform, str) or platform not in PLATFORMS:
        raise InvalidTokenError(f"platform must be one of {', '.join(PLATFORMS)}")
    if not isinstance(token, str):
        raise InvalidTokenError("token must be a string")
    if platform in ("APNS", "APNS_SANDBOX"):
        if not APNS_TOKEN.fullmatch(token):
            raise InvalidTokenError("an APNs token is 64 hexadecimal characters")
        return token.lower()
    if not FCM_TOKEN.fullmatch(token):
        raise InvalidTokenError("an FCM registration token is 100-4096 characters of A-Z a-z 0-9 _ - :")
    return token


def validate_device_id(device_id: object) -> str:
    if not isinstance(device_id, str) or not DEVICE_ID.fullmatch(device_id):
        raise InvalidTokenError("deviceId must be a device id as registerDevice returned it (32 hex characters)")
    return device_id
