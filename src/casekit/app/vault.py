"""The application's vault as domain code sees it: it seals values, it never reveals them.

An [`Application`][casekit.app.Application] keeps its own vault (one per application, so
per storage or tenant; never the process-wide ``DEFAULT_VAULT``). Code that seals values —
``document(..., vault=app.vault)``, ``template.fill(..., vault=app.vault)`` — is handed a
[`SealingVault`][]: ``put`` keeps the value in the application's vault, ``get`` refuses. A
value comes back only through ``Application.reveal``, which checks the ``reveal``
permission on the case that holds it and audits the reveal.
"""

from __future__ import annotations

from casekit.checks import check_text
from casekit.classification.sensitive import Vault
from casekit.errors import AccessDenied
from casekit.security import AccessDecision

__all__ = ["SEALING_VAULT", "SealingVault"]

SEALING_VAULT = "sealing vault"
"""The rule name of a refusal by a [`SealingVault`][]."""


class SealingVault:
    """A write-only view of an application's vault.

    Not an attrs class, and it shows nothing of the vault it wraps, so printers and
    debuggers do not walk into the values.

    Args:
        vault: The application's vault.
        owner: The application's name, for messages.
    """

    __slots__ = ("_owner", "_vault")

    def __init__(self, vault: Vault, owner: str) -> None:
        self._vault = vault
        self._owner = owner

    def __repr__(self) -> str:
        return f"SealingVault({self._owner})"

    def put(self, kind: str, value: str) -> str:
        """Keep ``value`` in the application's vault and return its token.

        Complexity: the vault's ``put``.

        Raises:
            ValidationError: As the vault's ``put`` (the value is never shown).
        """
        return self._vault.put(kind, value)

    def get(self, token: str) -> str:
        """Refuse: the application reveals values only through ``Application.reveal``.

        Raises:
            AccessDenied: Always (rule ``"sealing vault"``). Not audited: no case or
                principal is known here; the checked, audited way is
                ``Application.reveal(case_id, value, actor=..., reason=...)``.
        """
        check_text(token, what="a vault token", max_length=512)
        reason = (
            f"{self._owner}'s vault only seals values; reveal one with "
            f"Application.reveal(case_id, value, actor=..., reason=...), which checks the "
            "'reveal' permission on the case and audits it"
        )
        raise AccessDenied(reason, decision=AccessDecision(False, SEALING_VAULT, reason))
