"""Who may hold a hardship category, and who may certify it (R2): the rules, in one place.

A **rule set** is a version (``"2021"``) with the day it takes effect; it holds

- the **eligibility rules**: each has a stable code (``ORPHAN_UNDER_18``), the category it
  applies to, a condition on the person as the registry records them (birth date, a
  disability on record, household membership) and the policy it comes from. A category
  with no personal condition the registry can check has a rule that says so (its test is
  ``None``): the certifying body's decision is all there is;
- the **competent bodies**: which function (civil affairs, veterans affairs) certifies each
  category. A certifying organisation must be a county-level or city-level bureau of that
  function, of the person's own county or of the city (:func:`competence_problem`).

The rule set in force on an assignment's ``validFrom`` judges it (:func:`rule_set_on`); the
first rule set also judges every earlier day, so that old records are judged at all. The
assignment's ``ruleVersion`` records that version: omitted, it is the version in force;
given, it must be that version (:func:`rule_version_problem`).

Ages are whole years (周岁) on a day. An upper age limit (under 18) holds on the first day of
the assignment *and* on its last day in force up to today: an orphan's category lapses on
the 18th birthday, so an assignment still open on that day breaks the rule (``bangfu check
categories`` lists it, and ``categoryAssign`` refuses a backdated one). A lower limit (aged
60 or over) is read on ``validFrom`` only.

Adding a rule set: append a :class:`RuleSet` to :data:`RULE_SETS` with a later
``effective_from``; rules that did not change are shared. Never change a rule set that is
in force already: records were judged by it.
"""

import dataclasses
import datetime as dt
import enum
from collections.abc import Callable, Mapping

from bangfu.core.i18n import N_, _
from bangfu.core.registry.models import Category, Organisation, OrganisationKind, RegionLevel
from bangfu.core.registry.reference import civil_affairs_code


@dataclasses.dataclass(frozen=True)
class Citation:
    """The policy document a rule comes from."""

    title: str  # the Chinese title, with its document number when there is one
    title_en: str  # an English rendering of the title
    number: str | None = None  # the document number (文号), only when it is certain

    def __str__(self) -> str:
        return self.title


@dataclasses.dataclass(frozen=True)
class Facts:
    """What the rules read about a person."""

    birth_date: dt.date
    disability_category: int | None  # GB/T 26341: 1 vision ... 7 multiple
    disability_grade: int | None  # 1 (most severe) to 4
    in_household: bool  # a household membership not ended before the assignment's validFrom

    def age_on(self, day: dt.date) -> int:
        """Whole years of age (周岁) on ``day``: the birthday counts."""
        born = self.birth_date
        before_birthday = (day.month, day.day) < (born.month, born.day)
        return day.year - born.year - before_birthday

    @property
    def disabled(self) -> bool:
        """A disability on record (category and grade of a disability certificate)."""
        return self.disability_category is not None and self.disability_grade is not None


#: A rule's condition: the person's facts on a day.
Test = Callable[[Facts, dt.date], bool]


@dataclasses.dataclass(frozen=True)
class Rule:
    """One eligibility rule: every rule of a category must hold for an assignment."""

    code: str
    category: Category
    description: str  # an N_() message, English; shown translated
    citation: Citation
    #: None: no personal condition the registry can check (the certificate decides).
    test: Test | None = None
    #: An upper age limit: holds on the last day in force up to today as well.
    while_in_force: bool = False

    def describe(self) -> str:
        """The description in the current language."""
        description = self.description
        return _(description)

    def holds(self, facts: Facts, valid_from: dt.date, last_day: dt.date) -> bool:
        if self.test is None:
            return True
        if not self.test(facts, valid_from):
            return False
        return not self.while_in_force or self.test(facts, last_day)


class Function(enum.StrEnum):
    """What a certifying body does; recognised from its reference code (:func:`function_of`)."""

    CIVIL_AFFAIRS = "CIVIL_AFFAIRS"
    VETERANS_AFFAIRS = "VETERANS_AFFAIRS"


#: The competent body of each function, as an officer reads it.
FUNCTION_NAMES: Mapping[Function, str] = {
    Function.CIVIL_AFFAIRS: N_(
        "the civil-affairs bureau (民政局) of the person's county or of the city"
    ),
    Function.VETERANS_AFFAIRS: N_(
        "the veterans-affairs bureau (退役军人事务局) of the person's county or of the city"
    ),
}


