"""Keeping database passwords out of messages and logs.

[`scrub_conninfo`][] masks the secrets of connection strings in any text: libpq keyword
strings (``password=s3cr3t``, ``password = 's3 cr3t'``), URIs
(``postgresql://user:s3cr3t@host/db``, ``...?password=s3cr3t``) and the messages drivers
make of them. Given the connection string a message is about (``conninfo=``), it also
removes every occurrence of that string's password, or of its pieces, so a driver message
that quotes a fragment of a malformed connection string (``missing "=" after "cr3t"``)
does not leak it either.

Complexity: linear in the length of the text (and of ``conninfo``).
"""

from __future__ import annotations

import re

__all__ = ["MASK", "scrub_conninfo"]

MASK = "***"
"""What a secret is replaced with."""

_SECRET_KEYS = r"(?:password|passwd|sslpassword)"
# key = 'quoted value with \' escapes'  |  key = bare\ value (not a URI's ?key=value)
_KEYWORD = re.compile(
    rf"(?<![?&])(?P<key>\b{_SECRET_KEYS}\s*=\s*)"
    r"(?P<value>'(?:[^'\\]|\\.)*(?:'|$)|(?:[^\s\\]|\\.)*)",
    re.IGNORECASE | re.DOTALL,
)
# scheme://user:secret@host — the secret runs to the last '@' before white space
_URI = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s/@:]*:)(?P<value>\S*)@", re.IGNORECASE)
_URI_PARAM = re.compile(rf"(?P<key>[?&]{_SECRET_KEYS}=)(?P<value>[^&#\s]*)", re.IGNORECASE)
_MIN_FRAGMENT = 3  # shorter pieces of a password would mask unrelated words


def _secrets(conninfo: str) -> set[str]:
    """The passwords ``conninfo`` holds, as written and as parsed, and their pieces."""
    found: set[str] = set()
    for match in _KEYWORD.finditer(conninfo):
        found.add(match["value"])
    for match in _URI.finditer(conninfo):
        found.add(match["value"])
    for match in _URI_PARAM.finditer(conninfo):
        found.add(match["value"])
    # "password = s3 cr3t" is malformed, and libpq names the piece it choked on
    for match in re.finditer(rf"\b{_SECRET_KEYS}\s*=\s*(.*)", conninfo, re.IGNORECASE):
        for token in match[1].split():
            if "=" in token:  # the next keyword
                break
            found.add(token)
    try:
        from psycopg.conninfo import conninfo_to_dict  # noqa: PLC0415  optional extra

        parsed = conninfo_to_dict(conninfo)
    except Exception:  # not installed, or malformed: the patterns above serve
        parsed = {}
    for key in ("password", "sslpassword"):
        value = parsed.get(key)
        if isinstance(value, str):
            found.add(value)
    pieces: set[str] = set()
    for secret in found:
        stripped = secret.strip("'\"")
        pieces.update({secret, stripped, stripped.replace("\\'", "'")})
        pieces.update(stripped.split())
        for decoded in _percent_decoded(stripped):
            pieces.add(decoded)
    return {p for p in pieces if len(p) >= _MIN_FRAGMENT}


def _percent_decoded(value: str) -> tuple[str, ...]:
    from urllib.parse import unquote  # noqa: PLC0415  rarely needed

    decoded = unquote(value)
    return (decoded,) if decoded != value else ()


def scrub_conninfo(text: str, *, conninfo: str | None = None) -> str:
    """Return ``text`` with every connection secret in it replaced by ``***``.

    Args:
        text: Any message: a connection string, a driver's error, a log line.
        conninfo: The connection string the message is about, if known: its password is
            also removed wherever it (or a piece of it) appears in ``text``.

    Returns:
        The text with passwords masked; the rest (host, port, database, user) is kept.

    Example::

        >>> scrub_conninfo("cannot connect to postgresql://ana:s3cr3t@db/cases")
        'cannot connect to postgresql://ana:***@db/cases'
        >>> scrub_conninfo("host=db password = 's3 cr3t' user=ana")
        'host=db password = *** user=ana'
    """
    secrets = _secrets(conninfo) if conninfo else set()
    scrubbed = _URI.sub(lambda m: f"{m['head']}{MASK}@", text)
    scrubbed = _URI_PARAM.sub(lambda m: f"{m['key']}{MASK}", scrubbed)
    scrubbed = _KEYWORD.sub(lambda m: f"{m['key']}{MASK}", scrubbed)
    for secret in sorted(secrets, key=len, reverse=True):
        scrubbed = scrubbed.replace(secret, MASK)
    return scrubbed
