"""Pluggable storage: ports, and in-memory, SQLite and PostgreSQL adapters.

- `casekit.storage.ports`: the abstract classes ([`DocumentStore`][],
  [`AuditLog`][], [`CaseRepository`][], [`RoutingJournal`][], [`LedgerStore`][],
  [`Outbox`][]).
- `casekit.storage.unit_of_work`: [`Storage`][] and its [`UnitOfWork`][], the
  transaction that binds them (above the ports).
- [`DurableRouter`][]: the [`Router`][casekit.routing.Router], durable and shared by many
  processes through a routing journal.
- [`MemoryStorage`][] (the default), [`SQLiteStorage`][] (one file, standard library),
  [`PostgresStorage`][] (``pip install casekit[postgres]``; psycopg is imported only when
  one is created).
- [`verify_chain`][] checks an audit hash chain; [`Storage.verify_audit`][] checks a
  stored case's (and its record), [`Storage.verify_all`][] every one;
  [`Storage.audit_checkpoint`][] takes a [`Checkpoint`][] to keep outside the database.
- The transactional outbox: [`OutboxRecord`][] (a domain event as a CloudEvents 1.0
  envelope), appended with ``uow.outbox.append`` in the change's unit of work (an
  ``outbox`` table on SQLite and PostgreSQL, [`DocumentOutbox`][] in memory), delivered at
  least once by an [`OutboxRelay`][].
- Label queries ([`Has`][], [`Missing`][], [`AllOf`][], [`AnyOf`][], [`Not`][]): which
  documents ``find(where=...)`` returns, run in the database on SQLite and PostgreSQL
  (`casekit.storage.label_query`); [`readable_query`][] turns a read filter into one, which
  is how ``uow.cases.query(readable_by=...)`` filters cases.
- [`retrying`][] runs a unit of work again when it lost a race (``ConcurrencyConflict``);
  [`scrub_conninfo`][] masks database passwords in messages.

The contract suites every adapter passes are `casekit.testing.storage_contract` (one
module per port, combined) and `casekit.testing.contract_validation` (arguments
checked at the door).

The names are imported on first use (PEP 562), so ``import casekit.storage`` stays cheap
and ``from casekit.storage import SQLiteStorage`` loads the SQLite adapter without the
router or the case types.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from casekit.storage.audit import (
        GENESIS_HASH,
        ChainedAuditLog,
        entry_hash,
        verify_chain,
    )
    from casekit.storage.cases import (
        CASES,
        DocumentCaseRepository,
        case_labels,
    )
    from casekit.storage.checkpoint import (
        Checkpoint,
    )
    from casekit.storage.conninfo import (
        scrub_conninfo,
    )
    from casekit.storage.durable_router import (
        BoundRouter,
        DurableRouter,
        serve_timers,
    )
    from casekit.storage.label_query import (
        AllOf,
        AnyOf,
        Has,
        LabelQuery,
        LabelValue,
        Missing,
        Not,
    )
    from casekit.storage.memory import (
        MemoryStorage,
    )
    from casekit.storage.outbox import (
        DocumentOutbox,
    )
    from casekit.storage.outbox_record import (
        OutboxRecord,
    )
    from casekit.storage.ports import (
        AuditEntry,
        AuditLog,
        CaseRepository,
        Document,
        DocumentStore,
        EventHandler,
        JournalEntry,
        JournalSnapshot,
        LedgerKind,
        LedgerLine,
        LedgerStore,
        Outbox,
        Page,
        RoutingJournal,
    )
    from casekit.storage.postgres import (
        PostgresStorage,
    )
    from casekit.storage.readable import (
        readable_query,
    )
    from casekit.storage.relay import (
        OutboxRelay,
    )
    from casekit.storage.retry import (
        retrying,
    )
    from casekit.storage.sql import (
        SCHEMA_VERSION,
        SchemaMigration,
    )
    from casekit.storage.sqlite import (
        SQLiteStorage,
    )
    from casekit.storage.unit_of_work import (
        Storage,
        UnitOfWork,
    )

__all__ = [
    "CASES",
    "GENESIS_HASH",
    "SCHEMA_VERSION",
    "AllOf",
    "AnyOf",
    "AuditEntry",
    "AuditLog",
    "BoundRouter",
    "CaseRepository",
    "ChainedAuditLog",
    "Checkpoint",
    "Document",
    "DocumentCaseRepository",
    "DocumentOutbox",
    "DocumentStore",
    "DurableRouter",
    "EventHandler",
    "Has",
    "JournalEntry",
    "JournalSnapshot",
    "LabelQuery",
    "LabelValue",
    "LedgerKind",
    "LedgerLine",
    "LedgerStore",
    "MemoryStorage",
    "Missing",
    "Not",
    "Outbox",
    "OutboxRecord",
    "OutboxRelay",
    "Page",
    "PostgresStorage",
    "RoutingJournal",
    "SQLiteStorage",
    "SchemaMigration",
    "Storage",
    "UnitOfWork",
    "case_labels",
    "entry_hash",
    "readable_query",
    "retrying",
    "scrub_conninfo",
    "serve_timers",
    "verify_chain",
]

# Where each re-exported name lives, imported by ``__getattr__`` on first access.
_MODULES: dict[str, tuple[str, ...]] = {
    "casekit.storage.audit": (
        "ChainedAuditLog",
        "GENESIS_HASH",
        "entry_hash",
        "verify_chain",
    ),
    "casekit.storage.cases": (
        "CASES",
        "DocumentCaseRepository",
        "case_labels",
    ),
    "casekit.storage.checkpoint": ("Checkpoint",),
    "casekit.storage.conninfo": ("scrub_conninfo",),
    "casekit.storage.durable_router": (
        "BoundRouter",
        "DurableRouter",
        "serve_timers",
    ),
    "casekit.storage.label_query": (
        "AllOf",
        "AnyOf",
        "Has",
        "LabelQuery",
        "LabelValue",
        "Missing",
        "Not",
    ),
    "casekit.storage.memory": ("MemoryStorage",),
    "casekit.storage.outbox": ("DocumentOutbox",),
    "casekit.storage.outbox_record": ("OutboxRecord",),
    "casekit.storage.ports": (
        "AuditEntry",
        "AuditLog",
        "CaseRepository",
        "Document",
        "DocumentStore",
        "EventHandler",
        "JournalEntry",
        "JournalSnapshot",
        "LedgerKind",
        "LedgerLine",
        "LedgerStore",
        "Outbox",
        "Page",
        "RoutingJournal",
    ),
    "casekit.storage.postgres": ("PostgresStorage",),
    "casekit.storage.readable": ("readable_query",),
    "casekit.storage.relay": ("OutboxRelay",),
    "casekit.storage.retry": ("retrying",),
    "casekit.storage.sql": (
        "SCHEMA_VERSION",
        "SchemaMigration",
    ),
    "casekit.storage.sqlite": ("SQLiteStorage",),
    "casekit.storage.unit_of_work": (
        "Storage",
        "UnitOfWork",
    ),
}
_LAZY = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'casekit.storage' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
