"""Evaluation of a saved model on the 10,000 test images.

Test-set probabilities are computed once per model (batched direct model calls) and
cached beside it as ``test_probabilities.npy``; everything else — confusion matrix,
per-class report, misclassified examples — is cheap numpy on those probabilities.
Saliency maps (plain or SmoothGrad gradients) show which pixels drove one prediction,
and the picture helpers turn them into crisp RGB images without matplotlib.

Used by the Evaluate page and by ``python -m core evaluate MODEL_ID``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from core import data
from core.data import CLASS_NAMES
from core.models import store

# TensorFlow/Keras are imported only where a model is run: `python -m core evaluate` answers
# a mistyped model id in a second, and the metrics need none of it.

NUM_CLASSES = len(CLASS_NAMES)
METRICS = ("precision", "recall", "f1")
MACRO, WEIGHTED = "macro avg", "weighted avg"
SALIENCY_METHODS = ("smoothgrad", "gradient")
# A model file this much newer than its cached probabilities means they are stale.
# (A fresh git checkout writes the two files in some order within a second or so.)
STALE_AFTER_SECONDS = 2.0

FROM_CACHE = "cache"
COMPUTED = "computed"


# -- metrics ----------------------------------------------------------------------------
def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """(num_classes, num_classes) counts: row = true class, column = predicted class."""
    labels = np.asarray(labels).astype(np.int64, copy=False)
    predictions = np.asarray(predictions).astype(np.int64, copy=False)
    if labels.ndim != 1 or labels.shape != predictions.shape:
        raise ValueError(f"labels {labels.shape} and predictions {predictions.shape} must be two equal 1-D arrays")
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f"{name} must be class indices from 0 to {num_classes - 1}")
    flat = np.bincount(labels * num_classes + predictions, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def row_normalized(matrix: np.ndarray) -> np.ndarray:
    """Each row divided by its total (the share of each true class); empty rows stay 0."""
    totals = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, totals, out=np.zeros(matrix.shape, dtype=np.float64), where=totals > 0)


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    # A class never predicted has precision 0 (as scikit-learn's zero_division=0), not NaN.
    return np.divide(numerator, denominator, out=np.zeros(np.shape(numerator), dtype=np.float64), where=denominator > 0)


def classification_report(matrix: np.ndarray, class_names: tuple[str, ...] = CLASS_NAMES) -> pd.DataFrame:
    """Precision, recall, F1 and support per class, then macro and weighted averages.

    Columns: class, precision, recall, f1, support. One row per class in class order,
    then ``macro avg`` (plain mean over classes) and ``weighted avg`` (weighted by support).
    A class's recall is also its accuracy: the share of its images classified correctly.
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] != len(class_names):
        raise ValueError(f"a {len(class_names)}x{len(class_names)} confusion matrix is needed, got {matrix.shape}")
    correct = np.diag(matrix).astype(np.float64)
    support = matrix.sum(axis=1)
    precision = _safe_divide(correct, matrix.sum(axis=0))
    recall = _safe_divide(correct, support)
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    per_class = pd.DataFrame(
        {"class": list(class_names), "precision": precision, "recall": recall, "f1": f1, "support": support}
    )
    total = int(support.sum())
    weights = support / total if total else np.zeros_like(correct)
    averages = pd.DataFrame(
        {
            "class": [MACRO, WEIGHTED],
            **{name: [float(per_class[name].mean()), float((per_class[name] * weights).sum())] for name in METRICS},
            "support": [total, total],
        }
    )
    report = pd.concat([per_class, averages], ignore_index=True)
    report["support"] = report["support"].astype(np.int64)
    return report


