"""The payment ledger: what was paid, and which corrections were recorded, per line.

An in-memory index a reassessment reads: issued payment lines and recorded correction
lines, each keyed by cover period × component × nominee, with amounts held as exact minor
units (every paid amount is a whole number of cents). Entries are appended, never edited.
Persisting them is the storage layer's job (its ``LedgerStore`` port); this class is what
the domain computes with.

A ledger read back from storage is rebuilt from its entries with [`Ledger.restore`][].

Complexity: recording is O(log p) for p distinct cover periods; [`Ledger.keys_meeting`][]
is O(log p + k) for the k lines it returns; amount look-ups are O(1); restoring n entries
is O(n log n).
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable, Iterator, Mapping
from datetime import date

import attrs

from casekit.checks import check_date, check_enum, check_id, check_instance, check_text
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
        amount: The amount, a whole number of minor units (a correction may be negative).
        reference: The payment or reassessment it came from.

    Raises:
        ValidationError: A field of the wrong kind, or a blank component or reference.
        InvalidMoney: An amount with fractions of the minor unit (a ledger holds only
            whole ones).
    """

    kind: EntryKind
    cover: Period
    component: str
    nominee: str
    amount: Money
    reference: str

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "kind", check_enum(self.kind, EntryKind, what="LedgerEntry.kind"))
        check_instance(self.cover, Period, what="LedgerEntry.cover")
        check_text(self.component, what=f"component of the ledger entry for {self.cover}")
        check_id(self.nominee, what=f"nominee of the ledger entry for {self.cover}")
        amount = check_instance(
            self.amount, Money, what=f"amount of the ledger entry for {self.cover}"
        )
        amount.to_minor()  # InvalidMoney for fractions of the minor unit
        check_text(self.reference, what=f"reference of the ledger entry for {self.cover}")


