"""Read an AppSync GraphQL schema: validate it and find the fields that need resolvers.

AppSync defines its own scalars and auth directives; graphql-core does not know them, so
they are declared in ``APPSYNC_PRELUDE`` for validation only (AppSync rejects a schema
that redeclares them, so the prelude is never uploaded).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    ListValueNode,
    StringValueNode,
    build_ast_schema,
    parse,
)

#: AppSync's scalars and directives (AppSync developer guide: "Scalar types", "Security").
APPSYNC_PRELUDE = """
scalar AWSDate
scalar AWSTime
scalar AWSDateTime
scalar AWSTimestamp
scalar AWSEmail
scalar AWSJSON
scalar AWSURL
scalar AWSPhone
scalar AWSIPAddress
directive @aws_iam on OBJECT | FIELD_DEFINITION
directive @aws_api_key on OBJECT | FIELD_DEFINITION
directive @aws_oidc on OBJECT | FIELD_DEFINITION
directive @aws_lambda on OBJECT | FIELD_DEFINITION
directive @aws_cognito_user_pools(cognito_groups: [String]) on OBJECT | FIELD_DEFINITION
directive @aws_auth(cognito_groups: [String]) on FIELD_DEFINITION
directive @aws_subscribe(mutations: [String]) on FIELD_DEFINITION
"""


class SchemaError(ValueError):
    """The schema file is not a valid AppSync schema; ``str()`` is one line."""


@dataclass(frozen=True)
class RootFields:
    """The root fields of a schema, by how they are resolved."""

    #: Query and Mutation fields resolved by the API's Lambda: (type, field).
    lambda_fields: tuple[tuple[str, str], ...]
    #: Mutations named by an ``@aws_subscribe``: they only publish, on a NONE data source.
    publish_fields: tuple[tuple[str, str], ...]
    #: Subscription fields: each needs an authorising resolver.
    subscription_fields: tuple[tuple[str, str], ...]


def build_schema(text: str) -> GraphQLSchema:
    """The schema with AppSync's prelude, or ``SchemaError``."""
    try:
        document: DocumentNode = parse(APPSYNC_PRELUDE + text)
        return build_ast_schema(document)
    except (GraphQLError, TypeError) as error:
        raise SchemaError(" ".join(str(error).split())) from None


def _subscribed_mutations(schema: GraphQLSchema) -> set[str]:
    names: set[str] = set()
    if schema.subscription_type is None:
        return names
    for field in schema.subscription_type.fields.values():
        for directive in field.ast_node.directives if field.ast_node else ():
            if directive.name.value != "aws_subscribe":
                continue
            for argument in directive.arguments:
                if argument.name.value == "mutations" and isinstance(argument.value, ListValueNode):
                    names |= {v.value for v in argument.value.values if isinstance(v, StringValueNode)}
    return names


def root_fields(text: str) -> RootFields:
    schema = build_schema(text)
    published = _subscribed_mutations(schema)
    mutation = schema.mutation_type
    unknown = sorted(published - set(mutation.fields if mutation else ()))
    if unknown:
        raise SchemaError(f"@aws_subscribe names unknown mutation(s) {', '.join(unknown)}")

    def fields(root: GraphQLObjectType | None) -> list[tuple[str, str]]:
        return [(root.name, name) for name in root.fields] if root is not None else []

    operations = fields(schema.query_type) + fields(mutation)
    return RootFields(
        lambda_fields=tuple(
            f for f in operations if not (f[0] == getattr(mutation, "name", None) and f[1] in published)
        ),
        publish_fields=tuple(f for f in fields(mutation) if f[1] in published),
        subscription_fields=tuple(fields(schema.subscription_type)),
    )


def read_schema(path: Path) -> str:
    return path.read_text(encoding="utf-8")
