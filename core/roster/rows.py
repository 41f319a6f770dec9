"""One roster row: every cell parsed, or a reason per bad cell. Touches no database."""

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bangfu.core import idnumber
from bangfu.core.registry.models import Category, HukouType, Relation
from bangfu.core.roster.columns import RosterColumns, RosterSubject, RosterTarget, RosterValueError
from bangfu.core.roster.headers import Column
from bangfu.core.roster.read import cell_text
from bangfu.core.roster.tables import lookup
from bangfu.core.roster.values import day

RELATIONS: dict[str, Relation] = {
    **{r.value.lower(): r for r in Relation},
    "户主": Relation.HEAD,
    "本人": Relation.HEAD,
    "配偶": Relation.SPOUSE,
    "妻": Relation.SPOUSE,
    "妻子": Relation.SPOUSE,
    "夫": Relation.SPOUSE,
    "丈夫": Relation.SPOUSE,
    "子女": Relation.CHILD,
    "子": Relation.CHILD,
    "女": Relation.CHILD,
    "儿子": Relation.CHILD,
    "女儿": Relation.CHILD,
    "长子": Relation.CHILD,
    "次子": Relation.CHILD,
    "长女": Relation.CHILD,
    "次女": Relation.CHILD,
    "养子": Relation.CHILD,
    "养女": Relation.CHILD,
    "父母": Relation.PARENT,
    "父亲": Relation.PARENT,
    "母亲": Relation.PARENT,
    "孙子女": Relation.GRANDCHILD,
    "孙子": Relation.GRANDCHILD,
    "孙女": Relation.GRANDCHILD,
    "外孙子": Relation.GRANDCHILD,
    "外孙女": Relation.GRANDCHILD,
    "祖父母": Relation.GRANDPARENT,
    "祖父": Relation.GRANDPARENT,
    "祖母": Relation.GRANDPARENT,
    "外祖父": Relation.GRANDPARENT,
    "外祖母": Relation.GRANDPARENT,
    "兄弟姐妹": Relation.SIBLING,
    "兄": Relation.SIBLING,
    "弟": Relation.SIBLING,
    "姐": Relation.SIBLING,
    "妹": Relation.SIBLING,
    "其他亲属": Relation.OTHER_RELATIVE,
    "其他": Relation.OTHER,
}

CATEGORIES: dict[str, Category] = {
    **{c.value.lower(): c for c in Category},
    "孤儿": Category.ORPHAN,
    "事实无人抚养儿童": Category.DE_FACTO_UNSUPPORTED_CHILD,
    "困境儿童": Category.CHILD_IN_DIFFICULTY,
    "特困人员": Category.SPECIAL_HARDSHIP,
    "城乡特困人员": Category.SPECIAL_HARDSHIP,
    "特困": Category.SPECIAL_HARDSHIP,
    "低保": Category.DIBAO,
    "低保家庭": Category.DIBAO,
    "低保户": Category.DIBAO,
    "贫困残疾人": Category.POOR_DISABLED,
    "困难优抚安置对象": Category.ENTITLED_GROUP,
    "优抚对象": Category.ENTITLED_GROUP,
}

HUKOU: dict[str, HukouType] = {
    **{h.value.lower(): h for h in HukouType},
    "城镇": HukouType.URBAN,
    "非农业": HukouType.URBAN,
    "城市": HukouType.URBAN,
    "农村": HukouType.RURAL,
    "农业": HukouType.RURAL,
}

_PHONE = re.compile(r"\+?[0-9][0-9-]{4,30}", re.ASCII)
_REGION = re.compile(r"[0-9]{6}(?:[0-9]{3}(?:[0-9]{3})?)?", re.ASCII)


@dataclasses.dataclass(slots=True)
class Problem:
    """A bad cell (``column`` is its key), a bad row (no column) or the file (row 0)."""

    row: int
    column: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclasses.dataclass(slots=True)
class RosterRow:
    """A row whose cells all parsed."""

    row: int
    id_number: idnumber.IdNumber
    head_id_number: str
    name: str
    relation: Relation
    region_code: str | None = None
    address: str | None = None
    phone: str | None = None
    hukou_type: HukouType | None = None
    categories: tuple[Category, ...] = ()
    category_valid_from: dt.date | None = None
    disability: tuple[int, int] | None = None
    # Plugin groups with a value on this row: group index -> {key: parsed value}.
    plugin_values: dict[int, dict[str, Any]] = dataclasses.field(default_factory=dict)
    digest: str = ""

    @property
    def is_head(self) -> bool:
        return self.relation is Relation.HEAD


def _categories(text: str) -> tuple[Category, ...]:
    names = [p for p in re.split(r"[、,，;；/\s]+", text) if p]
    accepted = "孤儿, 事实无人抚养儿童, 困境儿童, 特困人员, 低保, 贫困残疾人, 困难优抚安置对象"
    found = tuple(dict.fromkeys(lookup(CATEGORIES, n, "category", accepted) for n in names))
    return found


def _whole(text: str, low: int, high: int, what: str) -> int:
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise RosterValueError(f"{what} must be a whole number from {low} to {high}")
    return int(text)


@dataclasses.dataclass(slots=True)
class ParsedRow:
    """One data row parsed: the row, or None with every problem found; and warnings."""

    row: RosterRow | None
    problems: list[Problem]
    warnings: list[Problem]
    #: The head's ID number when this is a head's row (relation 户主, or its own ID number
    #: as the head's), even when the row has problems: its members then need no problem
    #: of their own for a missing head.
    head_of: str | None = None