def top_confusions(matrix: np.ndarray, count: int = 5) -> pd.DataFrame:
    """The largest off-diagonal cells: true, predicted (indices), count, share of the true class."""
    errors = np.asarray(matrix).copy()
    np.fill_diagonal(errors, 0)
    order = np.argsort(-errors, axis=None, kind="stable")[:count]
    true, predicted = np.unravel_index(order, errors.shape)
    shares = row_normalized(np.asarray(matrix))
    frame = pd.DataFrame(
        {"true": true, "predicted": predicted, "count": errors[true, predicted], "share": shares[true, predicted]}
    )
    return frame[frame["count"] > 0].reset_index(drop=True)


def examples(
    labels: np.ndarray,
    probabilities: np.ndarray,
    *,
    true_class: int | None = None,
    predicted_class: int | None = None,
    wrong_only: bool = False,
) -> pd.DataFrame:
    """Test images matching the filters, the most confident prediction first.

    Columns: index (into the test set), true, predicted, confidence (the predicted
    class's probability), true_probability. Ties keep test-set order.
    """
    predictions = probabilities.argmax(axis=1)
    keep = np.ones(len(labels), dtype=bool)
    if true_class is not None:
        keep &= labels == true_class
    if predicted_class is not None:
        keep &= predictions == predicted_class
    if wrong_only:
        keep &= predictions != labels
    index = np.flatnonzero(keep)
    confidence = probabilities[index, predictions[index]]
    order = np.lexsort((index, -confidence))
    index = index[order]
    return pd.DataFrame(
        {
            "index": index,
            "true": labels[index].astype(np.int64),
            "predicted": predictions[index].astype(np.int64),
            "confidence": probabilities[index, predictions[index]].astype(np.float64),
            "true_probability": probabilities[index, labels[index]].astype(np.float64),
        }
    )


def misclassified(
    labels: np.ndarray,
    probabilities: np.ndarray,
    *,
    true_class: int | None = None,
    predicted_class: int | None = None,
) -> pd.DataFrame:
    """Wrong predictions only, most confident (most confidently wrong) first."""
    return examples(labels, probabilities, true_class=true_class, predicted_class=predicted_class, wrong_only=True)


def top_k(probabilities: np.ndarray, k: int = 3) -> list[tuple[int, float]]:
    """The k most probable (class, probability) pairs of one image, best first."""
    order = np.argsort(-np.asarray(probabilities), kind="stable")[:k]
    return [(int(index), float(probabilities[index])) for index in order]


# -- one model's evaluation ----------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Evaluation:
    """A model's probabilities on the test set and everything derived from them."""

    model_id: str
    labels: np.ndarray  # (n,) true classes
    probabilities: np.ndarray  # (n, 10) float32, rows sum to 1
    source: str  # "cache", "computed", or "computed (not cached: why)"
    seconds: float  # time spent loading or computing the probabilities
    class_names: tuple[str, ...] = CLASS_NAMES

    def __post_init__(self):
        n_classes = len(self.class_names)
        if self.probabilities.shape != (len(self.labels), n_classes):
            raise ValueError(
                f"probabilities have shape {self.probabilities.shape}, expected ({len(self.labels)}, {n_classes})"
            )

    @cached_property
    def predictions(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    @cached_property
    def confusion(self) -> np.ndarray:
        return confusion_matrix(self.labels, self.predictions, len(self.class_names))

    @cached_property
    def report(self) -> pd.DataFrame:
        return classification_report(self.confusion, self.class_names)

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.confusion) / max(len(self.labels), 1))

    @property
    def errors(self) -> int:
        return int(len(self.labels) - np.trace(self.confusion))

    def cell(self, true_class: int, predicted_class: int) -> pd.DataFrame:
        """Exactly the test images of ``true_class`` predicted as ``predicted_class``."""
        return examples(self.labels, self.probabilities, true_class=true_class, predicted_class=predicted_class)

    def misclassified(self, true_class: int | None = None, predicted_class: int | None = None) -> pd.DataFrame:
        return misclassified(self.labels, self.probabilities, true_class=true_class, predicted_class=predicted_class)

    def to_dict(self) -> dict:
        """A JSON-ready summary: accuracy, averages, per-class rows, largest confusions."""
        report = self.report

        def row(values: pd.Series) -> dict:
            return {name: round(float(values[name]), 6) for name in METRICS} | {"support": int(values["support"])}

        averages = report.set_index("class")
        return {
            "model_id": self.model_id,
            "accuracy": round(self.accuracy, 6),
            "test_images": len(self.labels),
            "errors": self.errors,
            "macro_avg": row(averages.loc[MACRO]),
            "weighted_avg": row(averages.loc[WEIGHTED]),
            "per_class": [
                {"class_index": index, "class": name} | row(report.iloc[index])
                for index, name in enumerate(self.class_names)
            ],
            "top_confusions": [
                {
                    "true": self.class_names[int(item.true)],
                    "predicted": self.class_names[int(item.predicted)],
                    "count": int(item.count),
                    "share_of_true_class": round(float(item.share), 6),
                }
                for item in top_confusions(self.confusion).itertuples()
            ],
            "probabilities": self.source,
        }


