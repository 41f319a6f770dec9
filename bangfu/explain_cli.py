"""``bangfu explain``: how compiled execution runs a document (``bangfu.schema.compiled``).

For each root field of the operation: whether a plan answers it or the ordinary path does
(and why), how many statements the plan runs, and the SQL of the statement that builds
the documents, for the database configured (``BANGFU_DATABASE_URL``) and the permissions
of the user named with ``--as``. Nothing is executed.
"""

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from graphql import GraphQLError, OperationType, parse, validate
from graphql.execution import Executor
from graphql.execution.collect_fields import FieldDetails
from sqlalchemy import select

from bangfu.core.config import Settings
from bangfu.core.db import make_engine, make_sessionmaker
from bangfu.core.i18n import _
from bangfu.core.plugins import PluginHost
from bangfu.core.security import SYSTEM
from bangfu.core.security.auth import _actor_of
from bangfu.core.security.models import User
from bangfu.schema import compiled
from bangfu.schema.build import build_schema
from bangfu.schema.context import Context, Services


def add_parser(commands: Any) -> None:
    explain = commands.add_parser(
        "explain", help=_("show how compiled execution plans a GraphQL document")
    )
    explain.add_argument("document", help=_("a file with the GraphQL document, or - for stdin"))
    explain.add_argument("--as", dest="username", required=True, help=_("plan for this user"))
    explain.add_argument("--operation", help=_("the operation's name (documents with several)"))
    explain.add_argument("--variables", default="{}", help=_("the variables, as JSON"))
    explain.add_argument("--sql", action="store_true", help=_("also print each plan's SQL"))


def run(args: argparse.Namespace, settings: Settings, host: PluginHost) -> int:
    try:
        text = sys.stdin.read() if args.document == "-" else Path(args.document).read_text()
    except OSError as exc:
        print(
            f"bangfu explain: {args.document}: {exc.strerror}",
            file=sys.stderr,
        )
        return 2
    return asyncio.run(_run(args, text, settings, host))


async def _run(args: argparse.Namespace, text: str, settings: Settings, host: PluginHost) -> int:
    try:
        variables = json.loads(args.variables)
        if not isinstance(variables, dict):
            raise ValueError(_("not a JSON object"))
    except ValueError as exc:
        print(_("bangfu explain: --variables: {error}", error=exc), file=sys.stderr)
        return 2
    schema = build_schema(host, settings)._schema
    try:
        document = parse(text, max_tokens=settings.max_tokens)
    except GraphQLError as exc:
        print(
            _("bangfu explain: the document does not parse: {message}", message=exc.message),
            file=sys.stderr,
        )
        return 2
    errors = validate(schema, document)
    if errors:
        print(
            _("bangfu explain: the document is not valid: {message}", message=errors[0].message),
            file=sys.stderr,
        )
        return 2
    engine = make_engine(settings.database_url, schema=settings.database_schema, pooled=False)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session:
            session.info["actor"] = SYSTEM
            user = await session.scalar(select(User).where(User.username == args.username))
            if user is None:
                print(
                    _("bangfu explain: --as: no user {username}", username=repr(args.username)),
                    file=sys.stderr,
                )
                return 2
            actor = await _actor_of(session, user)
        services = Services(settings=settings, sessions=sessions, host=host, cipher=None)  # type: ignore[arg-type]
        context = Context(services, actor)
        built = Executor.build(
            schema,
            document,
            context_value=context,
            raw_variable_values=variables,
            operation_name=args.operation,
        )
        if isinstance(built, list):
            for error in built:
                print(_("bangfu explain: {message}", message=error.message), file=sys.stderr)
            return 2
        print(explain(built, show_sql=args.sql, dialect=engine.dialect))
        return 0
    finally:
        await engine.dispose()


def explain(executor: Any, *, show_sql: bool = False, dialect: Any = None) -> str:
    """The report of ``bangfu explain`` for a built executor (also used by tests)."""
    operation = executor.operation
    lines = [f"operation {operation.name.value if operation.name else '(anonymous)'}"]
    if operation.operation is not OperationType.QUERY:
        lines.append("  not a query: every field runs on the ordinary path")
        return "\n".join(lines)
    if not executor.context_value.settings.compiled:
        lines.append("  BANGFU_COMPILED is off: every field runs on the ordinary path")
        return "\n".join(lines)
    root = executor.schema.query_type
    planner = compiled.Planner(executor.schema, executor, compiled.Sql("sqlite"))
    total = 0
    for response, nodes in planner.collect(root, [operation.selection_set]).items():
        plan = compiled.plan_for(executor, [FieldDetails(n, None) for n in nodes], response)
        if isinstance(plan, compiled.NotCompiled):
            lines.append(f"  {response}: ordinary path ({plan})")
            continue
        total += plan.statements
        lines.append(
            f"  {response}: compiled, {plan.statements} statement(s); "
            f"nodes finished in Python: {_finished(plan)}"
        )
        for field, reason in _deferred(plan):
            lines.append(f"    {field}: resolved on the ordinary path per object ({reason})")
        if show_sql:
            for document in (plan.document, plan.edge_document):
                if document is not None:
                    statement = select(plan.entity.id, document)
                    sql = statement.compile(dialect=dialect) if dialect else statement
                    lines.append("    " + str(sql).replace("\n", "\n    "))
    lines.append(f"  statements of compiled fields: {total}")
    return "\n".join(lines)


def _each(plan: Any, pick: Any) -> dict[str, Any]:
    """``pick(node)`` (name → value) for every object of the plan's nodes, keyed by the
    field's place in the node (``members.person.idNumber``)."""
    found: dict[str, Any] = {}

    def walk(node: Any, prefix: str) -> None:
        if node is None:
            return
        for name, value in pick(node).items():
            found[prefix + name] = value
        for name, (inner, _many) in node.nested_walk.items():
            walk(inner, f"{prefix}{name}.")

    walk(plan.node, "")
    walk(plan.edge_node, "")
    return found


def _deferred(plan: Any) -> list[tuple[str, str]]:
    """The fields left to the ordinary path, with why."""
    return sorted(_each(plan, lambda node: node.deferred).items())


def _finished(plan: Any) -> str:
    return ", ".join(sorted(_each(plan, lambda node: node.finish))) or "none"
