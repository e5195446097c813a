"""The label index of the SQL adapters, and label queries compiled to SQL over it.

Table (schema version 7):

- ``document_labels``: one row per label value of every document (a set label: one per
  text), keyed so that the keys holding one label value are read in key order from one
  index range: on SQLite ``(collection, name, value, key)``, on PostgreSQL ``(term, key)``
  with ``term`` the MD5 of collection, name and value as a uuid (`label_term`), which
  keeps every index entry within PostgreSQL's B-tree limit (a hash collision would only
  add a candidate that the query's condition then rejects). Triggers on ``documents``
  keep it: an insert adds its document's rows, a delete removes them, an update that
  changes the labels replaces the rows of the values that changed. So every write to
  ``documents``, casekit's or anyone's, keeps it true; the migration fills it from the
  stored documents. Writes pay for it: a document's write adds a row per label value
  (about ten for a case), which makes storing cases about twice as slow
  (``docs/security.md``, "Cost").

A [`LabelQuery`][casekit.storage.LabelQuery] becomes a condition on a ``documents``
row ``d``, tested on ``d.labels`` itself: on SQLite ``Has`` is a ``json_each`` over the
label's path and ``Missing`` a ``json_type`` test, joined by ``AND``, ``OR``, ``NOT``
(`label_condition`); on PostgreSQL the whole query is one SQL/JSON path predicate
(``jsonb_path_match``).

A page of ``find`` is then read as `casekit.storage.label_query` describes: with entry
terms, one *branch* per term reads the index range of that term (``key > after``) joined
to its document and checked with the condition of the query given that term
([`LabelQuery.given`][casekit.storage.label_query.LabelQuery.given]: what the term already
settles is left out, so the owner's own cases are not checked again for ownership); the
branches are merged in key order and cut at the page (SQLite: a compound ``UNION`` with
``ORDER BY``, which it runs as a merge; PostgreSQL: a ``UNION ALL`` of ordered branches,
each cut at the page, under ``DISTINCT ... ORDER BY ... LIMIT``, a Merge Append), and the
page's documents are read by key. Without entry terms, or with more than
`MAX_BRANCHES`, the collection is read in key order with the condition. A statement's
text is built once per dialect, query, conditions and limit and kept (the last 256).

Complexity of a page of ``limit`` documents with ``b`` entry terms: O(b × (log n + r)) index
reads, where r is how many of a term's documents fail the condition before the page is
full (about ``limit`` when most pass); without entry terms, O(log n + s) for the s
documents read before ``limit`` pass.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, cast

import attrs

from casekit.storage.label_query import AllOf, AnyOf, Has, LabelQuery, Missing, Not

if TYPE_CHECKING:
    from casekit.storage.sql import SqlDialect

__all__ = [
    "LABEL_INDEX_POSTGRES",
    "LABEL_INDEX_SQLITE",
    "MAX_BRANCHES",
    "LabelTests",
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

# Deletes the old document's rows by their whole primary key (one search each): with only
# collection and key fixed, SQLite would read every row of the collection's index to find them.
_SQLITE_DELETE_OLD = (
    " DELETE FROM document_labels WHERE (collection, name, value, key) IN ("
    " SELECT OLD.collection, p.name, p.value, OLD.key FROM ("
    + _SQLITE_PAIRS.format(x="OLD.labels")
    + ") p);"
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
    + _SQLITE_DELETE_OLD
    + " END",
    # A save that changes the labels (its status, say) rewrites only the rows that changed.
    "CREATE TRIGGER IF NOT EXISTS documents_labels_update AFTER UPDATE ON documents"
    " WHEN NEW.labels IS NOT OLD.labels AND NEW.key IS OLD.key"
    " AND NEW.collection IS OLD.collection BEGIN"
    " DELETE FROM document_labels WHERE (collection, name, value, key) IN ("
    " SELECT OLD.collection, p.name, p.value, OLD.key FROM ("
    + _SQLITE_PAIRS.format(x="OLD.labels")
    + " EXCEPT "
    + _SQLITE_PAIRS.format(x="NEW.labels")
    + ") p);"
    " INSERT OR IGNORE INTO document_labels (collection, name, value, key)"
    " SELECT NEW.collection, p.name, p.value, NEW.key FROM ("
    + _SQLITE_PAIRS.format(x="NEW.labels")
    + ") p; END",
    "CREATE TRIGGER IF NOT EXISTS documents_labels_move AFTER UPDATE ON documents"
    " WHEN NEW.key IS NOT OLD.key OR NEW.collection IS NOT OLD.collection BEGIN"
    + _SQLITE_DELETE_OLD
    + " INSERT OR IGNORE INTO document_labels (collection, name, value, key)"
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

# The terms of a row's labels: md5(collection ␟ name ␟ value) as a uuid, for each text label
# and each text of a set label (an array).
_PG_TERM = "CAST(md5({row}.collection || chr(31) || l.key || chr(31) || v.value) AS uuid)"
_PG_VALUES = (
    "CASE WHEN jsonb_typeof(l.value) = 'array' THEN l.value ELSE jsonb_build_array(l.value) END"
)


def _pg_terms(row: str) -> str:
    return (
        f"SELECT {_PG_TERM.format(row=row)} FROM jsonb_each({row}.labels) l,"
        f" jsonb_array_elements_text({_PG_VALUES}) v (value)"
    )


LABEL_INDEX_POSTGRES = (
    # A row per (term, key): the term is the MD5 of collection, name and value as a uuid, so
    # an index entry stays within PostgreSQL's B-tree limit (2,704 bytes) for the longest
    # collection, label name, label value and key casekit accepts (4,176 characters).
    "CREATE TABLE IF NOT EXISTS document_labels ("
    " term uuid NOT NULL, key text NOT NULL, PRIMARY KEY (term, key))",
    # The trigger function computes the terms of a row's labels inline: a helper SQL
    # function returning a set is planned again at every call (about 200 µs a document).
    "CREATE OR REPLACE FUNCTION casekit_document_labels() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN"
    " IF TG_OP = 'DELETE' OR NEW.key <> OLD.key OR NEW.collection <> OLD.collection THEN"
    "  DELETE FROM document_labels WHERE key = OLD.key AND term = ANY(ARRAY("
    + _pg_terms("OLD")
    + "));"
    " ELSIF TG_OP = 'UPDATE' THEN"  # only the rows of the label values that changed
    # = ANY(ARRAY(...)): one search of the primary key per term, whatever the planner
    # estimates of the set (an IN over the EXCEPT read the whole table).
    "  DELETE FROM document_labels WHERE key = OLD.key AND term = ANY(ARRAY("
    + _pg_terms("OLD")
    + " EXCEPT "
    + _pg_terms("NEW")
    + "));"
    " END IF;"
    " IF TG_OP <> 'DELETE' THEN"
    "  INSERT INTO document_labels (term, key) SELECT t.term, NEW.key FROM ("
    + _pg_terms("NEW")
    + ") t (term) ON CONFLICT DO NOTHING;"
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
    " SELECT " + _PG_TERM.format(row="d") + ", d.key FROM documents d, jsonb_each(d.labels) l,"
    " jsonb_array_elements_text(" + _PG_VALUES + ") v (value) ON CONFLICT DO NOTHING",
)
"""Schema version 7 on PostgreSQL: the label index, its triggers, and its filling."""

_COLUMNS = "d.key, d.version, d.body, d.labels, d.updated_at"


def label_term(collection: str, name: str, value: str) -> uuid.UUID:
    """PostgreSQL's index term of a label value: ``md5(collection␟name␟value)`` as a uuid.

    The same as the triggers compute in the database (MD5 of the UTF-8 text,
    with the unit separator U+001F between the parts); not used for security.
    """
    text = f"{collection}\x1f{name}\x1f{value}".encode()
    return uuid.UUID(hashlib.md5(text, usedforsecurity=False).hexdigest())


class LabelTests(Protocol):
    """What `label_condition` builds a condition from: a dialect's two leaf tests."""

    def has_label(self, name: str, values: Sequence[str]) -> tuple[str, list[object]]:
        """``d``'s label ``name`` is one of ``values`` (a set label: holds one)."""
        ...

    def missing_label(self, name: str) -> tuple[str, list[object]]:
        """``d`` has no label ``name``."""
        ...