def body_name(function: Function) -> str:
    """The competent body of ``function``, in the current language."""
    name = FUNCTION_NAMES[function]
    return _(name)


#: The kinds of organisation that may certify at all: an allow-list, so that a kind added
#: later (a township, a village committee, a mass organisation) never certifies.
CERTIFYING_KINDS: frozenset[OrganisationKind] = frozenset({OrganisationKind.DEPARTMENT})
#: The levels a certifying bureau sits at: the county (or zone) and the city.
CERTIFYING_LEVELS: frozenset[RegionLevel] = frozenset({RegionLevel.COUNTY, RegionLevel.CITY})


def veterans_affairs_code(region_code: str) -> str:
    """Stable code of the veterans-affairs bureau (退役军人事务局) of ``region_code``."""
    return f"{region_code}-veterans-affairs"


def function_of(organisation: Organisation) -> Function | None:
    """The certifying function of ``organisation``, or None.

    Recognised by the stable reference code of its own region (``141023-civil-affairs``,
    ``141000-veterans-affairs``, :mod:`bangfu.core.registry.reference`), never by its name,
    and only for a government department that is no plugin's department. Codes are unique,
    so no other organisation can take a bureau's code for the same region.
    """
    if organisation.kind not in CERTIFYING_KINDS or organisation.department is not None:
        return None
    if organisation.code == civil_affairs_code(organisation.region_code):
        return Function.CIVIL_AFFAIRS
    if organisation.code == veterans_affairs_code(organisation.region_code):
        return Function.VETERANS_AFFAIRS
    return None


@dataclasses.dataclass(frozen=True)
class RuleSet:
    """The rules in force from ``effective_from`` until the next set takes effect."""

    version: str
    effective_from: dt.date
    rules: tuple[Rule, ...]
    certifiers: Mapping[Category, Function]

    def rules_of(self, category: Category) -> list[Rule]:
        return [rule for rule in self.rules if rule.category is category]

    def broken(
        self, category: Category, facts: Facts, valid_from: dt.date, last_day: dt.date
    ) -> list[Rule]:
        """The rules of ``category`` that an assignment from ``valid_from``, in force up to
        ``last_day``, breaks."""
        return [r for r in self.rules_of(category) if not r.holds(facts, valid_from, last_day)]


def _under(years: int) -> Test:
    return lambda facts, day: facts.age_on(day) < years


# -- the policies -----------------------------------------------------------------

ORPHANS = Citation(
    "国务院办公厅关于加强孤儿保障工作的意见（国办发〔2010〕54号）",
    "General Office of the State Council: Opinions on Strengthening the Protection of Orphans",
    "国办发〔2010〕54号",
)
DE_FACTO_UNSUPPORTED = Citation(
    "民政部等12部门关于进一步加强事实无人抚养儿童保障工作的意见（民发〔2019〕62号）",
    "Ministry of Civil Affairs and 11 other departments: Opinions on Further Strengthening "
    "the Protection of De-facto Unsupported Children",
    "民发〔2019〕62号",
)
CHILDREN_IN_DIFFICULTY = Citation(
    "国务院关于加强困境儿童保障工作的意见（国发〔2016〕36号）",
    "State Council: Opinions on Strengthening the Protection of Children in Difficulty",
    "国发〔2016〕36号",
)
SPECIAL_HARDSHIP = Citation(
    "国务院关于进一步健全特困人员救助供养制度的意见（国发〔2016〕14号）",
    "State Council: Opinions on Further Improving the Assistance and Support System for "
    "Persons in Special Hardship",
    "国发〔2016〕14号",
)
SPECIAL_HARDSHIP_2016 = Citation(
    "民政部关于印发《特困人员认定办法》的通知（民发〔2016〕178号）",
    "Ministry of Civil Affairs: Measures for Identifying Persons in Special Hardship (2016)",
    "民发〔2016〕178号",
)
SPECIAL_HARDSHIP_2021 = Citation(
    "民政部关于印发《特困人员认定办法》的通知（民发〔2021〕43号）",
    "Ministry of Civil Affairs: Measures for Identifying Persons in Special Hardship (2021)",
    "民发〔2021〕43号",
)
DIBAO = Citation(
    "《社会救助暂行办法》（国务院令第649号）",
    "Interim Measures for Social Assistance (State Council Decree No. 649)",
    "国务院令第649号",
)
POOR_DISABLED = Citation(
    "国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见（国发〔2015〕52号）",
    "State Council: Opinions on Establishing Living Subsidies for Disabled Persons in "
    "Difficulty and Nursing Subsidies for Severely Disabled Persons",
    "国发〔2015〕52号",
)
ENTITLED = Citation(
    "《军人抚恤优待条例》",
    "Regulations on Pensions and Preferential Treatment for Servicemen",
)


