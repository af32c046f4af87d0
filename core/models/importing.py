"""Bring your own model: a notebook's ``.keras`` or ``.h5`` file becomes one of the Studio's runs.

Nothing in the file runs as code: Keras loads it in safe mode (a ``Lambda`` layer or a custom class
is refused, by name), after caps on the file's size and, for a ``.keras`` zip, on what it unpacks to.
The model is then measured rather than trusted: which input it takes ((28, 28), (28, 28, 1) or (784,)),
which pixels it was trained on (0-1 or 0-255: whichever classifies a validation batch better) and
whether it ends in probabilities or logits. It is wrapped into a standard Studio model (raw 0-255
pixels of shape (28, 28) in, ten probabilities out, built-in layers only) and saved through the store
with its test-set predictions, so every page treats it like a run trained here.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from core.data import CLASS_NAMES, IMAGE_SIDE, FashionMNIST
from core.models import store

ENV_MAX_IMPORT_MB = "FASHION_STUDIO_MAX_IMPORT_MB"
ENV_MAX_IMPORT_PARAMS = "FASHION_STUDIO_MAX_IMPORT_PARAMS"
ENV_MAX_IMPORT_SECONDS = "FASHION_STUDIO_MAX_IMPORT_SECONDS"
DEFAULT_MAX_IMPORT_MB = 50
DEFAULT_MAX_IMPORT_PARAMS = 5_000_000
DEFAULT_MAX_IMPORT_SECONDS = 60
ARCH = "imported"
SUFFIXES = (".keras", ".h5", ".hdf5")
INPUT_SHAPES = ((IMAGE_SIDE, IMAGE_SIDE), (IMAGE_SIDE, IMAGE_SIDE, 1), (IMAGE_SIDE * IMAGE_SIDE,))
VALIDATION_IMAGES = 1000  # the last training images decide the pixel scale
TIMING_IMAGES = 200  # the first batch, timed, says how long the whole test set would take
ZIP_MAGIC, HDF5_MAGIC = b"PK\x03\x04", b"\x89HDF\r\n\x1a\n"
PIXELS_0_1, PIXELS_0_255 = "0-1", "0-255"
SOFTMAX, LOGITS = "probabilities", "logits"
_MEGABYTE = 1_000_000


class ImportRefused(ValueError):
    """The file is not a model the Studio can take; the message is one plain sentence saying why."""


@dataclass(frozen=True)
class Caps:
    """How big, how many parameters and how slow an imported model may be (environment variables)."""

    max_bytes: int = DEFAULT_MAX_IMPORT_MB * _MEGABYTE
    max_params: int = DEFAULT_MAX_IMPORT_PARAMS
    max_seconds: float = DEFAULT_MAX_IMPORT_SECONDS

    @classmethod
    def from_env(cls) -> Caps:
        return cls(
            store.positive_int_env(ENV_MAX_IMPORT_MB, DEFAULT_MAX_IMPORT_MB) * _MEGABYTE,
            store.positive_int_env(ENV_MAX_IMPORT_PARAMS, DEFAULT_MAX_IMPORT_PARAMS),
            store.positive_int_env(ENV_MAX_IMPORT_SECONDS, DEFAULT_MAX_IMPORT_SECONDS),
        )


@dataclass(frozen=True)
class Decisions:
    """What was measured about the model, and how the Studio feeds it."""

    input_shape: tuple[int, ...]
    pixel_scale: str  # PIXELS_0_1 or PIXELS_0_255
    output: str  # SOFTMAX or LOGITS
    accuracy_0_1: float  # on the validation batch, pixels divided by 255
    accuracy_0_255: float  # on the validation batch, raw pixels
    confidence_0_1: float  # mean top probability on the same batch: the scale where it is closest to
    confidence_0_255: float  # the accuracy is the one the model was trained on

    def describe(self) -> str:
        return (
            f"input {self.input_shape}; pixels {self.pixel_scale} (on 1,000 validation images: accuracy"
            f" {self.accuracy_0_1:.1%} with confidence {self.confidence_0_1:.1%} at 0-1, {self.accuracy_0_255:.1%}"
            f" with {self.confidence_0_255:.1%} at 0-255); output {self.output}"
        )


@dataclass(frozen=True)
class Imported:
    artifact: store.Artifact
    decisions: Decisions

    @property
    def test_accuracy(self) -> float:
        return self.artifact.meta.test_accuracy

    def summary(self) -> dict:
        """The CLI's answer: the new run's id, its test accuracy and the decisions."""
        return {
            "model_id": self.artifact.model_id,
            "test_accuracy": self.test_accuracy,
            "input_shape": list(self.decisions.input_shape),
            "pixel_scale": self.decisions.pixel_scale,
            "output": self.decisions.output,
            "validation_accuracy": {
                PIXELS_0_1: self.decisions.accuracy_0_1,
                PIXELS_0_255: self.decisions.accuracy_0_255,
            },
        }


def check_file(data: bytes, filename: str, caps: Caps) -> str:
    """The file's suffix once its size and its first bytes agree with it; ImportRefused otherwise."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportRefused(f"{filename!r} is not a Keras model file; upload a .keras or .h5 file.")
    if len(data) > caps.max_bytes:
        raise ImportRefused(
            f"{filename!r} is {len(data) / _MEGABYTE:,.1f} MB; this server takes at most"
            f" {caps.max_bytes / _MEGABYTE:,.0f} MB ({ENV_MAX_IMPORT_MB})."
        )
    magic = ZIP_MAGIC if suffix == ".keras" else HDF5_MAGIC
    if not data.startswith(magic):
        kind = "a zip archive" if suffix == ".keras" else "an HDF5 file"
        raise ImportRefused(f"{filename!r} is not {kind}, so it is not a {suffix} model (renamed or damaged?).")
    if suffix == ".keras":
        check_zip(data, filename, caps.max_bytes)
    return suffix


