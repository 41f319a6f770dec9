"""Cursor connections (Relay): keyset pagination on the primary key, lazy ``totalCount``."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from sqlalchemy import Select, func

from bangfu.schema.prefetch import prefetch, selected
from bangfu.schema.relay import PageInfo, check_first, decode_cursor, encode_cursor, page_info

#: The description of every edge's ``cursor`` (core's and plugins' connections).
CURSOR = "An opaque cursor for this object: pass it as `after` to get the page that follows it."

#: The ``first`` and ``after`` arguments of every core connection field.
First = Annotated[
    int,
    strawberry.argument(
        description="How many objects to return: 1 to the largest page (100 unless "
        "BANGFU_MAX_PAGE_SIZE says otherwise). Outside that range the field is refused."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="Return the objects after this cursor (a previous page's "
        "`pageInfo.endCursor`); omitted: from the start."
    ),
]


@strawberry.type
class Page:
    """Fields common to every connection (mixed into each ``XConnection``)."""

    page_info: PageInfo = strawberry.field(description="Cursors of this page.")
    total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many objects match, on all pages (in your area).")
    async def total_count(self) -> int:
        return await self.total()


#: The fields of a connection that need the page's rows (``totalCount`` does not).
PAGE_FIELDS = frozenset({"edges", "nodes", "pageInfo"})


async def paginate(
    context: Any,
    connection: type,
    edge: type,
    statement: Select[Any],
    model: type[Any],
    *,
    first: int,
    after: str | None,
    newest_first: bool = False,
    present: Callable[[Any], Any] = lambda row: row,
    info: Any = None,
) -> Any:
    """Run one keyset-paginated page of ``statement`` (rows of ``model``, by ``model.id``).

    Fetches ``first + 1`` rows to know whether a next page exists; the count runs only if
    ``totalCount`` is selected, as a separate ``COUNT`` over the same filters.
    ``newest_first`` pages by descending ID; ``present`` turns a row into its node.
    With the resolver's ``info``, the page's nested data is loaded level by level before
    the nodes are returned (``bangfu.schema.prefetch``), and a selection of ``totalCount`` alone
    runs the count only.
    """
    check_first(first, context.settings.max_page_size)
    order = model.id.desc() if newest_first else model.id
    page = statement.order_by(order).limit(first + 1)
    if after is not None:
        cursor = decode_cursor(after)
        page = page.where(model.id < cursor if newest_first else model.id > cursor)
    rows: list[Any] = []
    if info is None or selected(info) & PAGE_FIELDS:  # only totalCount asked: no page
        async with context.read() as session:
            rows = list((await session.scalars(page)).all())
    has_next = len(rows) > first
    rows = rows[:first]

    async def total() -> int:
        # Same FROM and WHERE, one COUNT: ORM-enabled, so area scoping applies to it too.
        counted = statement.with_only_columns(func.count(), maintain_column_froms=True).order_by(
            None
        )
        async with context.read() as session:
            return int((await session.execute(counted)).scalar_one())

    nodes = [present(row) for row in rows]
    if info is not None:
        await prefetch(info, nodes, path=("nodes",))
    return connection(
        edges=[
            edge(cursor=encode_cursor(row.id), node=node)
            for row, node in zip(rows, nodes, strict=True)
        ],
        nodes=nodes,
        page_info=page_info(rows, has_next, after),
        total=total,
    )
