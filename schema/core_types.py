"""The core types ``Person``, ``Household`` and ``Membership``, declared at module level.

``Person`` and ``Household`` are composed at start from these bases and every plugin's
mixins (:func:`build_core_types`); every type that refers to them, here and in plugins,
does so through ``bangfu.schema.composed`` (``PersonType``, ``HouseholdType``). Resolvers
read their parent row as ``root`` (typed as the row), never ``self``.
"""

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from bangfu.core.calendar import age_on
from bangfu.core.effective import holds
from bangfu.core.i18n import _
from bangfu.core.registry import models
from bangfu.core.registry.persons import masked_id_number
from bangfu.core.security.crypto import DecryptionError
from bangfu.schema.access import person_data
from bangfu.schema.bottomline import BottomLineType
from bangfu.schema.composed import HouseholdType, PersonType
from bangfu.schema.nodes import node_source
from bangfu.schema.prefetch import direct, prefetchable, ready, then
from bangfu.schema.relay import Node, to_global_id
from bangfu.schema.scan_cost import JUDGES_ONE
from bangfu.schema.types import CategoryAssignment, Disability, Region


class SchemaCompositionError(RuntimeError):
    """Two contributions to one GraphQL type use the same field name."""


def graphql_field_names(cls: type) -> dict[str, str]:
    """GraphQL name → Python name of the fields a Strawberry type declares."""
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    return {
        field.graphql_name or to_camel_case(field.python_name): field.python_name
        for field in definition.fields
    }


def compose(name: str, base: type, mixins: list[tuple[str, type]], description: str) -> type:
    """``name`` = ``base`` + every mixin, refusing any GraphQL or Python name collision."""
    owners = {graphql: "core" for graphql in graphql_field_names(base)}
    python_owners = {python: "core" for python in graphql_field_names(base).values()}
    for plugin, mixin in mixins:
        if not hasattr(mixin, "__strawberry_definition__"):
            raise SchemaCompositionError(
                f"plugin {plugin}: {mixin.__qualname__} extending {name} is not a strawberry type"
            )
        for graphql, python in graphql_field_names(mixin).items():
            if graphql in owners:
                raise SchemaCompositionError(
                    f"field {name}.{graphql} is defined by both {owners[graphql]} and {plugin}"
                )
            if python in python_owners:
                raise SchemaCompositionError(
                    f"attribute {name}.{python} is defined by both "
                    f"{python_owners[python]} and {plugin}"
                )
            field = next(
                f for f in mixin.__strawberry_definition__.fields if f.python_name == python
            )
            if not _is_nullable(field):
                raise SchemaCompositionError(
                    f"plugin {plugin}: field {name}.{graphql} must be nullable "
                    "(a denied field must not null the whole object)"
                )
            owners[graphql] = plugin
            python_owners[python] = plugin
    composed = type(name, (base, *(mixin for _plugin, mixin in mixins)), {})
    return strawberry.type(composed, name=name, description=description)


def _is_nullable(field: Any) -> bool:
    from strawberry.types.base import StrawberryOptional

    return isinstance(field.type, StrawberryOptional)


@node_source(models.Membership)
@strawberry.type(name="Membership", description="A person's membership of a household.")
class Membership(Node):
    relation: models.Relation = strawberry.field(description="Relation to the head.")
    start_date: dt.date = strawberry.field(description="First day of the membership.")
    end_date: dt.date | None = strawberry.field(description="Empty while current.")
    end_reason: str | None = strawberry.field(
        description="Why the membership ended (`householdMemberRemove`): moved, married, "
        "died, free text; null while current."
    )

    @strawberry.field(description="The global ID of the membership.")  # type: ignore[misc]
    @staticmethod
    @direct
    def id(root: models.Membership) -> strawberry.ID:
        return strawberry.ID(to_global_id("Membership", root.id))

    @strawberry.field(description="The member; null when you may not see this person.")
    @staticmethod
    @prefetchable
    def person(root: models.Membership, info: Info) -> PersonType | None:
        return ready(info.context.loaders["person"], root.person_id)

    @strawberry.field(description="The household the person is, or was, a member of.")
    @staticmethod
    @prefetchable
    def household(root: models.Membership, info: Info) -> HouseholdType:
        return ready(info.context.loaders["household"], root.household_id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, models.Membership)


