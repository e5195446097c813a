"""The label index of the SQL adapters, and label queries compiled to SQL over it.

Table (schema version 7):

- ``document_labels``: one row per label value of every document (a set label: one per
  text), keyed so that the keys holding one label value are read in key order from one
  index range: on SQLite ``(collection, name, value, key)``, on PostgreSQL ``(term, key)``
  with ``term`` the MD5 of collection, name and value as a uuid (`label_term`), which
  keeps every index entry within PostgreSQL's B-tree limit (a hash collision would only
  add a candidate that the query's condition then rejects). Triggers on ``documents``
  keep it (an insert adds its document's rows, a delete removes them, an
  update that changes the labels replaces them), so every write to ``documents``, casekit's
  or anyone's, keeps it true; the migration fills it from the stored documents.

A [`LabelQuery`][casekit.storage.LabelQuery] becomes a condition on a ``documents``
row ``d`` (`label_condition`): ``Has`` is a probe of the index for that key (SQLite) or
a JSON containment test of ``d.labels`` (PostgreSQL), ``Missing`` a test of ``d.labels``,
and ``AllOf``, ``AnyOf``, ``Not`` are ``AND``, ``OR``, ``NOT``. A page of ``find`` is then
read as `casekit.storage.label_query` describes: with entry terms, one *branch* per
term reads the index range of that term (``key > after``) joined to its document and
checked with the whole condition; the branches are merged in key order and cut at the page
(SQLite: a compound ``UNION`` with ``ORDER BY``, which it runs as a merge; PostgreSQL: a
``UNION ALL`` of ordered branches under ``DISTINCT ... ORDER BY ... LIMIT``, a Merge Append),
and the page's documents are read by key. Without entry terms, or with more than
`MAX_BRANCHES`, the collection is read in key order with the condition.

Complexity of a page of ``limit`` documents with ``b`` entry terms: O(b × (log n + r)) index
reads, where r is how many of a term's documents fail the condition before the page is
full (about ``limit`` when most pass); without entry terms, O(log n + s) for the s
documents read before ``limit`` pass.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from casekit.storage.label_query import AllOf, AnyOf, Has, LabelQuery, Missing, Not

if TYPE_CHECKING:
    from casekit.storage.sql import SqlDialect

__all__ = [
    "LABEL_INDEX_POSTGRES",
    "LABEL_INDEX_SQLITE",
    "MAX_BRANCHES",
    "find_statement",
    "label_condition",
    "label_term",
    "union_merge",
]

MAX_BRANCHES = 64
"""The most entry terms read as merged branches; a query with more reads the collection."""

_MAX_PARAMS = 30_000  # under SQLite's 32,766 parameters per statement

# The (name, value) pairs of a labels object X: its texts, and each text of its set labels
# (the CASE keeps json_each from parsing a text as JSON in whatever order SQLite joins).
_SQLITE_PAIRS = (
    "SELECT j.key AS name, j.value AS value FROM json_each({x}) j WHERE j.type = 'text'"
    " UNION ALL SELECT j.key, e.value FROM json_each({x}) j,"
    " json_each(CASE WHEN j.type = 'array' THEN j.value ELSE '[]' END) e"
)

LABEL_INDEX_SQLITE = (
    "CREATE TABLE IF NOT EXISTS document_labels ("
    " collection TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, key TEXT NOT NULL,"
    " PRIMARY KEY (collection, name, value, key)) WITHOUT ROWID",
    "CREATE TRIGGER IF NOT EXISTS documents_labels_insert AFTER INSERT ON documents BEGIN"
    " INSERT OR IGNORE INTO document_labels (collection, name, value, key)"
    " SELECT NEW.collection, p.name, p.value, NEW.key FROM ("
    + _SQLITE_PAIRS.format(x="NEW.labels")
    + ") p; END",
    "CREATE TRIGGER IF NOT EXISTS documents_labels_delete AFTER DELETE ON documents BEGIN"
    " DELETE FROM document_labels WHERE collection = OLD.collection AND key = OLD.key"
    " AND (name, value) IN (" + _SQLITE_PAIRS.format(x="OLD.labels") + "); END",
    "CREATE TRIGGER IF NOT EXISTS documents_labels_update AFTER UPDATE ON documents"
    " WHEN NEW.labels IS NOT OLD.labels OR NEW.key IS NOT OLD.key"
    " OR NEW.collection IS NOT OLD.collection BEGIN"
    " DELETE FROM document_labels WHERE collection = OLD.collection AND key = OLD.key"
    " AND (name, value) IN (" + _SQLITE_PAIRS.format(x="OLD.labels") + ");"
    " INSERT OR IGNORE INTO document_labels (collection, name, value, key)"
    " SELECT NEW.collection, p.name, p.value, NEW.key FROM ("
    + _SQLITE_PAIRS.format(x="NEW.labels")
    + ") p; END",
    "INSERT OR IGNORE INTO document_labels (collection, name, value, key)"
    " SELECT d.collection, j.key, j.value, d.key FROM documents d, json_each(d.labels) j"
    " WHERE j.type = 'text' UNION ALL SELECT d.collection, j.key, e.value, d.key"
    " FROM documents d, json_each(d.labels) j,"
    " json_each(CASE WHEN j.type = 'array' THEN j.value ELSE '[]' END) e",
)
"""Schema version 7 on SQLite: the label index, its triggers, and its filling."""

LABEL_INDEX_POSTGRES = (
    # A row per (term, key): the term is the MD5 of collection, name and value as a uuid, so
    # an index entry stays within PostgreSQL's B-tree limit (2,704 bytes) for the longest
    # collection, label name, label value and key casekit accepts (4,176 characters).
    "CREATE TABLE IF NOT EXISTS document_labels ("
    " term uuid NOT NULL, key text NOT NULL, PRIMARY KEY (term, key))",
    # The (name, value) pairs of a labels object: its strings, and each string of its arrays.
    "CREATE OR REPLACE FUNCTION casekit_label_pairs(labels jsonb)"
    " RETURNS TABLE (name text, value text) LANGUAGE sql IMMUTABLE AS $$"
    " SELECT l.key, l.value #>> '{}' FROM jsonb_each(labels) l"
    " WHERE jsonb_typeof(l.value) = 'string'"
    " UNION ALL SELECT l.key, e.value FROM jsonb_each(labels) l,"
    " jsonb_array_elements_text(CASE WHEN jsonb_typeof(l.value) = 'array' THEN l.value"
    " ELSE '[]'::jsonb END) e $$",
    "CREATE OR REPLACE FUNCTION casekit_label_terms(collection text, labels jsonb)"
    " RETURNS SETOF uuid LANGUAGE sql IMMUTABLE AS $$"
    " SELECT CAST(md5(collection || chr(31) || p.name || chr(31) || p.value) AS uuid)"
    " FROM casekit_label_pairs(labels) p $$",
    "CREATE OR REPLACE FUNCTION casekit_document_labels() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN"
    " IF TG_OP <> 'INSERT' THEN"
    "  DELETE FROM document_labels WHERE key = OLD.key"
    "   AND term IN (SELECT casekit_label_terms(OLD.collection, OLD.labels));"
    " END IF;"
    " IF TG_OP <> 'DELETE' THEN"
    "  INSERT INTO document_labels (term, key)"
    "   SELECT casekit_label_terms(NEW.collection, NEW.labels), NEW.key ON CONFLICT DO NOTHING;"
    " END IF;"
    " RETURN NULL; END $$",
    "CREATE OR REPLACE TRIGGER documents_labels_insert AFTER INSERT ON documents"
    " FOR EACH ROW EXECUTE FUNCTION casekit_document_labels()",
    "CREATE OR REPLACE TRIGGER documents_labels_delete AFTER DELETE ON documents"
    " FOR EACH ROW EXECUTE FUNCTION casekit_document_labels()",
    "CREATE OR REPLACE TRIGGER documents_labels_update AFTER UPDATE ON documents"
    " FOR EACH ROW WHEN (NEW.labels IS DISTINCT FROM OLD.labels"
    " OR NEW.key IS DISTINCT FROM OLD.key OR NEW.collection IS DISTINCT FROM OLD.collection)"
    " EXECUTE FUNCTION casekit_document_labels()",
    "INSERT INTO document_labels (term, key)"
    " SELECT casekit_label_terms(d.collection, d.labels), d.key FROM documents d"
    " ON CONFLICT DO NOTHING",
)
"""Schema version 7 on PostgreSQL: the label index, its triggers, and its filling."""

_COLUMNS = "d.key, d.version, d.body, d.labels, d.updated_at"


def label_term(collection: str, name: str, value: str) -> uuid.UUID:
    """PostgreSQL's index term of a label value: ``md5(collection␟name␟value)`` as a uuid.

    The same as ``casekit_label_terms`` computes in the database (MD5 of the UTF-8 text,
    with the unit separator U+001F between the parts); not used for security.
    """
    text = f"{collection}\x1f{name}\x1f{value}".encode()
    return uuid.UUID(hashlib.md5(text, usedforsecurity=False).hexdigest())


def label_condition(query: LabelQuery, db: SqlDialect) -> tuple[str, list[object]]:
    """``query`` as an SQL condition on the ``documents`` row ``d``, and its parameters.

    Complexity: O(size of the query).
    """
    if isinstance(query, Has):
        if not query.values:
            return "1 = 0", []
        return db.has_label(query.name, sorted(query.values))
    if isinstance(query, Missing):
        return db.missing_label(query.name)
    if isinstance(query, Not):
        inner, params = label_condition(query.part, db)
        return f"NOT ({inner})", params
    if isinstance(query, AllOf | AnyOf):
        if not query.parts:
            return ("1 = 1" if isinstance(query, AllOf) else "1 = 0"), []
        joiner = " AND " if isinstance(query, AllOf) else " OR "
        parts: list[str] = []
        params = []
        for part in query.parts:
            sql, values = label_condition(part, db)
            parts.append(f"({sql})")
            params.extend(values)
        return joiner.join(parts), params
    raise TypeError(f"not a label query: {query!r}")  # pragma: no cover  (checked at the door)


def find_statement(
    db: SqlDialect,
    collection: str,
    query: LabelQuery,
    *,
    conditions: Sequence[tuple[str, Sequence[object]]] = (),
    after: str | None,
    limit: int,
) -> tuple[str, list[object]] | None:
    """The statement reading a page of ``find(where=query)``, or None when nothing matches.

    Its rows are ``key, version, body, labels, updated_at`` in key order (see the module
    for the plan). ``conditions`` are further conditions on the ``documents`` row ``d``
    (the label equalities and time bounds of ``find``), with their parameters.

    Complexity: O(size of the query × entry terms) to build.
    """
    condition, params = label_condition(query, db)
    parts = [f"({condition})"]
    for sql, values in conditions:
        parts.append(f"({sql})")
        params.extend(values)
    where = " AND ".join(parts)
    terms = query.entry_terms()
    if terms is not None and not terms:
        return None
    if terms is None or len(terms) > MAX_BRANCHES or len(terms) * len(params) > _MAX_PARAMS:
        scan: list[object] = [collection]
        key = ""
        if after is not None:
            key = " AND d.key > ?"
            scan.append(after)
        return (
            f"SELECT {_COLUMNS} FROM documents d WHERE d.collection = ?{key} AND {where}"
            " ORDER BY d.key LIMIT ?",
            [*scan, *params, limit],
        )
    branches: list[tuple[str, list[object]]] = []
    for name, value in terms:
        head, head_params = db.label_branch(collection, name, value, after)
        branches.append((f"{head} AND {where}", [*head_params, *params]))
    keys, key_params = db.merged_keys(branches, limit)
    return (
        f"SELECT {_COLUMNS} FROM documents d WHERE d.collection = ? AND d.key IN ({keys})"
        " ORDER BY d.key",
        [collection, *key_params],
    )


def union_merge(
    branches: Sequence[tuple[str, list[object]]], limit: int
) -> tuple[str, list[object]]:
    """The branches' keys merged in key order and cut at ``limit`` (SQLite's plan).

    A compound ``UNION`` with ``ORDER BY``, which SQLite runs as a merge of the ordered
    branches, reading each only as far as the page needs.
    """
    params: list[object] = []
    for _, values in branches:
        params.extend(values)
    sql = " UNION ".join(sql for sql, _ in branches) + " ORDER BY 1 LIMIT ?"
    return sql, [*params, limit]
