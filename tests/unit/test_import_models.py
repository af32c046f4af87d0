"""Bring your own model (issue 26): each classic notebook's model, saved by plain Keras as .keras and .h5,
imports with the test accuracy plain Keras measures; hostile or unfit files are refused in one sentence,
nothing is saved and no code from a file runs."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers

from core import cli
from core.models import importing, store
from tests.unit.test_security import MARKER, hostile_model

TRAIN_IMAGES = 2000
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keras2"


def relu(units: int) -> layers.Dense:
    return layers.Dense(units, activation="relu")


def classifier(*stack, logits: bool = False) -> keras.Model:
    """The layers, then ten outputs: softmax as the notebooks end, or plain logits."""
    return keras.Sequential([*stack, layers.Dense(10, activation=None if logits else "softmax")])


def notebook_000() -> keras.Model:
    """000: the MLP 512-256 with Dropout 0.2 after each hidden layer."""
    return classifier(
        keras.Input((28, 28)), layers.Flatten(), relu(512), layers.Dropout(0.2), relu(256), layers.Dropout(0.2)
    )


def notebook_001() -> keras.Model:
    """001: flattened 784 inputs, 256-128-64 each with BatchNormalization, LeakyReLU and Dropout."""
    stack = [keras.Input((784,))]
    for units in (256, 128, 64):
        stack += [layers.Dense(units), layers.BatchNormalization(), layers.LeakyReLU(), layers.Dropout(0.3)]
    return classifier(*stack)


def notebook_002() -> keras.Model:
    """002: Flatten, 512 + Dropout 0.3, 256 + Dropout 0.3, 128, softmax (567,434 parameters)."""
    return classifier(
        keras.Input((28, 28)),
        layers.Flatten(),
        relu(512),
        layers.Dropout(0.3),
        relu(256),
        layers.Dropout(0.3),
        relu(128),
    )


def notebook_003() -> keras.Model:
    """003: its shallow CNN, two convolutions and a dropout layer, on (28, 28, 1)."""
    convolutions = [
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"),
    ]
    return classifier(
        keras.Input((28, 28, 1)), *convolutions, layers.MaxPooling2D(), layers.Flatten(), layers.Dropout(0.5)
    )


def notebook_004() -> keras.Model:
    """004, as written there: Flatten(input_shape=(28,28)) then Dense 784-392-196-49, softmax."""
    return classifier(layers.Flatten(input_shape=(28, 28)), relu(784), relu(392), relu(196), relu(49))


def raw_pixels_mlp() -> keras.Model:
    """Notebook 000's baseline MLP 128, trained on raw 0-255 pixels (its "without normalization" run)."""
    return classifier(keras.Input((28, 28)), layers.Flatten(), relu(128))


def logits_cnn() -> keras.Model:
    """A CNN ending in a plain Dense(10): logits, trained with from_logits=True."""
    return classifier(
        keras.Input((28, 28, 1)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        logits=True,
    )


# name: (builder, pixels the notebook feeds, whether it outputs logits)
CASES = {
    "000": (notebook_000, importing.PIXELS_0_1, False),
    "001": (notebook_001, importing.PIXELS_0_1, False),
    "002": (notebook_002, importing.PIXELS_0_1, False),
    "003": (notebook_003, importing.PIXELS_0_1, False),
    "004": (notebook_004, importing.PIXELS_0_1, False),
    "raw-0-255": (raw_pixels_mlp, importing.PIXELS_0_255, False),
    "logits": (logits_cnn, importing.PIXELS_0_1, True),
}


def fed(model: keras.Model, images: np.ndarray, scale: str) -> np.ndarray:
    pixels = images.astype(np.float32).reshape((len(images), *model.inputs[0].shape[1:]))
    return pixels / 255.0 if scale == importing.PIXELS_0_1 else pixels


@pytest.fixture(scope="module")
def trained(dataset, tmp_path_factory) -> dict[str, tuple[Path, float]]:
    """Each case trained 1 epoch on 2,000 images, saved as .keras and .h5, with plain Keras's test accuracy."""
    folder = tmp_path_factory.mktemp("notebooks")
    found = {}
    for name, (build, scale, logits) in CASES.items():
        keras.utils.set_random_seed(1)
        model = build()
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=logits)
        model.compile(keras.optimizers.Adam(5e-4 if name == "002" else 1e-3), loss, metrics=["accuracy"])
        model.fit(
            fed(model, dataset.x_train[:TRAIN_IMAGES], scale), dataset.y_train[:TRAIN_IMAGES], epochs=1, verbose=0
        )
        _, accuracy = model.evaluate(fed(model, dataset.x_test, scale), dataset.y_test, batch_size=1000, verbose=0)
        for suffix in (".keras", ".h5"):
            model.save(folder / f"notebook-{name}{suffix}")
        found[name] = (folder, float(accuracy))
    return found


