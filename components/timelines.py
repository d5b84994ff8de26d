"""Home-feed timelines: one DynamoDB table the stream poller fans posts out into and graph_api reads.

Data model (one table, ``<prefix>-timelines``; docs/scaling.md, "Timelines"):

- ``userId`` (partition): the reader's domain id (Cognito ``sub``) for a **timeline**, or
  ``posts#<authorId>`` for an author's **outbox** (every post the poller has seen, read on
  fan-in for accounts above the follower threshold);
- ``entry`` (sort): ``<createdAt>#<postId>``, the post's ISO-8601 millisecond time and id:
  lexical order is the feed's keyset order (``shared.graph.cursors``), so a page is one
  ``Query`` with ``ScanIndexForward=false`` and ``entry < <cursor>``;
- ``postId``, ``authorId``, ``createdAt``; ``expiresAt`` (TTL, epoch seconds): the post's time
  plus ``entryTtlDays``, so a feed covers that many days and old entries cost nothing to delete.

Encrypted with the stack's data key (a CMK from ``Keys``), point-in-time recovery on,
deletion protection and Pulumi ``protect`` from config, like the notification tables.

Both callers run in the isolated VPC and reach DynamoDB through the gateway endpoint
(``components/network.py``): its policy admits this account's principals on this account's
resources for every ``dynamodb:*`` action, so the table needs nothing there ("Gateway
endpoints for Amazon DynamoDB", https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-ddb.html;
"Securing DynamoDB connections using VPC endpoints and IAM policies",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/inter-network-traffic-privacy.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

# The handlers' own contract (functions/ is on sys.path: see components/__init__.py).
from shared.environment import TimelineSettings

from components.context import DeploymentContext
from components.validation import require_int_range
from offline.flows.model import Flow, declare

#: "How Amazon DynamoDB uses AWS KMS": with a customer managed key, DynamoDB calls
#: kms:Decrypt with the caller's credentials (through dynamodb.<region>.amazonaws.com, so
#: ``kms:ViaService``) to use the table key when the caller reads or writes items; the
#: table's creator alone needs CreateGrant/DescribeKey (Pulumi's deployment role, not a flow).
KMS_DOC = "https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html"
DYNAMODB_IAM_DOC = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/using-identity-based-policies.html"


@dataclass(frozen=True, kw_only=True)
class TimelinesSettings:
    #: Accounts with more followers than this are not fanned out: their posts are read on
    #: fan-in (from their outbox) when a follower opens the feed.
    fan_in_threshold: int = 10_000
    #: Posts of the followee copied into the follower's timeline when they follow.
    backfill_posts: int = 20
    #: Days an entry lives (from its post's time): the feed's horizon.
    entry_ttl_days: int = 30
    deletion_protection: bool = True
    #: Pulumi ``protect`` on the table.
    protect: bool = True

    def __post_init__(self) -> None:
        require_int_range("fan_in_threshold", self.fan_in_threshold, 1, 100_000_000)
        require_int_range("backfill_posts", self.backfill_posts, 0, 1_000)
        require_int_range("entry_ttl_days", self.entry_ttl_days, 1, 3_650)


@dataclass(frozen=True, kw_only=True)
class TimelinesArgs:
    context: DeploymentContext
    settings: TimelinesSettings
    data_key_arn: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)


class Timelines(pulumi.ComponentResource):
    table: aws.dynamodb.Table

    def __init__(self, name: str, args: TimelinesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social-backend:timelines:Timelines", name, None, opts)
        self._args = args
        settings = args.settings
        self.table = aws.dynamodb.Table(
            f"{name}-table",
            name=f"{args.context.prefix}-timelines",
            billing_mode="PAY_PER_REQUEST",
            hash_key="userId",
            range_key="entry",
            attributes=[
                aws.dynamodb.TableAttributeArgs(name="userId", type="S"),
                aws.dynamodb.TableAttributeArgs(name="entry", type="S"),
            ],
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(
                enabled=True, kms_key_arn=args.data_key_arn
            ),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            deletion_protection_enabled=settings.deletion_protection,
            ttl=aws.dynamodb.TableTtlArgs(attribute_name="expiresAt", enabled=True),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=settings.protect),
        )
        self.register_outputs({"tableName": self.table.name})

    # -- what the two functions get -------------------------------------------------------

    @property
    def backfill_posts(self) -> int:
        return self._args.settings.backfill_posts

    @property
    def entry_ttl_days(self) -> int:
        return self._args.settings.entry_ttl_days

    def environment(self) -> TimelineSettings[pulumi.Input[str]]:
        """The section of both functions' environments (``shared.environment.TimelineSettings``)."""
        return TimelineSettings(table=self.table.name, fan_in_threshold=self._args.settings.fan_in_threshold)

    def _key_statement(self, sid: str) -> dict[str, Any]:
        ctx = self._args.context
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": [self._args.data_key_arn],
            # Only as DynamoDB's call for this caller (KMS_DOC), never a direct Decrypt.
            "Condition": {"StringEquals": {"kms:ViaService": f"dynamodb.{ctx.region}.{ctx.dns_suffix}"}},
        }

    def reader_statements(self) -> list[dict[str, Any]]:
        """graph_api: one ``Query`` per timeline or outbox partition on a feed page."""
        return [
            {"Sid": "ReadTimelines", "Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": [self.table.arn]},
            self._key_statement("ReadTimelinesKey"),
        ]

    def writer_statements(self, *, key_granted: bool) -> list[dict[str, Any]]:
        """The stream poller: ``BatchWriteItem`` puts and deletes entries; ``Query`` finds an
        unfollowed author's entries. ``key_granted``: the role already may kms:Decrypt the data key."""
        statements: list[dict[str, Any]] = [
            {
                "Sid": "FanOutTimelines",
                "Effect": "Allow",
                "Action": ["dynamodb:BatchWriteItem", "dynamodb:Query"],
                "Resource": [self.table.arn],
            }
        ]
        return statements if key_granted else [*statements, self._key_statement("WriteTimelinesKey")]

    def declare_reader_flows(self, role_arn: pulumi.Input[str], function: str) -> None:
        declare(
            Flow(
                caller=role_arn,
                action="dynamodb:Query",
                resource=self.table.arn,
                purpose="the home feed: a page of the viewer's timeline and of the followed high-follower accounts' outboxes",
                doc=DYNAMODB_IAM_DOC,
                function=function,
            )
        )

    def declare_writer_flows(self, role_arn: pulumi.Input[str], function: str) -> None:
        declare(
            Flow(
                caller=role_arn,
                action="dynamodb:BatchWriteItem",
                resource=self.table.arn,
                purpose="fan a new post out to followers' timelines, backfill a follow, remove unfollowed or deleted posts",
                doc=DYNAMODB_IAM_DOC,
                function=function,
            ),
            Flow(
                caller=role_arn,
                action="dynamodb:Query",
                resource=self.table.arn,
                purpose="find an unfollowed author's entries in the follower's timeline",
                doc=DYNAMODB_IAM_DOC,
                function=function,
            ),
        )
