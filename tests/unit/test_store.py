"""Artifacts: safe names, atomic saves, broken folders listed as broken, safe loading."""

import json
import os
import shutil
import time

import numpy as np
import pytest

from core.models import store


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../../etc/passwd", "may not contain"),
        ("a/b", "may not contain"),
        ("a\\b", "may not contain"),
        ("..", "may not contain"),
        ("   ", "Give the model a name"),
        ("", "Give the model a name"),
        ("x" * 500, "500 characters long"),
        ("!!!", "at least one letter or digit"),
        (None, "must be text"),
    ],
)
def test_bad_names_are_refused(name, message):
    with pytest.raises(ValueError, match=message):
        store.sanitize_name(name)


def test_names_are_cleaned():
    assert store.sanitize_name("  My first CNN!  ") == "My-first-CNN"
    assert store.sanitize_name("shirt_vs_tee.v2") == "shirt_vs_tee.v2"
    assert store.sanitize_name(".hidden") == "hidden"
    assert store.sanitize_name("modèle à moi") == "modele-a-moi"


def test_unique_id_never_overwrites(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run-2").mkdir()
    assert store.unique_id(tmp_path, "run") == "run-3"


def test_saved_artifact_round_trips(tiny_model):
    assert tiny_model.ok and tiny_model.meta.arch == "mlp_128"
    meta = tiny_model.meta
    assert meta.params == 101_770 and 0.1 < meta.test_accuracy <= 1
    assert set(meta.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert meta.versions["tensorflow"] and meta.dataset_source
    assert (tiny_model.path / "history.csv").read_text().startswith("epoch,")
    probabilities = store.load_probabilities(tiny_model)
    assert probabilities.shape == (10000, 10)
    model = store.load_model(tiny_model)
    assert model.count_params() == meta.params


def _copy(artifact, root, name):
    target = root / name
    shutil.copytree(artifact.path, target)
    return target


def test_broken_artifacts_are_listed_as_broken(tiny_model, tmp_path):
    _copy(tiny_model, tmp_path, "good")
    truncated = _copy(tiny_model, tmp_path, "truncated")
    model_file = truncated / store.MODEL_FILE
    model_file.write_bytes(model_file.read_bytes()[:500])
    (_copy(tiny_model, tmp_path, "bad-json") / store.META_FILE).write_text("{not json")
    (_copy(tiny_model, tmp_path, "no-meta") / store.META_FILE).unlink()
    (_copy(tiny_model, tmp_path, "no-model") / store.MODEL_FILE).unlink()
    (_copy(tiny_model, tmp_path, "wrong-schema") / store.META_FILE).write_text(json.dumps({"model_id": "x"}))
    (tmp_path / ".partial-abc").mkdir()  # a save that never finished

    listed = {artifact.model_id: artifact for artifact in store.list_artifacts([tmp_path])}
    assert set(listed) == {"good", "truncated", "bad-json", "no-meta", "no-model", "wrong-schema"}
    assert listed["good"].ok
    assert "Expecting property name" in listed["bad-json"].error
    assert listed["no-meta"].error == "meta.json is missing"
    assert listed["no-model"].error == "model.keras is missing"
    assert "meta.json lacks" in listed["wrong-schema"].error
    # A truncated zip passes the listing (its meta is fine) but refuses to load, clearly.
    with pytest.raises(store.ArtifactError, match="'truncated' could not be loaded"):
        store.load_model(listed["truncated"])
    assert store.load_model(listed["good"]).count_params() == tiny_model.meta.params


def test_save_is_atomic_when_writing_fails(tiny_model, tmp_path):
    class ExplodingModel:
        def save(self, path):
            path.write_bytes(b"half")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        store.save(ExplodingModel(), tiny_model.meta, tmp_path, np.zeros((2, 10)))
    assert list(tmp_path.iterdir()) == []
    assert store.list_artifacts([tmp_path]) == []


def test_unknown_model_id():
    with pytest.raises(store.ArtifactError, match="No model called 'nope'"):
        store.find("nope")


def test_new_ids_never_shadow_shipped_models(tmp_path):
    shipped = [a.model_id for a in store.list_artifacts([store.SHIPPED_DIR])]
    assert shipped, "the repository ships pretrained models"
    assert store.unique_id(tmp_path, shipped[0]) == f"{shipped[0]}-2"


def test_dead_partial_saves_are_swept_but_fresh_ones_kept(tmp_path):
    dead, fresh = tmp_path / ".partial-dead", tmp_path / ".partial-fresh"
    for folder in (dead, fresh):
        folder.mkdir()
        (folder / store.MODEL_FILE).write_bytes(b"half a model")
    (tmp_path / "kept-model").mkdir()
    an_hour_ago = time.time() - 3700
    os.utime(dead, (an_hour_ago, an_hour_ago))
    assert store.sweep_partial_saves(tmp_path) == [dead]
    assert sorted(path.name for path in tmp_path.iterdir()) == [".partial-fresh", "kept-model"]
