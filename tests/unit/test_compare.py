"""core.understand.compare: leaderboard rows from evaluations, latency, size, curves, and two models head to head."""

import math

import keras
import numpy as np
import pandas as pd
import pytest

from core.data import CLASS_NAMES
from core.models import store
from core.understand import compare
from core.understand import evaluation as ev

SHIRT = CLASS_NAMES.index("Shirt")
LABELS = np.repeat(np.arange(10), 20)  # 200 images, 20 of each class


def evaluation(model_id: str, predictions: np.ndarray) -> ev.Evaluation:
    """An evaluation whose predicted classes are exactly ``predictions`` (confident one-hot rows)."""
    probabilities = np.full((len(LABELS), 10), 0.01, np.float32)
    probabilities[np.arange(len(LABELS)), predictions] = 0.91
    return ev.Evaluation(model_id, LABELS, probabilities, ev.FROM_CACHE, 0.0)


def with_mistakes(mistakes: dict[tuple[int, int], int]) -> np.ndarray:
    """Right everywhere except ``count`` images of class ``true`` predicted as ``predicted``."""
    predictions = LABELS.copy()
    for (true, predicted), count in mistakes.items():
        predictions[np.flatnonzero(np.equal(LABELS, true))[:count]] = predicted
    return predictions


def artifact(tmp_path, model_id: str = "m", *, arch: str = "mlp_128", shipped: bool = False, size: int = 1234):
    folder = tmp_path / model_id
    folder.mkdir()
    (folder / store.MODEL_FILE).write_bytes(b"x" * size)
    meta = store.ModelMeta(
        model_id=model_id,
        arch=arch,
        display_name=f"{model_id} shown",
        hyperparameters={},
        dataset_source="test",
        history={"accuracy": [0.5, 0.6], "val_accuracy": [0.55, 0.62], "loss": [1.0, 0.8], "val_loss": [0.9, 0.85]},
        test_accuracy=0.0,
        test_loss=0.0,
        params=101_770,
        train_seconds=12.5,
        epochs_run=2,
        created="2026-11-22T04:00:00+00:00",
        versions={},
    )
    return store.Artifact(model_id, folder, shipped, meta)


# -- latency and size -----------------------------------------------------------------------------
class CountingModel:
    def __init__(self):
        self.calls = []

    def __call__(self, pixels, training):
        self.calls.append((pixels.shape, pixels.dtype.name, training))
        return np.full((1, 10), 0.1, np.float32)


def test_latency_is_the_median_of_timed_calls_after_the_warmup(monkeypatch):
    # Five timed calls of 5, 1, 3, 100 and 2 ms: the median is 3 ms, the outlier does not count.
    clock = iter([0.0, 0.005, 1.0, 1.001, 2.0, 2.003, 3.0, 3.1, 4.0, 4.002])
    monkeypatch.setattr(compare.time, "perf_counter", lambda: next(clock))
    model = CountingModel()
    assert compare.single_image_latency_ms(model, repeats=5, warmups=1) == pytest.approx(3.0)
    assert len(model.calls) == 6  # one warm-up, untimed, then five timed
    assert set(model.calls) == {((1, 28, 28), "float32", False)}  # one image, inference mode


@pytest.mark.parametrize(("repeats", "warmups"), [(0, 1), (True, 1), (2.5, 1), (3, -1), (3, None)])
def test_latency_refuses_impossible_counts(repeats, warmups):
    with pytest.raises(ValueError, match="whole number"):
        compare.single_image_latency_ms(CountingModel(), repeats=repeats, warmups=warmups)


def test_latency_of_a_real_keras_model():
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, "softmax")])
    latency = compare.single_image_latency_ms(model)
    assert math.isfinite(latency) and latency > 0


def test_size_on_disk_is_the_model_file(tmp_path):
    item = artifact(tmp_path, size=4321)
    (item.path / store.PROBABILITIES_FILE).write_bytes(b"y" * 999)  # the prediction cache is not the model
    assert compare.size_on_disk(item) == 4321
    (item.path / store.MODEL_FILE).unlink()
    assert compare.size_on_disk(item) == 0


