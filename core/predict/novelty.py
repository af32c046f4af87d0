"""An honest "that's not a garment": signs that an image is unlike anything the models were trained on.

Every model answers every image with ten probabilities that sum to one, so a confident answer
proves nothing: a colour gradient comes out as "Bag". The signs here come from the image itself
(measured while its background was removed, ``preprocess.ImageSigns``) and from the models'
answers, never from knowing where the image came from. Each sign is one line in plain words.

The thresholds were set on pictures from ``core.predict.photo_set`` (seed 5) and on Fashion-MNIST test
images; the tests check them on other seeds: our garment photos are flagged at most 10% of the
time, our pictures of no garment at least 80% (see tests/unit/test_photos.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.data import CLASS_NAMES
from core.predict.preprocess import LOW_CONTRAST, ImageSigns

ONLY_CLOTHING = (
    "The models know only ten kinds of clothing ("
    + ", ".join(CLASS_NAMES)
    + "): whatever the picture shows, they answer with one of these."
)
LEAD = "This may not be a garment: "

# Image signs (see ImageSigns): values beyond these are rare in garment photos.
NOISE_SHARE = 0.04  # border noise above this share of the object's contrast: texture or grain
NOISE_FLOOR = 6.0  # ... and above this many grey levels (JPEG and sensor noise stay below ~3)
BACKGROUND_FIT = 0.75  # less of the border than this fits one smooth background: a scene or pattern
BORDER_TOUCH = 0.3  # the object covers more of the image's edge than this: it does not stand alone
EDGE_DENSITY = 0.21  # more of the object's box than this is sharp edges: text or a pattern
MANY_PIECES = 3  # this many separate parts: scattered marks, not one garment
LOW_SOLIDITY = 0.35  # the object fills less of its convex hull than this: an implausible outline
# Model signs: most models unsure and split.
UNSURE = 0.55  # mean top probability across models below this ...
SPLIT = 0.5  # ... and no class chosen by more than this share of the models


def image_reasons(signs: ImageSigns | None) -> list[str]:
    """Plain-words reasons the image itself looks unlike a garment photo (empty when it looks fine)."""
    if signs is None:  # a dataset image: nothing to doubt
        return []
    reasons = []
    if signs.contrast < LOW_CONTRAST:
        reasons.append("there is no clear object, only a nearly even colour or a soft gradient.")
    elif signs.noise > max(NOISE_FLOOR, NOISE_SHARE * signs.contrast):
        reasons.append("the picture is grainy or textured all over (noise), with no plain background.")
    elif signs.background_fit < BACKGROUND_FIT:
        reasons.append("its edges are not one plain background: it looks like a scene or a pattern.")
    if signs.contrast >= LOW_CONTRAST and (signs.border_touch > BORDER_TOUCH or signs.object_fraction > 0.9):
        reasons.append("the shape runs off the edges of the picture instead of standing alone on a background.")
    if signs.contrast >= LOW_CONTRAST and (signs.edge_density > EDGE_DENSITY or signs.pieces >= MANY_PIECES):
        reasons.append("it is made of many small marks or sharp edges, like text or a pattern.")
    elif signs.contrast >= LOW_CONTRAST and signs.solidity < LOW_SOLIDITY:
        reasons.append("its outline is too ragged and hollow for a garment.")
    return reasons


def model_reasons(probabilities: np.ndarray) -> list[str]:
    """Plain-words reasons from the models' answers: (models, 10) probabilities."""
    table = np.asarray(probabilities, np.float64)
    if table.ndim != 2 or not len(table):
        return []
    firsts = np.bincount(table.argmax(axis=1), minlength=table.shape[1])
    if table.max(axis=1).mean() < UNSURE and firsts.max() / len(table) <= SPLIT:
        return ["the models are unsure and disagree with each other about what it is."]
    return []


def warnings(signs: ImageSigns | None, probabilities: np.ndarray | Sequence[np.ndarray]) -> tuple[str, ...]:
    """The "not a garment" warnings, one line each (empty for a garment photo)."""
    reasons = image_reasons(signs) + model_reasons(np.asarray(probabilities))
    return tuple(LEAD + reason for reason in dict.fromkeys(reasons))
