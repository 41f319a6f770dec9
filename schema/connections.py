"""Cursor connections (Relay): keyset pagination on the primary key, lazy ``totalCount``."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from sqlalchemy import Select, func

from bangfu.schema.prefetch import prefetch, selected
from bangfu.schema.relay import PageInfo, check_page, decode_cursor, encode_cursor, page_info

# The paging arguments of every connection (Relay's cursor connections): give `first`
# (forward) or `last` (backward), with cursors of the same connection.
First = Annotated[
    int | None,
    strawberry.argument(
        description="Page forward: this many objects (1 to 100, `BANGFU_MAX_PAGE_SIZE`), "
        "after `after` if given. Give `first` or `last`, not both."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="A cursor of this connection (an `endCursor`, an edge's `cursor`): "
        "only objects after it."
    ),
]
Last = Annotated[
    int | None,
    strawberry.argument(
        description="Page backward: the last this many objects (1 to 100, "
        "`BANGFU_MAX_PAGE_SIZE`) before `before` if given, in the connection's order. Give "
        "`first` or `last`, not both."
    ),
]
Before = Annotated[
    str | None,
    strawberry.argument(
        description="A cursor of this connection (a `startCursor`, an edge's `cursor`): "
        "only objects before it."
    ),
]

#: The description of every edge's ``cursor`` (core's and plugins' connections).
CURSOR = (
    "An opaque cursor for this object: pass it as `after` for the page that follows it, or "
    "as `before` for the page that precedes it."
)


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
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
    newest_first: bool = False,
    present: Callable[[Any], Any] = lambda row: row,
    info: Any = None,
) -> Any:
    """Run one keyset-paginated page of ``statement`` (rows of ``model``, by ``model.id``).

    Forward, ``first`` rows after the cursor ``after`` (and before ``before``, if given);
    backward, the ``last`` rows before the cursor ``before`` (and after ``after``), in the
    same order as forward pages. One more row than asked is fetched to know whether a
    further page exists in the paging direction; the other direction's flag says whether
    a cursor bounds the page there (Relay's cursor connections). The count runs only if
    ``totalCount`` is selected, as a separate ``COUNT`` over the same filters.
    ``newest_first`` pages by descending ID; ``present`` turns a row into its node.
    With the resolver's ``info``, the page's nested data is loaded level by level before
    the nodes are returned (``bangfu.schema.prefetch``), and a selection of ``totalCount`` alone
    runs the count only.
    """
    check_page(first, last, context.settings.max_page_size)
    backward = first is None
    size = last if backward else first
    assert size is not None
    # Backward pages read the other way from the end, then are put back in order.
    descending = newest_first != backward
    page = statement.order_by(model.id.desc() if descending else model.id).limit(size + 1)
    if after is not None:
        cursor = decode_cursor(after)
        page = page.where(model.id < cursor if newest_first else model.id > cursor)
    if before is not None:
        cursor = decode_cursor(before, "before")
        page = page.where(model.id > cursor if newest_first else model.id < cursor)
    rows: list[Any] = []
    if info is None or selected(info) & PAGE_FIELDS:  # only totalCount asked: no page
        async with context.read() as session:
            rows = list((await session.scalars(page)).all())
    more = len(rows) > size
    rows = rows[:size]
    if backward:
        rows.reverse()

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
        page_info=page_info(
            rows,
            has_next=before is not None if backward else more,
            after=after,
            has_previous=more if backward else None,
            before=before,
        ),
        total=total,
    )
