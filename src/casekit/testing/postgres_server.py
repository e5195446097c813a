"""A throw-away PostgreSQL server for tests and benchmarks.

`find_postgres_bindir` looks for ``initdb`` and ``pg_ctl`` in ``PATH`` and in
``/usr/lib/postgresql/*/bin``. `PostgresServer.start` runs ``initdb`` in a fresh
temporary directory and starts the server on a free port of ``127.0.0.1`` only (no Unix
socket outside that directory, no other address), with trust authentication for the
``casekit`` database user. PostgreSQL refuses to run as root, so when the tests run as root
the server runs as an unprivileged OS user (``postgres`` if it exists, else a ``casekit-pg``
user created with ``useradd``, else ``nobody``) and the directory is handed to that user.

Example::

    server = PostgresServer.start()
    try:
        storage = PostgresStorage(server.conninfo(), migrate=True)
        ...
    finally:
        server.stop()
"""

from __future__ import annotations

import glob
import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import attrs

__all__ = ["PostgresServer", "find_postgres_bindir"]

logger = logging.getLogger(__name__)

_DB_USER = "casekit"
_CANDIDATE_OS_USERS = ("postgres", "casekit-pg", "nobody")


def find_postgres_bindir() -> Path | None:
    """Return the directory holding ``initdb`` and ``pg_ctl``, or ``None`` if there is none.

    ``PATH`` is searched first, then ``/usr/lib/postgresql/*/bin`` (highest version first).
    """
    initdb = shutil.which("initdb")
    if initdb is not None:
        bindir = Path(initdb).resolve().parent
        if (bindir / "pg_ctl").exists():
            return bindir
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        path = Path(candidate)
        if (path / "initdb").exists() and (path / "pg_ctl").exists():
            return path
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_os_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run the server as, or ``None`` when not root."""
    if os.geteuid() != 0:
        return None
    for name in _CANDIDATE_OS_USERS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            if name == "casekit-pg" and shutil.which("useradd"):
                subprocess.run(
                    ["useradd", "--system", "--no-create-home", "casekit-pg"],
                    check=False,
                    capture_output=True,
                )
                try:
                    return pwd.getpwnam(name)
                except KeyError:
                    continue
    raise RuntimeError("running as root and no unprivileged user to run PostgreSQL as")


@attrs.define
class PostgresServer:
    """A running throw-away PostgreSQL server listening on ``127.0.0.1:port``.

    Attributes:
        bindir: Where ``initdb``, ``pg_ctl`` and ``postgres`` live.
        root: The temporary directory holding the data directory, socket and log.
        port: The TCP port on 127.0.0.1.
        os_user: The OS user the server runs as, or ``None`` for the current user.
    """

    bindir: Path
    root: Path
    port: int
    os_user: str | None = None
    _running: bool = True

    @property
    def datadir(self) -> Path:
        """The cluster's data directory."""
        return self.root / "data"

    @property
    def logfile(self) -> Path:
        """The server log."""
        return self.root / "server.log"

    def conninfo(self, dbname: str = "postgres") -> str:
        """A libpq connection string for ``dbname`` on this server."""
        return f"host=127.0.0.1 port={self.port} user={_DB_USER} dbname={dbname}"

    @classmethod
    def start(
        cls, *, bindir: Path | None = None, durable: bool = False, timeout: float = 60.0
    ) -> PostgresServer:
        """Initialise a cluster in a new temporary directory and start it.

        Args:
            bindir: The PostgreSQL binaries; found with `find_postgres_bindir` if omitted.
            durable: Keep ``fsync`` on (benchmarks); tests turn it off for speed.
            timeout: Seconds to wait for the server to accept connections.

        Raises:
            FileNotFoundError: If no PostgreSQL binaries are found.
            RuntimeError: If ``initdb`` or ``pg_ctl`` fails (the message holds their output).
        """
        bindir = bindir or find_postgres_bindir()
        if bindir is None:
            raise FileNotFoundError("PostgreSQL binaries (initdb, pg_ctl) not found")
        user = _server_os_user()
        root = Path(tempfile.mkdtemp(prefix="casekit-pg-"))
        if user is not None:
            os.chown(root, user.pw_uid, user.pw_gid)
        root.chmod(0o700)
        run_as: dict[str, object] = {}
        if user is not None:
            run_as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        datadir = root / "data"
        cls._run(
            [
                str(bindir / "initdb"),
                "-D",
                str(datadir),
                "-U",
                _DB_USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            env=env,
            cwd=root,
            **run_as,
        )
        options = [
            f"-p {{port}} -h 127.0.0.1 -k {root}",
            "-c max_connections=60",
            "-c shared_buffers=64MB",
        ]
        if not durable:
            options.append("-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        last_error: RuntimeError | None = None
        for _attempt in range(3):
            port = _free_port()
            try:
                cls._run(
                    [
                        str(bindir / "pg_ctl"),
                        "-D",
                        str(datadir),
                        "-l",
                        str(root / "server.log"),
                        "-o",
                        " ".join(options).replace("{port}", str(port)),
                        "-w",
                        "-t",
                        str(int(timeout)),
                        "start",
                    ],
                    env=env,
                    cwd=root,
                    **run_as,
                )
            except RuntimeError as error:  # most likely the port was taken meanwhile
                last_error = error
                continue
            logger.info("PostgreSQL started on 127.0.0.1:%d in %s", port, root)
            return cls(bindir, root, port, user.pw_name if user else None)
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {last_error}")

    @staticmethod
    def _run(args: list[str], **kwargs: object) -> None:
        result = subprocess.run(  # noqa: PLW1510  checked below, with the output
            args,
            capture_output=True,
            text=True,
            **kwargs,  # type: ignore[call-overload]
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{Path(args[0]).name} failed ({result.returncode}): {result.stdout}{result.stderr}"
            )

    def create_database(self, name: str) -> str:
        """Create an empty database and return its connection string.

        Args:
            name: A new database name: lower-case letters, digits and underscores.
        """
        if not name.replace("_", "").isalnum() or not name.islower():
            raise ValueError(f"database name {name!r}: use lower-case letters, digits and _")
        import psycopg  # noqa: PLC0415  optional extra

        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # a checked identifier, not a value
        return self.conninfo(name)

    def stop(self) -> None:
        """Stop the server and delete its directory. Safe to call twice."""
        if not self._running:
            return
        self._running = False
        run_as: dict[str, object] = {}
        if self.os_user is not None:
            user = pwd.getpwnam(self.os_user)
            run_as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        try:
            self._run(
                [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"],
                cwd=self.root,
                **run_as,
            )
        except RuntimeError:
            logger.warning("pg_ctl stop failed for %s", self.datadir, exc_info=True)
        shutil.rmtree(self.root, ignore_errors=True)
