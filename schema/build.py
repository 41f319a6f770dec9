"""``build_schema(host)``: the one place the GraphQL schema is put together.

Called by the app factory, so a plugin whose contribution collides fails at start,
not on the first request.
"""

from functools import partial

import strawberry
from strawberry.schema.config import StrawberryConfig

from bangfu.core.config import Settings
from bangfu.core.plugins import PluginHost
from bangfu.schema import composed
from bangfu.schema.access import check_access_rules
from bangfu.schema.assessment import AssessmentQuery
from bangfu.schema.audit import audit_mutations
from bangfu.schema.audit_log import AuditQuery
from bangfu.schema.auth import AuthenticationChecks, AuthMutation, AuthQuery
from bangfu.schema.bottomline import BottomLineQuery
from bangfu.schema.care import CARE_MUTATIONS, CARE_QUERIES
from bangfu.schema.care.subscriptions import CareSubscription
from bangfu.schema.core_types import (
    SchemaCompositionError,
    build_core_types,
    graphql_field_names,
)
from bangfu.schema.errors import compose_error_codes
from bangfu.schema.execution import Executor, install_direct_resolvers
from bangfu.schema.failures import GuardedSchema
from bangfu.schema.input_limits import InputLengthGuard
from bangfu.schema.limits import ValidationOnce, limit_extensions
from bangfu.schema.mutations import CoreMutation
from bangfu.schema.nodes import node_sources
from bangfu.schema.notifications import NotificationMutation, NotificationQuery
from bangfu.schema.query import CoreQuery
from bangfu.schema.reports import ReportQuery
from bangfu.schema.request_errors import RequestErrors
from bangfu.schema.reveal import RevealMutation
from bangfu.schema.scan_cost import check_scan_costs


def starts_with_plugin_name(field: str, plugin: str) -> bool:
    """Whether a GraphQL root field name starts with the plugin's name.

    The name is compared without its underscores and whatever the case, so the plugin
    ``livingallowance`` (or ``living_allowance``) may add ``livingAllowancePayments``.
    """
    return field.lower().startswith(plugin.replace("_", "").lower())


#: The descriptions of the two roots (core's and the plugins' fields merged).
ROOT_DESCRIPTIONS = {
    "Query": "Everything one can read. Fields need a login (`Authorization: Bearer`) "
    "unless they say otherwise; each answers within the caller's area. A plugin's root "
    "fields start with its name.",
    "Mutation": "Everything one can change, core's and the plugins'. Each (but `login` and "
    "`logout`) takes one `input` and returns a payload whose `errors` say why an input was "
    "refused. Every mutation leaves an audit row; API clients may run none.",
    "Subscription": "Changes pushed as they happen, over WebSocket (graphql-transport-ws) "
    "at /graphql, with the token in the `connection_init` payload "
    '(`{"Authorization": "Bearer ..."}`). Off in the production profile unless '
    "`BANGFU_SUBSCRIPTIONS` is on.",
}


def merge_roots(name: str, parts: list[tuple[str, type]]) -> type:
    """One root type from several, refusing a field defined twice."""
    owners: dict[str, str] = {}
    for owner, part in parts:
        for field in graphql_field_names(part):
            if field in owners:
                raise SchemaCompositionError(
                    f"field {name}.{field} is defined by both {owners[field]} and {owner}"
                )
            if owner != "core" and not starts_with_plugin_name(field, owner):
                raise SchemaCompositionError(
                    f"plugin {owner}: root field {name}.{field} must start with {owner!r} "
                    "(letters in any case, without the name's underscores)"
                )
            owners[field] = owner
    merged = type(name, tuple(part for _, part in parts), {})
    return strawberry.type(merged, name=name, description=ROOT_DESCRIPTIONS.get(name))


def build_schema(host: PluginHost, settings: Settings | None = None) -> strawberry.Schema:
    """Compose the core types with every plugin's mixins and root fields.

    ``settings`` configures the query limits, introspection and error hints (schema/limits.py,
    schema/failures.py); the defaults apply when it is omitted.
    """
    settings = settings or Settings()
    extensions = host.type_extensions()
    person, household = build_core_types(extensions)
    with composed.composing(person, household):
        return _build(host, settings, extensions, person, household)


def _build(
    host: PluginHost,
    settings: Settings,
    extensions: list[tuple[str, str, type]],
    person: type,
    household: type,
) -> strawberry.Schema:
    query = merge_roots(
        "Query",
        [
            ("core", CoreQuery),
            ("core", AuthQuery),
            ("core", AuditQuery),
            ("core", BottomLineQuery),
            ("core", AssessmentQuery),
            ("core", ReportQuery),
            *(("core", part) for part in CARE_QUERIES),
            ("core", NotificationQuery),
            *host.query_types(),
        ],
    )
    mutation = merge_roots(
        "Mutation",
        [
            ("core", CoreMutation),
            ("core", AuthMutation),
            ("core", RevealMutation),
            *(("core", part) for part in CARE_MUTATIONS),
            ("core", NotificationMutation),
            *host.mutation_types(),
        ],
    )
    subscription = merge_roots("Subscription", [("core", CareSubscription)])
    check_access_rules([query, mutation, subscription], extensions)
    compose_error_codes(host.error_codes)  # one ErrorCode enum: core's and every plugin's
    audit_mutations(mutation)  # every mutation, core's and plugins', leaves an audit row
    schema = GuardedSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=[person, household],
        config=StrawberryConfig(auto_camel_case=True, sort_schema=True),
        # AuthenticationChecks: one login per request, read-only API clients (schema/auth.py).
        # The limits come first: they refuse a costly document, or one that carries a
        # string over its bound, before anything else runs.
        extensions=[
            RequestErrors,  # first: it codes the errors of all the others
            *limit_extensions(settings),
            partial(InputLengthGuard, settings=settings),
            AuthenticationChecks,
            ValidationOnce,
        ],
        # GuardedSchema masks unexpected errors; hints only where suggestions are on.
        suggestions=settings.suggestions_enabled,
        # Plain leaf fields skip graphql-core's per-field machinery (schema/execution.py),
        # unless the fast path is off (then the walk of schema/prefetch.py is off too).
        # Compiled execution (schema/compiled.py) runs in the same executor.
        execution_context_class=Executor if settings.fast_path or settings.compiled else None,
    )
    if settings.fast_path:
        install_direct_resolvers(schema._schema)
    check_scan_costs(schema._schema)  # every filter of a connection is priced
    node_sources(schema)  # every Node type, core's and plugins', can be refetched
    return schema
