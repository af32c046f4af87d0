"""Evaluation: metrics against independent computations, the real test set, the probability
cache, saliency, pictures, and the headless ``python -m core evaluate``."""

import json
import os
import shutil
import subprocess

import keras
import numpy as np
import pytest

from core.data import CLASS_NAMES
from core.models import store
from core.understand import evaluation as ev
from tests.cli import run_cli

# A fixed small prediction set, worked out by hand below.
LABELS = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 3])
PREDICTIONS = np.array([0, 0, 1, 1, 1, 2, 2, 0, 6, 3])


def test_report_matches_hand_computation():
    matrix = ev.confusion_matrix(LABELS, PREDICTIONS)
    assert matrix.shape == (10, 10) and matrix.sum() == 10
    assert matrix[0, 0] == 2 and matrix[0, 1] == 1 and matrix[2, 0] == 1 and matrix[2, 6] == 1
    report = ev.classification_report(matrix).set_index("class")
    expected = {
        # class: (precision, recall, f1, support)
        "T-shirt/top": (2 / 3, 2 / 3, 2 / 3, 3),
        "Trouser": (2 / 3, 1.0, 0.8, 2),
        "Pullover": (1.0, 0.5, 2 / 3, 4),
        "Dress": (1.0, 1.0, 1.0, 1),
        "Shirt": (0.0, 0.0, 0.0, 0),  # predicted once, never right, no support: 0, not NaN
        "Bag": (0.0, 0.0, 0.0, 0),
    }
    for name, (precision, recall, f1, support) in expected.items():
        row = report.loc[name]
        assert row["precision"] == pytest.approx(precision)
        assert row["recall"] == pytest.approx(recall)
        assert row["f1"] == pytest.approx(f1)
        assert row["support"] == support
    assert list(report.index) == [*CLASS_NAMES, ev.MACRO, ev.WEIGHTED]
    assert report.loc[ev.MACRO, "precision"] == pytest.approx((2 / 3 + 2 / 3 + 1 + 1) / 10)
    assert report.loc[ev.WEIGHTED, "precision"] == pytest.approx((3 * 2 / 3 + 2 * 2 / 3 + 4 * 1 + 1 * 1) / 10)
    assert report.loc[ev.WEIGHTED, "recall"] == pytest.approx(0.7)  # weighted recall is accuracy
    assert report.loc[ev.WEIGHTED, "f1"] == pytest.approx((3 * 2 / 3 + 2 * 0.8 + 4 * 2 / 3 + 1) / 10)
    assert report.loc[ev.MACRO, "support"] == 10
    assert not report.isna().any().any()


def test_report_agrees_with_keras_metrics():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 10, 600)
    predictions = np.where(rng.random(600) < 0.6, labels, rng.integers(0, 10, 600))
    report = ev.classification_report(ev.confusion_matrix(labels, predictions)).set_index("class")
    true_hot = keras.ops.one_hot(labels, 10)
    predicted_hot = keras.ops.one_hot(predictions, 10)

    def keras_result(metric):
        metric.update_state(true_hot, predicted_hot)
        return np.asarray(metric.result())

    per_class_f1 = keras_result(keras.metrics.F1Score(average=None))
    for index, name in enumerate(CLASS_NAMES):
        precision = float(keras_result(keras.metrics.Precision(class_id=index)))
        recall = float(keras_result(keras.metrics.Recall(class_id=index)))
        assert report.loc[name, "precision"] == pytest.approx(precision, abs=1e-5)
        assert report.loc[name, "recall"] == pytest.approx(recall, abs=1e-5)
        assert report.loc[name, "f1"] == pytest.approx(per_class_f1[index], abs=1e-5)
        assert report.loc[name, "support"] == int((labels == index).sum())
    assert report.loc[ev.MACRO, "f1"] == pytest.approx(float(keras_result(keras.metrics.F1Score("macro"))), abs=1e-5)
    assert report.loc[ev.WEIGHTED, "f1"] == pytest.approx(
        float(keras_result(keras.metrics.F1Score("weighted"))), abs=1e-5
    )


@pytest.mark.parametrize(
    ("labels", "predictions", "message"),
    [
        ([0, 1], [0], "two equal 1-D arrays"),
        ([0, 10], [0, 1], "labels must be class indices"),
        ([0, 1], [-1, 1], "predictions must be class indices"),
    ],
)
def test_confusion_matrix_refuses_bad_input(labels, predictions, message):
    with pytest.raises(ValueError, match=message):
        ev.confusion_matrix(np.array(labels), np.array(predictions))


