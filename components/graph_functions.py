"""The in-VPC functions that query the social graph: ``graph_api`` and ``auth_triggers``.

Both take their Neptune endpoints, port and IAM grant from the graph database's client
contract (``GraphDatabase.access``), and their sizing from ``<project>:functions``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

# The functions' environment contracts (functions/ is on sys.path: see components/__init__.py).
from shared.environment import AuthTriggersEnvironment, GraphApiEnvironment

from components.context import DeploymentContext
from components.graph_database import GraphAccess
from components.identity import IdentitySettings
from components.network import Network
from components.python_function import FunctionsSettings, PythonFunction, PythonFunctionArgs, VpcPlacement
from offline.flows.model import declare

#: What graph_api's openCypher does (functions/shared/graph/client.py): reads for feeds,
#: profiles and followers, CREATE/MERGE/SET for posts and follows, DELETE for removals.
GRAPH_API_QUERIES: Mapping[str, str] = {
    "neptune-db:ReadDataViaQuery": "feed, profile and follower queries",
    "neptune-db:WriteDataViaQuery": "posts, follows, likes and comments",
    "neptune-db:DeleteDataViaQuery": "unfollow, unlike, deleting posts and comments",
}
#: Post confirmation MERGEs the User vertex: it reads and writes, never deletes.
AUTH_TRIGGERS_QUERIES: Mapping[str, str] = dict.fromkeys(
    ("neptune-db:ReadDataViaQuery", "neptune-db:WriteDataViaQuery"), "post confirmation MERGEs the User vertex"
)


@dataclass(frozen=True, kw_only=True)
class GraphFunctionsArgs:
    context: DeploymentContext
    functions: FunctionsSettings
    identity: IdentitySettings
    graph: GraphAccess
    network: Network
    logs_key_arn: pulumi.Input[str]
    data_key_arn: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)


def graph_functions(args: GraphFunctionsArgs) -> tuple[PythonFunction, PythonFunction]:
    """``graph_api`` (the AppSync resolver) and ``auth_triggers`` (the Cognito triggers).

    AppSync and Cognito invoke both synchronously: the caller sees the error, and a Lambda
    DLQ (asynchronous invocations only) would never receive anything.
    """
    vpc = VpcPlacement(
        subnet_ids=[subnet.id for subnet in args.network.subnets],
        security_group_ids=[args.network.lambda_security_group.id],
    )
    common = {
        "context": args.context,
        "logs_key_arn": args.logs_key_arn,
        "data_key_arn": args.data_key_arn,
        "vpc": vpc,
        "tags": args.tags,
    }
    graph_api = PythonFunction(
        "graph-api",
        PythonFunctionArgs(
            source="graph_api",
            description="AppSync direct Lambda resolver: the social graph over openCypher",
            statements=[args.graph.query_statement("QueryTheSocialGraph", list(GRAPH_API_QUERIES))],
            environment=GraphApiEnvironment(neptune=args.graph.environment),
            **common,  # type: ignore[arg-type]
            **args.functions.graph_api.function_args(),
        ),
    )
    auth_triggers = PythonFunction(
        "auth-triggers",
        PythonFunctionArgs(
            source="auth_triggers",
            description="Cognito pre sign-up checks and post confirmation User vertex",
            statements=[args.graph.query_statement("CreateUserVertex", list(AUTH_TRIGGERS_QUERIES))],
            # Post confirmation's repository needs both endpoints, like graph_api's.
            environment=AuthTriggersEnvironment(
                neptune=args.graph.environment,
                allowed_email_domains=tuple(args.identity.allowed_email_domains),
                blocked_email_domains=tuple(args.identity.blocked_email_domains),
            ),
            **common,  # type: ignore[arg-type]
            **args.functions.auth_triggers.function_args(),
        ),
    )
    # Runtime flows of the two functions' code: openCypher over HTTPS with IAM auth.
    declare(
        *args.graph.query_flows(graph_api.role.arn, "graph_api", GRAPH_API_QUERIES),
        *args.graph.query_flows(auth_triggers.role.arn, "auth_triggers", AUTH_TRIGGERS_QUERIES),
    )
    return graph_api, auth_triggers
