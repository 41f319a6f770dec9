"""GraphQL types of core that do not refer to the composed Person or Household."""

import datetime as dt
import decimal
from typing import Any

import strawberry
from strawberry.types import Info

from bangfu.core.idnumber import Sex
from bangfu.core.plugins import PluginInfo
from bangfu.core.registry import models
from bangfu.schema.nodes import node_source
from bangfu.schema.prefetch import direct, prefetchable, ready
from bangfu.schema.relay import Node, parse_region_code, to_global_id
from bangfu.schema.sql_forms import sql_value

SexType = strawberry.enum(Sex, name="Sex", description="Sex, derived from the ID number.")
CategoryType = strawberry.enum(
    models.Category, name="Category", description="Hardship categories of the notice (R2)."
)
RelationType = strawberry.enum(
    models.Relation, name="Relation", description="Relation to the head of household."
)
HukouTypeType = strawberry.enum(models.HukouType, name="HukouType", description="户口性质.")
RegionLevelType = strawberry.enum(models.RegionLevel, name="RegionLevel")
OrganisationKindType = strawberry.enum(models.OrganisationKind, name="OrganisationKind")


@node_source(models.Region, loader="region", key=parse_region_code)
@strawberry.type(name="Region", description="A region of the GB/T 2260 tree (R1).")
class Region(Node):
    code: str = strawberry.field(description="GB/T 2260 code (local codes for the zones).")
    name: str
    level: models.RegionLevel
    path: str = strawberry.field(description="Materialised path of codes, `141000/141023/`.")
    parent_code: str | None

    @strawberry.field(  # type: ignore[misc]
        description="The global ID of the region (`Region:<code>`, encoded): refetch it "
        "with `node(id:)`; clients that cache by ID keep each region apart.",
        metadata=sql_value(lambda row, sql: sql.global_id("Region", row.code)),
    )
    @staticmethod
    @direct
    def id(root: models.Region) -> strawberry.ID:
        return strawberry.ID(to_global_id("Region", root.code))

    @strawberry.field(description="The parent region.")
    @staticmethod
    @prefetchable
    def parent(root: models.Region, info: Info) -> "Region | None":
        if root.parent_code is None:
            return None
        return ready(info.context.loaders["region"], root.parent_code)

    @strawberry.field(description="Regions one level below.")
    @staticmethod
    @prefetchable
    def children(root: models.Region, info: Info) -> list["Region"]:
        return ready(info.context.loaders["region_children"], root.code)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, (cls, models.Region))


@node_source(models.Organisation, loader="organisation")
@strawberry.type(name="Organisation", description="A unit that acts (R1, R7, R8).")
class Organisation(Node):
    code: str
    name: str
    kind: models.OrganisationKind
    region_code: str
    department: str | None = strawberry.field(
        description="The plugin whose department this organisation is, if any."
    )

    @strawberry.field(description="The global ID of the organisation.")  # type: ignore[misc]
    @staticmethod
    @direct
    def id(root: models.Organisation) -> strawberry.ID:
        return strawberry.ID(to_global_id("Organisation", root.id))

    @strawberry.field
    @staticmethod
    @prefetchable
    def region(root: models.Organisation, info: Info) -> Region:
        return ready(info.context.loaders["region"], root.region_code)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, (cls, models.Organisation))


@strawberry.type(name="Disability", description="Disability per GB/T 26341.")
class Disability:
    category: int = strawberry.field(description="1 visual … 7 multiple (GB/T 26341).")
    grade: int = strawberry.field(description="1 (most severe) to 4.")
    certified_on: dt.date | None


@node_source(models.CategoryAssignment)
@strawberry.type(name="CategoryAssignment", description="A certified hardship category (R2).")
class CategoryAssignment(Node):
    category: models.Category
    valid_from: dt.date
    valid_to: dt.date | None = strawberry.field(description="Empty while the category holds.")
    evidence: str | None
    rule_version: str = strawberry.field(description="The rule version that qualified it.")
    monthly_allowance: decimal.Decimal | None = strawberry.field(
        description="Monthly allowance in yuan, for dibao and special hardship."
    )
    end_reason: str | None

    @strawberry.field  # type: ignore[misc]
    @staticmethod
    @direct
    def id(root: models.CategoryAssignment) -> strawberry.ID:  # type: ignore[override]
        return strawberry.ID(to_global_id("CategoryAssignment", root.id))

    @strawberry.field(description="Whether the assignment holds today.")
    @staticmethod
    @direct
    def active(root: models.CategoryAssignment, info: Info) -> bool:
        today = info.context.today
        return root.valid_from <= today and (root.valid_to is None or root.valid_to >= today)

    @strawberry.field
    @staticmethod
    @prefetchable
    def certifying_organisation(root: models.CategoryAssignment, info: Info) -> Organisation | None:
        return ready(
            info.context.loaders["organisation"],
            root.certifying_organisation_id,
        )

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, (cls, models.CategoryAssignment))


@strawberry.type(name="Plugin", description="A loaded plugin.")
class PluginType:
    name: str
    title: str
    version: str
    owners: list[str] = strawberry.field(description="Organisation kinds that own the module.")
    description: str

    @staticmethod
    def of(info: PluginInfo) -> "PluginType":
        return PluginType(
            name=info.name,
            title=info.title,
            version=info.version,
            owners=list(info.owners),
            description=info.description,
        )
