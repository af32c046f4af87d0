"""Security: models load in Keras safe mode (no code from a file runs), nothing a visitor types
becomes a path, and an uploaded image is decoded in memory, never written to disk."""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from core.models import store, zoo
from core.predict import preprocess
from core.training import estimate, jobs
from tests.unit import bad_inputs

MARKER = "lambda-code-ran"  # the file the hostile lambda creates in the working directory


def hostile_model() -> keras.Model:
    """A working classifier whose Lambda layer runs Python code: it touches MARKER."""
    inputs = keras.Input((28, 28))
    x = keras.layers.Flatten()(inputs)
    # (a literal, not MARKER: a deserialized lambda does not see this module's globals)
    x = keras.layers.Lambda(lambda t: (__import__("pathlib").Path("lambda-code-ran").touch(), t)[1])(x)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))


def test_a_model_file_with_python_code_is_refused_and_the_code_never_runs(tiny_model, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "runs" / "hostile"
    folder.mkdir(parents=True)
    shutil.copy(tiny_model.path / store.META_FILE, folder / store.META_FILE)  # a valid meta.json
    hostile_model().save(folder / store.MODEL_FILE)
    marker = tmp_path / MARKER
    assert marker.exists()  # building the model ran the lambda once: the marker works
    marker.unlink()

    artifact = store.find("hostile", [tmp_path / "runs"])
    assert artifact.ok  # the folder looks fine; only loading can tell
    with pytest.raises(store.ArtifactError, match=r"'hostile' could not be loaded \(Requested the deserialization"):
        store.load_model(artifact)
    assert not marker.exists(), "loading the model ran the Python code inside it"

    # The control: without safe mode the same file does run its code, so the check above can fail.
    keras.saving.load_model(folder / store.MODEL_FILE, compile=False, safe_mode=False)
    assert marker.exists()


# -- names -----------------------------------------------------------------------------------------
HOSTILE_NAMES = [
    "../../escape",
    "a/b",
    "a\\b",
    "/etc/passwd",
    "x" * 500,
    "   ",
    "",
    "\u2025\uff0fescape",  # "‥／escape": NFKC turns it into "../escape"
    "\x00",
]


def all_paths(folder: Path) -> set[Path]:
    return {path.relative_to(folder) for path in folder.rglob("*")}


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_model_name_is_refused_before_any_work(name, tmp_path, monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("training started for a refused name")

    monkeypatch.setattr(jobs, "prepare_data", no_work)
    monkeypatch.setattr(zoo, "build", no_work)
    root = tmp_path / "deep" / "in" / "runs"
    spec = zoo.get_spec("mlp_128")
    with pytest.raises(ValueError, match="name"):
        jobs.TrainingJob(spec, zoo.with_overrides(spec, epochs=1, subset=1000), name, root=root)
    assert all_paths(tmp_path) == set()  # not even the runs folder was made


class MustNotBeSaved:
    def save(self, path):
        raise AssertionError(f"a model was written to {path}")


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_store_save_refuses_a_hostile_model_id(name, tiny_model, tmp_path):
    """The second line of defence: the store itself never writes under a hostile id."""
    root = tmp_path / "deep" / "in" / "runs"
    with pytest.raises(ValueError, match="name"):
        store.save(MustNotBeSaved(), replace(tiny_model.meta, model_id=name), root)
    assert all_paths(tmp_path) <= {Path("deep"), Path("deep/in"), Path("deep/in/runs")}
    assert not any(root.iterdir())


def test_a_cleaned_name_becomes_one_folder_directly_in_the_runs_root(dataset, tmp_path):
    root = tmp_path / "runs"
    spec = zoo.get_spec("mlp_128")
    job = jobs.TrainingJob(spec, zoo.with_overrides(spec, epochs=1, subset=1000, seed=3), "  my model!  ", root=root)
    progress = job.run(dataset)
    assert progress.state == jobs.DONE, progress.message
    assert progress.model_id == "my-model"
    saved = store.find("my-model", [root])
    assert saved.ok and saved.meta.display_name == "my-model"  # the id is its name everywhere: no two runs look alike
    assert saved.path.resolve().parent == root.resolve()
    # Everything written is that one folder and its files, plus the runs folder's own measured-throughput
    # book (core.training.estimate): nothing else beside it, nothing half-saved.
    folder = Path("runs", "my-model")
    book = Path("runs", estimate.BOOK_FILE)
    assert {path.parent for path in all_paths(tmp_path)} == {Path("."), Path("runs"), folder}
    assert {path for path in all_paths(tmp_path) if path.parent != folder} == {Path("runs"), folder, book}


@pytest.mark.parametrize("model_id", ["../runs/real", "sub/../real", "./real", "/real", "real/"])
def test_a_model_id_from_the_url_is_looked_up_never_joined_to_a_path(model_id, tiny_model, tmp_path):
    """?model=... on the Evaluate page goes through store.find: only listed ids match."""
    root = tmp_path / "runs"
    shutil.copytree(tiny_model.path, root / "real")
    (root / "sub").mkdir()
    assert store.find("real", [root]).ok  # the control: the plain id is found
    with pytest.raises(store.ArtifactError, match="No model called"):
        store.find(model_id, [root])


# -- uploads ---------------------------------------------------------------------------------------
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


@contextlib.contextmanager
def no_disk_writes(monkeypatch):
    """Fail (and record) any open for writing: builtins.open, io.open (Path.write_*, Pillow's save)
    and os.open (tempfile, low-level writes). Yields the list of attempts, for the test to check."""
    attempts: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def guarded_open(file, mode="r", *args, **kwargs):
        if any(flag in mode for flag in "wax+"):
            attempts.append(f"open({file!r}, {mode!r})")
            raise PermissionError(f"test guard: no writing to disk ({file})")
        return real_open(file, mode, *args, **kwargs)

    def guarded_os_open(path, flags, *args, **kwargs):
        if flags & WRITE_FLAGS:
            attempts.append(f"os.open({path!r}, {flags:#o})")
            raise PermissionError(f"test guard: no writing to disk ({path})")
        return real_os_open(path, flags, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(builtins, "open", guarded_open)
        patch.setattr(io, "open", guarded_open)
        patch.setattr(os, "open", guarded_os_open)
        yield attempts


def test_the_write_guard_catches_writes(monkeypatch, tmp_path):
    """The control for the next test: a file save, a temp file and a Path write are all caught."""
    with no_disk_writes(monkeypatch) as attempts:
        with pytest.raises(PermissionError):
            Image.new("L", (28, 28)).save(tmp_path / "upload.png")
        with pytest.raises(PermissionError):
            tempfile.TemporaryFile()  # noqa: SIM115 - it must fail before there is a file to close
        with pytest.raises(PermissionError):
            (tmp_path / "upload.bin").write_bytes(b"x")
        with pytest.raises(PermissionError):
            tempfile.mkstemp()
    assert any("upload.png" in attempt for attempt in attempts)
    assert any("upload.bin" in attempt for attempt in attempts)
    assert len(attempts) >= 4 and any(attempt.startswith("os.open") for attempt in attempts), attempts
    assert list(tmp_path.iterdir()) == []


def test_uploads_are_preprocessed_without_touching_disk(dataset, monkeypatch):
    garment = dataset.x_test[0]
    uploads = {
        "shop photo (JPEG)": preprocess.render_as_photo(garment),
        "PNG": preprocess.render_as_photo(garment, image_format="PNG"),
        **{name: build(garment) for name, (build, _) in bad_inputs.ODD_BUT_READABLE.items()},
    }
    bad = {name: build(garment) for name, (build, _) in bad_inputs.BAD.items()}
    drawing = np.zeros((280, 280, 4), np.uint8)
    drawing[60:220, 100:180] = 255  # a white block on the canvas, fully opaque

    with no_disk_writes(monkeypatch) as attempts:
        prepared = {name: preprocess.preprocess(data) for name, data in uploads.items()}
        refused = {}
        for name, data in bad.items():
            with pytest.raises(preprocess.ImageError) as error:
                preprocess.preprocess(data)
            refused[name] = str(error.value)
        sketch = preprocess.preprocess_pixels(drawing)
    assert attempts == [], f"preprocessing tried to write to disk: {attempts}"
    for name, result in prepared.items():
        assert result.image.shape == (28, 28), name
    assert sketch.image.shape == (28, 28)
    assert all("test guard" not in message for message in refused.values()), refused