def _no_work_capacity(kinds: Mapping[int, int]) -> Test:
    """特困人员认定办法: 无劳动能力 — aged 60 or over, under 16, or a disability of one of
    ``kinds`` (GB/T 26341 category → most lenient grade that counts)."""

    def test(facts: Facts, day: dt.date) -> bool:
        age = facts.age_on(day)
        if age >= 60 or age < 16:
            return True
        category, grade = facts.disability_category, facts.disability_grade
        if category is None or grade is None:
            return False
        return grade <= kinds.get(category, 0)

    return test


def _common(special_hardship: Rule) -> tuple[Rule, ...]:
    return (
        Rule(
            "ORPHAN_UNDER_18",
            Category.ORPHAN,
            N_(
                "an orphan is under 18 (周岁) on validFrom and on every day the category is "
                "in force"
            ),
            ORPHANS,
            _under(18),
            while_in_force=True,
        ),
        Rule(
            "DE_FACTO_UNSUPPORTED_CHILD_UNDER_18",
            Category.DE_FACTO_UNSUPPORTED_CHILD,
            N_(
                "a de-facto unsupported child is under 18 on validFrom and on every day the "
                "category is in force"
            ),
            DE_FACTO_UNSUPPORTED,
            _under(18),
            while_in_force=True,
        ),
        Rule(
            "CHILD_IN_DIFFICULTY_UNDER_18",
            Category.CHILD_IN_DIFFICULTY,
            N_(
                "a child in difficulty is under 18 on validFrom and on every day the "
                "category is in force"
            ),
            CHILDREN_IN_DIFFICULTY,
            _under(18),
            while_in_force=True,
        ),
        special_hardship,
        Rule(
            "DIBAO_HOUSEHOLD_MEMBER",
            Category.DIBAO,
            N_(
                "dibao is granted to a household: the person is a member of a household on "
                "record (a membership not ended before validFrom)"
            ),
            DIBAO,
            lambda facts, day: facts.in_household,
        ),
        Rule(
            "POOR_DISABLED_DISABILITY_ON_RECORD",
            Category.POOR_DISABLED,
            N_(
                "the living subsidy for disabled persons in difficulty needs a disability "
                "certificate on record (category and grade)"
            ),
            POOR_DISABLED,
            lambda facts, day: facts.disabled,
        ),
        Rule(
            "ENTITLED_GROUP_CERTIFIED",
            Category.ENTITLED_GROUP,
            N_(
                "no personal condition the registry can check: the veterans-affairs "
                "bureau's certification decides"
            ),
            ENTITLED,
        ),
    )


_CERTIFIERS: Mapping[Category, Function] = {
    Category.ORPHAN: Function.CIVIL_AFFAIRS,
    Category.DE_FACTO_UNSUPPORTED_CHILD: Function.CIVIL_AFFAIRS,
    Category.CHILD_IN_DIFFICULTY: Function.CIVIL_AFFAIRS,
    Category.SPECIAL_HARDSHIP: Function.CIVIL_AFFAIRS,
    Category.DIBAO: Function.CIVIL_AFFAIRS,
    Category.POOR_DISABLED: Function.CIVIL_AFFAIRS,
    Category.ENTITLED_GROUP: Function.VETERANS_AFFAIRS,
}

