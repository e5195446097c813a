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
"""

from __future__ import annotations

from casekit.storage.audit import GENESIS_HASH, ChainedAuditLog, entry_hash, verify_chain
from casekit.storage.cases import CASES, DocumentCaseRepository, case_labels
from casekit.storage.checkpoint import Checkpoint
from casekit.storage.conninfo import scrub_conninfo
from casekit.storage.durable_router import BoundRouter, DurableRouter, serve_timers
from casekit.storage.label_query import AllOf, AnyOf, Has, LabelQuery, LabelValue, Missing, Not
from casekit.storage.memory import MemoryStorage
from casekit.storage.outbox import DocumentOutbox
from casekit.storage.outbox_record import OutboxRecord
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
from casekit.storage.postgres import PostgresStorage
from casekit.storage.readable import readable_query
from casekit.storage.relay import OutboxRelay
from casekit.storage.retry import retrying
from casekit.storage.sql import SCHEMA_VERSION, SchemaMigration
from casekit.storage.sqlite import SQLiteStorage
from casekit.storage.unit_of_work import Storage, UnitOfWork

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