def cached_probabilities(artifact: store.Artifact, n_images: int) -> np.ndarray | None:
    """The probabilities cached beside the model, or None when absent, damaged or stale."""
    probabilities = store.load_probabilities(artifact)
    if probabilities is None or probabilities.shape != (n_images, NUM_CLASSES):
        return None
    if not np.issubdtype(probabilities.dtype, np.floating) or not np.all(np.isfinite(probabilities)):
        return None
    if not np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-3):
        return None
    try:
        model_time = (artifact.path / store.MODEL_FILE).stat().st_mtime
        cache_time = (artifact.path / store.PROBABILITIES_FILE).stat().st_mtime
    except OSError:
        return None
    if model_time > cache_time + STALE_AFTER_SECONDS:
        return None
    return probabilities.astype(np.float32, copy=False)


def _try_to_cache(artifact: store.Artifact, probabilities: np.ndarray) -> str:
    """Save beside the model; a read-only folder is fine, the result just isn't kept."""
    try:
        store.save_probabilities(artifact, probabilities)
    except OSError as error:
        reason = "the model's folder is read-only" if isinstance(error, PermissionError) else str(error)
        return f"{COMPUTED} (not cached: {reason})"
    return COMPUTED


def evaluate(
    artifact: store.Artifact,
    images: np.ndarray,
    labels: np.ndarray,
    load_model: Callable[[], object] | None = None,
    *,
    use_cache: bool = True,
) -> Evaluation:
    """Evaluate one model on (images, labels), using and filling its probability cache.

    ``load_model`` is called only when the probabilities must be computed (default:
    ``store.load_model``), so a cached evaluation never touches Keras.
    """
    if not artifact.ok:
        raise store.ArtifactError(f"Model {artifact.model_id!r} is broken: {artifact.error}")
    started = time.perf_counter()
    probabilities = cached_probabilities(artifact, len(images)) if use_cache else None
    if probabilities is not None:
        source = FROM_CACHE
    else:
        model = load_model() if load_model is not None else store.load_model(artifact)
        try:
            probabilities = store.predict_probabilities(model, images)
        except Exception as error:  # a loadable model that cannot take 28x28 pixels is a broken artifact
            raise store.ArtifactError(
                f"Model {artifact.model_id!r} failed on the test images: {type(error).__name__}: {error}"
            ) from error
        if probabilities.shape != (len(images), NUM_CLASSES):
            raise store.ArtifactError(
                f"Model {artifact.model_id!r} outputs shape {probabilities.shape[1:]}, not {NUM_CLASSES} classes"
            )
        source = _try_to_cache(artifact, probabilities) if use_cache else COMPUTED
    probabilities.setflags(write=False)  # shared between visitors: nobody may change it
    labels = np.asarray(labels)
    return Evaluation(artifact.model_id, labels, probabilities, source, time.perf_counter() - started)


