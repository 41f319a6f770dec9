"""Logging in and out, who am I, and the request-wide authentication checks.

:class:`AuthenticationChecks` (a schema extension) runs before validation and execution:

- a mutation with more than one ``login`` field (aliases, fragments, inline fragments)
  is refused as a whole, and every one of those fields counts as a failed login for its
  user name from the client's address, so a brute force through aliases is throttled like
  one through requests is;
- API clients are read-only: their mutations are refused with ``FORBIDDEN``.
"""

import datetime as dt
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Annotated, Any

import strawberry
from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
)
from graphql.language import DocumentNode
from sqlalchemy import select
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from bangfu.core import request_scope
from bangfu.core.errors import DomainError
from bangfu.core.i18n import N_, _
from bangfu.core.security import audit, auth
from bangfu.core.security.actor import ANONYMOUS, ActorKind, Role
from bangfu.core.security.models import User
from bangfu.schema.access import public
from bangfu.schema.descriptions import graphql_enum
from bangfu.schema.errors import CoreError
from bangfu.schema.permissions import IsAuthenticated
from bangfu.schema.transactions import refused

RoleType = graphql_enum(
    Role,
    name="Role",
    description="Roles that actions are granted to, within the holder's area "
    "(docs/security.md lists each role's actions). A user with several roles holds the "
    "union of their actions.",
    values={
        "CITY_ADMINISTRATOR": "Everything in its area: read and write the registry, certify "
        "categories, sensitive and children's data, reveal ID numbers, the audit trail, "
        "every plugin's data.",
        "CIVIL_AFFAIRS_OFFICER": "A civil-affairs (民政) officer: read and write the registry, "
        "certify categories, sensitive and children's data, reveal ID numbers; not the "
        "audit trail.",
        "DEPARTMENT_OFFICER": "An officer of a department (education, health, housing, "
        "human resources): reads the registry; reads sensitive data and writes only the "
        "plugin whose department its organisation is.",
        "PAIRED_OFFICIAL": "A paired official (包联干部, R6): with no other role, sees only "
        "the persons paired with them, and does their care work.",
        "MASS_ORGANISATION_MEMBER": "A member of a trade union, women's federation or youth "
        "league (R8): read only, ID numbers masked, no sensitive or children's data.",
        "SUPERVISOR": "Supervision (R9): read only (no sensitive or children's data), the "
        "audit trail and the assessment.",
        "GRASSROOTS_WORKER": "A township or village worker (乡镇/村干部, R7) of a township or "
        "village organisation, scoped to that township or village: records screening visits "
        "with the problems found and raises care events; reads the registry and the care "
        "work (ID numbers masked, no sensitive data); certifies nothing, changes no "
        "assistance.",
        "PARTNER_CLIENT": "A partner organisation's API client: read only; a plugin's fields "
        "only with that plugin's scope. Never a user's role.",
    },
)

LOGIN_FIELD = "login"
SEVERAL_LOGINS = N_("one login per request: this request has {count} login fields and was refused")
CLIENT_READ_ONLY = N_("API clients are read-only: mutations are refused")


def request_id_of(context: Any) -> str | None:
    return getattr(context, "request_id", None) or request_scope.request_id()


@strawberry.type(description="The result of `login`; send the token as `Authorization: Bearer`.")
class LoginPayload:
    token: str | None = strawberry.field(
        description="The bearer token, an opaque string to send as `Authorization: Bearer "
        "<token>`; null when the login was refused."
    )
    expires_at: dt.datetime | None = strawberry.field(
        description="When the token stops working (UTC); null when the login was refused."
    )
    errors: list[CoreError] = strawberry.field(
        description="Why the login was refused: one error, the same whatever was wrong "
        "(unknown user, wrong password, waiting after failures); empty on success."
    )


@strawberry.type(description="The logged-in user.")
class Viewer:
    username: str = strawberry.field(description="The name you log in with.")
    display_name: str = strawberry.field(description="Your name for people to read.")
    roles: list[Role] = strawberry.field(description="Your roles: what you may do.")
    region_code: str = strawberry.field(
        description="The code of your area: you see and change only what lies in this "
        "region or below it."
    )
    organisation_id: strawberry.Private[int]


@strawberry.type
class AuthQuery:
    @strawberry.field(description="Who you are logged in as.", permission_classes=[IsAuthenticated])
    async def me(self, info: Info) -> Viewer | None:
        actor = info.context.actor
        if actor.kind is not ActorKind.USER:
            return None  # an API client is no user (its id is an ApiClient's)
        async with info.context.read() as session:
            user = await session.scalar(select(User).where(User.id == actor.id))
        if user is None:
            return None
        return Viewer(
            username=user.username,
            display_name=user.display_name,
            roles=[Role(r) for r in user.roles],
            region_code=user.region_code,
            organisation_id=user.organisation_id,
        )


