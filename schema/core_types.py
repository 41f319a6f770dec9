"""The composed core types: ``Person`` and ``Household`` built from core fields plus every
plugin's mixins, and the types that refer to them (built per schema, after composition).

No ``from __future__ import annotations`` here: the classes are built inside a function
and their annotations must be real objects. ``Person``, ``Household`` and ``Membership``
refer to each other through ``strawberry.lazy`` on a module made for each build, so two
schemas with different plugin sets never share a composed class.
"""

import dataclasses
import datetime as dt
import itertools
import sys
import types
from typing import Annotated, Any, cast

import strawberry
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from bangfu.core.calendar import age_on
from bangfu.core.registry import models
from bangfu.core.registry.persons import masked_id_number
from bangfu.core.security.crypto import DecryptionError
from bangfu.schema.access import person_data
from bangfu.schema.bottomline import BottomLineType, present_line
from bangfu.schema.connections import connection_types
from bangfu.schema.prefetch import direct, prefetchable, ready, then
from bangfu.schema.relay import Node, to_global_id
from bangfu.schema.scan_cost import JUDGED_PERSON, scan_cost
from bangfu.schema.types import CategoryAssignment, Disability, Region

_builds = itertools.count(1)


class SchemaCompositionError(RuntimeError):
    """Two contributions to one GraphQL type use the same field name."""


@dataclasses.dataclass(frozen=True)
class CoreTypes:
    """What plugins receive as ``core_types`` when they build their own types."""

    Person: type
    Household: type
    Membership: type
    PersonConnection: type
    PersonEdge: type
    HouseholdConnection: type
    HouseholdEdge: type


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
                f
                for f in mixin.__strawberry_definition__.fields
                if f.python_name == python  # type: ignore[attr-defined]
            )
            if not _is_nullable(field):
                raise SchemaCompositionError(
                    f"plugin {plugin}: field {name}.{graphql} must be nullable "
                    "(a denied field must not null the whole object)"
                )
            owners[graphql] = plugin
            python_owners[python] = plugin
    composed = type(name, (base, *(mixin for _, mixin in mixins)), {})
    return strawberry.type(composed, name=name, description=description)


def _is_nullable(field: Any) -> bool:
    from strawberry.types.base import StrawberryOptional

    return isinstance(field.type, StrawberryOptional)


