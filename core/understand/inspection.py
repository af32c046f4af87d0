"""Look inside a network: activations, filters, Grad-CAM, and the embedding map.

``anatomy(model)`` finds, in any saved zoo model, the plain network (inside the mirror-averaging
wrapper of the Studio CNN), its convolution blocks, its hidden dense layers and the
penultimate features (the input of the final softmax layer). Everything else builds on it:

- ``activations``: each block's output for one image (conv: (h, w, filters); dense: (units,));
- ``first_layer_weights``: 3x3 filters of the first convolution, or 28x28 templates of an MLP's
  first dense layer;
- ``grad_cam`` (Selvaraju et al., 2017): the last convolution block's maps weighted by the
  gradient of the class logit, upsampled to 28x28;
- ``embedding``: penultimate features of the 10,000 test images projected to 2-D (UMAP by
  default; see ``bench/results/embedding.md`` for why), cached beside the model.

A block is a Conv2D or hidden Dense layer together with the BatchNorm and activation layers
right after it: what it shows is what the next layer receives.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.data import CLASS_NAMES, IMAGE_SIDE
from core.models import store

EMBEDDING_FILE = "embedding.npz"
PROJECTIONS = ("umap", "tsne", "pca")
DEFAULT_PROJECTION = "umap"
EMBEDDING_SEED = 42
_FOLLOWERS = ("BatchNormalization", "ReLU", "LeakyReLU", "Activation", "ELU", "PReLU")


@dataclass(frozen=True, eq=False)
class Block:
    name: str  # the Conv2D or Dense layer's name
    kind: str  # "conv" or "dense"
    output_layer: str  # the last layer of the block (its activation)
    shape: tuple[int, ...]  # one image's output shape


@dataclass(frozen=True, eq=False)
class Anatomy:
    network: object  # the keras.Model whose layers these are
    mirrored: bool  # the saved model averages the network over the image and its mirror
    blocks: tuple[Block, ...]  # in network order, the final softmax layer excluded
    classifier: object  # the final Dense layer

    @property
    def family(self) -> str:
        return "CNN" if self.convolutions else "MLP"

    @property
    def convolutions(self) -> tuple[Block, ...]:
        return tuple(block for block in self.blocks if block.kind == "conv")

    @property
    def hidden_dense(self) -> tuple[Block, ...]:
        return tuple(block for block in self.blocks if block.kind == "dense")


def anatomy(model) -> Anatomy:
    """The parts of a zoo model that the views below need; ValueError for a model of another shape."""
    import keras

    network, mirrored = model, False
    inner = [layer for layer in getattr(model, "layers", []) if isinstance(layer, keras.Model)]
    if inner:  # zoo.mirror_averaged: Input -> mirror Dense -> the network twice -> Average
        if len(inner) != 1:
            raise ValueError(f"model {model.name!r} nests {len(inner)} networks; expected one")
        network, mirrored = inner[0], True
    layers = list(network.layers)
    if not layers or not isinstance(layers[-1], keras.layers.Dense):
        raise ValueError(f"model {model.name!r} does not end in a Dense layer")
    blocks = []
    for position, layer in enumerate(layers[:-1]):
        if isinstance(layer, keras.layers.Conv2D):
            kind = "conv"
        elif isinstance(layer, keras.layers.Dense):
            kind = "dense"
        else:
            continue
        last = layer
        for follower in layers[position + 1 : -1]:
            if type(follower).__name__ not in _FOLLOWERS:
                break
            last = follower
        blocks.append(Block(layer.name, kind, last.name, tuple(int(size) for size in last.output.shape[1:])))
    return Anatomy(network, mirrored, tuple(blocks), layers[-1])


def _as_batch(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 2:
        images = images[None]
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise ValueError(f"need 28x28 images (0-255), got shape {images.shape}")
    return images


# -- activations and weights -------------------------------------------------------------------
def activations(parts: Anatomy, image: np.ndarray) -> dict[str, np.ndarray]:
    """Each block's output for one 28x28 image (0-255), keyed by block name, in network order."""
    import keras

    network = parts.network
    if not parts.blocks:
        return {}
    probe = keras.Model(network.inputs[0], [network.get_layer(block.output_layer).output for block in parts.blocks])
    outputs = probe(_as_batch(image), training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return {block.name: np.asarray(output)[0] for block, output in zip(parts.blocks, outputs, strict=True)}


def strongest_first(maps: np.ndarray) -> np.ndarray:
    """A conv block's (h, w, filters) maps as (filters, h, w), the highest mean activation first."""
    order = np.argsort(-maps.mean(axis=(0, 1)), kind="stable")
    return np.moveaxis(maps, -1, 0)[order]


def first_layer_weights(parts: Anatomy) -> np.ndarray:
    """CNN: the first convolution's filters, (filters, k, k); MLP: the first dense layer's
    templates, (units, 28, 28): the pixel weights each unit sums."""
    if not parts.blocks:
        raise ValueError("this model has no hidden layer to show")
    first = parts.network.get_layer(parts.blocks[0].name)
    kernel = np.asarray(first.kernel)
    if parts.blocks[0].kind == "conv":
        return np.moveaxis(kernel[:, :, 0, :], -1, 0)  # (k, k, 1, filters) -> (filters, k, k)
    if kernel.shape[0] != IMAGE_SIDE * IMAGE_SIDE:
        raise ValueError(f"the first dense layer takes {kernel.shape[0]} inputs, not 28x28 pixels")
    return kernel.T.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)


