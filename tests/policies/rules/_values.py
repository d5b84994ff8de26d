"""Values shared by the rule tables of several services (resource types, compliant documents)."""

from __future__ import annotations

import json


def policy_doc(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


PUBLIC = policy_doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})

SCOPED = policy_doc(
    {
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": "arn:aws:sns:eu-west-1:1:t",
        "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:1:alarm:*"}},
    }
)
