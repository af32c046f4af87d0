"""Shared fixtures: the real dataset, and a private folder of freshly trained tiny models.

Every test session points FASHION_STUDIO_RUNS_DIR at its own temporary folder, so tests
never see or leave models in the developer's artifacts/runs.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_RUNS = Path(tempfile.mkdtemp(prefix="fms-test-runs-"))
os.environ["FASHION_STUDIO_RUNS_DIR"] = str(_RUNS)
os.environ["FASHION_MNIST_NO_DOWNLOAD"] = "1"  # tests never reach for the network

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def dataset():
    from core import data

    return data.load()


@pytest.fixture(scope="session")
def runs_dir() -> Path:
    return _RUNS


@pytest.fixture(scope="session")
def tiny_model(dataset, runs_dir):
    """A real MLP 128 trained for one epoch on 3,000 images (a few seconds), saved in runs_dir."""
    from core.models import store, zoo
    from core.training import jobs

    spec = zoo.get_spec("mlp_128")
    job = jobs.TrainingJob(spec, zoo.with_overrides(spec, epochs=1, subset=3000, seed=7), "tiny-mlp", root=runs_dir)
    progress = job.run(dataset)
    assert progress.state == jobs.DONE, progress.message
    return store.find(progress.model_id)


@pytest.fixture(scope="session")
def ray_backend():
    """One real local Ray cluster per test session (2 CPUs, no dashboard), started the way the app starts it."""
    pytest.importorskip("ray", reason="the Ray backend's tests need requirements-ray.txt (make test installs it)")
    from core.training import backends

    backend = backends.RayBackend(backends.LOCAL, local_cpus=2)
    ray = backend.connect()
    yield backend
    ray.shutdown()


# --- a real PostgreSQL server for the database run store -------------------------------------------
os.environ.pop("FASHION_STUDIO_STORE_URL", None)  # a developer's store never receives the tests' runs


def postgres_binaries() -> Path | None:
    """The folder with initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/<version>/bin."""
    import shutil

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
        import pwd
        import socket

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
        import subprocess

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
        import shutil

        try:
            self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str) -> str:
        import getpass

        return f"postgresql://{self.user or getpass.getuser()}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database's URL (``createdb``: each test gets its own tables)."""
        self._count += 1
        name = f"store_{os.getpid()}_{self._count}"
        username = ["-U", self.user] if self.user else []
        self._run(str(self.binaries / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), *username, name)
        return self.url(name)


@pytest.fixture(scope="session")
def postgres():
    """One throw-away PostgreSQL server per test session, stopped and removed at the end."""
    binaries = postgres_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL is not installed (make test-system-packages installs Debian's postgresql)")
    server = ThrowawayPostgres(binaries).start()
    yield server
    server.stop()


@pytest.fixture
def store_url(postgres, monkeypatch, tmp_path) -> str:
    """A fresh database set as the run store (FASHION_STUDIO_STORE_URL), over an empty runs folder."""
    from core.models import database

    url = postgres.new_database()
    monkeypatch.setenv("FASHION_STUDIO_STORE_URL", url)
    monkeypatch.setenv("FASHION_STUDIO_RUNS_DIR", str(tmp_path / "runs"))
    yield url
    database.dispose_engines()
