"""GraphQL types of core that do not refer to the composed Person or Household."""

import datetime as dt
import decimal
from typing import Any

import strawberry
from strawberry.types import Info

from bangfu.core.effective import holds
from bangfu.core.idnumber import Sex
from bangfu.core.plugins import PluginInfo
from bangfu.core.registry import models
from bangfu.schema.descriptions import graphql_enum
from bangfu.schema.nodes import node_source
from bangfu.schema.prefetch import direct, prefetchable, ready
from bangfu.schema.relay import Node, parse_region_code, to_global_id
from bangfu.schema.sql_forms import sql_value

SexType = graphql_enum(
    Sex,
    name="Sex",
    description="Sex, derived from the ID number (its 17th character: odd is male).",
    values={
        "MALE": "Male (男): the 17th character of the ID number is odd.",
        "FEMALE": "Female (女): the 17th character of the ID number is even.",
    },
)
CategoryType = graphql_enum(
    models.Category,
    name="Category",
    description="Hardship categories of the notice (R2). A person may hold several at once.",
    values={
        "ORPHAN": "Orphan (孤儿): a child under 18 both of whose parents have died or are "
        "legally declared missing.",
        "DE_FACTO_UNSUPPORTED_CHILD": "De-facto unsupported child (事实无人抚养儿童): a child "
        "whose parents are alive but cannot raise them (serious illness, imprisonment, "
        "missing, and the like).",
        "CHILD_IN_DIFFICULTY": "Child in difficult circumstances (困境儿童): for reasons of "
        "poverty, illness, disability or family, a child in need of protection.",
        "SPECIAL_HARDSHIP": "Urban or rural special-hardship person (城乡特困人员): old, "
        "disabled or under 16, with no ability to work, no income and no one obliged and "
        "able to support them.",
        "DIBAO": "Member of a minimum-living-guarantee (低保, dibao) household: the "
        "household's income is below the local minimum-living standard.",
        "POOR_DISABLED": "Poor disabled person (贫困残疾人): a certified disability in a "
        "low-income household.",
        "ENTITLED_GROUP": "Needy entitled group (困难优抚安置对象): a family of servicemen, a "
        "veteran or resettled personnel in difficulty.",
    },
)
RelationType = graphql_enum(
    models.Relation,
    name="Relation",
    description="Relation to the head of household (与户主关系).",
    values={
        "HEAD": "The head of household (户主) themself; a household has exactly one.",
        "SPOUSE": "Spouse of the head (配偶).",
        "CHILD": "Child of the head, including an adopted or step child (子女).",
        "PARENT": "Parent of the head (父母).",
        "GRANDCHILD": "Grandchild of the head (孙子女).",
        "GRANDPARENT": "Grandparent of the head (祖父母).",
        "SIBLING": "Brother or sister of the head (兄弟姐妹).",
        "OTHER_RELATIVE": "Another relative of the head (其他亲属).",
        "OTHER": "Not a relative of the head (非亲属).",
    },
)
HukouTypeType = graphql_enum(
    models.HukouType,
    name="HukouType",
    description="Household registration type (户口性质).",
    values={
        "URBAN": "Urban household registration (城镇户口).",
        "RURAL": "Rural household registration (农村户口).",
    },
)
RegionLevelType = graphql_enum(
    models.RegionLevel,
    name="RegionLevel",
    description="Administrative level of a region: GB/T 2260 above, local codes below.",
    values={
        "CITY": "Prefecture-level city (地级市), a 6-digit code (Linfen: 141000).",
        "COUNTY": "County, county-level city or district (县/市/区), or an economic zone "
        "managed like one; a 6-digit code.",
        "TOWNSHIP": "Township or street (乡镇/街道), a 9-digit code.",
        "VILLAGE": "Village or residents' community (村/社区), a 12-digit code.",
    },
)
OrganisationKindType = graphql_enum(
    models.OrganisationKind,
    name="OrganisationKind",
    description="Kinds of organisation that act in the system (R1, R7, R8).",
    values={
        "PARTY_COMMITTEE": "A Party committee (党委) of a city or county.",
        "GOVERNMENT": "The municipal people's government (市政府).",
        "COUNTY_GOVERNMENT": "A county-level people's government (县级政府), or the "
        "management committee of a zone.",
        "DEPARTMENT": "A government department (职能部门): civil affairs, education, health, "
        "housing, human resources; a plugin may own it (`Organisation.department`).",
        "TRADE_UNION": "A trade union (工会), one of the mass organisations of R8.",
        "WOMENS_FEDERATION": "A women's federation (妇联), one of the mass organisations of R8.",
        "YOUTH_LEAGUE": "A Communist Youth League committee (共青团), one of the mass "
        "organisations of R8.",
        "GRASSROOTS_PARTY_ORGANISATION": "A grassroots Party organisation (基层党组织) of a "
        "township or village (a 党总支, a community Party committee), which surveys and "
        "reports (R7); on a TOWNSHIP or a VILLAGE. The specific kinds below are preferred.",
        "TOWNSHIP_PARTY_COMMITTEE": "A township or street Party committee (乡镇（街道）党委, R7); "
        "on a TOWNSHIP.",
        "TOWNSHIP_GOVERNMENT": "A township people's government or street office "
        "(乡镇人民政府/街道办事处, R7); on a TOWNSHIP.",
        "VILLAGE_PARTY_BRANCH": "A village or community Party branch (村（社区）党支部, R7); on a "
        "VILLAGE.",
        "VILLAGE_COMMITTEE": "A villagers' or residents' committee (村民委员会/居民委员会, R7); "
        "on a VILLAGE.",
    },
)


