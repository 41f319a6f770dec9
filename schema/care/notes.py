"""Who may read the free text of the care work, and the audit of every such read.

Screening-visit notes, problem descriptions and five-knowns notes say what a household
lives with ("户主重性精神病, 长期服药"): sensitive personal information (PIPL art. 28),
guarded like a person's sensitive fields. Reading one needs ``registry:read-sensitive``
— city administrators, civil-affairs officers and paired officials; area scoping limits
each to their area's rows and a paired official to the rows about its own persons. A
note about one person (a problem of a member, a five-knowns item) is that person's data
too: the reader must see the person, and for a child under 14 hold what the child's data
needs. Everyone else gets null and a ``FORBIDDEN`` error at that field, the rest of the
object intact.

Every read of a note that has text is audited: one ``ok`` row per request and kind of
note (the notes of one kind are checked in one batch), naming the households or persons
and the records; every refusal leaves core's ``denied`` row.
"""

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from bangfu.core.i18n import _
from bangfu.core.security.audit import Outcome
from bangfu.schema.access import ChildDataGuard
from bangfu.schema.audit import audit_denial, audit_event
from bangfu.schema.permissions import IsAuthenticated
from bangfu.schema.relay import to_global_id

READ_NOTES = "registry:read-sensitive"
CHILD_DATA = "registry:read-sensitive"
_CHILD = ChildDataGuard(CHILD_DATA)

# (record's type, record's key, household key or None, person key or None)
NoteKey = tuple[str, int, int | None, int | None]


class NoteGuard(BasePermission):
    """A care note needs :data:`READ_NOTES` (and, about one person, sight of that person
    and, for a child under 14, :data:`CHILD_DATA`). Reads and refusals are audited."""

    error_extensions = {"code": "FORBIDDEN"}

    @property
    def message(self) -> str:  # type: ignore[override]
        return _(
            "care notes are sensitive personal information: they need {action}",
            action=READ_NOTES,
        )

    def __init__(self, record_type: str, attribute: str) -> None:
        """:param record_type: the model of the source (the type its audit targets name).
        :param attribute: the source's attribute that holds the note."""
        self.record_type = record_type
        self.attribute = attribute

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        context = info.context
        allowed = bool(context.allowed(READ_NOTES, source))
        person_id = getattr(source, "person_id", None)
        if allowed and person_id is not None:
            person = await context.loaders["person"].load(person_id)
            allowed = person is not None and _CHILD.allows(person, info)
        if not allowed:
            await audit_denial(info, READ_NOTES, "FORBIDDEN", kwargs)
            return False
        if getattr(source, self.attribute, None):
            key = (self.record_type, source.id, getattr(source, "household_id", None), person_id)
            await _reads(info, f"{info.path.typename}.{info.field_name}").load(key)
        return True


def note_access(record_type: str, attribute: str) -> list[FieldExtension]:
    """The rule of a care note: ``ScreeningVisit.notes``, ``Problem.description``,
    ``FiveKnownEntry.note`` (a source with ``id``, and ``household_id`` or
    ``person_id``)."""
    return [
        PermissionExtension(
            permissions=[IsAuthenticated(READ_NOTES), NoteGuard(record_type, attribute)],
            use_directives=False,
        )
    ]


def _reads(info: Info, field: str) -> DataLoader[NoteKey, bool]:
    """The request's loader that audits a batch of reads of ``field`` in one row."""
    name = f"care_note_reads:{field}"
    loaders = info.context.loaders
    found = loaders.get(name)
    if found is None:
        found = loaders[name] = DataLoader(_audited(info.context, f"query:{field}"))
    return found


def _audited(
    context: Any, operation: str
) -> Callable[[Sequence[NoteKey]], Coroutine[Any, Any, list[bool]]]:
    async def load(keys: Sequence[NoteKey]) -> list[bool]:
        about: set[str] = set()
        for _type, _key, household, person in keys:
            if person is not None:
                about.add(to_global_id("Person", person))
            elif household is not None:
                about.add(to_global_id("Household", household))
        await audit_event(
            context,
            operation,
            Outcome.OK,
            targets=sorted(about)
            + [to_global_id(kind, record) for kind, record, _household, _person in keys],
            details={"action": READ_NOTES, "records": len(keys)},
        )
        return [True] * len(keys)

    return load