# Anyone who may read a person sees name, age, area and categories; everything else
# about a child under 14 only roles whose duty needs it (bangfu.schema.access.person_data).
public_part = person_data(child=None)
child_guarded = person_data()


@node_source(models.Person, loader="person")
class PersonCore(Node):
    name: str = strawberry.field(
        description="Full name, as on the ID card.", extensions=public_part
    )
    sex: models.Sex | None = strawberry.field(
        description="Derived from the ID number.", extensions=child_guarded
    )
    birth_date: dt.date | None = strawberry.field(
        description="Derived from the ID number. With the masked ID number it would give "
        "the whole number away, so it is shown only to roles whose duty needs it.",
        extensions=person_data(sensitive="registry:read-sensitive"),
    )
    phone: str | None = strawberry.field(
        description="National digits of a mobile (13812345678) or landline (03572091234) "
        "number of mainland China; a value stored before numbers were checked is shown "
        "as it was written.",
        extensions=child_guarded,
    )
    hukou_type: models.HukouType | None = strawberry.field(
        description="Household registration type (户口性质); null when not recorded or you "
        "may not see it.",
        extensions=child_guarded,
    )
    deceased: bool | None = strawberry.field(
        description="Whether the person has died (recorded with `personUpdate`); null when "
        "you may not see it.",
        extensions=child_guarded,
    )
    is_key_person: bool | None = strawberry.field(
        description="重点人: set by screening (R5).", extensions=child_guarded
    )
    version: int | None = strawberry.field(
        description="Pass as `expectedVersion` to update.", extensions=child_guarded
    )

    @strawberry.field(description="The global ID of the person.")
    @staticmethod
    @direct
    def id(root: models.Person) -> strawberry.ID:
        return strawberry.ID(to_global_id("Person", root.id))

    @strawberry.field(
        description="ID number (GB 11643), masked: at most the first 6 and last 4 "
        "characters, never the birth date. `personReveal` shows it in full.",
        extensions=child_guarded,
    )
    @staticmethod
    @direct
    def id_number(root: models.Person, info: Info) -> str | None:
        try:
            return masked_id_number(info.context.cipher, root)
        except DecryptionError as exc:
            raise PermissionError(_("the stored ID number failed its integrity check")) from exc

    @strawberry.field(
        description="Completed years of age today (Asia/Shanghai).", extensions=public_part
    )
    @staticmethod
    @direct
    def age(root: models.Person, info: Info) -> int:
        return age_on(root.birth_date, info.context.today)

    @strawberry.field(description="Region of residence.", extensions=public_part)
    @staticmethod
    @prefetchable
    def region(root: models.Person, info: Info) -> Region:
        return ready(info.context.loaders["region"], root.region_code)

    @strawberry.field(
        description="Disability (GB/T 26341), if any: sensitive (PIPL art. 28).",
        extensions=person_data(sensitive="registry:read-sensitive"),
    )
    @staticmethod
    @direct
    def disability(root: models.Person) -> Disability | None:
        if root.disability_category is None or root.disability_grade is None:
            return None  # both are written together; never half a disability
        return Disability(
            category=root.disability_category,
            grade=root.disability_grade,
            certified_on=root.disability_certified_on,
        )

    @strawberry.field(
        description="The guardian (for a child), if recorded.", extensions=child_guarded
    )
    @staticmethod
    @prefetchable
    def guardian(root: models.Person, info: Info) -> PersonType | None:
        if root.guardian_id is None:
            return None
        return ready(info.context.loaders["person"], root.guardian_id)

    @strawberry.field(
        description="The household the person belongs to now.", extensions=child_guarded
    )
    @staticmethod
    @prefetchable
    def household(root: models.Person, info: Info) -> HouseholdType | None:
        loaders = info.context.loaders
        return then(
            ready(loaders["current_membership"], root.id),
            lambda m: None if m is None else ready(loaders["household"], m.household_id),
        )

    @strawberry.field(
        description="Relation to the head of the current household.",
        extensions=child_guarded,
    )
    @staticmethod
    @prefetchable
    def relation_to_head(root: models.Person, info: Info) -> models.Relation | None:
        return then(
            ready(info.context.loaders["current_membership"], root.id),
            lambda m: None if m is None else m.relation,
        )

    @strawberry.field(
        description="Every household membership, past and present.",
        extensions=child_guarded,
    )
    @staticmethod
    @prefetchable
    def memberships(root: models.Person, info: Info) -> list["Membership"] | None:
        return ready(info.context.loaders["memberships_of_person"], root.id)

    @strawberry.field(
        description="Hardship categories (R2); only those holding today by default.",
        extensions=public_part,
    )
    @staticmethod
    @prefetchable
    def categories(
        root: models.Person,
        info: Info,
        active_only: Annotated[
            bool,
            strawberry.argument(
                description="Only the categories holding today; false: every assignment, "
                "ended and future ones too."
            ),
        ] = True,
    ) -> list[CategoryAssignment]:
        rows = ready(info.context.loaders["categories"], root.id)
        if not active_only:
            return rows
        today = info.context.today
        return then(
            rows,
            lambda rows: [
                r for r in rows if holds(r.valid_from, r.valid_to, today, end_inclusive=True)
            ],
        )

    @strawberry.field(
        description="The five bottom-line indicators and the five goals, judged today, "
        "with the reasons and the deciding modules (R3).",
        extensions=child_guarded,
        metadata=JUDGES_ONE,  # one person judged (or read from the table), for each person
    )
    @staticmethod
    @prefetchable
    def bottom_line(root: models.Person, info: Info) -> BottomLineType | None:
        return ready(info.context.loaders["bottom_line"], root.id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, models.Person)


