"""Facts about where a stack is deployed, looked up once by the program and passed down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi import Input

from components.validation import ArgsError, require_non_empty


@dataclass(frozen=True, kw_only=True)
class DeploymentContext:
    """Account, region and naming prefix shared by every component.

    ``prefix`` (``<project>-<stack>``) names physical resources that need a fixed name
    (a Neptune cluster identifier, log group names), so two stacks in one account never
    collide.
    """

    account_id: str
    region: str
    partition: str
    prefix: str

    def __post_init__(self) -> None:
        if not (self.account_id.isdigit() and len(self.account_id) == 12):
            raise ArgsError("account_id", f"must be a 12-digit AWS account id, got {self.account_id!r}")
        require_non_empty("region", self.region)
        require_non_empty("partition", self.partition)
        require_non_empty("prefix", self.prefix)

    @property
    def dns_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = self.region if regional else ""
        return f"arn:{self.partition}:{service}:{region}:{self.account_id}:{resource}"

    @property
    def account_root_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:root"

    def service_principal(self, service: str) -> str:
        return f"{service}.{self.dns_suffix}"

    def trust_policy(
        self, principal: str, *, source_arn: Input[str] | None = None, source_arn_test: str = "ArnLike"
    ) -> dict[str, Any]:
        """Trust policy letting the service ``principal`` assume a role only on behalf of this
        account (confused-deputy guard), and, with ``source_arn``, only for that resource
        (``source_arn_test``: ArnLike for patterns, ArnEquals or StringEquals for one ARN).

        ``source_arn`` must be the ARN the service itself puts in the request context, which
        is not always the resource the role serves. What the stack's callers pass:

        - ``scheduler``: the schedule GROUP's ARN, never the schedule's ("Confused deputy
          prevention in EventBridge Scheduler",
          https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html);
        - ``appsync``: the GraphQL API's ARN ``apis/<id>`` (data sources, logging);
        - ``cloudtrail``: the trail's ARN (the CloudWatch Logs delivery role);
        - ``vpc-flow-logs``: ``vpc-flow-log/<id>`` ("IAM role for publishing flow logs to
          CloudWatch Logs", Amazon VPC user guide);
        - ``lambda``, ``apigateway`` (account logging role), ``sns`` (delivery-status role):
          ``aws:SourceAccount`` only: no per-resource ARN is pinned.
        """
        condition: dict[str, dict[str, Input[str]]] = {"StringEquals": {"aws:SourceAccount": self.account_id}}
        if source_arn is not None:
            condition.setdefault(source_arn_test, {})["aws:SourceArn"] = source_arn
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": principal},
                    "Action": "sts:AssumeRole",
                    "Condition": condition,
                }
            ],
        }
