"""The demo's grassroots (R7): 新城镇 of 襄汾县 and its village 新城村, with their Party
committee, government, Party branch and villagers' committee, where the demo's township
and village workers (``township``, ``village``) work.

:func:`ensure_demo_grassroots` inserts the two regions and four organisations when they are
missing: the demo users need them before any demo data is loaded (``create_demo_users``),
and ``load_demo`` records the screening visits of that township as theirs.
"""

from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.registry.models import Organisation, OrganisationKind
from bangfu.core.registry.organisations import default_code
from bangfu.core.registry.reference import ensure_reference_data, missing_regions

TOWNSHIP_CODE = "141023100"  # 襄汾县新城镇
VILLAGE_CODE = "141023100201"  # 新城镇新城村

#: How many of 襄汾县's demo households live in 新城村 at least (the village worker's).
VILLAGE_HOUSEHOLDS = 12

TOWNSHIP_USERNAME = "township"
VILLAGE_USERNAME = "village"


class _Unit(NamedTuple):
    kind: OrganisationKind
    region_code: str
    name: str

    @property
    def code(self) -> str:
        return default_code(self.region_code, self.kind)


UNITS: tuple[_Unit, ...] = (
    _Unit(OrganisationKind.TOWNSHIP_PARTY_COMMITTEE, TOWNSHIP_CODE, "中共襄汾县新城镇委员会"),
    _Unit(OrganisationKind.TOWNSHIP_GOVERNMENT, TOWNSHIP_CODE, "襄汾县新城镇人民政府"),
    _Unit(OrganisationKind.VILLAGE_PARTY_BRANCH, VILLAGE_CODE, "中共襄汾县新城镇新城村支部委员会"),
    _Unit(OrganisationKind.VILLAGE_COMMITTEE, VILLAGE_CODE, "襄汾县新城镇新城村村民委员会"),
)
TOWNSHIP_PARTY_COMMITTEE = UNITS[0].code  # 141023100-township-party-committee
VILLAGE_PARTY_BRANCH = UNITS[2].code  # 141023100201-village-party-branch


async def ensure_demo_grassroots(session: AsyncSession) -> None:
    """Insert the demo township, village and their organisations where missing. Flushes."""
    from bangfu.demo.households import demo_regions

    await ensure_reference_data(session)
    wanted = [r for r in demo_regions() if r.code in (TOWNSHIP_CODE, VILLAGE_CODE)]
    if regions := await missing_regions(session, wanted):
        session.add_all(regions)
        await session.flush()
    codes = [unit.code for unit in UNITS]
    existing = set(
        await session.scalars(select(Organisation.code).where(Organisation.code.in_(codes)))
    )
    new = [
        Organisation(code=u.code, name=u.name, kind=u.kind, region_code=u.region_code)
        for u in UNITS
        if u.code not in existing
    ]
    if new:
        session.add_all(new)
        await session.flush()
