"""``categoryRules``: the category rules in force on a day, read-only (R2).

What ``categoryAssign`` checks, so that an officer sees why an assignment was refused
(core/registry/eligibility.py).
"""

import datetime as dt
from typing import Annotated

import strawberry

from bangfu.core.calendar import today
from bangfu.core.registry import eligibility, models


@strawberry.type(description="The policy document a category rule comes from.")
class PolicyCitation:
    title: str = strawberry.field(
        description="The Chinese title, with the document number when there is one."
    )
    title_en: str = strawberry.field(description="An English rendering of the title.")
    number: str | None = strawberry.field(
        description="The document number (文号), e.g. 国办发〔2010〕54号; null when the "
        "document is a regulation or law known by its title."
    )


@strawberry.type(description="One eligibility rule of a hardship category.")
class CategoryRule:
    code: str = strawberry.field(
        description="The rule's stable name, e.g. ORPHAN_UNDER_18; a refusal (NOT_ELIGIBLE) "
        "names it."
    )
    category: models.Category = strawberry.field(description="The category it applies to.")
    description: str = strawberry.field(description="What the rule requires of the person.")
    checked: bool = strawberry.field(
        description="Whether the registry checks a personal condition; false: no personal "
        "condition the registry records, the certifying body's decision is all."
    )
    citation: PolicyCitation = strawberry.field(description="The policy it comes from.")


@strawberry.type(description="Which body certifies a hardship category.")
class CategoryCertifier:
    category: models.Category = strawberry.field(description="The category.")
    certified_by: str = strawberry.field(
        description="The competent body; any other organisation is refused (NOT_COMPETENT)."
    )


@strawberry.type(description="A version of the category rules and the days it is in force.")
class CategoryRuleSet:
    version: str = strawberry.field(
        description="The version, stored as an assignment's ruleVersion."
    )
    effective_from: dt.date = strawberry.field(
        description="First day in force; the first version judges earlier days too."
    )
    effective_to: dt.date | None = strawberry.field(
        description="Last day in force; null while it is the newest."
    )
    rules: list[CategoryRule] = strawberry.field(
        description="The eligibility rules; every rule of a category must hold."
    )
    certifiers: list[CategoryCertifier] = strawberry.field(
        description="The competent body of each category."
    )


def category_rule_set(rule_set: eligibility.RuleSet) -> CategoryRuleSet:
    """The GraphQL form of ``rule_set``, in the request's language."""
    return CategoryRuleSet(
        version=rule_set.version,
        effective_from=rule_set.effective_from,
        effective_to=eligibility.effective_to(rule_set),
        rules=[
            CategoryRule(
                code=rule.code,
                category=rule.category,
                description=rule.describe(),
                checked=rule.test is not None,
                citation=PolicyCitation(
                    title=rule.citation.title,
                    title_en=rule.citation.title_en,
                    number=rule.citation.number,
                ),
            )
            for rule in rule_set.rules
        ],
        certifiers=[
            CategoryCertifier(category=category, certified_by=eligibility.body_name(function))
            for category, function in rule_set.certifiers.items()
        ],
    )


ON = strawberry.argument(description="The day whose rules to show; omitted: today.")


def category_rules(on: Annotated[dt.date | None, ON] = None) -> CategoryRuleSet:
    """The rule set in force on ``on`` (default today)."""
    return category_rule_set(eligibility.rule_set_on(on or today()))
