"""Saved reports: filters, CSV, DataFrame, and running against storage adapters."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest

from casekit import ManualClock
from casekit.cases import Owner
from casekit.classification import COLUMNS, SavedReport
from casekit.errors import MissingExtra, ValidationError
from casekit.security import AccessPolicy, Grant, Permission, Principal, Relationship
from casekit.storage import MemoryStorage, Page, SQLiteStorage

Maker = Callable[..., Any]
ESCALATIONS = Owner.work_queue("MHBE CRM Escalations")
UNASSIGNED = Owner.work_queue("MHBE CRM Unassigned")


@pytest.fixture
def cases(mco: ModuleType, recorded: Maker, clock: ManualClock) -> list[Any]:
    """Five cases a day apart: to vet (x2), true, false, and a question answered."""
    made = []
    for template, sub, disposition, step in [
        ("Incorrect Selection", "NA", "Plan Selected in Error", None),
        ("Angela Melody", "Angela Melody", "MCO Updated", None),
        ("MCT Span", "NA", "Plan Selected in Error", "vet_true"),
        ("For Cause Reason", "NA", "Plan Selected in Error", "vet_false"),
        ("Angela Melody", "Angela Melody", "Question Answered", None),
    ]:
        case = recorded(template, sub_category=sub, disposition=disposition)
        if step:
            mco.PROCEDURE.run(case, step, actor="qc")
        made.append(case)
        clock.advance(timedelta(days=1))
    return made


def ids(report: Any) -> list[str]:
    return list(report.case_ids)


def test_the_seeds_vetting_report_selects_plan_selected_in_error_and_mco_updated(
    mco: ModuleType, cases: list[Any]
) -> None:
    assert ids(mco.TO_VET.run(cases)) == [cases[0].id, cases[1].id]


def test_the_true_tracker_report_selects_plan_selection_corrected(
    mco: ModuleType, cases: list[Any]
) -> None:
    assert ids(mco.TRUE_TRACKER_CASES.run(cases)) == [cases[2].id]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, [0, 1, 2, 3, 4]),
        ({"record_types": "Medicaid"}, [0, 1, 2, 3, 4]),
        ({"record_types": "Medicare"}, []),
        ({"categories": "MCO Plan Shopping"}, [0, 1, 2, 3, 4]),
        ({"sub_categories": "Angela Melody"}, [1, 4]),
        ({"dispositions": ("Outreach Required", "Question Answered")}, [3, 4]),
        ({"child_dispositions": "NA"}, [0, 1, 2, 3, 4]),
        ({"statuses": "Escalated"}, [0]),
        ({"statuses": ("Closed",)}, [1, 2, 3, 4]),
        ({"owners": UNASSIGNED}, [2, 3]),
        ({"owners": (ESCALATIONS,)}, [0, 1, 4]),
        ({"case_types": "MCO Tracker Case"}, [0, 1, 2, 3, 4]),
        ({"case_types": "Issue Case"}, []),
        ({"created_from": datetime(2026, 3, 3, tzinfo=UTC)}, [1, 2, 3, 4]),
        ({"created_before": datetime(2026, 3, 3, tzinfo=UTC)}, [0]),
        (
            {
                "updated_from": datetime(2026, 3, 4, tzinfo=UTC),
                "updated_before": datetime(2026, 3, 6, tzinfo=UTC),
            },
            [2, 3],
        ),
    ],
)
def test_report_filters_by_taxonomy_level_status_owner_type_and_dates(
    cases: list[Any], filters: dict[str, Any], expected: list[int]
) -> None:
    assert ids(SavedReport("r", **filters).run(cases)) == [cases[i].id for i in expected]


def test_taxonomy_filters_leave_out_unclassified_cases(mco: ModuleType, clock: ManualClock) -> None:
    fresh = mco.TrackerCase.create(owner=Owner.user("csr"), clock=clock)
    assert ids(SavedReport("r", record_types="Medicaid").run([fresh])) == []
    assert ids(SavedReport("r", statuses="New").run([fresh])) == [fresh.id]
    assert SavedReport("r").run([fresh]).rows[0][2:7] == ("",) * 5


def test_report_date_bounds_must_be_aware_and_ordered() -> None:
    with pytest.raises(ValidationError, match="naive"):
        SavedReport("r", created_from=datetime(2026, 1, 1))  # naive on purpose
    with pytest.raises(ValidationError, match="ends before it starts"):
        SavedReport(
            "r",
            updated_from=datetime(2026, 2, 1, tzinfo=UTC),
            updated_before=datetime(2026, 1, 1, tzinfo=UTC),
        )


def test_csv_export_has_the_header_and_one_row_per_case(mco: ModuleType, cases: list[Any]) -> None:
    out = io.StringIO()
    text = mco.TO_VET.run(cases).to_csv(out)
    assert out.getvalue() == text
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == COLUMNS
    first = dict(zip(COLUMNS, rows[1], strict=True))
    assert first["Case Number"] == cases[0].id
    assert first["Disposition"] == "Plan Selected in Error"
    assert first["Status"] == "Escalated"
    assert first["Owner"] == "Work Queue MHBE CRM Escalations"
    assert first["Subject"] == "Incorrect Selection"
    assert "SSN: •••••6789" in first["Documentation"]
    assert len(rows) == 3


def test_records_are_keyed_by_column(mco: ModuleType, cases: list[Any]) -> None:
    records = mco.TO_VET.run(cases).to_records()
    assert [r["Case Number"] for r in records] == [cases[0].id, cases[1].id]


def test_dataframe_has_the_report_columns(mco: ModuleType, cases: list[Any]) -> None:
    frame = mco.TO_VET.run(cases).to_dataframe()
    assert list(frame.columns) == list(COLUMNS)
    assert list(frame["Case Number"]) == [cases[0].id, cases[1].id]


def test_dataframe_without_pandas_names_the_extra(
    mco: ModuleType, cases: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingExtra, match=r"casekit\[pandas\]"):
        mco.TO_VET.run(cases).to_dataframe()


@pytest.mark.parametrize("adapter", ["memory", "sqlite"])
def test_a_saved_report_runs_on_a_storage_adapter(
    mco: ModuleType, cases: list[Any], adapter: str, tmp_path: Any
) -> None:
    clock = ManualClock(datetime(2026, 3, 9, tzinfo=UTC))
    storage = (
        MemoryStorage(clock=clock)
        if adapter == "memory"
        else SQLiteStorage(tmp_path / "cases.db", clock=clock)
    )
    with storage.unit_of_work() as uow:
        for case in cases:
            uow.cases.add(case, actor="csr")
        uow.commit()
    with storage.unit_of_work() as uow:
        # repositories return cases in id order
        assert ids(mco.TO_VET.run_on(uow.cases, page_size=1)) == sorted([cases[0].id, cases[1].id])
        closed_unassigned = SavedReport("r", statuses="Closed", owners=UNASSIGNED)
        assert ids(closed_unassigned.run_on(uow.cases)) == sorted([cases[2].id, cases[3].id])
        stored = uow.cases.get(cases[3].id)
    assert stored.classification == cases[3].classification
    assert stored.documentation == cases[3].documentation


class _Repository:
    """A case repository's query contract (id order, pages), recording each query."""

    def __init__(self, cases: list[Any]) -> None:
        self.cases = sorted(cases, key=lambda c: c.id)
        self.queries: list[dict[str, Any]] = []

    def query(self, *, after: str | None = None, limit: int = 100, **filters: Any) -> Page[Any]:
        self.queries.append({"after": after, "limit": limit, **filters})
        status, owner = filters.get("status"), filters.get("owner")
        chosen = [
            c
            for c in self.cases
            if (after is None or c.id > after)
            and (status is None or c.status.value == status)
            and (owner is None or c.roles.owner == owner)
        ]
        page = tuple(chosen[:limit])
        return Page(page, page[-1].id if len(chosen) > limit else None)