def check_zip(data: bytes, filename: str, max_bytes: int) -> None:
    """A zip's listing, read before anything is unpacked: damaged, or unpacking beyond ``max_bytes`` (a zip bomb)."""
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportRefused(f"{filename!r} is a damaged or truncated zip archive.") from None
    unpacked = sum(member.file_size for member in members)
    if unpacked > max_bytes:
        raise ImportRefused(
            f"{filename!r} would unpack to {unpacked / _MEGABYTE:,.0f} MB, over this server's"
            f" {max_bytes / _MEGABYTE:,.0f} MB ({ENV_MAX_IMPORT_MB}); refused unread."
        )


_NAMED = (
    re.compile(r"Unknown (?:layer|object|activation)[^']*'([^']+)'"),
    re.compile(r"locate (?:class|function) '([^']+)'"),
    re.compile(r"'registered_name': '([^']+)'"),
)


def load_refusal(error: Exception, filename: str) -> ImportRefused:
    """One sentence for why Keras would not load the file, naming the layer or class it refused."""
    text = str(error)
    if "`Lambda`" in text:
        return ImportRefused(
            f"{filename!r} holds a Lambda layer (Python code); safe mode never runs code from a file."
            " Rebuild the model with Keras's built-in layers."
        )
    for pattern in _NAMED:
        if found := pattern.search(text):
            return ImportRefused(
                f"{filename!r} uses {found.group(1).split('>')[-1]!r}, which is not a built-in Keras layer;"
                " safe mode loads built-in layers only."
            )
    first = text.strip().splitlines()[0][:160] if text.strip() else type(error).__name__
    return ImportRefused(f"{filename!r} could not be read as a Keras model ({first}).")


def load_upload(data: bytes, filename: str, caps: Caps):
    """The user's model, loaded in safe mode from a private temporary file that is always deleted."""
    import keras

    suffix = check_file(data, filename, caps)
    handle, temp = tempfile.mkstemp(prefix="fms-import-", suffix=suffix)  # Keras needs a path; mode 0600
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        return keras.saving.load_model(temp, safe_mode=True, compile=False)
    except Exception as error:  # Keras raises many types for a damaged or hostile file
        raise load_refusal(error, filename) from None
    finally:
        Path(temp).unlink(missing_ok=True)


