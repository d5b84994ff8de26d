"""Each recurring resource has one construct that makes it, so its secure defaults (KMS,
TLS-only policy, retention, key policy, web ACL association) cannot be forgotten at a new
call site: issue 15 found four SQS sites with three TLS policies (function DLQs had none)
and nine inline log groups. A component that needs one calls the construct."""

from __future__ import annotations

import re

import pytest

from offline.runner import REPO_ROOT

#: The resource constructor and the one module allowed to call it.
OWNERS = {
    "aws.sqs.Queue": "components/secure_queue.py",
    "aws.sqs.QueuePolicy": "components/secure_queue.py",
    "aws.cloudwatch.LogGroup": "components/log_group.py",
    "aws.kms.Key": "components/keys.py",
    "aws.kms.Alias": "components/keys.py",
    "aws.wafv2.WebAclAssociation": "components/web_firewall.py",
}


@pytest.mark.parametrize("constructor", sorted(OWNERS))
def test_only_the_owning_construct_creates_the_resource(constructor: str) -> None:
    call = re.compile(re.escape(constructor) + r"\(")
    sources = [REPO_ROOT / "__main__.py", *sorted((REPO_ROOT / "components").rglob("*.py"))]
    callers = sorted(str(path.relative_to(REPO_ROOT)) for path in sources if call.search(path.read_text()))
    assert callers == [OWNERS[constructor]], f"{constructor}( is called outside its construct: {callers}"
