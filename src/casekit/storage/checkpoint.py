"""Audit checkpoints: every trail's head at a moment, to keep outside the database.

A trail's hash chain shows an edited, inserted or (with an audit key) forged entry, but not
a trail that was cut short together with its head, nor one deleted whole: what is left is a
valid chain. A checkpoint records how far every trail reached (its head's ``seq`` and
``hash``) when it was taken; verifying against it (``storage.verify_audit(case_id,
checkpoint=cp)``, ``storage.verify_all(checkpoint=cp)``) also checks that each trail still
holds the checkpointed entry, unchanged, at its position, so it has not become shorter and
was not rewritten up to there.

With an audit key the checkpoint is signed (HMAC-SHA256 over its content), so a checkpoint
cannot be forged without the key. A signature does not stop an older, genuine checkpoint from
being put back in place of the newest, though: verifying against an old one accepts trails
cut back to it and cases created since deleted. So keep checkpoints outside the database,
append-only (``cp.to_json()``; read back with [`Checkpoint.from_json`][]), always verify
against the newest, and take them regularly: what was appended after the latest one is
protected by the chain and the key only.

Example::

    cp = storage.audit_checkpoint()
    Path("audit-2026-12-06.json").write_text(cp.to_json())
    ...
    storage.verify_all(checkpoint=Checkpoint.from_json(Path("audit-2026-12-06.json").read_text()))

Complexity: taking one is O(number of trails) (one read of every head); checking one trail
against it is O(1) beyond the trail's own verification.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs

from casekit.checks import check_aware, check_id, check_int, check_mapping
from casekit.errors import AuditTampered, ValidationError
from casekit.storage.ports import AuditEntry

__all__ = ["CHECKPOINT_FORMAT", "Checkpoint"]

CHECKPOINT_FORMAT = "casekit-audit-checkpoint/1"
"""The ``format`` field of a checkpoint's JSON."""

_HEX64 = re.compile(r"[0-9a-f]{64}")
_DOMAIN = b"casekit audit checkpoint\n"  # so a checkpoint MAC is never an entry MAC
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _check_hash(value: object, *, what: str) -> str:
    if type(value) is not str or not _HEX64.fullmatch(value):
        raise ValidationError(f"{what} must be 64 lowercase hex digits, got {value!r:.80}")
    return value


def _check_heads(value: object) -> Mapping[str, tuple[int, str]]:
    heads: dict[str, tuple[int, str]] = {}
    for case_id, head in check_mapping(value, what="checkpoint heads").items():
        what = f"checkpoint head of {case_id!r}"
        check_id(case_id, what=f"a case id in {what}")
        if not isinstance(head, Sequence) or isinstance(head, str) or len(head) != 2:
            raise ValidationError(f"{what} must be a (seq, hash) pair, got {head!r:.80}")
        seq = check_int(head[0], what=f"seq of {what}", minimum=1)
        heads[case_id] = (seq, _check_hash(head[1], what=f"hash of {what}"))
    return MappingProxyType(dict(sorted(heads.items())))


def _check_taken_at(value: object) -> datetime:
    return check_aware(value, what="checkpoint taken_at")


def _check_mac(instance: object, attribute: Any, value: object) -> None:
    if value is not None:
        _check_hash(value, what="checkpoint mac")


def _signature(key: bytes, taken_at: datetime, heads: Mapping[str, tuple[int, str]]) -> str:
    payload = _ENCODER.encode(
        [taken_at.isoformat(), [[c, seq, digest] for c, (seq, digest) in sorted(heads.items())]]
    )
    return hmac.new(key, _DOMAIN + payload.encode("utf-8"), hashlib.sha256).hexdigest()


