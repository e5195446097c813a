"""Subject and documentation templates: required fields by name, choices, masked values."""

from __future__ import annotations

from types import ModuleType

import pytest

from casekit.classification import DocTemplate, Field, MemoryVault, Sensitive
from casekit.errors import MissingFields, ValidationError


@pytest.mark.parametrize(
    ("template", "layout"),
    [
        ("Angela Melody", "Participant Name(s)/MA/SSN/New MCO or New Provider"),
        ("MCT Span", "Participant Name(s)/MA/SSN/Requested MCO"),
        ("For Cause Reason", "Participant Name(s)/For Cause Reason/MA/SSN/New MCO"),
        ("Incorrect Selection", "Participant Name(s)/MA/SSN/Correct MCO Choice"),
    ],
)
def test_each_seed_template_refuses_every_missing_field_by_name(
    mco: ModuleType, docs: dict[str, dict[str, str]], template: str, layout: str
) -> None:
    spec = mco.TAXONOMY.template(template)
    assert spec.layout == layout
    for field in spec.fields:
        values = {k: v for k, v in docs[template].items() if k not in field.names}
        with pytest.raises(MissingFields) as refused:
            spec.fill(values, vault=MemoryVault())
        assert refused.value.missing == (field.label,)
        assert f"is missing {field.label};" in str(refused.value)


def test_an_alternative_field_satisfies_the_requirement(
    mco: ModuleType, docs: dict[str, dict[str, str]]
) -> None:
    values = {k: v for k, v in docs["Angela Melody"].items() if k != "New MCO"}
    doc = mco.TAXONOMY.template("Angela Melody").fill(
        {**values, "New Provider": "Dr. Ortiz"}, vault=MemoryVault()
    )
    assert doc.get("New Provider") == "Dr. Ortiz"
    assert doc.get("New MCO") is None


def test_a_pick_list_field_refuses_other_values_listing_the_choices(
    mco: ModuleType, docs: dict[str, dict[str, str]]
) -> None:
    values = {**docs["For Cause Reason"], "For Cause Reason": "Moved house"}
    with pytest.raises(ValidationError, match="allowed: ARC, Family Unification, Foster Care"):
        mco.TAXONOMY.template("For Cause Reason").fill(values, vault=MemoryVault())


def test_unknown_fields_are_refused_with_the_layout(
    mco: ModuleType, docs: dict[str, dict[str, str]]
) -> None:
    with pytest.raises(ValidationError, match="unknown fields Shoe Size; fields: Participant"):
        mco.TAXONOMY.template("MCT Span").fill(
            {**docs["MCT Span"], "Shoe Size": "9"}, vault=MemoryVault()
        )


def test_empty_values_are_refused(mco: ModuleType, docs: dict[str, dict[str, str]]) -> None:
    spec = mco.TAXONOMY.template("MCT Span")
    with pytest.raises(ValidationError, match="Requested MCO must be a non-blank string"):
        spec.fill({**docs["MCT Span"], "Requested MCO": " "}, vault=MemoryVault())
    with pytest.raises(
        ValidationError, match=r"SSN must be a non-empty string.*\(value not shown\)$"
    ):
        spec.fill({**docs["MCT Span"], "SSN": ""}, vault=MemoryVault())


def test_sensitive_fields_are_sealed_and_shown_masked(
    mco: ModuleType, docs: dict[str, dict[str, str]]
) -> None:
    vault = MemoryVault()
    doc = mco.TAXONOMY.template("MCT Span").fill(docs["MCT Span"], vault=vault)
    ssn = doc.get("SSN")
    assert isinstance(ssn, Sensitive)
    assert ssn.reveal(vault) == "123-45-6789"
    assert "123-45-6789" not in str(doc)
    assert "SSN: •••••6789" in doc.text


def test_an_already_sealed_value_is_kept(mco: ModuleType, docs: dict[str, dict[str, str]]) -> None:
    vault = MemoryVault()
    ssn = Sensitive.seal("123-45-6789", kind="SSN", vault=vault)
    doc = mco.TAXONOMY.template("MCT Span").fill({**docs["MCT Span"], "SSN": ssn}, vault=vault)
    assert doc.get("SSN") is ssn


def test_subject_placeholders_are_filled_from_fields(
    mco: ModuleType, docs: dict[str, dict[str, str]]
) -> None:
    doc = mco.TAXONOMY.template("For Cause Reason").fill(
        docs["For Cause Reason"], vault=MemoryVault()
    )
    assert doc.subject == "For Cause Reason – New County"


def test_an_optional_field_left_out_leaves_its_placeholder_empty() -> None:
    spec = DocTemplate("T", (Field("a"), Field("b", required=False)), subject="T {b}")
    assert spec.fill({"a": "x"}).subject == "T "


def test_a_subject_cannot_show_a_sensitive_field() -> None:
    with pytest.raises(ValidationError, match=r"placeholder \{SSN\} must name a non-sensitive"):
        DocTemplate("T", (Field("SSN", sensitive=True),), subject="T {SSN}")


def test_a_template_cannot_name_a_field_twice() -> None:
    with pytest.raises(ValidationError, match="names field 'a' twice"):
        DocTemplate("T", (Field("a"), Field("b", alternatives=("a",))))


def test_a_sensitive_field_cannot_be_a_pick_list() -> None:
    with pytest.raises(ValidationError, match="cannot have choices"):
        DocTemplate("T", (Field("SSN", sensitive=True, choices=("1",)),))
