"""The registry core (R1, R2): regions, organisations, persons, households, categories."""

from bangfu.core.registry.models import (
    Category,
    CategoryAssignment,
    Household,
    HukouType,
    Membership,
    Organisation,
    OrganisationKind,
    Person,
    Region,
    RegionLevel,
    Relation,
    Sex,
)
from bangfu.core.registry.scoping import AreaPathScoped, GlobalModel, HouseholdScoped, PersonScoped

__all__ = [
    "AreaPathScoped",
    "Category",
    "CategoryAssignment",
    "GlobalModel",
    "Household",
    "HouseholdScoped",
    "HukouType",
    "Membership",
    "Organisation",
    "OrganisationKind",
    "Person",
    "PersonScoped",
    "Region",
    "RegionLevel",
    "Relation",
    "Sex",
]
