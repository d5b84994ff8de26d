"""Errors a caller may see. AppSync turns a direct Lambda resolver's exception into a
GraphQL error whose ``errorType`` is the class name and whose message is the text, so
each says exactly what is wrong and nothing internal."""

from __future__ import annotations


class GraphQLError(Exception):
    """Base of every error meant for the API caller."""


class ValidationError(GraphQLError):
    """An argument is malformed or out of range; nothing was written."""


class NotFoundError(GraphQLError):
    """The user, post or comment does not exist."""


class ForbiddenError(GraphQLError):
    """The caller may not do this to someone else's data; nothing was written."""


class UnauthenticatedError(GraphQLError):
    """The request carries no Cognito user identity."""
