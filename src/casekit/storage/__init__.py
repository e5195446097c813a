"""Pluggable storage: ports, and in-memory, SQLite and PostgreSQL adapters.

- :mod:`casekit.storage.ports`: the abstract classes (:class:`Storage`,
  :class:`UnitOfWork`, :class:`DocumentStore`, :class:`AuditLog`, :class:`CaseRepository`,
  :class:`RoutingStore`, :class:`LedgerStore`).
- :class:`MemoryStorage` (the default), :class:`SQLiteStorage` (one file, standard library),
  :class:`PostgresStorage` (``pip install casekit[postgres]``; psycopg is imported only when
  one is created).
- :func:`verify_chain` checks an audit hash chain; :meth:`Storage.verify_audit` checks a
  stored case's.
- :func:`retrying` runs a unit of work again when it lost a race (``ConcurrencyConflict``);
  :func:`scrub_conninfo` masks database passwords in messages.

The contract suites every adapter passes are :mod:`casekit.testing.storage_contract` and
:mod:`casekit.testing.contract_validation` (arguments checked at the door).
"""

from __future__ import annotations

from casekit.storage.audit import GENESIS_HASH, ChainedAuditLog, entry_hash, verify_chain
from casekit.storage.cases import CASES, DocumentCaseRepository, case_labels
from casekit.storage.conninfo import scrub_conninfo
from casekit.storage.memory import MemoryStorage
from casekit.storage.ports import (
    AgentState,
    AuditEntry,
    AuditLog,
    CaseRepository,
    Document,
    DocumentStore,
    EventHandler,
    ItemState,
    LedgerKind,
    LedgerLine,
    LedgerStore,
    Page,
    RoutingItem,
    RoutingStore,
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
    "AgentState",
    "AuditEntry",
    "AuditLog",
    "CaseRepository",
    "ChainedAuditLog",
    "Document",
    "DocumentCaseRepository",
    "DocumentStore",
    "EventHandler",
    "ItemState",
    "LedgerKind",
    "LedgerLine",
    "LedgerStore",
    "MemoryStorage",
    "Page",
    "PostgresStorage",
    "RoutingItem",
    "RoutingStore",
    "SQLiteStorage",
    "Storage",
    "UnitOfWork",
    "case_labels",
    "entry_hash",
    "retrying",
    "scrub_conninfo",
    "verify_chain",
]
