"""A throw-away PostgreSQL server for the database run store: its own cluster in a temporary folder, on a free
port of 127.0.0.1, trusting local connections, removed when stopped. The tests start one per session; the store
benchmark starts its own.
"""

from __future__ import annotations

import getpass
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def postgres_binaries() -> Path | None:
    """The folder with initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]))
    return debian[-1].parent if debian else None


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temporary folder, on a free port of 127.0.0.1, trusting local connections.

    As root, the folder belongs to the postgres user and the server runs as that user (PostgreSQL refuses
    root). ``url(database)`` names a database; ``new_database()`` makes a fresh one.
    """

    def __init__(self, binaries: Path):
        self.binaries = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="fms-postgres-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            self.folder.chmod(0o755)
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.user = "postgres" if self.as_user else None
        self._count = 0

    def _run(self, *command: str) -> None:
        subprocess.run([*self.as_user, *command], check=True, capture_output=True, timeout=120)

    def pg_ctl(self, action: str) -> None:
        """start, stop or restart, waiting until it is done."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=300"
        self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", action)

    def start(self) -> ThrowawayPostgres:
        username = ["-U", self.user] if self.user else []
        self._run(str(self.binaries / "initdb"), "-D", str(self.data), "-A", "trust", *username, "--no-sync")
        self.pg_ctl("start")
        return self

    def stop(self) -> None:
        try:
            self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://{self.user or getpass.getuser()}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database's URL (``createdb``: each test gets its own tables)."""
        self._count += 1
        name = f"store_{os.getpid()}_{self._count}"
        username = ["-U", self.user] if self.user else []
        self._run(str(self.binaries / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), *username, name)
        return self.url(name)
