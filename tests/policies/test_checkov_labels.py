"""Checkov ids our rules declare name the same control in checkov 3.3.30 (issue 12's audit).

Each id in ``NOT_OUR_CONTROL`` was declared by a rule although checkov's own check is another
control; the name is the check's ``name`` in checkov 3.3.30's source
(checkov/terraform/checks/...). The checkov comparison checks every declared id against
checkov's metadata when checkov is installed; this table keeps the corrected labels from
coming back without it.
"""

from __future__ import annotations

import pytest

from policies.rules import all_rules

#: checkov id -> (checkov's name for it, the rule that wrongly declared it)
NOT_OUR_CONTROL: dict[str, tuple[str, str]] = {
    "CKV_AWS_120": ("Ensure API Gateway caching is enabled", "apigateway-endpoint-type"),
    "CKV_AWS_176": ("Ensure Logging is enabled for WAF Web Access Control Lists", "waf-classic-not-used"),
    "CKV2_AWS_35": (
        "AWS NAT Gateways should be utilized for the default route",
        "vpc-private-subnets-no-internet-route",
    ),
    "CKV2_AWS_44": (
        "Ensure AWS route table with VPC peering does not contain routes overly permissive to all traffic",
        "vpc-private-subnets-no-internet-route",
    ),
    "CKV_AWS_93": (
        "Ensure S3 bucket policy does not lockout all but root user. (Prevent lockouts needing root account fixes)",
        "s3-bucket-policy-not-public",
    ),
    "CKV_AWS_288": ("Ensure IAM policies does not allow data exfiltration", "iam-no-privilege-escalation"),
    "CKV_AWS_290": (
        "Ensure IAM policies does not allow write access without constraints",
        "iam-no-privilege-escalation",
    ),
}

#: checkov id -> the rule that declares it now (where checkov's check is the same control)
MOVED: dict[str, str] = {
    "CKV2_AWS_43": "s3-bucket-no-public-acl",  # an ACL grant to AuthenticatedUsers, not a bucket policy
    "CKV_AWS_375": "s3-bucket-no-public-acl",  # "global view ACL permissions"
    "CKV_AWS_385": "policies-admit-only-this-account",  # "SNS topic policies do not allow cross-account access"
    "CKV_AWS_192": "wafv2-acl-blocks",  # the Log4j group present AND not overridden to count
    "CKV2_AWS_47": "waf-protects-public-apis",  # the attached ACL has AnonymousIpList + KnownBadInputs
    "CKV2_AWS_77": "waf-protects-public-apis",
    "CKV2_AWS_78": "waf-protects-public-apis",
    "CKV_AWS_297": "scheduler-schedule-cmk",
}


@pytest.mark.parametrize("checkov_id", sorted(NOT_OUR_CONTROL))
def test_no_rule_declares_another_control(checkov_id: str) -> None:
    declaring = [r.name for r in all_rules() if checkov_id in r.checkov]
    name, _was = NOT_OUR_CONTROL[checkov_id]
    assert declaring == [], f"{declaring} declare {checkov_id} ({name!r}), which is not what they check"


@pytest.mark.parametrize("checkov_id", sorted(MOVED))
def test_id_is_declared_by_the_rule_that_checks_it(checkov_id: str) -> None:
    declaring = {r.name for r in all_rules() if checkov_id in r.checkov}
    assert declaring == {MOVED[checkov_id]}
