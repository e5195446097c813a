"""How the SQL drivers' errors become casekit errors: one translation for every driver.

`translate_error` decides by the PostgreSQL SQLSTATE, else SQLite's error name, else
the DB-API (PEP 249) exception class, so it serves every driver without importing one;
`casekit.storage.sql.SqlDialect.casekit_error` and ``translate`` call it.
"""

from __future__ import annotations

from casekit.errors import (
    CasekitError,
    ConcurrencyConflict,
    StorageError,
    StorageUnavailable,
    ValidationError,
)
from casekit.storage.conninfo import scrub_conninfo

__all__ = ["translate_error"]


_RETRY_STATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock detected
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03"})  # shutdown, crash, starting up
_SQLITE_UNAVAILABLE = (
    "SQLITE_AUTH",
    "SQLITE_CANTOPEN",
    "SQLITE_CORRUPT",
    "SQLITE_FULL",
    "SQLITE_IOERR",
    "SQLITE_NOTADB",
    "SQLITE_PERM",
    "SQLITE_READONLY",
)


def _error_kind(error: BaseException) -> str:  # noqa: PLR0911  one return per kind
    """``retry``, ``conflict``, ``invalid``, ``unavailable`` or ``failed``.

    Decided by the PostgreSQL SQLSTATE (psycopg's ``sqlstate``), else SQLite's error name
    (``sqlite_errorname``), else the DB-API (PEP 249) exception class names, so one
    function serves every driver without importing it.
    """
    if isinstance(error, UnicodeError):
        return "invalid"
    state = getattr(error, "sqlstate", None)
    if isinstance(state, str) and state:
        return _sqlstate_kind(state)
    name = getattr(error, "sqlite_errorname", None)
    kind = _sqlite_kind(name) if isinstance(name, str) else None
    if kind is not None:
        return kind
    classes = {cls.__name__ for cls in type(error).__mro__}
    if "database is locked" in str(error):
        return "retry"
    if "IntegrityError" in classes:
        return "conflict"
    if "DataError" in classes:
        return "invalid"
    if classes & {"OperationalError", "InterfaceError"}:
        return "unavailable"
    return "failed"


def _sqlstate_kind(state: str) -> str:
    if state in _RETRY_STATES:
        return "retry"
    if state.startswith("23"):  # integrity constraint violation
        return "conflict"
    if state.startswith(("22", "54")):  # data exception, program limit exceeded
        return "invalid"
    if state.startswith(("08", "53")) or state in _UNAVAILABLE_STATES:
        return "unavailable"
    return "failed"


def _sqlite_kind(name: str) -> str | None:
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return "retry"
    if name.startswith("SQLITE_CONSTRAINT"):
        return "conflict"
    if name in ("SQLITE_TOOBIG", "SQLITE_MISMATCH", "SQLITE_RANGE"):
        return "invalid"
    if name.startswith(_SQLITE_UNAVAILABLE):
        return "unavailable"
    return None


def translate_error(
    error: BaseException, *, database: str, what: str, conninfo: str | None = None
) -> CasekitError:
    """The casekit error a driver error becomes: the one translation both SQL adapters use.

    - deadlock or serialization failure (SQLSTATE ``40P01`` / ``40001``), SQLite "database
      is locked" after its busy timeout: [`ConcurrencyConflict`][], retryable (retry the
      whole unit of work, e.g. with [`casekit.storage.retrying`][]);
    - a key or constraint violation (another transaction wrote the same key first):
      [`ConcurrencyConflict`][];
    - a value the database cannot hold (NUL, bad encoding, too long; SQLSTATE class 22 or
      54, ``UnicodeError``): [`ValidationError`][];
    - the database cannot be reached or used (SQLSTATE class 08, 53, shutdown; SQLite
      cannot open, I/O error, not a database): [`StorageUnavailable`][];
    - anything else: [`StorageError`][].

    Connection secrets are scrubbed from the message ([`scrub_conninfo`][]).

    Args:
        error: The driver's exception.
        database: The database, as messages name it (``"postgresql"``, ``"sqlite x.db"``).
        what: The statement (or operation) that failed; only its first word is named.
        conninfo: The connection string, whose secrets must not appear in the message.
    """
    verb = what.split(" ", 1)[0].lower()
    detail = scrub_conninfo(str(error).strip() or type(error).__name__, conninfo=conninfo)
    kind = _error_kind(error)
    if kind == "retry":
        return ConcurrencyConflict(
            f"{database}: {verb} met a concurrent transaction ({detail}); nothing was "
            "written; retrying the whole unit of work is safe"
        )
    if kind == "conflict":
        return ConcurrencyConflict(
            f"{database}: {verb} conflicted with another transaction ({detail}); "
            "nothing was written"
        )
    if kind == "invalid":
        return ValidationError(
            f"{database}: {verb} refused a value ({detail}); nothing was written; text must "
            "be valid Unicode without NUL characters and keys at most 512 characters"
        )
    if kind == "unavailable":
        return StorageUnavailable(f"{database}: {verb} failed: {detail}")
    return StorageError(f"{database}: {verb} failed: {detail}")
