"""Push-token validation per platform, before anything reaches SNS."""

from __future__ import annotations

import re

PLATFORMS = ("APNS", "APNS_SANDBOX", "FCM")
#: APNs device tokens are 32 bytes, sent as 64 hex characters.
APNS_TOKEN = re.compile(r"^[0-9a-fA-F]{64}$")
#: FCM registration tokens: URL-safe base64 plus ':' (instance id prefix); ~150-180 chars in practice.
FCM_TOKEN = re.compile(r"^[A-Za-z0-9_:\-]{100,4096}$")


class InvalidTokenError(ValueError):
    pass


def validate(platform: str, token: str) -> str:
    """The token normalised for its platform, or InvalidTokenError naming what is wrong."""
    if platform not in PLATFORMS:
        raise InvalidTokenError(f"platform must be one of {', '.join(PLATFORMS)}")
    if platform in ("APNS", "APNS_SANDBOX"):
        if not APNS_TOKEN.match(token):
            raise InvalidTokenError("an APNs token is 64 hexadecimal characters")
        return token.lower()
    if not FCM_TOKEN.match(token):
        raise InvalidTokenError("an FCM registration token is 100-4096 characters of A-Z a-z 0-9 _ - :")
    return token
