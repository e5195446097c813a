"""The SQL adapters' schema: its tables and versions, its migration and its check on open.

Tables (schema version 1; versions 2 and 3 added and re-indexed the tables of a second
routing engine, since removed; version 3 also changed, on SQLite, how ``documents`` and
``audit_heads`` are laid out; version 4 drops those routing tables and adds the routing
journal of `casekit.storage.journal`; version 5 protects ``audit_heads``, stops
TRUNCATE of the audit tables and keeps the audit key's fingerprint; version 6 adds the
transactional outbox of `casekit.storage.sql_outbox`; version 7 the label index of
`casekit.storage.sql_labels`):

- ``casekit_schema(component, version)``: the schema version (`check_schema`).
- ``documents(collection, key, version, body, labels, updated_at)``: the document store.
- ``audit_log(case_id, seq, at, actor, action, before, after, detail, prev_hash, hash)``:
  the append-only trail (a trigger refuses UPDATE and DELETE; from version 4 on PostgreSQL
  also TRUNCATE).
- ``audit_heads(case_id, seq, hash)``: the last entry of each trail. From version 4 triggers
  let a head only move forward to an entry that exists with that ``seq`` and ``hash``: an
  INSERT or UPDATE naming no such entry, an UPDATE that does not raise ``seq``, a DELETE
  (and on PostgreSQL a TRUNCATE) are refused.
- ``outbox(position, id, event, attempts, lease_owner, lease_until)`` (version 6): the
  records of the transactional outbox not yet acked.
- ``document_labels(collection, name, value, key)`` (version 7): every label value of
  every document, kept by triggers on ``documents``, read by label queries.
- ``audit_key_check(id, fingerprint)`` (version 4): one row, the fingerprint of the audit key
  the trails are written with (``none`` without one), so a storage opened with another key
  is refused (`check_audit_key_fingerprint`).

Each adapter keeps its own statements per version (``_MIGRATIONS`` in
`casekit.storage.sqlite` and `casekit.storage.postgres`); `migrate_schema`
runs them one version after another and `check_schema` is all opening a storage
does, unless it is told to migrate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from casekit.errors import CorruptRecord, SchemaNotMigrated
from casekit.storage.audit import KEYLESS, check_key_fingerprint, key_fingerprint

if TYPE_CHECKING:
    from casekit.storage.sql import SqlDialect

__all__ = [
    "ROUTING_INDEXES_V3",
    "ROUTING_TABLES",
    "SCHEMA_VERSION",
    "SchemaMigration",
    "check_audit_key_fingerprint",
    "check_schema",
    "check_schema_version",
    "migrate_schema",
]

SCHEMA_VERSION = 7
"""The newest schema version this casekit writes and reads."""


# Migration history: the tables of the second routing engine (schema versions 2 and 3),
# kept so that older databases migrate step by step; version 4 drops them.


ROUTING_TABLES = (
    "CREATE TABLE IF NOT EXISTS routing_agents ("
    " agent_id text PRIMARY KEY, skills text NOT NULL, capacity integer NOT NULL,"
    " available integer NOT NULL, load integer NOT NULL, last_offer_at text,"
    " CHECK (load >= 0 AND load <= capacity))",
    "CREATE TABLE IF NOT EXISTS routing_items ("
    " item_id text PRIMARY KEY, state text NOT NULL, rank integer NOT NULL,"
    " skills text NOT NULL, enqueued_at text NOT NULL, agent_id text, deadline text,"
    " declined_by text NOT NULL)",
    "CREATE INDEX IF NOT EXISTS routing_queue"
    " ON routing_items (state, rank DESC, enqueued_at, item_id)",
    "CREATE INDEX IF NOT EXISTS routing_deadlines ON routing_items (state, deadline)",
    "CREATE TABLE IF NOT EXISTS routing_offers ("
    " item_id text NOT NULL, agent_id text NOT NULL, offered_at text NOT NULL,"
    " deadline text NOT NULL)",
    "CREATE INDEX IF NOT EXISTS routing_offers_item ON routing_offers (item_id)",
)
"""The statements of schema version 2 (the same for SQLite and PostgreSQL)."""

_QUEUED = "'Awaiting Assignment'"  # ItemState.QUEUED as an SQL literal (partial indexes)
_OFFERED = "'Offered'"  # ItemState.OFFERED as an SQL literal

ROUTING_INDEXES_V3 = (
    # Partial indexes: an offer removes the item from the queue index and adds it to the
    # offers index, instead of moving entries inside two indexes that hold every item.
    "DROP INDEX IF EXISTS routing_queue",
    "DROP INDEX IF EXISTS routing_deadlines",
    "CREATE INDEX IF NOT EXISTS routing_queued ON routing_items (rank DESC, enqueued_at, item_id)"
    f" WHERE state = {_QUEUED}",
    "CREATE INDEX IF NOT EXISTS routing_offered ON routing_items (deadline, item_id)"
    f" WHERE state = {_OFFERED}",
    # Never offered is '' (not NULL): it sorts first in both databases, so one index serves
    # the candidate order (least loaded, offered work longest ago, id).
    "UPDATE routing_agents SET last_offer_at = '' WHERE last_offer_at IS NULL",
    "CREATE INDEX IF NOT EXISTS routing_candidates"
    " ON routing_agents (available, load, last_offer_at, agent_id)",
)
"""What schema version 3 changes in the routing tables (SQLite and PostgreSQL)."""


def check_audit_key_fingerprint(db: SqlDialect, key: bytes | None, *, what: str) -> None:
    """Check ``key`` is the one the database's trails are written with; record it on first use.

    Run when a storage opens, in a transaction, once the schema is at version 5. A database
    with no fingerprint yet takes the key's if it holds no audit entry, else
    `KEYLESS` (its trails predate audit keys). The row only
    guards against opening with the wrong key by mistake: someone who changes it still
    cannot make entries verify without the key.

    Raises:
        ValidationError: As `check_key_fingerprint`.
    """
    read = "SELECT fingerprint FROM audit_key_check WHERE id = 1"
    row = db.execute(read).fetchone()
    if row is None:
        has_trails = db.execute("SELECT 1 FROM audit_log LIMIT 1").fetchone() is not None
        db.execute(
            "INSERT INTO audit_key_check (id, fingerprint) VALUES (1, ?) ON CONFLICT DO NOTHING",
            (KEYLESS if has_trails else key_fingerprint(key),),
        )
        row = db.execute(read).fetchone()  # ours, or that of a process that opened it first
    stored = str(row[0])
    check_key_fingerprint(stored, key, what=what, where=db.name)


def check_schema_version(found: int | None) -> int:
    """Return the version to migrate from, refusing a schema newer than this code.

    Raises:
        CorruptRecord: ``found`` is newer than [`SCHEMA_VERSION`][] or not positive.
    """
    if found is None:
        return 0
    if not 1 <= found <= SCHEMA_VERSION:
        raise CorruptRecord(
            f"table casekit_schema, key 'storage': schema version {found} is unknown; this "
            f"casekit reads versions 1..{SCHEMA_VERSION} (upgrade casekit, or use another "
            "database)"
        )
    return found


_SCHEMA_TABLE = (
    "CREATE TABLE IF NOT EXISTS casekit_schema ("
    " component text PRIMARY KEY, version integer NOT NULL)"
)
_SCHEMA_READ = "SELECT version FROM casekit_schema WHERE component = 'storage'"


@attrs.frozen(slots=True)
class SchemaMigration:
    """What a migration did.

    Attributes:
        database: The database, as messages name it (``sqlite cases.db``, ``postgresql``).
        found: The schema version it had (0: none, a new database).
        version: The version it has now ([`SCHEMA_VERSION`][]).
    """

    database: str
    found: int
    version: int

    def __str__(self) -> str:
        if self.found == self.version:
            return f"{self.database}: schema already at version {self.version}; nothing to do"
        if self.found == 0:
            return f"{self.database}: schema created at version {self.version}"
        return f"{self.database}: schema migrated from version {self.found} to {self.version}"


def _stored_version(db: SqlDialect) -> int:
    if not db.table_exists("casekit_schema"):
        return 0
    row = db.execute(_SCHEMA_READ).fetchone()
    return check_schema_version(None if row is None else int(row[0]))


def migrate_schema(db: SqlDialect, migrations: Mapping[int, Sequence[str]]) -> SchemaMigration:
    """Bring the schema to [`SCHEMA_VERSION`][], one version after another.

    Run inside a transaction holding the database's migration lock; idempotent.

    Raises:
        CorruptRecord: The schema is newer than this casekit knows.
    """
    db.execute(_SCHEMA_TABLE)
    found = _stored_version(db)
    for version in range(found + 1, SCHEMA_VERSION + 1):
        for statement in migrations[version]:
            db.execute(statement)
    if found != SCHEMA_VERSION:
        db.execute(
            "INSERT INTO casekit_schema (component, version) VALUES ('storage', ?) "
            "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
            (SCHEMA_VERSION,),
        )
    return SchemaMigration(db.name, found, SCHEMA_VERSION)


def check_schema(db: SqlDialect, *, how: str) -> None:
    """Check the schema is at [`SCHEMA_VERSION`][] (one read; nothing is changed).

    Args:
        db: The database, inside a transaction.
        how: How to migrate it, for the message (the command and the call).

    Raises:
        SchemaNotMigrated: The database has no casekit schema, or an older one.
        CorruptRecord: The schema is newer than this casekit knows.
    """
    found = _stored_version(db)
    if found == SCHEMA_VERSION:
        return
    if found == 0:
        raise SchemaNotMigrated(
            f"{db.name}: the database has no casekit schema yet; create it first with {how} "
            "(or open it with migrate=True)"
        )
    raise SchemaNotMigrated(
        f"{db.name}: the database is at schema version {found} and this casekit needs version "
        f"{SCHEMA_VERSION}; migrate it first with {how} (or open it with migrate=True)"
    )
