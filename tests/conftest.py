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
# Test files that start the session's servers or its Ray cluster: under pytest-xdist they share one worker.
_SERVER_TESTS = ("tests/e2e/", "tests/unit/test_ray_backend.py")


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: pytest runs without the plugin too
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """With `-n 2` (make test, make test-quick): each test file runs whole in one worker, so its module fixtures are
    made once, and the browser and Ray tests all run in one worker, in order, so the session's servers and cluster
    start once. (xdist's own --dist loadgroup marks cannot do it: pytest 9 ignores the node ids it rewrites.)"""
    from xdist.scheduler import LoadFileScheduling

    class ServersTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return "servers" if path.startswith(_SERVER_TESTS) else path

    return ServersTogether(config, log)


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


@pytest.fixture(scope="session")
def postgres():
    """One throw-away PostgreSQL server per test session, stopped and removed at the end."""
    from harness.postgres import ThrowawayPostgres, postgres_binaries

    binaries = postgres_binaries()
    if binaries is None:
        pytest.fail("PostgreSQL is not installed: `make test` installs Debian's postgresql")
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
