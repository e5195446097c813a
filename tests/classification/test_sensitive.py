"""Personal data never appears whole: masked everywhere, revealed only by the accessor."""

from __future__ import annotations

import json
import logging
import pickle
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casekit import ManualClock
from casekit.cases import Owner
from casekit.cases.codec import case_from_record, case_to_record
from casekit.classification import (
    MASK,
    MemoryVault,
    SavedReport,
    Sensitive,
    classify,
    document,
    mask,
)
from casekit.errors import CasekitError, NotFound, ValidationError
from casekit.storage.cases import audit_fields

SSNS = st.builds(
    "{:03d}-{:02d}-{:04d}".format,
    st.integers(0, 999),
    st.integers(0, 99),
    st.integers(0, 9999),
)
MAS = st.builds("MA{:09d}".format, st.integers(0, 10**9 - 1))


def test_mask_shows_only_the_last_four_characters() -> None:
    assert mask("123-45-6789") == "•••••6789"
    assert mask("12345") == "•••••2345"
    assert mask("1234") == MASK  # a value that short is hidden whole


def test_sensitive_str_repr_and_format_are_masked() -> None:
    vault = MemoryVault()
    ssn = Sensitive.seal("123-45-6789", kind="SSN", vault=vault)
    assert str(ssn) == "•••••6789"
    assert repr(ssn) == "Sensitive(SSN: •••••6789)"
    assert f"{ssn}|{ssn:>12}|{ssn!r}" == "•••••6789|   •••••6789|Sensitive(SSN: •••••6789)"
    assert "%s %r" % (ssn, ssn) == "•••••6789 Sensitive(SSN: •••••6789)"  # noqa: UP031  logging style
    assert ssn.reveal(vault) == "123-45-6789"
    assert b"123-45-6789" not in pickle.dumps(ssn)


def test_only_the_vault_that_sealed_a_value_reveals_it() -> None:
    ssn = Sensitive.seal("123-45-6789", kind="SSN", vault=MemoryVault())
    with pytest.raises(NotFound, match="no sensitive value under token") as refused:
        ssn.reveal(MemoryVault())
    assert "123-45-6789" not in str(refused.value)


def test_two_seals_of_one_value_get_different_tokens() -> None:
    vault = MemoryVault()
    one = Sensitive.seal("123-45-6789", kind="SSN", vault=vault)
    two = Sensitive.seal("123-45-6789", kind="SSN", vault=vault)
    assert one.token != two.token
    assert one.reveal(vault) == two.reveal(vault)
    assert len(vault) == 2
    assert repr(vault) == "MemoryVault(2 values)"


def test_sealing_refuses_non_strings_without_showing_them() -> None:
    with pytest.raises(
        ValidationError,
        match=r"a sensitive SSN must be a non-blank string.*got a int \(value not shown\)",
    ):
        Sensitive.seal(123456789, kind="SSN")  # type: ignore[arg-type]


def test_the_codec_stores_token_and_tail_and_round_trips(
    mco: ModuleType, recorded: Any, vault: MemoryVault, clock: ManualClock
) -> None:
    case = recorded("MCT Span")
    text = json.dumps(case_to_record(case))
    assert "123-45-6789" not in text
    assert "MA-55501234" not in text
    back = case_from_record(json.loads(text), clock=clock)
    assert back.documentation == case.documentation
    assert back.documentation.get("SSN").reveal(vault) == "123-45-6789"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        self.lines.append(repr(record.args))


def _renderings(mco: ModuleType, case: Any, vault: MemoryVault) -> list[str]:
    """Every way a case is shown, exported, logged, stored, audited or refused."""
    out = [str(case), repr(case), str(case.to_record()), case._repr_html_()]
    out.append(json.dumps(case_to_record(case)))
    out.append(json.dumps(case_to_record(case), ensure_ascii=False))
    out.append(repr(case.documentation))
    out.append(str(case.documentation))
    out.extend(repr(x) for x in (case.history, case.notes, case.tasks, case.pending_events))
    report = SavedReport("everything").run([case])
    out.append(report.to_csv())
    out.append(repr(report))
    out.append(report.to_dataframe().to_string())
    out.extend(repr(audit_fields(event)) for event in case.pending_events)  # the audit trail
    errors: list[CasekitError] = []
    template = mco.TAXONOMY.template(case.documentation.template)
    given = dict(case.documentation.entries)
    for attempt in (
        lambda: template.fill({k: v for k, v in given.items() if k != "Participant Name(s)"}),
        lambda: template.fill({**given, "Extra": "x"}),
        lambda: template.fill({**given, "Participant Name(s)": given["SSN"]}),
        lambda: classify(case, record_type="Medicaid", category="X", disposition="Y", actor="csr"),
        lambda: case.perform("classify", actor="csr", status=given["SSN"], colour=given["MA"]),
        lambda: mco.PROCEDURE.run(case, "outreach_attempt", actor="sup"),
        lambda: given["SSN"].reveal(MemoryVault()),
    ):
        try:
            attempt()
        except CasekitError as error:
            errors.append(error)
    assert len(errors) >= 6
    out.extend(f"{e!s} {e!r} {e.args!r}" for e in errors)
    return out


@given(
    ssn=SSNS,
    ma=MAS,
    template=st.sampled_from(["Angela Melody", "MCT Span", "For Cause Reason"]),
    vet=st.sampled_from(["vet_true", "vet_false"]),
    outreach=st.integers(0, 2),
)
def test_a_masked_value_never_appears_whole_in_any_rendering(  # noqa: PLR0917  hypothesis
    mco: ModuleType,
    docs: dict[str, dict[str, str]],
    vault: MemoryVault,
    ssn: str,
    ma: str,
    template: str,
    vet: str,
    outreach: int,
) -> None:
    handler = _Collect()
    logger = logging.getLogger("casekit")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
        case = mco.TrackerCase.create(
            owner=Owner.user("csr"), supervisor=Owner.user("sup"), clock=clock
        )
        values = {**docs[template], "SSN": ssn, "MA": ma}
        document(case, mco.TAXONOMY, template, values, actor="csr", vault=vault)
        sub, disposition = {
            "Angela Melody": ("Angela Melody", "MCO Updated"),
        }.get(template, ("NA", "Plan Selected in Error"))
        classify(
            case,
            record_type="Medicaid",
            category="MCO Plan Shopping",
            sub_category=sub,
            disposition=disposition,
            actor="csr",
        )
        mco.PROCEDURE.run(case, vet, actor="qc")
        if vet == "vet_false":
            for _ in range(outreach):
                mco.PROCEDURE.run(case, "outreach_attempt", actor="sup")
        logging.getLogger("casekit.tests").info("documented %s: %s", case.id, case.documentation)
        rendered = _renderings(mco, case, vault)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    rendered.extend(handler.lines)
    assert any("•••••" + ssn[-4:] in text for text in rendered)
    assert len(handler.lines) >= 4
    # (The raw forms only: a dash-less SSN is nine digits, which hex hashes and tokens contain
    # by chance, and nothing in casekit ever strips the dashes.)
    for raw in (ssn, ma):
        leaks = [text for text in rendered if raw in text]
        assert not leaks, f"{raw} leaked"
    assert case.documentation.get("SSN").reveal(vault) == ssn