#: The rule sets, oldest first. 2016: the first 特困人员认定办法 (民发〔2016〕178号);
#: 2021: its successor (民发〔2021〕43号, in force from 1 July 2021), which counts more
#: disabilities as no capacity to work.
RULE_SETS: tuple[RuleSet, ...] = (
    RuleSet(
        "2016",
        dt.date(2016, 10, 10),
        _common(
            Rule(
                "SPECIAL_HARDSHIP_NO_WORK_CAPACITY",
                Category.SPECIAL_HARDSHIP,
                N_(
                    "no capacity to work on validFrom: aged 60 or over, under 16, or "
                    "disabled with an intellectual or mental disability of grade 1 or 2, a "
                    "physical disability of grade 1 or a visual disability of grade 1"
                ),
                SPECIAL_HARDSHIP_2016,
                _no_work_capacity({5: 2, 6: 2, 4: 1, 1: 1}),
            )
        ),
        _CERTIFIERS,
    ),
    RuleSet(
        "2021",
        dt.date(2021, 7, 1),
        _common(
            Rule(
                "SPECIAL_HARDSHIP_NO_WORK_CAPACITY",
                Category.SPECIAL_HARDSHIP,
                N_(
                    "no capacity to work on validFrom: aged 60 or over, under 16, or "
                    "disabled with an intellectual or mental disability of grade 1 to 3, a "
                    "physical disability of grade 1 or 2 or a visual disability of grade 1"
                ),
                SPECIAL_HARDSHIP_2021,
                _no_work_capacity({5: 3, 6: 3, 4: 2, 1: 1}),
            )
        ),
        _CERTIFIERS,
    ),
)

VERSIONS: Mapping[str, RuleSet] = {rule_set.version: rule_set for rule_set in RULE_SETS}


def rule_set_on(day: dt.date) -> RuleSet:
    """The rule set in force on ``day``; the first one before it took effect."""
    current = RULE_SETS[0]
    for rule_set in RULE_SETS[1:]:
        if rule_set.effective_from <= day:
            current = rule_set
    return current


def effective_to(rule_set: RuleSet) -> dt.date | None:
    """The last day ``rule_set`` is in force (None: still in force)."""
    later = [r.effective_from for r in RULE_SETS if r.effective_from > rule_set.effective_from]
    return min(later) - dt.timedelta(days=1) if later else None


def rule_version_problem(version: str | None, valid_from: dt.date) -> str | None:
    """Why ``version`` cannot be an assignment's ruleVersion from ``valid_from`` (None: it
    can). Omitted is always fine: it becomes the version in force."""
    if version is None:
        return None
    in_force = rule_set_on(valid_from).version
    if version not in VERSIONS:
        return _(
            "unknown rule version {version}: the versions are {versions}",
            version=repr(version),
            versions=", ".join(VERSIONS),
        )
    if version != in_force:
        return _(
            "rule version {version} is not in force on {day}: {in_force} is",
            version=version,
            day=valid_from.isoformat(),
            in_force=in_force,
        )
    return None


def broken_rule_message(category: Category, rule: Rule) -> str:
    """A refusal naming the rule, what it says and the policy it comes from."""
    return _(
        "not eligible for {category}: rule {rule} ({description}); see {citation}",
        category=category.value,
        rule=rule.code,
        description=rule.describe(),
        citation=rule.citation.title,
    )


def last_day_in_force(valid_from: dt.date, valid_to: dt.date | None, today: dt.date) -> dt.date:
    """The last day up to ``today`` an assignment is in force (its first day at least)."""
    last = today if valid_to is None else min(valid_to, today)
    return max(last, valid_from)


@dataclasses.dataclass(frozen=True)
class Certifier:
    """What competence needs of a certifying organisation."""

    organisation: Organisation
    region_path: str
    region_level: RegionLevel


def competence_problem(
    rule_set: RuleSet, category: Category, certifier: Certifier, person_area_path: str
) -> str | None:
    """Why ``certifier`` may not certify ``category`` for a person of ``person_area_path``
    (None: it may): the wrong kind of body, or a body of another area."""
    needed = rule_set.certifiers[category]
    organisation = certifier.organisation
    if function_of(organisation) is not needed:
        return _(
            "{organisation} does not certify {category}: only {body} does",
            organisation=organisation.name,
            category=category.value,
            body=body_name(needed),
        )
    if certifier.region_level not in CERTIFYING_LEVELS or not person_area_path.startswith(
        certifier.region_path
    ):
        return _(
            "{organisation} is not of the person's county or of the city: it certifies only "
            "persons of its own area",
            organisation=organisation.name,
        )
    return None