def label_condition(query: LabelQuery, db: LabelTests) -> tuple[str, list[object]]:
    """``query`` as an SQL condition on the ``documents`` row ``d``, and its parameters.

    ``Has`` and ``Missing`` are the dialect's tests, ``AllOf``, ``AnyOf`` and ``Not``
    ``AND``, ``OR`` and ``NOT`` (SQLite's form; PostgreSQL compiles a whole query to one
    SQL/JSON path predicate instead).

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

    The statement's text and the place of each parameter are kept per dialect, query,
    conditions and limit (the last 256 used), so reading the next page of the same query
    builds nothing: its parameters are put in place (the ``after`` key, the conditions').

    Complexity: O(size of the query × entry terms) to build, O(parameters) when kept.
    """
    shapes = tuple((sql, len(values)) for sql, values in conditions)
    plan = _plan(db, collection, query, conditions=shapes, paged=after is not None, limit=limit)
    if plan is None:
        return None
    sql, template = plan
    extra = [value for _, values in conditions for value in values]
    return sql, [
        after if item is _AFTER else extra[item.index] if type(item) is _Extra else item
        for item in template
    ]


@attrs.frozen(slots=True)
class _Extra:
    """In a kept statement's parameters: the ``index``-th parameter of the conditions."""

    index: int


