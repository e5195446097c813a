"""The atomicity fuzz over every storage port on all three adapters: 0 half-written stores.

Each probed call runs in a unit of work of its own on a storage that already holds a little
data, and that unit of work is **committed** whether the call succeeded or was refused: a
refused call must leave nothing to commit. The state compared is the database's whole content,
read after the commit (every table, through a connection of its own, for SQLite and
PostgreSQL; every container of the in-memory adapter), so a refused call that wrote half of
something is found, wherever it wrote.

One storage per adapter serves the whole run (a PostgreSQL database per probe would take
minutes): each fresh :class:`Scene` works under ids of its own, and the content compared is
digested per table so that comparing it stays cheap as the database grows. The counts appear
in pytest's terminal summary under "casekit atomicity fuzz".
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from casekit.cases import Case, Owner, ProductDeliveryCase
from casekit.clock import ManualClock
from casekit.priority import Priority
from casekit.storage import MemoryStorage, PostgresStorage, SQLiteStorage, Storage
from casekit.storage.ports import (
    AuditLog,
    CaseRepository,
    DocumentStore,
    JournalEntry,
    JournalSnapshot,
    LedgerKind,
    LedgerStore,
    Outbox,
    OutboxRecord,
    RoutingJournal,
    UnitOfWork,
)
from casekit.testing import Call, FuzzReport, FuzzTarget

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
NOTES = "notes"
_ids = itertools.count(1)


# ----- the whole content of a storage --------------------------------------------------------


def _digest(rows: list[str]) -> tuple[int, str]:
    rows.sort()
    return len(rows), hashlib.sha256(
        "\n".join(rows).encode("utf-8", "backslashreplace")
    ).hexdigest()


def memory_content(storage: MemoryStorage) -> dict[str, tuple[int, str]]:
    """Every container of the in-memory adapter (its private fields: there is no SQL to ask)."""
    docs = [
        f"{collection!r} {key!r} {row!r}"
        for collection, rows in storage._docs.items()
        for key, row in rows.items()
    ]
    return {
        "documents": _digest(docs),
        "audit": _digest([repr(e) for trail in storage._audit.values() for e in trail]),
        "audit heads": _digest([repr(h) for h in storage._heads.items()]),
        "journals": _digest([repr(e) for journal in storage._journals.values() for e in journal]),
        "snapshots": _digest([repr(s) for s in storage._snapshots.items()]),
    }


def sqlite_content(path: str) -> dict[str, tuple[int, str]]:
    """Every table of the SQLite file, read through a connection of its own."""
    with sqlite3.connect(path) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            table: _digest([repr(row) for row in conn.execute(f'SELECT * FROM "{table}"')])
            for table in tables
        }


class PostgresReader:
    """Every table of a PostgreSQL database, digested by the server, on its own connection."""

    def __init__(self, conninfo: str) -> None:
        import psycopg  # noqa: PLC0415  only when PostgreSQL runs

        self.conn = psycopg.connect(conninfo, autocommit=True)

    def content(self) -> dict[str, tuple[int, str]]:
        tables = [
            name
            for (name,) in self.conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() ORDER BY table_name"
            ).fetchall()
        ]
        out = {}
        for table in tables:
            count, digest = self.conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{table}\" t"  # noqa: E501  one statement
            ).fetchone()  # type: ignore[misc]
            out[table] = (count, digest)
        return out


# ----- a scene: the storage, ids of its own, and a little data ------------------------------


class Scene:
    """What one probe works on: the shared storage, fresh ids, data made on demand."""

    def __init__(self, storage: Storage, content: Callable[[], object]) -> None:
        self.storage = storage
        self.content = content
        self.n = next(_ids)

    def id(self, what: str) -> str:
        return f"{what}-{self.n}"

    def run(self, act: Callable[[UnitOfWork], object]) -> object:
        """Run ``act`` in a unit of work and commit it, also after a refusal."""
        with self.storage.unit_of_work() as uow:
            try:
                result = act(uow)
            except Exception:
                uow.commit()  # a refused call leaves nothing to commit: commit to prove it
                raise
            uow.commit()
            return result

    def case(self) -> ProductDeliveryCase:
        return ProductDeliveryCase.create(
            id=self.id("PDC"),
            product="Basic Allowance",
            primary_client="p1",
            owner=Owner.user("ana"),
            supervisor=Owner.user("boss"),
            clock=ManualClock(T0),
        )

    def stored_case(self) -> Case[Any]:
        """A case added, read back in another unit of work and changed (ready to save)."""
        case = self.case()
        self.run(lambda uow: uow.cases.add(case, actor="ana"))
        read: Case[Any] = self.run(lambda uow: uow.cases.get(case.id))  # type: ignore[assignment]
        read.add_note("called the client", author="ana")
        read.set_priority(Priority.HIGH, actor="ana", reason="escalated")
        return read

    def document(self) -> str:
        key = self.id("doc")
        self.run(
            lambda uow: uow.documents.put(
                NOTES, key, {"text": "hello"}, expected_version=0, labels={"k": "v"}, updated_at=T0
            )
        )
        return key

    def ledger_line(self) -> str:
        case_id = self.id("PDC")
        self.run(
            lambda uow: uow.ledger.record(
                case_id, LedgerKind.PAYMENT, "PAY-1", {"amount": "600.00"}, actor="ana", at=T0
            )
        )
        return case_id

    def journal(self) -> str:
        domain = self.id("team")
        self.run(lambda uow: uow.journal.append([JournalEntry(domain, 1, T0, "tick", {})]))
        return domain

    def event(self) -> OutboxRecord:
        return OutboxRecord(
            id=self.id("evt"),
            source="/casekit/fuzz",
            type="casekit.case.status_changed",
            subject=self.id("PDC"),
            time=T0,
            data={"before": "Open", "after": "Submitted"},
        )

    def outbox_record(self) -> str:
        record = self.event()
        self.run(lambda uow: uow.outbox.append([record]))
        return record.id

    def state(self) -> object:
        return self.content()


class PortCall:
    """A port method fuzzed on a :class:`Scene`: same parameters, run in a committed unit of work.

    The fuzzer reads the parameters and type hints of the port's declaration (the abstract
    method in ``casekit.storage.ports``), so the probes are those its own callers could pass.
    """

    def __init__(self, port: str, declared: Callable[..., object]) -> None:
        self.port = port
        self.method = declared.__name__
        self.__signature__ = inspect.signature(declared)  # (self, ...): self is the scene
        self.__annotations__ = dict(declared.__annotations__)
        self.__globals__ = {
            **getattr(declared, "__globals__", {}),
            "Case": Case,
            "Owner": Owner,
        }

    def __call__(self, scene: Scene, /, *args: object, **kwargs: object) -> object:
        def act(uow: UnitOfWork) -> object:
            return getattr(getattr(uow, self.port), self.method)(*args, **kwargs)

        return scene.run(act)


def entry(domain: str, seq: int) -> JournalEntry:
    return JournalEntry(domain, seq, T0, "submit", {"item": {"id": "i1", "skills": {"s": 1}}})


PORTS: dict[str, tuple[dict[str, PortCall], dict[str, Callable[[Scene], Call]]]] = {
    "uow.documents": (
        {
            "put": PortCall("documents", DocumentStore.put),
            "put_new": PortCall("documents", DocumentStore.put_new),
            "delete": PortCall("documents", DocumentStore.delete),
            "find": PortCall("documents", DocumentStore.find),
            "get": PortCall("documents", DocumentStore.get),
        },
        {
            "put": lambda s: Call(
                NOTES,
                s.id("doc"),
                {"text": "hello", "n": 1, "tags": ["a"]},
                expected_version=0,
                labels={"status": "open"},
                updated_at=T0,
            ),
            "put_new": lambda s: Call(
                NOTES,
                [
                    (s.id("new-a"), {"text": "a"}, {"status": "open"}, T0),
                    (s.id("new-b"), {"text": "b"}, {}, T0),
                ],
            ),
            "delete": lambda s: Call(NOTES, s.document(), expected_version=1),
            "find": lambda s: Call(
                NOTES,
                labels={"k": "v"},
                updated_from=T0,
                updated_to=datetime(2027, 1, 1, tzinfo=UTC),
                after="doc-0",
                limit=10,
            ),
            "get": lambda s: Call(NOTES, s.document()),
        },
    ),
    "uow.cases": (
        {
            "add": PortCall("cases", CaseRepository.add),
            "add_all": PortCall("cases", CaseRepository.add_all),
            "save": PortCall("cases", CaseRepository.save),
            "get": PortCall("cases", CaseRepository.get),
            "query": PortCall("cases", CaseRepository.query),
        },
        {
            "add": lambda s: Call(s.case(), actor="ana"),
            "add_all": lambda s: Call([s.case()], actor="ana"),
            "save": lambda s: Call(s.stored_case()),
            "get": lambda s: Call(s.stored_case().id),
            "query": lambda s: Call(
                case_type="Product Delivery Case",
                status="Open",
                owner=Owner.user("ana"),
                priority=Priority.NORMAL,
                updated_from=T0,
                updated_to=datetime(2027, 1, 1, tzinfo=UTC),
                after="PDC-0",
                limit=5,
            ),
        },
    ),
    "uow.ledger": (
        {
            "record": PortCall("ledger", LedgerStore.record),
            "line": PortCall("ledger", LedgerStore.line),
            "lines": PortCall("ledger", LedgerStore.lines),
        },
        {
            "record": lambda s: Call(
                s.ledger_line(),
                LedgerKind.PAYMENT,
                "PAY-1",
                {"amount": "500.00", "status": "Submitted"},
                status="Submitted for Payment",
                expected_version=1,
                actor="ana",
                at=T0,
            ),
            "line": lambda s: Call(s.ledger_line(), LedgerKind.PAYMENT, "PAY-1"),
            "lines": lambda s: Call(s.ledger_line(), LedgerKind.PAYMENT),
        },
    ),
    "uow.audit": (
        {
            "append": PortCall("audit", AuditLog.append),
            "append_many": PortCall("audit", AuditLog.append_many),
        },
        {
            "append": lambda s: Call(
                s.id("PDC"),
                actor="ana",
                action="approve",
                at=T0,
                before="Submitted",
                after="Approved",
                detail={"reason": "checked", "amount": "600.00"},
            ),
            "append_many": lambda s: Call(
                [
                    {"case_id": s.id("PDC"), "actor": "ana", "action": "open", "at": T0},
                    {"case_id": s.id("PDC"), "actor": "ana", "action": "submit", "at": T0},
                ]
            ),
        },
    ),
    "uow.journal": (
        {
            "lock": PortCall("journal", RoutingJournal.lock),
            "append": PortCall("journal", RoutingJournal.append),
            "read": PortCall("journal", RoutingJournal.read),
            "save_snapshot": PortCall("journal", RoutingJournal.save_snapshot),
        },
        {
            "lock": lambda s: Call(s.id("team")),
            "append": lambda s: Call([entry(s.journal(), 2), entry(s.id("other-team"), 1)]),
            "read": lambda s: Call(s.journal(), after=0, limit=10),
            "save_snapshot": lambda s: Call(
                JournalSnapshot(s.journal(), 1, "casekit-router-1", b"\x00state", T0)
            ),
        },
    ),
    "uow.outbox": (
        {
            "append": PortCall("outbox", Outbox.append),
            "claim": PortCall("outbox", Outbox.claim),
            "ack": PortCall("outbox", Outbox.ack),
            "pending": PortCall("outbox", Outbox.pending),
        },
        {
            "append": lambda s: Call([s.event()]),
            "claim": lambda s: Call(5, owner="relay-1", lease=timedelta(seconds=30), now=T0),
            "ack": lambda s: Call([s.outbox_record()], owner="relay-1", now=T0),
            "pending": lambda s: Call(10),
        },
    ),
}

BACKENDS = ["memory", "sqlite", "postgres"]


@pytest.fixture(scope="module")
def fuzzed_storage(
    request: pytest.FixtureRequest, storage_factory: Callable[[str], Storage]
) -> Iterator[Callable[[str], tuple[Storage, Callable[[], object]]]]:
    """One storage per backend for this module, with the function that reads all of it."""
    made: dict[str, tuple[Storage, Callable[[], object]]] = {}
    readers: list[PostgresReader] = []

    def get(backend: str) -> tuple[Storage, Callable[[], object]]:
        if backend not in made:
            storage = storage_factory(backend)
            content: Callable[[], object]
            if isinstance(storage, MemoryStorage):
                content = lambda: memory_content(storage)  # noqa: E731
            elif isinstance(storage, SQLiteStorage):
                path = str(storage.path)
                content = lambda: sqlite_content(path)  # noqa: E731
            else:
                assert isinstance(storage, PostgresStorage)
                reader = PostgresReader(storage.conninfo)
                readers.append(reader)
                content = reader.content
            made[backend] = (storage, content)
        return made[backend]

    yield get
    for reader in readers:
        reader.conn.close()


@pytest.mark.parametrize("port", list(PORTS))
@pytest.mark.parametrize("backend", BACKENDS)
def test_storage_ports_write_nothing_when_they_refuse(
    backend: str,
    port: str,
    request: pytest.FixtureRequest,
    fuzzed_storage: Callable[[str], tuple[Storage, Callable[[], object]]],
    fuzz_reports: list[FuzzReport],
) -> None:
    """Rule: a refused call inside a unit of work leaves nothing to commit (0 half-written
    stores), and every call succeeds or raises a CasekitError."""
    storage, content = fuzzed_storage(backend)
    methods, good = PORTS[port]
    target: FuzzTarget[Scene] = FuzzTarget(
        f"{port} ({backend})",
        lambda: Scene(storage, content),
        methods=methods,
        good_args=good,
        state=Scene.state,
    )
    report = target.run(seed=0, max_calls=200, timeout=20.0)
    fuzz_reports.append(report)
    assert report.tried > 0, report
    report.assert_clean(allow_suspect=False)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_state_compared_sees_a_half_written_store(
    backend: str,
    fuzzed_storage: Callable[[str], tuple[Storage, Callable[[], object]]],
) -> None:
    """The check itself: a write committed before a refusal shows in the content compared."""
    storage, content = fuzzed_storage(backend)
    scene = Scene(storage, content)
    before = scene.state()

    def half(uow: UnitOfWork) -> None:
        uow.documents.put(
            NOTES, scene.id("half"), {"a": 1}, expected_version=0, labels={}, updated_at=T0
        )
        raise RuntimeError("refused after writing")

    with pytest.raises(RuntimeError):
        scene.run(half)
    assert scene.state() != before
