"""Reassessment identity that survives processes: numbers from the caller, entries to store.

An application takes each reassessment's number from storage (``number=``), so two
processes never reuse one; the correction case's id is derived from it; the correction
entries a reassessment recorded come back on the result, to be stored as ledger lines.
"""

from __future__ import annotations

from typing import Any

import pytest

from casekit.cases import LinkKind, ProductDeliveryCase
from casekit.errors import ValidationError
from casekit.financials import (
    CaseFinancials,
    DeliveryPattern,
    EntryKind,
    Ledger,
    ReassessmentEngine,
    ReassessmentTrigger,
)

from .conftest import WorkedExample, eur
from .test_case_financials import PRODUCT


def _reassess(
    engine: ReassessmentEngine,
    pdc: ProductDeliveryCase,
    worked: WorkedExample,
    ledger: Ledger,
    **kw: Any,
) -> Any:
    return engine.reassess(
        pdc,
        old=worked.paid_under,
        new=worked.step1,
        ledger=ledger,
        pattern=worked.pattern,
        nominees=worked.nominees,
        actor="worker",
        **kw,
    )


def test_a_number_given_names_the_reassessment_and_its_correction_case(
    worked: WorkedExample, pdc: ProductDeliveryCase
) -> None:
    applied = _reassess(ReassessmentEngine(), pdc, worked, worked.paid_ledger(), number=7)
    assert applied.reassessment_id == "PDC-7/R7"
    pcc = applied.correction_case
    assert pcc is not None
    assert pcc.id == "PCC-PDC-7-R7"
    assert "/" not in pcc.id  # it can key a storage ledger line
    assert pcc.reassessment_id == "PDC-7/R7"
    assert pdc.related(LinkKind.CORRECTED_BY) == ("PCC-PDC-7-R7",)


def test_the_correction_case_id_is_derived_not_random(
    worked: WorkedExample, pdc: ProductDeliveryCase
) -> None:
    """Two processes with the same reassessment number name the same case; different
    numbers, different cases."""
    first = _reassess(ReassessmentEngine(), pdc, worked, worked.paid_ledger(), number=3)
    again = _reassess(ReassessmentEngine(), pdc, worked, worked.paid_ledger(), number=3)
    other = _reassess(ReassessmentEngine(), pdc, worked, worked.paid_ledger(), number=4)
    assert first.correction_case.id == again.correction_case.id == "PCC-PDC-7-R3"
    assert other.correction_case.id == "PCC-PDC-7-R4"


def test_without_a_number_the_engine_counts_and_never_goes_back(
    worked: WorkedExample, pdc: ProductDeliveryCase
) -> None:
    engine = ReassessmentEngine()
    ledger = worked.paid_ledger()
    assert _reassess(engine, pdc, worked, ledger).reassessment_id == "PDC-7/R1"
    numbered = _reassess(engine, pdc, worked, ledger, number=5)
    assert numbered.reassessment_id == "PDC-7/R5"
    assert _reassess(engine, pdc, worked, ledger).reassessment_id == "PDC-7/R6"
    assert _reassess(engine, pdc, worked, ledger, number=2).reassessment_id == "PDC-7/R2"
    assert _reassess(engine, pdc, worked, ledger).reassessment_id == "PDC-7/R7"


def test_a_skipped_or_unchanged_reassessment_takes_its_number_too(
    worked: WorkedExample, pdc: ProductDeliveryCase
) -> None:
    engine = ReassessmentEngine()
    ledger = worked.paid_ledger()
    unchanged = engine.reassess(
        pdc,
        old=worked.paid_under,
        new=worked.paid_under,
        ledger=ledger,
        pattern=worked.pattern,
        nominees=worked.nominees,
        actor="worker",
        number=9,
    )
    assert unchanged.reassessment_id == "PDC-7/R9"
    assert unchanged.correction_case is None
    assert unchanged.entries == ()
    pdc.suspend(actor="worker", reason="abroad")
    skipped = _reassess(engine, pdc, worked, ledger, number=10)
    assert skipped.skipped
    assert (skipped.reassessment_id, skipped.entries) == ("PDC-7/R10", ())
    assert len(ledger) == 8  # nothing recorded


def test_the_entries_it_recorded_come_back_with_the_result(
    worked: WorkedExample, pdc: ProductDeliveryCase
) -> None:
    ledger = worked.paid_ledger()
    before = len(ledger)
    applied = _reassess(ReassessmentEngine(), pdc, worked, ledger, number=1)
    assert applied.entries == tuple(list(ledger)[before:])
    assert {e.kind for e in applied.entries} == {EntryKind.CORRECTION}
    assert {e.reference for e in applied.entries} == {"PDC-7/R1"}
    assert sum((e.amount for e in applied.entries), eur("0")) == eur("-427.42")
    assert [(e.cover.start.month, e.component, e.amount) for e in applied.entries] == [
        (line.cover.start.month, line.component, line.correction)
        for line in applied.result.corrections
    ]


@pytest.mark.parametrize(
    ("number", "message"),
    [(0, ">= 1"), (-1, ">= 1"), (True, "integer"), ("3", "integer"), (1.0, "integer")],
)
def test_a_number_that_is_not_a_positive_integer_is_refused_before_anything(
    worked: WorkedExample, pdc: ProductDeliveryCase, number: object, message: str
) -> None:
    engine = ReassessmentEngine()
    ledger = worked.paid_ledger()
    with pytest.raises(ValidationError, match=f"number of the reassessment of PDC-7.*{message}"):
        _reassess(engine, pdc, worked, ledger, number=number)
    assert len(ledger) == 8
    assert pdc.related(LinkKind.CORRECTED_BY) == ()
    assert _reassess(engine, pdc, worked, ledger).reassessment_id == "PDC-7/R1"


def test_case_financials_passes_the_number_through(pdc: ProductDeliveryCase) -> None:
    fin = CaseFinancials(pdc, PRODUCT, pattern=DeliveryPattern.monthly(1))
    applied = fin.reassess(ReassessmentTrigger.MANUAL, actor="w", number=12)
    assert applied.reassessment_id == "PDC-7/R12"
    assert fin.reassessments == [applied]
    with pytest.raises(ValidationError, match="number of the reassessment of PDC-7"):
        fin.reassess(actor="w", number=0)
    assert fin.reassessments == [applied]
