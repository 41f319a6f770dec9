"""ORM models of the registry core (R1, R2)."""

import datetime as dt
import decimal
import enum
from typing import Any, ClassVar

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    Select,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bangfu.core.db import Base, PathString, utcnow
from bangfu.core.idnumber import Sex
from bangfu.core.registry.scoping import (
    AreaPathScoped,
    GlobalModel,
    HouseholdScoped,
    PersonScoped,
    households_of,
)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as the member name in a VARCHAR with a CHECK constraint: portable and readable.
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=32)


class RegionLevel(enum.StrEnum):
    """Administrative level of a region (GB/T 2260 and the township/village codes below it)."""

    CITY = "CITY"
    COUNTY = "COUNTY"
    TOWNSHIP = "TOWNSHIP"
    VILLAGE = "VILLAGE"


class OrganisationKind(enum.StrEnum):
    """Kinds of organisation that act in the system (R1, R7, R8)."""

    PARTY_COMMITTEE = "PARTY_COMMITTEE"
    GOVERNMENT = "GOVERNMENT"
    COUNTY_GOVERNMENT = "COUNTY_GOVERNMENT"
    DEPARTMENT = "DEPARTMENT"
    TRADE_UNION = "TRADE_UNION"
    WOMENS_FEDERATION = "WOMENS_FEDERATION"
    YOUTH_LEAGUE = "YOUTH_LEAGUE"
    GRASSROOTS_PARTY_ORGANISATION = "GRASSROOTS_PARTY_ORGANISATION"
    TOWNSHIP_PARTY_COMMITTEE = "TOWNSHIP_PARTY_COMMITTEE"
    TOWNSHIP_GOVERNMENT = "TOWNSHIP_GOVERNMENT"
    VILLAGE_PARTY_BRANCH = "VILLAGE_PARTY_BRANCH"
    VILLAGE_COMMITTEE = "VILLAGE_COMMITTEE"


#: The township and village organisations (R7) and the level of region each kind sits on:
#: a 乡镇党委 or 乡镇政府 on a TOWNSHIP, a 村党支部 or 村委会 on a VILLAGE. The older
#: GRASSROOTS_PARTY_ORGANISATION (any 基层党组织: a 党总支, a community Party committee)
#: sits on either. Only these kinds are created through ``organisationCreate``; the city's
#: and counties' organisations are reference data.
GRASSROOTS_LEVELS: dict[OrganisationKind, frozenset[RegionLevel]] = {
    OrganisationKind.TOWNSHIP_PARTY_COMMITTEE: frozenset({RegionLevel.TOWNSHIP}),
    OrganisationKind.TOWNSHIP_GOVERNMENT: frozenset({RegionLevel.TOWNSHIP}),
    OrganisationKind.VILLAGE_PARTY_BRANCH: frozenset({RegionLevel.VILLAGE}),
    OrganisationKind.VILLAGE_COMMITTEE: frozenset({RegionLevel.VILLAGE}),
    OrganisationKind.GRASSROOTS_PARTY_ORGANISATION: frozenset(
        {RegionLevel.TOWNSHIP, RegionLevel.VILLAGE}
    ),
}


class HukouType(enum.StrEnum):
    """Household registration type (户口性质)."""

    URBAN = "URBAN"
    RURAL = "RURAL"


class Relation(enum.StrEnum):
    """A member's relation to the head of the household (与户主关系)."""

    HEAD = "HEAD"
    SPOUSE = "SPOUSE"
    CHILD = "CHILD"
    PARENT = "PARENT"
    GRANDCHILD = "GRANDCHILD"
    GRANDPARENT = "GRANDPARENT"
    SIBLING = "SIBLING"
    OTHER_RELATIVE = "OTHER_RELATIVE"
    OTHER = "OTHER"


class Category(enum.StrEnum):
    """The hardship categories of the notice (R2)."""

    ORPHAN = "ORPHAN"
    DE_FACTO_UNSUPPORTED_CHILD = "DE_FACTO_UNSUPPORTED_CHILD"
    CHILD_IN_DIFFICULTY = "CHILD_IN_DIFFICULTY"
    SPECIAL_HARDSHIP = "SPECIAL_HARDSHIP"
    DIBAO = "DIBAO"
    POOR_DISABLED = "POOR_DISABLED"
    ENTITLED_GROUP = "ENTITLED_GROUP"


class Region(GlobalModel, Base):
    """A region of the GB/T 2260 tree with its materialised path (``141000/141023/...``)."""

    __tablename__ = "core_region"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[RegionLevel] = mapped_column(_enum(RegionLevel, "region_level"))
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("core_region.code"), index=True, default=None
    )
    path: Mapped[str] = mapped_column(PathString, unique=True)
    sort_key: Mapped[int] = mapped_column(Integer, default=0)