def test_row_normalized_and_top_confusions():
    matrix = ev.confusion_matrix(LABELS, PREDICTIONS)
    shares = ev.row_normalized(matrix)
    assert shares[0].sum() == pytest.approx(1) and shares[5].sum() == 0  # an empty row stays 0, no NaN
    top = ev.top_confusions(matrix, 10)
    assert len(top) == 3 and (top["count"] == 1).all()  # three mistakes, and no rows of zeros
    assert set(zip(top["true"], top["predicted"], strict=True)) == {(0, 1), (2, 0), (2, 6)}
    assert top.set_index(["true", "predicted"]).loc[(0, 1), "share"] == pytest.approx(1 / 3)


def test_top_k_is_ordered():
    probabilities = np.array([0.1, 0.5, 0.05, 0.3, 0.05, 0, 0, 0, 0, 0])
    assert ev.top_k(probabilities, 3) == [(1, 0.5), (3, 0.3), (0, 0.1)]


# -- the real test set ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_evaluation(tiny_model, dataset):
    return ev.evaluate(tiny_model, dataset.x_test, dataset.y_test)


def test_confusion_matrix_of_the_real_test_set(tiny_evaluation, tiny_model):
    matrix = tiny_evaluation.confusion
    assert matrix.sum() == 10_000
    assert (matrix.sum(axis=1) == 1_000).all()  # Fashion-MNIST: 1,000 test images per class
    assert tiny_evaluation.accuracy == pytest.approx(tiny_model.meta.test_accuracy, abs=1e-9)
    assert tiny_evaluation.errors == 10_000 - np.trace(matrix)
    report = tiny_evaluation.report.set_index("class")
    assert report.loc[ev.WEIGHTED, "recall"] == pytest.approx(tiny_evaluation.accuracy)


def test_each_cell_holds_exactly_its_images(tiny_evaluation, dataset):
    predictions = tiny_evaluation.probabilities.argmax(axis=1)
    seen = []
    for true in range(10):
        for predicted in range(10):
            cell = tiny_evaluation.cell(true, predicted)
            expected = np.flatnonzero((dataset.y_test == true) & (predictions == predicted))
            assert sorted(cell["index"]) == expected.tolist()
            assert len(cell) == tiny_evaluation.confusion[true, predicted]
            assert (cell["true"] == true).all() and (cell["predicted"] == predicted).all()
            assert (np.diff(cell["confidence"].to_numpy()) <= 0).all()  # most confident first
            seen.extend(cell["index"])
    assert sorted(seen) == list(range(10_000))  # the cells partition the test set


def test_misclassified_filters_and_order(tiny_evaluation, dataset):
    everything = tiny_evaluation.misclassified()
    assert len(everything) == tiny_evaluation.errors
    assert (everything["true"] != everything["predicted"]).all()
    assert (np.diff(everything["confidence"].to_numpy()) <= 0).all()
    shirts = tiny_evaluation.misclassified(true_class=6)
    assert len(shirts) == 1_000 - tiny_evaluation.confusion[6, 6] and (shirts["true"] == 6).all()
    as_tee = tiny_evaluation.misclassified(predicted_class=0)
    assert len(as_tee) == tiny_evaluation.confusion[:, 0].sum() - tiny_evaluation.confusion[0, 0]
    assert tiny_evaluation.misclassified(true_class=6, predicted_class=6).empty
    top = everything.iloc[0]
    assert top["confidence"] == pytest.approx(tiny_evaluation.probabilities[int(top["index"])].max())
    assert top["true_probability"] == pytest.approx(
        tiny_evaluation.probabilities[int(top["index"]), dataset.y_test[int(top["index"])]]
    )


def test_cli_report_is_json_and_matches(tiny_model):
    report = ev.report_for_cli(tiny_model.model_id)
    assert json.loads(json.dumps(report)) == report
    assert report["model_id"] == tiny_model.model_id and report["arch"] == "mlp_128"
    assert report["accuracy"] == pytest.approx(tiny_model.meta.test_accuracy, abs=1e-6)
    assert [row["class"] for row in report["per_class"]] == list(CLASS_NAMES)
    assert sum(row["support"] for row in report["per_class"]) == 10_000
    assert set(report["macro_avg"]) == {"precision", "recall", "f1", "support"}
    assert report["weighted_avg"]["recall"] == pytest.approx(report["accuracy"], abs=1e-6)
    assert report["top_confusions"] and report["probabilities"] == ev.FROM_CACHE


def test_cli_report_of_missing_model_names_the_choices(tiny_model):
    with pytest.raises(store.ArtifactError, match="No model called 'no-such-model'.*tiny"):
        ev.report_for_cli("no-such-model")


