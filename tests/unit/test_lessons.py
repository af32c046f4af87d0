"""Lessons: valid groups of runs, queued together under the queue's rules, read in plain words."""

from __future__ import annotations

import threading
import time

import pytest

from core.models import zoo
from core.training import estimate, fair_queue, jobs, lessons


def test_every_built_in_lesson_is_a_valid_group_that_differs_in_its_settings():
    assert set(lessons.LESSONS) == {"normalize", "epochs-batch", "dropout", "mlp-to-cnn"}
    for lesson in lessons.LESSONS.values():
        assert 2 <= len(lesson.runs) <= 4
        settings = [(run.arch, run.hyperparameters()) for run in lesson.runs]
        assert len(set(settings)) == len(settings), f"{lesson.key}: two runs are the same"
        assert len({run.label for run in lesson.runs}) == len(lesson.runs)


def test_the_notebooks_contrasts_are_the_ones_taught():
    normalize = {run.label: run.hyperparameters() for run in lessons.LESSONS["normalize"].runs}
    assert {(hp.normalize, hp.optimizer) for hp in normalize.values()} == {
        (True, "adam"), (False, "adam"), (True, "sgd"), (False, "sgd"),
    }  # fmt: skip
    grid = {
        (run.hyperparameters().epochs, run.hyperparameters().batch_size) for run in lessons.LESSONS["epochs-batch"].runs
    }
    assert grid == {(5, 128), (8, 64), (20, 256)}  # notebook 004
    dropout = lessons.LESSONS["dropout"]
    assert {run.arch for run in dropout.runs} == {"mlp_512_256_dropout"}
    assert 0.0 in {run.hyperparameters().dropout_rate for run in dropout.runs}
    assert [run.arch for run in lessons.LESSONS["mlp-to-cnn"].runs] == [
        "fc_two_hidden", "cnn_shallow", "cnn_deep", "cnn_bn_dropout",
    ]  # fmt: skip


def test_an_own_experiment_is_every_combination_of_one_or_two_settings():
    lesson = lessons.own_lesson("mlp_128", {"optimizer": ["adam", "sgd"], "normalize": [True, False]})
    assert len(lesson.runs) == 4
    assert {(r.hyperparameters().optimizer, r.hyperparameters().normalize) for r in lesson.runs} == {
        ("adam", True), ("adam", False), ("sgd", True), ("sgd", False),
    }  # fmt: skip
    with pytest.raises(ValueError, match="2 to 6 runs"):
        lessons.own_lesson("mlp_128", {"epochs": [1]})
    with pytest.raises(ValueError, match="one or two"):
        lessons.own_lesson("mlp_128", {"epochs": [1, 2], "seed": [1, 2], "optimizer": ["adam", "sgd"]})
    with pytest.raises(ValueError, match="cannot be varied"):
        lessons.own_lesson("mlp_128", {"owner": [1, 2]})


def test_the_reading_names_the_best_and_worst_and_chance_level():
    outcomes = [
        lessons.RunOutcome("normalized, Adam", 0.84, 0.86, 0.84),
        lessons.RunOutcome("raw pixels, SGD", 0.10, 0.10, 0.10),
        lessons.RunOutcome("raw pixels, Adam", 0.66, 0.67, 0.65),
    ]
    text = lessons.reading(outcomes)
    assert "**normalized, Adam** did best (84.0%" in text and "**raw pixels, SGD** did worst (10.0%)" in text
    assert "74.0 points" in text and "At chance level (about 10%, as good as guessing): raw pixels, SGD." in text
    gap = lessons.reading(
        [lessons.RunOutcome("no dropout", 0.8, 0.99, 0.8), lessons.RunOutcome("dropout", 0.82, 0.9, 0.82)], True
    )
    assert "no dropout: training 99.0% vs validation 80.0% (gap 19.0 points)" in gap


@pytest.mark.slow  # a lesson's runs and two more trained through the queue
def test_a_lessons_runs_queue_together_and_the_class_is_served_in_turn(dataset, tmp_path):
    queue = fair_queue.TrainingQueue(max_concurrent=1)
    gate = threading.Event()
    first = jobs.TrainingJob(
        zoo.get_spec("mlp_128"), zoo.with_overrides(zoo.get_spec("mlp_128"), epochs=1, subset=1000), "first",
        root=tmp_path, owner="teacher-demo",
        on_progress=lambda p: gate.wait(60) if p.state == jobs.RUNNING else None,
    )  # fmt: skip
    queue.submit(first, dataset)
    lesson = lessons.own_lesson("mlp_128", {"epochs": [1, 2], "optimizer": ["adam", "sgd"]}, {"subset": 1000})
    group = queue.submit_group(lessons.jobs(lesson, owner="learner", root=tmp_path), dataset)
    late = jobs.TrainingJob(
        zoo.get_spec("mlp_128"), zoo.with_overrides(zoo.get_spec("mlp_128"), epochs=1, subset=1000), "late",
        root=tmp_path, owner="latecomer",
    )  # fmt: skip
    queue.submit(late, dataset)
    # the group counts as the learner's one submission...
    with pytest.raises(fair_queue.QueueError):
        queue.submit_group(lessons.jobs(lesson, owner="learner", root=tmp_path), dataset)
    # ...and the latecomer is not stuck behind all four of its runs: browsers take turns
    assert late.snapshot().queue.ahead == 1 and group[1].snapshot().queue.ahead == 2
    assert [job.snapshot().queue.ahead for job in group] == [0, 2, 3, 4]
    gate.set()
    deadline = time.monotonic() + 300
    while not all(job.finished for job in (first, late, *group)):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert all(job.snapshot().state == jobs.DONE for job in group)
    assert {job.label for job in group} == {run.label for run in lesson.runs}
    assert estimate.book(tmp_path).estimate(zoo.get_spec("mlp_128"), group[0].hp) is not None
