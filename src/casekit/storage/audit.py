"""The audit hash chain, shared by every adapter.

Entry ``n`` of a case's trail stores ``hash = SHA-256(canonical JSON of its fields and
prev_hash)`` where ``prev_hash`` is entry ``n - 1``'s hash (64 zeros for the first).
Every adapter also keeps the trail's *head* (last sequence number and hash) beside it,
written in the same transaction. [`verify_chain`][] recomputes the chain, so editing an
entry, deleting one (in the middle or at the end), reordering or inserting entries is
detected. With plain SHA-256, which anyone can compute, someone who writes the tables can
still append a forged entry, or rewrite the chain from an entry on, and set the head to
match; and a trail cut short or deleted together with its head is a valid chain.

Two anchors outside the database close that gap:

- an **audit key** (``SQLiteStorage(path, audit_key=...)``): every entry's hash is then
  ``HMAC-SHA256(key, the same canonical JSON)``, which nobody without the key can compute,
  so a forged entry or a rewritten chain no longer verifies. A storage uses the key for
  every entry it writes and checks every entry with it: give it consistently (a trail
  written without a key does not verify with one, and the other way round).
- **checkpoints** (`casekit.storage.checkpoint`): the heads of every trail, kept
  elsewhere, against which a shortened, rewritten or deleted trail shows.

The entry that stored a case's record carries ``record_hash`` (SHA-256 of the record's JSON
text) in its detail, and `verify_record` checks the stored record still hashes to it.

Complexity: [`ChainedAuditLog.append`][] is O(1) reads and writes;
[`verify_chain`][] is O(n) in the trail's length.
"""

from __future__ import annotations

import abc
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from casekit.clock import as_utc
from casekit.errors import AuditTampered, ValidationError
from casekit.storage._checks import check_audit_fields, check_audit_specs
from casekit.storage.ports import AuditEntry, AuditLog

__all__ = [
    "GENESIS_HASH",
    "KEYLESS",
    "MIN_AUDIT_KEY_BYTES",
    "RECORD_HASH",
    "ChainedAuditLog",
    "check_audit_key",
    "check_key_fingerprint",
    "entry_hash",
    "key_fingerprint",
    "record_digest",
    "verify_chain",
    "verify_record",
]

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of a trail's first entry."""

MIN_AUDIT_KEY_BYTES = 16
"""The shortest audit key accepted (32 random bytes, ``secrets.token_bytes(32)``, advised)."""

RECORD_HASH = "record_hash"
"""The detail key of the entry that stored a case record: the SHA-256 of the record text."""

# Built once: ``json.dumps`` with options builds a new encoder on every call.
_HASH_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_DETAIL_ENCODER = json.JSONEncoder(allow_nan=False)
_PLAIN = (str, int, bool, type(None))


def _normalised(detail: Mapping[str, Any]) -> dict[str, Any]:
    """``detail`` as JSON reads it back (so the hash verifies after storage).

    Raises:
        TypeError, ValueError: It is not JSON-safe.
    """
    if all(type(k) is str and type(v) in _PLAIN for k, v in detail.items()):
        return dict(detail)  # already what JSON reads back
    normal: dict[str, Any] = json.loads(_DETAIL_ENCODER.encode(dict(detail)))
    return normal


def check_audit_key(value: object, *, what: str) -> bytes | None:
    """Return ``value`` if it is ``None`` or an audit key: at least 16 bytes.

    The message never shows the key itself (it is a secret, and a text key is a likely
    mistake), only its type or length. No shared check fits: they quote the bad value.

    Raises:
        ValidationError: Not bytes, or shorter than `MIN_AUDIT_KEY_BYTES`.
    """
    if value is None:
        return None
    if not isinstance(value, bytes):
        raise ValidationError(
            f"{what} must be None or bytes (a secret kept outside the database, e.g. "
            f"secrets.token_bytes(32)), got a {type(value).__name__}"
        )
    key = bytes(value)  # a copy: bytes subclasses and later changes do not leak in
    if len(key) < MIN_AUDIT_KEY_BYTES:
        raise ValidationError(
            f"{what} must be at least {MIN_AUDIT_KEY_BYTES} bytes (32 random bytes advised, "
            f"e.g. secrets.token_bytes(32)), got {len(key)} bytes"
        )
    return key


KEYLESS = "none"
"""The key fingerprint of a database whose trails are written without an audit key."""


def key_fingerprint(key: bytes | None) -> str:
    """What a database records of the key its trails are written with (never the key).

    An HMAC of a fixed text keyed by ``key``: the same key gives the same fingerprint, and
    the fingerprint does not give the key back. `KEYLESS` for no key.
    """
    if key is None:
        return KEYLESS
    return hmac.new(key, b"casekit audit key fingerprint", hashlib.sha256).hexdigest()