# -- the probability cache ----------------------------------------------------------------
@pytest.fixture
def fresh_copy(tiny_model, tmp_path):
    """The tiny model copied into its own folder, without cached probabilities."""
    target = tmp_path / "copy"
    shutil.copytree(tiny_model.path, target)
    (target / store.PROBABILITIES_FILE).unlink()
    return store.read_artifact(target)


def _refuse_to_load():
    raise AssertionError("the model was loaded although its probabilities were cached")


def test_probabilities_are_computed_once_then_cached(fresh_copy, dataset, tiny_model):
    first = ev.evaluate(fresh_copy, dataset.x_test, dataset.y_test)
    assert first.source == ev.COMPUTED
    assert (fresh_copy.path / store.PROBABILITIES_FILE).is_file()
    np.testing.assert_allclose(first.probabilities, store.load_probabilities(tiny_model), atol=1e-5)
    second = ev.evaluate(fresh_copy, dataset.x_test, dataset.y_test, load_model=_refuse_to_load)
    assert second.source == ev.FROM_CACHE
    np.testing.assert_array_equal(second.probabilities, first.probabilities)
    assert not second.probabilities.flags.writeable  # shared between visitors


@pytest.mark.parametrize("damage", ["garbage", "wrong_shape", "not_probabilities", "stale"])
def test_damaged_or_stale_cache_is_recomputed(fresh_copy, dataset, damage):
    path = fresh_copy.path / store.PROBABILITIES_FILE
    if damage == "garbage":
        path.write_bytes(b"not a numpy file")
    elif damage == "wrong_shape":
        np.save(path, np.full((100, 10), 0.1, dtype=np.float32))
    elif damage == "not_probabilities":
        np.save(path, np.ones((10_000, 10), dtype=np.float32))
    else:
        np.save(path, np.full((10_000, 10), 0.1, dtype=np.float32))
        earlier = (fresh_copy.path / store.MODEL_FILE).stat().st_mtime - 60
        os.utime(path, (earlier, earlier))  # written a minute before the model last changed
    result = ev.evaluate(fresh_copy, dataset.x_test, dataset.y_test)
    assert result.source == ev.COMPUTED
    assert result.accuracy > 0.5  # real predictions, not the damaged file
    assert ev.cached_probabilities(fresh_copy, 10_000) is not None  # and the cache was repaired


def test_read_only_folder_still_evaluates(fresh_copy, dataset, monkeypatch):
    def read_only(artifact, probabilities):
        raise PermissionError(13, "Permission denied", str(artifact.path))

    monkeypatch.setattr(store, "save_probabilities", read_only)
    result = ev.evaluate(fresh_copy, dataset.x_test, dataset.y_test)
    assert result.source == "computed (not cached: the model's folder is read-only)"
    assert result.accuracy > 0.5
    assert not (fresh_copy.path / store.PROBABILITIES_FILE).exists()


def test_broken_artifact_is_refused(fresh_copy, dataset):
    (fresh_copy.path / store.META_FILE).write_text("not json")
    broken = store.read_artifact(fresh_copy.path)
    with pytest.raises(store.ArtifactError, match="'copy' is broken"):
        ev.evaluate(broken, dataset.x_test, dataset.y_test)


@pytest.mark.parametrize(
    ("input_shape", "classes", "message"),
    [((28, 28), 5, r"outputs shape \(5,\), not 10 classes"), ((32, 32), 10, "failed on the test images")],
)
def test_model_that_does_not_fit_the_task_is_refused(fresh_copy, dataset, input_shape, classes, message):
    wrong = keras.Sequential(
        [keras.Input(input_shape), keras.layers.Flatten(), keras.layers.Dense(classes, activation="softmax")]
    )
    wrong.save(fresh_copy.path / store.MODEL_FILE)
    with pytest.raises(store.ArtifactError, match=message):
        ev.evaluate(fresh_copy, dataset.x_test, dataset.y_test)
    assert not (fresh_copy.path / store.PROBABILITIES_FILE).exists()


# -- saliency and pictures ----------------------------------------------------------------
def _top_left_model() -> keras.Model:
    """A softmax over pixels of the top-left 5x5 block only: nothing else can matter."""
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, "softmax")])
    kernel = np.zeros((784, 10), dtype=np.float32)
    block = [row * 28 + col for row in range(5) for col in range(5)]
    kernel[block] = np.random.default_rng(0).normal(0, 0.05, (len(block), 10))
    model.layers[-1].set_weights([kernel, np.zeros(10, dtype=np.float32)])
    return model