_AFTER = object()
"""In a kept statement's parameters: the ``after`` key."""


class _Plans:
    """The kept statements, by dialect class, collection, query, conditions and limit."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._kept: dict[tuple[object, ...], tuple[str, tuple[object, ...]] | None] = {}
        self._lock = threading.Lock()

    def get(
        self, key: tuple[object, ...], build: Callable[[], tuple[str, tuple[object, ...]] | None]
    ) -> tuple[str, tuple[object, ...]] | None:
        with self._lock:
            if key in self._kept:
                plan = self._kept.pop(key)
                self._kept[key] = plan  # now the most recently used
                return plan
        plan = build()
        with self._lock:
            self._kept[key] = plan
            while len(self._kept) > self._size:
                del self._kept[next(iter(self._kept))]
        return plan


_PLANS = _Plans(256)


def _plan(
    db: SqlDialect,
    collection: str,
    query: LabelQuery,
    *,
    conditions: tuple[tuple[str, int], ...],
    paged: bool,
    limit: int,
) -> tuple[str, tuple[object, ...]] | None:
    key = (type(db), collection, query, conditions, paged, limit)
    return _PLANS.get(
        key,
        lambda: _build(db, collection, query, conditions=conditions, paged=paged, limit=limit),
    )


def _build(
    db: SqlDialect,
    collection: str,
    query: LabelQuery,
    *,
    conditions: tuple[tuple[str, int], ...],
    paged: bool,
    limit: int,
) -> tuple[str, tuple[object, ...]] | None:
    """The statement of `find_statement`, with `_AFTER` and `_Extra` for its parameters.

    ``conditions`` are the further conditions' SQL and how many parameters each takes.
    """
    tail = "".join(f" AND ({sql})" for sql, _ in conditions)
    count = sum(n for _, n in conditions)
    extra: list[object] = [_Extra(n) for n in range(count)]
    after: str | None = cast(str, _AFTER) if paged else None
    terms = query.entry_terms()
    if terms is not None and not terms:
        return None
    condition, params = db.label_condition(query)
    if terms is None or len(terms) > MAX_BRANCHES or len(terms) * len(params) > _MAX_PARAMS:
        scan: list[object] = [collection]
        key = ""
        if paged:
            key = " AND d.key > ?"
            scan.append(_AFTER)
        return (
            f"SELECT {_COLUMNS} FROM documents d WHERE d.collection = ?{key}"
            f" AND ({condition}){tail} ORDER BY d.key LIMIT ?",
            (*scan, *params, *extra, limit),
        )
    branches: list[tuple[str, list[object]]] = []
    for name, value in terms:
        head, head_params = db.label_branch(collection, name, value, after)
        given, given_params = db.label_condition(query.given(name, value))
        branches.append((f"{head} AND ({given}){tail}", [*head_params, *given_params, *extra]))
    keys, key_params = db.merged_keys(branches, limit)
    return (
        f"SELECT {_COLUMNS} FROM documents d WHERE d.collection = ? AND d.key IN ({keys})"
        " ORDER BY d.key",
        (collection, *key_params),
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
