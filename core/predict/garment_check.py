"""Is it one of the ten kinds of clothing at all? A small head on what the best model sees.

Every classifier answers every picture with one of its ten classes, and a confident answer proves
nothing: an apple on white comes out "Bag". Signs measured on the picture itself (its background, its
outline; ``core.predict.novelty``) catch scenes, noise and text, but a solid object on a plain
background passes all of them. Distance to the training images in a model's feature space does not
help either: a drawn shoe is as far from Fashion-MNIST as a drawn apple. So the check learns, with
outlier exposure (Hendrycks et al., 2019), what clothing looks like *in the features of the lead model*
(the Studio CNN's last hidden layer, frozen): garments of the ten kinds, from Fashion-MNIST and from
pictures drawn in other styles, against things that are not. It outputs one score, "how garment-like",
in 0-1, averaged over the picture and its mirror.

Its threshold is calibrated on Fashion-MNIST validation images neither it nor the lead model trained on,
each uploaded as a 28x28 PNG file (so as Predict re-frames it), so that ``CALIBRATION_KEEP`` of them
pass. What it was trained on, and how it was checked, is in its meta file (``artifacts/garment_check.json``)
and in bench/results/world.md. The shipped check is made by ``python -m recipes.train_garment_check``; it
carries its own copy of the features it reads, so it loads and answers alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import ndimage

from core.data import IMAGE_SIDE
from core.models import store

CHECK_PATH = store.SHIPPED_DIR / "garment_check.keras"
META_PATH = store.SHIPPED_DIR / "garment_check.json"
LEAD = "studio_cnn"  # the classifier whose features the check reads (the best measured one)
CALIBRATION_KEEP = 0.995  # share of Fashion-MNIST validation images the threshold lets through


@dataclass(frozen=True)
class CheckMeta:
    threshold: float  # scores below this: "not one of the ten kinds of clothing"
    validation_kept: float  # share of the calibration images at or above the threshold
    trained_on: dict[str, int]  # what it learned from: source -> images
    seconds: float
    recipe: dict = field(default_factory=dict)  # how it was trained (recipes/train_garment_check.py RECIPE | this)

    @classmethod
    def read(cls, path: Path = META_PATH) -> CheckMeta:
        raw = json.loads(path.read_text())
        return cls(
            float(raw["threshold"]),
            float(raw["validation_kept"]),
            dict(raw["trained_on"]),
            float(raw["seconds"]),
            dict(raw.get("recipe", {})),
        )

    def write(self, path: Path = META_PATH) -> None:
        path.write_text(json.dumps(self.__dict__, indent=2) + "\n")


def trunk(classifier, arch: str = LEAD):
    """A shipped classifier up to its last hidden layer: the features the model sees a picture by."""
    import keras

    inner = classifier.get_layer(arch)
    return keras.Model(inner.inputs, inner.layers[-2].output, name="trunk")


def build_model(features, hidden: int = 128, dropout: float = 0.3):
    """The check: a small head on a classifier's frozen features, averaged over the picture and its mirror
    as the classifier itself is. Returns (the check, its head), the head to be trained on ``features`` output."""
    import keras
    from keras import layers

    from core.models import zoo

    features.trainable = False
    head = keras.Sequential(
        [
            keras.Input((features.output.shape[-1],)),
            layers.Dense(hidden, activation="relu"),
            layers.Dropout(dropout),
            layers.Dense(1, activation="sigmoid"),
        ],
        name="head",
    )
    return zoo.mirror_averaged(keras.Sequential([features, head], name="garment_check")), head


def features(model, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """(n, 28, 28) images in 0-255 -> (n, 2, k): ``model``'s output on each image and on its mirror."""
    images = np.asarray(images, np.float32)
    views = [images, images[:, :, ::-1]]
    return np.stack([store.predict_probabilities(model, view, batch_size) for view in views], axis=1)


# --- the styles a garment (or anything else) comes in ------------------------------------------


