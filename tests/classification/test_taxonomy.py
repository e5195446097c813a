"""The taxonomy tree: declaration checks, lookups, and refusals with the allowed values."""

from __future__ import annotations

import enum
from types import ModuleType

import pytest

from casekit.cases import Owner
from casekit.classification import (
    NA,
    Classification,
    DocTemplate,
    Field,
    Rule,
    Taxonomy,
)
from casekit.errors import NotFound, NotInTaxonomy, ValidationError


class S(enum.Enum):
    OPEN = "Open"
    CLOSED = "Closed"


class Other(enum.Enum):
    DONE = "Done"


def test_classification_parse_fills_trailing_levels_with_NA() -> None:
    path = Classification.parse("Medicaid / MCO Plan Shopping / NA / Plan Selected in Error")
    assert path.path == ("Medicaid", "MCO Plan Shopping", NA, "Plan Selected in Error", NA)
    assert str(path) == "Medicaid / MCO Plan Shopping / NA / Plan Selected in Error / NA"
    assert Classification.parse(path) is path


@pytest.mark.parametrize("text", ["Medicaid", "a / b / c / d / e / f", "a /  / c"])
def test_classification_parse_refuses_malformed_paths(text: str) -> None:
    with pytest.raises(ValidationError):
        Classification.parse(text)


@pytest.mark.parametrize(
    ("path", "level", "allowed"),
    [
        (
            "Medicare / MCO Plan Shopping / NA / Plan Selected in Error",
            "Record Type",
            ("Medicaid",),
        ),
        ("Medicaid / Billing / NA / Plan Selected in Error", "Category", ("MCO Plan Shopping",)),
        (
            "Medicaid / MCO Plan Shopping / Span / Plan Selected in Error",
            "Sub-Category",
            ("Angela Melody", "NA", "Unable to Plan Shop"),
        ),
        (
            "Medicaid / MCO Plan Shopping / Angela Melody / Plan Selected in Error",
            "Disposition",
            ("MCO Updated", "Question Answered"),
        ),
        (
            "Medicaid / MCO Plan Shopping / Angela Melody / MCO Updated / Urgent",
            "Child Disposition",
            ("NA",),
        ),
    ],
)
def test_out_of_tree_classification_is_refused_with_the_allowed_values_at_the_failing_level(
    mco: ModuleType, path: str, level: str, allowed: tuple[str, ...]
) -> None:
    with pytest.raises(NotInTaxonomy) as refused:
        mco.TAXONOMY.rule(path)
    assert refused.value.level == level
    assert refused.value.allowed == allowed
    assert f"allowed: {', '.join(allowed)}" in str(refused.value)
    assert repr(refused.value.value) in str(refused.value)


def test_check_takes_the_levels_by_name(mco: ModuleType) -> None:
    rule = mco.TAXONOMY.check(
        record_type="Medicaid", category="MCO Plan Shopping", disposition="Plan Selected in Error"
    )
    assert rule.status is mco.TrackerStatus.ESCALATED
    assert rule.owner == Owner.work_queue("MHBE CRM Escalations")


def test_allowed_lists_the_values_below_a_prefix(mco: ModuleType) -> None:
    assert mco.TAXONOMY.allowed() == ("Medicaid",)
    assert mco.TAXONOMY.allowed("Medicaid", "MCO Plan Shopping", "Unable to Plan Shop") == (
        "Outreach 1st Attempt",
        "Outreach Max Attempts",
        "Outreach Required",
        "Plan Selection Corrected",
    )
    with pytest.raises(NotInTaxonomy, match="allowed: MCO Plan Shopping"):
        mco.TAXONOMY.allowed("Medicaid", "Dental")


def test_rules_where_selects_by_level(mco: ModuleType) -> None:
    rules = mco.TAXONOMY.rules_where(disposition=("Plan Selected in Error", "MCO Updated"))
    assert [r.classification.disposition for r in rules] == [
        "Plan Selected in Error",
        "MCO Updated",
    ]
    with pytest.raises(ValidationError, match="unknown taxonomy levels colour"):
        mco.TAXONOMY.rules_where(colour="red")


def test_template_lookup_names_the_declared_templates(mco: ModuleType) -> None:
    assert mco.TAXONOMY.template("MCT Span").layout == "Participant Name(s)/MA/SSN/Requested MCO"
    with pytest.raises(NotFound, match="declared: Angela Melody, For Cause Reason"):
        mco.TAXONOMY.template("Span")


def test_statuses_are_the_ones_the_rules_generate(mco: ModuleType) -> None:
    assert mco.TAXONOMY.statuses == (mco.TrackerStatus.ESCALATED, mco.TrackerStatus.CLOSED)


def test_declaration_refuses_two_rules_for_one_path() -> None:
    with pytest.raises(ValidationError, match="two rules for a / b / NA / c / NA"):
        Taxonomy("t", (Rule("a / b / NA / c", S.OPEN), Rule("a / b / NA / c / NA", S.CLOSED)))


def test_declaration_refuses_statuses_of_two_enums() -> None:
    with pytest.raises(ValidationError, match="mixes statuses of Other, S"):
        Taxonomy("t", (Rule("a / b / NA / c", S.OPEN), Rule("a / b / NA / d", Other.DONE)))


def test_declaration_refuses_an_unknown_template() -> None:
    with pytest.raises(ValidationError, match="unknown templates Nope; declared: T"):
        Taxonomy(
            "t",
            (Rule("a / b / NA / c", S.OPEN, templates="Nope"),),
            templates=(DocTemplate("T", (Field("x"),)),),
        )


def test_declaration_refuses_an_owner_that_is_not_an_Owner() -> None:
    with pytest.raises(ValidationError, match="must be an Owner"):
        Taxonomy("t", (Rule("a / b / NA / c", S.OPEN, "escalations"),))  # type: ignore[arg-type]
