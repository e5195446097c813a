"""Pluggable storage: ports, and in-memory, SQLite and PostgreSQL adapters.

- `casekit.storage.ports`: the abstract classes ([`Storage`][],
  [`UnitOfWork`][], [`DocumentStore`][], [`AuditLog`][], [`CaseRepository`][],
  [`RoutingJournal`][], [`LedgerStore`][]).
- [`DurableRouter`][]: the [`Router`][casekit.routing.Router], durable and shared by many
  processes through a routing journal.
- [`MemoryStorage`][] (the default), [`SQLiteStorage`][] (one file, standard library),
  [`PostgresStorage`][] (``pip install casekit[postgres]``; psycopg is imported only when
  one is created).
- [`verify_chain`][] checks an audit hash chain; [`Storage.verify_audit`][] checks a
  stored case's (and its record), [`Storage.verify_all`][] every one;
  [`Storage.audit_checkpoint`][] takes a [`Checkpoint`][] to keep outside the database.
- [`retrying`][] runs a unit of work again when it lost a race (``ConcurrencyConflict``);
  [`scrub_conninfo`][] masks database passwords in messages.

The contract suites every adapter passes are `casekit.testing.storage_contract` and
`casekit.testing.contract_validation` (arguments checked at the door).
"""

from __future__ import annotations

from casekit.storage.audit import GENESIS_HASH, ChainedAuditLog, entry_hash, verify_chain
from casekit.storage.cases import CASES, DocumentCaseRepository, case_labels
from casekit.storage.checkpoint import Checkpoint
from casekit.storage.conninfo import scrub_conninfo
from casekit.storage.durable_router import BoundRouter, DurableRouter, serve_timers
from casekit.storage.memory import MemoryStorage
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
    Page,
    RoutingJournal,
    Storage,
    UnitOfWork,
)
from casekit.storage.postgres import PostgresStorage
from casekit.storage.retry import retrying
from casekit.storage.sql import SCHEMA_VERSION
from casekit.storage.sqlite import SQLiteStorage

__all__ = [
    "CASES",
    "GENESIS_HASH",
    "SCHEMA_VERSION",
    "AuditEntry",
    "AuditLog",
    "BoundRouter",
    "CaseRepository",
    "ChainedAuditLog",
    "Checkpoint",
    "Document",
    "DocumentCaseRepository",
    "DocumentStore",
    "DurableRouter",
    "EventHandler",
    "JournalEntry",
    "JournalSnapshot",
    "LedgerKind",
    "LedgerLine",
    "LedgerStore",
    "MemoryStorage",
    "Page",
    "PostgresStorage",
    "RoutingJournal",
    "SQLiteStorage",
    "Storage",
    "UnitOfWork",
    "case_labels",
    "entry_hash",
    "retrying",
    "scrub_conninfo",
    "serve_timers",
    "verify_chain",
]