def parse_row(
    number: int,
    cells: Sequence[Any],
    by_index: Mapping[int, Column],
    groups: Sequence[RosterColumns],
    today: dt.date,
) -> ParsedRow:
    """Parse one data row (see :class:`ParsedRow`)."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    raw: dict[str, Any] = {}
    for index, column in by_index.items():
        raw[column.key] = cells[index] if index < len(cells) else None

    def bad(key: str | None, reason: str) -> None:
        problems.append(Problem(number, key, reason))

    def id_cell(key: str) -> idnumber.IdNumber | None:
        try:
            parsed = idnumber.parse_spreadsheet_cell(raw.get(key), today=today)
        except idnumber.IdNumberError as exc:
            bad(key, exc.reason)
            return None
        if parsed.upgraded_from_legacy and key == "id_number":
            warnings.append(Problem(number, key, "a 15-digit number, upgraded to 18 characters"))
        warnings.extend(Problem(number, key, w) for w in parsed.warnings if "000" in w)
        return parsed

    person_id = id_cell("id_number")
    head_id = id_cell("head_id_number")
    text = {key: cell_text(value) for key, value in raw.items() if key in _CORE_KEYS}
    name = text.get("name")
    if name is None:
        bad("name", "a name is required")
    elif len(name) > 100:
        bad("name", "a name has at most 100 characters")
    relation = None
    relation_text = text.get("relation")
    if relation_text is None:
        bad("relation", "the relation to the head is required (户主 on the head's row)")
    else:
        try:
            relation = lookup(RELATIONS, relation_text, "relation", "户主, 配偶, 子女, ...")
        except RosterValueError as exc:
            bad("relation", exc.reason)
    row = RosterRow(
        number,
        person_id,  # type: ignore[arg-type]
        head_id.value if head_id else "",
        name or "",
        relation,  # type: ignore[arg-type]
    )
    if person_id and head_id and relation is not None:
        if (relation is Relation.HEAD) != (person_id.value == head_id.value):
            bad(
                "relation",
                "the head's row has relation 户主 and its own ID number as the head's; "
                "every other row has another relation",
            )
    _optional_core(row, text, bad)
    _plugin_cells(row, raw, groups, bad, today)
    head_of = None
    if head_id and (relation is Relation.HEAD or (person_id and person_id.value == head_id.value)):
        head_of = head_id.value
    return ParsedRow(None if problems else row, problems, warnings, head_of)


_CORE_KEYS = frozenset(
    {
        "name",
        "relation",
        "region_code",
        "address",
        "phone",
        "hukou_type",
        "categories",
        "category_valid_from",
        "disability_category",
        "disability_grade",
    }
)


def _optional_core(row: RosterRow, text: Mapping[str, str | None], bad: Any) -> None:
    region = text.get("region_code")
    if region is not None:
        if not _REGION.fullmatch(region):
            bad("region_code", "a region code is 6, 9 or 12 digits")
        row.region_code = region
    address = text.get("address")
    if address is not None:
        if len(address) > 200:
            bad("address", "an address has at most 200 characters")
        row.address = address
    if (phone := text.get("phone")) is not None:
        if not _PHONE.fullmatch(phone):
            bad("phone", "a phone number has digits (and - or a leading +) only")
        row.phone = phone
    for key, attribute, parser in (
        ("hukou_type", "hukou_type", lambda t: lookup(HUKOU, t, "hukou type", "城镇, 农村")),
        ("categories", "categories", _categories),
        ("category_valid_from", "category_valid_from", day),
    ):
        if (value := text.get(key)) is not None:
            try:
                setattr(row, attribute, parser(value))
            except RosterValueError as exc:
                bad(key, exc.reason)
    category, grade = text.get("disability_category"), text.get("disability_grade")
    if (category is None) != (grade is None):
        missing = "disability_grade" if grade is None else "disability_category"
        bad(missing, "give both the disability category and grade, or neither")
    elif category is not None and grade is not None:
        try:
            row.disability = (
                _whole(category, 1, 7, "a disability category"),
                _whole(grade, 1, 4, "a disability grade"),
            )
        except RosterValueError as exc:
            bad(
                "disability_category" if "category" in exc.reason else "disability_grade",
                exc.reason,
            )
    if row.category_valid_from is not None and not row.categories:
        bad("category_valid_from", "a certification day needs categories in the same row")
    if not row.is_head and row.address is not None:
        bad("address", "the address goes on the head's row only")


def _plugin_cells(
    row: RosterRow,
    raw: Mapping[str, Any],
    groups: Sequence[RosterColumns],
    bad: Any,
    today: dt.date,
) -> None:
    for index, group in enumerate(groups):
        values: dict[str, Any] = {}
        for column in group.columns:
            text = cell_text(raw.get(column.key))
            if text is None:
                continue
            if group.target is RosterTarget.HOUSEHOLD and not row.is_head:
                bad(column.key, "a household column: fill it on the head's row only")
                continue
            try:
                values[column.key] = column.parse(text)
            except RosterValueError as exc:
                bad(column.key, exc.reason)
        if not values:
            continue
        if group.check is not None and row.id_number is not None:
            for key, reason in group.check(values, RosterSubject(row.id_number, today)):
                bad(key, reason)
        row.plugin_values[index] = values