def check_shapes(model, filename: str, caps: Caps) -> tuple[int, ...]:
    """Its input shape once input, output and size fit Fashion-MNIST and this server."""
    inputs, outputs = getattr(model, "inputs", None) or [], getattr(model, "outputs", None) or []
    if len(inputs) != 1 or len(outputs) != 1:
        raise ImportRefused(
            f"{filename!r} has {len(inputs)} inputs and {len(outputs)} outputs; the Studio needs one of each."
        )
    shape = tuple(inputs[0].shape[1:])
    if shape not in INPUT_SHAPES:
        raise ImportRefused(
            f"{filename!r} expects input {shape}; Fashion-MNIST images are 28x28 grey, so the Studio feeds"
            " (28, 28), (28, 28, 1) or (784,)."
        )
    classes = tuple(outputs[0].shape[1:])
    if classes != (len(CLASS_NAMES),):
        raise ImportRefused(f"{filename!r} outputs {classes}; Fashion-MNIST has ten classes, so it must output (10,).")
    params = int(model.count_params())
    if params > caps.max_params:
        raise ImportRefused(
            f"{filename!r} has {params:,} parameters; this server takes at most {caps.max_params:,}"
            f" ({ENV_MAX_IMPORT_PARAMS})."
        )
    return shape


def _feed(images: np.ndarray, shape: tuple[int, ...], scale: str) -> np.ndarray:
    pixels = images.astype(np.float32).reshape((len(images), *shape))
    return pixels / 255.0 if scale == PIXELS_0_1 else pixels


def check_speed(model, dataset: FashionMNIST, shape: tuple[int, ...], filename: str, caps: Caps) -> None:
    """Time a first batch and refuse before the whole test set if the rest would run past the cap."""
    batch = _feed(dataset.x_test[:TIMING_IMAGES], shape, PIXELS_0_1)
    model(batch[:1], training=False)  # the first call traces the graph: not what every batch costs
    started = time.perf_counter()
    model(batch, training=False)
    per_image = (time.perf_counter() - started) / len(batch)
    total = per_image * (len(dataset.x_test) + 2 * VALIDATION_IMAGES)
    if total > caps.max_seconds:
        raise ImportRefused(
            f"{filename!r} would take about {total:,.0f} s to evaluate on the test set; this server allows"
            f" {caps.max_seconds:,.0f} s ({ENV_MAX_IMPORT_SECONDS})."
        )


def _looks_like_probabilities(outputs: np.ndarray) -> bool:
    return bool(np.all(outputs >= -1e-6) and np.allclose(outputs.sum(axis=1), 1.0, atol=1e-3))


def _confidence(outputs: np.ndarray) -> float:
    """Mean top probability, the outputs read as probabilities if they are, else as logits."""
    if not _looks_like_probabilities(outputs):
        shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
        outputs = shifted / shifted.sum(axis=1, keepdims=True)
    return float(np.mean(outputs.max(axis=1)))


