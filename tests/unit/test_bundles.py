"""A run as one file (issue 26): a bundle downloads, and uploads back as the uploader's run; a hostile or
damaged bundle is refused in one sentence with nothing saved; the teacher's class export round-trips."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from core.models import bundles, importing, store
from tests.unit.test_import_models import save_bytes
from tests.unit.test_security import MARKER, hostile_model


def rezip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return buffer.getvalue()


def members_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_bundle_comes_back_as_the_uploaders_run_with_its_predictions(tiny_model, tmp_path):
    data = bundles.bundle(tiny_model)
    assert set(members_of(data)) == {store.MODEL_FILE, store.META_FILE, store.HISTORY_FILE, store.PROBABILITIES_FILE}

    artifact = bundles.import_bundle(data, "tiny-mlp.zip", owner="uploader", root=tmp_path)
    assert artifact.meta.owner == "uploader" and artifact.model_id.startswith("tiny-mlp")
    assert artifact.meta.test_accuracy == tiny_model.meta.test_accuracy
    assert artifact.meta.history == tiny_model.meta.history
    np.testing.assert_array_equal(store.load_probabilities(artifact), store.load_probabilities(tiny_model))
    assert store.load_model(store.find(artifact.model_id, [tmp_path])).count_params() == tiny_model.meta.params


def test_a_deleted_run_comes_back_from_its_bundle(tiny_model, tmp_path):
    first = bundles.import_bundle(bundles.bundle(tiny_model), "a.zip", owner="me", root=tmp_path)
    saved = bundles.bundle(first)
    store.delete_run(first.model_id, owner="me", root=tmp_path)
    again = bundles.import_bundle(saved, f"{first.model_id}.zip", owner="me", root=tmp_path)
    assert again.model_id == first.model_id and again.meta.owner == "me"


@pytest.fixture()
def refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "runs"

    def attempt(data: bytes) -> str:
        with pytest.raises(importing.ImportRefused) as caught:
            bundles.import_bundle(data, "run.zip", owner="me", root=root)
        assert "\n" not in str(caught.value)
        assert not root.exists() or not list(root.iterdir()), "a refused bundle was saved"
        return str(caught.value)

    return attempt


def test_hostile_or_damaged_bundles_are_refused_and_nothing_runs(tiny_model, refused, tmp_path):
    good = members_of(bundles.bundle(tiny_model))
    assert "'../model.keras'" in refused(rezip({**good, "../model.keras": b"x"}))
    assert "'/etc/passwd'" in refused(rezip({**good, "/etc/passwd": b"x"}))
    assert "'run.py'" in refused(rezip({**good, "run.py": b"print('hi')"}))
    assert "no model.keras" in refused(rezip({store.META_FILE: good[store.META_FILE]}))
    assert "meta.json" in refused(rezip({**good, store.META_FILE: b"{not json"}))
    assert "meta.json" in refused(rezip({**good, store.META_FILE: json.dumps(["a list"]).encode()}))
    assert "truncated" in refused(bundles.bundle(tiny_model)[:500])
    bomb = rezip({**good, store.HISTORY_FILE: bytes(100_000_000)})
    assert "unpack to" in refused(bomb)
    lambda_model = save_bytes(hostile_model(), ".keras")
    (tmp_path / MARKER).unlink(missing_ok=True)
    assert "Lambda" in refused(rezip({**good, store.MODEL_FILE: lambda_model}))
    assert not (tmp_path / MARKER).exists()


def test_the_teachers_class_export_restores_every_run_with_its_owner(tiny_model, tmp_path):
    other = bundles.import_bundle(bundles.bundle(tiny_model), "b.zip", owner="student-b", root=tmp_path / "old")
    data = bundles.class_bundle([tiny_model, other])
    broken = rezip({**members_of(data), "broken.zip": b"not a zip"})
    saved, refused = bundles.import_class_bundle(broken, "class.zip", root=tmp_path / "new")
    assert sorted(artifact.meta.owner for artifact in saved) == sorted([tiny_model.meta.owner, "student-b"])
    assert len(refused) == 1 and "broken.zip" in refused[0]
    with pytest.raises(importing.ImportRefused, match="not part of"):
        bundles.import_class_bundle(rezip({"../x.zip": b""}), "class.zip", root=tmp_path / "new")
