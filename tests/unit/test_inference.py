"""core.predict.inference: one compiled call for every model, broken models skipped, and the headless CLI."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import keras
import numpy as np
import pytest
from keras import layers

from core.data import CLASS_NAMES
from core.models import store, zoo
from core.predict import inference, preprocess
from tests.cli import run_cli, run_cli_process
from tests.unit import bad_inputs


def scores(*probabilities: float) -> np.ndarray:
    return np.asarray(probabilities + (0.0,) * (10 - len(probabilities)), np.float32)


def prediction(model_id: str, probabilities: np.ndarray) -> inference.ModelPrediction:
    return inference.ModelPrediction(model_id, model_id.upper(), inference.top_k(probabilities, 3), probabilities)


# --- pure helpers -----------------------------------------------------------------------------


def test_top_k_is_ordered_best_first_and_ties_go_to_the_lower_class():
    best = inference.top_k(scores(0.1, 0.3, 0.3, 0.05, 0.25), 3)
    assert [s.class_index for s in best] == [1, 2, 4]
    assert [s.class_name for s in best] == ["Trouser", "Pullover", "Coat"]
    assert best[0].probability == pytest.approx(0.3)
    assert len(inference.top_k(scores(1.0), 10)) == 10


@pytest.mark.parametrize("bad", [0, 11, -1, 2.5, "3", None, True])
def test_bad_top_k_is_refused_in_one_line(bad):
    with pytest.raises(ValueError, match=r"top-k must be a whole number from 1 to 10") as caught:
        inference.validate_top_k(bad)
    assert "\n" not in str(caught.value)


def test_consensus_and_disagreement_table():
    agree = [prediction("a", scores(0.9, 0.1)), prediction("b", scores(0.6, 0.4))]
    assert inference.consensus(agree) == inference.Consensus("T-shirt/top", 2, 2)
    assert inference.consensus(agree).unanimous and inference.disagreements(agree) == []

    split = [*agree, prediction("c", scores(0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.8))]
    agreed = inference.consensus(split)
    assert (agreed.class_name, agreed.votes, agreed.models, agreed.unanimous) == ("T-shirt/top", 2, 3, False)
    rows = inference.disagreements(split)
    assert [row["says"] for row in rows] == ["T-shirt/top", "T-shirt/top", "Shirt"]
    assert rows[2]["P(T-shirt/top)"] == pytest.approx(0.2) and rows[2]["probability"] == pytest.approx(0.8)

    tie = [prediction("a", scores(0.55, 0.45)), prediction("b", scores(0.1, 0.9))]
    assert inference.consensus(tie).class_name == "Trouser"  # one vote each; Trouser's summed probability is higher
    assert inference.consensus([]) is None


# --- the Predictor ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zoo_models() -> list[inference.NamedModel]:
    """Three untrained architectures (an MLP, a BN MLP, a CNN): enough to check the stacking."""
    keras.utils.set_random_seed(0)
    return [
        inference.NamedModel(key, zoo.get_spec(key).name, zoo.build(zoo.get_spec(key)))
        for key in ("mlp_128", "mlp_256_128_64_bn", "cnn_quick")
    ]


def test_predictor_matches_each_model_called_alone(zoo_models, dataset):
    predictor = inference.Predictor(zoo_models)
    assert predictor.model_ids == ("mlp_128", "mlp_256_128_64_bn", "cnn_quick") and predictor.skipped == ()
    image = dataset.x_test[3].astype(np.float32) / 255
    together = predictor.probabilities(image[None] * 255)
    for row, named in zip(together, zoo_models, strict=True):
        alone = np.asarray(named.model(image[None] * 255, training=False))[0]
        np.testing.assert_allclose(row, alone, rtol=1e-4, atol=1e-6)
    results = predictor.predict(image, 4)
    assert [r.model_id for r in results] == list(predictor.model_ids)
    for result, row in zip(results, together, strict=True):
        assert len(result.top) == 4 and result.best.class_index == int(np.argmax(row))
        assert result.best.class_name == CLASS_NAMES[int(np.argmax(row))]
        assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-4)


def test_predictor_never_uses_model_predict(zoo_models, dataset, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("model.predict must not be used for single images")

    monkeypatch.setattr(keras.Model, "predict", refuse)
    predictor = inference.Predictor(zoo_models)
    assert len(predictor.predict(dataset.x_test[0] / 255.0, 3)) == 3


def test_odd_models_are_skipped_and_the_rest_keep_working(zoo_models, dataset):
    five_classes = keras.Sequential([keras.Input((28, 28)), layers.Flatten(), layers.Dense(5, activation="softmax")])
    wrong_input = keras.Sequential([keras.Input((32, 32)), layers.Flatten(), layers.Dense(10, activation="softmax")])
    predictor = inference.Predictor(
        [
            inference.NamedModel("five", "Five classes", five_classes),
            zoo_models[0],
            inference.NamedModel("square-32", "32x32", wrong_input),
        ]
    )
    assert predictor.model_ids == ("mlp_128",)
    reasons = {item.model_id: item.reason for item in predictor.skipped}
    assert "not 10 class probabilities" in reasons["five"]
    assert "cannot take a 28×28 image" in reasons["square-32"]
    assert predictor.predict(dataset.x_test[0] / 255.0, 2)[0].model_id == "mlp_128"


def test_no_usable_model_is_a_clear_error():
    with pytest.raises(inference.NoModelsError, match="No model could be used"):
        inference.Predictor([])
    odd = keras.Sequential([keras.Input((28, 28)), layers.Flatten(), layers.Dense(3)])
    with pytest.raises(inference.NoModelsError, match=r"odd: gives \(1, 3\) outputs") as caught:
        inference.Predictor([inference.NamedModel("odd", "Odd", odd)])
    assert [item.model_id for item in caught.value.skipped] == ["odd"]


def test_predict_checks_its_arguments(zoo_models):
    predictor = inference.Predictor(zoo_models[:1])
    with pytest.raises(ValueError, match="28×28"):
        predictor.predict(np.zeros((27, 28)), 3)
    with pytest.raises(ValueError, match="top-k"):
        predictor.predict(np.zeros((28, 28)), 0)


# --- with saved artifacts ---------------------------------------------------------------------


@pytest.fixture
def models_folder(tiny_model, tmp_path):
    """A copy of the tiny model, a broken copy (a damaged zip) and a folder without meta.json."""
    shutil.copytree(tiny_model.path, tmp_path / "good")
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model.path, broken)
    (broken / store.MODEL_FILE).write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "no-meta").mkdir()
    (tmp_path / "no-meta" / store.MODEL_FILE).write_bytes(b"x")
    return tmp_path


def test_load_predictor_skips_broken_artifacts_by_name(models_folder, dataset):
    predictor = inference.load_predictor(roots=[models_folder])
    assert predictor.model_ids == ("good",)
    reasons = {item.model_id: item.reason for item in predictor.skipped}
    assert set(reasons) == {"broken", "no-meta"}
    assert "could not be loaded" in reasons["broken"] and "meta.json is missing" in reasons["no-meta"]
    assert predictor.predict(dataset.x_test[0] / 255.0)[0].model_id == "good"


def test_a_second_folder_with_the_same_id_is_hidden_not_shown_twice(models_folder, tiny_model):
    second = models_folder / "second-root"
    shutil.copytree(tiny_model.path, second / "good")
    predictor = inference.load_predictor(roots=[models_folder, second])
    assert predictor.model_ids == ("good",)
    (hidden,) = [item for item in predictor.skipped if item.hidden]
    assert hidden.model_id == "good" and "hidden by another model with the same id" in hidden.reason
    assert str(second / "good") in hidden.reason


def test_load_predictor_for_one_named_model(models_folder):
    assert inference.load_predictor("good", roots=[models_folder]).model_ids == ("good",)
    with pytest.raises(store.ArtifactError, match="could not be loaded"):
        inference.load_predictor("broken", roots=[models_folder])
    with pytest.raises(store.ArtifactError, match="No model called 'nope'"):
        inference.load_predictor("nope", roots=[models_folder])
    with pytest.raises(inference.NoModelsError, match="Train one first"):
        inference.load_predictor(roots=[models_folder / "empty"])


@pytest.fixture(scope="module")
def best_model(tiny_model) -> store.Artifact:
    """The best shipped model, or the tiny model trained for the tests when none is shipped."""
    shipped = [a for a in store.list_artifacts([store.SHIPPED_DIR]) if a.ok]
    return max(shipped, key=lambda a: a.meta.test_accuracy) if shipped else tiny_model


def test_a_test_image_drawn_as_a_photo_gets_the_same_answer(best_model, dataset):
    """Ten test images the model is sure of, enlarged 10x, dark on white, JPEG: same top-1."""
    model = store.load_model(best_model)
    predictor = inference.Predictor([inference.NamedModel(best_model.model_id, best_model.meta.display_name, model)])
    candidates = dataset.x_test[:400]
    probabilities = np.concatenate([predictor.probabilities(image[None].astype(np.float32)) for image in candidates])
    sure = np.flatnonzero((probabilities.max(axis=1) > 0.9) & (probabilities.argmax(axis=1) == dataset.y_test[:400]))
    chosen = np.random.default_rng(0).choice(sure, 10, replace=False)
    for index in chosen:
        photo = preprocess.render_as_photo(dataset.x_test[index], side=280, dark_on_light=True)
        prepared = preprocess.preprocess(photo)
        assert prepared.inverted
        answer = predictor.predict(prepared.image, 1)[0].best
        assert answer.class_index == probabilities[index].argmax(), f"test image {index}"


def test_predict_file_gives_json_ready_results(tiny_model, tmp_path, dataset):
    image = tmp_path / "boot.jpg"
    image.write_bytes(preprocess.render_as_photo(dataset.x_test[0]))
    result = inference.predict_file(str(image), top_k=4, model_id=tiny_model.model_id)
    assert json.loads(json.dumps(result)) == result
    assert result["image"] == str(image) and result["top_k"] == 4 and result["inverted"] is True
    assert result["warnings"] == [] and result["skipped"] == [] and result["maybe_not_a_garment"] is False
    (only,) = result["predictions"]
    assert only["model_id"] == tiny_model.model_id and only["display_name"] == tiny_model.meta.display_name
    assert [entry["class"] for entry in only["top_k"]][0] == "Ankle boot"
    assert len(only["top_k"]) == 4 and all(0 <= entry["probability"] <= 1 for entry in only["top_k"])
    assert result["consensus"] == {"class": "Ankle boot", "votes": 1, "models": 1}


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda folder: folder / "missing.png", r"No such file"),
        (lambda folder: folder, r"is a folder, not an image file"),
    ],
)
def test_predict_file_refuses_what_is_not_a_file(tmp_path, setup, message):
    with pytest.raises(preprocess.ImageError, match=message):
        inference.predict_file(str(setup(tmp_path)))


# --- the CLI, as a user runs it ---------------------------------------------------------------


def predict_cli(*args: str, runs_dir) -> subprocess.CompletedProcess:
    """`python -m core predict *args` in this process (tests/cli.py), with ``runs_dir`` as the runs folder."""
    return run_cli("predict", *args, env={store.ENV_RUNS_DIR: str(runs_dir)})


@pytest.mark.slow  # the real `python -m core predict`, importing TensorFlow
def test_cli_prints_json_for_a_good_image(tiny_model, runs_dir, tmp_path, dataset):
    image = tmp_path / "sneaker.png"
    image.write_bytes(preprocess.render_as_photo(dataset.x_test[0], image_format="PNG"))
    done = run_cli_process("predict", str(image), "--top-k", "2", env={store.ENV_RUNS_DIR: str(runs_dir)})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["top_k"] == 2
    assert tiny_model.model_id in [entry["model_id"] for entry in result["predictions"]]
    assert all(len(entry["top_k"]) == 2 for entry in result["predictions"])


def test_cli_json_says_in_words_when_the_picture_is_no_garment(tiny_model, runs_dir, tmp_path):
    """A checkerboard through the real CLI: `warnings` says why, and what the models can tell."""
    from core.predict import photo_set

    image = tmp_path / "board.jpg"
    image.write_bytes(photo_set.not_garment("checkerboard", np.random.default_rng(4)))
    done = predict_cli(str(image), "--model", tiny_model.model_id, runs_dir=runs_dir)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["maybe_not_a_garment"] is True
    doubts = [text for text in result["warnings"] if text.startswith("This may not be a garment")]
    assert doubts and all(text.endswith(".") for text in doubts)
    assert result["warnings"][-1].startswith("The models know only ten kinds of clothing")
    assert result["predictions"][0]["top_k"]  # still answered


def test_cli_answers_several_files_one_json_line_each(tiny_model, runs_dir, tmp_path, dataset):
    """A garment, no garment and a broken file in one call: one line each, the lead answer or null, exit 2."""
    from core.predict import photo_set

    boot, board, broken = tmp_path / "boot.jpg", tmp_path / "board.jpg", tmp_path / "notes.png"
    boot.write_bytes(preprocess.render_as_photo(dataset.x_test[0]))
    board.write_bytes(photo_set.not_garment("checkerboard", np.random.default_rng(4)))
    broken.write_bytes(b"Shopping list: 2 T-shirts\n")
    done = predict_cli(str(boot), str(board), str(broken), "--model", tiny_model.model_id, runs_dir=runs_dir)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    first, second, third = (json.loads(line) for line in done.stdout.splitlines())
    assert first["image"] == str(boot) and first["maybe_not_a_garment"] is False
    assert first["answer"] == {
        "class": "Ankle boot",
        "probability": first["predictions"][0]["top_k"][0]["probability"],
        "model_id": tiny_model.model_id,
    }
    assert second["image"] == str(board) and second["maybe_not_a_garment"] is True and second["answer"] is None
    assert second["predictions"][0]["top_k"]  # still answered, as a guess
    assert third["image"] == str(broken) and "holds text, not an image" in third["error"]


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("text renamed .png", (), "holds text, not an image"),
        ("truncated JPEG", (), "JPEG file is damaged or cut off"),
        ("SVG", (), "SVG is a vector drawing"),
        ("empty file", (), r"empty \(0 bytes\)"),
        (None, ("--top-k", "0"), "top-k must be a whole number from 1 to 10"),
        (None, ("--model", "no-such-model"), "No model called 'no-such-model'"),
    ],
)
def test_cli_fails_in_one_line_with_exit_2(name, args, message, tiny_model, runs_dir, tmp_path, dataset):
    image = tmp_path / "input.png"
    build = bad_inputs.BAD[name][0] if name else (lambda garment: preprocess.render_as_photo(garment))
    image.write_bytes(build(dataset.x_test[0]))
    done = predict_cli(str(image), *args, runs_dir=runs_dir)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, done.stderr
    assert re.search(message, lines[0]), lines[0]
