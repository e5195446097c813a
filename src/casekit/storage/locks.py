"""The locks a storage object's units of work take.

`WriterLock`: one unit of work at a time per storage object (a storage with one
connection, which carries one transaction). `NestingGuard`: no turns, only no
nesting (a storage with a connection pool). Either way, opening a second unit of work in a
thread while its first is open would wait for itself (for the lock, or for the rows the
first one holds), so it is refused instead.
"""

from __future__ import annotations

import threading

from casekit.errors import StorageError

__all__ = ["NestingGuard", "WriterLock"]


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
            raise _nested(self._name)
        self._lock.acquire()
        self._owner = me

    def release(self) -> None:
        """Let the next unit of work in."""
        self._owner = None
        self._lock.release()


class NestingGuard:
    """Refuses a second unit of work in a thread that has one open; other threads never wait.

    Args:
        name: The storage, for messages.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._local = threading.local()

    def enter(self) -> None:
        """Mark this thread as inside a unit of work.

        Raises:
            StorageError: It already is (a unit of work inside another).
        """
        if getattr(self._local, "inside", False):
            raise _nested(self._name)
        self._local.inside = True

    def leave(self) -> None:
        """Mark this thread as outside again."""
        self._local.inside = False


def _nested(name: str) -> StorageError:
    return StorageError(
        f"{name}: a unit of work is already open in this thread; units of work do not nest "
        "(commit or leave the first one, or use another storage object)"
    )
