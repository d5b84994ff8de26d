"""The IAM evaluation engine the runtime flows are proven with: principalmapper 1.1.5.

Why principalmapper (pinned in requirements-dev.txt): it is the one maintained, offline
evaluator that decides a whole request — the caller's identity policies, explicit denies,
the resource policy (with KMS and IAM requiring the key or trust policy to authorise even
in the same account), and service principals against resource policies — with the
condition operators the stack's policies use. The alternatives decide less:
policyuniverse and parliament match or lint one statement at a time, cloudsplaining reports
risky grants, policy_sentry (already a dependency) is a knowledge base of actions and ARN
formats, and the IAM policy simulator API needs an AWS account and credentials.

principalmapper 1.1.5 fails to import on Python 3.10+: its
``principalmapper/util/case_insensitive_dict.py`` does ``from collections import Mapping,
MutableMapping`` (removed from ``collections`` in 3.10). Aliasing the two names to their
``collections.abc`` classes before the import is the smallest fix: it adds two attributes
that were there until 3.9, touches no other module, and the pin keeps it from silently
covering a different release. Known deviations of the engine from AWS, each shown by a test
in tests/test_runtime_flows.py, are corrected below and nowhere else.
"""

from __future__ import annotations

import collections
import collections.abc

for _name in ("Mapping", "MutableMapping"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))

from principalmapper.common.nodes import Node  # type: ignore[import-untyped]  # noqa: E402
from principalmapper.common.policies import Policy  # type: ignore[import-untyped]  # noqa: E402
from principalmapper.querying.local_policy_simulation import (  # type: ignore[import-untyped]  # noqa: E402
    ResourcePolicyEvalResult,
    policy_has_matching_statement,
    resource_policy_authorization,
)
from principalmapper.querying.query_interface import (  # type: ignore[import-untyped]  # noqa: E402
    local_check_authorization_full,
)

__all__ = [
    "Node",
    "Policy",
    "ResourcePolicyEvalResult",
    "local_check_authorization_full",
    "policy_has_matching_statement",
    "resource_policy_authorization",
    "role_node",
]


def role_node(arn: str, trust_policy: dict[str, object], policies: list[tuple[str, dict[str, object]]]) -> Node:
    """A principalmapper Node for an IAM role with ``policies`` as (policy ARN, document)."""
    return Node(
        arn=arn,
        id_value="AROA" + arn.rsplit("/", 1)[-1].upper().replace("-", "")[:17],
        attached_policies=[
            Policy(policy_arn, policy_arn.rsplit("/", 1)[-1], document) for policy_arn, document in policies
        ],
        group_memberships=[],
        trust_policy=trust_policy,
        instance_profile=None,
        num_access_keys=0,
        active_password=False,
        is_admin=False,
        permissions_boundary=None,
        has_mfa=False,
        tags={},
    )
