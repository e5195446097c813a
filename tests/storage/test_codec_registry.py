"""Stored records name types through a registry; decoding never imports what they name."""

from __future__ import annotations

import enum
import pathlib
import subprocess
import sys
import textwrap
import uuid
from typing import Any

import attrs
import pytest

from casekit.cases import IssueCase, Owner, ProductDeliveryCase, codec
from casekit.cases.codec import case_from_record, case_to_record, register_type, type_topic
from casekit.errors import CorruptRecord, ValidationError
from casekit.storage import MemoryStorage

SRC = pathlib.Path(__file__).parents[2] / "src"


@attrs.frozen
class Household:
    size: int


class Mood(enum.StrEnum):
    CALM = "Calm"


def _record_naming(topic: str) -> dict[str, Any]:
    case = IssueCase.create(id="ISS-1", registered_by="u")
    record: dict[str, Any] = case_to_record(case)
    record["fields"]["id"] = {"$attrs": topic, "fields": {}}
    return record


def test_rule_decoding_does_not_import_a_module_a_record_names(tmp_path: pathlib.Path) -> None:
    """Rule: a record naming a module not yet imported is CorruptRecord; the module stays unrun."""
    name = f"casekit_canary_{uuid.uuid4().hex}"
    ran = tmp_path / "imported"
    (tmp_path / f"{name}.py").write_text(
        f"import pathlib\npathlib.Path({str(ran)!r}).write_text('ran')\n"
        "import attrs\n@attrs.define\nclass Thing:\n    pass\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        for topic in (f"{name}:Thing", "os:system", "subprocess:Popen", "builtins:dict"):
            with pytest.raises(CorruptRecord, match="unknown type") as caught:
                case_from_record(_record_naming(topic))
            assert topic in str(caught.value)
            assert "nothing was imported" in str(caught.value)
        assert name not in sys.modules
        assert not ran.exists()
        with pytest.raises(CorruptRecord, match="unknown type"):
            case_from_record(
                {**_record_naming("x:y"), "fields": {"status": {"$enum": "os:sep", "value": "/"}}}
            )
    finally:
        sys.path.remove(str(tmp_path))


def test_rule_records_written_today_read_back_through_the_registry() -> None:
    """Rule: built-in types are registered under the topic records already hold."""
    case = ProductDeliveryCase.create(id="PDC-1", product="B", primary_client="p1",
                                      owner=Owner.user("w"))  # fmt: skip
    record: dict[str, Any] = case_to_record(case)
    assert record["fields"]["roles"]["$attrs"] == "casekit.cases.parts:CaseRoles"
    assert record["fields"]["status"]["$enum"] == "casekit.cases.product_delivery:PDCStatus"
    assert case_to_record(case_from_record(record)) == record


def test_register_type_with_aliases_for_classes_that_moved() -> None:
    """A class registered with its old topic as an alias reads records written under it."""
    assert register_type(Household, "old.place:Household") is Household
    assert codec._decode({"$attrs": "old.place:Household", "fields": {"size": 3}}) == Household(3)
    topic = type_topic(Household)
    assert codec._decode({"$attrs": topic, "fields": {"size": 4}}) == Household(4)
    with pytest.raises(ValidationError, match="already names"):
        register_type(Mood, "old.place:Household")
    with pytest.raises(ValidationError, match="attrs class or an enum"):
        register_type(dict)
    with pytest.raises(ValidationError, match="alias"):
        register_type(Mood, "")
    with pytest.raises(CorruptRecord, match="where an enum belongs"):
        codec._decode({"$enum": topic, "value": 3})
    with pytest.raises(CorruptRecord, match="where an attrs class belongs"):
        codec._decode({"$attrs": "casekit.priority:Priority", "fields": {}})


def test_encoding_an_unregistered_class_registers_it() -> None:
    """A process that writes a type can read it back."""

    @attrs.frozen
    class Local:
        n: int

    topic = type_topic(Local)
    with pytest.raises(CorruptRecord):
        codec._decode({"$attrs": topic, "fields": {"n": 1}})
    assert codec._decode(codec._encode(Local(1))) == Local(1)


def test_rule_unstorable_values_are_validation_errors() -> None:
    """Rule: a case holding what the codec cannot write raises ValidationError, not TypeError."""
    with pytest.raises(ValidationError, match="cannot store a object"):
        codec._encode(object())


_USER_TYPES = """
from __future__ import annotations

import enum

import attrs

from casekit.cases import Case, case_type
from casekit.lifecycle import Action, Lifecycle


class VisitStatus(enum.StrEnum):
    PLANNED = "Planned"
    DONE = "Done"


class Mood(enum.StrEnum):
    CALM = "Calm"
    UPSET = "Upset"


@attrs.frozen
class Household:
    size: int
    mood: Mood


VISIT = Lifecycle(
    name="Home Visit {tag}",
    statuses=VisitStatus,
    initial=VisitStatus.PLANNED,
    actions=(Action("visit", VisitStatus.PLANNED, VisitStatus.DONE),),
)


@case_type(VISIT, prefix="HV")
@attrs.define(eq=False, slots=True, kw_only=True, repr=False)
class HomeVisit(Case[VisitStatus]):
    household: Household | None = None
"""


def _run(tmp_path: pathlib.Path, script: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": f"{SRC}:{tmp_path}", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_reader_process_decodes_the_types_its_case_types_declare(tmp_path: pathlib.Path) -> None:
    """A process that only reads knows a declared case type's status enum and field types."""
    tag = uuid.uuid4().hex[:8]
    (tmp_path / f"visits_{tag}.py").write_text(_USER_TYPES.replace("{tag}", tag))
    db = tmp_path / "cases.db"
    _run(
        tmp_path,
        f"""
        from casekit.cases import Owner
        from casekit.storage import SQLiteStorage
        from visits_{tag} import HomeVisit, Household, Mood
        case = HomeVisit.create(id="HV-1", owner=Owner.user("w"),
                                household=Household(3, Mood.UPSET))
        case.perform("visit", actor="w")
        with SQLiteStorage({str(db)!r}) as storage:
            storage.add_all([case], actor="intake")
        """,
    )
    out = _run(
        tmp_path,
        f"""
        import sys
        from casekit.storage import SQLiteStorage
        import visits_{tag}  # the reader declares its case types; it never encodes one
        with SQLiteStorage({str(db)!r}) as storage, storage.unit_of_work() as uow:
            case = uow.cases.get("HV-1")
        print(case.status.value, case.household.size, case.household.mood.value)
        """,
    )
    assert out.split() == ["Done", "3", "Upset"]


def test_memory_storage_reads_back_user_types_it_wrote() -> None:
    storage = MemoryStorage()
    case = IssueCase.create(id=f"ISS-{uuid.uuid4().hex[:8]}", registered_by="u")
    storage.add_all([case], actor="intake")
    with storage.unit_of_work() as uow:
        assert uow.cases.get(case.id).status == case.status
