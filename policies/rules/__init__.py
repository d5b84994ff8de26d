"""Every rule, grouped by AWS service (one module per service namespace).

Importing this package registers the rules in ``policies.core.REGISTRY``.
"""

from __future__ import annotations

from policies.core import REGISTRY, Rule
from policies.rules import (
    alarms,
    apigateway,
    appsync,
    boundaries,
    cloudfront,
    cloudtrail,
    cognito,
    deployability,
    dynamodb,
    iam,
    kms,
    lambda_,
    logs,
    messaging,
    neptune,
    preview,
    pulumi_,
    s3,
    scheduler,
    vpc,
    wafv2,
)

MODULES = (
    neptune,
    preview,
    kms,
    vpc,
    logs,
    iam,
    lambda_,
    s3,
    appsync,
    cognito,
    apigateway,
    cloudfront,
    wafv2,
    messaging,
    dynamodb,
    cloudtrail,
    alarms,
    pulumi_,
    boundaries,
    scheduler,
    deployability,
)


def all_rules() -> list[Rule]:
    return list(REGISTRY)