def _missing_model_message(model_id: str) -> str:
    known = [artifact.model_id for artifact in store.list_artifacts()]
    listing = ", ".join(known) if known else "none yet (train one with `python -m core train`)"
    return f"No model called {model_id!r}. Models available: {listing}."


def report_for_cli(model_id: str) -> dict:
    """Accuracy and per-class report of a saved model, JSON-ready (``python -m core evaluate``).

    Raises store.ArtifactError (a RuntimeError) for a missing or broken model and
    data.DatasetNotFoundError when the test set cannot be found.
    """
    try:
        artifact = store.find(model_id)
    except store.ArtifactError:
        raise store.ArtifactError(_missing_model_message(model_id)) from None
    if not artifact.ok:
        raise store.ArtifactError(f"Model {model_id!r} is broken: {artifact.error}")
    dataset = data.load()
    # Load the model even when probabilities are cached: a report must describe a usable model.
    model = store.load_model(artifact)
    evaluation = evaluate(artifact, dataset.x_test, dataset.y_test, load_model=lambda: model)
    return {
        "display_name": artifact.meta.display_name,
        "arch": artifact.meta.arch,
        "shipped": artifact.shipped,
    } | evaluation.to_dict()


# -- saliency -----------------------------------------------------------------------------
def saliency_maps(
    model,
    images: np.ndarray,
    class_indices: np.ndarray | list[int],
    *,
    method: str = "smoothgrad",
    samples: int = 16,
    noise_level: float = 0.15,
    seed: int = 0,
    batch_size: int = 512,
) -> np.ndarray:
    """(n, 28, 28) maps in 0-1: how strongly each pixel sways the model towards a class.

    The gradient of the class score with respect to the raw pixels (Simonyan et al.,
    2013). The score is the class's logit — the input of the final softmax — because a
    confident softmax saturates and its gradient is all zeros; for a model that does
    not end in a softmax Dense layer, log p(class) stands in. ``smoothgrad`` averages
    the absolute gradient over ``samples`` noisy copies (noise of ``noise_level`` x 255;
    Smilkov et al., 2017) for a less speckled map; ``gradient`` is one plain pass.
    Each map is scaled by its own 99th percentile, so maps show where, not how much.
    """
    if method not in SALIENCY_METHODS:
        raise ValueError(f"saliency method must be one of {', '.join(SALIENCY_METHODS)} (got {method!r})")
    images = np.asarray(images, dtype=np.float32)
    classes = np.asarray(class_indices, dtype=np.int64)
    if images.ndim != 3 or classes.shape != (len(images),):
        raise ValueError(f"need (n, 28, 28) images and n class indices, got {images.shape} and {classes.shape}")
    copies = samples if method == "smoothgrad" else 1
    batch = np.repeat(images, copies, axis=0)
    batch_classes = np.repeat(classes, copies)
    if method == "smoothgrad":
        rng = np.random.default_rng(seed)
        batch = np.clip(batch + rng.normal(0, noise_level * 255, batch.shape).astype(np.float32), 0, 255)
    score = _class_score_function(model)
    gradients = np.concatenate(
        [
            _score_gradients(score, batch[start : start + batch_size], batch_classes[start : start + batch_size])
            for start in range(0, len(batch), batch_size)
        ]
    )
    maps = np.abs(gradients).reshape(len(images), copies, *images.shape[1:]).mean(axis=1)
    flat = maps.reshape(len(images), -1)
    scale = np.percentile(flat, 99, axis=1)
    scale = np.where(scale > 0, scale, flat.max(axis=1)).reshape(-1, 1, 1)  # a map of a few pixels still shows them
    return np.clip(np.divide(maps, scale, out=np.zeros_like(maps), where=scale > 0), 0, 1).astype(np.float32)


