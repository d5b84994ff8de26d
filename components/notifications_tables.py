"""The notification path's DynamoDB tables: the poller's checkpoint and lease, the device
registry (with its token-hash index) and the notifier's idempotency records. Each is
encrypted with the data key, with point-in-time recovery, deletion protection and Pulumi
``protect`` as configured. Children of the ``Notifications`` component."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

if TYPE_CHECKING:
    from components.notifications import NotificationsArgs

#: The device registry's index from a token's hash to its device (duplicate registrations).
DEVICES_INDEX = "byTokenHash"


@dataclass(frozen=True)
class NotificationTables:
    checkpoint: aws.dynamodb.Table
    devices: aws.dynamodb.Table
    idempotency: aws.dynamodb.Table

    @property
    def devices_index_arn(self) -> pulumi.Output[str]:
        return pulumi.Output.concat(self.devices.arn, f"/index/{DEVICES_INDEX}")


def notification_tables(name: str, args: NotificationsArgs, parent: pulumi.Resource) -> NotificationTables:
    return NotificationTables(
        checkpoint=_table(name, args, parent, "stream-checkpoint", [("id", "S")], hash_key="id"),
        devices=_table(
            name,
            args,
            parent,
            "devices",
            [("userId", "S"), ("deviceId", "S"), ("tokenHash", "S")],
            hash_key="userId",
            range_key="deviceId",
            indexes=[
                aws.dynamodb.TableGlobalSecondaryIndexArgs(
                    name=DEVICES_INDEX,
                    # key_schemas, not the deprecated hash_key (pulumi-aws 7.x)
                    key_schemas=[
                        aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name="tokenHash", key_type="HASH")
                    ],
                    projection_type="KEYS_ONLY",
                )
            ],
        ),
        idempotency=_table(name, args, parent, "notify-idempotency", [("id", "S")], hash_key="id", ttl="expiration"),
    )


def _table(
    name: str,
    args: NotificationsArgs,
    parent: pulumi.Resource,
    role: str,
    attributes: Sequence[tuple[str, str]],
    *,
    hash_key: str,
    range_key: str | None = None,
    indexes: Sequence[aws.dynamodb.TableGlobalSecondaryIndexArgs] = (),
    ttl: str | None = None,
) -> aws.dynamodb.Table:
    settings = args.settings
    return aws.dynamodb.Table(
        f"{name}-{role}",
        name=f"{args.context.prefix}-{role}",
        billing_mode="PAY_PER_REQUEST",
        hash_key=hash_key,
        range_key=range_key,
        attributes=[aws.dynamodb.TableAttributeArgs(name=n, type=t) for n, t in attributes],
        global_secondary_indexes=list(indexes) or None,
        server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True, kms_key_arn=args.data_key_arn),
        point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
        deletion_protection_enabled=settings.deletion_protection,
        ttl=aws.dynamodb.TableTtlArgs(attribute_name=ttl, enabled=True) if ttl else None,
        tags=dict(args.tags),
        opts=pulumi.ResourceOptions(parent=parent, protect=settings.protect),
    )
