"""``reportLink``: a short-lived signed link to download an Excel report (R3, R9)."""

import datetime as dt
import enum
from typing import Annotated
from urllib.parse import urlencode

import strawberry
from strawberry.types import Info

from bangfu.core.db import utcnow
from bangfu.core.i18n import _
from bangfu.core.registry.models import Region, RegionLevel
from bangfu.core.reports import links
from bangfu.core.reports.export import ExportError, check_reason
from bangfu.schema.descriptions import graphql_enum
from bangfu.schema.permissions import requires

PATHS = {"ROSTER": "/reports/roster.xlsx", "ASSESSMENT": "/reports/assessment.xlsx"}


class ReportKind(enum.Enum):
    ROSTER = "ROSTER"
    ASSESSMENT = "ASSESSMENT"


graphql_enum(
    ReportKind,
    name="ReportKind",
    description="The Excel reports one can download.",
    values={
        "ROSTER": "The hardship roster (花名册) of a region: one row per living person "
        "holding a hardship category, with the categories, the ten indicators, the paired "
        "official and open care events; ID numbers masked unless asked in full.",
        "ASSESSMENT": "The annual assessment (年度目标考核, R9) of a city or county for a "
        "year: the ranking, a sheet per indicator with the lists behind the figures, charts.",
    },
)


@strawberry.type(description="Where to download a report; open it before it expires.")
class ReportLink:
    url: str = strawberry.field(description="A path on this service, with a signed `link`.")
    expires_at: dt.datetime = strawberry.field(
        description="When the link stops working (UTC): `reportLinkMinutes` after it was made."
    )


@strawberry.type
class ReportQuery:
    @strawberry.field(
        description="A link to download the hardship roster of a region, or its assessment "
        "for a year (Excel; `year` needed for ASSESSMENT). ID numbers are masked unless "
        "`fullIdNumbers` with a `reason` (needs registry:reveal; the reason is audited). "
        "The link works for `reportLinkMinutes` and only for you; each download is audited.",
        extensions=requires("report:export"),
    )
    async def report_link(
        self,
        info: Info,
        report: Annotated[ReportKind, strawberry.argument(description="Which report.")],
        region_code: Annotated[
            str,
            strawberry.argument(
                description="The code of a city or a county-level division, in your area."
            ),
        ],
        year: Annotated[
            int | None,
            strawberry.argument(
                description="The year assessed, 2000 to this one: needed for ASSESSMENT, "
                "ignored for ROSTER."
            ),
        ] = None,
        full_id_numbers: Annotated[
            bool,
            strawberry.argument(
                description="Full ID numbers in the roster instead of masked ones: needs "
                "registry:reveal and a `reason`. ROSTER only."
            ),
        ] = False,
        reason: Annotated[
            str | None,
            strawberry.argument(
                description="Why you need the full ID numbers; kept in the audit trail with "
                "your name. Needed with `fullIdNumbers`."
            ),
        ] = None,
    ) -> ReportLink:
        context = info.context
        kind = str(getattr(report, "value", report))
        if context.actor.id is None:
            raise ValueError(_("report: only a user can download reports"))
        region = await context.loaders["region"].load(region_code)
        if region is None:
            raise ValueError(_("regionCode: unknown region code {code}", code=repr(region_code)))
        assert isinstance(region, Region)
        if region.level not in (RegionLevel.CITY, RegionLevel.COUNTY):
            raise ValueError(_("regionCode: export a city or a county-level division"))
        params = {"region": region_code}
        if kind == ReportKind.ASSESSMENT.value:
            if year is None or not 2000 <= year <= context.today.year:
                raise ValueError(
                    _("year: give a year between 2000 and {last}", last=context.today.year)
                )
            params["year"] = str(year)
        if full_id_numbers:
            if kind != ReportKind.ROSTER.value:
                raise ValueError(_("fullIdNumbers: only the roster has ID numbers"))
            if not context.allowed("registry:reveal"):
                raise ValueError(_("fullIdNumbers: full ID numbers need registry:reveal"))
            params["idNumbers"] = "full"
            try:
                params["reason"] = check_reason(reason)
            except ExportError as exc:
                raise ValueError(str(exc)) from exc
        path = PATHS[kind]
        expires = utcnow() + dt.timedelta(minutes=context.settings.report_link_minutes)
        token = links.sign(context.cipher, context.actor.id, path, params, expires)
        return ReportLink(url=f"{path}?{urlencode({**params, 'link': token})}", expires_at=expires)