def _class_score_function(model) -> Callable:
    """pixels -> (n, classes) scores to differentiate: logits when the model ends in softmax Dense."""
    import keras

    last = model.layers[-1] if getattr(model, "layers", None) else None
    if (
        isinstance(last, keras.layers.Dense)
        and getattr(last.activation, "__name__", "") == "softmax"
        and len(getattr(model, "inputs", None) or ()) == 1
    ):
        features = keras.Model(model.inputs[0], last.input)  # one tensor in, as the model is called

        def logits(pixels):
            return keras.ops.matmul(features(pixels, training=False), last.kernel) + last.bias

        return logits

    def log_probabilities(pixels):
        import tensorflow as tf

        return tf.math.log(tf.clip_by_value(model(pixels, training=False), 1e-12, 1.0))

    return log_probabilities


def _score_gradients(score: Callable, images: np.ndarray, classes: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    pixels = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        tape.watch(pixels)
        chosen = tf.gather(score(pixels), tf.convert_to_tensor(classes), axis=1, batch_dims=1)
        # Each image's score depends on that image alone (inference mode), so one
        # gradient of the sum gives every image its own gradient.
        total = tf.reduce_sum(chosen)
    return tape.gradient(total, pixels).numpy()


# -- pictures (numpy only) -------------------------------------------------------------------
def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement: every pixel becomes a crisp factor x factor block."""
    if factor < 1:
        raise ValueError(f"upscale factor must be at least 1 (got {factor})")
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def grayscale_rgb(image: np.ndarray, factor: int = 1) -> np.ndarray:
    """A 0-255 grayscale image as crisp uint8 RGB."""
    gray = np.clip(np.asarray(image, dtype=np.float32), 0, 255).astype(np.uint8)
    return upscale(np.stack([gray] * 3, axis=-1), factor)


def _heat_colors(values: np.ndarray) -> np.ndarray:
    """0-1 -> dark red, red, orange, yellow (a 'hot' ramp), float RGB 0-255."""
    v = np.clip(values, 0, 1)[..., None]
    red = np.array([200.0, 20.0, 20.0])
    yellow = np.array([255.0, 235.0, 60.0])
    return red * (1 - v) + yellow * v


def saliency_overlay(image: np.ndarray, saliency: np.ndarray, *, factor: int = 4, strength: float = 0.85) -> np.ndarray:
    """The image dimmed to gray with the saliency painted over it in heat colours, uint8 RGB."""
    gray = np.clip(np.asarray(image, dtype=np.float32), 0, 255)[..., None] * np.ones(3) * 0.55
    # A gamma above 1 keeps the faint noise floor of a gradient map from tinting everything.
    weight = (np.clip(saliency, 0, 1) ** 1.5 * strength)[..., None]
    blended = gray * (1 - weight) + _heat_colors(saliency) * weight
    return upscale(np.clip(blended, 0, 255).astype(np.uint8), factor)


def difference_rgb(first: np.ndarray, second: np.ndarray, factor: int = 1) -> np.ndarray:
    """first - second on a diverging scale: red where first is brighter, blue where second is, white equal."""
    difference = np.asarray(first, dtype=np.float32) - np.asarray(second, dtype=np.float32)
    peak = float(np.abs(difference).max())
    scaled = difference / peak if peak > 0 else difference
    white = np.array([255.0, 255.0, 255.0])
    red, blue = np.array([200.0, 30.0, 40.0]), np.array([30.0, 80.0, 200.0])
    amount = np.abs(scaled)[..., None]
    colour = np.where(scaled[..., None] >= 0, red, blue)
    rgb = white * (1 - amount) + colour * amount
    return upscale(np.clip(rgb, 0, 255).astype(np.uint8), factor)


def artifact_stamp(artifact: store.Artifact) -> float:
    """The model file's modification time: a cache key that changes when the model does."""
    try:
        return (Path(artifact.path) / store.MODEL_FILE).stat().st_mtime
    except OSError:
        return 0.0
