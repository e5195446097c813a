"""The shared argument checks (casekit.checks) refuse every probe with a ValidationError.

The checks are the door every public method goes through: whatever value they are given,
they return one or raise ``ValidationError``, never a bare error. The fuzzer probes the value
of each (their other parameters, ``what``, bounds and types, are casekit's own settings).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from casekit import checks
from casekit.errors import ValidationError
from casekit.testing import Call, FuzzReport, Operation, fuzz


class Colour(enum.Enum):
    RED = "red"


GOOD: dict[str, Call] = {
    "check_actor": Call("ana", what="actor"),
    "check_aware": Call(datetime(2026, 1, 1, tzinfo=UTC), what="time"),
    "check_bool": Call(True, what="flag"),
    "check_callable": Call(print, what="callback"),
    "check_date": Call(date(2026, 1, 1), what="day"),
    "check_decimal": Call(Decimal("1.50"), what="amount", allow_negative=False),
    "check_enum": Call("red", Colour, what="colour"),
    "check_free_text": Call("a note", what="note", max_length=100),
    "check_id": Call("c-1", what="id"),
    "check_instance": Call(3, int, what="count"),
    "check_int": Call(3, what="count", minimum=0, maximum=10),
    "check_json_safe": Call({"a": [1, "x", Decimal("2")]}, what="payload"),
    "check_level": Call(3, what="clearance"),
    "check_mapping": Call({"a": 1}, what="options"),
    "check_optional_id": Call("c-1", what="id"),
    "check_optional_text": Call("text", what="text"),
    "check_text": Call("text", what="text", max_length=100),
    "check_timedelta": Call(timedelta(hours=1), what="wait", positive=True),
}


def test_every_check_is_fuzzed() -> None:
    assert sorted(GOOD) == sorted(n for n in checks.__all__ if n.startswith("check_"))


@pytest.mark.parametrize("name", sorted(GOOD))
def test_checks_refuse_with_validation_errors_only(
    name: str, fuzz_reports: list[FuzzReport]
) -> None:
    """Rule: a check returns a value or raises ValidationError, never a bare error."""
    check, good = getattr(checks, name), GOOD[name]
    settings_args, settings = good.args[1:], good.kwargs

    def check_value(value: object) -> object:
        return check(value, *settings_args, **settings)

    report = fuzz(
        object,
        methods={name: Operation(check_value)},
        good_args={name: Call(good.args[0])},
        name=f"casekit.checks.{name}",
        max_calls=200,
    )
    fuzz_reports.append(report)
    report.assert_clean()
    assert report.refused > 0


@pytest.mark.parametrize("bad", [None, 0, "", "  ", "a\x00b", "\ud800"])
def test_the_new_checks(bad: Any) -> None:
    assert checks.check_optional_id(None, what="id") is None
    assert checks.check_free_text("", what="note") == ""
    assert checks.check_callable(len, what="f") is len
    with pytest.raises(ValidationError):
        checks.check_callable(bad, what="callback")
    if bad is not None:
        with pytest.raises(ValidationError):
            checks.check_optional_id(bad, what="id")
    if bad not in ("", "  "):
        with pytest.raises(ValidationError):
            checks.check_free_text(bad, what="note")
