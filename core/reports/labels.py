"""What the workbooks write for a code: the label of a sex, a category, a status, an
indicator, an assessed unit's kind, in the language being written (男, 低保, 有风险; male,
dibao, at risk). The codes (``MALE``, ``DIBAO``, ``AT_RISK``) stay the API's; a workbook is
read by people.
"""

from bangfu.core.i18n import N_, _, language

SEX = {"MALE": N_("male"), "FEMALE": N_("female")}
CATEGORY = {
    "ORPHAN": N_("orphan"),
    "DE_FACTO_UNSUPPORTED_CHILD": N_("de facto unsupported child"),
    "CHILD_IN_DIFFICULTY": N_("child in difficulty"),
    "SPECIAL_HARDSHIP": N_("person in special hardship"),
    "DIBAO": N_("subsistence allowance (dibao)"),
    "POOR_DISABLED": N_("poor person with a disability"),
    "ENTITLED_GROUP": N_("entitled group in difficulty"),
}
STATUS = {
    "OK": N_("no risk"),
    "AT_RISK": N_("at risk"),
    "NOT_APPLICABLE": N_("not applicable"),
    "UNKNOWN": N_("not known"),
}
INDICATOR = {
    "FOOD": N_("food (bottom line)"),
    "MEDICAL_CARE": N_("medical care (bottom line)"),
    "SCHOOL": N_("school (bottom line)"),
    "WORK": N_("work (bottom line)"),
    "SOMEONE_IN_CHARGE": N_("someone in charge (bottom line)"),
    "EAT_WELL": N_("eat well (goal)"),
    "ILLNESS_TREATED_WELL": N_("illness treated well (goal)"),
    "GOOD_SCHOOL": N_("good school (goal)"),
    "WELL_EMPLOYED": N_("well employed (goal)"),
    "GOOD_HOME": N_("good home (goal)"),
}
UNIT_KIND = {
    "REGION": N_("county"),
    "ORGANISATION": N_("organisation"),
    "OFFICIAL": N_("paired official"),
}
#: Core's assessment indicators; a plugin's keep the title the plugin gave.
ASSESSMENT = {
    "screening_coverage": N_("Screening coverage (households visited / target households)"),
    "pairing_coverage": N_("Pairing coverage (persons paired / persons of the pairing categories)"),
    "five_knowns_freshness": N_("Five-knowns freshness (pairings with all five fresh / pairings)"),
    "care_timeliness": N_("Five-cares timeliness (events answered on time / events due)"),
    "plan_completion": N_("Plan completion (measures done by their deadline / measures due)"),
    "bottom_line_coverage": N_(
        "Bottom-line coverage (persons with no bottom-line item at risk / persons)"
    ),
}


def label(table: dict[str, str], code: str) -> str:
    """The label of ``code`` in ``table``, in the language being written; an unknown code
    as it is."""
    message = table.get(str(code))
    return _(message) if message is not None else str(code)


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def listing(items: list[str]) -> str:
    """Items one after the other: 孤儿、低保 in Chinese, orphan, dibao in English."""
    return ("、" if language() == "zh" else ", ").join(items)
