"""One roster row: every cell parsed, or a reason per bad cell. Touches no database."""

import dataclasses
import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from bangfu.core import idnumber
from bangfu.core import phone as phones
from bangfu.core.effective import is_future_start
from bangfu.core.i18n import _
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

#: GB/T 26341-2010's disability categories (残疾类别), by number and by name.
DISABILITY_CATEGORIES: dict[int, tuple[str, ...]] = {
    1: ("视力", "视力残疾", "visual", "vision"),
    2: ("听力", "听力残疾", "hearing"),
    3: ("言语", "言语残疾", "speech"),
    4: ("肢体", "肢体残疾", "physical"),
    5: ("智力", "智力残疾", "intellectual"),
    6: ("精神", "精神残疾", "mental"),
    7: ("多重", "多重残疾", "multiple"),
}
#: Its grades (残疾等级): 一级 (the most severe) to 四级.
DISABILITY_GRADES: dict[int, tuple[str, ...]] = {
    1: ("一级", "一", "1级", "壹级"),
    2: ("二级", "二", "2级", "贰级"),
    3: ("三级", "三", "3级", "叁级"),
    4: ("四级", "四", "4级", "肆级"),
}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}

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
    accepted = "孤儿、事实无人抚养儿童、困境儿童、特困人员、低保、贫困残疾人、困难优抚安置对象"
    found = tuple(dict.fromkeys(lookup(CATEGORIES, n, "category", accepted) for n in names))
    return found


def _key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


_CATEGORY_NAMES = {
    _key(name): number for number, names in DISABILITY_CATEGORIES.items() for name in names
}
_GRADE_NAMES = {_key(name): number for number, names in DISABILITY_GRADES.items() for name in names}


def disability_category(text: str) -> int:
    """A disability category (GB/T 26341) by name (肢体, 肢体残疾) or number (4)."""
    key = _key(text)
    if key.isascii() and key.isdigit() and 1 <= int(key) <= 7:
        return int(key)
    if key in _CATEGORY_NAMES:
        return _CATEGORY_NAMES[key]
    raise RosterValueError(
        _(
            "「{text}」 is not a disability category: write the category's name as on the "
            "disability certificate (视力, 听力, 言语, 肢体, 智力, 精神 or 多重), or its "
            "number from 1 to 7",
            text=text,
        )
    )


def disability_grade(text: str) -> int:
    """A disability grade (GB/T 26341) by name (二级, 二) or number (2)."""
    key = _key(text)
    if key.isascii() and key.isdigit() and 1 <= int(key) <= 4:
        return int(key)
    if key in _GRADE_NAMES:
        return _GRADE_NAMES[key]
    if key in _ROMAN:
        return _ROMAN[key]
    raise RosterValueError(
        _(
            "「{text}」 is not a disability grade: write the grade as on the disability "
            "certificate (一级, 二级, 三级 or 四级), or its number from 1 to 4",
            text=text,
        )
    )


_EIGHTEEN = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)


def id_number_reason(cell: object, error: idnumber.IdNumberError, today: dt.date) -> str:
    """What is wrong with an ID number cell and how to fix it, in a clerk's words.

    What a spreadsheet did to the cell (a number, scientific notation, full-width digits)
    keeps :mod:`bangfu.core.idnumber`'s reason; a number mistyped from the card is said
    here with the fix: compare it with the ID card.
    """
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return _(
            "the ID number is empty: copy the 18-character number from the ID card "
            "(or from the household register, 户口簿)"
        )
    if idnumber.spreadsheet_damage(cell) is not None or not isinstance(cell, str):
        return error.reason
    text = idnumber.normalise(cell)
    if len(text) not in (15, 18) and text.isascii() and text.rstrip("X").isdigit():
        return _(
            "the ID number has {count} characters, but a resident ID number has 18 (or 15 "
            "digits for a first-generation card): a digit is missing or one too many; "
            "compare it with the ID card",
            count=len(text),
        )
    if len(text) == 18 and not _EIGHTEEN.fullmatch(text):
        return _(
            "the ID number has a character that is not a digit: it is 17 digits followed by "
            "a digit or X (the last character only); compare it with the ID card"
        )
    canonical = text
    if len(text) == 15 and text.isdigit():
        canonical = text[:6] + "19" + text[6:] + "0"
    if len(canonical) == 18 and canonical.isascii():
        birth = canonical[6:14]
        try:
            born = dt.date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
        except ValueError:
            return _(
                "the birth date in the ID number ({digits}: year, month, day) is not a real "
                "date: a digit was probably mistyped; compare the number with the ID card",
                digits=birth,
            )
        if born > today:
            return _(
                "the birth date in the ID number ({date}) is in the future: a digit was "
                "probably mistyped; compare the number with the ID card",
                date=born.isoformat(),
            )
        if born < idnumber.MIN_BIRTH_DATE:
            return _(
                "the birth date in the ID number ({date}) is before 1900: a digit was "
                "probably mistyped; compare the number with the ID card",
                date=born.isoformat(),
            )
    if len(text) == 18 and text[17] != idnumber.check_character(text[:17]):
        return _(
            "the ID number's last character (the check character) does not fit the 17 digits "
            "before it: one digit was probably mistyped, or two were swapped; compare the "
            "number with the ID card digit by digit"
        )
    return error.reason


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
        cell = raw.get(key)
        try:
            parsed = idnumber.parse_spreadsheet_cell(cell, today=today)
        except idnumber.IdNumberError as exc:
            bad(key, id_number_reason(cell, exc, today))
            return None
        if parsed.upgraded_from_legacy and key == "id_number":
            warnings.append(
                Problem(
                    number,
                    key,
                    _(
                        "a 15-digit first-generation ID number: it was upgraded to the "
                        "18-character number {number}; check that this is the number on the "
                        "person's current ID card",
                        number=parsed.value,
                    ),
                )
            )
        if isinstance(cell, str) and cell.strip().endswith("000"):
            warnings.append(
                Problem(
                    number,
                    key,
                    _(
                        "the ID number ends in 000, as numbers damaged by a spreadsheet do; "
                        "it was accepted, but compare it with the ID card"
                    ),
                )
            )
        return parsed

    person_id = id_cell("id_number")
    head_id = id_cell("head_id_number")
    text = {key: cell_text(value) for key, value in raw.items() if key in _CORE_KEYS}
    name = text.get("name")
    if name is None:
        bad("name", _("the name is empty: write the person's name as on the ID card"))
    elif len(name) > 100:
        bad(
            "name",
            _(
                "the name has {count} characters, more than the 100 a name may have: write "
                "the name only, as on the ID card",
                count=len(name),
            ),
        )
    relation = None
    relation_text = text.get("relation")
    if relation_text is None:
        bad(
            "relation",
            _(
                "the relation to the head is empty: write 户主 on the head's own row, and "
                "配偶, 子女, 父母 etc. on the other members' rows"
            ),
        )
    else:
        try:
            relation = lookup(
                RELATIONS,
                relation_text,
                "relation",
                "户主、配偶、子女、父母、孙子女、祖父母、兄弟姐妹、其他亲属、其他",
            )
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
        if relation is Relation.HEAD and person_id.value != head_id.value:
            bad(
                "relation",
                _(
                    "the relation is 户主 but the ID number is not the head's ID number of "
                    "this row: on the head's own row both ID numbers are the same; on a "
                    "member's row write the member's relation to the head (配偶, 子女, ...)"
                ),
            )
        elif relation is not Relation.HEAD and person_id.value == head_id.value:
            bad(
                "relation",
                _(
                    "the ID number is the same as the head's ID number, so this is the head's "
                    "own row: write 户主 as the relation, or correct one of the two ID numbers"
                ),
            )
    _optional_core(row, text, bad, today)
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


