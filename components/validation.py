"""Validation shared by the components' args dataclasses.

Args are validated in ``__post_init__`` and raise ``ArgsError`` naming the field, so a
bad value fails at construction (before any resource is registered) and the program
can translate the field into the config key the user wrote.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection

#: The values CloudWatch Logs accepts for a log group's retention (PutRetentionPolicy).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


class ArgsError(ValueError):
    """An argument is invalid; ``field`` names it, ``str()`` explains what is allowed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


def require_int_range(field: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgsError(field, f"must be an integer between {low} and {high}, got {value!r}")
    if not low <= value <= high:
        raise ArgsError(field, f"must be between {low} and {high}, got {value}")


def require_choice(field: str, value: object, allowed: Collection[object]) -> None:
    if value not in allowed:
        shown = ", ".join(str(v) for v in allowed)
        raise ArgsError(field, f"must be one of {shown}; got {value!r}")


def require_log_retention(field: str, value: int) -> None:
    require_choice(field, value, LOG_RETENTION_DAYS)


def require_private_cidr(field: str, value: str, *, min_prefix: int, max_prefix: int) -> ipaddress.IPv4Network:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except (ipaddress.AddressValueError, ipaddress.NetmaskValueError, ValueError) as error:
        raise ArgsError(field, f"must be an IPv4 CIDR block such as 10.40.0.0/16, got {value!r} ({error})") from None
    if not network.is_private:
        raise ArgsError(field, f"must be a private (RFC 1918) range, got {value}")
    if not min_prefix <= network.prefixlen <= max_prefix:
        raise ArgsError(
            field,
            f"prefix length must be between /{min_prefix} and /{max_prefix} (AWS VPC limits), got /{network.prefixlen}",
        )
    return network


def require_non_empty(field: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ArgsError(field, "must be a non-empty string")
