"""The education plugin's DataLoaders: one statement per batch, whatever the page size.

Registered for each request by ``bangfu_graphql_context``; they run on the request's read
session, so area scoping applies to them like to any other statement.
"""

from typing import Any

from strawberry.dataloader import DataLoader

from bangfu.core.effective import current
from bangfu.plugin import by_key, grouped
from bangfu.plugins.education.models import EducationAid, Enrolment
from bangfu.plugins.education.rules import school_year

CURRENT_ENROLMENT = "education_current_enrolment"
ENROLMENTS = "education_enrolments"
AID_THIS_SCHOOL_YEAR = "education_aid_this_school_year"


def add_loaders(context: Any) -> None:
    """Add the plugin's loaders (keyed by person ID) to ``context.loaders``."""
    first_day, last_day = school_year(context.today)
    context.loaders[CURRENT_ENROLMENT] = DataLoader(
        by_key(
            context,
            Enrolment,
            Enrolment.person_id,
            current(Enrolment.start_date, Enrolment.end_date, context.today),
        )
    )
    context.loaders[ENROLMENTS] = DataLoader(
        grouped(
            context,
            Enrolment,
            Enrolment.person_id,
            order_by=(Enrolment.start_date.desc(), Enrolment.id.desc()),
        )
    )
    context.loaders[AID_THIS_SCHOOL_YEAR] = DataLoader(
        grouped(
            context,
            EducationAid,
            EducationAid.person_id,
            EducationAid.granted_on.between(first_day, last_day),
            order_by=(EducationAid.granted_on, EducationAid.id),
        )
    )
