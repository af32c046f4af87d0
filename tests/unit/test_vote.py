"""core.understand.vote: which models vote, how their answers are averaged, and what the shipped vote measures."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from core.models import store
from core.predict import inference
from core.understand import compare, vote
from core.understand import evaluation as ev


def artifact(model_id: str, accuracy: float, *, shipped: bool = True, broken: bool = False) -> store.Artifact:
    meta = store.ModelMeta(
        model_id=model_id,
        arch="mlp_128",
        display_name=f"{model_id} shown",
        hyperparameters={},
        dataset_source="test",
        history={},
        test_accuracy=accuracy,
        test_loss=0.5,
        params=1000,
        train_seconds=10.0,
        epochs_run=3,
        created="2026-11-23T00:00:00+00:00",
        versions={},
    )
    if broken:
        return store.Artifact(model_id, Path("/nowhere") / model_id, shipped, None, "meta.json is missing")
    return store.Artifact(model_id, Path("/nowhere") / model_id, shipped, meta)


def test_the_best_three_shipped_models_vote_and_no_run_changes_that():
    artifacts = [
        artifact("fair", 0.89),
        artifact("best", 0.95),
        artifact("student-star", 0.99, shipped=False),  # a class run never joins: every visitor sees one vote
        artifact("third", 0.90),
        artifact("second", 0.91),
        artifact("damaged", 0.0, broken=True),
    ]
    assert [a.model_id for a in vote.members(artifacts)] == ["best", "second", "third"]


def test_no_vote_without_two_good_shipped_models():
    assert vote.members([artifact("only", 0.9), artifact("untrained", 0.1)]) == []  # near chance: never a member
    assert vote.members([artifact("mine", 0.9, shipped=False), artifact("yours", 0.9, shipped=False)]) == []


def prediction(model_id: str, probabilities: list[float]) -> inference.ModelPrediction:
    p = np.asarray(probabilities, np.float32)
    return inference.ModelPrediction(model_id, model_id, inference.top_k(p, 3), p)


def test_the_vote_on_one_image_is_the_average_of_its_members_answers():
    sure_shirt = [0, 0, 0, 0, 0, 0, 1.0, 0, 0, 0]
    torn = [0.45, 0, 0, 0, 0, 0, 0.55, 0, 0, 0]
    says_top = [0.9, 0, 0, 0, 0, 0, 0.1, 0, 0, 0]
    answers = [prediction("a", sure_shirt), prediction("b", torn), prediction("c", says_top), prediction("d", says_top)]
    voted = vote.prediction(answers, ["a", "b", "c"], k=2)
    assert voted.model_id == vote.VOTE_ID
    np.testing.assert_allclose(voted.probabilities[[0, 6]], [0.45, 0.55], atol=1e-6)  # "d" is not a member
    assert [s.class_name for s in voted.top] == ["Shirt", "T-shirt/top"]
    assert voted.probabilities.sum() == pytest.approx(1.0)
    # a member that did not answer (left out as broken): no vote rather than a vote of fewer
    assert vote.prediction(answers, ["a", "b", "missing"], k=2) is None


def test_the_name_says_who_votes_and_the_measured_accuracy():
    assert vote.title(0.9371) == "All models vote · 93.71% on the test set"
    assert vote.title() == "All models vote"
    assert vote.members_text(["a", "b", "c"]) == "The average of a, b and c, the 3 best shipped models."
    assert vote.members_text(["a", "b"]) == "The average of a and b, the 2 best shipped models."


def test_members_evaluated_on_different_images_cannot_vote():
    labels = np.arange(10)
    first = ev.Evaluation("a", labels, np.eye(10, dtype=np.float32), ev.FROM_CACHE, 0.0)
    other = ev.Evaluation("b", labels[::-1].copy(), np.eye(10, dtype=np.float32), ev.FROM_CACHE, 0.0)
    with pytest.raises(ValueError, match="different test images"):
        vote.evaluation([first, other])


def test_a_vote_row_costs_what_its_members_cost():
    labels = np.arange(10)
    probabilities = np.eye(10, dtype=np.float32)
    row = compare.LeaderboardRow("a", "A", "mlp_128", True, 0.9, 0.9, 0.8, 100, 5, 10.0, 2_000, 1.5, 0.89)
    members = [row, replace(row, model_id="b", params=300, latency_ms=2.0)]
    result = vote.evaluation([ev.Evaluation(m.model_id, labels, probabilities, ev.FROM_CACHE, 0.0) for m in members])
    voted = compare.vote_row(members, result)
    assert (voted.model_id, voted.accuracy, voted.params, voted.size_bytes) == (vote.VOTE_ID, 1.0, 400, 4_000)
    assert voted.latency_ms == pytest.approx(3.5) and voted.published_accuracy is None and voted.shipped
    assert compare.vote_row([row, replace(row, latency_ms=None)], result).latency_ms is None


def test_the_shipped_vote_is_measured_and_beats_every_member_but_the_best(dataset):
    """The vote's figure on Predict and Compare comes from its members' shipped test probabilities."""
    members = vote.members(store.list_artifacts([store.SHIPPED_DIR]))
    assert len(members) == vote.MEMBERS
    evaluations = [ev.evaluate(a, dataset.x_test, dataset.y_test, load_model=_never) for a in members]
    result = vote.evaluation(evaluations)
    expected = np.mean(np.mean([e.probabilities for e in evaluations], axis=0).argmax(axis=1) == dataset.y_test)
    assert result.accuracy == pytest.approx(expected)
    accuracies = sorted((e.accuracy for e in evaluations), reverse=True)
    assert accuracies[1] < result.accuracy, f"the vote ({result.accuracy:.2%}) should beat its second-best member"


def _never():
    raise AssertionError("the shipped models' test probabilities are cached: nothing may be run")
