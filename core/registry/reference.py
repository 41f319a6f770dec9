"""Reference data every installation has: Linfen's regions and organisations.

Linfen (临汾市, 141000) and its county-level divisions (GB/T 2260), the city's party
committee, government, civil-affairs bureau and the departments that own the built-in
plugins, and for each county-level division its government and civil-affairs bureau.
:func:`ensure_reference_data` inserts whatever is missing and never changes existing rows.
"""

from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.registry.models import Organisation, OrganisationKind, Region, RegionLevel

CITY_CODE = "141000"
CITY_NAME = "临汾市"


class RegionReference(NamedTuple):
    """One region of the reference tree."""

    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
    path: str
    sort_key: int


class OrganisationReference(NamedTuple):
    """One organisation of the reference data; ``code`` is stable across installations."""

    code: str
    name: str
    kind: OrganisationKind
    region_code: str
    department: str | None = None


#: The 17 county-level divisions of Linfen (GB/T 2260), in official order.
COUNTIES: tuple[tuple[str, str], ...] = (
    ("141002", "尧都区"),
    ("141021", "曲沃县"),
    ("141022", "翼城县"),
    ("141023", "襄汾县"),
    ("141024", "洪洞县"),
    ("141025", "古县"),
    ("141026", "安泽县"),
    ("141027", "浮山县"),
    ("141028", "吉县"),
    ("141029", "乡宁县"),
    ("141030", "大宁县"),
    ("141031", "隰县"),
    ("141032", "永和县"),
    ("141033", "蒲县"),
    ("141034", "汾西县"),
    ("141081", "侯马市"),
    ("141082", "霍州市"),
)

#: Functional zones administered like county-level divisions. These codes are local codes
#: of this system, NOT GB/T 2260 codes (the zones have none of their own there).
ZONES: tuple[tuple[str, str], ...] = (
    ("141071", "临汾经济开发区"),
    ("141072", "侯马经济开发区"),
    ("141073", "壶口风景名胜区管理委员会"),
)

COUNTY_CODES: tuple[str, ...] = tuple(code for code, _ in COUNTIES)
ZONE_CODES: tuple[str, ...] = tuple(code for code, _ in ZONES)


def _regions() -> tuple[RegionReference, ...]:
    city_path = f"{CITY_CODE}/"
    rows = [RegionReference(CITY_CODE, CITY_NAME, RegionLevel.CITY, None, city_path, 0)]
    for sort_key, (code, name) in enumerate((*COUNTIES, *ZONES), start=1):
        rows.append(
            RegionReference(
                code, name, RegionLevel.COUNTY, CITY_CODE, f"{city_path}{code}/", sort_key
            )
        )
    return tuple(rows)


#: Linfen and its 20 county-level regions (17 divisions and 3 zones), parents first.
REFERENCE_REGIONS: tuple[RegionReference, ...] = _regions()


def government_code(region_code: str) -> str:
    """Stable code of the (county) people's government of ``region_code``."""
    return f"{region_code}-government"


def civil_affairs_code(region_code: str) -> str:
    """Stable code of the civil-affairs bureau (民政局) of ``region_code``."""
    return f"{region_code}-civil-affairs"


def _organisations() -> tuple[OrganisationReference, ...]:
    city = CITY_CODE
    dept = OrganisationKind.DEPARTMENT
    rows = [
        OrganisationReference(
            f"{city}-party-committee", "中共临汾市委员会", OrganisationKind.PARTY_COMMITTEE, city
        ),
        OrganisationReference(
            government_code(city), "临汾市人民政府", OrganisationKind.GOVERNMENT, city
        ),
        # Civil affairs is the core of the registry, not a plugin's department.
        OrganisationReference(civil_affairs_code(city), "临汾市民政局", dept, city),
        OrganisationReference(f"{city}-education", "临汾市教育局", dept, city, "education"),
        OrganisationReference(f"{city}-medical", "临汾市医疗保障局", dept, city, "medical"),
        OrganisationReference(f"{city}-housing", "临汾市住房和城乡建设局", dept, city, "housing"),
        OrganisationReference(
            f"{city}-employment", "临汾市人力资源和社会保障局", dept, city, "employment"
        ),
        OrganisationReference(f"{city}-veterans-affairs", "临汾市退役军人事务局", dept, city),
        OrganisationReference(
            f"{city}-trade-union", "临汾市总工会", OrganisationKind.TRADE_UNION, city
        ),
        OrganisationReference(
            f"{city}-womens-federation",
            "临汾市妇女联合会",
            OrganisationKind.WOMENS_FEDERATION,
            city,
        ),
        OrganisationReference(
            f"{city}-youth-league", "共青团临汾市委员会", OrganisationKind.YOUTH_LEAGUE, city
        ),
    ]
    for code, name in COUNTIES:
        rows.append(
            OrganisationReference(
                government_code(code), f"{name}人民政府", OrganisationKind.COUNTY_GOVERNMENT, code
            )
        )
        rows.append(OrganisationReference(civil_affairs_code(code), f"{name}民政局", dept, code))
    for code, name in ZONES:
        # A zone is run by its management committee; its social-affairs bureau does the
        # civil-affairs work.
        committee = name if name.endswith("管理委员会") else f"{name}管理委员会"
        rows.append(
            OrganisationReference(
                government_code(code), committee, OrganisationKind.COUNTY_GOVERNMENT, code
            )
        )
        rows.append(
            OrganisationReference(civil_affairs_code(code), f"{committee}社会事务局", dept, code)
        )
    return tuple(rows)


#: Organisations every installation has, each with a stable ``code``.
REFERENCE_ORGANISATIONS: tuple[OrganisationReference, ...] = _organisations()


async def missing_regions(
    session: AsyncSession, references: Iterable[RegionReference]
) -> list[Region]:
    """Unsaved rows for the regions of ``references`` that the database lacks, in order."""
    existing = set((await session.scalars(select(Region.code))).all())
    return [
        Region(
            code=ref.code,
            name=ref.name,
            level=ref.level,
            parent_code=ref.parent_code,
            path=ref.path,
            sort_key=ref.sort_key,
        )
        for ref in references
        if ref.code not in existing
    ]


async def ensure_reference_data(session: AsyncSession) -> None:
    """Insert the reference regions and organisations that are missing (idempotent).

    Existing rows (matched by region code / organisation code) are left as they are, so
    running this twice changes nothing. Flushes; the caller commits.
    """
    if new_regions := await missing_regions(session, REFERENCE_REGIONS):
        session.add_all(new_regions)
        await session.flush()  # organisations refer to the regions

    organisation_codes = set((await session.scalars(select(Organisation.code))).all())
    new_organisations = [
        Organisation(
            code=ref.code,
            name=ref.name,
            kind=ref.kind,
            region_code=ref.region_code,
            department=ref.department,
        )
        for ref in REFERENCE_ORGANISATIONS
        if ref.code not in organisation_codes
    ]
    if new_organisations:
        session.add_all(new_organisations)
        await session.flush()
