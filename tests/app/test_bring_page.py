"""The Bring a model page through AppTest: a TensorFlow 2.15 notebook model and a run's bundle uploaded,
each becoming this browser's run; a renamed text file refused in one sentence."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from core.models import bundles, store
from tests.app.conftest import open_page
from tests.conftest import REPO_ROOT
from ui.shared import state

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "keras2"


@pytest.fixture
def runs(tmp_path, monkeypatch):
    root = tmp_path / "runs"
    monkeypatch.setenv(store.ENV_RUNS_DIR, str(root))
    return root


def open_bring() -> AppTest:
    return open_page("bring")


def test_a_notebook_model_is_imported_with_its_decisions_and_accuracy(runs):
    recorded = json.loads((FIXTURES / "accuracies.json").read_text())["keras2-cnn"]
    at = open_bring()
    assert at.button(key="bring-import").disabled
    at.file_uploader(key="bring-model-file").set_value(
        ("keras2-cnn.h5", (FIXTURES / "keras2-cnn.h5").read_bytes(), "application/octet-stream")
    ).run()
    at.text_input(key="bring-model-name").input("my notebook cnn").run()
    at.button(key="bring-import").click().run()
    assert not at.exception and not at.error

    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics == {"Input": "28 × 28 × 1", "Pixels": "0-1", "Output": "probabilities"}
    assert "Imported **my-notebook-cnn**" in at.success[0].value
    saved = store.find("my-notebook-cnn", [runs])
    assert abs(saved.meta.test_accuracy - recorded["test_accuracy"]) <= 0.001
    assert saved.meta.owner and saved.meta.notes["source_file"] == "keras2-cnn.h5"
    assert at.session_state[state.SELECTED_MODEL] == "my-notebook-cnn"  # Evaluate opens on it


def test_a_renamed_file_is_refused_in_one_sentence_and_nothing_is_saved(runs):
    at = open_bring()
    at.file_uploader(key="bring-model-file").set_value(("notes.h5", b"just notes", "application/octet-stream")).run()
    at.button(key="bring-import").click().run()
    assert not at.exception and not at.success
    assert "not an HDF5 file" in at.error[0].value
    assert not runs.exists() or not list(runs.iterdir())


def test_a_bundle_comes_back_as_this_browsers_run(runs, tiny_model):
    data = bundles.bundle(tiny_model)
    at = open_bring()
    at.file_uploader(key="bring-bundle-file").set_value((f"{tiny_model.model_id}.zip", data, "application/zip")).run()
    at.button(key="bring-bundle").click().run()
    assert not at.exception and not at.error
    assert "is back among your runs" in at.success[0].value
    (artifact,) = store.list_artifacts([runs])
    assert artifact.meta.owner and artifact.meta.owner != tiny_model.meta.owner