@pytest.mark.slow  # six notebook models trained and saved twice (the trained fixture)
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("name", list(CASES))
def test_a_notebook_model_imports_with_the_accuracy_plain_keras_measures(trained, dataset, tmp_path, name, suffix):
    folder, keras_accuracy = trained[name]
    path = folder / f"notebook-{name}{suffix}"
    result = importing.import_model(path.read_bytes(), path.name, dataset, owner="me", root=tmp_path)

    _, scale, logits = CASES[name]
    assert result.decisions.pixel_scale == scale
    assert result.decisions.output == (importing.LOGITS if logits else importing.SOFTMAX)
    assert abs(result.test_accuracy - keras_accuracy) <= 0.001, (result.test_accuracy, keras_accuracy)
    # an ordinary run: listed, mine, safe-mode loadable, raw (28, 28) pixels in, probabilities out
    artifact = store.find(result.artifact.model_id, [tmp_path])
    assert artifact.meta.owner == "me" and artifact.meta.notes["source_file"] == path.name
    assert artifact.meta.notes["pixel_scale"] == scale
    reloaded = store.load_model(artifact)
    assert tuple(reloaded.inputs[0].shape[1:]) == (28, 28)
    probabilities = store.predict_probabilities(reloaded, dataset.x_test[:50])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    np.testing.assert_allclose(probabilities, store.load_probabilities(artifact)[:50], atol=1e-5)


@pytest.mark.slow
def test_inside_sees_an_imported_notebooks_layers(trained, dataset, tmp_path):
    from core.understand import inspection

    folder, _ = trained["003"]
    result = importing.import_model((folder / "notebook-003.h5").read_bytes(), "cnn.h5", dataset, root=tmp_path)
    anatomy = inspection.anatomy(store.load_model(result.artifact))
    assert len(anatomy.convolutions) == 2


@pytest.mark.parametrize("name", ["keras2-mlp-004", "keras2-cnn"])
def test_h5_files_written_by_tensorflow_2_15_keras_2_import_with_their_recorded_accuracy(dataset, tmp_path, name):
    recorded = json.loads((FIXTURES / "accuracies.json").read_text())
    path = FIXTURES / f"{name}.h5"
    result = importing.import_model(path.read_bytes(), path.name, dataset, root=tmp_path)
    assert result.decisions.pixel_scale == recorded[name]["pixel_scale"]
    assert abs(result.test_accuracy - recorded[name]["test_accuracy"]) <= 0.001


# --- refusals: one sentence each, nothing saved, no code run, no temp file left ---------------------------


