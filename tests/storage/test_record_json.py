"""Case records as JSON text: orjson (casekit[fast]) and the standard library agree."""

from __future__ import annotations

import json

import pytest

from casekit.cases.codec import case_to_record
from casekit.storage import MemoryStorage
from casekit.storage import cases as case_storage
from casekit.storage.cases import record_json
from casekit.testing.storage_contract import correction_case, rich_case


def _stdlib(record: object) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def test_fast_and_standard_encoders_write_the_same_text(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("orjson")
    storage = MemoryStorage()
    for case in (rich_case(storage), correction_case(storage)):
        record = case_to_record(case)
        fast = record_json(record)
        monkeypatch.setattr(case_storage, "orjson", None)
        assert record_json(record) == fast == _stdlib(record)
        monkeypatch.undo()
        assert json.loads(fast) == record


@pytest.mark.parametrize(
    "value",
    [2**70, -(2**64), "lone \ud800 surrogate", 'control \x01 and quote " and é ✓ \u2028'],
)
def test_what_orjson_refuses_falls_back_to_the_standard_library(value: object) -> None:
    record = {"id": "c1", "fields": {"odd": value}}
    text = record_json(record)
    assert json.loads(text) == record


def test_a_stored_case_reads_back_whole_through_json_text() -> None:
    storage = MemoryStorage()
    case = rich_case(storage)
    storage.add_all([case], actor="intake")
    with storage.unit_of_work() as uow:
        stored = uow.cases.get(case.id)
    assert case_to_record(stored) | {"version": 0} == case_to_record(case) | {"version": 0}
