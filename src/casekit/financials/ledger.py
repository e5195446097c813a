"""The payment ledger: what was paid, and which corrections were recorded, per line.

An in-memory index a reassessment reads: issued payment lines and recorded correction
lines, each keyed by cover period × component × nominee, with amounts held as exact minor
units (every paid amount is a whole number of cents). Entries are appended, never edited.
Persisting them is the storage layer's job (its ``LedgerStore`` port); this class is what
the domain computes with.

Complexity: recording is O(log p) for p distinct cover periods; :meth:`Ledger.keys_meeting`
is O(log p + k) for the k lines it returns; amount look-ups are O(1).
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Callable, Iterable, Iterator
from datetime import date

import attrs

from casekit.errors import CurrencyMismatch, ValidationError
from casekit.financials.periods import Period
from casekit.financials.schedule import InstructionLine, LineKey
from casekit.money import Money

__all__ = ["EntryKind", "Ledger", "LedgerEntry"]


class EntryKind(enum.StrEnum):
    """What a ledger entry records."""

    PAID = "Paid"
    CORRECTION = "Correction"


@attrs.frozen(slots=True)
class LedgerEntry:
    """One appended ledger entry.

    Attributes:
        kind: A paid line or a recorded correction.
        cover: The cover period.
        component: The component.
        nominee: The nominee.
        amount: The amount (a correction may be negative).
        reference: The payment or reassessment it came from.
    """

    kind: EntryKind
    cover: Period
    component: str
    nominee: str
    amount: Money
    reference: str


class Ledger:
    """What was paid and corrected on one case, in one currency.

    Args:
        currency: The currency of every entry.
    """

    __slots__ = (
        "_by_end",
        "_corrected",
        "_currency",
        "_ends",
        "_entries",
        "_first_start",
        "_paid",
    )

    def __init__(self, currency: str) -> None:
        Money.zero(currency)  # validates the code
        self._currency = currency
        self._paid: dict[LineKey, int] = {}
        self._corrected: dict[LineKey, int] = {}
        self._ends: list[date] = []
        self._by_end: dict[date, list[LineKey]] = {}
        self._entries: list[LedgerEntry] = []
        self._first_start: date | None = None

    @property
    def currency(self) -> str:
        """The ledger's currency."""
        return self._currency

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[LedgerEntry]:
        return iter(self._entries)

    def __repr__(self) -> str:
        return f"Ledger({self._currency}, {len(self._entries)} entries)"

    # ----- recording --------------------------------------------------------------------
    def _units(self, amount: Money, what: str) -> int:
        if not isinstance(amount, Money):
            raise ValidationError(f"{what} must be a Money, got {amount!r}")
        if amount.currency != self._currency:
            raise CurrencyMismatch(
                f"{what} {amount} is in {amount.currency}; this ledger is in {self._currency}"
            )
        return amount.to_minor()

    def _index(self, key: LineKey) -> None:
        if self._first_start is None or key[0] < self._first_start:
            self._first_start = key[0]
        end = key[1]
        keys = self._by_end.get(end)
        if keys is None:
            bisect.insort(self._ends, end)
            self._by_end[end] = [key]
        elif key not in keys:
            keys.append(key)

    def record_paid(self, line: InstructionLine, *, reference: str) -> LedgerEntry:
        """Record an issued payment line.

        Raises:
            CurrencyMismatch: The line is in another currency.
            InvalidMoney: The amount is not a whole number of cents.
        """
        units = self._units(line.amount, f"paid line {line.cover} {line.component!r}")
        entry = LedgerEntry(
            EntryKind.PAID, line.cover, line.component, line.nominee, line.amount, reference
        )
        key = line.key
        self._paid[key] = self._paid.get(key, 0) + units
        self._index(key)
        self._entries.append(entry)
        return entry

    def record_corrections(
        self, lines: Iterable[tuple[LineKey, Money]], *, reference: str
    ) -> tuple[LedgerEntry, ...]:
        """Record correction lines, all or nothing.

        Raises:
            CurrencyMismatch: A line in another currency (nothing is recorded).
            InvalidMoney: An amount that is not a whole number of cents.
        """
        checked = [(key, self._units(amount, f"correction {key}"), amount) for key, amount in lines]
        entries = []
        for key, units, amount in checked:
            self._corrected[key] = self._corrected.get(key, 0) + units
            self._index(key)
            entry = LedgerEntry(
                EntryKind.CORRECTION, Period(key[0], key[1]), key[2], key[3], amount, reference
            )
            self._entries.append(entry)
            entries.append(entry)
        return tuple(entries)

    # ----- queries ----------------------------------------------------------------------
    @property
    def latest_cover_end(self) -> date | None:
        """The last day of the latest cover period with an entry, or None. O(1)."""
        return self._ends[-1] if self._ends else None

    @property
    def earliest_cover_start(self) -> date | None:
        """The first day of the earliest cover period with an entry, or None. O(1)."""
        return self._first_start

    def keys_meeting(self, window: Period) -> list[LineKey]:
        """Every line key whose cover period shares a day with ``window``. O(log p + k)."""
        found: list[LineKey] = []
        for end in self._ends[bisect.bisect_left(self._ends, window.start) :]:
            for key in self._by_end[end]:
                if key[0] <= window.end:
                    found.append(key)
        return found

    def _amounts(
        self,
    ) -> tuple[Callable[[LineKey, int], int], Callable[[LineKey, int], int]]:
        """The paid and corrected look-ups, for the reassessment's inner loop."""
        return self._paid.get, self._corrected.get

    def paid_units(self, key: LineKey) -> int:
        """What was paid for a line, in minor units. O(1)."""
        return self._paid.get(key, 0)

    def corrected_units(self, key: LineKey) -> int:
        """The corrections already recorded for a line, in minor units. O(1)."""
        return self._corrected.get(key, 0)

    def paid(self, key: LineKey) -> Money:
        """What was paid for a line. O(1)."""
        return Money.from_minor(self.paid_units(key), self._currency)

    def corrected(self, key: LineKey) -> Money:
        """The corrections already recorded for a line. O(1)."""
        return Money.from_minor(self.corrected_units(key), self._currency)

    def total_paid(self) -> Money:
        """Everything paid. O(lines)."""
        return Money.from_minor(sum(self._paid.values()), self._currency)

    def total_corrected(self) -> Money:
        """Every correction recorded. O(lines)."""
        return Money.from_minor(sum(self._corrected.values()), self._currency)