def save_bytes(model: keras.Model, suffix: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"model{suffix}"
        model.save(path)
        return path.read_bytes()


def zip_bomb() -> bytes:
    """A .keras-looking zip of about 100 KB that unpacks to 100 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("model.weights.h5", "w") as member:
        for _ in range(100):
            member.write(bytes(1_000_000))
    return buffer.getvalue()


def small(input_shape=(28, 28), classes=10) -> keras.Model:
    return keras.Sequential([keras.Input(input_shape), layers.Flatten(), layers.Dense(classes, activation="softmax")])


@pytest.fixture()
def refused(dataset, tmp_path, monkeypatch):
    """Import and expect a refusal: returns its message after checking nothing was saved or left behind."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "runs"

    def attempt(data: bytes, filename: str, caps: importing.Caps | None = None) -> str:
        leftovers = set(Path(tempfile.gettempdir()).glob("fms-import-*"))
        with pytest.raises(importing.ImportRefused) as caught:
            importing.import_model(data, filename, dataset, root=root, caps=caps)
        message = str(caught.value)
        assert "\n" not in message and "Traceback" not in message
        assert not root.exists() or not list(root.iterdir()), "a refused model was saved"
        assert set(Path(tempfile.gettempdir()).glob("fms-import-*")) <= leftovers, "the upload's temp file stayed"
        return message

    return attempt


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_lambda_layer_is_refused_by_name_and_its_code_never_runs(refused, tmp_path, suffix):
    data = save_bytes(hostile_model(), suffix)
    (tmp_path / MARKER).unlink(missing_ok=True)  # building the model ran the lambda once, here
    assert "Lambda" in refused(data, f"hostile{suffix}")
    assert not (tmp_path / MARKER).exists()


def test_a_custom_layer_is_refused_by_name(refused):
    @keras.saving.register_keras_serializable("tests")
    class Doubler(layers.Layer):
        def call(self, inputs):
            return inputs * 2

    data = save_bytes(
        keras.Sequential([keras.Input((28, 28)), layers.Flatten(), Doubler(), layers.Dense(10)]), ".keras"
    )
    keras.saving.get_custom_objects().pop("tests>Doubler")
    assert "Doubler" in refused(data, "custom.keras")


def test_broken_renamed_and_oversized_files_are_refused(refused, tmp_path):
    good = save_bytes(small(), ".keras")
    assert "truncated" in refused(good[: len(good) // 2], "cut.keras")
    h5 = save_bytes(small(), ".h5")
    assert "could not be read" in refused(h5[: len(h5) // 2], "cut.h5")
    assert "not an HDF5 file" in refused(b"just some notes\n" * 100, "notes.h5")
    assert "not a zip archive" in refused(h5, "renamed.keras")
    assert "upload a .keras or .h5" in refused(good, "model.pt")
    assert "MB" in refused(good, "big.keras", importing.Caps(max_bytes=1000))
    assert "unpack to 100 MB" in refused(zip_bomb(), "bomb.keras")


def test_models_that_do_not_fit_fashion_mnist_or_this_server_are_refused(refused, monkeypatch):
    assert "(32, 32, 3)" in refused(save_bytes(small((32, 32, 3)), ".keras"), "cifar.keras")
    assert "(1000,)" in refused(save_bytes(small(classes=1000), ".h5"), "imagenet.h5")
    monkeypatch.setenv(importing.ENV_MAX_IMPORT_PARAMS, "1000")
    assert importing.ENV_MAX_IMPORT_PARAMS in refused(save_bytes(small(), ".keras"), "many.keras")
    monkeypatch.delenv(importing.ENV_MAX_IMPORT_PARAMS)
    assert importing.ENV_MAX_IMPORT_SECONDS in refused(
        save_bytes(small(), ".keras"), "slow.keras", importing.Caps(max_seconds=1e-9)
    )


@pytest.mark.slow
def test_the_cli_imports_a_model_and_refuses_in_one_line(trained, tmp_path, capsys):
    folder, keras_accuracy = trained["004"]
    code = cli.main(["import", str(folder / "notebook-004.h5"), "--name", "nb-004", "--out", str(tmp_path)])
    answer = json.loads(capsys.readouterr().out)
    assert code == 0 and answer["model_id"] == "nb-004" and answer["pixel_scale"] == importing.PIXELS_0_1
    assert abs(answer["test_accuracy"] - keras_accuracy) <= 0.001
    (tmp_path / "notes.keras").write_text("not a model")
    assert cli.main(["import", str(tmp_path / "notes.keras"), "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and "\n" not in error
