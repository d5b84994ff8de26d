"""Real AppSync direct Lambda resolver event shapes (Cognito user pools authorisation)."""

from __future__ import annotations

from typing import Any

USER_POOL = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"

MUTATIONS = {
    "updateProfile",
    "follow",
    "unfollow",
    "createPost",
    "deletePost",
    "likePost",
    "unlikePost",
    "addComment",
    "deleteComment",
}


def appsync_event(
    field: str,
    arguments: dict[str, Any] | None = None,
    *,
    sub: str | None,
    selection: list[str] | None = None,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    parent = "Mutation" if field in MUTATIONS else "Query"
    identity = (
        None
        if sub is None
        else {
            "sub": sub,
            "username": sub,
            "issuer": USER_POOL,
            "claims": {
                "sub": sub,
                "iss": USER_POOL,
                "cognito:username": sub,
                "aud": "7example23456789012345678",
                "token_use": "id",
                "auth_time": 1735689600,
                "exp": 1735693200,
                "iat": 1735689600,
                "email": "someone@example.com",
                "email_verified": True,
            },
            "sourceIp": ["198.51.100.7"],
            "defaultAuthStrategy": "ALLOW",
            "groups": None,
        }
    )
    return {
        "arguments": arguments or {},
        "identity": identity,
        "source": None,
        "request": {
            "headers": {
                "x-forwarded-for": "198.51.100.7",
                "content-type": "application/json",
                "host": "abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-1.amazonaws.com",
                "x-amzn-trace-id": "Root=1-67a1b2c3-0123456789abcdef01234567",
            },
            "domainName": None,
        },
        "prev": None,
        "info": {
            "parentTypeName": parent,
            "fieldName": field,
            "variables": variables or {},
            "selectionSetList": selection or ["id"],
            "selectionSetGraphQL": "{\n  id\n}",
        },
        "stash": {},
    }