@pytest.mark.parametrize("method", ev.SALIENCY_METHODS)
def test_saliency_finds_the_only_pixels_that_matter(method):
    images = np.random.default_rng(1).uniform(0, 255, (3, 28, 28)).astype(np.float32)
    maps = ev.saliency_maps(_top_left_model(), images, [0, 3, 7], method=method, samples=4)
    assert maps.shape == (3, 28, 28) and maps.dtype == np.float32
    assert maps.min() >= 0 and maps.max() <= 1
    outside = maps.copy()
    outside[:, :5, :5] = 0
    assert not outside.any()
    assert (maps[:, :5, :5].max(axis=(1, 2)) == 1).all()


def test_saliency_without_a_final_softmax_dense_uses_log_probabilities():
    # Softmax as its own layer: the logit shortcut does not apply; gradients of log p do.
    model = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10), keras.layers.Activation("softmax")]
    )
    kernel = np.zeros((784, 10), dtype=np.float32)
    kernel[[0, 1, 28, 29]] = np.random.default_rng(2).normal(0, 0.01, (4, 10))
    model.layers[1].set_weights([kernel, np.zeros(10, dtype=np.float32)])
    images = np.random.default_rng(3).uniform(0, 255, (2, 28, 28)).astype(np.float32)
    maps = ev.saliency_maps(model, images, [1, 2], method="gradient")
    assert set(zip(*np.nonzero(maps[0]), strict=True)) <= {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert (maps.max(axis=(1, 2)) == 1).all()


def test_saliency_of_a_trained_model(tiny_model, dataset):
    model = store.load_model(tiny_model)
    maps = ev.saliency_maps(model, dataset.x_test[:4], dataset.y_test[:4])
    assert maps.shape == (4, 28, 28) and np.isfinite(maps).all()
    assert (maps.max(axis=(1, 2)) > 0).all()


def test_saliency_refuses_bad_arguments():
    with pytest.raises(ValueError, match="saliency method"):
        ev.saliency_maps(None, np.zeros((1, 28, 28)), [0], method="magic")
    with pytest.raises(ValueError, match="n class indices"):
        ev.saliency_maps(None, np.zeros((2, 28, 28)), [0])


def test_pictures_are_crisp_rgb():
    image = np.arange(28 * 28, dtype=np.float32).reshape(28, 28) % 256
    thumbnail = ev.grayscale_rgb(image, 3)
    assert thumbnail.shape == (84, 84, 3) and thumbnail.dtype == np.uint8
    assert (thumbnail[:3, :3] == thumbnail[0, 0]).all() and thumbnail[0, 3, 0] != thumbnail[0, 0, 0]
    overlay = ev.saliency_overlay(image, np.ones((28, 28)), factor=4)
    assert overlay.shape == (112, 112, 3) and overlay.dtype == np.uint8
    assert overlay[..., 0].mean() > overlay[..., 2].mean()  # hot colours where salient
    first, second = np.zeros((28, 28)), np.zeros((28, 28))
    first[0, 0], second[0, 1] = 255, 255
    difference = ev.difference_rgb(first, second)
    assert tuple(difference[0, 0]) == (200, 30, 40)  # brighter in the first: red
    assert tuple(difference[0, 1]) == (30, 80, 200)  # brighter in the second: blue
    assert tuple(difference[5, 5]) == (255, 255, 255)  # equal: white
    with pytest.raises(ValueError, match="at least 1"):
        ev.upscale(image, 0)


# -- python -m core evaluate -----------------------------------------------------------------
def _cli(*args: str, runs_dir) -> subprocess.CompletedProcess:
    """`python -m core *args` in this process (tests/cli.py), with ``runs_dir`` as the runs folder."""
    return run_cli(*args, env={store.ENV_RUNS_DIR: str(runs_dir)})


@pytest.mark.slow  # the CLI end to end, on real models
def test_cli_prints_the_report_as_json(tiny_model, runs_dir):
    done = _cli("evaluate", tiny_model.model_id, runs_dir=runs_dir)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["model_id"] == tiny_model.model_id
    assert report["accuracy"] == pytest.approx(tiny_model.meta.test_accuracy, abs=1e-6)
    assert len(report["per_class"]) == 10


def test_cli_fails_cleanly(tiny_model, tmp_path):
    truncated = tmp_path / "truncated"
    shutil.copytree(tiny_model.path, truncated)
    model_file = truncated / store.MODEL_FILE
    model_file.write_bytes(model_file.read_bytes()[:500])
    for model_id, message in (
        ("no-such-model", "No model called 'no-such-model'"),
        ("truncated", "could not be loaded"),
    ):
        done = _cli("evaluate", model_id, runs_dir=tmp_path)
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""
        assert "Traceback" not in done.stderr
        last = done.stderr.strip().splitlines()[-1]
        assert last.startswith("error: ") and message in last
