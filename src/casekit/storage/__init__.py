"""Pluggable storage: ports, and in-memory, SQLite and PostgreSQL adapters.

- :mod:`casekit.storage.ports`: the abstract classes (:class:`DocumentStore`,
  :class:`AuditLog`, :class:`CaseRepository`, :class:`RoutingJournal`, :class:`LedgerStore`).
- :mod:`casekit.storage.unit_of_work`: :class:`Storage` and its :class:`UnitOfWork`, the
  transaction that binds them (above the ports).
- :class:`DurableRouter`: the :class:`~casekit.routing.Router`, durable and shared by many
  processes through a routing journal.
- :class:`MemoryStorage` (the default), :class:`SQLiteStorage` (one file, standard library),
  :class:`PostgresStorage` (``pip install casekit[postgres]``; psycopg is imported only when
  one is created).
- :func:`verify_chain` checks an audit hash chain; :meth:`Storage.verify_audit` checks a
  stored case's (and its record), :meth:`Storage.verify_all` every one;
  :meth:`Storage.audit_checkpoint` takes a :class:`Checkpoint` to keep outside the database.
- :func:`retrying` runs a unit of work again when it lost a race (``ConcurrencyConflict``);
  :func:`scrub_conninfo` masks database passwords in messages.

The contract suites every adapter passes are :mod:`casekit.testing.storage_contract` (one
module per port, combined) and :mod:`casekit.testing.contract_validation` (arguments
checked at the door).
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
)
from casekit.storage.postgres import PostgresStorage
from casekit.storage.retry import retrying
from casekit.storage.sql import SCHEMA_VERSION, SchemaMigration
from casekit.storage.sqlite import SQLiteStorage
from casekit.storage.unit_of_work import Storage, UnitOfWork

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
    "SchemaMigration",
    "Storage",
    "UnitOfWork",
    "case_labels",
    "entry_hash",
    "retrying",
    "scrub_conninfo",
    "serve_timers",
    "verify_chain",
]
