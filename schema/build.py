"""``build_schema(host)``: the one place the GraphQL schema is put together.

Called by the app factory, so a plugin whose contribution collides fails at start,
not on the first request.
"""

import strawberry
from strawberry.schema.config import StrawberryConfig

from core.plugins import PluginHost
from schema.auth import AuthMutation, AuthQuery
from schema.core_types import (
    CoreTypes,
    SchemaCompositionError,
    build_core_types,
    graphql_field_names,
)
from schema.mutations import build_mutation
from schema.query import build_query


def merge_roots(name: str, parts: list[tuple[str, type]]) -> type:
    """One root type from several, refusing a field defined twice."""
    owners: dict[str, str] = {}
    for owner, part in parts:
        for field in graphql_field_names(part):
            if field in owners:
                raise SchemaCompositionError(
                    f"field {name}.{field} is defined by both {owners[field]} and {owner}"
                )
            if owner != "core" and not field.startswith(owner):
                raise SchemaCompositionError(
                    f"plugin {owner}: root field {name}.{field} must start with {owner!r}"
                )
            owners[field] = owner
    merged = type(name, tuple(part for _, part in parts), {})
    return strawberry.type(merged, name=name)


def build_schema(host: PluginHost) -> strawberry.Schema:
    """Compose the core types with every plugin's mixins and root fields."""
    core: CoreTypes = build_core_types(host.type_extensions())
    query = merge_roots(
        "Query",
        [("core", build_query(core)), ("core", AuthQuery), *host.query_types(core)],
    )
    mutation = merge_roots(
        "Mutation",
        [("core", build_mutation(core)), ("core", AuthMutation), *host.mutation_types(core)],
    )
    return strawberry.Schema(
        query=query,
        mutation=mutation,
        types=[core.Person, core.Household],
        config=StrawberryConfig(auto_camel_case=True, sort_schema=True),
    )