def check_key_fingerprint(stored: str, key: bytes | None, *, what: str, where: str) -> None:
    """Refuse to open ``where`` with another key than its trails are written with.

    Args:
        stored: The fingerprint the database holds (`key_fingerprint`).
        key: The key the storage was given.
        what: The argument, named in the message (``"audit_key of SQLiteStorage"``).
        where: The database, named in the message.

    Raises:
        ValidationError: The key differs, is missing, or is given to a database written
            without one.
    """
    if stored == key_fingerprint(key):
        return
    if stored == KEYLESS:
        raise ValidationError(
            f"{what}: the audit trails in {where} are written without an audit key, so they "
            "would not verify with one; open it without audit_key (a database takes its "
            "key before its first audit entry)"
        )
    if key is None:
        raise ValidationError(
            f"{what} is missing: the audit trails in {where} are written with an audit key; "
            "give the same key"
        )
    raise ValidationError(
        f"{what} is not the key the audit trails in {where} are written with; give that key"
    )


def entry_hash(
    case_id: str,
    seq: int,
    *,
    at: datetime,
    actor: str,
    action: str,
    before: str | None,
    after: str | None,
    detail: Mapping[str, Any],
    prev_hash: str,
    key: bytes | None = None,
) -> str:
    """Return the hex digest chaining one entry to ``prev_hash``.

    SHA-256 of the entry's canonical JSON, or HMAC-SHA256 keyed by ``key`` when one is given.
    """
    payload = _HASH_ENCODER.encode(
        [case_id, seq, as_utc(at).isoformat(), actor, action, before, after, detail, prev_hash]
    ).encode("utf-8")
    if key is not None:
        return hmac.new(key, payload, hashlib.sha256).hexdigest()
    return hashlib.sha256(payload).hexdigest()


