"""Rule table for policies/rules/cloudtrail.py: compliant, violating, property-missing and unknown-at-preview resources."""

from __future__ import annotations

import pytest

from tests.policies.conftest import Case, check_case

TRAIL = "aws:cloudtrail/trail:Trail"

TRAIL_OK = {
    "isMultiRegionTrail": True,
    "includeGlobalServiceEvents": True,
    "enableLogFileValidation": True,
    "enableLogging": True,
    "kmsKeyId": "arn:aws:kms:eu-west-1:1:key/k",
    "cloudWatchLogsGroupArn": "arn:aws:logs:eu-west-1:1:log-group:trail:*",
    "cloudWatchLogsRoleArn": "arn:aws:iam::1:role/trail",
    "snsTopicName": "trail-topic",
    "s3BucketName": "trail-bucket",
}

CASES: list[Case] = [
    Case(
        "cloudtrail-multi-region-management-events",
        TRAIL,
        TRAIL_OK,
        bad=(
            {"isMultiRegionTrail": False},
            {"includeGlobalServiceEvents": False},
            {"eventSelectors": [{"readWriteType": "WriteOnly"}]},
        ),
        missing=("isMultiRegionTrail",),
        optional=("includeGlobalServiceEvents",),
        unknown=("isMultiRegionTrail",),
    ),
    Case(
        "cloudtrail-log-file-validation",
        TRAIL,
        TRAIL_OK,
        bad=({"enableLogFileValidation": False},),
        missing=("enableLogFileValidation",),
        unknown=("enableLogFileValidation",),
    ),
    Case(
        "cloudtrail-logging-enabled",
        TRAIL,
        TRAIL_OK,
        bad=({"enableLogging": False},),
        optional=("enableLogging",),
        unknown=("enableLogging",),
    ),
    Case("cloudtrail-kms", TRAIL, TRAIL_OK, missing=("kmsKeyId",)),
    Case("cloudtrail-cloudwatch-logs", TRAIL, TRAIL_OK, missing=("cloudWatchLogsGroupArn", "cloudWatchLogsRoleArn")),
    Case("cloudtrail-sns-notification", TRAIL, TRAIL_OK, missing=("snsTopicName",)),
    Case(
        "config-aggregator-all-regions",
        "aws:cfg/configurationAggregator:ConfigurationAggregator",
        {"accountAggregationSource": {"accountIds": ["1"], "allRegions": True}},
        bad=({"accountAggregationSource.allRegions": False},),
        missing=("accountAggregationSource",),
        unknown=("accountAggregationSource.allRegions",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    check_case(case)