def _optional_core(
    row: RosterRow, text: Mapping[str, str | None], bad: Any, today: dt.date
) -> None:
    region = text.get("region_code")
    if region is not None:
        if not _REGION.fullmatch(region):
            bad(
                "region_code",
                _(
                    "「{code}」 is not a region code: a region code has 6, 9 or 12 digits "
                    "(a village's has 12, e.g. 141023100201); format the column as text so "
                    "that no digit is lost",
                    code=region,
                ),
            )
        row.region_code = region
    address = text.get("address")
    if address is not None:
        if len(address) > 200:
            bad(
                "address",
                _(
                    "the address has {count} characters, more than the 200 an address may "
                    "have: shorten it",
                    count=len(address),
                ),
            )
        row.address = address
    if (written := text.get("phone")) is not None:
        try:
            row.phone = phones.normalise(written)
        except phones.PhoneError as exc:
            bad("phone", _("「{phone}」 {reason}", phone=written, reason=exc.reason))
            row.phone = written
    for key, attribute, parser in (
        ("hukou_type", "hukou_type", lambda t: lookup(HUKOU, t, "hukou type", "城镇、农村")),
        ("categories", "categories", _categories),
        ("category_valid_from", "category_valid_from", day),
    ):
        if (value := text.get(key)) is not None:
            try:
                setattr(row, attribute, parser(value))
            except RosterValueError as exc:
                bad(key, exc.reason)
    _disability(row, text, bad)
    if row.category_valid_from is not None and is_future_start(row.category_valid_from, today):
        # The rule for every start date (bangfu.core.effective): not after today.
        bad(
            "category_valid_from",
            _(
                "认定日期 (certification date): {day} is after today ({today}): a category "
                "cannot start in the future; write the day it was certified, today at the latest",
                day=row.category_valid_from.isoformat(),
                today=today.isoformat(),
            ),
        )
    if row.category_valid_from is not None and not row.categories:
        bad(
            "category_valid_from",
            _(
                "a certification date is given but no hardship category: fill 困难类别 in the "
                "same row, or clear the date"
            ),
        )
    if not row.is_head and row.address is not None:
        bad(
            "address",
            _(
                "the address is filled on a member's row: write the household's address on "
                "the head's row (relation 户主) only, and leave it blank here"
            ),
        )


def _disability(row: RosterRow, text: Mapping[str, str | None], bad: Any) -> None:
    """The disability category and grade: both or neither; each cell flagged on its own."""
    category_text, grade_text = text.get("disability_category"), text.get("disability_grade")
    if category_text is None and grade_text is None:
        return
    if grade_text is None:
        bad(
            "disability_grade",
            _(
                "a disability category is given without its grade: write the grade as on the "
                "disability certificate (一级 to 四级), or clear the category"
            ),
        )
    if category_text is None:
        bad(
            "disability_category",
            _(
                "a disability grade is given without its category: write the category as on "
                "the disability certificate (视力, 听力, 言语, 肢体, 智力, 精神 or 多重), or "
                "clear the grade"
            ),
        )
    category = grade = None
    if category_text is not None:
        try:
            category = disability_category(category_text)
        except RosterValueError as exc:
            bad("disability_category", exc.reason)
    if grade_text is not None:
        try:
            grade = disability_grade(grade_text)
        except RosterValueError as exc:
            bad("disability_grade", exc.reason)
    if category is not None and grade is not None:
        row.disability = (category, grade)


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
                bad(
                    column.key,
                    _(
                        "this column is about the household: fill it on the head's row "
                        "(relation 户主) only, and leave it blank on the members' rows"
                    ),
                )
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