@strawberry.type
class AuthMutation:
    @strawberry.mutation(
        description="Log in with a user name and password; returns a bearer token. "
        "One login per request; after repeated wrong passwords from one address, the next "
        "attempts from there must wait longer and longer.",
        extensions=public(),
    )
    async def login(
        self,
        info: Info,
        username: Annotated[str, strawberry.argument(description="Your user name.")],
        password: Annotated[str, strawberry.argument(description="Your password.")],
    ) -> LoginPayload:
        try:
            token, record, _user = await auth.login(
                info.context.services.sessions,
                username,
                password,
                info.context.settings,
                request_id=request_id_of(info.context),
                address=request_scope.client_address(),
            )
        except DomainError as exc:
            return refused(LoginPayload, exc.errors)
        return LoginPayload(token=token, expires_at=record.expires_at, errors=[])

    @strawberry.mutation(
        description="Revoke the token this request carries.", permission_classes=[IsAuthenticated]
    )
    async def logout(self, info: Info) -> bool:
        token = info.context.token
        if token is None:
            return False
        async with info.context.write() as session:
            return await auth.logout(session, token)


class AuthenticationChecks(SchemaExtension):
    """One login per request; no mutations from API clients (see the module's docstring).

    Runs before validation, so a request that other limits (aliases, depth) refuse still
    counts its login attempts. Pass the class, not an instance: state is per request.
    """

    _refusal: GraphQLError | None = None

    async def on_validate(self) -> AsyncIterator[None]:
        execution = self.execution_context
        operation = _operation(execution.graphql_document, execution.operation_name)
        if operation is not None and operation.operation is OperationType.MUTATION:
            self._refusal = await self._check_mutation(operation)
            if self._refusal is not None:
                # Errors already there stay; validation is skipped, nothing executes.
                execution.pre_execution_errors = [
                    *(execution.pre_execution_errors or []),
                    self._refusal,
                ]
        yield

    def on_execute(self) -> Iterator[None]:
        # Should a later extension have replaced the validation errors: never execute.
        if self._refusal is not None and not self.execution_context.result:
            self.execution_context.result = ExecutionResult(data=None, errors=[self._refusal])
        yield

    async def _check_mutation(self, operation: OperationDefinitionNode) -> GraphQLError | None:
        execution = self.execution_context
        document = execution.graphql_document
        assert document is not None
        context = execution.context
        logins = [
            field
            for field in _root_fields(operation, _fragments(document))
            if field.name.value == LOGIN_FIELD
        ]
        if len(logins) > 1:
            usernames = [_username(field, execution.variables or {}) for field in logins]
            await _record_batched_logins(context, [u for u in usernames if u is not None])
            return GraphQLError(
                _(SEVERAL_LOGINS, count=len(logins)),
                extensions={"code": "TOO_MANY_LOGINS"},
            )
        actor = getattr(context, "actor", ANONYMOUS)
        if actor.kind is ActorKind.CLIENT:
            fields = sorted({f.name.value for f in _root_fields(operation, _fragments(document))})
            await _record_client_mutation(context, fields)
            return GraphQLError(_(CLIENT_READ_ONLY), extensions={"code": "FORBIDDEN"})
        return None


def _operation(
    document: DocumentNode | None, operation_name: str | None
) -> OperationDefinitionNode | None:
    """The operation that would run, or None when there is none or it is ambiguous."""
    if document is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    for operation in operations:
        if operation.name is not None and operation.name.value == operation_name:
            return operation
    return None


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _root_fields(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> list[FieldNode]:
    """The distinct field nodes of the operation's root selection, through fragments.

    Each fragment is walked once (distinct nodes are what can execute separately), which
    also makes cycles and exponential fragment nesting harmless.
    """
    found: list[FieldNode] = []
    walked: set[str] = set()
    pending: list[SelectionSetNode] = [operation.selection_set]
    while pending:
        selection_set = pending.pop()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in walked:
                    walked.add(name)
                    pending.append(fragment.selection_set)
    return found


def _username(field: FieldNode, variables: Mapping[str, Any]) -> str | None:
    for argument in field.arguments or ():
        if argument.name.value != "username":
            continue
        value = argument.value
        if isinstance(value, StringValueNode):
            return value.value
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            return given if isinstance(given, str) else None
    return None


async def _record_batched_logins(context: Any, usernames: list[str]) -> None:
    """Each login of a refused batch is a failed attempt (failure row, lock, audit)."""
    services = getattr(context, "services", None)
    if services is None or not usernames:
        return
    refusals = [
        auth.Refusal(u, audit.Outcome.FAILED, "several logins in one request", counts=True)
        for u in usernames
    ]
    await auth.record_refusals(
        services.sessions,
        refusals,
        services.settings,
        request_id=request_id_of(context),
        address=request_scope.client_address(),
    )


async def _record_client_mutation(context: Any, fields: list[str]) -> None:
    """Audit the refusal of an API client's mutation: one row per root field."""
    services = getattr(context, "services", None)
    if services is None:
        return
    async with services.sessions() as session:
        session.info["actor"] = context.actor
        async with session.begin():
            for field in fields:
                await audit.record(
                    session,
                    context.actor,
                    f"mutation:{field}",
                    audit.Outcome.DENIED,
                    details={"reason": CLIENT_READ_ONLY},
                    request_id=request_id_of(context),
                )