@node_source(models.Household, loader="household")
class HouseholdCore(Node):
    address: str | None = strawberry.field(
        description="Street address as registered, free text; null when not recorded."
    )
    is_key_household: bool = strawberry.field(description="重点户: set by screening (R5).")
    version: int = strawberry.field(description="Pass as `expectedVersion` to update.")

    @strawberry.field(description="The global ID of the household.")
    @staticmethod
    @direct
    def id(root: models.Household) -> strawberry.ID:
        return strawberry.ID(to_global_id("Household", root.id))

    @strawberry.field(description="The region (usually a village) the household lives in.")
    @staticmethod
    @prefetchable
    def region(root: models.Household, info: Info) -> Region:
        return ready(info.context.loaders["region"], root.region_code)

    @strawberry.field(description="Current members; with `includeEnded`, the history too.")
    @staticmethod
    @prefetchable
    def members(
        root: models.Household,
        info: Info,
        include_ended: Annotated[
            bool,
            strawberry.argument(description="Also the memberships that have ended (history)."),
        ] = False,
    ) -> list[Membership]:
        loader = "members_with_history" if include_ended else "members"
        return ready(info.context.loaders[loader], root.id)

    @strawberry.field(description="The head of household (户主).")
    @staticmethod
    @prefetchable
    def head(root: models.Household, info: Info) -> PersonType | None:
        loaders = info.context.loaders

        def person_of(members: list[Any]) -> Any:
            head = next((m for m in members if m.relation == models.Relation.HEAD), None)
            return None if head is None else ready(loaders["person"], head.person_id)

        return then(ready(loaders["members"], root.id), person_of)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, models.Household)


PersonBase = strawberry.type(PersonCore, name="Person")
HouseholdBase = strawberry.type(HouseholdCore, name="Household")


def build_core_types(extensions: list[tuple[str, str, type]]) -> tuple[type, type]:
    """Compose Person and Household with the plugins' mixins.

    :param extensions: ``(plugin, core type name, mixin)`` from the plugin host.
    :returns: the composed ``Person`` and ``Household``; every other type refers to them
        through ``bangfu.schema.composed`` (set them there with ``composing`` to build).
    """
    unknown = {type_name for _plugin, type_name, _mixin in extensions} - {"Person", "Household"}
    if unknown:
        raise SchemaCompositionError(
            f"plugins may extend Person and Household only, not {', '.join(sorted(unknown))}"
        )
    person = compose(
        "Person",
        PersonBase,
        [(plugin, mixin) for plugin, type_name, mixin in extensions if type_name == "Person"],
        "A person in the registry (R2).",
    )
    household = compose(
        "Household",
        HouseholdBase,
        [(plugin, mixin) for plugin, type_name, mixin in extensions if type_name == "Household"],
        "A household (户) with its members (R2).",
    )
    return person, household
