"""Self-tests of the atomicity fuzzer: it flags broken classes and passes a correct one."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import attrs
import pytest

from casekit.checks import check_aware, check_decimal, check_id, check_int
from casekit.errors import ValidationError
from casekit.testing import Call, FuzzReport, fuzz
from casekit.testing.fuzz import constructor, mutating_methods, probes_for, snapshot, state_diff

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


class Correct:
    """Validates at the door: every argument checked before anything changes."""

    def __init__(self) -> None:
        self.items: dict[str, int] = {}
        self.log: list[tuple[str, datetime]] = []

    def add(self, item_id: str, count: int, *, at: datetime) -> None:
        item_id = check_id(item_id, what="item id")
        count = check_int(count, what=f"count of {item_id}", minimum=0, maximum=10**6)
        at = check_aware(at, what=f"time of {item_id}")
        if item_id in self.items:
            raise ValidationError(f"item {item_id!r} exists already")
        self.items[item_id] = count
        self.log.append((item_id, at))

    def price(self, amount: Decimal) -> Decimal:
        return check_decimal(amount, what="price")

    def get(self, item_id: str) -> int:  # a read: left out by default
        return self.items[item_id]


class MutatesThenRaises(Correct):
    """Broken: changes its state, then fails with a bare TypeError on a bad count."""

    def add(self, item_id: str, count: int, *, at: datetime) -> None:
        self.log.append((str(item_id), at))
        self.items[str(item_id)] = count + 0  # TypeError on a non-number, after the append


class BareValueError(Correct):
    """Broken: refuses a bad count with a bare ValueError (state unchanged)."""

    def add(self, item_id: str, count: int, *, at: datetime) -> None:
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ValueError(f"bad count {count!r}")
        super().add(item_id, count, at=at)


class HalfChanged(Correct):
    """Broken: refuses with a CasekitError but only after changing its state."""

    def add(self, item_id: str, count: int, *, at: datetime) -> None:
        self.log.append(("attempt", T0))
        super().add(item_id, count, at=at)


GOOD = {"add": Call("a1", 3, at=T0), "price": Call(Decimal("1.50"))}


def run(cls: type[Correct]) -> FuzzReport:
    return fuzz(cls, good_args=GOOD, seed=1)


def test_a_correct_class_passes() -> None:
    report = run(Correct)
    report.assert_clean(allow_suspect=False)
    assert report.tried > 50
    assert report.refused > 0
    assert report.accepted > 0
    assert report.tried == report.refused + report.accepted


def test_flags_a_class_that_mutates_then_raises_type_error() -> None:
    """Rule: a refused call changes nothing, and refuses with a CasekitError."""
    report = run(MutatesThenRaises)
    kinds = {(f.method, f.kind) for f in report.failures}
    assert ("add", "bare error") in kinds
    bad = next(f for f in report.failures if f.parameter == "count" and "TypeError" in f.error)
    assert bad.diff, "the state change must be shown"
    assert any("$.log" in change for change in bad.diff)
    with pytest.raises(AssertionError, match="bare error"):
        report.assert_clean()


def test_flags_a_bare_value_error_with_state_unchanged() -> None:
    """Rule: every error is a CasekitError subclass, even when nothing changed."""
    report = run(BareValueError)
    bare = [f for f in report.failures if f.kind == "bare error"]
    assert bare
    assert all("ValueError" in f.error and not f.diff for f in bare)
    assert "ValueError: bad count" in str(report)


def test_flags_a_casekit_error_raised_after_a_change() -> None:
    """Rule: a refused call changes nothing (a CasekitError is not enough)."""
    report = run(HalfChanged)
    half = [f for f in report.failures if f.kind == "half-changed"]
    assert half
    assert any("attempt" in change for f in half for change in f.diff)


def test_repeating_the_valid_call_probes_duplicate_ids() -> None:
    class NoDuplicateCheck(Correct):
        def add(self, item_id: str, count: int, *, at: datetime) -> None:
            self.log.append((item_id, at))
            if item_id in self.items:
                raise ValidationError("duplicate")
            self.items[item_id] = count

    report = fuzz(NoDuplicateCheck, methods=["add"], good_args=GOOD, max_calls=0)
    assert [f.parameter for f in report.failures] == ["(repeat)"]


def test_suspect_acceptances_are_reported_and_can_fail() -> None:
    class Lax(Correct):
        def flag(self, on: bool) -> None:
            self.items["flag"] = 1 if on else 0

    report = fuzz(Lax, methods=["flag"], good_args={"flag": Call(True)})
    assert report.clean
    assert any("truthy string" in m for m in report.suspect)
    report.assert_clean()
    with pytest.raises(AssertionError, match="suspect"):
        report.assert_clean(allow_suspect=False)


def test_the_run_is_deterministic_and_bounded() -> None:
    one = fuzz(Correct, good_args=GOOD, seed=7, max_calls=10)
    two = fuzz(Correct, good_args=GOOD, seed=7, max_calls=10)
    assert str(one) == str(two)
    assert one.tried == 2 * (1 + 10)  # per method: the repeat, then at most 10 probes


def test_default_methods_leave_out_reads_and_private_ones() -> None:
    assert mutating_methods(Correct()) == ["add", "price"]


def test_a_method_without_good_args_is_skipped_and_said_so() -> None:
    report = fuzz(Correct, good_args={})
    assert report.tried == 0
    assert any("add: no good_args" in s for s in report.skipped)


def test_good_args_that_fail_are_a_setup_failure() -> None:
    report = fuzz(Correct, methods=["add"], good_args={"add": Call("a1", -1, at=T0)})
    assert [f.kind for f in report.failures] == ["setup"]


def test_a_hanging_call_is_reported_as_a_timeout() -> None:
    class Slow(Correct):
        def wait(self, n: int) -> None:
            while n > 5:
                pass

    report = fuzz(Slow, methods=["wait"], good_args={"wait": Call(1)}, timeout=0.05)
    assert any(f.kind == "timeout" for f in report.failures)


def test_constructors_can_be_fuzzed() -> None:
    @attrs.frozen
    class Item:
        item_id: str = attrs.field(validator=lambda _i, _a, v: check_id(v, what="item id"))
        count: int = 0  # unchecked: a bad count is accepted (suspect), not a failure

    report = fuzz(
        object,
        methods={"Item": constructor(Item)},
        good_args={"Item": Call("a1", count=2)},
    )
    report.assert_clean()
    assert report.refused > 5
    assert any(m.startswith("Item(count=") for m in report.suspect)


def test_probes_follow_the_type_hints() -> None:
    labels = {p.label for p in probes_for(str)}
    assert {"NUL character", "lone surrogate", "spreadsheet formula", "blank string"} <= labels
    floats = [p.value for p in probes_for(float)]
    assert any(isinstance(v, float) and math.isnan(v) for v in floats)
    assert math.inf in floats
    decimals = [p.value for p in probes_for(Decimal)]
    assert any(isinstance(v, Decimal) and v.is_nan() for v in decimals)
    naive = [p.value for p in probes_for(datetime) if p.label == "naive datetime"]
    assert naive
    assert naive[0].tzinfo is None  # type: ignore[attr-defined]
    assert 10**100 in [p.value for p in probes_for(int)]
    assert "yes" in [p.value for p in probes_for(bool)]
    assert ["a", "a"] in [p.value for p in probes_for(list[str], good=["a"])]


def test_snapshot_normalises_sets_and_dicts_and_survives_cycles() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self
            self.tags = {"b", "a"}
            self.index = {"y": 1, "x": 2}

    one, two = Node(), Node()
    two.tags = {"a", "b"}
    two.index = {"x": 2, "y": 1}
    assert snapshot(one) == snapshot(two)
    assert snapshot(one)["$.me"] == "<cycle to $>"
    two.index["x"] = 3
    assert state_diff(snapshot(one), snapshot(two)) == ["$.index['x']: int:2 -> int:3"]


def test_snapshot_reads_slots_and_attrs_fields() -> None:
    class Slotted:
        __slots__ = ("_hidden",)

        def __init__(self) -> None:
            self._hidden = [1]

    assert snapshot(Slotted())["$._hidden[0]"] == "int:1"
    assert snapshot(Call("x"))["$.args[0]"] == "str:'x'"


def test_unstorable_values_kept_in_the_state_are_suspect() -> None:
    class KeepsAnything:
        def __init__(self) -> None:
            self.notes: list[str] = []

        def note(self, text: str) -> None:
            self.notes.append(f"note: {text}")  # a NUL or a lone surrogate gets stored

        def echo(self, text: str) -> str:
            return text  # accepts them too, but keeps nothing

    report = fuzz(
        KeepsAnything, good_args={"note": Call("hello"), "echo": Call("hello")}, max_calls=200
    )
    kept = [s for s in report.suspect if s.endswith("kept in the state")]
    assert any("NUL character" in s for s in kept)
    assert any("lone surrogate" in s for s in kept)
    assert not any(s.startswith("echo(") for s in kept)


def test_a_generator_is_run_so_its_lazy_errors_count() -> None:
    class Lazy(Correct):
        def walk(self, item_id: str) -> Iterator[int]:
            yield self.items[item_id]  # a bare KeyError, raised only when iterated

    report = fuzz(Lazy, methods=["walk"], good_args={"walk": lambda obj: Call(_added(obj))})
    assert any(f.kind == "bare error" and "KeyError" in f.error for f in report.failures)


def _added(obj: Correct) -> str:
    obj.add("a1", 1, at=T0)
    return "a1"


def test_a_refusal_that_says_nothing_is_suspect() -> None:
    class Terse(Correct):
        def rename(self, name: str) -> None:
            if not isinstance(name, str):
                raise ValidationError("")
            self.items[name] = 0

    report = fuzz(Terse, methods=["rename"], good_args={"rename": Call("x")})
    assert report.clean
    assert any("says nothing" in s for s in report.suspect)


def test_a_state_function_that_fails_after_a_call_is_an_unreadable_state() -> None:
    """Rule: what a call leaves behind must still be readable (e.g. storable)."""

    def record(obj: Correct) -> object:
        return {k: check_int(v, what="stored count") for k, v in obj.items.items()}

    class Lax(Correct):
        def put(self, item_id: str, count: int) -> None:
            self.items[check_id(item_id, what="id")] = count  # count unchecked

    report = fuzz(Lax, methods=["put"], good_args={"put": Call("a1", 1)}, state=record)
    unreadable = [f for f in report.failures if f.kind == "unreadable state"]
    assert unreadable
    assert all(f.parameter == "count" for f in unreadable)
    assert "stored count" in unreadable[0].error


def test_settings_that_cannot_work_are_refused() -> None:
    with pytest.raises(ValidationError, match="'ad', which is not a method to fuzz"):
        fuzz(Correct, good_args={**GOOD, "ad": Call()})  # a typo would skip a method
    with pytest.raises(ValidationError, match="no method 'nope'"):
        fuzz(Correct, methods=["nope"])
    with pytest.raises(ValidationError, match="max_calls"):
        fuzz(Correct, good_args=GOOD, max_calls=-1)
    with pytest.raises(ValidationError, match="timeout"):
        fuzz(Correct, good_args=GOOD, timeout=float("nan"))
    with pytest.raises(ValidationError, match="factory"):
        fuzz(42)  # type: ignore[arg-type]
