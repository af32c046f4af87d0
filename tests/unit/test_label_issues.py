"""Label issues: out-of-sample probabilities (no image scored by a model that trained on it),
the cleanlab ranking, the shipped probabilities, and ``python -m core label-issues``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.data import CLASS_NAMES
from core.models import store
from core.understand import label_issues as li
from tests.cli import run_cli


def test_fold_plan_is_a_stratified_partition(dataset):
    folds = li.fold_plan(dataset.y_train, 5, 42)
    assert folds.shape == (60_000,) and set(np.unique(folds)) == {0, 1, 2, 3, 4}
    counts = np.array(
        [[np.sum((folds == fold) & (dataset.y_train == label)) for label in range(10)] for fold in range(5)]
    )
    assert counts.min() == counts.max() == 1_200  # 6,000 per class split evenly
    assert not np.array_equal(folds, li.fold_plan(dataset.y_train, 5, 43))  # the seed shuffles


def test_no_image_is_scored_by_a_model_that_trained_on_it(dataset):
    images, labels = dataset.x_train[:900], dataset.y_train[:900]
    seen = []
    result = li.out_of_sample_probabilities(
        images,
        labels,
        li.KFoldRecipe("mlp_128", folds=3, epochs=1, seed=5, repeats=2),
        on_fold=lambda fold, trained_on, scored: seen.append((fold, set(trained_on), set(scored))),
    )
    assert [fold for fold, _, _ in seen] == [0, 1, 2, 0, 1, 2]  # two models per fold
    scored = np.zeros(len(labels), dtype=int)
    for fold, trained_on, held_out in seen:
        assert not trained_on & held_out, f"fold {fold} scored images it trained on"
        assert trained_on | held_out == set(range(len(labels)))
        assert set(np.flatnonzero(result.folds == fold)) == held_out
        scored[list(held_out)] += 1
    assert np.all(scored == 2)  # once by each of its fold's two models
    assert np.all(np.isfinite(result.probabilities))
    assert np.allclose(result.probabilities.sum(axis=1), 1, atol=1e-4)


def test_the_recipe_refuses_bad_repeats():
    with pytest.raises(ValueError, match="repeats must be a whole number from 1 to 10"):
        li.KFoldRecipe(repeats=0).validate()


def test_shipped_probabilities_were_made_out_of_sample(dataset):
    stored = li.load()
    assert stored.probabilities.shape == (60_000, 10)
    assert np.allclose(stored.probabilities.sum(axis=1), 1, atol=1e-3)
    # each image's fold is the one the recipe's plan holds it out in, so its score came from
    # the model trained on the other folds only
    assert np.array_equal(stored.folds, li.fold_plan(dataset.y_train, stored.recipe.folds, stored.recipe.seed))
    accuracy = (stored.probabilities.argmax(axis=1) == dataset.y_train).mean()
    # a quick CNN scores ~91% on unseen images; on images it trained on it would be near 95%
    assert 0.85 < accuracy < 0.93, accuracy


def test_ranking_finds_labels_we_corrupt(dataset):
    stored = li.load()
    labels = dataset.y_train.astype(np.int64).copy()
    rng = np.random.default_rng(0)
    confident = np.flatnonzero(stored.probabilities.max(axis=1) > 0.95)
    corrupted = rng.choice(confident, 100, replace=False)
    labels[corrupted] = (labels[corrupted] + rng.integers(1, 10, 100)) % 10  # always a different class
    ranked = li.rank(labels, stored.probabilities)
    top = set(ranked["index"].head(400))
    found = len(top & set(corrupted))
    assert found >= 90, f"only {found} of 100 corrupted labels in the top 400"
    assert list(ranked["score"]) == sorted(ranked["score"])
    clean = li.rank(dataset.y_train, stored.probabilities)
    assert len(set(clean["index"].head(400)) & set(corrupted)) < 10  # before corruption they were fine


def test_ranking_never_forks_the_server(dataset, monkeypatch):
    """cleanlab forks a pool by default; a fork of the threaded server can hang the page (CI did)."""
    import multiprocessing

    def no_fork(*args, **kwargs):
        raise AssertionError("rank() started a multiprocessing pool")

    monkeypatch.setattr(multiprocessing, "Pool", no_fork)
    ranked = li.rank(dataset.y_train, li.load().probabilities)
    assert len(ranked) > 1_000


@pytest.mark.slow  # the CLI end to end, on real models
def test_label_issues_cli_prints_the_most_likely_first():
    result = run_cli("label-issues", "--top", "25")
    assert result.returncode == 0, result.stderr
    issues = json.loads(result.stdout)
    assert len(issues) == 25
    for issue in issues:
        assert set(issue) == {"index", "given", "suggested", "score"}
        assert 0 <= issue["index"] < 60_000 and issue["given"] in CLASS_NAMES and issue["suggested"] in CLASS_NAMES
        assert issue["given"] != issue["suggested"]
    scores = [issue["score"] for issue in issues]
    assert scores == sorted(scores) and 0 <= scores[0] < 0.05


def test_label_issues_cli_refuses_bad_input():
    result = run_cli("label-issues", "--top", "0")
    assert result.returncode == 2 and "--top must be at least 1" in result.stderr and "Traceback" not in result.stderr


def test_missing_or_damaged_probabilities_say_how_to_remake_them(tmp_path):
    with pytest.raises(store.ArtifactError, match="make label-issues"):
        li.load(tmp_path / "absent.npz")
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(b"not a zip")
    with pytest.raises(store.ArtifactError, match="make label-issues"):
        li.load(damaged)
