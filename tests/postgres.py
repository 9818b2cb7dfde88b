"""A throwaway PostgreSQL server for the tests: Debian's binaries (``apt-get install postgresql``), a cluster in a
temporary folder, started once per session on a free port and stopped at the end.

The server listens on 127.0.0.1 and on a unix socket in its folder, trusts local connections and runs as an
unprivileged user (PostgreSQL refuses to run as root): ``postgres`` when that user exists, else ``nobody``.
``fsync`` is off: the tests kill clients, never the server or the machine, so nothing needs to reach the disk.
Tests that need it ask for the ``postgres_server`` fixture (``from postgres import postgres_server``) and get an
empty database each from :meth:`PostgresServer.new_database`; when the binaries are missing they are skipped with a
reason saying so.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

BINARIES = "/usr/lib/postgresql/*/bin"
"""Where Debian installs PostgreSQL's server programs, one folder per major version."""
SUPERUSER = "lab"
"""The cluster's superuser (local connections are trusted, so no password)."""
DATABASE = "handwriting_lab"
"""The database the tests' schemas are made in."""


def find_binaries() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` with ``initdb`` and ``pg_ctl``, or None."""
    found = [Path(p).parent for p in glob.glob(f"{BINARIES}/initdb") if (Path(p).parent / "pg_ctl").exists()]
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, default=None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as() -> str | None:
    """The user to run the server as: None when not root, else ``postgres`` if it exists, else ``nobody``."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    return None


@dataclass
class PostgresServer:
    """A running cluster; :meth:`new_database` gives each test an empty database."""

    bin: Path
    folder: Path
    port: int
    user: str | None
    _names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL of ``database`` over TCP (psycopg 3)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _command(self, *args: str) -> list[str]:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        return [*prefix, *args]

    def _run(self, *args: str) -> None:
        done = subprocess.run(self._command(*args), capture_output=True, text=True, cwd=self.folder)
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}{tail}")

    def start(self) -> None:
        """Make the cluster, start the server and create :data:`DATABASE`."""
        import sqlalchemy as sa

        self._run(
            str(self.bin / "initdb"),
            *("-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"),
        )
        options = f"-p {self.port} -k {self.folder} -h 127.0.0.1 -c fsync=off -c full_page_writes=off"
        log = str(self.folder / "server.log")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", log, "-o", options, "-w", "-t", "30", "start")
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f"CREATE DATABASE {DATABASE}"))
        finally:
            engine.dispose()

    def stop(self) -> None:
        subprocess.run(
            self._command(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"),
            capture_output=True,
            cwd=self.folder,
        )

    def new_database(self) -> str:
        """The URL of a new, empty database: a schema of its own in :data:`DATABASE`, first on the search path
        (a schema takes a millisecond to make, a database half a second)."""
        import sqlalchemy as sa

        schema = f"test_{next(self._names)}"
        engine = sa.create_engine(self.url(DATABASE))
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        finally:
            engine.dispose()
        return f"{self.url(DATABASE)}?options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server, started on first use; skips when PostgreSQL is not installed."""
    binaries = find_binaries()
    if binaries is None:
        pytest.skip(f"PostgreSQL is not installed (no initdb and pg_ctl in {BINARIES}; apt-get install postgresql)")
    user = _run_as()
    if os.geteuid() == 0 and user is None:
        pytest.skip("running as root and there is neither a postgres nor a nobody user to run PostgreSQL as")
    folder = Path(tempfile.mkdtemp(prefix="handwriting-lab-postgres-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    server = PostgresServer(binaries, folder, _free_port(), user)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