def record_digest(text: str) -> str:
    """The SHA-256 hex digest of a record's JSON text, as `RECORD_HASH` holds it."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def verify_chain(
    case_id: str,
    entries: Sequence[AuditEntry],
    head: tuple[int, str] | None,
    *,
    key: bytes | None = None,
) -> int:
    """Check ``entries`` form an intact chain ending at ``head``; return how many there are.

    Args:
        case_id: The trail's case.
        entries: Its entries, in ``seq`` order.
        head: The stored head, or ``None``.
        key: The audit key the trail was written with (``None``: plain SHA-256).

    Raises:
        AuditTampered: The first broken entry and what was expected, named in the message.
    """
    prev = GENESIS_HASH
    for position, entry in enumerate(entries, start=1):
        if entry.seq != position:
            raise AuditTampered(
                f"audit trail of {case_id}: entry {position} is missing "
                f"(found seq {entry.seq} in its place)"
            )
        if entry.prev_hash != prev:
            raise AuditTampered(
                f"audit trail of {case_id}: entry {position} does not follow entry "
                f"{position - 1} (prev_hash {entry.prev_hash[:12]}…, expected {prev[:12]}…)"
            )
        expected = entry_hash(
            entry.case_id,
            entry.seq,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            before=entry.before,
            after=entry.after,
            detail=entry.detail,
            prev_hash=entry.prev_hash,
            key=key,
        )
        if not hmac.compare_digest(entry.hash, expected) or entry.case_id != case_id:
            keyed = " with the audit key" if key is not None else ""
            raise AuditTampered(
                f"audit trail of {case_id}: entry {position} ({entry.action!r}) was edited "
                f"or forged (stored hash {entry.hash[:12]}…, its content hashes{keyed} to "
                f"{expected[:12]}…)"
            )
        prev = entry.hash
    count = len(entries)
    if head is None:
        if count:
            raise AuditTampered(f"audit trail of {case_id}: {count} entries but no head")
        return 0
    if head != (count, prev):
        raise AuditTampered(
            f"audit trail of {case_id}: the head says {head[0]} entries ending in "
            f"{head[1][:12]}…, the trail has {count} ending in {prev[:12]}… "
            "(entries deleted at the end?)"
        )
    return count


def verify_record(case_id: str, entries: Sequence[AuditEntry], record_text: str | None) -> None:
    """Check the stored record of ``case_id`` is the one its trail says was last saved.

    ``record_text`` is the stored record as the case repository writes it
    (`casekit.storage.cases.record_json`), ``None`` if no record is stored. The last
    entry whose detail holds `RECORD_HASH` names the record's SHA-256; a trail
    without one (written before record hashes existed, or not a case's) is not checked,
    except that a stored record must have a trail at all (adding a case always audits it).

    Raises:
        AuditTampered: The record was edited or deleted, or its trail is gone.
    """
    if not entries:
        if record_text is not None:
            raise AuditTampered(
                f"case {case_id}: its record is stored but its audit trail is empty (every "
                "stored case has at least its 'open' entry): the trail was deleted"
            )
        return
    last = next((e for e in reversed(entries) if RECORD_HASH in e.detail), None)
    if last is None:
        return
    expected = str(last.detail[RECORD_HASH])
    if record_text is None:
        raise AuditTampered(
            f"case {case_id}: no record is stored, but audit entry {last.seq} "
            f"({last.action!r}) says one was saved (record hash {expected[:12]}…): "
            "the record was deleted"
        )
    found = record_digest(record_text)
    if not hmac.compare_digest(found, expected):
        raise AuditTampered(
            f"case {case_id}: the stored record was edited outside casekit (it hashes to "
            f"{found[:12]}…, audit entry {last.seq} ({last.action!r}) saved {expected[:12]}…)"
        )


class ChainedAuditLog(AuditLog):
    """An [`AuditLog`][] that computes the chain; adapters supply reads and writes.

    Subclasses implement `_locked_head` (the head, locked against concurrent appends
    to the same case until the transaction ends) and `_write` (insert the entry and
    set the head), plus [`entries`][casekit.storage.AuditLog.entries],
    [`head`][casekit.storage.AuditLog.head] and [`heads`][casekit.storage.AuditLog.heads].
    They set [`audit_key`][] to their storage's key, if it has one.
    """

    audit_key: bytes | None = None
    """The key entries are HMAC-ed with (``None``: plain SHA-256)."""

    def append(
        self,
        case_id: str,
        *,
        actor: str,
        action: str,
        at: datetime,
        before: str | None = None,
        after: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Add an entry at the end of ``case_id``'s trail, chained to the previous one.

        Raises:
            ValidationError: ``actor`` or ``action`` empty, ``detail`` not JSON-safe,
                ``at`` naive.
        """
        fields = check_audit_fields(
            case_id,
            {
                "actor": actor,
                "action": action,
                "at": at,
                "before": before,
                "after": after,
                "detail": detail,
            },
        )
        case_id = fields["case_id"]
        entry = self._entry(
            case_id,
            fields["actor"],
            fields["action"],
            fields["at"],
            fields["before"],
            fields["after"],
            fields["detail"],
            self._locked_head(case_id),
        )
        self._write(entry)
        return entry

    def append_many(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """Append many entries in order, reading and writing heads in batches.

        Complexity: O(n) hashing, plus the adapter's batched head read and writes.
        """
        specs = check_audit_specs(entries)
        if not specs:
            return
        heads = self._locked_heads(sorted({e["case_id"] for e in specs}))
        made: list[AuditEntry] = []
        for spec in specs:
            case_id = spec["case_id"]
            entry = self._entry(
                case_id,
                spec["actor"],
                spec["action"],
                spec["at"],
                spec["before"],
                spec["after"],
                spec["detail"],
                heads.get(case_id),
            )
            heads[case_id] = (entry.seq, entry.hash)
            made.append(entry)
        self._write_many(made)

    def _entry(  # noqa: PLR0917  the fields of an entry
        self,
        case_id: str,
        actor: str,
        action: str,
        at: datetime,
        before: str | None,
        after: str | None,
        detail: Mapping[str, Any] | None,
        head: tuple[int, str] | None,
    ) -> AuditEntry:
        if not actor or not action:
            raise ValidationError(
                f"audit entry for {case_id}: actor and action must be non-empty, "
                f"got actor={actor!r}, action={action!r}"
            )
        at = as_utc(at, what=f"audit entry time for {case_id}")
        try:  # normalised to what JSON reads back, so the hash verifies after storage
            detail = _normalised(detail) if detail else {}
        except (TypeError, ValueError) as error:
            raise ValidationError(
                f"audit entry detail for {case_id} must be JSON-safe: {error}"
            ) from None
        seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
        digest = entry_hash(
            case_id,
            seq,
            at=at,
            actor=actor,
            action=action,
            before=before,
            after=after,
            detail=detail,
            prev_hash=prev,
            key=self.audit_key,
        )
        return AuditEntry(case_id, seq, at, actor, action, before, after, detail, prev, digest)

    def locked_trail(self, case_id: str) -> tuple[list[AuditEntry], tuple[int, str] | None]:
        """The trail and its head, read after taking the trail's append lock; see the port."""
        head = self._locked_head(case_id)
        return self.entries(case_id), head

    @abc.abstractmethod
    def _locked_head(self, case_id: str) -> tuple[int, str] | None:
        """The head of ``case_id``'s trail, locked for this transaction."""

    @abc.abstractmethod
    def _write(self, entry: AuditEntry) -> None:
        """Insert ``entry`` and make it the head of its trail."""

    def _locked_heads(self, case_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        """The heads of several trails, locked; override to read them in one go."""
        heads = {}
        for case_id in case_ids:
            head = self._locked_head(case_id)
            if head is not None:
                heads[case_id] = head
        return heads

    def _write_many(self, entries: Sequence[AuditEntry]) -> None:
        """Insert ``entries`` (in order) and set the heads; override to batch."""
        for entry in entries:
            self._write(entry)
