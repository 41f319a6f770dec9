"""Exports as use cases: check the arguments, write the workbook, audit the export.

Used by the download route and by ``bangfu report``. Every export leaves one audit row
(``export:roster`` / ``export:assessment``) with the region, the year and the number of
rows, in the same step that hands the workbook out.
"""

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bangfu.core.assessment.compute import AssessmentError, assess
from bangfu.core.config import Settings
from bangfu.core.i18n import _
from bangfu.core.registry.models import Region, RegionLevel
from bangfu.core.reports.assessment_book import write_assessment
from bangfu.core.reports.roster import count_roster, write_roster
from bangfu.core.security import audit
from bangfu.core.security.actor import Actor
from bangfu.core.security.crypto import FieldCipher
from bangfu.core.security.masking import mask_text

if TYPE_CHECKING:
    from bangfu.core.plugins import PluginHost

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclasses.dataclass(frozen=True)
class Export:
    """A written workbook and its file name."""

    content: bytes
    filename: str
    rows: int


class ExportError(ValueError):
    """Bad arguments of an export; ``field`` names the argument."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


MIN_REASON, MAX_REASON = 4, 500


def check_reason(reason: str | None) -> str:
    """The reason given for full ID numbers, checked like ``personReveal``'s."""
    text = (reason or "").strip()
    if not MIN_REASON <= len(text) <= MAX_REASON:
        raise ExportError(
            "reason",
            _(
                "full ID numbers need a reason of {least} to {most} characters: say why the "
                "full numbers are needed",
                least=MIN_REASON,
                most=MAX_REASON,
            ),
        )
    return text


async def region_of(session: AsyncSession, code: str) -> Region:
    region = await session.get(Region, code)
    if region is None:
        raise ExportError("region", _("unknown region code '{code}'", code=code))
    if region.level not in (RegionLevel.CITY, RegionLevel.COUNTY):
        raise ExportError(
            "region",
            _(
                "region {code} is not a city or a county: reports are written for a city or "
                "a county-level division; give its code (e.g. 141023)",
                code=code,
            ),
        )
    return region


async def _audit(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    operation: str,
    details: dict[str, object],
    request_id: str | None,
) -> None:
    async with sessions() as session, session.begin():
        session.info["actor"] = actor
        await audit.record(
            session, actor, operation, audit.Outcome.OK, details=details, request_id=request_id
        )


async def export_roster(
    sessions: async_sessionmaker[AsyncSession],
    host: "PluginHost",
    settings: Settings,
    cipher: FieldCipher,
    actor: Actor,
    region_code: str,
    as_of: dt.date,
    *,
    request_id: str | None = None,
    progress: Callable[[int], None] | None = None,
    total: Callable[[int], None] | None = None,
    full_id_numbers: bool = False,
    reason: str | None = None,
) -> Export:
    """The roster of ``region_code`` as ``actor`` sees it (area scoping applies), ID
    numbers masked unless ``full_id_numbers`` (the caller has checked the actor may
    reveal them; ``reason`` is kept in the audit row, masked)."""
    full = full_id_numbers
    async with sessions() as session:
        session.info["actor"] = actor
        region = await region_of(session, region_code)
        if total is not None:
            total(await count_roster(session, region.path, as_of))
        content, rows = await write_roster(
            session, host, settings, cipher, region, as_of, full_id_numbers=full, progress=progress
        )
    await _audit(
        sessions,
        actor,
        "export:roster",
        {
            "region": region.code,
            "rows": rows,
            "idNumbers": "full" if full else "masked",
            **({"reason": mask_text(reason)} if full and reason else {}),
        },
        request_id,
    )
    return Export(content, f"roster-{region.code}-{as_of.isoformat()}.xlsx", rows)


async def export_assessment(
    sessions: async_sessionmaker[AsyncSession],
    host: "PluginHost",
    settings: Settings,
    actor: Actor,
    year: int,
    region_code: str,
    today: dt.date,
    *,
    request_id: str | None = None,
) -> Export:
    """The assessment workbook of ``region_code`` for ``year``, in the actor's area."""
    async with sessions() as session:
        session.info["actor"] = actor
        try:
            # Every list goes into the workbook: built with the figures, no counts apart.
            result = await assess(session, host, settings, year, region_code, today, items=True)
        except AssessmentError as exc:
            field = "region" if exc.field == "regionCode" else exc.field
            raise ExportError(field, str(exc).split(": ", 1)[1]) from exc
    content = write_assessment(result)
    await _audit(
        sessions,
        actor,
        "export:assessment",
        {"region": region_code, "year": year, "units": len(result.units)},
        request_id,
    )
    return Export(content, f"assessment-{region_code}-{year}.xlsx", len(result.units))