@attrs.frozen(slots=True)
class Checkpoint:
    """Every audit trail's head at one moment, signed when the storage has an audit key.

    Attributes:
        taken_at: When it was taken (UTC).
        heads: Case id → ``(seq, hash)`` of the trail's last entry then, by case id.
        mac: HMAC-SHA256 over ``taken_at`` and ``heads`` keyed by the audit key, or ``None``
            when taken without one.

    Raises:
        ValidationError: ``taken_at`` naive, a head not a ``(seq >= 1, 64-hex hash)`` pair,
            or ``mac`` not 64 hex digits.
    """

    taken_at: datetime = attrs.field(converter=_check_taken_at)
    heads: Mapping[str, tuple[int, str]] = attrs.field(converter=_check_heads)
    mac: str | None = attrs.field(default=None, validator=_check_mac)

    @classmethod
    def take(
        cls, heads: Mapping[str, tuple[int, str]], *, taken_at: datetime, key: bytes | None
    ) -> Checkpoint:
        """A checkpoint of ``heads``, signed with ``key`` if one is given."""
        unsigned = cls(taken_at, heads)
        if key is None:
            return unsigned
        return attrs.evolve(unsigned, mac=_signature(key, unsigned.taken_at, unsigned.heads))

    def to_json(self) -> str:
        """The checkpoint as JSON text, to keep outside the database."""
        return json.dumps(
            {
                "format": CHECKPOINT_FORMAT,
                "taken_at": self.taken_at.isoformat(),
                "heads": {c: [seq, digest] for c, (seq, digest) in self.heads.items()},
                "mac": self.mac,
            },
            indent=1,
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        """Read a checkpoint [`to_json`][] wrote.

        Raises:
            ValidationError: Not JSON, another format, or a field that is not valid (named).
        """
        if not isinstance(text, str | bytes):
            raise ValidationError(f"checkpoint JSON must be text, got {type(text).__name__}")
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ValidationError(f"checkpoint JSON is not readable: {error}") from None
        if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
            found = (
                f"format {data.get('format')!r:.80}"
                if isinstance(data, dict)
                else f"a JSON {type(data).__name__}"
            )
            raise ValidationError(
                f"checkpoint JSON must be an object with format {CHECKPOINT_FORMAT!r}, got {found}"
            )
        taken_at = data.get("taken_at")
        try:
            moment = datetime.fromisoformat(taken_at) if isinstance(taken_at, str) else taken_at
        except ValueError:
            raise ValidationError(
                f"checkpoint taken_at must be an ISO 8601 time, got {taken_at!r:.80}"
            ) from None
        return cls(moment, data.get("heads"), data.get("mac"))

    def check_signature(self, key: bytes | None) -> None:
        """Check the checkpoint was signed with ``key`` (the storage's audit key, or none).

        Raises:
            AuditTampered: The storage has a key and the checkpoint is unsigned or its
                signature does not match its content (altered, or taken with another key).
            ValidationError: The checkpoint is signed but the storage has no key to check it.
        """
        when = self.taken_at.isoformat()
        if key is None:
            if self.mac is not None:
                raise ValidationError(
                    f"checkpoint taken at {when} is signed: verify it on a storage given the "
                    "audit key it was taken with (this one has none)"
                )
            return
        if self.mac is None:
            raise AuditTampered(
                f"checkpoint taken at {when} is unsigned, but this storage has an audit key "
                "and signs every checkpoint it takes: it was altered or not taken with the key"
            )
        if not hmac.compare_digest(self.mac, _signature(key, self.taken_at, self.heads)):
            raise AuditTampered(
                f"checkpoint taken at {when}: its signature does not match its content under "
                "this storage's audit key (it was altered, or taken with another key)"
            )

    def check_trail(self, case_id: str, entries: Sequence[AuditEntry]) -> None:
        """Check ``case_id``'s (verified) trail still reaches its checkpointed head unchanged.

        A trail the checkpoint does not name (begun after it) passes.

        Raises:
            AuditTampered: The trail is shorter than at the checkpoint, deleted, or its
                checkpointed entry differs (the trail was rewritten).
        """
        head = self.heads.get(case_id)
        if head is None:
            return
        seq, digest = head
        when = self.taken_at.isoformat()
        if not entries:
            raise AuditTampered(
                f"audit trail of {case_id} is gone: the checkpoint taken at {when} has it "
                f"with {seq} entries (the trail was deleted with its head)"
            )
        if len(entries) < seq:
            raise AuditTampered(
                f"audit trail of {case_id} has {len(entries)} entries, fewer than the {seq} "
                f"of the checkpoint taken at {when}: entries were deleted at the end"
            )
        found = entries[seq - 1].hash
        if not hmac.compare_digest(found, digest):
            raise AuditTampered(
                f"audit trail of {case_id}: entry {seq} hashes to {found[:12]}…, the "
                f"checkpoint taken at {when} has {digest[:12]}… (the trail was rewritten)"
            )
