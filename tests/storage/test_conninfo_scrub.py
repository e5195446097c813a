"""Database passwords never appear in casekit's messages or logs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import quote

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from casekit.errors import CasekitError, StorageUnavailable, ValidationError
from casekit.storage import PostgresStorage, Storage, scrub_conninfo
from casekit.storage.sql import SqlUnitOfWork, translate_error

_UNREACHABLE = "127.0.0.1:1"

# Printable ASCII with the characters that need quoting somewhere: spaces, quotes,
# backslashes, '@', ':', '/', '%', '=', '&', '?', '#'.
_secrets = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=8, max_size=24
).filter(lambda s: s.strip() == s and len(set(s)) > 3)


def _keyword(secret: str, spaces: str) -> str:
    escaped = secret.replace("\\", "\\\\").replace("'", "\\'")
    return f"host=db.example port=5432 user=ana password{spaces}={spaces}'{escaped}' dbname=cases"


def _forms(secret: str) -> list[str]:
    forms = [
        _keyword(secret, ""),
        _keyword(secret, " "),
        f"postgresql://ana:{quote(secret, safe='')}@db.example:5432/cases",
        f"postgresql://db.example/cases?user=ana&password={quote(secret, safe='')}",
    ]
    if not any(c in secret for c in " '\\"):
        forms.append(f"host=db.example password = {secret} user=ana")
    return forms


@settings(max_examples=300, deadline=None)
@given(secret=_secrets)
def test_rule_the_secret_never_survives_scrubbing(secret: str) -> None:
    """Rule: scrub_conninfo removes the password of any conninfo form, in any message."""
    encoded = quote(secret, safe="")
    for conninfo in _forms(secret):
        rest = conninfo.replace(secret, "").replace(encoded, "")
        assume(secret not in rest and encoded not in rest)
        messages = [
            conninfo,
            f'connection failed: {conninfo}: FATAL: password authentication failed for "ana"',
            f"cannot connect ({conninfo})",
        ]
        for message in messages:
            for scrubbed in (scrub_conninfo(message), scrub_conninfo(message, conninfo=conninfo)):
                assert secret not in scrubbed, (conninfo, scrubbed)
                assert encoded not in scrubbed, (conninfo, scrubbed)
        kept = scrub_conninfo(conninfo)
        assert "db.example" in kept
        assert "ana" in kept


def test_the_pieces_a_driver_quotes_of_a_malformed_string_are_scrubbed() -> None:
    conninfo = "host=db password = s3 cr3tpart user=ana"
    driver_says = 'missing "=" after "cr3tpart" in connection info string'
    assert "cr3tpart" not in scrub_conninfo(driver_says, conninfo=conninfo)
    assert scrub_conninfo("host=db password=s3cr3t user=ana") == "host=db password=*** user=ana"


@pytest.mark.parametrize(
    ("conninfo", "secret"),
    [
        (f"postgresql://x:s3cr3t@{_UNREACHABLE}/db", "s3cr3t"),
        ("host=127.0.0.1 port=1 user=x password = s3cr3t dbname=db", "s3cr3t"),
        ("host=127.0.0.1 port=1 user=x password='s3 cr3t' dbname=db", "cr3t"),
        ("host=127.0.0.1 port=1 user=x password='s3 cr3t' dbname=db", "s3 cr3t"),
    ],
)
def test_rule_an_unreachable_postgres_never_shows_its_password(
    conninfo: str, secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Rule: 'cannot connect' messages (and their causes' text in logs) hold no password."""
    caplog.set_level(logging.DEBUG)
    with pytest.raises(StorageUnavailable, match="cannot connect") as caught:
        PostgresStorage(conninfo, connect_timeout=2)
    assert secret not in str(caught.value)
    assert caught.value.__cause__ is None  # the driver's error (with the string) is not chained
    assert all(secret not in record.getMessage() for record in caplog.records)


def test_rule_a_malformed_connection_string_is_a_validation_error_without_its_secret() -> None:
    """Rule: libpq quoting the piece it choked on ("cr3t") does not leak it."""
    with pytest.raises(ValidationError, match=r"malformed|missing") as caught:
        PostgresStorage("host=127.0.0.1 port=1 password = s3 cr3tpart", connect_timeout=2)
    assert "cr3tpart" not in str(caught.value)


def test_rule_translated_statement_errors_are_scrubbed(
    storage_factory: Callable[[str], Storage],
) -> None:
    """Rule: a driver message quoting the connection string is scrubbed by translate_error."""
    error = RuntimeError("could not send to host=h password=s3cr3t: broken pipe")
    translated = translate_error(error, database="postgresql", what="SELECT 1")
    assert isinstance(translated, CasekitError)
    assert "s3cr3t" not in str(translated)
    storage = storage_factory("postgres")
    assert isinstance(storage, PostgresStorage)
    uow = storage.unit_of_work()
    assert isinstance(uow, SqlUnitOfWork)
    assert uow.dialect.conninfo == storage.conninfo  # scrubbed with its own password too
