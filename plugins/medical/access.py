"""Who may read which illness a person has (PIPL art. 28), and the audit of every such read.

Everyone who may read ``Person.medical`` sees that a person has conditions, how many and
whether one is serious, and that they were in hospital and when. *Which* illness — a
condition's code, name and diagnosis, and the hospital of a stay (a tumour or a
psychiatric hospital tells the illness) — only the medical department, city
administrators and the person's own paired official see; everyone else gets null and a
FORBIDDEN error at that field, the rest intact.

``bangfu.schema.access.person_data`` guards fields whose source is a ``Person``; these fields
belong to a condition or a stay, and the paired official's right depends on the row's
person, so the guard is our own, built like core's.
"""

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from sqlalchemy import select
from strawberry.dataloader import DataLoader
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from bangfu.core.effective import in_force
from bangfu.core.i18n import _
from bangfu.plugin import Action, Actor, Outcome, Pairing, Role, audit_event, to_global_id
from bangfu.plugins.medical.models import Hospitalisation
from bangfu.schema.permissions import IsAuthenticated

READ_DIAGNOSIS = "medical:read-diagnosis"
# The audit rows of reads (and refusals) of the guarded fields: one per request and kind
# of record (the records of one kind are loaded, and checked, in one batch).
OPERATIONS = {
    "MedicalCondition": "query:MedicalCondition.diagnosis",
    "MedicalHospitalisation": "query:MedicalHospitalisation.hospital",
}

# Who reads every diagnosis in their area, as opposed to a paired official, who reads
# only those of the persons paired with them.
_WHOLE_AREA = Action(
    READ_DIAGNOSIS,
    "",
    frozenset({Role.CITY_ADMINISTRATOR, Role.DEPARTMENT_OFFICER}),
    department="medical",
)

BatchLoad = Callable[[Sequence[tuple[int, int]]], Coroutine[Any, Any, list[bool]]]


def read_diagnosis_action() -> Action:
    return Action(
        READ_DIAGNOSIS,
        "Read which illness a person has: the code, name and diagnosis of conditions and "
        "the hospital of stays (PIPL art. 28); paired officials only of their own persons",
        frozenset({Role.CITY_ADMINISTRATOR, Role.PAIRED_OFFICIAL, Role.DEPARTMENT_OFFICER}),
        department="medical",
    )


def needs_pairing(actor: Actor) -> bool:
    """Whether the actor reads diagnoses only as a paired official, and is not scoped to
    its paired persons already (a paired official holding another role sees its whole
    area, but only its own persons' diagnoses)."""
    return (
        Role.PAIRED_OFFICIAL in actor.roles
        and not _WHOLE_AREA.granted_to(actor)
        and not actor.paired_only
    )


def _kind(source: Any) -> str:
    return "MedicalHospitalisation" if isinstance(source, Hospitalisation) else "MedicalCondition"


class DiagnosisGuard(BasePermission):
    """Which illness needs ``medical:read-diagnosis`` (and, for a paired official, a
    current pairing with the row's person). Every read and refusal is audited."""

    error_extensions = {"code": "FORBIDDEN"}

    def on_unauthorized(self) -> None:
        # The message in the request's language, so written when refused, not at import.
        raise self.error_class(
            _(
                "which illness a person has is sensitive personal information: it needs {action}",
                action=READ_DIAGNOSIS,
            ),
            extensions=dict(self.error_extensions),
        )

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        context = info.context
        allowed = context.allowed(READ_DIAGNOSIS, source)
        if allowed and needs_pairing(context.actor):
            pairings = await context.loaders["medical_pairings"].load(source.person_id)
            allowed = any(p.official_id == context.actor.id for p in pairings)
        # One row per batch of records, committed before anything is shown (core's
        # audit_denial would write one per field name, racing each other).
        outcome = "reads" if allowed else "denials"
        await context.loaders[f"medical_{outcome}:{_kind(source)}"].load(
            (source.id, source.person_id)
        )
        return allowed


def diagnosis_access() -> list[FieldExtension]:
    """The rule of ``MedicalCondition.diagnosisCode``, ``diagnosisName``, ``diagnosis``
    and ``MedicalHospitalisation.hospital``."""
    return [
        PermissionExtension(
            permissions=[IsAuthenticated(READ_DIAGNOSIS), DiagnosisGuard()],
            use_directives=False,
        )
    ]


def active_pairings(context: Any) -> Callable[[Sequence[int]], Coroutine[Any, Any, list[Any]]]:
    """Per person, the pairings holding today (at most one, but a hand-over day may
    show the ending and the starting one)."""

    async def load(person_ids: Sequence[int]) -> list[list[Pairing]]:
        today = context.today
        statement = select(Pairing).where(
            Pairing.person_id.in_(person_ids),
            in_force(Pairing.start_date, Pairing.end_date, today),
        )
        async with context.read() as session:
            rows = (await session.scalars(statement)).all()
        return [[p for p in rows if p.person_id == person_id] for person_id in person_ids]

    return load


def audit_loaders(context: Any) -> dict[str, DataLoader[Any, Any]]:
    """Per kind of record, a loader that audits a batch of unmasked reads (one ``ok``
    row naming the persons and records) and one that audits a batch of refusals (one
    ``denied`` row, like core's denials). Keys are ``(record id, person id)``."""
    loaders: dict[str, DataLoader[Any, Any]] = {}
    for kind, operation in OPERATIONS.items():
        loaders[f"medical_reads:{kind}"] = DataLoader(
            _audited(context, kind, operation, Outcome.OK, {"action": READ_DIAGNOSIS})
        )
        loaders[f"medical_denials:{kind}"] = DataLoader(
            _audited(
                context,
                kind,
                operation,
                Outcome.DENIED,
                {"action": READ_DIAGNOSIS, "code": "FORBIDDEN"},
            )
        )
    return loaders


def _audited(
    context: Any, kind: str, operation: str, outcome: str, details: dict[str, Any]
) -> BatchLoad:
    async def load(keys: Sequence[tuple[int, int]]) -> list[bool]:
        persons = sorted({person_id for _, person_id in keys})
        await audit_event(
            context,
            operation,
            outcome,
            targets=[to_global_id("Person", p) for p in persons]
            + [to_global_id(kind, record) for record, _ in keys],
            details={**details, "records": len(keys)},
        )
        return [True] * len(keys)

    return load
