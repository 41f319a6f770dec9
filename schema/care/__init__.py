"""The GraphQL of the care work (R4-R7): screening, plans, pairing, care events, donations.

:func:`build_care` returns the care parts of the ``Query`` and ``Mutation`` roots for the
composed core types; ``bangfu.schema.build`` merges them with core's.
"""

from bangfu.schema.care import donations, events, pairing, plans, screening
from types import SimpleNamespace as CoreTypes  # TEMPORARY


def build_care(core: CoreTypes) -> tuple[list[type], list[type]]:
    """``(query parts, mutation parts)`` of the care work."""
    screening_query, screening_mutation, problem_type = screening.build(core)
    plan_query, plan_mutation, measure_type = plans.build(core, problem_type)
    pairing_query, pairing_mutation = pairing.build(core)
    event_query, event_mutation = events.build(core)
    donation_query, donation_mutation = donations.build(measure_type)
    return (
        [screening_query, plan_query, pairing_query, event_query, donation_query],
        [screening_mutation, plan_mutation, pairing_mutation, event_mutation, donation_mutation],
    )
