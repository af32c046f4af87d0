"""Teaching a saved model a student's pictures: the split never judges on what was taught, too few pictures
say how many more are needed, and a real (tiny) fine-tune is saved as an ordinary run whose before/after is
what the two models really answer; the fair queue runs and stops it like a training run."""

from __future__ import annotations

import io
import json
import subprocess
import threading

import numpy as np
import pytest
from PIL import Image

from core.models import store
from core.training import examples, jobs, teach
from core.training.fair_queue import TrainingQueue
from tests.cli import run_cli

SMALL = {"epochs": 1, "copies": 3, "fashion_images": 300, "batch_size": 64}  # seconds, not the real recipe


def student_examples(dataset, per_class: dict[int, int], owner: str = "student-a") -> list[examples.Example]:
    """Real garments of the test set as a student's examples (not kept anywhere)."""
    found = []
    for label, count in per_class.items():
        for index in np.flatnonzero(dataset.y_test == label)[:count]:
            found.append(examples.new_example(label, dataset.x_test[index], "upload", owner, f"{label}-{index}"))
    return found


def test_split_holds_back_part_of_every_class_and_never_what_it_teaches(dataset):
    pictures = student_examples(dataset, {0: 5, 4: 3, 9: 2})
    twin = examples.new_example(4, pictures[5].pixels, "sketch", example_id="twin-of-a-coat")  # the same picture again
    parts = teach.split([*pictures, twin], held_back_share=0.3, seed=1)
    taught, held = {e.example_id for e in parts.taught}, {e.example_id for e in parts.held_back}
    assert not taught & held and taught | held == {e.example_id for e in [*pictures, twin]}
    for label in (0, 4, 9):  # each class: something taught, something to judge on
        assert any(e.label == label for e in parts.taught) and any(e.label == label for e in parts.held_back)
    # a copy of a picture goes where the picture goes: a model is never judged on its twin
    assert (twin.example_id in taught) == (pictures[5].example_id in taught)
    assert teach.split([*pictures, twin], 0.3, seed=1) == parts  # the same examples and seed: the same split
    held_pixels = {e.pixels.tobytes() for e in parts.held_back}
    assert not held_pixels & {e.pixels.tobytes() for e in parts.taught}


def test_too_few_examples_say_how_many_more_are_needed(dataset):
    assert teach.readiness(student_examples(dataset, {0: 3, 4: 3})) == []
    with pytest.raises(teach.TeachError, match="at least 6 examples; you have 4: add 2 more"):
        teach.check(student_examples(dataset, {0: 2, 4: 2}))
    with pytest.raises(teach.TeachError, match="Coat has 1 example; .* at least 2 .* add 1 more"):
        teach.check(student_examples(dataset, {0: 5, 4: 1}))
    with pytest.raises(teach.TeachError, match="the saved model to teach"):
        teach.TeachSpec("", "taught").validate()
    with pytest.raises(ValueError, match="Give the model a name"):
        teach.TeachSpec("mlp_128", "   ").validate()


def test_teaching_saves_an_ordinary_run_and_an_honest_before_after(dataset, tiny_model, runs_dir):
    pictures = student_examples(dataset, {4: 4, 6: 4})  # coats and shirts, the pair models confuse
    spec = teach.TeachSpec(tiny_model.model_id, "taught-coats", learning_rate=1e-3, **SMALL)
    result = teach.teach(spec, pictures, dataset, owner="student-a", root=runs_dir)

    saved = store.find(result.artifact.model_id)  # listed like any run: Evaluate, Predict, Compare see it
    assert saved.meta.owner == "student-a" and saved.meta.arch == tiny_model.meta.arch
    notes = saved.meta.notes
    assert notes["origin"] == "teach" and notes["base_model_id"] == tiny_model.model_id
    assert notes["taught_counts"] == {"Coat": 3, "Shirt": 3} and notes["held_back_counts"] == {"Coat": 1, "Shirt": 1}
    assert not set(notes["taught_ids"]) & set(notes["held_back_ids"])
    assert teach.report_of(saved) == result.report and teach.report_of(tiny_model) is None

    # the report is what the two saved models answer, computed again from the files
    again = teach.before_after(tiny_model, saved, result.split.held_back, dataset)
    assert again.answers == result.report.answers
    assert again.test_accuracy_after == pytest.approx(saved.meta.test_accuracy)
    assert again.test_accuracy_before == pytest.approx(tiny_model.meta.test_accuracy, abs=1e-4)
    assert [a.example_id for a in again.answers] == notes["held_back_ids"]
    before, after = store.load_model(tiny_model), store.load_model(saved)
    assert any(not np.allclose(b, a) for b, a in zip(before.get_weights(), after.get_weights(), strict=True))
    payload = result.report.as_json()
    assert payload["held_back"] == 2 and 0 <= payload["held_back_right_after"] <= 2


