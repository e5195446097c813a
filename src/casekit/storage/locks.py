"""The lock a storage object's units of work take turns on.

One unit of work at a time per storage object (a connection carries one transaction);
opening a second one in the same thread while the first is open would wait for itself
forever, so it is refused instead.
"""

from __future__ import annotations

import threading

from casekit.errors import StorageError

__all__ = ["WriterLock"]


class WriterLock:
    """A mutex that names the deadlock a nested unit of work would be, instead of hanging.

    Args:
        name: The storage, for messages.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._owner: int | None = None

    def acquire(self) -> None:
        """Wait for the lock.

        Raises:
            StorageError: This thread already holds it (a unit of work inside another).
        """
        me = threading.get_ident()
        if self._owner == me:
            raise StorageError(
                f"{self._name}: a unit of work is already open in this thread; units of work "
                "do not nest (commit or leave the first one, or use another storage object)"
            )
        self._lock.acquire()
        self._owner = me

    def release(self) -> None:
        """Let the next unit of work in."""
        self._owner = None
        self._lock.release()
