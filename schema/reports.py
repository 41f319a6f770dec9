"""``reportLink``: a short-lived signed link to download an Excel report (R3, R9)."""

import datetime as dt
import enum
from urllib.parse import urlencode

import strawberry
from strawberry.types import Info

from bangfu.core.db import utcnow
from bangfu.core.i18n import _
from bangfu.core.registry.models import Region, RegionLevel
from bangfu.core.reports import links
from bangfu.core.reports.export import ExportError, check_reason
from bangfu.schema.permissions import requires

PATHS = {"ROSTER": "/reports/roster.xlsx", "ASSESSMENT": "/reports/assessment.xlsx"}


@strawberry.enum(description="The Excel reports one can download.")
class ReportKind(enum.Enum):
    ROSTER = "ROSTER"
    ASSESSMENT = "ASSESSMENT"


@strawberry.type(description="Where to download a report; open it before it expires.")
class ReportLink:
    url: str = strawberry.field(description="A path on this service, with a signed `link`.")
    expires_at: dt.datetime


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
        report: ReportKind,
        region_code: str,
        year: int | None = None,
        full_id_numbers: bool = False,
        reason: str | None = None,
    ) -> ReportLink:
        context = info.context
        kind = str(getattr(report, "value", report))
        if context.actor.id is None:
            raise ValueError(_("report: only a user can download reports"))
        region = await context.loaders["region"].load(region_code)
        if region is None:
            raise ValueError(_("regionCode: unknown region code '{code}'", code=region_code))
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
