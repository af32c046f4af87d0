"""Inside a network: the anatomy of every shipped model, activations, first-layer weights,
Grad-CAM on real test images, and the embedding map (cache and ``python -m core embed``)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy.ndimage import binary_dilation

from core.data import CLASS_NAMES
from core.models import store, zoo
from core.understand import inspection as ins
from tests.cli import run_cli

SHIPPED = [artifact for artifact in store.list_artifacts([store.SHIPPED_DIR]) if artifact.ok]
CNNS = [artifact.model_id for artifact in SHIPPED if zoo.ZOO[artifact.meta.arch].family == "CNN"]


@pytest.fixture(scope="module")
def parts():
    return {artifact.model_id: ins.anatomy(store.load_model(artifact)) for artifact in SHIPPED}


def test_every_shipped_model_is_understood(parts, dataset):
    assert len(parts) == 11
    for artifact in SHIPPED:
        model_parts = parts[artifact.model_id]
        spec = zoo.ZOO[artifact.meta.arch]
        assert model_parts.family == spec.family, artifact.model_id
        assert model_parts.mirrored == spec.mirror_average, artifact.model_id
        assert model_parts.classifier.units == len(CLASS_NAMES)
        # the penultimate features feed the softmax layer: its kernel has one row per feature
        vectors = ins.features(model_parts, dataset.x_test[:50])
        assert vectors.shape == (50, model_parts.classifier.kernel.shape[0])
        assert np.all(np.isfinite(vectors)) and vectors.std() > 0


def test_activations_of_a_cnn_have_its_layers_shapes(parts, dataset):
    quick = parts["cnn_quick"]
    maps = ins.activations(quick, dataset.x_test[0])
    # two unpadded 3x3 convolutions with 2x2 pooling between: 28 -> 26 (-> 13) -> 11
    assert [value.shape for value in maps.values()] == [(26, 26, 16), (11, 11, 32), (128,)]
    assert [block.kind for block in quick.blocks] == ["conv", "conv", "dense"]
    for name, value in maps.items():
        block = next(block for block in quick.blocks if block.name == name)
        assert value.shape == tuple(quick.network.get_layer(block.output_layer).output.shape[1:])
        assert value.min() >= 0  # after the ReLU, as the next layer receives it
    ordered = ins.strongest_first(maps[quick.blocks[0].name])
    assert ordered.shape == (16, 26, 26)
    means = ordered.mean(axis=(1, 2))
    assert np.all(np.diff(means) <= 0) and means[0] > means[-1]


def test_studio_cnn_activations_come_from_inside_the_mirror_wrapper(parts, dataset):
    studio = parts["studio_cnn"]
    maps = ins.activations(studio, dataset.x_test[1])
    assert [value.shape for value in maps.values()] == [
        (28, 28, 32), (28, 28, 32), (14, 14, 64), (14, 14, 64), (7, 7, 128), (7, 7, 128), (256,)
    ]  # fmt: skip
    # BatchNorm and ReLU belong to their convolution's block: what the next layer receives
    assert all(value.min() >= 0 for value in maps.values())


def test_activations_of_an_mlp_have_its_layers_shapes(parts, dataset):
    mlp = parts["mlp_512_256_128_dropout"]
    maps = ins.activations(mlp, dataset.x_test[0])
    assert [value.shape for value in maps.values()] == [(512,), (256,), (128,)]
    templates = ins.first_layer_weights(mlp)
    assert templates.shape == (512, 28, 28)
    kernel = np.asarray(mlp.network.get_layer(mlp.blocks[0].name).kernel)
    # template of unit 7, pixel (row 3, column 5) is the weight from input 3 * 28 + 5
    assert templates[7, 3, 5] == kernel[3 * 28 + 5, 7]


def test_first_layer_filters_of_a_cnn(parts):
    filters = ins.first_layer_weights(parts["cnn_shallow"])
    assert filters.shape == (32, 3, 3)
    assert np.abs(filters).max() > 0


def test_grad_cam_is_for_cnns_only(parts, dataset):
    with pytest.raises(ValueError, match="convolution"):
        ins.grad_cam(parts["mlp_128"], dataset.x_test[:2], dataset.y_test[:2])


@pytest.mark.parametrize("model_id", CNNS)
def test_grad_cam_puts_most_of_its_mass_on_the_garment(parts, dataset, model_id):
    images, labels = dataset.x_test[:200], dataset.y_test[:200]
    cams = ins.grad_cam(parts[model_id], images, labels)
    assert cams.shape == (200, 28, 28) and cams.min() >= 0 and cams.max() <= 1
    # The garment's pixels, widened by one pixel: the last convolution's cells are 2-4 pixels
    # wide, so heat on a garment's edge spills that far by construction.
    garment = np.stack([binary_dilation(image > 10, iterations=1) for image in images])
    totals = cams.sum(axis=(1, 2))
    assert (totals > 0).mean() > 0.95
    shares = (cams * garment).sum(axis=(1, 2))[totals > 0] / totals[totals > 0]
    assert shares.mean() > 0.5, f"{model_id}: {shares.mean():.3f} of the heat on the garment"
    if model_id == "studio_cnn":  # the best model beats a map spread evenly (= the garment's area) clearly
        assert shares.mean() > garment.mean() + 0.1


def test_tile_lays_images_out_in_rows():
    images = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    mosaic = ins.tile(images, columns=2, pad=1, pad_value=-1)
    assert mosaic.shape == (3 * 2 + 2, 2 * 3 + 1)
    assert np.array_equal(mosaic[3:5, 4:7], images[3]) and mosaic[2, 0] == -1
    assert np.all(mosaic[6:8, 4:7] == -1)  # no sixth image


def test_embedding_is_computed_once_then_cached(dataset, tmp_path):
    source = store.find("mlp_128")
    shutil.copytree(source.path, tmp_path / "mlp_128", ignore=shutil.ignore_patterns(ins.EMBEDDING_FILE))
    copy = store.read_artifact(tmp_path / "mlp_128")
    first = ins.embedding(copy, dataset.x_test, method="pca")
    assert first.source == "computed" and first.points.shape == (10_000, 2)
    assert (copy.path / ins.EMBEDDING_FILE).is_file()
    second = ins.embedding(copy, dataset.x_test, model=object())  # a cached map never touches the model
    assert second.source == "cache" and np.array_equal(second.points, first.points)


@pytest.mark.slow  # the CLI end to end, on real models
@pytest.mark.parametrize("model_id", ["studio_cnn", "mlp_128"])
def test_shipped_embedding_csv_has_every_test_image_and_neighbours_share_a_class(dataset, tmp_path, model_id):
    assert (store.find(model_id).path / ins.EMBEDDING_FILE).is_file(), "shipped embeddings: make embeddings"
    out = tmp_path / "map.csv"
    result = run_cli("embed", model_id, "--out", str(out))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows"] == 10_000 and summary["embedding"] == "cache"
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["index", "x", "y", "true", "predicted"]
    assert len(frame) == 10_000 and list(frame["index"]) == list(range(10_000))
    assert list(frame["true"]) == [CLASS_NAMES[label] for label in dataset.y_test]
    assert frame["predicted"].isin(CLASS_NAMES).all()
    agreement = ins.neighbour_agreement(frame[["x", "y"]].to_numpy(), frame["true"].to_numpy())
    # 10 random neighbours would share the class 10% of the time
    assert agreement > 0.7, f"{model_id}: {agreement:.3f}"


def test_embed_cli_refuses_bad_input(tmp_path):
    for args, message in (
        (("embed", "no_such_model", "--out", str(tmp_path / "a.csv")), "No model called 'no_such_model'"),
        (("embed", "mlp_128", "--out", str(tmp_path / "a.txt")), "must name a .csv file"),
        (("embed", "mlp_128", "--out", str(tmp_path / "missing" / "a.csv")), "does not exist"),
    ):
        result = run_cli(*args)
        assert result.returncode == 2, args
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("error: ") and message in last and "Traceback" not in result.stderr