def build_core_types(extensions: list[tuple[str, str, type]]) -> CoreTypes:
    """Compose Person and Household with the plugins' mixins and build what refers to them.

    :param extensions: ``(plugin, core type name, mixin)`` from the plugin host.
    """
    unknown = {type_name for _, type_name, _ in extensions} - {"Person", "Household"}
    if unknown:
        raise SchemaCompositionError(
            f"plugins may extend Person and Household only, not {', '.join(sorted(unknown))}"
        )
    namespace = types.ModuleType(f"schema._composed_{next(_builds)}")
    sys.modules[namespace.__name__] = namespace

    def lazy(type_name: str) -> Any:
        return Annotated[type_name, strawberry.lazy(namespace.__name__)]

    PersonRef = lazy("Person")
    HouseholdRef = lazy("Household")
    MembershipRef = lazy("Membership")

    @strawberry.type(name="Membership", description="A person's membership of a household.")
    class Membership:
        relation: models.Relation = strawberry.field(description="Relation to the head.")
        start_date: dt.date
        end_date: dt.date | None = strawberry.field(description="Empty while current.")
        end_reason: str | None

        @strawberry.field
        @direct
        def id(self) -> strawberry.ID:
            return strawberry.ID(to_global_id("Membership", cast(Any, self).id))

        @strawberry.field(description="The member; null when you may not see this person.")
        @prefetchable
        def person(self, info: Info) -> PersonRef | None:  # type: ignore[valid-type]
            return ready(info.context.loaders["person"], self.person_id)  # type: ignore[attr-defined,no-any-return]

        @strawberry.field
        @prefetchable
        def household(self, info: Info) -> HouseholdRef:  # type: ignore[valid-type]
            return ready(info.context.loaders["household"], self.household_id)  # type: ignore[attr-defined,no-any-return]

        @classmethod
        def is_type_of(cls, obj: Any, _info: Any) -> bool:
            return isinstance(obj, models.Membership)

    # Anyone who may read a person sees name, age, area and categories; everything else
    # about a child under 14 only roles whose duty needs it (bangfu.schema.access.person_data).
    public_part = person_data(child=None)
    child_guarded = person_data()

    class PersonCore(Node):
        name: str = strawberry.field(extensions=public_part)
        sex: models.Sex | None = strawberry.field(
            description="Derived from the ID number.", extensions=child_guarded
        )
        birth_date: dt.date | None = strawberry.field(
            description="Derived from the ID number. With the masked ID number it would give "
            "the whole number away, so it is shown only to roles whose duty needs it.",
            extensions=person_data(sensitive="registry:read-sensitive"),
        )
        phone: str | None = strawberry.field(extensions=child_guarded)
        hukou_type: models.HukouType | None = strawberry.field(extensions=child_guarded)
        deceased: bool | None = strawberry.field(extensions=child_guarded)
        is_key_person: bool | None = strawberry.field(
            description="重点人: set by screening (R5).", extensions=child_guarded
        )
        version: int | None = strawberry.field(
            description="Pass as `expectedVersion` to update.", extensions=child_guarded
        )

        @strawberry.field(description="The global ID of the person.")
        @direct
        def id(self) -> strawberry.ID:
            return strawberry.ID(to_global_id("Person", self.id))  # type: ignore[attr-defined]

        @strawberry.field(
            description="ID number (GB 11643), masked: at most the first 6 and last 4 "
            "characters, never the birth date. `personReveal` shows it in full.",
            extensions=child_guarded,
        )
        @direct
        def id_number(self, info: Info) -> str | None:
            try:
                return masked_id_number(info.context.cipher, cast(Any, self))
            except DecryptionError as exc:
                raise PermissionError("the stored ID number failed its integrity check") from exc

        @strawberry.field(
            description="Completed years of age today (Asia/Shanghai).", extensions=public_part
        )
        @direct
        def age(self, info: Info) -> int:
            return age_on(cast(Any, self).birth_date, info.context.today)

        @strawberry.field(description="Region of residence.", extensions=public_part)
        @prefetchable
        def region(self, info: Info) -> Region:
            return ready(info.context.loaders["region"], self.region_code)  # type: ignore[attr-defined,return-value]

        @strawberry.field(
            description="Disability (GB/T 26341), if any: sensitive (PIPL art. 28).",
            extensions=person_data(sensitive="registry:read-sensitive"),
        )
        @direct
        def disability(self) -> Disability | None:
            if self.disability_category is None:  # type: ignore[attr-defined]
                return None
            return Disability(
                category=self.disability_category,  # type: ignore[attr-defined]
                grade=self.disability_grade,  # type: ignore[attr-defined]
                certified_on=self.disability_certified_on,  # type: ignore[attr-defined]
            )

        @strawberry.field(
            description="The guardian (for a child), if recorded.", extensions=child_guarded
        )
        @prefetchable
        def guardian(self, info: Info) -> PersonRef | None:  # type: ignore[valid-type]
            if self.guardian_id is None:  # type: ignore[attr-defined]
                return None
            return ready(info.context.loaders["person"], self.guardian_id)  # type: ignore[attr-defined,no-any-return]

        @strawberry.field(
            description="The household the person belongs to now.", extensions=child_guarded
        )
        @prefetchable
        def household(self, info: Info) -> HouseholdRef | None:  # type: ignore[valid-type]
            loaders = info.context.loaders
            return then(  # type: ignore[no-any-return]
                ready(loaders["current_membership"], self.id),  # type: ignore[attr-defined]
                lambda m: None if m is None else ready(loaders["household"], m.household_id),
            )

        @strawberry.field(
            description="Relation to the head of the current household.",
            extensions=child_guarded,
        )
        @prefetchable
        def relation_to_head(self, info: Info) -> models.Relation | None:
            return then(  # type: ignore[no-any-return]
                ready(info.context.loaders["current_membership"], self.id),  # type: ignore[attr-defined]
                lambda m: None if m is None else m.relation,
            )

        @strawberry.field(
            description="Every household membership, past and present.",
            extensions=child_guarded,
        )
        @prefetchable
        def memberships(self, info: Info) -> list[MembershipRef] | None:  # type: ignore[valid-type]
            return ready(info.context.loaders["memberships_of_person"], self.id)  # type: ignore[attr-defined,no-any-return]

        @strawberry.field(
            description="Hardship categories (R2); only those holding today by default.",
            extensions=public_part,
        )
        @prefetchable
        def categories(self, info: Info, active_only: bool = True) -> list[CategoryAssignment]:
            rows = ready(info.context.loaders["categories"], self.id)  # type: ignore[attr-defined]
            if not active_only:
                return rows  # type: ignore[return-value]
            today = info.context.today
            return then(  # type: ignore[no-any-return]
                rows,
                lambda rows: [
                    r
                    for r in rows
                    if r.valid_from <= today and (r.valid_to is None or r.valid_to >= today)
                ],
            )

        @strawberry.field(
            description="The five bottom-line indicators and the five goals, judged today, "
            "with the reasons and the deciding modules (R3).",
            extensions=child_guarded,
            metadata=scan_cost(fixed=JUDGED_PERSON),  # one person judged, for each person
        )
        @prefetchable
        def bottom_line(self, info: Info) -> BottomLineType | None:
            return then(  # type: ignore[no-any-return]
                ready(info.context.loaders["bottom_line"], self.id),  # type: ignore[attr-defined]
                lambda line: None if line is None else present_line(line),
            )

        @classmethod
        def is_type_of(cls, obj: Any, _info: Any) -> bool:
            return isinstance(obj, models.Person)

    class HouseholdCore(Node):
        address: str | None
        is_key_household: bool = strawberry.field(description="重点户: set by screening (R5).")
        version: int = strawberry.field(description="Pass as `expectedVersion` to update.")

        @strawberry.field(description="The global ID of the household.")
        @direct
        def id(self) -> strawberry.ID:
            return strawberry.ID(to_global_id("Household", self.id))  # type: ignore[attr-defined]

        @strawberry.field
        @prefetchable
        def region(self, info: Info) -> Region:
            return ready(info.context.loaders["region"], self.region_code)  # type: ignore[attr-defined,return-value]

        @strawberry.field(description="Current members; with `includeEnded`, the history too.")
        @prefetchable
        def members(self, info: Info, include_ended: bool = False) -> list[Membership]:
            loader = "members_with_history" if include_ended else "members"
            return ready(info.context.loaders[loader], self.id)  # type: ignore[attr-defined,return-value]

        @strawberry.field(description="The head of household (户主).")
        @prefetchable
        def head(self, info: Info) -> PersonRef | None:  # type: ignore[valid-type]
            loaders = info.context.loaders

            def person_of(members: list[Any]) -> Any:
                head = next((m for m in members if m.relation == models.Relation.HEAD), None)
                return None if head is None else ready(loaders["person"], head.person_id)

            return then(ready(loaders["members"], self.id), person_of)  # type: ignore[attr-defined,no-any-return]

        @classmethod
        def is_type_of(cls, obj: Any, _info: Any) -> bool:
            return isinstance(obj, models.Household)

    person_base = strawberry.type(PersonCore, name="Person")
    household_base = strawberry.type(HouseholdCore, name="Household")
    person = compose(
        "Person",
        person_base,
        [(plugin, mixin) for plugin, type_name, mixin in extensions if type_name == "Person"],
        "A person in the registry (R2).",
    )
    household = compose(
        "Household",
        household_base,
        [(plugin, mixin) for plugin, type_name, mixin in extensions if type_name == "Household"],
        "A household (户) with its members (R2).",
    )
    person_edge, person_connection = connection_types(person, "Person")
    household_edge, household_connection = connection_types(household, "Household")
    namespace.Person = person  # type: ignore[attr-defined]
    namespace.Household = household  # type: ignore[attr-defined]
    namespace.Membership = Membership  # type: ignore[attr-defined]
    return CoreTypes(
        Person=person,
        Household=household,
        Membership=Membership,
        PersonConnection=person_connection,
        PersonEdge=person_edge,
        HouseholdConnection=household_connection,
        HouseholdEdge=household_edge,
    )
