"""The GraphQL of the care work (R4-R7): screening, plans, pairing, care events, donations.

:data:`CARE_QUERIES` and :data:`CARE_MUTATIONS` are the care parts of the ``Query`` and
``Mutation`` roots, declared at module level; ``bangfu.schema.build`` merges them with
core's.
"""

from bangfu.schema.care.donations import DonationMutation, DonationQuery
from bangfu.schema.care.events import CareEventMutation, CareEventQuery
from bangfu.schema.care.pairing import PairingMutation, PairingQuery
from bangfu.schema.care.plans import PlanMutation, PlanQuery
from bangfu.schema.care.screening import ScreeningMutation, ScreeningQuery

CARE_QUERIES: tuple[type, ...] = (
    ScreeningQuery,
    PlanQuery,
    PairingQuery,
    CareEventQuery,
    DonationQuery,
)
CARE_MUTATIONS: tuple[type, ...] = (
    ScreeningMutation,
    PlanMutation,
    PairingMutation,
    CareEventMutation,
    DonationMutation,
)

__all__ = ["CARE_MUTATIONS", "CARE_QUERIES"]