def test_the_fair_queue_runs_a_teaching_and_stops_one_still_waiting(dataset, tiny_model, runs_dir):
    finished = threading.Event()
    queue = TrainingQueue(max_concurrent=1)
    job = teach.TeachJob(
        teach.TeachSpec(tiny_model.model_id, "queued-teaching", **SMALL),
        student_examples(dataset, {0: 3, 7: 3}),
        owner="student-b",
        root=runs_dir,
        on_progress=lambda progress: finished.set() if progress.finished else None,
    )
    waiting = teach.TeachJob(
        teach.TeachSpec(tiny_model.model_id, "never-taught", **SMALL),
        student_examples(dataset, {0: 3, 7: 3}),
        owner="student-c",
        root=runs_dir,
    )
    queue.submit(job, dataset)
    queue.submit(waiting, dataset)
    with pytest.raises(ValueError, match="already have a run"):  # one active submission per browser, as for training
        queue.submit(teach.TeachJob(job.teach_spec, job.examples, owner="student-b", root=runs_dir), dataset)
    assert queue.cancel(waiting.id) and waiting.snapshot().state == jobs.STOPPED
    assert finished.wait(timeout=240), job.snapshot().message
    progress = job.snapshot()
    assert progress.state == jobs.DONE, progress.message
    assert progress.model_id == job.result.artifact.model_id == job.reserved_id
    assert progress.epoch == 1 and progress.batches_per_epoch > 0
    assert store.find(progress.model_id).meta.notes["origin"] == "teach"
    assert waiting.result is None


def test_a_teaching_asked_to_stop_saves_nothing(dataset, tiny_model, runs_dir):
    job = teach.TeachJob(
        teach.TeachSpec(tiny_model.model_id, "stopped-teaching", **SMALL),
        student_examples(dataset, {0: 3, 7: 3}),
        root=runs_dir,
    )
    job.on_progress = lambda progress: job.request_stop() if progress.state == jobs.RUNNING else None
    progress = job.run(dataset)
    assert progress.state == jobs.STOPPED and "nothing was saved" in progress.message
    assert not any(a.model_id.startswith("stopped-teaching") for a in store.list_artifacts([runs_dir]))


def test_an_unknown_base_model_is_refused_before_it_queues(dataset):
    with pytest.raises(store.ArtifactError, match="No model called 'no-such-model'"):
        teach.TeachJob(teach.TeachSpec("no-such-model", "x", **SMALL), student_examples(dataset, {0: 3, 7: 3}))


@pytest.mark.slow  # the CLI end to end: it trains
def test_the_cli_teaches_from_class_folders_and_prints_the_before_after(dataset, tiny_model, tmp_path):
    folder = tmp_path / "my-pictures"
    for name, label in (("coat", 4), ("6", 6), ("Ankle_Boot", 9)):
        (folder / name).mkdir(parents=True)
        for index in np.flatnonzero(dataset.y_test == label)[:3]:
            buffer = io.BytesIO()
            Image.fromarray(dataset.x_test[index]).save(buffer, "PNG")
            (folder / name / f"{index}.png").write_bytes(buffer.getvalue())

    def cli(*args: str) -> subprocess.CompletedProcess:
        return run_cli("teach", "--base", tiny_model.model_id, *args)

    done = cli("--examples", str(folder), "--name", "cli-taught", "--epochs", "1", "--out", str(tmp_path / "runs"))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["model_id"] == "cli-taught" and result["base_model_id"] == tiny_model.model_id
    assert result["held_back"] == 3 and {a["label"] for a in result["answers"]} == {4, 6, 9}
    assert 0 < result["test_accuracy_after"] <= 1 and (tmp_path / "runs" / "cli-taught" / "model.keras").is_file()

    for extra in sorted(folder.glob("coat/*.png"))[1:]:  # a class with one picture left
        extra.unlink()
    refused = cli("--examples", str(folder), "--name", "too-few")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines() == [
        "error: Coat has 1 example; each class you use needs at least 2 (one to teach, one to judge on): add 1 more."
    ]