def decide(model, dataset: FashionMNIST, shape: tuple[int, ...]) -> Decisions:
    """The pixel scale the model was trained on, then whether it ends in probabilities or logits.

    Measured on the last training images both ways. Accuracy alone cannot tell: a ReLU network's answer
    barely changes when every pixel is 255 times larger, only its confidence does (far too sure on the
    wrong scale one way, far too unsure the other). So the scale is the one where the model's mean
    confidence is closest to its accuracy, as it was in training. Softmax if the outputs at that scale
    are non-negative rows summing to 1, else logits.
    """
    images, labels = dataset.x_train[-VALIDATION_IMAGES:], dataset.y_train[-VALIDATION_IMAGES:]
    scales = (PIXELS_0_1, PIXELS_0_255)
    outputs = {scale: np.asarray(model(_feed(images, shape, scale), training=False)) for scale in scales}
    accuracy = {scale: float(np.mean(out.argmax(axis=1) == labels)) for scale, out in outputs.items()}
    confidence = {scale: _confidence(out) for scale, out in outputs.items()}
    gap = {scale: abs(confidence[scale] - accuracy[scale]) for scale in scales}
    scale = PIXELS_0_255 if gap[PIXELS_0_255] < gap[PIXELS_0_1] else PIXELS_0_1
    output = SOFTMAX if _looks_like_probabilities(outputs[scale]) else LOGITS
    return Decisions(
        shape,
        scale,
        output,
        accuracy[PIXELS_0_1],
        accuracy[PIXELS_0_255],
        confidence[PIXELS_0_1],
        confidence[PIXELS_0_255],
    )


def wrap(model, decisions: Decisions, name: str):
    """A standard Studio model: raw (28, 28) pixels 0-255 in, ten probabilities out, built-in layers only.

    A Sequential model's own layers are laid out flat after the Studio's front (so Inside sees its
    Dense and Conv2D layers); any other model is nested whole. Logits get a softmax: folded into a
    final Dense layer when there is one, else a Softmax layer after it.
    """
    import keras
    from keras import layers

    front = [keras.Input((IMAGE_SIDE, IMAGE_SIDE), name="pixels")]
    if decisions.pixel_scale == PIXELS_0_1:
        front.append(layers.Rescaling(1 / 255, name="imported_rescaling"))
    if decisions.input_shape != (IMAGE_SIDE, IMAGE_SIDE):
        front.append(layers.Reshape(decisions.input_shape, name="imported_reshape"))
    body = list(model.layers) if isinstance(model, keras.Sequential) else [model]
    if decisions.output == LOGITS:
        last = body[-1]
        if isinstance(last, layers.Dense) and last.get_config()["activation"] == "linear":
            config = {**last.get_config(), "activation": "softmax", "name": f"{last.name}_softmax"}
            dense = layers.Dense.from_config(config)
            dense.build(last.input.shape)
            dense.set_weights(last.get_weights())
            body[-1] = dense
        else:
            body.append(layers.Softmax(name="imported_softmax"))
    return keras.Sequential([*front, *body], name=store.sanitize_name(name))


def import_model(
    data: bytes,
    filename: str,
    dataset: FashionMNIST,
    *,
    owner: str = "",
    name: str | None = None,
    root: Path | None = None,
    caps: Caps | None = None,
) -> Imported:
    """Check, load safely, measure, wrap and save an outside model as a run; ImportRefused says why not."""
    caps = caps or Caps.from_env()
    model = load_upload(data, filename, caps)
    shape = check_shapes(model, filename, caps)
    check_speed(model, dataset, shape, filename, caps)
    decisions = decide(model, dataset, shape)
    root = root or store.runs_dir()
    model_id = store.unique_id(root, name or Path(filename).stem)
    studio_model = wrap(model, decisions, model_id)
    probabilities = store.predict_probabilities(studio_model, dataset.x_test)
    picked = probabilities[np.arange(len(dataset.y_test)), dataset.y_test]
    meta = store.ModelMeta(
        model_id=model_id,
        arch=ARCH,
        display_name=model_id,
        hyperparameters={},
        dataset_source=dataset.source,
        history={},
        test_accuracy=float(np.mean(probabilities.argmax(axis=1) == dataset.y_test)),
        test_loss=float(np.mean(-np.log(np.clip(picked, 1e-7, 1.0)))),
        params=int(studio_model.count_params()),
        train_seconds=0.0,
        epochs_run=0,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        versions=store.library_versions(),
        notes={"origin": "import", "source_file": Path(filename).name, **json.loads(json.dumps(asdict(decisions)))},
        owner=owner,
    )
    artifact = store.save(studio_model, meta, root, probabilities)
    store.keep_within_cap(root, artifact.model_id)
    return Imported(artifact, decisions)
