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
# The browser tests (each file waits on a real server and Chromium) and Ray's: under pytest-xdist they go first.
_SERVER_TESTS = ("tests/e2e/", "tests/unit/test_ray_backend.py")
# Ray's unit and e2e tests share one local cluster: one worker runs them together.
_RAY_TESTS = ("tests/unit/test_ray_backend.py", "tests/e2e/test_train_ray.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long files first (the browser and Ray tests), so that two workers end together (longest first)."""
    items.sort(key=lambda item: not item.nodeid.startswith(_SERVER_TESTS))


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: pytest runs without the plugin too
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """With `-n 2` (make test, make test-quick): each test file runs whole in one worker, so its module fixtures are
    made once, and the Ray tests all in one worker, so the cluster starts once; files are handed out in the order
    above (xdist would otherwise send the files with the most tests first). Each worker starts the session's shared
    servers (tests/e2e/conftest.py) on first use. (xdist's --dist loadgroup marks cannot group: pytest 9 ignores the
    node ids it rewrites.)"""
    from xdist.scheduler import LoadFileScheduling

    class FilesLongestFirst(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return "ray" if path.startswith(_RAY_TESTS) else path

    config.option.loadscopereorder = False
    return FilesLongestFirst(config, log)


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
