"""Training jobs: reproducible, stoppable, crash-safe, queued, isolated."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from core import store, training, zoo


def quick_hp(key: str = "mlp_128", **overrides) -> zoo.Hyperparameters:
    settings = {"epochs": 1, "subset": 2000, "seed": 11, **overrides}
    return zoo.with_overrides(zoo.get_spec(key), **settings)


def wait_until(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def test_seeded_runs_are_reproducible(dataset, tmp_path):
    spec = zoo.get_spec("mlp_128")
    results = [training.TrainingJob(spec, quick_hp(epochs=2), "same", root=tmp_path).run(dataset) for _ in range(2)]
    assert [r.state for r in results] == [training.DONE, training.DONE]
    first, second = (store.find(r.model_id, [tmp_path]) for r in results)
    assert first.meta.history == second.meta.history
    np.testing.assert_array_equal(store.load_probabilities(first), store.load_probabilities(second))
    other = training.TrainingJob(spec, quick_hp(epochs=2, seed=12), "other", root=tmp_path).run(dataset)
    assert store.find(other.model_id, [tmp_path]).meta.history != first.meta.history


def test_progress_events_cover_batches_and_epochs(dataset, tmp_path):
    events: list[training.Progress] = []
    spec = zoo.get_spec("mlp_128")
    job = training.TrainingJob(
        spec, quick_hp(epochs=2, batch_size=50), "events", root=tmp_path, on_progress=events.append
    )
    result = job.run(dataset)
    assert result.state == training.DONE and result.fraction == 1.0
    assert result.batches_per_epoch == 36  # 2000 examples, 10% validation, batches of 50
    assert {e.state for e in events} >= {training.RUNNING, training.SAVING, training.DONE}
    assert any(e.eta_seconds is not None and e.eta_seconds > 0 for e in events)
    splits = {row["split"] for row in result.curve}
    assert splits == {"train (running)", "train", "validation"}
    assert max(row["epoch"] for row in result.curve) == 2.0
    meta = store.find(result.model_id, [tmp_path]).meta
    assert meta.epochs_run == 2 and meta.hyperparameters["batch_size"] == 50
    assert meta.test_accuracy == result.test_accuracy


def test_stop_leaves_no_listed_artifact(dataset, tmp_path):
    spec = zoo.get_spec("mlp_128")
    stopper = None

    def stop_after_first_batches(progress: training.Progress) -> None:
        if progress.batch >= 2:
            stopper.request_stop()

    stopper = training.TrainingJob(
        spec, quick_hp(epochs=50, subset=None), "stopped", root=tmp_path, on_progress=stop_after_first_batches
    )
    result = stopper.run(dataset)
    assert result.state == training.STOPPED
    assert result.epoch == 1 and result.batch < result.batches_per_epoch  # stopped within the first epoch
    assert store.list_artifacts([tmp_path]) == []


def test_crash_during_save_leaves_no_listed_artifact(dataset, tmp_path, monkeypatch):
    def broken_save(model, filepath, *args, **kwargs):
        filepath.write_bytes(b"partial")
        raise OSError("No space left on device")

    monkeypatch.setattr("keras.Model.save", broken_save)
    result = training.TrainingJob(zoo.get_spec("mlp_128"), quick_hp(), "crash", root=tmp_path).run(dataset)
    assert result.state == training.FAILED
    assert "No space left on device" in result.message
    assert store.list_artifacts([tmp_path]) == [] and list(tmp_path.iterdir()) == []


def test_bad_name_is_refused_before_training():
    with pytest.raises(ValueError, match="may not contain"):
        training.TrainingJob(zoo.get_spec("mlp_128"), quick_hp(), "../escape")


def test_queue_runs_one_at_a_time_and_reports_positions(dataset, tmp_path):
    queue = training.TrainingQueue(max_concurrent=1)
    gate = threading.Event()
    spec = zoo.get_spec("mlp_128")

    def hold(progress: training.Progress) -> None:
        if progress.state == training.RUNNING:
            gate.wait(60)

    first = training.TrainingJob(spec, quick_hp(), "first", root=tmp_path, on_progress=hold)
    second = training.TrainingJob(spec, quick_hp(), "second", root=tmp_path)
    third = training.TrainingJob(spec, quick_hp(), "third", root=tmp_path)
    for job in (first, second, third):
        queue.submit(job, dataset)
    # `first` holds the only slot inside its own progress callback, so the others must wait
    wait_until(lambda: first.state == training.RUNNING)
    assert second.snapshot().state == training.QUEUED and third.snapshot().state == training.QUEUED
    assert {second.snapshot().queue_position, third.snapshot().queue_position} == {0, 1}
    third.request_stop()
    gate.set()
    wait_until(lambda: all(job.finished for job in (first, second, third)))
    assert [job.snapshot().state for job in (first, second, third)] == [training.DONE, training.DONE, training.STOPPED]
    assert queue.get(second.id) is second and queue.get("someone-else") is None
    assert sorted(a.model_id for a in store.list_artifacts([tmp_path])) == ["first", "second"]
