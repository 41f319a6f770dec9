"""The roster's columns: core's own, the plugins', and matching a file's headers to them.

A header matches a column by its English key (``id_number``) or its Chinese header
(``身份证号``), ignoring case, spaces and full-width forms; a bilingual header such as
``身份证号 / id_number`` or ``身份证号(id_number)`` matches too.
"""

import dataclasses
import re
import unicodedata
from collections.abc import Sequence

from bangfu.core.i18n import N_, _, language
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
        """The bilingual header the template writes (a partner system reads either)."""
        return f"{self.header_zh} / {self.key}"

    @property
    def name(self) -> str:
        """The column's header in the language being written: ``身份证号`` or ``id_number``."""
        return self.header_zh if language() == "zh" else self.key

    @property
    def explained(self) -> str:
        """The description in the language being written: core's are in the catalog; a
        plugin's too when the plugin marked it with ``N_()``, else as the plugin wrote it."""
        description = self.description
        return _(description) if description else ""


CORE_COLUMNS: tuple[Column, ...] = (
    Column(
        "head_id_number",
        "户主身份证号",
        N_(
            "The ID number of the household's head: every row of one household carries it; "
            "on the head's own row it is the head's ID number again."
        ),
        "141023198507041235",
        required=True,
        text=True,
        aliases=("户主身份证号码", "户主公民身份号码"),
    ),
    Column(
        "id_number",
        "身份证号",
        N_(
            "The person's resident ID number, copied from the ID card: 18 characters "
            "(15-digit first-generation numbers are upgraded). Format the column as text."
        ),
        "141023201403011234",
        required=True,
        text=True,
        aliases=("身份证号码", "公民身份号码", "公民身份证号"),
    ),
    Column("name", "姓名", N_("The person's name, as on the ID card."), "王小明", required=True),
    Column(
        "relation",
        "与户主关系",
        N_(
            "The relation to the head: 户主 (on the head's own row), 配偶, 子女, 父母, 孙子女, "
            "祖父母, 兄弟姐妹, 其他亲属 or 其他 (in English: HEAD, SPOUSE, CHILD, PARENT, "
            "GRANDCHILD, GRANDPARENT, SIBLING, OTHER_RELATIVE, OTHER)."
        ),
        "子女",
        required=True,
        aliases=("relation_to_head", "关系"),
    ),
    Column(
        "region_code",
        "区划代码",
        N_(
            "The household's region: the village's 12-digit code, on the head's row; a "
            "member's row leaves it blank or repeats it."
        ),
        "141023100201",
        text=True,
        aliases=("行政区划代码",),
        target=RosterTarget.HOUSEHOLD,
    ),
    Column(
        "address",
        "家庭住址",
        N_("The household's address, on the head's row only."),
        "东关村 12 号",
        aliases=("住址",),
        target=RosterTarget.HOUSEHOLD,
    ),
    Column(
        "phone",
        "联系电话",
        N_(
            "A mobile or landline number of mainland China (13812345678, 0357-2091234), "
            "one number per cell."
        ),
        "13812345678",
        text=True,
        aliases=("电话",),
    ),
    Column(
        "hukou_type",
        "户口性质",
        N_("The hukou: 城镇 or 农村 (in English: URBAN or RURAL)."),
        "农村",
    ),
    Column(
        "categories",
        "困难类别",
        N_(
            "Hardship categories, separated by 、 or ；: 孤儿, 事实无人抚养儿童, 困境儿童, "
            "特困人员, 低保, 贫困残疾人, 困难优抚安置对象 (in English: ORPHAN, "
            "DE_FACTO_UNSUPPORTED_CHILD, ...). A listed category the person does not hold yet "
            "is certified; none is ended."
        ),
        "孤儿",
        aliases=("hardship_categories", "类别"),
    ),
    Column(
        "category_valid_from",
        "认定日期",
        N_(
            "The day the listed categories were certified, e.g. 2024-03-01 (a date cell is "
            "fine); blank means the import day."
        ),
        "2024-03-01",
        aliases=("certified_on",),
    ),
    Column(
        "disability_category",
        "残疾类别",
        N_(
            "The disability category as on the disability certificate (GB/T 26341): 视力, "
            "听力, 言语, 肢体, 智力, 精神 or 多重, or its number 1 to 7; together with the grade."
        ),
        "肢体",
    ),
    Column(
        "disability_grade",
        "残疾等级",
        N_(
            "The disability grade as on the disability certificate: 一级, 二级, 三级 or 四级, "
            "or its number 1 to 4; together with the category."
        ),
        "二级",
    ),
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
                _(
                    "the header 「{header}」 (column {letter}) names the same column as column "
                    "{first} ({title}): keep one of the two columns",
                    header=text,
                    letter=_letters(index + 1),
                    first=_letters(seen[column.key] + 1),
                    title=column.title,
                )
            )
            continue
        seen[column.key] = index
        by_index[index] = column
    for column in columns:
        if column.required and column.key not in seen:
            problems.append(
                _(
                    "the column {title} is missing from the header row, and every roster needs "
                    "it: add it (the template has every column)",
                    title=column.title,
                )
            )
    return HeaderMap(by_index, ignored, problems)


def _letters(column: int) -> str:
    """A spreadsheet's column letters (1 = A, 27 = AA)."""
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


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