def _check_correction_nominee(nominee: str, what: str) -> None:
    if nominee == "*":
        raise ValidationError(
            f"the nominee of {what} is '*' (all nominees): a correction line names the one "
            "nominee it is owed to or by"
        )


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
        Money.zero(currency)  # validates the code (ValidationError names the bad one)
        self._currency = currency
        self._paid: dict[LineKey, int] = {}
        self._corrected: dict[LineKey, int] = {}
        self._ends: list[date] = []
        self._by_end: dict[date, list[LineKey]] = {}
        self._entries: list[LedgerEntry] = []
        self._first_start: date | None = None

    @classmethod
    def restore(cls, currency: str, entries: Iterable[LedgerEntry]) -> Ledger:
        """A ledger holding exactly ``entries``, in their order: one read back from storage.

        The same ledger as recording them one by one (paid entries as paid, corrections as
        corrections): the same entries, amounts and look-ups. Every entry is checked, as
        recording it would check it, before the ledger is built.

        Complexity: O(n log n) for n entries (the cover periods are sorted once).

        Args:
            currency: The ledger's currency.
            entries: The ledger's entries, oldest first (as iterating a ledger gives them).

        Raises:
            ValidationError: An unknown currency, ``entries`` not an iterable of
                [`LedgerEntry`][], or a correction entry naming ``'*'`` (all nominees) as
                its nominee.
            CurrencyMismatch: An entry in another currency.
        """
        ledger = cls(currency)
        if isinstance(entries, str | bytes) or not isinstance(entries, Iterable):
            raise ValidationError(
                f"the entries of a restored ledger must be an iterable of LedgerEntry, got "
                f"{entries!r}"
            )
        checked = [ledger._check_entry(entry, n) for n, entry in enumerate(entries)]
        ends: dict[date, dict[LineKey, None]] = {}
        for key, units, entry in checked:
            target = ledger._paid if entry.kind is EntryKind.PAID else ledger._corrected
            target[key] = target.get(key, 0) + units
            ends.setdefault(key[1], {})[key] = None  # a dict: insertion-ordered, O(1) look-up
        ledger._entries = [entry for _, _, entry in checked]
        ledger._ends = sorted(ends)
        ledger._by_end = {end: list(keys) for end, keys in ends.items()}
        ledger._first_start = min((key[0] for key, _, _ in checked), default=None)
        return ledger

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
    def _units(self, amount: object, what: str) -> int:
        money = check_instance(amount, Money, what=what)
        if money.currency != self._currency:
            raise CurrencyMismatch(
                f"{what} {money} is in {money.currency}; this ledger is in {self._currency}"
            )
        return money.to_minor()

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

    def _check_paid(self, line: object, reference: str) -> tuple[LineKey, int, LedgerEntry]:
        line = check_instance(line, InstructionLine, what=f"a paid line of {reference}")
        units = self._units(line.amount, f"paid line {line.cover} {line.component!r}")
        entry = LedgerEntry(
            EntryKind.PAID, line.cover, line.component, line.nominee, line.amount, reference
        )
        return line.key, units, entry

    def _check_correction(self, item: object, reference: str) -> tuple[LineKey, int, LedgerEntry]:
        what = f"a correction line of {reference}"
        if not isinstance(item, tuple) or len(item) != 2:
            raise ValidationError(
                f"{what} must be a (line key, Money) pair, got {item!r}; a line key is "
                "(cover first day, cover last day, component, nominee)"
            )
        key, amount = item
        if not isinstance(key, tuple) or len(key) != 4:
            raise ValidationError(
                f"the key of {what} must be (cover first day, cover last day, component, "
                f"nominee), got {key!r}"
            )
        start = check_date(key[0], what=f"the cover's first day in {what}")
        end = check_date(key[1], what=f"the cover's last day in {what}")
        cover = Period(start, end)
        component = check_text(key[2], what=f"the component of {what}")
        nominee = check_id(key[3], what=f"the nominee of {what}")
        _check_correction_nominee(nominee, what)
        units = self._units(amount, f"correction {cover} {component!r} {nominee!r}")
        entry = LedgerEntry(EntryKind.CORRECTION, cover, component, nominee, amount, reference)
        return (start, end, component, nominee), units, entry

    def _check_entry(self, entry: object, n: int) -> tuple[LineKey, int, LedgerEntry]:
        """Check an entry of a restored ledger as recording it would (changing nothing)."""
        entry = check_instance(entry, LedgerEntry, what=f"entry {n} of a restored ledger")
        what = (
            f"entry {n} of a restored ledger ({entry.kind.value} {entry.cover} {entry.component!r})"
        )
        if entry.kind is EntryKind.CORRECTION:
            _check_correction_nominee(entry.nominee, what)
        units = self._units(entry.amount, what)
        return (entry.cover.start, entry.cover.end, entry.component, entry.nominee), units, entry

    def _prepare_corrections(
        self, lines: Iterable[tuple[LineKey, Money]], reference: object
    ) -> tuple[str, list[tuple[LineKey, int, LedgerEntry]]]:
        """Check a batch of correction lines (changing nothing) for `_commit`."""
        ref = check_text(reference, what="the reference of correction lines")
        if isinstance(lines, str | bytes) or not isinstance(lines, Iterable):
            raise ValidationError(
                f"correction lines of {ref} must be an iterable of (line key, Money) pairs, "
                f"got {lines!r}"
            )
        return ref, [self._check_correction(item, ref) for item in lines]

    def _commit(
        self, checked: list[tuple[LineKey, int, LedgerEntry]], kind: EntryKind
    ) -> tuple[LedgerEntry, ...]:
        """Apply lines already checked: cannot fail."""
        target = self._paid if kind is EntryKind.PAID else self._corrected
        for key, units, entry in checked:
            target[key] = target.get(key, 0) + units
            self._index(key)
            self._entries.append(entry)
        return tuple(entry for _, _, entry in checked)

    def record_paid(self, line: InstructionLine, *, reference: str) -> LedgerEntry:
        """Record an issued payment line.

        Raises:
            ValidationError: Not an [`InstructionLine`][], or a blank reference (nothing
                is recorded).
            CurrencyMismatch: The line is in another currency.
            InvalidMoney: The amount is not a whole number of cents.
        """
        (entry,) = self.record_paid_lines((line,), reference=reference)
        return entry

    def record_paid_lines(
        self, lines: Iterable[InstructionLine], *, reference: str
    ) -> tuple[LedgerEntry, ...]:
        """Record the lines of one issued payment, all or nothing.

        Every line is checked before the first is recorded: a refused batch records
        nothing.

        Raises:
            ValidationError: A line that is not an [`InstructionLine`][], or a blank
                reference.
            CurrencyMismatch: A line in another currency.
            InvalidMoney: An amount that is not a whole number of cents.
        """
        ref = check_text(reference, what="the reference of paid lines")
        if isinstance(lines, str | bytes) or not isinstance(lines, Iterable):
            raise ValidationError(
                f"paid lines of {ref} must be an iterable of InstructionLines, got {lines!r}"
            )
        checked = [self._check_paid(line, ref) for line in lines]
        return self._commit(checked, EntryKind.PAID)

    def record_corrections(
        self, lines: Iterable[tuple[LineKey, Money]], *, reference: str
    ) -> tuple[LedgerEntry, ...]:
        """Record correction lines, all or nothing.

        Every line (its key — a valid cover period, component and nominee — and its
        amount) is checked before the first is recorded: a refused batch records nothing.

        Raises:
            ValidationError: A malformed line or key (e.g. a cover period that ends before
                it starts), or a blank reference (nothing is recorded).
            CurrencyMismatch: A line in another currency (nothing is recorded).
            InvalidMoney: An amount that is not a whole number of cents.
        """
        _, checked = self._prepare_corrections(lines, reference)
        return self._commit(checked, EntryKind.CORRECTION)

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
        """Every line key whose cover period shares a day with ``window``. O(log p + k).

        Raises:
            ValidationError: ``window`` is not a Period.
        """
        check_instance(window, Period, what="the window of ledger lines")
        return self._keys_meeting(window.start, window.end)

    def _keys_meeting(self, first: date, last: date) -> list[LineKey]:
        """[`keys_meeting`][] for the days ``first..last``, unchecked (the hot path)."""
        ends = self._ends
        by_end = self._by_end
        low = bisect.bisect_left(ends, first)
        high = bisect.bisect_right(ends, last, low)
        found: list[LineKey] = []
        for end in ends[low:high]:  # ends inside the window: every line meets it
            found += by_end[end]
        for end in ends[high:]:  # ends after it: the lines that start inside it
            for key in by_end[end]:
                if key[0] <= last:
                    found.append(key)
        return found

    def _amounts(self) -> tuple[Mapping[LineKey, int], Mapping[LineKey, int]]:
        """The paid and corrected units by line, for the reassessment's inner loop.

        The ledger's own dicts, read-only to the caller: a line has a key in one only once
        something was paid (or corrected) on it.
        """
        return self._paid, self._corrected

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