def test_run_on_pages_through_the_repository_and_pushes_single_filters_down(
    cases: list[Any],
) -> None:
    repository = _Repository(cases)
    report = SavedReport(
        "r", statuses="Closed", owners=UNASSIGNED, dispositions="Outreach Required"
    )
    assert ids(report.run_on(repository, page_size=1)) == [cases[3].id]
    first = repository.queries[0]
    assert (first["status"], first["owner"], first["limit"]) == ("Closed", UNASSIGNED, 1)
    assert len(repository.queries) == 2  # two matching cases, one per page
    several = SavedReport("r", statuses=("Closed", "Escalated"))
    assert ids(several.run_on(_Repository(cases))) == sorted(c.id for c in cases)


@pytest.mark.parametrize("adapter", ["memory", "sqlite"])
def test_a_report_run_for_a_principal_holds_only_the_cases_they_may_read(
    mco: ModuleType, cases: list[Any], adapter: str, tmp_path: Any
) -> None:
    """readable_by is pushed down to the store's query: the report (and its CSV) holds
    only the readable cases."""
    clock = ManualClock(datetime(2026, 3, 9, tzinfo=UTC))
    storage = (
        MemoryStorage(clock=clock)
        if adapter == "memory"
        else SQLiteStorage(tmp_path / "cases.db", clock=clock)
    )
    storage.add_all(cases, actor="csr")
    policy = AccessPolicy(
        [Grant(roles="supervisor", permissions=Permission.READ, relationship=Relationship.MEMBER)]
    )
    member = Principal("sam", {"supervisor"}, teams={UNASSIGNED.id})
    everything = SavedReport("all")
    with storage.unit_of_work() as uow:
        readable = everything.run_on(uow.cases, readable_by=policy.read_filter(member))
        assert ids(readable) == sorted([cases[2].id, cases[3].id])
        assert cases[0].id not in readable.to_csv()
        wrong = r"readable_by of report 'all' \(policy.read_filter\(principal\)\) must be a"
        with pytest.raises(ValidationError, match=wrong):
            everything.run_on(uow.cases, readable_by=member)  # type: ignore[arg-type]
