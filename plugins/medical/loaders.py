"""The medical plugin's per-request DataLoaders: one statement per batch, area-scoped."""

from typing import Any

from strawberry.dataloader import DataLoader

from bangfu.plugin import by_key, grouped
from bangfu.plugins.medical.access import active_pairings, audit_loaders
from bangfu.plugins.medical.models import (
    Hospitalisation,
    InsuranceEnrolment,
    MedicalAidClaim,
    MedicalCondition,
)


def medical_loaders(context: Any) -> dict[str, DataLoader[Any, Any]]:
    return {
        "medical_insurance": DataLoader(
            grouped(
                context,
                InsuranceEnrolment,
                InsuranceEnrolment.person_id,
                order_by=(InsuranceEnrolment.year.desc(),),
            )
        ),
        "medical_conditions": DataLoader(
            grouped(
                context,
                MedicalCondition,
                MedicalCondition.person_id,
                order_by=(MedicalCondition.diagnosed_on.desc(), MedicalCondition.id.desc()),
            )
        ),
        "medical_hospitalisations": DataLoader(
            grouped(
                context,
                Hospitalisation,
                Hospitalisation.person_id,
                order_by=(Hospitalisation.admitted_on.desc(), Hospitalisation.id.desc()),
            )
        ),
        "medical_hospitalisation": DataLoader(by_key(context, Hospitalisation, Hospitalisation.id)),
        "medical_claims": DataLoader(
            grouped(
                context,
                MedicalAidClaim,
                MedicalAidClaim.person_id,
                order_by=(MedicalAidClaim.settled_on.desc(), MedicalAidClaim.id.desc()),
            )
        ),
        "medical_pairings": DataLoader(active_pairings(context)),
        **audit_loaders(context),
    }