def tile(images: np.ndarray, columns: int, pad: int = 1, pad_value: float = 0.0) -> np.ndarray:
    """(n, h, w) -> one (rows*h, columns*w) mosaic with ``pad`` pixels between tiles."""
    images = np.asarray(images)
    count, height, width = images.shape
    rows = max(1, -(-count // columns))
    mosaic = np.full(
        (rows * (height + pad) - pad, columns * (width + pad) - pad), pad_value, dtype=np.result_type(images, float)
    )
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        top, left = row * (height + pad), column * (width + pad)
        mosaic[top : top + height, left : left + width] = image
    return mosaic


def normalized(maps: np.ndarray) -> np.ndarray:
    """Scale to 0-1 by the largest value (all maps of a layer share one scale, so they compare)."""
    peak = float(np.max(maps)) if np.size(maps) else 0.0
    return np.clip(maps / peak, 0, 1) if peak > 0 else np.zeros_like(maps, dtype=np.float32)


# -- Grad-CAM ------------------------------------------------------------------------------------
def grad_cam(parts: Anatomy, images: np.ndarray, class_indices: np.ndarray) -> np.ndarray:
    """(n, 28, 28) Grad-CAM maps in 0-1 for the given classes (each map scaled by its maximum).

    The last convolution block's maps, each weighted by the spatial mean of the gradient of the
    class logit (the final layer's input times its kernel, before the softmax saturates), summed,
    kept where positive, and resized bilinearly to 28x28.
    """
    import keras
    import tensorflow as tf

    if not parts.convolutions:
        raise ValueError("Grad-CAM needs a convolutional network; this model has no convolution layers")
    images = _as_batch(images)
    classes = np.asarray(class_indices, dtype=np.int64).reshape(-1)
    if classes.shape != (len(images),):
        raise ValueError(f"need one class per image: {len(images)} images, {classes.shape} classes")
    network = parts.network
    layers = list(network.layers)
    last = network.get_layer(parts.convolutions[-1].output_layer)
    head = layers[layers.index(last) + 1 : -1]  # zoo networks are Sequential: a chain of layers
    maps = keras.Model(network.inputs[0], last.output)(tf.convert_to_tensor(images), training=False)
    with tf.GradientTape() as tape:
        tape.watch(maps)
        features = maps
        for layer in head:
            features = layer(features, training=False)
        logits = tf.matmul(features, parts.classifier.kernel) + parts.classifier.bias
        chosen = tf.reduce_sum(tf.gather(logits, classes, axis=1, batch_dims=1))
    gradients = tape.gradient(chosen, maps)
    weights = tf.reduce_mean(gradients, axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(weights * maps, axis=-1)).numpy()
    cam = _to_pixels(cam, _pixel_grid(layers[: layers.index(last) + 1]))
    peak = cam.reshape(len(cam), -1).max(axis=1).reshape(-1, 1, 1)
    return np.divide(cam, peak, out=np.zeros_like(cam), where=peak > 0).astype(np.float32)


def _pixel_grid(layers) -> tuple[float, float]:
    """(start, step): map cell i of the last layer is centred on input pixel start + step * i.

    Unpadded convolutions and pooling shift and shrink the grid (the quick CNN's 11x11 maps
    cover pixels 3.5 to 23.5, not 0 to 27): a plain resize would misplace the heat."""
    import keras

    start, step = 0.0, 1.0
    for layer in layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)):
            size = layer.kernel_size[0] if isinstance(layer, keras.layers.Conv2D) else layer.pool_size[0]
            stride = layer.strides[0]
            if layer.padding == "valid":
                start += (size - 1) / 2 * step
            step *= stride
    return start, step


