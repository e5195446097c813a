"""Sensitivity on notes (domain.md §7: levels 1-5 on cases, participants and notes; issue 17).

A note more sensitive than a reader's clearance is left out of what the application returns
to them, even when they may read the case; the object they get cannot be saved, so the note
cannot be lost through it.
"""

from __future__ import annotations

from typing import Any

import pytest

from casekit.errors import CasekitError, ValidationError
from casekit.security import Principal
from casekit.storage import Storage

from ._access import INTAKE, open_pdc, secured


def noted(storage: Storage) -> Any:
    app = secured(storage)
    open_pdc(app, "PDC-1")

    def write(case: Any) -> None:
        case.add_note("called the client", author="intake")
        case.add_note("client disclosed abuse at home", author="intake", sensitivity=4)

    app.update("PDC-1", write, actor=INTAKE)
    return app


def test_rule_a_note_above_the_readers_clearance_is_withheld(storage: Storage) -> None:
    app = noted(storage)
    low = Principal("bob", {"caseworker"}, clearance=2)
    high = Principal("bob", {"caseworker"}, clearance=4)
    seen = app.case("PDC-1", actor=low)
    assert [n.text for n in seen.notes] == ["called the client"]
    assert seen.withheld_notes == {"PDC-1/N2"}
    cleared = app.case("PDC-1", actor=high)
    assert [n.sensitivity for n in cleared.notes] == [1, 4]
    assert cleared.withheld_notes == frozenset()
    (listed,) = app.find_cases(actor=low).items
    assert [n.id for n in listed.notes] == ["PDC-1/N1"]


def test_a_case_read_with_notes_withheld_cannot_be_saved(storage: Storage) -> None:
    app = noted(storage)
    seen = app.case("PDC-1", actor=Principal("bob", {"caseworker"}, clearance=2))
    with pytest.raises(ValidationError, match="not cleared"), storage.unit_of_work() as uow:
        uow.cases.save(seen)
    stored = app.case("PDC-1", actor=Principal("sue", {"caseworker"}, clearance=5))
    assert len(stored.notes) == 2  # nothing lost


@pytest.mark.parametrize("level", [0, 6, "4", True, None, 2.0])
def test_a_note_level_must_be_an_int_from_1_to_5(storage: Storage, level: object) -> None:
    app = noted(storage)

    def write(case: Any) -> None:
        case.add_note("more", author="intake", sensitivity=level)

    with pytest.raises(CasekitError):
        app.update("PDC-1", write, actor=INTAKE)
    cleared = app.case("PDC-1", actor=Principal("sue", {"caseworker"}, clearance=5))
    assert len(cleared.notes) == 2
