"""A throwaway PostgreSQL server for the test suite (helper module, not a test file).

``tests/conftest.py`` starts one server per pytest session with :class:`PostgresServer`
and hands every PostgreSQL-parametrized test a fresh, empty database on it.

The server is tuned for speed, not durability (``fsync``, ``synchronous_commit`` and
``full_page_writes`` are off; the cluster lives on /dev/shm when that has room), listens
only on 127.0.0.1 on a free port, keeps its Unix socket inside its own temporary
directory, trusts every local connection, and is stopped with ``pg_ctl stop -m immediate``
and deleted when the session ends (by a watchdog process if the test process is killed).

PostgreSQL refuses to run as root, so when the tests run as root ``initdb``/``pg_ctl``
are run as the ``postgres`` OS account via ``runuser`` and the temporary directory is
handed to that account. As any other user they run directly.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

#: The OS account that runs the server when we are root, and the database superuser name.
PG_USER = "postgres"
HOST = "127.0.0.1"
#: Preferred major version (Debian 12 ships 15); any other installed version is accepted.
PREFERRED_MAJOR = 15

_REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")

_SERVER_SETTINGS = {
    "listen_addresses": f"'{HOST}'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "max_wal_size": "'256MB'",  # bounds the WAL kept on a RAM-backed /dev/shm
    "log_min_messages": "warning",
}

#: RAM-backed directory preferred for the cluster: CREATE DATABASE writes ~8 MB, which took
#: ~10 ms there against 20-180 ms on a (busy) disk even with fsync off.
SHM_DIR = Path("/dev/shm")
#: Minimum free space for using :data:`SHM_DIR` (Docker's default /dev/shm is only 64 MiB).
SHM_MIN_FREE = 1 << 30


# Runs in a separate session so that it outlives a test process killed by SIGTERM/SIGKILL
# (pg_ctl puts the postmaster in its own session too): it blocks until its stdin reaches EOF,
# which happens when the test process exits for whatever reason, then stops the server and
# deletes the directory if that was not already done. argv: base_dir, *stop_command.
_WATCHDOG = """
import os, shutil, subprocess, sys
sys.stdin.buffer.read()
base, stop = sys.argv[1], sys.argv[2:]
if os.path.isdir(base):
    subprocess.run(stop, cwd=base, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(base, ignore_errors=True)
"""


class PostgresUnavailableError(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


class PostgresStartError(RuntimeError):
    """The binaries exist but the server could not be initialised or started."""


def _has_binaries(bin_dir: Path) -> bool:
    return all(os.access(bin_dir / name, os.X_OK) for name in _REQUIRED_BINARIES)


def find_bin_dir() -> Path:
    """Locate the directory holding ``initdb``, ``pg_ctl`` and ``postgres``.

    Looks in ``/usr/lib/postgresql/<major>/bin`` (major 15 first, then newest first),
    then next to an ``initdb`` found on ``PATH``.
    """
    versioned: list[tuple[int, Path]] = []
    for path in Path("/usr/lib/postgresql").glob("*/bin"):
        with contextlib.suppress(ValueError):
            versioned.append((int(path.parent.name), path))
    versioned.sort(key=lambda item: (item[0] != PREFERRED_MAJOR, -item[0]))
    candidates = [path for _, path in versioned]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for candidate in candidates:
        if _has_binaries(candidate):
            return candidate
    raise PostgresUnavailableError(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in "
        "/usr/lib/postgresql/*/bin or on PATH; install them (Debian: "
        "apt-get install postgresql)"
    )


def free_port(host: str = HOST) -> int:
    """Return a TCP port that was free a moment ago (bind to port 0 and release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _parent_dir(as_root: bool) -> Path:
    """Where to put the cluster's temporary directory: /dev/shm if roomy, else TMPDIR."""
    for path in (SHM_DIR, Path(tempfile.gettempdir()).resolve()):
        if _usable_parent(path, as_root):
            return path
    return Path("/tmp")


def _usable_parent(path: Path, as_root: bool) -> bool:
    try:
        if not (path.is_dir() and os.access(path, os.W_OK | os.X_OK)):
            return False
        if path == SHM_DIR:
            stats = os.statvfs(path)
            if stats.f_bavail * stats.f_frsize < SHM_MIN_FREE:
                return False
        # As root, the postgres account must be able to reach the directory too.
        return not as_root or _traversable_by_all(path)
    except OSError:
        return False


def _traversable_by_all(path: Path) -> bool:
    """Whether every directory from ``/`` down to ``path`` has the o+x bit."""
    return all(part.stat().st_mode & stat.S_IXOTH for part in [path, *path.parents])


class PostgresServer:
    """One private PostgreSQL cluster in a temporary directory.

    Use :meth:`start` and :meth:`stop` (idempotent; also registered with ``atexit``, and a
    watchdog process does it if the test process dies without either),
    then :meth:`create_database` / :meth:`drop_database` for per-test databases.
    """

    def __init__(self, bin_dir: Path | None = None) -> None:
        self.bin_dir = bin_dir if bin_dir is not None else find_bin_dir()
        self.host = HOST
        self.port = 0
        self.user = PG_USER
        self.version = ""
        self.base_dir: Path | None = None
        self.startup_seconds = 0.0
        #: Wall time of every CREATE DATABASE issued by :meth:`create_database`.
        self.create_seconds: list[float] = []
        self._as_root = os.geteuid() == 0
        self._running = False
        self._admin: psycopg.Connection | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None

    # -- paths -------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "sock"

    @property
    def log_file(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "server.log"

    # -- running commands ----------------------------------------------------------------

    def _command(self, *args: str) -> list[str]:
        """Command line for a PostgreSQL binary, as the ``postgres`` account when root."""
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", PG_USER, "--", *command]
        return command

    def _stop_args(self) -> tuple[str, ...]:
        return ("pg_ctl", "stop", "--pgdata", str(self.data_dir), "-m", "immediate", "--wait")

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL binary, as the ``postgres`` account when we are root."""
        command = self._command(*args)
        # cwd: the postgres account may not be able to enter our cwd (e.g. /root).
        return subprocess.run(
            command,
            cwd=self.base_dir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def _run_checked(self, *args: str, timeout: float = 120) -> str:
        result = self._run(*args, timeout=timeout)
        if result.returncode != 0:
            raise PostgresStartError(
                f"{args[0]} exited with {result.returncode}:\n{result.stdout}{result.stderr}"
                f"{self._log_tail()}"
            )
        return result.stdout

    def _log_tail(self, lines: int = 40) -> str:
        if self.base_dir is None or not self.log_file.exists():
            return ""
        text = self.log_file.read_text(errors="replace").splitlines()[-lines:]
        return "\n--- server log (tail) ---\n" + "\n".join(text)

    # -- lifecycle -----------------------------------------------------------------------

    def _make_base_dir(self) -> Path:
        base = Path(tempfile.mkdtemp(prefix="tracklog-pg-", dir=_parent_dir(self._as_root)))
        self.base_dir = base
        (base / "sock").mkdir(mode=0o700)
        if self._as_root:
            try:
                account = pwd.getpwnam(PG_USER)
            except KeyError as exc:
                raise PostgresStartError(
                    f"running as root but there is no {PG_USER!r} OS account to run "
                    "PostgreSQL as (the Debian postgresql package creates it)"
                ) from exc
            for path in (base, base / "sock"):
                os.chown(path, account.pw_uid, account.pw_gid)
        return base

    def _start_watchdog(self) -> None:
        assert self.base_dir is not None
        self._watchdog = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _WATCHDOG,
                str(self.base_dir),
                *self._command(*self._stop_args()),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd="/",
            start_new_session=True,
        )

    def _stop_watchdog(self) -> None:
        if self._watchdog is None:
            return
        watchdog, self._watchdog = self._watchdog, None
        # Cleanup is done; kill rather than close its stdin, which a process forked by a
        # test (multiprocessing) may still hold open.
        watchdog.kill()
        watchdog.wait()

    def start(self, timeout: float = 60) -> None:
        """Initialise the cluster and start the server; raise on failure (cleaning up)."""
        if self._running:
            return
        began = time.monotonic()
        atexit.register(self.stop)
        try:
            self._make_base_dir()
            self._start_watchdog()
            self.version = self._run_checked("postgres", "--version").strip()
            self._run_checked(
                "initdb",
                "--pgdata",
                str(self.data_dir),
                "--username",
                PG_USER,
                "--auth=trust",
                "--encoding=UTF8",
                # A UTF-8 locale as servers are usually set up: text comparisons that ignore
                # case (ILIKE) then know every letter, not ASCII only as in the C locale.
                # C.UTF-8 sorts by code point, as C does.
                "--locale=C.UTF-8",
                "--no-sync",
            )
            settings = {
                **_SERVER_SETTINGS,
                "unix_socket_directories": f"'{self.socket_dir}'",
            }
            with (self.data_dir / "postgresql.conf").open("a") as conf:
                conf.write("\n# tracklog test server\n")
                conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
            self._start_on_free_port(timeout)
            self._wait_until_ready(began + timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began

    def _start_on_free_port(self, timeout: float, attempts: int = 3) -> None:
        for attempt in range(1, attempts + 1):
            self.port = free_port(self.host)
            result = self._run(
                "pg_ctl",
                "start",
                "--pgdata",
                str(self.data_dir),
                "--log",
                str(self.log_file),
                "--wait",
                "--timeout",
                str(int(timeout)),
                "-o",
                f"-p {self.port}",
                timeout=timeout + 10,
            )
            self._running = True  # a failed start may still have left a postmaster behind
            if result.returncode == 0:
                return
            log = self._log_tail()
            port_taken = re.search(r"could not bind|address already in use", log, re.I)
            if not port_taken or attempt == attempts:
                raise PostgresStartError(
                    f"pg_ctl start exited with {result.returncode}:\n"
                    f"{result.stdout}{result.stderr}{log}"
                )
            self._stop_server()

    def _wait_until_ready(self, deadline: float) -> None:
        while True:
            try:
                with psycopg.connect(self.conninfo("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise PostgresStartError(
                        f"server on {self.host}:{self.port} did not accept connections: "
                        f"{exc}{self._log_tail()}"
                    ) from exc
                time.sleep(0.05)

    def _stop_server(self) -> None:
        if not self._running:
            return
        self._running = False
        result = self._run(*self._stop_args(), timeout=60)
        if result.returncode == 0:
            return
        # pg_ctl failed (or the server was never up): make sure no postmaster survives.
        pid_file = self.data_dir / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(pid_file.read_text().splitlines()[0])
            os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        """Stop the server and delete its directory. Safe to call more than once."""
        if self._admin is not None:
            with contextlib.suppress(Exception):
                self._admin.close()
            self._admin = None
        try:
            self._stop_server()
        finally:
            if self.base_dir is not None:
                shutil.rmtree(self.base_dir, ignore_errors=True)
                self.base_dir = None
            self._stop_watchdog()  # after the rmtree, so that it has nothing left to do
            atexit.unregister(self.stop)

    # -- connections and databases ---------------------------------------------------------

    def conninfo(self, dbname: str) -> str:
        """A libpq connection string for ``dbname`` (TCP on 127.0.0.1)."""
        return make_conninfo(host=self.host, port=self.port, user=self.user, dbname=dbname)

    def sqlalchemy_uri(self, dbname: str) -> str:
        """A SQLAlchemy URL for ``dbname`` using the psycopg 3 driver."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def _admin_connection(self) -> psycopg.Connection:
        if self._admin is None or self._admin.closed:
            self._admin = psycopg.connect(self.conninfo("postgres"), autocommit=True)
        return self._admin

    def create_database(self) -> str:
        """Create a fresh, empty database ``t_<uuid>`` and return its name.

        Cloning ``template0`` (never modified) means every test starts from pristine
        catalogs whatever another test did to ``template1``. Measured on PostgreSQL 15 with
        this server's settings: CREATE ~10 ms with the cluster on /dev/shm (20-180 ms on
        disk, depending on load), DROP ~6 ms; so no more elaborate scheme (a pool of
        pre-created databases, schemas instead of databases) is worth its complexity.
        ``STRATEGY FILE_COPY`` made no consistent difference and needs PostgreSQL >= 15.
        """
        name = f"t_{uuid.uuid4().hex}"
        began = time.monotonic()
        self._admin_connection().execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name))
        )
        self.create_seconds.append(time.monotonic() - began)
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name``, terminating any connections a test leaked."""
        self._admin_connection().execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