# -- leaderboard ------------------------------------------------------------------------------------
def test_row_takes_quality_from_the_evaluation_report(tmp_path):
    result = evaluation("m", with_mistakes({(SHIRT, 0): 5, (4, 2): 2}))
    row = compare.leaderboard_row(artifact(tmp_path, size=2_500_000), result, latency_ms=4.2)
    report = result.report.set_index("class")
    assert row.accuracy == pytest.approx(1 - 7 / 200) == result.accuracy
    assert row.macro_f1 == pytest.approx(report.at[ev.MACRO, "f1"])
    assert row.shirt_recall == pytest.approx(15 / 20) == pytest.approx(report.at["Shirt", "recall"])
    assert (row.params, row.epochs, row.train_seconds, row.size_bytes) == (101_770, 2, 12.5, 2_500_000)
    assert (row.display_name, row.arch, row.shipped, row.latency_ms) == ("m shown", "mlp_128", False, 4.2)


def test_published_accuracy_comes_from_the_zoo_spec(tmp_path):
    result = evaluation("m", LABELS)
    published = compare.leaderboard_row(artifact(tmp_path, arch="mlp_512_256_128_dropout"), result, None)
    assert published.published_accuracy == pytest.approx(0.892)
    result = evaluation("n", LABELS)
    assert compare.leaderboard_row(artifact(tmp_path, "n", arch="mlp_128"), result, None).published_accuracy is None
    result = evaluation("o", LABELS)
    assert compare.leaderboard_row(artifact(tmp_path, "o", arch="not-in-zoo"), result, None).published_accuracy is None


def test_row_refuses_a_broken_model_or_someone_elses_evaluation(tmp_path):
    broken = store.Artifact("b", tmp_path, False, None, "meta.json is missing")
    with pytest.raises(ValueError, match="broken"):
        compare.leaderboard_row(broken, evaluation("b", LABELS), None)
    with pytest.raises(ValueError, match="evaluation of 'other'"):
        compare.leaderboard_row(artifact(tmp_path), evaluation("other", LABELS), None)


def test_leaderboard_puts_the_best_first_and_marks_where_each_came_from(tmp_path):
    rows = [
        compare.leaderboard_row(
            artifact(tmp_path, "worse", shipped=True), evaluation("worse", with_mistakes({(0, 1): 9})), 2.0
        ),
        compare.leaderboard_row(artifact(tmp_path, "best", size=3_000_000), evaluation("best", LABELS), None),
        compare.leaderboard_row(artifact(tmp_path, "middle"), evaluation("middle", with_mistakes({(6, 0): 3})), 1.5),
    ]
    board = compare.leaderboard(rows)
    assert list(board.columns) == list(compare.LEADERBOARD_COLUMNS)
    assert list(board["model"]) == ["best", "middle", "worse"]
    assert list(board["origin"]) == [compare.TRAINED_HERE, compare.TRAINED_HERE, compare.SHIPPED]
    assert board["accuracy"].is_monotonic_decreasing
    assert board.loc[0, "size_mb"] == pytest.approx(3.0)
    assert np.isnan(board.loc[0, "latency_ms"]) and board.loc[1, "latency_ms"] == 1.5
    assert board["params"].dtype == np.int64
    assert compare.leaderboard([]).empty


# -- learning curves --------------------------------------------------------------------------------
def test_learning_curves_overlay_several_models_in_long_form():
    curves = compare.learning_curves(
        {
            "a": {
                "accuracy": [0.5, 0.6, 0.7],
                "val_accuracy": [0.4, 0.5, 0.6],
                "loss": [1, 0.9, 0.8],
                "val_loss": [1.1, 1, 0.95],
            },
            "b": {"accuracy": [0.8], "loss": [0.5]},  # saved without validation
            "c": {},  # no history at all: no rows, no error
        }
    )
    assert list(curves.columns) == ["model", "epoch", "metric", "split", "value"]
    assert set(curves["model"]) == {"a", "b"}
    validation = curves[(curves["model"] == "a") & (curves["split"] == "validation") & (curves["metric"] == "loss")]
    assert list(validation["epoch"]) == [1, 2, 3] and list(validation["value"]) == [1.1, 1.0, 0.95]
    assert set(curves[curves["model"] == "b"]["split"]) == {"train"}
    assert compare.learning_curves({}).empty