class Organisation(GlobalModel, Base):
    """A unit that acts: a government, a department, a mass organisation, a party branch."""

    __tablename__ = "core_organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganisationKind] = mapped_column(_enum(OrganisationKind, "organisation_kind"))
    region_code: Mapped[str] = mapped_column(ForeignKey("core_region.code"), index=True)
    # Which plugin's department this is (education, medical, ...), if any.
    department: Mapped[str | None] = mapped_column(String(40), default=None)


class Person(AreaPathScoped, Base):
    """A person in the registry. The ID number is stored encrypted with a keyed digest."""

    __tablename__ = "core_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    id_number_digest: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_masked: Mapped[str] = mapped_column(String(18))
    birth_date: Mapped[dt.date] = mapped_column(Date, index=True)
    sex: Mapped[Sex] = mapped_column(_enum(Sex, "sex"))
    region_code: Mapped[str] = mapped_column(ForeignKey("core_region.code"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32), default=None)
    hukou_type: Mapped[HukouType | None] = mapped_column(
        _enum(HukouType, "hukou_type"), default=None
    )
    disability_category: Mapped[int | None] = mapped_column(Integer, default=None)
    disability_grade: Mapped[int | None] = mapped_column(Integer, default=None)
    disability_certified_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    guardian_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_person.id", ondelete="SET NULL"), index=True, default=None
    )
    deceased: Mapped[bool] = mapped_column(default=False)
    is_key_person: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}
    #: Columns no bottom-line rule reads: a change of only these judges nobody again
    #: (``bangfu.core.bottomline.stored``). A rule must never read them.
    __bottom_line_inert__: ClassVar[frozenset[str]] = frozenset(
        {
            "name",
            "phone",
            "id_number_digest",
            "id_number_cipher",
            "id_number_masked",
            "version",
            "created_at",
            "updated_at",
        }
    )

    @classmethod
    def __paired_criteria__(cls, person_ids: Select[Any]) -> ColumnElement[bool]:
        return cls.id.in_(person_ids)

    __table_args__ = (
        CheckConstraint(
            "disability_category IS NULL OR disability_category BETWEEN 1 AND 7",
            name="disability_category",
        ),
        CheckConstraint(
            "disability_grade IS NULL OR disability_grade BETWEEN 1 AND 4", name="disability_grade"
        ),
    )


class Household(AreaPathScoped, Base):
    """A household (户): members through memberships, exactly one current head."""

    __tablename__ = "core_household"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("core_region.code"), index=True)
    address: Mapped[str | None] = mapped_column(String(200), default=None)
    is_key_household: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}
    #: Columns no bottom-line rule reads (see ``Person``).
    __bottom_line_inert__: ClassVar[frozenset[str]] = frozenset(
        {"address", "version", "created_at", "updated_at"}
    )

    @classmethod
    def __paired_criteria__(cls, person_ids: Select[Any]) -> ColumnElement[bool]:
        return cls.id.in_(households_of(person_ids))


class Membership(HouseholdScoped, Base):
    """A person's membership of a household; an ended membership keeps the history."""

    __tablename__ = "core_membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("core_household.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    relation: Mapped[Relation] = mapped_column(_enum(Relation, "relation"))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    end_reason: Mapped[str | None] = mapped_column(String(200), default=None)

    __table_args__ = (
        # Exactly one current head per household, and one current household per person:
        # enforced by the database, not only by the code.
        Index(
            "uq_core_membership_current_head",
            "household_id",
            unique=True,
            sqlite_where=text("relation = 'HEAD' AND end_date IS NULL"),
            postgresql_where=text("relation = 'HEAD' AND end_date IS NULL"),
        ),
        Index(
            "uq_core_membership_current_person",
            "person_id",
            unique=True,
            sqlite_where=text("end_date IS NULL"),
            postgresql_where=text("end_date IS NULL"),
        ),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
    )


class CategoryAssignment(PersonScoped, Base):
    """A person's hardship category, valid from/to, certified by an organisation (R2)."""

    __tablename__ = "core_category_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("core_person.id"), index=True)
    category: Mapped[Category] = mapped_column(_enum(Category, "category"), index=True)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date, default=None)
    certifying_organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"))
    evidence: Mapped[str | None] = mapped_column(String(500), default=None)
    rule_version: Mapped[str] = mapped_column(String(40), default="2020")
    monthly_allowance: Mapped[decimal.Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    end_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="dates"),
        CheckConstraint("monthly_allowance IS NULL OR monthly_allowance >= 0", name="allowance"),
    )
