"""Training jobs: reproducible, stoppable, crash-safe, queued, isolated."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from core.models import store, zoo
from core.training import fair_queue, jobs


def quick_hp(key: str = "mlp_128", **overrides) -> zoo.Hyperparameters:
    settings = {"epochs": 1, "subset": 2000, "seed": 11, **overrides}
    return zoo.with_overrides(zoo.get_spec(key), **settings)


def wait_until(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


@pytest.mark.slow  # several runs trained, evaluated and saved
def test_seeded_runs_are_reproducible(dataset, tmp_path):
    spec = zoo.get_spec("mlp_128")
    results = [jobs.TrainingJob(spec, quick_hp(epochs=2), "same", root=tmp_path).run(dataset) for _ in range(2)]
    assert [r.state for r in results] == [jobs.DONE, jobs.DONE]
    first, second = (store.find(r.model_id, [tmp_path]) for r in results)
    assert first.meta.history == second.meta.history
    np.testing.assert_array_equal(store.load_probabilities(first), store.load_probabilities(second))
    other = jobs.TrainingJob(spec, quick_hp(epochs=2, seed=12), "other", root=tmp_path).run(dataset)
    assert store.find(other.model_id, [tmp_path]).meta.history != first.meta.history


def test_progress_events_cover_batches_and_epochs(dataset, tmp_path):
    events: list[jobs.Progress] = []
    spec = zoo.get_spec("mlp_128")
    job = jobs.TrainingJob(spec, quick_hp(epochs=2, batch_size=50), "events", root=tmp_path, on_progress=events.append)
    result = job.run(dataset)
    assert result.state == jobs.DONE and result.fraction == 1.0
    assert result.batches_per_epoch == 36  # 2000 examples, 10% validation, batches of 50
    assert {e.state for e in events} >= {jobs.RUNNING, jobs.SAVING, jobs.DONE}
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

    def stop_after_first_batches(progress: jobs.Progress) -> None:
        if progress.batch >= 2:
            stopper.request_stop()

    stopper = jobs.TrainingJob(
        spec, quick_hp(epochs=50, subset=None), "stopped", root=tmp_path, on_progress=stop_after_first_batches
    )
    result = stopper.run(dataset)
    assert result.state == jobs.STOPPED
    assert result.epoch == 1 and result.batch < result.batches_per_epoch  # stopped within the first epoch
    assert store.list_artifacts([tmp_path]) == []


def test_crash_during_save_leaves_no_listed_artifact(dataset, tmp_path, monkeypatch):
    def broken_save(model, filepath, *args, **kwargs):
        filepath.write_bytes(b"partial")
        raise OSError("No space left on device")

    monkeypatch.setattr("keras.Model.save", broken_save)
    result = jobs.TrainingJob(zoo.get_spec("mlp_128"), quick_hp(), "crash", root=tmp_path).run(dataset)
    assert result.state == jobs.FAILED
    assert "No space left on device" in result.message
    assert store.list_artifacts([tmp_path]) == [] and list(tmp_path.iterdir()) == []


def test_bad_name_is_refused_before_training():
    with pytest.raises(ValueError, match="may not contain"):
        jobs.TrainingJob(zoo.get_spec("mlp_128"), quick_hp(), "../escape")


def test_queue_runs_one_at_a_time_and_reports_positions(dataset, tmp_path):
    queue = fair_queue.TrainingQueue(max_concurrent=1)
    gate = threading.Event()
    spec = zoo.get_spec("mlp_128")

    def hold(progress: jobs.Progress) -> None:
        if progress.state == jobs.RUNNING:
            gate.wait(60)

    first = jobs.TrainingJob(spec, quick_hp(), "first", root=tmp_path, on_progress=hold)
    second = jobs.TrainingJob(spec, quick_hp(), "second", root=tmp_path)
    third = jobs.TrainingJob(spec, quick_hp(), "third", root=tmp_path)
    for job in (first, second, third):
        queue.submit(job, dataset)
    # `first` holds the only slot inside its own progress callback, so the others must wait
    wait_until(lambda: first.state == jobs.RUNNING)
    assert second.snapshot().state == jobs.QUEUED and third.snapshot().state == jobs.QUEUED
    lines = [second.snapshot().queue, third.snapshot().queue]
    # the running job counts: the second visitor is never told "0 jobs ahead" while another trains
    assert [(line.running, line.waiting, line.ahead) for line in lines] == [(1, 2, 0), (1, 2, 1)]
    third.request_stop()
    gate.set()
    wait_until(lambda: all(job.finished for job in (first, second, third)))
    assert [job.snapshot().state for job in (first, second, third)] == [jobs.DONE, jobs.DONE, jobs.STOPPED]
    assert queue.get(second.id) is second and queue.get("someone-else") is None
    assert sorted(a.model_id for a in store.list_artifacts([tmp_path])) == ["first", "second"]


def held_job(spec_key: str, name: str, root, gate: threading.Event, **overrides) -> jobs.TrainingJob:
    """A job that holds its slot (inside its own progress callback) until ``gate`` is set."""

    def hold(progress: jobs.Progress) -> None:
        if progress.state == jobs.RUNNING:
            gate.wait(60)

    return jobs.TrainingJob(zoo.get_spec(spec_key), quick_hp(spec_key, **overrides), name, root=root, on_progress=hold)


def test_a_waiting_job_that_is_stopped_leaves_the_line_at_once(dataset, tmp_path):
    queue = fair_queue.TrainingQueue(max_concurrent=1)
    gate = threading.Event()
    first = held_job("mlp_128", "first", tmp_path, gate)
    second = jobs.TrainingJob(zoo.get_spec("mlp_128"), quick_hp(), "second", root=tmp_path, owner="b")
    third = jobs.TrainingJob(zoo.get_spec("mlp_128"), quick_hp(), "third", root=tmp_path, owner="c")
    for job in (first, second, third):
        queue.submit(job, dataset)
    wait_until(lambda: first.state == jobs.RUNNING)
    assert third.snapshot().queue.ahead == 1
    assert queue.cancel(second.id)
    # at once, while the first still holds the slot: no waiting for the running job to end
    assert second.state == jobs.STOPPED and "Removed from the queue" in second.snapshot().message
    assert third.snapshot().queue.ahead == 0 and third.snapshot().queue.waiting == 1
    assert first.state == jobs.RUNNING
    gate.set()
    wait_until(lambda: first.finished and third.finished)
    assert sorted(a.model_id for a in store.list_artifacts([tmp_path])) == ["first", "third"]


@pytest.mark.slow
def test_one_browser_has_at_most_one_job_waiting_or_running(dataset, tmp_path):
    queue = fair_queue.TrainingQueue(max_concurrent=1)
    gate = threading.Event()
    mine = held_job("mlp_128", "mine", tmp_path, gate)
    mine.owner = "browser-a"
    queue.submit(mine, dataset)
    again = jobs.TrainingJob(zoo.get_spec("mlp_128"), quick_hp(), "again", root=tmp_path, owner="browser-a")
    with pytest.raises(fair_queue.QueueError, match="already have a run"):
        queue.submit(again, dataset)
    other = jobs.TrainingJob(zoo.get_spec("mlp_128"), quick_hp(), "other", root=tmp_path, owner="browser-b")
    queue.submit(other, dataset)  # another browser is welcome
    assert queue.active_job_of("browser-a") is mine and queue.get(again.id) is None
    gate.set()
    wait_until(lambda: mine.finished and other.finished)
    queue.submit(again, dataset)  # once the first has ended, the same browser may start another
    wait_until(lambda: again.finished)
    assert again.state == jobs.DONE


def test_runs_over_the_duration_cap_are_refused_with_what_to_lower(dataset, tmp_path):
    queue = fair_queue.TrainingQueue(max_concurrent=1, max_run_seconds=600)
    job = jobs.TrainingJob(zoo.get_spec("studio_cnn"), quick_hp("studio_cnn", epochs=200), "huge", root=tmp_path)
    job.estimated_seconds = 200 * 70.0
    with pytest.raises(fair_queue.QueueError, match=r"about 233 min.*at most 10 min.*Lower the epochs"):
        queue.submit(job, dataset)
    assert queue.all_jobs() == []


@pytest.mark.slow
def test_same_names_get_distinct_ids_reserved_at_queue_time(dataset, tmp_path):
    queue = fair_queue.TrainingQueue(max_concurrent=1)
    gate = threading.Event()
    first = held_job("mlp_128", "my-cnn", tmp_path, gate)
    queued = [first] + [
        jobs.TrainingJob(zoo.get_spec("mlp_128"), quick_hp(), "my-cnn", root=tmp_path, owner=f"o{n}") for n in range(2)
    ]
    for job in queued:
        queue.submit(job, dataset)
    # the page names each run by its reserved id before it even starts: no two alike
    assert [job.snapshot().model_id for job in queued] == ["my-cnn", "my-cnn-2", "my-cnn-3"]
    gate.set()
    wait_until(lambda: all(job.finished for job in queued))
    saved = {a.model_id: a.meta.display_name for a in store.list_artifacts([tmp_path])}
    assert saved == {"my-cnn": "my-cnn", "my-cnn-2": "my-cnn-2", "my-cnn-3": "my-cnn-3"}
    assert [job.snapshot().model_id for job in queued] == ["my-cnn", "my-cnn-2", "my-cnn-3"]


def test_the_waiting_line_estimates_when_a_job_starts(dataset, tmp_path):
    queue = fair_queue.TrainingQueue(max_concurrent=1)
    gate = threading.Event()
    first = held_job("mlp_128", "first", tmp_path, gate)
    first.estimated_seconds = 100.0
    second = jobs.TrainingJob(zoo.get_spec("mlp_128"), quick_hp(), "second", root=tmp_path, owner="b")
    second.estimated_seconds = 40.0
    third = jobs.TrainingJob(zoo.get_spec("mlp_128"), quick_hp(), "third", root=tmp_path, owner="c")
    for job in (first, second, third):
        queue.submit(job, dataset)
    wait_until(lambda: first.state == jobs.RUNNING)
    line_2, line_3 = second.snapshot().queue, third.snapshot().queue
    # before its first batch, the running job's time left is its own estimate less the time it has run
    assert 0 < line_2.starts_in_seconds <= 100
    assert line_3.starts_in_seconds == pytest.approx(line_2.starts_in_seconds + 40, abs=1)
    gate.set()
    wait_until(lambda: all(job.finished for job in (first, second, third)))


def test_validation_metrics_stay_on_screen_between_epochs(dataset, tmp_path):
    events: list[jobs.Progress] = []
    job = jobs.TrainingJob(
        zoo.get_spec("mlp_128"), quick_hp(epochs=2, batch_size=50), "metrics", root=tmp_path, on_progress=events.append
    )
    job.run(dataset)
    mid_second_epoch = [e for e in events if e.state == jobs.RUNNING and e.epoch == 2 and 0 < e.batch < 36]
    assert mid_second_epoch, "no progress event inside the second epoch"
    for event in mid_second_epoch:
        assert "val_accuracy" not in event.logs  # Keras's batch logs have no validation metrics...
        assert 0 < event.last_epoch_logs["val_accuracy"] <= 1  # ...so the page shows the last epoch's


def test_finished_runs_teach_the_estimate_book_their_pace(dataset, tmp_path):
    from core.training import estimate

    spec = zoo.get_spec("mlp_128")
    hp = quick_hp(epochs=3, batch_size=50)
    assert estimate.book(tmp_path).estimate(spec, hp) is None
    started = time.perf_counter()
    jobs.TrainingJob(spec, hp, "paced", root=tmp_path).run(dataset)
    wall = time.perf_counter() - started
    found = estimate.book(tmp_path).estimate(spec, hp)
    assert found is not None and found.source == "runs" and found.examples_per_second > 0
    # the run's real duration (steady epochs + one-off overhead) is what the book now predicts for the same recipe
    assert found.seconds == pytest.approx(wall, rel=0.2)
    longer = estimate.book(tmp_path).estimate(spec, replace(hp, epochs=30))
    assert longer.seconds > 5 * found.seconds - 5 * found.overhead_seconds
    assert estimate.ThroughputBook(tmp_path / estimate.BOOK_FILE).get(estimate.key(spec.key, hp)) is not None


def test_an_architecture_never_trained_here_is_measured_by_a_probe(dataset, tmp_path):
    from core.training import estimate

    spec = zoo.get_spec("cnn_quick")
    found = estimate.book(tmp_path).estimate_or_probe(spec, spec.defaults, dataset)
    assert found.source == "probe" and found.examples_per_second > 0 and found.overhead_seconds > 0
    assert estimate.book(tmp_path).estimate(spec, spec.defaults) == found  # measured once, then remembered