def _to_pixels(cam: np.ndarray, grid: tuple[float, float]) -> np.ndarray:
    """(n, h, w) maps -> (n, 28, 28), bilinear on the cells' true pixel centres."""
    from scipy.ndimage import map_coordinates

    start, step = grid
    position = (np.arange(IMAGE_SIDE) - start) / step
    rows, columns = np.meshgrid(position, position, indexing="ij")
    return np.stack([map_coordinates(one, [rows, columns], order=1, mode="nearest") for one in cam]).astype(np.float32)


# -- embeddings ----------------------------------------------------------------------------------
def features(parts: Anatomy, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Penultimate-layer features (the input of the final softmax layer), (n, d) float32."""
    import keras

    network = parts.network
    probe = keras.Model(network.inputs[0], parts.classifier.input)
    images = _as_batch(images)
    return np.concatenate(
        [
            np.asarray(probe(images[start : start + batch_size], training=False))
            for start in range(0, len(images), batch_size)
        ]
    ).astype(np.float32)


def project(vectors: np.ndarray, method: str = DEFAULT_PROJECTION, seed: int = EMBEDDING_SEED) -> np.ndarray:
    """(n, d) -> (n, 2) float32 with UMAP (umap-learn), t-SNE (openTSNE, a test-only dependency
    for the benchmark's comparison) or PCA (scikit-learn)."""
    if method not in PROJECTIONS:
        raise ValueError(f"projection must be one of {', '.join(PROJECTIONS)} (got {method!r})")
    vectors = np.asarray(vectors, dtype=np.float32)
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(vectors).astype(np.float32)
    if method == "tsne":
        from openTSNE import TSNE

        return np.asarray(TSNE(n_jobs=2, random_state=seed).fit(vectors), dtype=np.float32)
    import warnings

    import umap

    with warnings.catch_warnings():  # "n_jobs overridden to 1 by setting random_state": reproducible is the point
        warnings.simplefilter("ignore", UserWarning)
        reducer = umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=seed)
        return reducer.fit_transform(vectors).astype(np.float32)


def neighbour_agreement(points: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    """Share of each point's k nearest neighbours (in ``points``) that have its label."""
    from sklearn.neighbors import NearestNeighbors

    _, neighbours = NearestNeighbors(n_neighbors=k + 1).fit(points).kneighbors(points)
    labels = np.asarray(labels)
    return float((labels[neighbours[:, 1:]] == labels[:, None]).mean())


@dataclass(frozen=True, eq=False)
class Embedding:
    model_id: str
    points: np.ndarray  # (n, 2) float32
    method: str
    source: str  # "cache" or "computed" (or "computed (not cached: why)")
    seconds: float


def cached_embedding(artifact: store.Artifact, count: int) -> np.ndarray | None:
    """The 2-D points cached beside the model; None when absent, damaged or older than the model."""
    path = artifact.path / EMBEDDING_FILE
    try:
        with np.load(path, allow_pickle=False) as stored:
            points = stored["points"].astype(np.float32)
        model_time = (artifact.path / store.MODEL_FILE).stat().st_mtime
        if model_time > path.stat().st_mtime + 2.0:
            return None
    except (OSError, ValueError, KeyError):
        return None
    if points.shape != (count, 2) or not np.all(np.isfinite(points)):
        return None
    return points


def save_embedding(artifact: store.Artifact, points: np.ndarray, method: str) -> None:
    """Atomic write of ``embedding.npz`` (float32 points and the method) beside the model."""
    handle, temp = tempfile.mkstemp(dir=artifact.path, prefix=".partial-", suffix=".npz")
    os.close(handle)
    try:
        np.savez_compressed(temp, points=points.astype(np.float32), method=np.array(method))
        os.replace(temp, artifact.path / EMBEDDING_FILE)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def embedding(
    artifact: store.Artifact,
    images: np.ndarray,
    model=None,
    *,
    method: str = DEFAULT_PROJECTION,
    use_cache: bool = True,
) -> Embedding:
    """The test images' embedding map for one model: from its cache, or computed once and cached."""
    if not artifact.ok:
        raise store.ArtifactError(f"Model {artifact.model_id!r} is broken: {artifact.error}")
    started = time.perf_counter()
    points = cached_embedding(artifact, len(images)) if use_cache else None
    if points is not None:
        return Embedding(artifact.model_id, points, method, "cache", time.perf_counter() - started)
    model = model if model is not None else store.load_model(artifact)
    points = project(features(anatomy(model), images), method)
    source = "computed"
    if use_cache:
        try:
            save_embedding(artifact, points, method)
        except OSError as error:
            source = f"computed (not cached: {error})"
    return Embedding(artifact.model_id, points, method, source, time.perf_counter() - started)


def embedding_frame(points: np.ndarray, labels: np.ndarray, predictions: np.ndarray) -> pd.DataFrame:
    """Columns index, x, y, true, predicted (class names), one row per test image."""
    return pd.DataFrame(
        {
            "index": np.arange(len(points)),
            "x": points[:, 0].astype(np.float64).round(4),
            "y": points[:, 1].astype(np.float64).round(4),
            "true": [CLASS_NAMES[int(label)] for label in labels],
            "predicted": [CLASS_NAMES[int(label)] for label in predictions],
        }
    )


def embedding_for_cli(model_id: str, out: str) -> dict:
    """``python -m core embed MODEL_ID --out FILE.csv``: write the CSV, return a JSON summary."""
    from core import data
    from core.understand import evaluation

    try:
        artifact = store.find(model_id)
    except store.ArtifactError:
        known = ", ".join(artifact.model_id for artifact in store.list_artifacts()) or "none"
        raise store.ArtifactError(f"No model called {model_id!r}. Models available: {known}.") from None
    target = Path(out)
    if target.suffix.lower() != ".csv":
        raise ValueError(f"--out must name a .csv file (got {out!r})")
    if not target.parent.is_dir():
        raise ValueError(f"the folder {str(target.parent)!r} does not exist")
    dataset = data.load()
    result = evaluation.evaluate(artifact, dataset.x_test, dataset.y_test)
    mapped = embedding(artifact, dataset.x_test)
    frame = embedding_frame(mapped.points, dataset.y_test, result.predictions)
    frame.to_csv(target, index=False)
    return {
        "model_id": model_id,
        "out": str(target),
        "rows": len(frame),
        "method": mapped.method,
        "embedding": mapped.source,
        "seconds": round(mapped.seconds, 2),
        "neighbour_agreement_10": round(neighbour_agreement(mapped.points, dataset.y_test), 4),
    }