@node_source(models.Region, loader="region", key=parse_region_code)
@strawberry.type(name="Region", description="A region of the GB/T 2260 tree (R1).")
class Region(Node):
    code: str = strawberry.field(description="GB/T 2260 code (local codes for the zones).")
    name: str = strawberry.field(description="Official Chinese name (尧都区).")
    level: models.RegionLevel = strawberry.field(description="Administrative level.")
    path: str = strawberry.field(description="Materialised path of codes, `141000/141023/`.")
    parent_code: str | None = strawberry.field(
        description="Code of the region one level up; null for the city at the root."
    )

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
    code: str = strawberry.field(
        description="Stable unique code: the region code and a slug, `141000-womens-federation`."
    )
    name: str = strawberry.field(description="Official name, in Chinese.")
    kind: models.OrganisationKind = strawberry.field(description="What kind of unit it is.")
    region_code: str = strawberry.field(
        description="Code of the region the organisation serves: its area of responsibility."
    )
    department: str | None = strawberry.field(
        description="The plugin whose department this organisation is, if any."
    )

    @strawberry.field(description="The global ID of the organisation.")  # type: ignore[misc]
    @staticmethod
    @direct
    def id(root: models.Organisation) -> strawberry.ID:
        return strawberry.ID(to_global_id("Organisation", root.id))

    @strawberry.field(description="The region the organisation serves (`regionCode`).")
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
    certified_on: dt.date | None = strawberry.field(
        description="Date of the disability certificate (残疾人证); null when not recorded."
    )


@node_source(models.CategoryAssignment)
@strawberry.type(name="CategoryAssignment", description="A certified hardship category (R2).")
class CategoryAssignment(Node):
    category: models.Category = strawberry.field(description="The hardship category.")
    valid_from: dt.date = strawberry.field(
        description="First day the category holds (Asia/Shanghai date)."
    )
    valid_to: dt.date | None = strawberry.field(description="Empty while the category holds.")
    evidence: str | None = strawberry.field(
        description="What the certifying organisation relied on (a decision number, a "
        "document); free text, null when none was recorded."
    )
    rule_version: str = strawberry.field(
        description="The version of the category rules that qualified it (`categoryRules`); "
        "records written before the rules were versioned say 2020."
    )
    monthly_allowance: decimal.Decimal | None = strawberry.field(
        description="Monthly allowance in yuan, for dibao and special hardship."
    )
    end_reason: str | None = strawberry.field(
        description="Why the category was ended (`categoryEnd`); null while it holds."
    )

    @strawberry.field(description="The global ID of the category assignment.")  # type: ignore[misc]
    @staticmethod
    @direct
    def id(root: models.CategoryAssignment) -> strawberry.ID:
        return strawberry.ID(to_global_id("CategoryAssignment", root.id))

    @strawberry.field(description="Whether the assignment holds today.")
    @staticmethod
    @direct
    def active(root: models.CategoryAssignment, info: Info) -> bool:
        return holds(root.valid_from, root.valid_to, info.context.today, end_inclusive=True)

    @strawberry.field(
        description="The organisation that certified the category (a civil-affairs "
        "bureau, for most)."
    )
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
    name: str = strawberry.field(
        description="The plugin's name (`education`): the prefix of its root fields, "
        "permissions and tables."
    )
    title: str = strawberry.field(description="A title for people to read.")
    version: str = strawberry.field(description="The installed version of the plugin's package.")
    owners: list[str] = strawberry.field(description="Organisation kinds that own the module.")
    description: str = strawberry.field(description="What the plugin adds, in a sentence or two.")

    @staticmethod
    def of(info: PluginInfo) -> "PluginType":
        return PluginType(
            name=info.name,
            title=info.title,
            version=info.version,
            owners=list(info.owners),
            description=info.description,
        )