# -- two models head to head --------------------------------------------------------------------------
def test_f1_change_is_b_minus_a_per_class():
    a = evaluation("a", with_mistakes({(SHIRT, 0): 8}))
    b = evaluation("b", with_mistakes({(SHIRT, 0): 2, (2, 4): 4}))
    change = compare.f1_change(a, b)
    assert list(change["class"]) == list(CLASS_NAMES)
    np.testing.assert_allclose(change["f1_a"], a.report["f1"].iloc[:10])
    np.testing.assert_allclose(change["f1_b"], b.report["f1"].iloc[:10])
    np.testing.assert_allclose(change["change"], change["f1_b"] - change["f1_a"])
    by_class = change.set_index("class")["change"]
    assert by_class["Shirt"] > 0 and by_class["Pullover"] < 0 and by_class["Bag"] == 0


def test_confusion_difference_counts_cells_and_says_who_it_favours():
    a = evaluation("a", with_mistakes({(SHIRT, 0): 8}))
    b = evaluation("b", with_mistakes({(SHIRT, 0): 2, (2, 4): 4}))
    cells = compare.confusion_difference(a, b).set_index(["true", "predicted"])
    assert len(cells) == 100
    assert cells.loc[("Shirt", "T-shirt/top")].tolist() == [8, 2, -6, 6]  # count_a, count_b, change, gain_for_b
    assert cells.loc[("Shirt", "Shirt")].tolist() == [12, 18, 6, 6]  # more right on the diagonal: good for B
    assert cells.loc[("Pullover", "Coat")].tolist() == [0, 4, 4, -4]  # a new mistake: good for A
    assert cells["change"].groupby(level="true").sum().eq(0).all()  # same images in every true class
    matrix = b.confusion - a.confusion
    np.testing.assert_array_equal(cells["change"].to_numpy().reshape(10, 10), matrix)
    same = compare.confusion_difference(a, a)
    assert (same["change"] == 0).all() and (same["gain_for_b"] == 0).all()


def test_agreement_splits_the_test_images_four_ways():
    a = evaluation("a", with_mistakes({(SHIRT, 0): 8}))
    b = evaluation("b", with_mistakes({(SHIRT, 0): 2, (2, 4): 4}))
    overlap = compare.agreement(a, b)
    assert overlap == compare.Agreement(
        both_right=200 - 8 - 4, only_a_right=4, only_b_right=6, both_wrong=2, same_prediction=200 - 6 - 4
    )
    assert overlap.total == 200


def test_models_evaluated_on_different_images_cannot_be_compared():
    a = evaluation("a", LABELS)
    shorter = ev.Evaluation("b", LABELS[:100], a.probabilities[:100], ev.FROM_CACHE, 0.0)
    for function in (compare.f1_change, compare.confusion_difference, compare.agreement):
        with pytest.raises(ValueError, match="different test images"):
            function(a, shorter)


def test_a_shipped_model_ranks_with_the_accuracy_its_metadata_records(dataset):
    """The leaderboard's accuracy (from the cached test predictions) is the one saved at training."""
    usable = [item for item in store.list_artifacts([store.SHIPPED_DIR]) if item.ok]
    shipped = min(usable, key=lambda item: item.meta.params)  # the quickest to run
    result = ev.evaluate(shipped, dataset.x_test, dataset.y_test, use_cache=False)  # never writes into artifacts/
    row = compare.leaderboard_row(shipped, result, None)
    assert row.accuracy == pytest.approx(shipped.meta.test_accuracy, abs=1e-4)
    assert row.shipped and row.params == shipped.meta.params
    assert isinstance(compare.leaderboard([row]), pd.DataFrame)
