"""The roster's columns: core's own, the plugins', and matching a file's headers to them.

A header matches a column by its English key (``id_number``) or its Chinese header
(``身份证号``), ignoring case, spaces and full-width forms; a bilingual header such as
``身份证号 / id_number`` or ``身份证号(id_number)`` matches too.
"""

import dataclasses
import re
import unicodedata
from collections.abc import Sequence

from bangfu.core.roster.columns import RosterColumns, RosterTarget


@dataclasses.dataclass(frozen=True)
class Column:
    """A roster column as the importer and the template see it."""

    key: str
    header_zh: str
    description: str
    example: str = ""
    required: bool = False
    # Written as text in the template (ID numbers, codes, phones): never a number.
    text: bool = False
    aliases: tuple[str, ...] = ()
    plugin: str | None = None
    target: RosterTarget = RosterTarget.PERSON
    # (plugin, group) for a plugin column.
    group: int | None = None

    @property
    def title(self) -> str:
        """The bilingual header the template writes."""
        return f"{self.header_zh} / {self.key}"


CORE_COLUMNS: tuple[Column, ...] = (
    Column(
        "head_id_number",
        "户主身份证号",
        "The ID number of the household's head: every row of one household carries it; "
        "on the head's own row it is the head's ID number again.",
        "141023198507041235",
        required=True,
        text=True,
        aliases=("户主身份证号码", "户主公民身份号码"),
    ),
    Column(
        "id_number",
        "身份证号",
        "The person's resident ID number: 18 characters (15-digit first-generation numbers "
        "are upgraded). Format the column as text.",
        "141023201403011234",
        required=True,
        text=True,
        aliases=("身份证号码", "公民身份号码", "公民身份证号"),
    ),
    Column("name", "姓名", "The person's name.", "王小明", required=True),
    Column(
        "relation",
        "与户主关系",
        "户主 (HEAD), 配偶 (SPOUSE), 子女 (CHILD), 父母 (PARENT), 孙子女 (GRANDCHILD), "
        "祖父母 (GRANDPARENT), 兄弟姐妹 (SIBLING), 其他亲属 (OTHER_RELATIVE), 其他 (OTHER).",
        "子女",
        required=True,
        aliases=("relation_to_head", "关系"),
    ),
    Column(
        "region_code",
        "区划代码",
        "The region (village) code of the household, on the head's row; a member's row "
        "leaves it blank or repeats it.",
        "141023100201",
        text=True,
        aliases=("行政区划代码",),
        target=RosterTarget.HOUSEHOLD,
    ),
    Column(
        "address",
        "家庭住址",
        "The household's address, on the head's row.",
        "东关村 12 号",
        aliases=("住址",),
        target=RosterTarget.HOUSEHOLD,
    ),
    Column("phone", "联系电话", "A phone number.", "13812345678", text=True, aliases=("电话",)),
    Column("hukou_type", "户口性质", "城镇 (URBAN) or 农村 (RURAL).", "农村"),
    Column(
        "categories",
        "困难类别",
        "Hardship categories, separated by 、 or ;: 孤儿, 事实无人抚养儿童, 困境儿童, 特困人员, "
        "低保, 贫困残疾人, 困难优抚安置对象 (or ORPHAN, DE_FACTO_UNSUPPORTED_CHILD, ...). Listed "
        "categories the person does not hold are certified; none is ended.",
        "孤儿",
        aliases=("hardship_categories", "类别"),
    ),
    Column(
        "category_valid_from",
        "认定日期",
        "The day the listed categories were certified (YYYY-MM-DD); blank means the import day.",
        "2024-03-01",
        aliases=("certified_on",),
    ),
    Column(
        "disability_category",
        "残疾类别",
        "GB/T 26341 category 1 to 7 (视力, 听力, 言语, 肢体, 智力, 精神, 多重); with the grade.",
        "4",
    ),
    Column("disability_grade", "残疾等级", "GB/T 26341 grade 1 to 4; with the category.", "2"),
)


def columns_of(groups: Sequence[tuple[str, RosterColumns]]) -> list[Column]:
    """Core's columns, then every plugin's, as :class:`Column`."""
    found = list(CORE_COLUMNS)
    for index, (plugin, group) in enumerate(groups):
        found += [
            Column(
                column.key,
                column.header_zh,
                column.description,
                column.example,
                plugin=plugin,
                target=group.target,
                group=index,
            )
            for column in group.columns
        ]
    return found


def normalise_header(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def _header_parts(text: str) -> list[str]:
    whole = normalise_header(text)
    parts = [whole]
    parts += [p for p in re.split(r"[/()\[\]|]", whole) if p and p != whole]
    return parts


@dataclasses.dataclass
class HeaderMap:
    """Which column of the file holds which roster column."""

    by_index: dict[int, Column]
    ignored: list[str]
    problems: list[str]

    def index_of(self, key: str) -> int | None:
        return next((i for i, c in self.by_index.items() if c.key == key), None)


def match_headers(cells: Sequence[object], columns: Sequence[Column]) -> HeaderMap:
    """Match a header row; missing required and repeated columns are problems."""
    names: dict[str, Column] = {}
    for column in columns:
        for name in (column.key, column.header_zh, *column.aliases):
            names[normalise_header(name)] = column
    by_index: dict[int, Column] = {}
    ignored: list[str] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells):
        if cell is None or not str(cell).strip():
            continue
        text = str(cell).strip()
        found = next((names[p] for p in _header_parts(text) if p in names), None)
        if found is None:
            ignored.append(text)
            continue
        column = found
        if column.key in seen:
            problems.append(
                f"column {text!r} repeats {column.header_zh} / {column.key} "
                f"(column {seen[column.key] + 1}): keep one"
            )
            continue
        seen[column.key] = index
        by_index[index] = column
    for column in columns:
        if column.required and column.key not in seen:
            problems.append(
                f"the required column {column.title} is missing from the header row: add it "
                "(the template has every column)"
            )
    return HeaderMap(by_index, ignored, problems)


def find_header(
    rows: Sequence[tuple[int, Sequence[object]]], columns: Sequence[Column]
) -> tuple[int, HeaderMap] | None:
    """The header row among ``rows`` (the first non-blank rows of a file): the first that
    names every required column, else the one naming the most columns (its problems say
    what is missing); None when no row names any column.

    Clerks put a title (often merged across the columns) and notes above the header.
    """
    required = {column.key for column in columns if column.required}
    best: tuple[int, HeaderMap] | None = None
    for number, cells in rows:
        found = match_headers(cells, columns)
        keys = {column.key for column in found.by_index.values()}
        if required <= keys:
            return number, found
        if found.by_index and (best is None or len(found.by_index) > len(best[1].by_index)):
            best = number, found
    return best
