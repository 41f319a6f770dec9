"""The GraphQL link to the roster import: where to upload, the template, the columns."""

import strawberry
from strawberry.types import Info

from bangfu.core.roster import TEMPLATE_PATH, UPLOAD_PATH
from bangfu.core.roster.headers import Column, columns_of


@strawberry.type(description="A column a roster file may have (either header is accepted).")
class RosterColumnInfo:
    key: str = strawberry.field(description="The English header, e.g. `id_number`.")
    header_zh: str = strawberry.field(description="The Chinese header, e.g. `身份证号`.")
    required: bool = strawberry.field(
        description="Whether the file must have this column: a file without it is refused."
    )
    household: bool = strawberry.field(
        description="A household column: filled on the head's row only."
    )
    plugin: str | None = strawberry.field(description="The plugin that reads it; null for core.")
    description: str = strawberry.field(
        description="What to write in the column, for the person filling the roster in."
    )
    example: str = strawberry.field(description="A valid value, as it would be written.")

    @staticmethod
    def of(column: Column) -> "RosterColumnInfo":
        return RosterColumnInfo(
            key=column.key,
            header_zh=column.header_zh,
            required=column.required,
            household=column.target.value == "HOUSEHOLD",
            plugin=column.plugin,
            description=column.explained,
            example=column.example,
        )


@strawberry.type(
    description=(
        "How to import a roster (花名册) from Excel or CSV: POST the file to `uploadUrl` "
        "(`Authorization: Bearer ...`; `Content-Type` of an .xlsx or `text/csv`; "
        "`?dryRun=true` to validate only, `?report=xlsx` for the annotated copy); "
        "see docs/import.md."
    )
)
class RosterImportInfo:
    upload_url: str = strawberry.field(description="Path of the upload route (POST).")
    template_url: str = strawberry.field(description="Path of the template workbook (GET).")

    @strawberry.field(description="Every column the import reads, core's then the plugins'.")
    def columns(self, info: Info) -> list[RosterColumnInfo]:
        return [RosterColumnInfo.of(c) for c in columns_of(info.context.host.roster_columns)]


def roster_import_info() -> RosterImportInfo:
    return RosterImportInfo(upload_url=UPLOAD_PATH, template_url=TEMPLATE_PATH)