def restyle(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each (28, 28) uint8 image turned, mirrored, rescaled and drawn another way, then re-framed as
    the preprocessing frames an upload: so the check learns what clothing is, not how the dataset
    happens to photograph it. Applied alike to garments and non-garments, so no style gives either away."""
    out = np.empty_like(images)
    for position, image in enumerate(images):
        picture = image.astype(np.float32)
        if rng.random() < 0.5:
            picture = picture[:, ::-1]
        if rng.random() < 0.7:
            picture = ndimage.rotate(picture, rng.uniform(-35, 35), reshape=True, order=1)
        style = rng.random()
        if style < 0.15:  # a flat silhouette, as icons draw things
            picture = np.where(picture > 0.25 * picture.max(), 255.0, 0.0)
        elif style < 0.3:  # an outline, as a pen draws things
            solid = picture > 0.2 * picture.max()
            width = int(rng.integers(1, 3))
            edge = solid & ~ndimage.binary_erosion(solid, iterations=width)
            picture = np.where(edge, 255.0, 0.0)
        elif style < 0.4:  # negated inside the outline (a light garment printed dark)
            solid = picture > 0.2 * picture.max()
            picture = np.where(solid, 255.0 - picture * 0.8, 0.0)
        out[position] = frame(picture)
    return out


def frame(picture: np.ndarray) -> np.ndarray:
    """Crop to the object, square it with a small margin and resize to 28x28, brightest pixel 255."""
    from PIL import Image

    mask = picture > 0.05 * max(float(picture.max()), 1e-6)
    if not mask.any():
        return np.zeros((IMAGE_SIDE, IMAGE_SIDE), np.uint8)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    cropped = picture[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = cropped.shape
    pad = round(max(height, width) * 0.04)
    side = max(height, width) + 2 * pad
    square = np.zeros((side, side), np.float32)
    square[(side - height) // 2 : (side - height) // 2 + height, (side - width) // 2 : (side - width) // 2 + width] = (
        cropped
    )
    small = np.asarray(Image.fromarray(square).resize((IMAGE_SIDE, IMAGE_SIDE), Image.Resampling.LANCZOS))
    small = np.clip(small, 0, None)
    return np.clip(small * 255.0 / max(float(small.max()), 1e-6), 0, 255).astype(np.uint8)


# --- using it ---------------------------------------------------------------------------------


class GarmentCheck:
    """The shipped check, loaded once (safe mode), called directly (no ``predict`` overhead)."""

    def __init__(self, model, meta: CheckMeta):
        import tensorflow as tf

        self.meta = meta
        self.model = model
        self._call = tf.function(
            lambda x: model(x, training=False), input_signature=[tf.TensorSpec((None, IMAGE_SIDE, IMAGE_SIDE))]
        )
        self.scores(np.zeros((1, IMAGE_SIDE, IMAGE_SIDE), np.float32))  # trace now, not for the first visitor

    @classmethod
    def load(cls, path: Path = CHECK_PATH, meta_path: Path = META_PATH) -> GarmentCheck | None:
        """The shipped check, or None when it is missing or unreadable (Predict then uses the image signs alone)."""
        import keras

        try:
            return cls(keras.saving.load_model(path, safe_mode=True, compile=False), CheckMeta.read(meta_path))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def scores(self, images: np.ndarray) -> np.ndarray:
        """(n, 28, 28) images in 0-255 -> (n,) garment scores in 0-1."""
        batch = np.asarray(images, np.float32).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
        return np.asarray(self._call(batch)).reshape(-1)

    def score(self, image01: np.ndarray) -> float:
        """One (28, 28) image in 0-1 (``Preprocessed.image``) -> its garment score."""
        return float(self.scores(np.asarray(image01, np.float32)[None] * 255.0)[0])


def calibrate(scores: np.ndarray, keep: float = CALIBRATION_KEEP) -> float:
    """The threshold that lets ``keep`` of these (garment) scores through."""
    return float(np.quantile(np.asarray(scores, np.float64), 1.0 - keep))
