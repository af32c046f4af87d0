"""The runs folder keeps a cap: the oldest runs go, never a shipped model, never the one just saved."""

import os

import pytest

from core.models import store


def make_run(root, name: str, saved_at: float, size: int = 1000) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / store.MODEL_FILE).write_bytes(b"x" * size)
    (folder / store.META_FILE).write_text("{}")
    for file in folder.iterdir():
        os.utime(file, (saved_at, saved_at))


@pytest.fixture
def runs(tmp_path):
    root = tmp_path / "runs"
    for number in range(10):
        make_run(root, f"run-{number}", saved_at=1_000_000 + number * 60)
    (root / ".partial-x").mkdir()  # a save in progress is not a run
    return root


def remaining(root) -> list[str]:
    return sorted(path.name for path in root.iterdir() if not path.name.startswith("."))


def test_the_oldest_runs_go_beyond_the_count(runs):
    removed = store.enforce_retention(runs, store.Retention(max_runs=6, max_bytes=10**9))
    assert [path.name for path in removed] == ["run-0", "run-1", "run-2", "run-3"]
    assert remaining(runs) == [f"run-{number}" for number in range(4, 10)]
    assert (runs / ".partial-x").is_dir()
    assert store.runs_usage(runs).runs == 6


def test_the_oldest_runs_go_beyond_the_total_size(runs):
    usage = store.runs_usage(runs)
    assert usage.runs == 10 and usage.total_bytes > 10 * 1000
    per_run = usage.total_bytes // 10
    store.enforce_retention(runs, store.Retention(max_runs=100, max_bytes=per_run * 3 + 1))
    assert remaining(runs) == ["run-7", "run-8", "run-9"]


def test_within_the_cap_nothing_goes(runs):
    assert store.enforce_retention(runs, store.Retention(max_runs=10, max_bytes=10**9)) == []
    assert len(remaining(runs)) == 10


def test_the_run_just_saved_stays_even_when_oldest(runs):
    store.enforce_retention(runs, store.Retention(max_runs=2, max_bytes=10**9), keep=["run-0"])
    assert remaining(runs) == ["run-0", "run-9"]


def test_shipped_models_are_never_removed():
    before = sorted(path.name for path in store.SHIPPED_DIR.iterdir())
    with pytest.raises(store.ArtifactError, match="never removes shipped models"):
        store.enforce_retention(store.SHIPPED_DIR, store.Retention(max_runs=1, max_bytes=1))
    with pytest.raises(store.ArtifactError):
        store.enforce_retention(store.REPO_ROOT, store.Retention(max_runs=1, max_bytes=1))
    assert sorted(path.name for path in store.SHIPPED_DIR.iterdir()) == before


def test_settings_come_from_the_environment(monkeypatch, runs):
    monkeypatch.setenv(store.ENV_MAX_RUNS, "4")
    monkeypatch.setenv(store.ENV_MAX_RUNS_MB, "50")
    assert store.Retention.from_env() == store.Retention(4, 50_000_000)
    assert "at most 4 runs and 50 MB" in store.Retention.from_env().describe()
    store.enforce_retention(runs)  # the environment's cap when none is given
    assert len(remaining(runs)) == 4
    monkeypatch.setenv(store.ENV_MAX_RUNS, "-3")
    with pytest.raises(ValueError, match="FASHION_STUDIO_MAX_RUNS must be at least 1"):
        store.Retention.from_env()
